"""The baseline of bench/bench_web.py: a bare WebSocket relay, the least any chat server does.

One Starlette app in its own process, run by uvicorn exactly as ``dozvon serve`` runs
(h11, ``websockets-sansio``, proxy headers): a visitor's POST is pushed to its operator's
socket, an operator's POST (or socket command) to its visitor's socket. Nothing is
stored, routed, authorised or logged — so the same client harness against it measures
the floor that HTTP parsing, JSON and the sockets themselves set on this machine. Frames
have Dozvon's shapes, so the harness reads both alike.

    .venv/bin/python bench/web_relay.py PORT
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

#: socket id → its outgoing frames (one sender task per socket, like Dozvon's hub).
_OPERATORS: dict[str, asyncio.Queue[dict[str, Any]]] = {}
_VISITORS: dict[str, asyncio.Queue[dict[str, Any]]] = {}
#: visitor (= conversation) id → operator id, given by the visitor's socket (?operator=).
_PAIRS: dict[str, str] = {}


def _to_operator(conversation: str, text: str) -> None:
    queue = _OPERATORS.get(_PAIRS.get(conversation, ""))
    if queue is not None:
        queue.put_nowait({"kind": "event", "type": "message.received", "at": time.time(),
                          "contact_id": conversation, "operator_id": _PAIRS[conversation],
                          "data": {"text": text}})


def _to_visitor(conversation: str, text: str) -> bool:
    queue = _VISITORS.get(conversation)
    if queue is None:
        return False
    queue.put_nowait({"kind": "event", "type": "message", "conversation_id": conversation,
                      "message": {"direction": "out", "text": text, "at": time.time()}})
    return True


async def visitor_message(request: Request) -> JSONResponse:
    body = await request.json()
    conversation = request.path_params["visitor"]
    _to_operator(conversation, str(body["text"]))
    return JSONResponse({"conversation_id": conversation, "message_id": body["client_id"], "created": True},
                        status_code=201)


async def operator_message(request: Request) -> JSONResponse:
    body = await request.json()
    conversation = request.path_params["conversation"]
    if not _to_visitor(conversation, str(body["text"])):
        return JSONResponse({"error": {"code": "not_found"}}, status_code=404)
    return JSONResponse({"message_id": f"out-{conversation}-{time.perf_counter_ns()}"}, status_code=201)


async def _pump(websocket: WebSocket, queue: asyncio.Queue[dict[str, Any]]) -> None:
    try:
        while True:
            await websocket.send_json(await queue.get())
    except (WebSocketDisconnect, RuntimeError):
        return


async def _serve_socket(websocket: WebSocket, registry: dict[str, asyncio.Queue[dict[str, Any]]], key: str,
                        on_text: Any) -> None:
    await websocket.accept()
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    registry[key] = queue
    await websocket.send_json({"kind": "hello", "seq": 0})
    sender = asyncio.create_task(_pump(websocket, queue))
    try:
        while True:
            reply = on_text(await websocket.receive_text())
            if reply is not None:
                queue.put_nowait(reply)
    except WebSocketDisconnect:
        pass
    finally:
        registry.pop(key, None)
        sender.cancel()


async def operator_stream(websocket: WebSocket) -> None:
    def command(text: str) -> dict[str, Any]:
        raw = json.loads(text)
        ok = raw.get("action") == "send" and _to_visitor(str(raw.get("conversation_id")), str(raw.get("text")))
        return {"kind": "reply", "reply_to": raw.get("id"), "ok": ok}

    await _serve_socket(websocket, _OPERATORS, websocket.path_params["operator"], command)


async def visitor_stream(websocket: WebSocket) -> None:
    visitor = websocket.path_params["visitor"]
    _PAIRS[visitor] = websocket.query_params.get("operator", "")
    await _serve_socket(websocket, _VISITORS, visitor, lambda text: None)


async def ready(request: Request) -> JSONResponse:
    return JSONResponse({"ok": True})


app = Starlette(routes=[
    Route("/readyz", ready),
    Route("/v/{visitor}/messages", visitor_message, methods=["POST"]),
    Route("/o/conversations/{conversation}/messages", operator_message, methods=["POST"]),
    WebSocketRoute("/o/{operator}/stream", operator_stream),
    WebSocketRoute("/v/{visitor}/stream", visitor_stream),
])


if __name__ == "__main__":
    import uvicorn

    uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
                                  access_log=False, proxy_headers=True, ws="websockets-sansio",
                                  lifespan="on")).run()
