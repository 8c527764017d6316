"""Conversation rows and callback tasks kept in step with the event log.

Runs inside each command's transaction (:attr:`RouterService.projections`), so a
conversation's row can never disagree with the events that describe it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from dozvon.conversations.models import CallbackTask, Conversation
from dozvon.eventlog.repository import to_us
from dozvon.routing.events import RoutingEvent


def project_events(session: Session, project: str, events: Sequence[RoutingEvent]) -> None:
    """Keep conversation rows and callback tasks in step with the log (same transaction)."""
    for e in events:
        if e.contact_id is None:
            continue
        values: dict[str, Any] | None = None
        if e.type == "contact.answered":
            values = {"operator_id": e.operator_id, "answered_at_us": to_us(e.at)} if e.data.get("first") \
                else {"operator_id": e.operator_id}
        elif e.type == "contact.queued" and e.data.get("reason") != "arrival":
            values = {"queue": e.queue}
        elif e.type == "contact.disposition":
            values = {"disposition": {k: e.data.get(k) for k in ("contact_type", "resolved", "notes", "late")}}
        elif e.type == "contact.closed":
            values = {"status": e.data.get("outcome", "closed"), "closed_at_us": to_us(e.at)}
        elif e.type == "callback.created":
            session.add(CallbackTask(project=project, conversation_id=e.contact_id,
                                     customer_id=e.data.get("customer_id"), reason=e.data.get("reason", ""),
                                     created_at_us=to_us(e.at)))
        if values:
            session.execute(update(Conversation).where(Conversation.project == project,
                                                       Conversation.id == e.contact_id).values(**values))
