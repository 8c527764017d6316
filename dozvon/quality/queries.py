"""Reads of the quality checks: a project's settings and classifier, a conversation's
stored results and suggestion, the conversations the checks flagged, and the inputs of a
check (messages and events) and of a suggestion (the CRM's facts). Every read is limited to
one project by construction.

For other domains' pages (evaluations, self-control, the desktop): :func:`result_of`,
:func:`results_of`, :func:`flagged`, :func:`suggestion_of`; counts per operator and team are
in :mod:`dozvon.quality.reports`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from dozvon.conversations.models import Conversation, Message
from dozvon.core import bulk
from dozvon.crm import flags
from dozvon.crm.models import Customer
from dozvon.eventlog.models import EventRecord
from dozvon.quality.checks import Ev, Msg
from dozvon.quality.classifier import ContactFacts, Model, Suggestion, suggest
from dozvon.quality.models import CheckResultRow, ClassifierRow, QualitySettingsRow, SuggestionRow
from dozvon.quality.settings import Profile, QualitySettings, compile_profile

DAY_US = 86_400 * 1_000_000
#: The events the event checks read (and the task events of a kept promise).
CHECKED_EVENTS = ("contact.answered", "contact.queued", "contact.held", "contact.resumed", "contact.transferred",
                  "contact.ended", "contact.closed", "task.created", "callback.created")


def settings_of(session: Session, project: str) -> QualitySettings:
    row = session.get(QualitySettingsRow, project)
    return QualitySettings.model_validate(row.doc) if row is not None else QualitySettings()


def profile_of(session: Session, project: str) -> Profile:
    return compile_profile(settings_of(session, project))


#: Parsed models by (project, when trained): a model is read from JSON once, not per suggestion.
_MODELS: dict[tuple[str, int], Model] = {}


def model_of(session: Session, project: str) -> Model | None:
    """The project's trained classifier (None: not trained)."""
    trained = session.scalar(select(ClassifierRow.trained_at_us).where(ClassifierRow.project == project))
    if trained is None:
        return None
    model = _MODELS.get((project, trained))
    if model is None:
        row = session.get(ClassifierRow, project)
        if row is None:
            return None
        if len(_MODELS) >= 64:
            _MODELS.clear()
        model = _MODELS[(project, row.trained_at_us)] = Model.from_dict(row.model)
    return model


def classifier_status(session: Session, project: str) -> dict[str, Any]:
    """Whether the project has a trained classifier, on how many samples, how accurate."""
    row = session.get(ClassifierRow, project)
    if row is None:
        return {"trained": False, "samples": 0, "accuracy": None, "classes": {}, "trained_at": None,
                "trained_by": None}
    return {"trained": True, "samples": row.samples, "accuracy": row.accuracy, "classes": row.classes,
            "trained_at": row.trained_at_us / 1e6, "trained_by": row.trained_by}


# ---------------------------------------------------------------------------- inputs

def conversation_inputs(session: Session, project: str,
                        conversation_ids: Sequence[str]) -> dict[str, tuple[list[Msg], list[Ev]]]:
    """Each conversation's messages (an automatic one named by its reason, from its
    ``message.sent`` event) and the events the checks read, as the checks take them — two
    queries for the lot (checking a thousand conversations must not be three thousand
    round trips)."""
    ids = sorted(set(conversation_ids))
    out: dict[str, tuple[list[Msg], list[Ev]]] = {cid: ([], []) for cid in ids}
    if not ids:
        return out
    reasons: dict[str, str] = {}
    records = session.execute(
        select(EventRecord.contact_id, EventRecord.type, EventRecord.at_us, EventRecord.operator_id,
               EventRecord.queue, EventRecord.data, EventRecord.seq)
        .where(EventRecord.project == project, EventRecord.contact_id.in_(ids),
               EventRecord.type.in_((*CHECKED_EVENTS, "message.sent")))
        .order_by(EventRecord.contact_id, EventRecord.seq))
    for cid, type_, at_us, operator_id, queue, data, seq in records:
        data = data or {}
        if type_ == "message.sent":
            if data.get("auto"):
                reasons[str(data.get("message_id"))] = str(data.get("reason") or "auto")
            continue
        out[cid][1].append(Ev(type_, at_us / 1e6, operator_id, queue, data, seq))
    rows = session.execute(select(Message.conversation_id, Message.direction, Message.text, Message.at_us,
                                  Message.external_id)
                           .where(Message.project == project, Message.conversation_id.in_(ids))
                           .order_by(Message.conversation_id, Message.id))
    for cid, direction, text, at_us, external_id in rows:
        auto = reasons.get(external_id, "auto") if direction == "out" and external_id.startswith("auto-") else None
        out[cid][0].append(Msg("customer" if direction == "in" else "operator", text, at_us / 1e6, auto))
    return out


def conversation_input(session: Session, project: str, conversation_id: str) -> tuple[list[Msg], list[Ev]]:
    """One conversation's :func:`conversation_inputs`."""
    return conversation_inputs(session, project, [conversation_id])[conversation_id]


def first_customer_texts(session: Session, project: str, conversation_ids: Sequence[str],
                         limit: int) -> dict[str, list[str]]:
    """The first ``limit`` customer messages of each conversation, in one query."""
    out: dict[str, list[str]] = {cid: [] for cid in conversation_ids}
    if not out:
        return out
    for owner, cid, text in _FIRST_TEXTS.rows(session, {"ids": list(out)}):
        texts = out[cid]
        if owner == project and len(texts) < limit:
            texts.append(text)
    return out


# The look-ups by key below name the project in their rows, not in their WHERE: given
# ``project = …`` beside a list of keys, PostgreSQL ANDs the bitmap of the project's whole
# index (every message, customer or conversation of the project) with the keys' while its
# statistics are older than the table, as a growing center's are between two analyses.
# bench_server.py at 64 connections, 7,000 contacts in: 0.6 ms of a messages look-up's
# 1.2 ms went to the project's 6,950 index entries, for 64 messages, and that grows with
# the project. Rows of another project are dropped as they are read.
_FIRST_TEXTS = bulk.PerDialect(lambda dialect: select(Message.project, Message.conversation_id, Message.text).where(
    bulk.among(Message.conversation_id, "ids", dialect), Message.direction == "in")
    .order_by(Message.conversation_id, Message.id))
_SEGMENTS = bulk.PerDialect(lambda dialect: select(Customer.project, Customer.id, Customer.segment,
                                                   Customer.auto_segment).where(
    bulk.among(Customer.id, "customers", dialect)))
_CANDIDATES = bulk.PerDialect(lambda dialect: select(
    Conversation.project, Conversation.id, Conversation.channel, Conversation.customer_id,
    Conversation.created_at_us, SuggestionRow.messages, SuggestionRow.alerted)
    .outerjoin(SuggestionRow, SuggestionRow.conversation_id == Conversation.id)
    .where(bulk.among(Conversation.id, "ids", dialect), Conversation.closed_at_us.is_(None)))
_EARLIER = bulk.PerDialect(lambda dialect: select(Conversation.customer_id, Conversation.id,
                                                  Conversation.created_at_us).where(
    Conversation.project == bindparam("project"), bulk.among(Conversation.customer_id, "customers", dialect),
    Conversation.created_at_us >= bindparam("since"), Conversation.created_at_us <= bindparam("until")))


class Started(Protocol):
    """What :func:`contact_facts` reads of a conversation: a stored one, or a
    :class:`Candidate`."""

    @property
    def id(self) -> str: ...

    @property
    def customer_id(self) -> str | None: ...

    @property
    def created_at_us(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Candidate:
    """A live conversation whose type the background suggester is to suggest, with what the
    suggestion and its alert read of it (:func:`suggestion_candidates`)."""

    id: str
    channel: str
    customer_id: str | None
    created_at_us: int
    #: The supervisors were alerted of a suspected complaint on it already.
    alerted: bool


def suggestion_candidates(session: Session, project: str, conversation_ids: Sequence[str],
                          first_messages: int) -> list[Candidate]:
    """The live conversations among these whose stored suggestion, if any, read fewer than
    ``first_messages`` customer messages — in the order given, in one query for a whole
    round of the suggester (it used to ask three times about the same conversations: which
    were open, which were done, then each slice's rows again as ORM objects)."""
    found = {}
    for owner, cid, channel, customer_id, created, read, alerted in _CANDIDATES.rows(
            session, {"ids": list(conversation_ids)}):
        if owner == project and (read is None or read < first_messages):
            found[cid] = Candidate(cid, channel, customer_id, created, bool(alerted))
    return [found[cid] for cid in dict.fromkeys(conversation_ids) if cid in found]


def contact_facts(session: Session, project: str, convs: Sequence[Started],
                  fcr_window_days: float) -> dict[str, ContactFacts]:
    """What the CRM says about each conversation's customer at its start: segment, flags in
    force, and their previous conversation within the FCR window — for many conversations
    in three queries (the background suggester takes every new contact's)."""
    out = {conv.id: ContactFacts() for conv in convs}
    known = [conv for conv in convs if conv.customer_id]
    if not known:
        return out
    customer_ids = sorted({conv.customer_id for conv in known if conv.customer_id})
    flagged = flags.kinds_of(session, project, customer_ids)
    segments = {cid: segment or auto for owner, cid, segment, auto in _SEGMENTS.rows(
        session, {"customers": customer_ids}) if owner == project}
    window = round(fcr_window_days * DAY_US)
    earlier: dict[str, list[tuple[int, str]]] = {}
    for cid, conversation_id, created in _EARLIER.rows(session, {
            "project": project, "customers": customer_ids,
            "since": min(conv.created_at_us for conv in known) - window,
            "until": max(conv.created_at_us for conv in known)}):
        earlier.setdefault(cid or "", []).append((created, conversation_id))
    for conv in known:
        customer_id = conv.customer_id or ""
        kinds = flagged.get(customer_id, ())
        candidates = [(created, cid) for created, cid in earlier.get(customer_id, ())
                      if cid != conv.id and conv.created_at_us - window <= created <= conv.created_at_us]
        previous = max(candidates) if candidates else None
        out[conv.id] = ContactFacts(customer_id, segments.get(customer_id), kinds,
                                    previous[1] if previous else None, previous[0] / 1e6 if previous else None)
    return out


# ---------------------------------------------------------------------------- results

def readable_results(project: str) -> Select[CheckResultRow]:
    return select(CheckResultRow).where(CheckResultRow.project == project)


def result_dict(row: CheckResultRow) -> dict[str, Any]:
    return {"conversation_id": row.conversation_id, "operator_id": row.operator_id, "queue": row.queue,
            "channel": row.channel, "closed_at": row.closed_at_us / 1e6, "checked_at": row.checked_at_us / 1e6,
            "score": row.score, "failed": list(row.failed), "checks": row.checks, "language": row.language}


def result_of(session: Session, project: str, conversation_id: str) -> dict[str, Any] | None:
    """The stored checks of one conversation (None: not checked yet)."""
    row = session.scalar(readable_results(project).where(CheckResultRow.conversation_id == conversation_id))
    return result_dict(row) if row is not None else None


def results_of(session: Session, project: str, conversation_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """A short summary (score, failed checks) of several conversations, by id — for lists."""
    wanted = sorted(set(conversation_ids))
    if not wanted:
        return {}
    rows = session.execute(select(CheckResultRow.conversation_id, CheckResultRow.score, CheckResultRow.failed)
                           .where(CheckResultRow.project == project, CheckResultRow.conversation_id.in_(wanted)))
    return {cid: {"score": score, "failed": list(failed)} for cid, score, failed in rows}


def flagged(session: Session, project: str, *, since_us: int, until_us: int, operator_id: str | None = None,
            operators: Sequence[str] | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Conversations closed in [since, until) that failed at least one check, worst first
    (lowest score, then newest) — what the evaluation queue proposes."""
    stmt = readable_results(project).where(CheckResultRow.failed_count > 0, CheckResultRow.closed_at_us >= since_us,
                                           CheckResultRow.closed_at_us < until_us)
    if operator_id is not None:
        stmt = stmt.where(CheckResultRow.operator_id == operator_id)
    if operators is not None:
        stmt = stmt.where(CheckResultRow.operator_id.in_(list(operators)))
    rows = session.scalars(stmt.order_by(CheckResultRow.score, CheckResultRow.closed_at_us.desc()).limit(limit))
    return [{k: v for k, v in result_dict(r).items() if k != "checks"} for r in rows]


def suggestion_dict(row: SuggestionRow) -> dict[str, Any]:
    return {"contact_type": row.contact_type, "source": row.source, "reason": row.reason,
            "confidence": row.confidence, "evidence": row.evidence, "messages": row.messages,
            "suggested_at": row.suggested_at_us / 1e6}


def suggestion_of(session: Session, project: str, conversation_id: str) -> dict[str, Any] | None:
    """The stored suggestion of a conversation's contact type (None: none made yet)."""
    row = session.scalar(select(SuggestionRow).where(SuggestionRow.project == project,
                                                     SuggestionRow.conversation_id == conversation_id))
    return suggestion_dict(row) if row is not None else None


@dataclass(frozen=True)
class Suggesting:
    """What a suggestion reads besides the conversation: the project's quality settings,
    the profile compiled from them and its trained classifier. The background suggester
    reads it once a round and hands it to every slice of the round (read per slice, it was
    about a sixth of the suggester's time at load: a settings row validated again, the
    classifier's row looked up, the profile's document serialised to find it cached)."""

    settings: QualitySettings
    profile: Profile
    model: Model | None


def suggesting_of(session: Session, project: str) -> Suggesting:
    settings = settings_of(session, project)
    return Suggesting(settings, compile_profile(settings), model_of(session, project))


#: What a suggestion reads of a conversation: the customer's first messages and the CRM's facts.
Inputs = tuple[list[str], ContactFacts]


def suggestion_inputs(session: Session, project: str, convs: Sequence[Started],
                      settings: QualitySettings) -> dict[str, Inputs]:
    """What the suggestions of these conversations read, by conversation — in four queries
    however many they are: the background suggester reads a round's conversations together
    and judges them a slice at a time (:func:`suggested`)."""
    texts = first_customer_texts(session, project, [conv.id for conv in convs], settings.first_messages)
    facts = contact_facts(session, project, convs, settings.fcr_window_days)
    return {conv.id: (texts[conv.id], facts[conv.id]) for conv in convs}


def suggested(inputs: Inputs, suggesting: Suggesting) -> tuple[Suggestion, int]:
    """The suggested type of a conversation from what it read, and how many customer
    messages that was."""
    texts, facts = inputs
    return suggest(texts, facts, suggesting.profile, suggesting.model), len(texts)


def suggestions_for(session: Session, project: str, convs: Sequence[Started],
                    suggesting: Suggesting | None = None) -> dict[str, tuple[Suggestion, int]]:
    """The suggested type of each conversation now, and how many customer messages it read."""
    suggesting = suggesting or suggesting_of(session, project)
    inputs = suggestion_inputs(session, project, convs, suggesting.settings)
    return {cid: suggested(read, suggesting) for cid, read in inputs.items()}


def suggestion_for(session: Session, project: str, conv: Conversation,
                   suggesting: Suggesting | None = None) -> tuple[Suggestion, int]:
    """:func:`suggestions_for` of one conversation."""
    return suggestions_for(session, project, [conv], suggesting)[conv.id]


def conversation_fields(session: Session, project: str, conv: Conversation) -> dict[str, Any]:
    """What a conversation's page and the desktop's wrap-up form read beside it: the
    suggested contact type (``suggested_contact_type``, with how it was told in
    ``contact_type_suggestion``; made now from the CRM and the first messages when none is
    stored) and the stored checks in short (``quality``: score and failed checks, or None)."""
    stored = suggestion_of(session, project, conv.id)
    if stored is None:
        made, read = suggestion_for(session, project, conv)
        stored = {**made.to_dict(), "messages": read, "suggested_at": None}
    return {"suggested_contact_type": stored["contact_type"], "contact_type_suggestion": stored,
            "quality": results_of(session, project, [conv.id]).get(conv.id)}
