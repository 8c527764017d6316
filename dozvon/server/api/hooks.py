"""``POST /hooks/{project}/forms/{form}`` (pinned): where a site's form or a marketplace
posts a request.

Outside ``/api/v1`` and its gate: the caller has no session or token — the request is
authenticated by the form's secret (``X-Dozvon-Signature``), checked on the raw body
before anything else. The answer comes only after the request is committed: 201 with the
new conversation, 200 with the same one for a repeat. Every refusal (no such form, a bad
signature or body) is also a line in the server's log (logger ``dozvon.forms``).
"""

from __future__ import annotations

from functools import partial
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from dozvon.channels.forms import intake
from dozvon.core.errors import NotFound
from dozvon.server.hub import Hub

router = APIRouter(tags=["forms"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    200: {"description": "A repeat (the same Idempotency-Key, id field or body): the same conversation"},
    401: {"description": "X-Dozvon-Signature missing or wrong: nothing stored"},
    404: {"description": "No such form, or it is switched off"},
    413: {"description": "The body is over the form's max_body_bytes"},
    415: {"description": "Neither JSON nor form-encoded"},
    422: {"description": "Not JSON, a field the mapping needs missing, a bad phone or e-mail (the field named)"},
}
_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"type": "object", "additionalProperties": True}},
    "application/x-www-form-urlencoded": {"schema": {"type": "object", "additionalProperties": True}}}},
    "parameters": [{"name": "X-Dozvon-Signature", "in": "header", "required": True,
                    "schema": {"type": "string", "pattern": "^sha256=[0-9a-f]{64}$"}},
                   {"name": "Idempotency-Key", "in": "header", "required": False,
                    "schema": {"type": "string", "maxLength": 200}}]}


async def _body(request: Request, limit: int) -> bytes | int:
    """The raw body, or its size once it is known to be over ``limit`` (read no further)."""
    declared = request.headers.get("content-length", "")
    if declared.isdecimal() and int(declared) > limit:
        return int(declared)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return size
        chunks.append(chunk)
    return b"".join(chunks)


@router.post("/hooks/{project}/forms/{form}", status_code=201, responses=_ERRORS, openapi_extra=_BODY,
             summary="A form's or a marketplace's request, signed with the form's secret; stored, then answered")
async def form_request(project: str, form: str, request: Request) -> JSONResponse:
    hub: Hub = request.app.state.hub
    client = request.client.host if request.client is not None else None
    try:
        found = await anyio.to_thread.run_sync(intake.load_form, hub.sessions, project, form)
    except NotFound as missing:  # no such form, or switched off: nowhere else to say it
        intake.log_refusal(project, form, missing, client)
        raise
    body = await _body(request, found.settings.max_body_bytes)
    if isinstance(body, int):
        error = intake.TooLarge("forms.too_large", field="body", size=body, limit=found.settings.max_body_bytes)
        await anyio.to_thread.run_sync(partial(intake.note_refusal, hub.sessions, found, error, signed_by_peer=False,
                                               client=client))
        raise error
    headers = request.headers
    result = await anyio.to_thread.run_sync(partial(
        intake.receive, hub.sessions, hub.ingest, found, body, content_type=headers.get("content-type"),
        signature=headers.get(intake.SIGNATURE_HEADER), key=headers.get(intake.IDEMPOTENCY_HEADER), client=client))
    return JSONResponse({"conversation_id": result.conversation_id, "created": result.created, "form": form},
                        status_code=201 if result.created else 200)
