"""Best practices: conversations marked as examples for training, with a note on what
makes them good and the competencies they show, found again by contact type, competency
and words of the note.

Seed 001: in the centers where people do well, managers encourage sharing ideas and best
practices, especially for the hard cases with no single right answer. An example is that
sharing made concrete: a real conversation anyone on the team can open and read.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dozvon.accounts.actions import audit
from dozvon.conversations.models import Conversation
from dozvon.core.errors import InvalidInput, NotFound
from dozvon.quality import evaluation_messages as _messages  # noqa: F401  (registers the texts)
from dozvon.quality.evaluation_models import Example
from dozvon.quality.scorecards import card_of, current_cards, words

NOTE_LIMIT = 2000


def competency_labels(session: Session, project: str, lang: str) -> dict[str, str]:
    """Competency id → its title in ``lang``, over the project's cards in use."""
    labels: dict[str, str] = {}
    for row in current_cards(session, project):
        for comp in card_of(row).competencies:
            labels.setdefault(comp.id, words(comp.title, lang))
    return labels


def do_mark_example(session: Session, project: str, actor: str, conversation_id: str, note: str,
                    competencies: list[str], now_us: int) -> Example:
    """Mark a conversation as an example (again: its note and competencies are replaced)."""
    conv = session.get(Conversation, conversation_id)
    if conv is None or conv.project != project:
        raise InvalidInput("quality.eval.no_conversation", field="conversation_id", value=conversation_id)
    note = note.strip()
    if len(note) > NOTE_LIMIT:
        raise InvalidInput("quality.eval.too_long", field="note", length=len(note), limit=NOTE_LIMIT)
    known = competency_labels(session, project, "en")
    for i, comp in enumerate(competencies):
        if comp not in known:
            raise InvalidInput("quality.example.bad_competency", field=f"competencies[{i}]", value=comp)
    row = session.scalar(select(Example).where(Example.project == project, Example.conversation_id == conv.id))
    if row is None:
        row = Example(project=project, conversation_id=conv.id, marked_by=actor, created_at_us=now_us)
        session.add(row)
    row.operator_id, row.channel = conv.operator_id, conv.channel
    row.contact_type = (conv.disposition or {}).get("contact_type")
    row.competencies, row.note = list(dict.fromkeys(competencies)), note
    session.flush()
    audit(session, actor, "example.marked", project, str(row.id), conversation=conv.id)
    return row


def do_unmark_example(session: Session, project: str, actor: str, example_id: int) -> None:
    row = session.get(Example, example_id)
    if row is None or row.project != project:
        raise NotFound("quality.example.unknown", example=example_id)
    session.delete(row)
    audit(session, actor, "example.unmarked", project, str(example_id), conversation=row.conversation_id)


def search(session: Session, project: str, *, contact_type: str | None = None, competency: str | None = None,
           text: str | None = None, limit: int = 200) -> list[Example]:
    """Examples, newest first, of a contact type, showing a competency, whose note has the words."""
    stmt = select(Example).where(Example.project == project)
    if contact_type:
        stmt = stmt.where(Example.contact_type == contact_type)
    rows = list(session.scalars(stmt.order_by(Example.created_at_us.desc(), Example.id.desc())))
    if competency:
        rows = [r for r in rows if competency in (r.competencies or [])]
    if text:
        needles = text.casefold().split()
        rows = [r for r in rows if all(n in r.note.casefold() for n in needles)]
    return rows[:limit]


def example_dict(row: Example, conversation: Conversation | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": row.id, "conversation_id": row.conversation_id, "operator_id": row.operator_id,
                           "contact_type": row.contact_type, "channel": row.channel,
                           "competencies": list(row.competencies or []), "note": row.note,
                           "marked_by": row.marked_by, "created_at": row.created_at_us / 1e6}
    if conversation is not None:
        out["customer_name"] = conversation.customer_name
        out["subject"] = conversation.subject
    return out
