"""Every write of the automatic checks: the project's settings, a conversation's stored
checks, a contact's suggested type (and the complaint alert), the classifier's training.

:func:`do_check` runs the checks of closed conversations — reading and checking outside
the project's lock, then storing the results and logging ``quality.checked`` for each in
one transaction through the project's :class:`~dozvon.acd.service.RouterService`, so the
event reaches the operator's and the supervisors' sockets only after the commit. Checking
a conversation again replaces its results. :func:`do_suggest` stores the suggested type
of a live text contact and, for a suspected complaint (once per conversation, by the
project's setting), logs ``quality.complaint_suspected`` and moves a contact still waiting
to the project's complaints queue.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from dozvon.accounts.actions import audit
from dozvon.accounts.queries import get_project
from dozvon.acd.service import RouterService
from dozvon.channels.registry import registry
from dozvon.conversations.models import Conversation
from dozvon.core import bulk
from dozvon.core.clock import now_us
from dozvon.core.errors import InvalidInput, NotFound
from dozvon.quality import messages as _messages  # noqa: F401  (registers the texts of its errors)
from dozvon.quality import queries
from dozvon.quality.checks import Report, run_checks
from dozvon.quality.classifier import Suggestion, Trained, train
from dozvon.quality.models import CheckFailureRow, CheckResultRow, ClassifierRow, QualitySettingsRow, SuggestionRow
from dozvon.quality.settings import QualitySettings
from dozvon.routing.engine import RoutingEngine
from dozvon.routing.model import OFFERED, WAITING

SUGGESTIONS: Table = SuggestionRow.__table__  # type: ignore[assignment]

#: The newest conversations with a disposition a classifier is trained on.
TRAINING_LIMIT = 20_000


# ---------------------------------------------------------------------------- settings

def do_set_settings(session: Session, actor: str, project: str, settings: QualitySettings,
                    queues: set[str] | None = None) -> QualitySettings:
    """Replace the project's settings (checked already by their model; the complaints queue
    must be one of ``queues`` when they are given). Results already stored stay as they
    were checked; the next closed conversations use the new settings."""
    get_project(session, project)
    if settings.complaint_queue is not None and queues is not None and settings.complaint_queue not in queues:
        raise InvalidInput("qa.unknown_queue", field="complaint_queue", queue=settings.complaint_queue)
    row = session.get(QualitySettingsRow, project)
    if row is None:
        row = QualitySettingsRow(project=project, doc={}, updated_at_us=0, updated_by="")
        session.add(row)
    row.doc, row.updated_at_us, row.updated_by = settings.to_dict(), now_us(), actor
    session.flush()
    audit(session, actor, "quality.settings", project, "", settings=settings.to_dict())
    return settings


# ---------------------------------------------------------------------------- checks

@dataclass(frozen=True)
class Checked:
    """One conversation's checks, with what its stored row repeats of it."""

    conversation_id: str
    operator_id: str | None
    queue: str
    channel: str
    closed_at_us: int
    report: Report


def check_conversations(session: Session, project: str, conversation_ids: Sequence[str]) -> list[Checked]:
    """The checks of these closed conversations (answered ones only: an abandoned contact
    had no operator to judge), with the project's settings — reads only."""
    profile = queries.profile_of(session, project)
    convs = session.scalars(select(Conversation).where(Conversation.project == project,
                                                       Conversation.id.in_(sorted(set(conversation_ids)))))
    done = [c for c in convs if c.closed_at_us is not None and c.operator_id is not None
            and c.answered_at_us is not None]
    inputs = queries.conversation_inputs(session, project, [c.id for c in done])
    out = []
    for conv in done:
        assert conv.closed_at_us is not None
        messages, events = inputs[conv.id]
        report = run_checks(messages, events, profile, channel=conv.channel)
        out.append(Checked(conv.id, conv.operator_id, conv.queue, conv.channel, conv.closed_at_us, report))
    return out


def store_results(session: Session, project: str, checked: Sequence[Checked], at_us: int) -> None:
    """Write (or replace) the results and their failure rows, in the caller's transaction."""
    ids = [c.conversation_id for c in checked]
    if not ids:
        return
    session.execute(delete(CheckFailureRow).where(CheckFailureRow.conversation_id.in_(ids)))
    session.execute(delete(CheckResultRow).where(CheckResultRow.project == project,
                                                 CheckResultRow.conversation_id.in_(ids)))
    session.flush()
    results, failures = [], []
    for c in checked:
        report = c.report.to_dict()
        results.append({"conversation_id": c.conversation_id, "project": project, "channel": c.channel,
                         "queue": c.queue, "operator_id": c.operator_id, "closed_at_us": c.closed_at_us,
                         "checked_at_us": at_us, "score": c.report.score, "failed_count": len(report["failed"]),
                         "failed": report["failed"], "checks": report["checks"], "language": c.report.language})
        failures += [{"conversation_id": c.conversation_id, "check": name, "project": project, "queue": c.queue,
                      "operator_id": c.operator_id, "closed_at_us": c.closed_at_us} for name in report["failed"]]
    session.execute(insert(CheckResultRow), results)  # in bulk: a batch is hundreds of rows
    if failures:
        session.execute(insert(CheckFailureRow), failures)


def do_check(svc: RouterService, conversation_ids: Sequence[str]) -> list[Checked]:
    """Check these closed conversations and store the results, each announced by
    ``quality.checked`` after the commit. Returns what was checked (the others were not
    closed, or never answered)."""
    with svc.sessions() as session:
        checked = check_conversations(session, svc.project, conversation_ids)
    if checked:
        store_checked(svc, checked)
    return checked


def store_checked(svc: RouterService, checked: Sequence[Checked],
                  also: Callable[[Session], None] | None = None) -> None:
    """Store checks made already (by :func:`check_conversations`, perhaps in the server's
    follower process) and log ``quality.checked`` for each, in one transaction — with
    ``also``'s writes (the checker's cursor moved past them)."""

    def log(engine: RoutingEngine) -> None:
        for c in checked:
            engine.note("quality.checked", None, c.operator_id, queue=c.queue, channel=c.channel,
                        conversation_id=c.conversation_id, score=c.report.score, failed=c.report.failed)

    def write(session: Session) -> None:
        store_results(session, svc.project, checked, now_us())
        if also is not None:
            also(session)

    svc.run(log, also=write)


# ---------------------------------------------------------------------------- contact types

def _alerts(suggestion: Suggestion, settings: QualitySettings, channel: str, closed: bool, alerted: bool) -> bool:
    """Whether this suggestion alerts the supervisors: a suspected complaint, on a text
    contact not yet closed, not alerted before, where the project wants alerts."""
    return bool(suggestion.contact_type == "complaint" and settings.complaint_alert and not alerted
                and not closed and registry.get(channel).text)


def _store_suggestion(found: SuggestionRow | None, session: Session, project: str, conversation_id: str,
                      suggestion: Suggestion, read: int, alert: bool) -> None:
    if found is None:
        found = SuggestionRow(conversation_id=conversation_id, project=project, alerted=False)
        session.add(found)
    found.contact_type, found.source, found.reason = suggestion.contact_type, suggestion.source, suggestion.reason
    found.confidence, found.evidence, found.messages = suggestion.confidence, suggestion.evidence, read
    found.suggested_at_us = now_us()
    found.alerted = found.alerted or alert


def do_suggest(svc: RouterService, conversation_id: str) -> dict[str, Any]:
    """Suggest (again) the type of a conversation and store it. A suspected complaint on a
    contact not yet closed alerts the supervisors once (``quality.complaint_suspected``)
    and, if the project names a complaints queue, moves the contact there while nobody has
    answered it."""
    with svc.sessions() as session:
        conv = session.scalar(select(Conversation).where(Conversation.project == svc.project,
                                                         Conversation.id == conversation_id))
        if conv is None:
            raise NotFound("routing.unknown_contact", contact=conversation_id)
        suggesting = queries.suggesting_of(session, svc.project)
        suggestion, read = queries.suggestion_for(session, svc.project, conv, suggesting)
        settings = suggesting.settings
        row = session.get(SuggestionRow, conversation_id)
        alerted = row is not None and row.alerted
    alert = _alerts(suggestion, settings, conv.channel, conv.closed_at_us is not None, alerted)
    cues = [str(e.get("word")) for e in suggestion.evidence if e.get("word")]
    moved: list[str] = []

    def write(session: Session) -> None:
        _store_suggestion(session.get(SuggestionRow, conversation_id), session, svc.project, conversation_id,
                          suggestion, read, alert)

    def command(engine: RoutingEngine) -> None:
        if not alert:
            return
        contact = engine.contacts.get(conversation_id)
        operator_id = contact.operator_id if contact is not None else conv.operator_id
        target = settings.complaint_queue
        if (contact is not None and target and contact.state in (WAITING, OFFERED) and target in engine.queues
                and contact.queue != target and engine.queues[target].open):
            moved.append(target)
        data: dict[str, Any] = {"cues": cues, **({"moved_to": moved[0]} if moved else {})}
        engine.note("quality.complaint_suspected", conversation_id, operator_id, queue=conv.queue,
                    channel=conv.channel, **data)
        if moved:
            engine.reassign(conversation_id, to_queue=moved[0], by="quality")

    if alert:  # an event to log and perhaps a move: through the engine, in one transaction
        svc.run(command, also=write)
    else:  # only the row: the project's engine need not wait for it
        try:
            with svc.sessions.begin() as session:
                write(session)
        except IntegrityError:  # made at the same moment by another door: update that row
            with svc.sessions.begin() as session:
                write(session)
    return {**suggestion.to_dict(), "messages": read, "alerted": bool(alert), "moved_to": moved[0] if moved else None}


def suggest_quietly(sessions: sessionmaker[Session], project: str, convs: Sequence[queries.Candidate],
                    suggesting: queries.Suggesting, inputs: Mapping[str, queries.Inputs]) -> tuple[int, list[str]]:
    """The background suggester's slice: these conversations judged from what the round
    read of them (``inputs``: :func:`~dozvon.quality.queries.suggestion_inputs`, with the
    round's settings and classifier in ``suggesting``) and stored in one statement —
    without the project's engine, so that the server's follower process can do it. The
    suspected complaints, which alert and may move the contact, are not stored: they are
    returned, for :func:`do_suggest` to do through the engine, which reads the
    conversation again (closed since the round read it, it alerts nobody). Returns how
    many conversations were suggested (the loud ones among them) and the loud ones."""
    if not convs:
        return 0, []
    settings = suggesting.settings
    made = {conv.id: queries.suggested(inputs[conv.id], suggesting) for conv in convs}
    loud = [conv.id for conv in convs if _alerts(made[conv.id][0], settings, conv.channel, False, conv.alerted)]
    quiet = [cid for cid in made if cid not in loud]
    if quiet:
        # One upsert, not the ORM's read-modify-flush of each row (which was over a third of
        # the suggester's CPU at 500 new chats a second): a row made meanwhile by another
        # door is updated, and whether the supervisors were alerted is never overwritten.
        at = now_us()
        with sessions.begin() as session:
            bulk.insert_rows(session, SUGGESTIONS, [
                {"conversation_id": cid, "project": project, "contact_type": suggestion.contact_type,
                 "source": suggestion.source, "reason": suggestion.reason, "confidence": suggestion.confidence,
                 "evidence": suggestion.evidence, "messages": read, "suggested_at_us": at, "alerted": False}
                for cid in quiet for suggestion, read in (made[cid],)],
                conflict=("conversation_id",), keep=("alerted",))
    return len(convs), loud


# ---------------------------------------------------------------------------- the classifier

def training_samples(session: Session, project: str, first_messages: int,
                     limit: int = TRAINING_LIMIT) -> list[tuple[str, str]]:
    """(the customer's first messages, the type the operator gave) of the newest text
    conversations with a disposition."""
    from dozvon.conversations.models import Message

    rows = session.execute(select(Conversation.id, Conversation.disposition)
                           .where(Conversation.project == project, Conversation.disposition.is_not(None))
                           .order_by(Conversation.created_at_us.desc()).limit(limit)).all()
    labels = {cid: str(d.get("contact_type")) for cid, d in rows if isinstance(d, dict) and d.get("contact_type")}
    texts: dict[str, list[str]] = {}
    ids = sorted(labels)
    for start in range(0, len(ids), 500):
        for cid, text in session.execute(
                select(Message.conversation_id, Message.text)
                .where(Message.project == project, Message.conversation_id.in_(ids[start:start + 500]),
                       Message.direction == "in").order_by(Message.conversation_id, Message.id)):
            got = texts.setdefault(cid, [])
            if len(got) < first_messages:
                got.append(text)
    return [("\n".join(texts[cid]), labels[cid]) for cid in ids if texts.get(cid)]


def do_train(session: Session, actor: str, project: str) -> Trained:
    """Train the project's classifier on the dispositions given so far and store it (in the
    caller's transaction), replacing the previous one; refused with too few samples."""
    get_project(session, project)
    settings = queries.settings_of(session, project)
    trained = train(training_samples(session, project, settings.first_messages))
    row = session.get(ClassifierRow, project)
    if row is None:
        row = ClassifierRow(project=project)
        session.add(row)
    row.model, row.samples, row.accuracy = trained.model.to_dict(), trained.samples, trained.accuracy
    row.classes, row.trained_at_us, row.trained_by = trained.classes, now_us(), actor
    session.flush()
    audit(session, actor, "quality.trained", project, "", samples=trained.samples, accuracy=trained.accuracy)
    return trained


# ---------------------------------------------------------------------------- erasure

def _blank(evidence: Any) -> Any:
    """Evidence without the customer's words: quoted texts and the forms found go, the
    lexicon's entries, message numbers, times and figures stay."""
    if isinstance(evidence, list):
        return [_blank(item) for item in evidence]
    if isinstance(evidence, dict):
        return {k: ("" if k == "text" else [] if k == "found" and isinstance(v, list) else
                    "" if k == "found" else _blank(v)) for k, v in evidence.items()}
    return evidence


def erase_texts(session: Session, project: str, conversation_ids: Sequence[str]) -> int:
    """A customer's data is erased (:func:`dozvon.crm.privacy.do_erase_customer`): the
    quotes in these conversations' stored checks and suggestions go with it (in the
    caller's transaction). Returns how many rows were rewritten."""
    ids = sorted(set(conversation_ids))
    if not ids:
        return 0
    changed = 0
    for result in session.scalars(select(CheckResultRow).where(CheckResultRow.project == project,
                                                               CheckResultRow.conversation_id.in_(ids))):
        result.checks = _blank(result.checks)
        changed += 1
    for suggestion in session.scalars(select(SuggestionRow).where(SuggestionRow.project == project,
                                                                  SuggestionRow.conversation_id.in_(ids))):
        suggestion.evidence = _blank(suggestion.evidence)
        changed += 1
    return changed
