"""All SQL of the routing state tables. Every statement is limited to one project."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from dozvon.acd.models import ContactRow, CustomerOperatorRow, EngineMetaRow, OperatorRow, QueueRow
from dozvon.core import bulk
from dozvon.core.db import Base


def upsert(session: Session, model: type[Base], rows: Sequence[dict[str, Any]],
           keys: Sequence[str]) -> None:
    """INSERT … ON CONFLICT DO UPDATE of rows with distinct keys, in one statement."""
    bulk.insert_rows(session, model.__table__, rows, conflict=keys)  # type: ignore[arg-type]


def save_queues(session: Session, project: str, queues: Sequence[dict[str, Any]]) -> None:
    upsert(session, QueueRow, [{"project": project, "name": q["cfg"]["name"], "config": q["cfg"],
                                "turns": q["turns"], "members": q["members"], "is_open": q["open"]}
                               for q in queues], ("project", "name"))


def delete_queues(session: Session, project: str, names: Sequence[str | None]) -> None:
    wanted = [n for n in names if n]
    if wanted:
        session.execute(delete(QueueRow).where(QueueRow.project == project, QueueRow.name.in_(wanted)))


def save_operators(session: Session, project: str, operators: Sequence[dict[str, Any]]) -> None:
    upsert(session, OperatorRow, [{"project": project, "id": o["cfg"]["id"], "state": o["state"],
                                   "doc": o} for o in operators], ("project", "id"))


def save_contacts(session: Session, project: str, contacts: Sequence[dict[str, Any]]) -> None:
    upsert(session, ContactRow, [{"project": project, "id": c["spec"]["id"], "state": c["state"],
                                  "queue": c["queue"], "doc": c} for c in contacts],
           ("project", "id"))


#: Ids per DELETE: PostgreSQL takes at most 65,535 parameters in one statement, and an
#: imported PBX log names hundreds of thousands of contacts in one transaction.
_DELETE_CHUNK = 5000


def delete_contacts(session: Session, project: str, contact_ids: Sequence[str]) -> None:
    ids = list(contact_ids)
    for start in range(0, len(ids), _DELETE_CHUNK):
        session.execute(delete(ContactRow).where(ContactRow.project == project,
                                                 ContactRow.id.in_(ids[start:start + _DELETE_CHUNK])))


def save_customer_operators(session: Session, project: str,
                            pairs: dict[str, tuple[str, float]]) -> None:
    upsert(session, CustomerOperatorRow,
           [{"project": project, "customer_id": customer, "operator_id": op, "at": at}
            for customer, (op, at) in sorted(pairs.items())], ("project", "customer_id"))


def delete_customer_operators(session: Session, project: str, customer_ids: list[str]) -> None:
    if customer_ids:
        session.execute(delete(CustomerOperatorRow).where(CustomerOperatorRow.project == project,
                                                          CustomerOperatorRow.customer_id.in_(customer_ids)))


def save_meta(session: Session, project: str, event_seq: int, offer_seq: int) -> None:
    upsert(session, EngineMetaRow, [{"project": project, "event_seq": event_seq,
                                     "offer_seq": offer_seq}], ("project",))


def load_state(session: Session, project: str) -> dict[str, Any]:
    """Everything :func:`dozvon.routing.snapshot.restore` needs, for one project."""
    queues = [{"cfg": r.config, "turns": r.turns, "members": r.members, "open": r.is_open}
              for r in session.scalars(select(QueueRow).where(QueueRow.project == project)
                                       .order_by(QueueRow.name))]
    operators = [r.doc for r in session.scalars(
        select(OperatorRow).where(OperatorRow.project == project))]
    operators.sort(key=lambda d: d.get("order", 0))
    contacts = [r.doc for r in session.scalars(
        select(ContactRow).where(ContactRow.project == project))]
    contacts.sort(key=lambda d: (d.get("enqueued_at", 0), d["spec"]["id"]))
    last = {r.customer_id: (r.operator_id, r.at) for r in session.scalars(
        select(CustomerOperatorRow).where(CustomerOperatorRow.project == project))}
    meta_row = session.get(EngineMetaRow, project)
    meta = {"event_seq": meta_row.event_seq, "offer_seq": meta_row.offer_seq} if meta_row else {}
    return {"queues": queues, "operators": operators, "contacts": contacts,
            "last_operator": last, "meta": meta}


def load_meta(session: Session, project: str) -> dict[str, int]:
    row = session.get(EngineMetaRow, project)
    return {"event_seq": row.event_seq if row else 0, "offer_seq": row.offer_seq if row else 0}
