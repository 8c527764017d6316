"""Inbound calls and messages from channel adapters and integrations.

Idempotent: the channel's own id (``external_id``) is the key, so an adapter may retry
whenever it is unsure — the second call returns the first call's conversation with
``created: false``. The contact is stored (committed) before the answer is sent.
"""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, Field

from dozvon.channels.registry import registry
from dozvon.conversations import actions
from dozvon.conversations.ingest import Inbound, IngestResult
from dozvon.core.errors import NotFound
from dozvon.server.api.conversations import decisions_out
from dozvon.server.deps import Body, HubDep
from dozvon.server.gate import needs

router = APIRouter(tags=["ingest"])


def _registered(value: str) -> str:
    if registry.find(value) is None:
        raise ValueError(f"unknown channel {value!r}; registered: {', '.join(registry.names())}")
    return value


def _text_channel(value: str) -> str:
    if not registry.get(_registered(value)).text:
        raise ValueError(f"channel {value!r} carries no text messages")
    return value


#: A channel of the registry (dozvon.channels): voice, chat, messenger, email, form and
#: those adapters add.
Channel = Annotated[str, Field(min_length=1, max_length=32), AfterValidator(_registered)]
TextChannel = Annotated[str, Field(min_length=1, max_length=32), AfterValidator(_text_channel)]
ExternalId = Annotated[str, Field(min_length=1, max_length=200)]


class CustomerIn(Body):
    #: Your stable id of the customer (phone number, e-mail, messenger user id).
    id: str | None = Field(default=None, min_length=1, max_length=200)
    name: str = Field(default="", max_length=200)
    segment: Literal["partner", "investor", "vip", "regular", "new"] | None = None
    language: str | None = Field(default=None, pattern=r"^[a-z]{2}$")


class ContactIn(Body):
    """A new inbound call, e-mail, form or chat."""

    channel: Channel
    external_id: ExternalId
    queue: str = Field(min_length=1, max_length=128)
    customer: CustomerIn = CustomerIn()
    subject: str = Field(default="", max_length=500)
    text: str | None = Field(default=None, max_length=100000)
    source: str | None = Field(default=None, max_length=200)
    priority: int = Field(default=0, ge=-10**6, le=10**6)
    skills: dict[str, Annotated[int, Field(ge=0, le=100)]] = Field(default_factory=dict)


class MessageIn(Body):
    """A customer's message on a text channel: joins the customer's open conversation on the
    channel, or opens a new one in ``queue``."""

    channel: TextChannel
    external_id: ExternalId
    queue: str = Field(min_length=1, max_length=128)
    customer: CustomerIn
    text: str = Field(min_length=1, max_length=100000)
    source: str | None = Field(default=None, max_length=200)


class LeftIn(Body):
    """The customer hung up or closed the chat (by the id the contact was ingested with)."""

    channel: Channel
    external_id: ExternalId


def as_inbound(body: ContactIn | MessageIn, as_message: bool) -> Inbound:
    c = body.customer
    # isinstance, not getattr with a default: a missing attribute of a Pydantic model
    # raises inside its __getattr__, and that cost more than the rest of this function.
    contact = body if isinstance(body, ContactIn) else None
    return Inbound(as_message=as_message,
        channel=body.channel, external_id=body.external_id, queue=body.queue, customer_id=c.id,
        customer_name=c.name, subject=contact.subject if contact else "", text=body.text, language=c.language,
        segment=c.segment, source=body.source, priority=contact.priority if contact else 0,
        skills=dict(contact.skills) if contact else {})


async def _ingest(project: str, body: ContactIn | MessageIn, hub: Any, as_message: bool) -> JSONResponse:
    """On the event loop: the request waits for its batch's commit without holding a
    worker thread (under load, hundreds wait at once). The answer is built here, not by
    FastAPI from a return annotation: thousands a second, each validated for nothing."""
    started = time.perf_counter()
    svc = await hub.service_async(project)
    if not svc.knows_queue(body.queue):
        raise NotFound("routing.unknown_queue", queue=body.queue)
    result = await hub.ingest_async(project, as_inbound(body, as_message))
    hub.metrics.ingest_latency_of(project).observe(time.perf_counter() - started)
    return JSONResponse(answer_body(result), status_code=201 if result.created else 200)


def answer_body(result: IngestResult) -> dict[str, Any]:
    return {"conversation_id": result.conversation_id, "message_id": result.message_id,
            "created": result.created, "decisions": decisions_out(result.decisions)}


_ANSWER = {"description": "Stored and routed: the conversation, the message's id, the decisions made",
           "content": {"application/json": {"example": {
               "conversation_id": "9f1c…", "message_id": 17, "created": True,
               "decisions": [{"kind": "offer", "contact_id": "9f1c…", "operator_id": "op1"}]}}}}


@router.post("/projects/{project}/ingest/contacts", status_code=201, response_class=JSONResponse,
             summary="A new inbound contact (idempotent by channel + external_id)",
             responses={201: _ANSWER, 200: {"description": "Already ingested: the same conversation"}},
             **needs("ingest"))
async def ingest_contact(project: str, body: ContactIn, hub: HubDep) -> JSONResponse:
    return await _ingest(project, body, hub, as_message=False)


@router.post("/projects/{project}/ingest/messages", status_code=201, response_class=JSONResponse,
             summary="A customer's message (idempotent by channel + external_id)",
             responses={201: _ANSWER, 200: {"description": "Already ingested: the same message"}},
             **needs("ingest"))
async def ingest_message(project: str, body: MessageIn, hub: HubDep) -> JSONResponse:
    return await _ingest(project, body, hub, as_message=True)


@router.post("/projects/{project}/ingest/left", summary="The customer hung up / left (idempotent)",
             **needs("ingest"))
def customer_left(project: str, body: LeftIn, hub: HubDep) -> dict[str, Any]:
    conversation_id = actions.do_customer_left(hub.service(project), body.channel, body.external_id)
    return {"conversation_id": conversation_id}
