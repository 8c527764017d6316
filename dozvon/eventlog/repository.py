"""All SQL of the event log. Every read is limited to one project by construction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Select, Table, false, select
from sqlalchemy.orm import Session

from dozvon.core import bulk
from dozvon.eventlog.models import EventRecord
from dozvon.eventlog.recipients import NAMED_OPERATOR_TYPES
from dozvon.routing.events import EVENT_VERSION, RoutingEvent

#: The events table itself (Core statements; see :func:`append`).
EVENTS: Table = EventRecord.__table__  # type: ignore[assignment]


def to_us(ts: float) -> int:
    return round(ts * 1_000_000)


def customer_of(data: dict[str, Any]) -> str | None:
    """The ``customer_id`` an event's data names, for its own column (None when it names
    none). Kept as the JSON read it: a string as it is, a number as its digits."""
    customer = data.get("customer_id")
    if isinstance(customer, str):
        return customer
    if isinstance(customer, int) and not isinstance(customer, bool):
        return str(customer)
    return None


def append(session: Session, project: str, events: Iterable[RoutingEvent]) -> int:
    """Insert events in one statement (inside the caller's transaction); returns the count."""
    rows = [{"project": project, "seq": e.seq, "type": e.type, "version": EVENT_VERSION,
             "at_us": to_us(e.at), "contact_id": e.contact_id, "operator_id": e.operator_id,
             "queue": e.queue, "channel": e.channel, "customer_id": customer_of(e.data), "data": e.data}
            for e in events]
    # The table, not the mapped class: the ORM's bulk insert splits rows by which of their
    # values are None and then wrote them one statement each (128 round trips for a batch
    # of 32 contacts); one statement for all of them (dozvon.core.bulk).
    bulk.insert_rows(session, EVENTS, rows)
    return len(rows)


def readable(project: str) -> Select[EventRecord]:
    """The one statement every event read starts from: this project's events only."""
    return select(EventRecord).where(EventRecord.project == project)


def list_events(session: Session, project: str, *, after_seq: int = 0, limit: int = 1000,
                types: Sequence[str] = (), contact_id: str | None = None,
                since_us: int | None = None, until_us: int | None = None) -> list[EventRecord]:
    stmt = readable(project).where(EventRecord.seq > after_seq)
    if types:
        stmt = stmt.where(EventRecord.type.in_(list(types)))
    if contact_id is not None:
        stmt = stmt.where(EventRecord.contact_id == contact_id)
    if since_us is not None:
        stmt = stmt.where(EventRecord.at_us >= since_us)
    if until_us is not None:
        stmt = stmt.where(EventRecord.at_us < until_us)
    return list(session.scalars(stmt.order_by(EventRecord.seq).limit(limit)))


def as_dict(record: EventRecord) -> dict[str, Any]:
    return {"seq": record.seq, "type": record.type, "version": record.version,
            "at": record.at_us / 1_000_000, "contact_id": record.contact_id,
            "operator_id": record.operator_id, "queue": record.queue,
            "channel": record.channel, "data": record.data}


def readable_to(project: str, *, supervisor: bool, operator_id: str | None = None) -> Select[EventRecord]:
    """:func:`readable`, limited to the events a socket caller receives — the rule of
    :func:`dozvon.eventlog.recipients.recipients` as SQL (the replay of missed events).

    ``supervisor``: the caller holds ``events:read`` on the project (supervisors receive
    every event); otherwise ``operator_id`` is the caller's operator id in it (None: the
    caller receives nothing).
    """
    stmt = readable(project)
    if supervisor:
        return stmt
    if operator_id is None:
        return stmt.where(false())
    return stmt.where(EventRecord.operator_id == operator_id,
                      EventRecord.type.in_(sorted(NAMED_OPERATOR_TYPES)))
