"""The real-time connection: ``/api/v1/projects/{project}/stream[?after=SEQ]`` (WebSocket).

An operator receives their own events (offers, withdrawals, answers, messages of their
conversations and their delivery, state changes); a caller with ``events:read`` (a
supervisor's wallboard) receives the whole project's — the rule is
:func:`dozvon.eventlog.recipients.recipients`, the same for live events and the replay.

The first message is ``{"kind": "hello", "seq": N}``: N is the last event already
committed. Without ``after`` the stream starts there — live events only. Every REST
answer that shows live state carries the ``seq`` it reflects, so a client reads state
over REST, then connects with ``after=<that seq>``, and misses nothing in between; a
client that reconnects with ``after=<last seq seen>`` first gets everything it missed
from the event log, then live events — nothing lost, nothing repeated.

Over the same socket the operator can act: ``{"id": 1, "action": "accept", "offer_id": …}``
(also ``decline``, ``send`` {conversation_id, text}, ``end``, ``hold``, ``resume``,
``transfer`` {conversation_id, to_operator | to_queue | to_external, escalation},
``dispose`` {conversation_id, contact_type, resolved, notes}, ``state`` {state, reason},
``note`` {conversation_id, text}: a private note, ``typing`` {conversation_id}: shown to the
customer's widget, never stored);
each gets ``{"kind": "reply", "reply_to": 1, "ok": true, …}`` or ``"ok": false`` with an
error and its message. A frame over 64 KiB or nested deeper than 32 levels is answered
with an error; the connection stays open.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from dozvon.accounts.permissions import Principal
from dozvon.acd import actions as acd_actions
from dozvon.acd import queries as live
from dozvon.conversations import actions
from dozvon.core.errors import Conflict, DozvonError, Forbidden, InvalidInput
from dozvon.core.i18n import translate
from dozvon.eventlog import repository as eventlog
from dozvon.eventlog.models import EventRecord
from dozvon.server.api.conversations import HANDLE, MANAGE, DeclineIn, DispositionIn, TextIn, TransferIn, decisions_out
from dozvon.server.api.routing import StateIn
from dozvon.server.deps import acting_operator
from dozvon.server.gate import MEMBER
from dozvon.server.hub import Hub, Subscription
from dozvon.server.i18n import language_of
from dozvon.widget.bus import visitor_bus

router = APIRouter(tags=["stream"])

_REPLAY_PAGE = 1000
#: Bounds on one command frame: larger or deeper frames are refused, the socket stays.
MAX_FRAME_CHARS = 64 * 1024
MAX_DEPTH = 32


def _replay(hub: Hub, project: str, after: int, supervisor: bool, operator_id: str | None) -> list[dict[str, Any]]:
    """Events after ``after`` from the log that this caller receives, oldest first."""
    out: list[dict[str, Any]] = []
    with hub.sessions() as session:
        while True:
            stmt = eventlog.readable_to(project, supervisor=supervisor, operator_id=operator_id)
            rows = list(session.scalars(stmt.where(EventRecord.seq > after).order_by(EventRecord.seq)
                                        .limit(_REPLAY_PAGE)))
            out.extend({"kind": "event", **eventlog.as_dict(r)} for r in rows)
            if len(rows) < _REPLAY_PAGE:
                return out
            after = rows[-1].seq


def parse_after(value: str | None) -> int | None:
    if value is None:
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        raise InvalidInput("stream.bad_after", value=value[:40])
    return int(value)


@router.websocket("/projects/{project}/stream")
async def stream(websocket: WebSocket, project: str) -> None:
    hub: Hub = websocket.app.state.hub
    caller: Principal = websocket.state.principal
    lang = language_of(websocket.headers.get("accept-language"))
    supervisor = caller.can("events:read", project)
    operator_id = None if supervisor else caller.operator_ids.get(project)
    try:
        after = parse_after(websocket.query_params.get("after"))
        svc = hub.service(project)
        if not supervisor and operator_id is None:
            raise Forbidden("auth.not_an_operator", project=project)
    except DozvonError as error:
        body = {"error": {"code": error.code, "message": error.message(lang)}}
        await websocket.send_denial_response(JSONResponse(body, status_code=error.status_code))
        return
    await websocket.accept()
    sub = hub.subscribe(project, operator_id)  # before reading the seq: nothing falls in between
    seq = svc.last_seq()
    await websocket.send_json({"kind": "hello", "seq": seq})
    sender = asyncio.create_task(_send_events(websocket, hub, sub, project, seq if after is None else after,
                                              after is not None, supervisor, operator_id))
    try:
        while True:
            text = await websocket.receive_text()
            reply = await _handle(hub, caller, project, text, lang)
            await websocket.send_json(reply)
    except WebSocketDisconnect:
        pass
    finally:
        hub.unsubscribe(sub)
        sender.cancel()


#: WebSocket routes have no OpenAPI entry to carry ``x-permission``: the gate reads this.
stream.dozvon_permission = MEMBER  # type: ignore[attr-defined]


async def _send_events(websocket: WebSocket, hub: Hub, sub: Subscription, project: str, after: int,
                       replay: bool, supervisor: bool, operator_id: str | None) -> None:
    last = after
    try:
        if replay:
            for payload in await anyio.to_thread.run_sync(_replay, hub, project, after, supervisor, operator_id):
                await websocket.send_json(payload)
                last = payload["seq"]
        while True:
            seq, text = await sub.queue.get()  # encoded once for all its sockets (Hub._committed)
            if seq is not None:  # a passing signal (typing) has none: never stored, never replayed
                if seq <= last:  # already sent from the log, or before the hello
                    continue
                last = seq
            await websocket.send_text(text)
    except (WebSocketDisconnect, RuntimeError):
        return


# ----------------------------------------------------------------- commands

def _depth(text: str) -> int:
    """How deeply the JSON text nests arrays and objects (strings skipped)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def parse_command(text: str) -> dict[str, Any]:
    """One frame as a command object, or a clear error (never a crash of the socket)."""
    if len(text) > MAX_FRAME_CHARS:
        raise InvalidInput("stream.frame_too_large", size=len(text), limit=MAX_FRAME_CHARS)
    if _depth(text) > MAX_DEPTH:
        raise InvalidInput("stream.too_deep", limit=MAX_DEPTH)
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInput("stream.bad_json", line=error.lineno, column=error.colno, reason=error.msg) from None
    if not isinstance(raw, dict):
        raise InvalidInput("stream.not_an_object")
    return raw


def _explain(error: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ())) or 'body'}: {e.get('msg', '')}"
                     for e in error.errors()[:5])


async def _handle(hub: Hub, caller: Principal, project: str, text: str, lang: str) -> dict[str, Any]:
    request_id: Any = None
    try:
        raw = parse_command(text)
        request_id = raw.get("id") if isinstance(raw.get("id"), (int, str)) else None
        action = raw.get("action")
        command = _COMMANDS.get(action) if isinstance(action, str) else None
        if command is None:
            raise InvalidInput("api.unknown_action", value=str(action)[:40], allowed=", ".join(_COMMANDS))
        result = await anyio.to_thread.run_sync(command, _Context(hub, caller, project), raw)
        return {"kind": "reply", "reply_to": request_id, "ok": True, **result}
    except DozvonError as error:
        return {"kind": "reply", "reply_to": request_id, "ok": False,
                "error": {"code": error.code, "message": error.message(lang)}}
    except ValidationError as error:
        return {"kind": "reply", "reply_to": request_id, "ok": False,
                "error": {"code": "api.bad_command",
                          "message": translate("api.bad_command", lang, reason=_explain(error))}}


class _Context:
    """Who is acting where: the socket's caller in its project."""

    def __init__(self, hub: Hub, caller: Principal, project: str) -> None:
        self.svc = hub.service(project)
        self.caller = caller
        self.project = project

    def acting(self) -> str | None:
        if not self.caller.can(HANDLE, self.project):
            raise Forbidden("auth.forbidden")
        return acting_operator(self.caller, self.project, MANAGE)


def _body(model: type[BaseModel], raw: dict[str, Any], *keys: str) -> Any:
    return model.model_validate({k: raw[k] for k in keys if k in raw})


def _str(raw: dict[str, Any], key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value or len(value) > 200:
        raise InvalidInput("api.missing_field", field=key)
    return value


def _accept(ctx: _Context, raw: dict[str, Any]) -> dict[str, Any]:
    return {"decisions": decisions_out(actions.do_accept_offer(ctx.svc, _str(raw, "offer_id"), ctx.acting()))}


def _decline(ctx: _Context, raw: dict[str, Any]) -> dict[str, Any]:
    body = _body(DeclineIn, raw, "reason")
    return {"decisions": decisions_out(actions.do_decline_offer(ctx.svc, _str(raw, "offer_id"), ctx.acting(),
                                                                body.reason))}


def _send(ctx: _Context, raw: dict[str, Any]) -> dict[str, Any]:
    body = _body(TextIn, raw, "text")
    message_id = actions.do_send_message(ctx.svc, _str(raw, "conversation_id"), ctx.acting(), ctx.caller.name,
                                         body.text)
    return {"message_id": message_id}


def _on_contact(do: Callable[..., list[Any]]) -> Callable[[_Context, dict[str, Any]], dict[str, Any]]:
    def command(ctx: _Context, raw: dict[str, Any]) -> dict[str, Any]:
        return {"decisions": decisions_out(do(ctx.svc, _str(raw, "conversation_id"), ctx.acting()))}
    return command


def _transfer(ctx: _Context, raw: dict[str, Any]) -> dict[str, Any]:
    body = _body(TransferIn, raw, "to_operator", "to_queue", "to_external", "escalation")
    return {"decisions": decisions_out(actions.do_transfer(
        ctx.svc, _str(raw, "conversation_id"), ctx.acting(), to_operator=body.to_operator, to_queue=body.to_queue,
        to_external=body.to_external, escalation=body.escalation))}


def _dispose(ctx: _Context, raw: dict[str, Any]) -> dict[str, Any]:
    body = _body(DispositionIn, raw, "contact_type", "resolved", "notes")
    return {"decisions": decisions_out(actions.do_dispose(ctx.svc, _str(raw, "conversation_id"), ctx.acting(),
                                                          body.contact_type, body.resolved, body.notes))}


def _typing(ctx: _Context, raw: dict[str, Any]) -> dict[str, Any]:
    """The operator is typing: the customer's widget shows it for a few seconds. Only the
    contact's own operator, and only on a live conversation; nothing is stored."""
    conversation_id = _str(raw, "conversation_id")
    acting = ctx.acting()
    contact = live.live_contact(ctx.svc, conversation_id)
    if contact is None or contact.state != "connected" or (acting is not None and contact.operator_id != acting):
        raise Conflict("routing.not_your_contact", contact=conversation_id)
    visitor_bus.push(conversation_id, {"kind": "typing", "conversation_id": conversation_id, "who": "operator"})
    return {}


def _note(ctx: _Context, raw: dict[str, Any]) -> dict[str, Any]:
    body = _body(TextIn, raw, "text")
    if not (ctx.caller.can(HANDLE, ctx.project) or ctx.caller.can(MANAGE, ctx.project)):
        raise Forbidden("auth.forbidden")
    return {"note_id": actions.do_add_note(ctx.svc, _str(raw, "conversation_id"), ctx.caller.name, body.text)}


def _state(ctx: _Context, raw: dict[str, Any]) -> dict[str, Any]:
    own = ctx.caller.operator_ids.get(ctx.project)
    if own is None:
        raise Forbidden("auth.not_an_operator", project=ctx.project)
    body = _body(StateIn, raw, "state", "reason")
    acd_actions.do_set_operator_state(ctx.svc, own, body.state, body.reason)
    return live.operator(ctx.svc, own)


_COMMANDS: dict[str, Callable[[_Context, dict[str, Any]], dict[str, Any]]] = {
    "accept": _accept, "decline": _decline, "send": _send,
    "end": _on_contact(actions.do_end), "hold": _on_contact(actions.do_hold),
    "resume": _on_contact(actions.do_resume), "transfer": _transfer, "dispose": _dispose, "state": _state,
    "typing": _typing, "note": _note,
}
