"""Inbound calls and messages from channel adapters and integrations.

Idempotent: the channel's own id (``external_id``) is the key, so an adapter may retry
whenever it is unsure — the second call returns the first call's conversation with
``created: false``. The contact is stored (committed) before the answer is sent.
"""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Response
from pydantic import AfterValidator, Field

from dozvon.acd import queries as live
from dozvon.channels.registry import registry
from dozvon.conversations import actions
from dozvon.conversations.ingest import Inbound
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


def _inbound(body: ContactIn | MessageIn, as_message: bool) -> Inbound:
    c = body.customer
    return Inbound(as_message=as_message,
        channel=body.channel, external_id=body.external_id, queue=body.queue, customer_id=c.id,
        customer_name=c.name, subject=getattr(body, "subject", ""), text=body.text, language=c.language,
        segment=c.segment, source=body.source, priority=getattr(body, "priority", 0),
        skills=dict(getattr(body, "skills", {})))


def _ingest(project: str, body: ContactIn | MessageIn, hub: Any, response: Response,
            as_message: bool) -> dict[str, Any]:
    started = time.perf_counter()
    if not live.has_queue(hub.service(project), body.queue):
        raise NotFound("routing.unknown_queue", queue=body.queue)
    result = hub.ingest(project, _inbound(body, as_message))
    hub.metrics.ingest_latency.labels(project).observe(time.perf_counter() - started)
    response.status_code = 201 if result.created else 200
    return {"conversation_id": result.conversation_id, "message_id": result.message_id,
            "created": result.created, "decisions": decisions_out(result.decisions)}


@router.post("/projects/{project}/ingest/contacts", status_code=201,
             summary="A new inbound contact (idempotent by channel + external_id)",
             responses={200: {"description": "Already ingested: the same conversation"}}, **needs("ingest"))
def ingest_contact(project: str, body: ContactIn, hub: HubDep, response: Response) -> dict[str, Any]:
    return _ingest(project, body, hub, response, as_message=False)


@router.post("/projects/{project}/ingest/messages", status_code=201,
             summary="A customer's message (idempotent by channel + external_id)",
             responses={200: {"description": "Already ingested: the same message"}}, **needs("ingest"))
def ingest_message(project: str, body: MessageIn, hub: HubDep, response: Response) -> dict[str, Any]:
    return _ingest(project, body, hub, response, as_message=True)


@router.post("/projects/{project}/ingest/left", summary="The customer hung up / left (idempotent)",
             **needs("ingest"))
def customer_left(project: str, body: LeftIn, hub: HubDep) -> dict[str, Any]:
    conversation_id = actions.do_customer_left(hub.service(project), body.channel, body.external_id)
    return {"conversation_id": conversation_id}
