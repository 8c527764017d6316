"""The real-time connection: ``/api/v1/projects/{project}/stream?after=SEQ`` (WebSocket).

An operator receives their own events (offers, withdrawals, answers, messages of their
conversations, state changes); a caller with ``events:read`` (a supervisor's wallboard)
receives the whole project's. Each event carries the project's ``seq``: a client that
reconnects with ``after=<last seq seen>`` first gets everything it missed from the event
log, then live events — nothing is lost across a dropped connection, nothing repeated.

Over the same socket the operator can act: ``{"id": 1, "action": "accept", "offer_id": …}``
(also ``decline``, ``send`` {conversation_id, text}, ``end``, ``hold``, ``resume``,
``dispose`` {conversation_id, contact_type, resolved, notes}, ``state`` {state, reason});
each gets ``{"kind": "reply", "reply_to": 1, "ok": true}`` or an error with its message.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ValidationError

from dozvon.accounts.permissions import Principal
from dozvon.core.errors import DozvonError, Forbidden, InvalidInput
from dozvon.eventlog import repository as eventlog
from dozvon.eventlog.models import EventRecord
from dozvon.server.api import conversations as api
from dozvon.server.api.routing import StateIn, set_state
from dozvon.server.gate import MEMBER
from dozvon.server.hub import Hub, Subscription
from dozvon.server.i18n import language_of

router = APIRouter(tags=["stream"])

_REPLAY_PAGE = 1000


def _mine(record: EventRecord, operator_id: str | None) -> bool:
    return operator_id is None or record.operator_id == operator_id


def _replay(hub: Hub, project: str, after: int, operator_id: str | None) -> list[dict[str, Any]]:
    """Events after ``after`` from the log (what the client missed), oldest first."""
    out: list[dict[str, Any]] = []
    with hub.sessions() as session:
        while True:
            stmt = eventlog.readable(project).where(EventRecord.seq > after)
            if operator_id is not None:
                stmt = stmt.where(EventRecord.operator_id == operator_id)
            rows = list(session.scalars(stmt.order_by(EventRecord.seq).limit(_REPLAY_PAGE)))
            out.extend({"kind": "event", **eventlog.as_dict(r)} for r in rows if _mine(r, operator_id))
            if len(rows) < _REPLAY_PAGE:
                return out
            after = rows[-1].seq


@router.websocket("/projects/{project}/stream")
async def stream(websocket: WebSocket, project: str, after: int = 0) -> None:
    hub: Hub = websocket.app.state.hub
    caller: Principal = websocket.state.principal
    lang = language_of(websocket.headers.get("accept-language"))
    whole_project = caller.can("events:read", project)
    operator_id = None if whole_project else caller.operator_ids.get(project)
    if not whole_project and operator_id is None:
        await websocket.close(code=4403)
        return
    try:
        hub.service(project)
    except DozvonError:
        await websocket.close(code=4404)
        return
    await websocket.accept()
    sub = hub.subscribe(project, operator_id)  # before the replay: nothing falls in between
    sender = asyncio.create_task(_send_events(websocket, hub, sub, project, max(after, 0), operator_id))
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
                       operator_id: str | None) -> None:
    last = after
    try:
        for payload in await anyio.to_thread.run_sync(_replay, hub, project, after, operator_id):
            await websocket.send_json(payload)
            last = payload["seq"]
        while True:
            payload = await sub.queue.get()
            if payload["seq"] <= last:  # already sent from the log
                continue
            await websocket.send_json(payload)
            last = payload["seq"]
    except (WebSocketDisconnect, RuntimeError):
        return


class _Command(BaseModel):
    id: int | str | None = None
    action: str


async def _handle(hub: Hub, caller: Principal, project: str, text: str, lang: str) -> dict[str, Any]:
    request_id: Any = None
    try:
        raw = json.loads(text)
        command = _Command.model_validate(raw)
        request_id = command.id
        result = await anyio.to_thread.run_sync(_run, hub, caller, project, command.action, raw)
        return {"kind": "reply", "reply_to": request_id, "ok": True, **result}
    except DozvonError as error:
        return {"kind": "reply", "reply_to": request_id, "ok": False,
                "error": {"code": error.code, "message": error.message(lang)}}
    except (ValueError, ValidationError) as error:
        message = InvalidInput("api.bad_command", reason=str(error).splitlines()[0]).message(lang)
        return {"kind": "reply", "reply_to": request_id, "ok": False,
                "error": {"code": "api.bad_command", "message": message}}


def _str(raw: dict[str, Any], key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value:
        raise InvalidInput("api.missing_field", field=key)
    return value


def _fields(raw: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: raw[k] for k in keys if k in raw}


#: Socket actions on a conversation that the REST API also offers without a body.
_CONTACT_ACTIONS = {"end": api.end, "hold": api.hold, "resume": api.resume}


def _run(hub: Hub, caller: Principal, project: str, action: str, raw: dict[str, Any]) -> dict[str, Any]:
    """One command from the socket, carried out by the same handler as its REST twin (with
    the same body model), so that both doors validate and act alike."""
    if action == "state":
        own = caller.operator_ids.get(project)
        if own is None:
            raise Forbidden("auth.not_an_operator", project=project)
        return set_state(project, own, StateIn.model_validate(_fields(raw, "state", "reason")), caller, hub)
    if not caller.can(api.HANDLE, project):
        raise Forbidden("auth.forbidden")
    if action == "accept":
        return api.accept(project, _str(raw, "offer_id"), caller, hub)
    if action == "decline":
        return api.decline(project, _str(raw, "offer_id"), api.DeclineIn.model_validate(_fields(raw, "reason")),
                           caller, hub)
    conversation_id = _str(raw, "conversation_id")
    if action == "send":
        return api.send_message(project, conversation_id, api.TextIn.model_validate(_fields(raw, "text")),
                                caller, hub)
    if action in _CONTACT_ACTIONS:
        return _CONTACT_ACTIONS[action](project, conversation_id, caller, hub)
    if action == "dispose":
        body = api.DispositionIn.model_validate(_fields(raw, "contact_type", "resolved", "notes"))
        return api.disposition(project, conversation_id, body, caller, hub)
    raise InvalidInput("api.unknown_action", value=action,
                       allowed="accept, decline, send, end, hold, resume, dispose, state")
