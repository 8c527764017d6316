"""The visitor's live connection: ``/widget/{project}/stream?token=…[&after=SEQ]``.

First ``{"kind": "hello", "seq": N, "conversation_id": …}``; then the visitor's view of
their conversation's events (:func:`dozvon.widget.view.visitor_frame`) — those after
``after`` replayed from the log first, so a widget that reconnects from the last ``seq``
it saw misses nothing and sees nothing twice — and passing signals
(``{"kind": "typing"}``: the operator is typing).

The visitor sends ``{"action": "typing"}`` while writing (passed to the operator, at
most a couple a second) and ``{"action": "status"}`` for their place in line
(``{"kind": "status", "state", "position", "operator"}``).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse

from dozvon.acd import queries as live
from dozvon.conversations.models import Conversation
from dozvon.core.errors import DozvonError
from dozvon.eventlog import repository as eventlog
from dozvon.routing.events import RoutingEvent
from dozvon.server.api.stream import parse_after, parse_command
from dozvon.server.hub import Hub
from dozvon.server.i18n import language_of
from dozvon.widget import api
from dozvon.widget import ratelimits as rl
from dozvon.widget.bus import VisitorSocket, visitor_bus
from dozvon.widget.models import Visitor
from dozvon.widget.view import visitor_frame

router = APIRouter()
_REPLAY_PAGE = 500


def _replay(hub: Hub, project: str, conversation_id: str, after: int) -> list[dict[str, Any]]:
    """The visitor's frames of their conversation after ``after``, from the log."""
    out: list[dict[str, Any]] = []
    lookup = api.lazy_names(hub, project)
    with hub.sessions() as session:
        while True:
            rows = eventlog.list_events(session, project, after_seq=after, limit=_REPLAY_PAGE,
                                        contact_id=conversation_id)
            for r in rows:
                frame = visitor_frame(RoutingEvent(r.seq, r.type, r.at_us / 1e6, r.contact_id, r.operator_id,
                                                   r.queue, r.channel, r.data), lookup)
                if frame is not None:
                    out.append(frame)
            if len(rows) < _REPLAY_PAGE:
                return out
            after = rows[-1].seq


def tap(hub: Hub) -> Any:
    """The hub's tap that pushes committed events to the visitors watching them."""
    def push(project: str, events: list[RoutingEvent]) -> None:
        lookup = api.lazy_names(hub, project)
        for e in events:
            if e.contact_id is None or not visitor_bus.online(e.contact_id):
                continue
            frame = visitor_frame(e, lookup)
            if frame is not None:
                visitor_bus.push(e.contact_id, frame)
    return push


def _open(hub: Hub, project: str, token: str | None, origin: str | None) -> Visitor:
    api.widget_settings(hub, project, origin)
    return api.visitor_of(hub, project, token)


def _conversation_of(hub: Hub, project: str, visitor_id: str) -> str | None:
    """The conversation the visitor follows now (their latest), read afresh."""
    with hub.sessions() as session:
        found = session.get(Visitor, visitor_id)
        return found.conversation_id if found is not None and found.project == project else None


@router.websocket("/{project}/stream")
async def stream(websocket: WebSocket, project: str) -> None:
    hub: Hub = websocket.app.state.hub
    lang = language_of(websocket.headers.get("accept-language"))
    try:
        after = parse_after(websocket.query_params.get("after"))
        visitor = await anyio.to_thread.run_sync(_open, hub, project, websocket.query_params.get("token"),
                                                 websocket.headers.get("origin"))
    except DozvonError as error:
        body = {"error": {"code": error.code, "message": error.message(lang)}}
        await websocket.send_denial_response(JSONResponse(body, status_code=error.status_code))
        return
    await websocket.accept()
    # Connected first, then the visitor's conversation read again: a first message posted
    # while this socket opened either watches through it (it is connected) or has already
    # stored the conversation this reading finds — never neither, which left the visitor
    # deaf to their own conversation.
    socket = visitor_bus.connect(visitor.id, [])
    conversation_id = await anyio.to_thread.run_sync(_conversation_of, hub, project, visitor.id)
    if conversation_id:
        visitor_bus.watch(visitor.id, conversation_id)
    svc = hub.service(project)
    seq = svc.last_seq()
    await websocket.send_json({"kind": "hello", "seq": seq, "conversation_id": conversation_id})
    if conversation_id:  # messages that waited for the visitor go out now
        await anyio.to_thread.run_sync(hub.kick_outbox, project, [conversation_id])
    sender = asyncio.create_task(_send(websocket, hub, socket, project, conversation_id,
                                       seq if after is None else after, after is not None))
    try:
        while True:
            text = await websocket.receive_text()
            reply = await anyio.to_thread.run_sync(_command, hub, websocket.app.state.limits, project, visitor.id,
                                                     text, lang)
            if reply is not None:
                await websocket.send_json(reply)
    except WebSocketDisconnect:
        pass
    finally:
        visitor_bus.disconnect(socket)
        sender.cancel()


async def _send(websocket: WebSocket, hub: Hub, socket: VisitorSocket, project: str, conversation_id: str | None,
                after: int, replay: bool) -> None:
    last = after
    try:
        if replay and conversation_id:
            for frame in await anyio.to_thread.run_sync(_replay, hub, project, conversation_id, after):
                await websocket.send_json(frame)
                last = frame["seq"]
        while True:
            frame = await socket.queue.get()
            seq = frame.get("seq")
            if seq is not None:
                if seq <= last:  # already sent from the log
                    continue
                last = seq
            await websocket.send_json(frame)
    except (WebSocketDisconnect, RuntimeError):
        return


def _current(hub: Hub, project: str, visitor_id: str) -> Conversation | None:
    """The visitor's conversation now (it changes when they start a new one)."""
    return api.current_conversation(hub, _conversation_of(hub, project, visitor_id))


def _command(hub: Hub, limits: rl.Limits, project: str, visitor_id: str, text: str,
             lang: str) -> dict[str, Any] | None:
    try:
        raw = parse_command(text)
        action = raw.get("action")
        if action == "typing":
            if not limits.allowed(rl.TYPING_PER_VISITOR, "typing", visitor_id):
                return None
            conv = _current(hub, project, visitor_id)
            place = live.place_in_line(hub.service(project), conv.id) if conv is not None else None
            if conv is not None and place is not None and place.operator_id:
                hub.push_operator(project, place.operator_id, {"kind": "typing", "conversation_id": conv.id,
                                                               "who": "customer"})
            return None
        if action == "status":
            limits.check(rl.READS_PER_ADDRESS, "status", visitor_id)
            conv = _current(hub, project, visitor_id)
            if conv is None:
                return {"kind": "status", "conversation_id": None, "state": "none", "position": 0, "operator": ""}
            state = api.conversation_state(hub, project, conv, api.lazy_names(hub, project))
            return {"kind": "status", "conversation_id": conv.id, **state}
        return {"kind": "error", "error": {"code": "api.unknown_action",
                                           "message": f"unknown action {json.dumps(action)[:40]}"}}
    except DozvonError as error:
        return {"kind": "error", "error": {"code": error.code, "message": error.message(lang)}}
