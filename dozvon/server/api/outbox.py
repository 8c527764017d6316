"""The outbox for channel adapters that run outside the server.

An outside adapter (it ingests over ``…/ingest``) fetches the messages due on its channel
— each fetch is one attempt, leased for a minute — sends them, and reports each result.
A message not reported within the lease is due again: delivered at least once; the
``key`` is the same on every attempt, so the channel can drop a repeat. Supervisors see
the outbox (and retry nothing by hand: failed messages are shown on the conversation).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import Field, model_validator

from dozvon.channels.registry import registry
from dozvon.conversations import actions, outbox
from dozvon.conversations import queries as q
from dozvon.conversations.models import OutboxItem
from dozvon.core.errors import InvalidInput
from dozvon.eventlog.repository import to_us
from dozvon.server.deps import Body, HubDep, RowId, SessionDep, page
from dozvon.server.gate import needs

router = APIRouter(tags=["outbox"])


@router.post("/projects/{project}/outbox/take", summary="Take the messages due on a channel (one attempt each)",
             **needs("ingest"))
def take(project: str, hub: HubDep, channel: Annotated[str, Query(min_length=1, max_length=32)],
         limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict[str, Any]:
    found = registry.find(channel)
    if found is None:
        raise InvalidInput("routing.bad_channel", value=channel, allowed=", ".join(registry.names()))
    if found.adapter.pushes:
        raise InvalidInput("outbox.delivered_by_server", channel=channel)
    svc = hub.service(project)
    with svc.lock, svc.sessions.begin() as session:
        taken = outbox.take_due(session, to_us(svc.clock.now()), [channel], project=project, limit=limit)
    return page([{"id": m.id, "key": m.key, "channel": m.channel, "conversation_id": m.conversation_id,
                  "external_id": m.external_id, "customer_id": m.customer_id, "text": m.text,
                  "author": m.author, "attempt": m.attempt, **m.data} for m in taken],
                lease_s=outbox.LEASE_S)


class ResultIn(Body):
    """How one attempt went: delivered, or failed (``permanent``: retrying cannot help)."""

    delivered: bool
    error: str | None = Field(default=None, max_length=2000)
    permanent: bool = False
    channel_message_id: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def failure_says_why(self) -> ResultIn:
        if not self.delivered and not self.error:
            raise ValueError("a failed delivery needs an error")
        return self


@router.post("/projects/{project}/outbox/{item_id}/result", summary="Report an attempt's result (idempotent)",
             **needs("ingest"))
def result(project: str, item_id: RowId, body: ResultIn,
           hub: HubDep) -> dict[str, Any]:
    return actions.do_report_delivery(hub.service(project), item_id, delivered=body.delivered, error=body.error,
                                      permanent=body.permanent, channel_message_id=body.channel_message_id)


@router.get("/projects/{project}/outbox", summary="Messages to customers and their delivery, newest first",
            **needs("conversations:read"))
def list_outbox(project: str, session: SessionDep,
                status: Annotated[Literal["pending", "delivered", "failed"] | None, Query()] = None,
                conversation_id: Annotated[str | None, Query(max_length=64)] = None,
                limit: Annotated[int, Query(ge=1, le=500)] = 100) -> dict[str, Any]:
    stmt = q.readable_outbox(project)
    if status is not None:
        stmt = stmt.where(OutboxItem.status == status)
    if conversation_id is not None:
        stmt = stmt.where(OutboxItem.conversation_id == conversation_id)
    return page([q.outbox_dict(i) for i in session.scalars(stmt.order_by(OutboxItem.id.desc()).limit(limit))])
