"""The ingest's short way through the server: what arrives by the thousand a second.

``POST /api/v1/projects/{project}/ingest/contacts`` and ``…/messages`` are answered here,
right behind the gate (which has already authenticated and authorised the caller),
instead of going through FastAPI's exception middleware, router, dependency solving and
request objects — at load, those cost more than the rest of the request together
(issue 13's profile: over half of the event loop's time).

Only what succeeds is answered here: a JSON body that validates against the endpoint's own
model, a known queue, an item stored and routed. Anything else — a malformed or invalid
body, an unknown queue, an item the ingest refuses — goes on to the FastAPI route with the
body as it came, which answers it as documented (the refused item was not stored, so
asking again changes nothing). The routes in :mod:`dozvon.server.api.ingest` stay the
contract: the same models, the same answer, the OpenAPI description.
"""

from __future__ import annotations

import re
import time

from pydantic import ValidationError

from dozvon.core import jsontext
from dozvon.server.api.ingest import ContactIn, MessageIn, answer_body, as_inbound
from dozvon.server.gate import API_PREFIX, ASGIApp, Message, Receive, Scope, Send

_PATH = re.compile(rf"^{re.escape(API_PREFIX)}/projects/(?P<project>[^/]+)/ingest/(?P<kind>contacts|messages)$")
#: Bodies larger than this take the FastAPI route (which has the body limit's answers).
_MAX_BODY = 256 * 1024


class IngestFastPath:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        found = _PATH.match(scope["path"])
        if found is None or not _json_body(scope):
            await self.app(scope, receive, send)
            return
        body, more = await _read_body(receive)
        if more is not None or not await self._answer(scope, send, found["project"], found["kind"], body):
            await self.app(scope, _replay(body, more, receive), send)

    async def _answer(self, scope: Scope, send: Send, project: str, kind: str, body: bytes) -> bool:
        """Answer the request if it succeeds; False (nothing sent, nothing stored) when it
        should take the documented route instead."""
        model: type[ContactIn] | type[MessageIn] = ContactIn if kind == "contacts" else MessageIn
        try:
            item = model.model_validate_json(body)
        except (ValidationError, ValueError):
            return False
        hub = scope["app"].state.hub
        started = time.perf_counter()
        svc = hub.loaded_service(project)
        if svc is None or not svc.knows_queue(item.queue):
            return False  # not loaded yet, or an unknown queue: the route says which
        try:
            result = await hub.ingest_async(project, as_inbound(item, as_message=kind == "messages"))
        except Exception:  # refused, or the database away: nothing of it was stored
            # The route asks again and answers as documented (a refusal with its field, 503
            # while the database is away); the ingest is idempotent, so asking twice is safe
            # even after a timeout whose batch later committed.
            return False
        hub.metrics.ingest_latency_of(project).observe(time.perf_counter() - started)
        payload = jsontext.dumps(answer_body(result)).encode()
        await send({"type": "http.response.start", "status": 201 if result.created else 200,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(payload)).encode())]})
        await send({"type": "http.response.body", "body": payload})
        return True


def _json_body(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-type":
            return bool(value.split(b";")[0].strip().lower() == b"application/json")
    return False


async def _read_body(receive: Receive) -> tuple[bytes, Message | None]:
    """The whole body (up to :data:`_MAX_BODY`), and the message that did not fit or was
    not a body part (None when the body was read whole)."""
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(parts), message
        chunk = message.get("body", b"")
        parts.append(chunk)
        size += len(chunk)
        if size > _MAX_BODY:
            return b"".join(parts), {**message, "body": b""}
        if not message.get("more_body", False):
            return b"".join(parts), None


def _replay(body: bytes, more: Message | None, receive: Receive) -> Receive:
    """A ``receive`` giving the route the body already read, then the rest as it comes."""
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": more is not None}]
    if more is not None and more["type"] != "http.request":
        pending[0]["more_body"] = False
        pending.append(more)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
