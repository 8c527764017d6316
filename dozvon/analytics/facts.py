"""The KPI projection: the event log folded into one row per contact and each operator's busy
and available spans (the tables of :mod:`dozvon.analytics.models`), which the KPI report
(:func:`dozvon.analytics.sql_kpi.kpi_report`) reads instead of the raw log.

It is derived, never a source of truth: :func:`rebuild` makes it again from the log at any
time, and :func:`catch_up` folds what the log gained since the last fold. The fold runs
AFTER commit, never inside the ingest transaction: the report calls it before it reads (so
a report on a database with no server running is exact), and the server calls it every few
seconds (:func:`run`).

**The watermark, and commits out of order.** Each project's events carry the engine's
``seq``, gap-free within the project (a failed command reloads the engine from the database,
so its numbers are used again; an import continues the sequence). Several writers may
still commit them out of order: ``seq`` 41 can become visible after 42. So the watermark
(``kpi_watermarks.seq``) is the end of the *contiguous* run of sequence numbers seen: every
event up to it is committed and was folded; a hole stops it until the missing event
commits. A hole that stays while the log moves on by more than ``GAP_PATIENCE_US`` of its
own time (a transaction that never committed, whose number was nevertheless not used
again) is stepped over, so that a lost number cannot hold the watermark back for ever.

- **Contacts are folded idempotently.** A fold recomputes the row of every contact that
  has an event after the watermark — from *all* its events visible now, not from the new
  ones — so an event committed late is picked up by the next fold (it lies above the
  watermark, which could not pass it), and folding the same events twice changes nothing.
  A contact's row therefore follows it while it is open (answered, closed, disposed, rated
  later). Its events beyond a hole are folded too; they are folded again once it closes.
- **Operators are replayed in order.** A span depends on everything before it (the count
  of contacts an operator holds), so operators' events are folded only up to the watermark
  (never past a hole), in (at_us, seq) order, from each operator's cursor (its count, its
  state, its open spans). An event older than the cursor (a log whose instants do not follow
  its sequence numbers) makes that operator's spans be replayed again from the start.
- **What depends on later contacts is not frozen.** FCR ("did the customer arrive again
  within 7 days?") and "recovered" ("was the customer answered within 24 h of
  abandoning?"), like the service-level target of events that recorded none and the report's
  own default target, are computed when the report runs: the row keeps the customer, the
  instants and the first queueing they need.
- **Customers merged and erased.** A merge (``dozvon.crm.actions.do_merge_customers``)
  does not rewrite logged events: they keep the ``customer_id`` they were logged with, and
  so does the projection, which only copies it (``events.customer_id``). Erasure
  (``dozvon.crm.privacy``) blanks texts, authors, comments and names in events' data — none
  of which the projection holds — and never deletes events. Neither can make it stale; and
  :func:`rebuild` is always at hand.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Engine,
    Table,
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import ColumnElement, Select

from dozvon.analytics.models import KpiContactRow, KpiOperatorCursorRow, KpiOperatorSpanRow, KpiWatermarkRow
from dozvon.core import bulk, pacing, tracing
from dozvon.core.db import SQLITE_ANALYSIS_LIMIT
from dozvon.eventlog.models import EventRecord

DAY_US = 86_400 * 1_000_000
#: A hole in the sequence numbers is stepped over once the log went on this long after it.
GAP_PATIENCE_US = 10 * 60 * 1_000_000
#: The events of a contact its facts are made of (besides its ``contact.arrived``).
CONTACT_FACT_TYPES = ("contact.queued", "contact.answered", "contact.abandoned", "contact.closed",
                      "contact.disposition", "offer.timed_out", "message.received", "message.sent", "csat.rated")
#: Sequence numbers folded per transaction on SQLite (about a second of its write lock).
SQLITE_CHUNK = 100_000
#: The server's round on PostgreSQL rests after each step as long as the step took
#: (``pacing.Pacer``): each statement keeps one of the database's cores busy, which the
#: ingest's statements beside it wait for. Not on SQLite, whose fold runs in this process
#: and holds the database's only write lock for its whole transaction: a rest there would
#: hold every writer back for longer.
FOLD_REST = 1.0
#: Spans read at once when they are written (bounded memory for a first fold of a big log).
SPAN_BATCH = 50_000


# ----------------------------------------------------------------------------- the contacts

def contact_aggregate(e: Any, where: ColumnElement[bool]) -> Select[Any]:
    """One row per (project, contact) of the events ``where`` selects (of CONTACT_FACT_TYPES):
    its first queueing (by seq), first answer, abandon, close, RONA, last disposition (by
    seq), first messages, survey — the definitions of docs/kpi.md. A contact has at most one
    first answer, abandon and close."""

    def of(type_: str, value: Any, *also: ColumnElement[bool]) -> ColumnElement[Any]:
        return case((and_(e.type == type_, *also), value))

    first_answer = or_(e.data["first"].as_boolean().is_(None), e.data["first"].as_boolean())
    operators_reply = or_(e.data["auto"].as_boolean().is_(None), e.data["auto"].as_boolean().is_(False))
    return (
        select(e.project, e.contact_id,
               func.min(of("contact.queued", e.seq)).label("queued_seq"),
               func.min(of("contact.answered", e.operator_id, first_answer)).label("operator_id"),
               func.min(of("contact.answered", e.data["wait_s"].as_float(), first_answer)).label("answer_wait_s"),
               func.min(of("contact.answered", func.coalesce(e.data["ring_s"].as_float(), 0.0), first_answer))
               .label("ring_s"),
               func.min(of("contact.abandoned", e.at_us)).label("abandoned_at_us"),
               func.min(of("contact.abandoned", e.data["wait_s"].as_float())).label("abandon_wait_s"),
               func.max(of("contact.closed", 1)).label("closed"),
               func.max(of("contact.closed", case((e.data["answered"].as_boolean(), 1), else_=0)))
               .label("was_answered"),
               func.min(of("contact.closed", e.data["talk_s"].as_float())).label("talk_s"),
               func.min(of("contact.closed", func.coalesce(e.data["hold_s"].as_float(), 0.0))).label("hold_s"),
               func.min(of("contact.closed", func.coalesce(e.data["wrap_s"].as_float(), 0.0))).label("wrap_s"),
               func.count(of("offer.timed_out", 1)).label("rona"),
               func.max(of("contact.disposition", e.seq)).label("disposition_seq"),
               # Text channels: the customer's first message and the operator's first reply
               # (automatic messages — a welcome, an out-of-hours reply — are no response).
               func.min(of("message.received", e.at_us)).label("first_in_us"),
               func.min(of("message.sent", e.at_us, operators_reply)).label("first_out_us"),
               # The customer survey after the contact (one answer per contact).
               func.max(of("csat.rated", e.data["score"].as_integer())).label("csat_score"))
        .where(where)
        .group_by(e.project, e.contact_id)
    )


_CONTACT_COLUMNS = ("project", "contact_id", "arrived_seq", "at_us", "channel", "source", "segment", "customer_id",
                    "queue", "queued_seq", "queued_at_us", "target_s", "operator_id", "answer_wait_s", "ring_s",
                    "abandoned_at_us", "abandon_wait_s", "closed", "was_answered", "talk_s", "hold_s", "wrap_s",
                    "rona", "disposition_seq", "resolved", "first_in_us", "first_out_us", "csat_score")
#: Contacts folded per statement when they are named (an incremental fold).
CONTACTS_PER_STATEMENT = 2_000
#: The same in the server's paced round, where each statement's stretch must stay short:
#: a statement of 200 keeps PostgreSQL's core busy ~5 ms under a burst of new contacts
#: (pg_stat_statements), and on SQLite the list is rendered as a parameter per contact.
PACED_CONTACTS_PER_STATEMENT = 200


def _contact_rows(project: Any, named: ColumnElement[bool] | None = None) -> Select[Any]:
    """The projection's rows of the contacts ``named`` selects (None: of every contact), from
    all their events: ONE grouped read — the arrival is folded in with the rest (no join of
    two grouped sets that a planner without fresh statistics could turn into a loop over
    both) — then the first queueing and the last disposition looked up by their sequence
    numbers. ``project``: the project's slug, or a bind parameter (:data:`_NAMED_ROWS`)."""
    e = EventRecord
    where = and_(e.project == project, e.type.in_(("contact.arrived", *CONTACT_FACT_TYPES)),
                 *([named] if named is not None else []))

    def arrival(value: Any) -> ColumnElement[Any]:
        return func.min(case((e.type == "contact.arrived", value)))

    contact = (contact_aggregate(e, where)
               .add_columns(arrival(e.seq).label("arrived_seq"), arrival(e.at_us).label("at_us"),
                            arrival(e.channel).label("channel"), arrival(e.data["source"].as_string()).label("source"),
                            arrival(e.data["segment"].as_string()).label("segment"),
                            arrival(e.customer_id).label("customer_id"))
               .having(arrival(e.seq).is_not(None))
               .subquery("contact"))
    c = contact.c
    queued = aliased(EventRecord, name="queued")
    disposition = aliased(EventRecord, name="disposition")
    return (
        select(c.project, c.contact_id, c.arrived_seq, c.at_us, c.channel, c.source, c.segment, c.customer_id,
               queued.queue, c.queued_seq, queued.at_us, queued.data["target_answer_s"].as_float(),
               c.operator_id, c.answer_wait_s, c.ring_s, c.abandoned_at_us, c.abandon_wait_s, c.closed,
               c.was_answered, c.talk_s, c.hold_s, c.wrap_s, c.rona, c.disposition_seq,
               disposition.data["resolved"].as_boolean(), c.first_in_us, c.first_out_us, c.csat_score)
        .select_from(contact)
        .outerjoin(queued, and_(queued.project == project, queued.seq == c.queued_seq,
                                queued.type == "contact.queued"))
        .outerjoin(disposition, and_(disposition.project == project, disposition.seq == c.disposition_seq,
                                     disposition.type == "contact.disposition"))
    )


def _named_rows(dialect: str) -> Select[Any]:
    return _contact_rows(bindparam("project"), bulk.among(EventRecord.contact_id, "ids", dialect))


#: :func:`_contact_rows` of the contacts named in the list parameter ``ids`` (on PostgreSQL
#: one array), and their insert, built once per dialect. Built at each step of a fold (a
#: grouped read, two aliased look-ups, a subquery), with the 200 contacts rendered as as
#: many parameters that psycopg then parsed, a step cost the fold's thread ~6 ms of CPU:
#: under a burst of new contacts the follower process's CPU was 0.085 ms a contact, 0.056
#: with the statement built once (bench_server.py, two alternated runs).
_NAMED_ROWS = bulk.PerDialect(_named_rows)
_KPI_CONTACTS: Table = KpiContactRow.__table__  # type: ignore[assignment]
_FOLD_NAMED = bulk.PerDialect(lambda dialect: insert(_KPI_CONTACTS).from_select(
    list(_CONTACT_COLUMNS), _named_rows(dialect)))


def _fold_contacts(session: Session, project: str, after_seq: int | None, upto_seq: int | None = None) -> int:
    """Recompute the rows of the contacts touched in (``after_seq``, ``upto_seq``] (None:
    every contact's; no end: all after it) from all their events: delete, then insert. The
    contacts touched are read first and named (a few hundred at a time), so that the fold
    reads their events through ``ix_events_project_contact`` whatever the planner's
    statistics say — never the whole log."""
    if after_seq is None:
        session.execute(delete(KpiContactRow).where(KpiContactRow.project == project))
        everyone = _contact_rows(project)
        result = session.execute(insert(KpiContactRow).from_select(list(_CONTACT_COLUMNS), everyone))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
    folded = 0
    touched = _touched(session, project, after_seq, upto_seq)
    # Their old rows go first, 2,000 contacts a statement even in the paced round: on
    # PostgreSQL a list of ids is one array parameter (nothing rendered per contact), and
    # each DELETE may read the whole table, however few contacts it names — the planner
    # prefers testing every row against the list to probing the primary key while the
    # table holds fewer than some 30,000–50,000 rows, or while its statistics are older
    # than its rows (a new center's). At 25,000 rows a DELETE of 200 contacts kept
    # PostgreSQL's core busy 4–37 ms, and the server's round sent twenty-odd of them every
    # 10 s, beside the ingest (bench_server.py). One transaction: no row is seen missing.
    _delete_rows(session, project, touched)
    for ids in _steps(touched):
        result = session.connection().execute(_FOLD_NAMED.of(session), {"project": project, "ids": ids})
        folded += int(result.rowcount or 0)
    return folded


#: The projection's rows of the contacts named in ``ids`` (a list parameter: :func:`bulk.among`).
_DELETE_ROWS = bulk.PerDialect(lambda dialect: delete(KpiContactRow).where(
    KpiContactRow.project == bindparam("project"), bulk.among(KpiContactRow.contact_id, "ids", dialect)))


def _delete_rows(session: Session, project: str, contact_ids: list[str]) -> None:
    """Delete these contacts' rows, :data:`CONTACTS_PER_STATEMENT` at a time (paced)."""
    for start in range(0, len(contact_ids), CONTACTS_PER_STATEMENT):
        pacing.pace()
        session.execute(_DELETE_ROWS.of(session), {"project": project,
                                                   "ids": contact_ids[start:start + CONTACTS_PER_STATEMENT]})


def _touched(session: Session, project: str, after_seq: int, upto_seq: int | None) -> list[str]:
    """The contacts with a fact event in (``after_seq``, ``upto_seq``] (no end: all after it)."""
    e = EventRecord
    return sorted({contact_id for contact_id in session.scalars(
        select(e.contact_id).where(e.project == project, e.seq > after_seq, e.contact_id.is_not(None),
                                   e.type.in_(("contact.arrived", *CONTACT_FACT_TYPES)),
                                   *([e.seq <= upto_seq] if upto_seq is not None else []))) if contact_id is not None})


def _steps(contact_ids: list[str]) -> Iterator[list[str]]:
    """The contacts a statement at a time (fewer in the server's paced round)."""
    step = PACED_CONTACTS_PER_STATEMENT if pacing.active() else CONTACTS_PER_STATEMENT
    for start in range(0, len(contact_ids), step):
        pacing.pace()
        yield contact_ids[start:start + step]


# ----------------------------------------------------------------------------- the operators

@dataclass(slots=True)
class Cursor:
    """Where an operator's replay stands: the last folded event and what it left open."""

    at_us: int
    seq: int
    holding: int = 0
    busy_since_us: int | None = None
    state: str | None = None
    available_since_us: int | None = None


def _operator_events(project: str) -> Select[Any]:
    """The events that move operators' spans, with what they do: ``delta`` +1 (answered) or
    −1 (transferred, or closed after an answer — not by a transfer outside); or a state
    change (``is_change``, the state ``to``). The definitions of occupancy (docs/kpi.md)."""
    e = EventRecord
    closes = and_(e.type == "contact.closed", e.data["answered"].as_boolean().is_(True),
                  or_(e.data["outcome"].as_string().is_(None), e.data["outcome"].as_string() != "transferred_external"))
    move = or_(e.type == "contact.answered", e.type == "contact.transferred", closes)
    change = e.type == "operator.state_changed"
    return (select(e.operator_id, e.at_us, e.seq, case((e.type == "contact.answered", 1), else_=-1).label("delta"),
                   case((change, 1), else_=0).label("is_change"),
                   case((change, e.data["to"].as_string())).label("state"))
            .where(e.project == project, e.operator_id.is_not(None), or_(move, change)))


def replay(cursor: Cursor, events: Iterable[Sequence[Any]],
           emit: Any) -> Cursor:
    """Run one operator's events (at_us, seq, delta, is_change, state) — in (at_us, seq)
    order, after the cursor — through its running count and state; ``emit(busy, start,
    end)`` each span that closes (busy: holding > 0; available: in the ``available`` state).
    Empty spans are not emitted (they weigh nothing)."""
    for at_us, seq, delta, is_change, state in events:
        if is_change:
            if state == "available":
                if cursor.available_since_us is None:
                    cursor.available_since_us = at_us
            elif cursor.available_since_us is not None:
                if at_us > cursor.available_since_us:
                    emit(0, cursor.available_since_us, at_us)
                cursor.available_since_us = None
            cursor.state = state
        else:
            before = cursor.holding
            cursor.holding = before + delta
            if before <= 0 < cursor.holding:
                cursor.busy_since_us = at_us
            elif before > 0 >= cursor.holding:
                if cursor.busy_since_us is not None and at_us > cursor.busy_since_us:
                    emit(1, cursor.busy_since_us, at_us)
                cursor.busy_since_us = None
        cursor.at_us, cursor.seq = at_us, seq
    return cursor


class _SpanWriter:
    """The spans a fold makes, written ``SPAN_BATCH`` at a time (``stream``: bounded memory
    for a first fold of a big log), or all kept for :meth:`flush` (a SQLite read-ahead)."""

    def __init__(self, session: Session, project: str, stream: bool = True) -> None:
        self.session, self.project, self.stream = session, project, stream
        self.rows: list[dict[str, Any]] = []
        self.written = 0

    def add(self, operator_id: str, busy: int, start_us: int, end_us: int | None) -> None:
        self.rows.append({"project": self.project, "operator_id": operator_id, "busy": busy, "start_us": start_us,
                          "end_us": end_us, "long_span": end_us is None or end_us - start_us > DAY_US})
        if self.stream and len(self.rows) >= SPAN_BATCH:
            self.flush(self.session)

    def flush(self, session: Session) -> None:
        for start in range(0, len(self.rows), SPAN_BATCH):
            session.execute(insert(KpiOperatorSpanRow), self.rows[start:start + SPAN_BATCH])
        self.written += len(self.rows)
        self.rows = []


def _by_operator(rows: Iterable[Any]) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
    current: str | None = None
    batch: list[tuple[Any, ...]] = []
    for operator_id, at_us, seq, delta, is_change, state in rows:
        if operator_id != current:
            if current is not None:
                yield current, batch
            current, batch = operator_id, []
        batch.append((at_us, seq, delta, is_change, state))
    if current is not None:
        yield current, batch


@dataclass(slots=True)
class _OperatorFold:
    """What a fold of the operators writes: the open spans of ``touched`` and every span of
    ``replayed`` (replayed from the start) deleted, then ``spans`` and the ``cursors``."""
    touched: list[str]
    replayed: list[str]
    spans: _SpanWriter
    cursors: dict[str, Cursor]

    def delete_old(self, session: Session, project: str) -> None:
        """The spans the new ones replace, deleted (once: the lists are emptied)."""
        span = KpiOperatorSpanRow
        if self.touched:
            session.execute(delete(span).where(span.project == project, span.operator_id.in_(self.touched),
                                               span.end_us.is_(None)))
        if self.replayed:
            session.execute(delete(span).where(span.project == project, span.operator_id.in_(self.replayed)))
        self.touched, self.replayed = [], []

    def write(self, session: Session, project: str) -> int:
        """The writes not done yet (all of them, unless the spans streamed); spans written."""
        self.delete_old(session, project)
        self.spans.flush(session)
        _save_cursors(session, project, self.cursors)
        return self.spans.written


def _fold_operators(session: Session, project: str, after_seq: int, upto_seq: int) -> int:
    """Replay the operators' events in (after_seq, upto_seq] from their cursors; an operator
    whose new events go back before its cursor is replayed from the start."""
    return _replay_operators(session, project, after_seq, upto_seq, stream=True).write(session, project)


def _replay_operators(session: Session, project: str, after_seq: int, upto_seq: int,
                      stream: bool) -> _OperatorFold:
    """:func:`_fold_operators`' reads and replay, its writes left to :meth:`_OperatorFold.write`
    — but with ``stream``, which bounds the memory of a big first fold, the spans are
    written as they come (``SPAN_BATCH`` at a time), each after the deletes it must follow."""
    e = EventRecord
    cursors = {row.operator_id: Cursor(row.at_us, row.seq, row.holding, row.busy_since_us, row.state,
                                       row.available_since_us)
               for row in session.scalars(select(KpiOperatorCursorRow).where(KpiOperatorCursorRow.project == project))}
    new = _operator_events(project).where(e.seq > after_seq, e.seq <= upto_seq)
    stale: set[str] = set()
    pending: dict[str, list[tuple[Any, ...]]] = {}
    for operator_id, batch in _by_operator(session.execute(new.order_by(e.operator_id, e.at_us, e.seq))):
        pacing.pace()
        cursor = cursors.get(operator_id)
        if cursor is not None and (batch[0][0], batch[0][1]) <= (cursor.at_us, cursor.seq):
            stale.add(operator_id)
        else:
            pending[operator_id] = batch
    spans = _SpanWriter(session, project, stream=stream)
    fold = _OperatorFold(sorted(pending), sorted(stale), spans, {})
    if stream:  # the deletes first, before any span is written
        fold.delete_old(session, project)
    folded = fold.cursors
    for operator_id in sorted(pending):
        pacing.pace()
        batch = pending[operator_id]
        cursor = cursors.get(operator_id) or Cursor(batch[0][0], batch[0][1])
        folded[operator_id] = replay(cursor, batch, lambda busy, s, t, o=operator_id: spans.add(o, busy, s, t))
    if stale:  # replayed from the start: everything of theirs up to the watermark, in order
        everything = _operator_events(project).where(e.operator_id.in_(sorted(stale)), e.seq <= upto_seq)
        for operator_id, batch in _by_operator(session.execute(everything.order_by(e.operator_id, e.at_us, e.seq))):
            folded[operator_id] = replay(Cursor(batch[0][0], batch[0][1]), batch,
                                         lambda busy, s, t, o=operator_id: spans.add(o, busy, s, t))
    for operator_id, cursor in folded.items():
        if cursor.busy_since_us is not None:
            spans.add(operator_id, 1, cursor.busy_since_us, None)
        if cursor.available_since_us is not None:
            spans.add(operator_id, 0, cursor.available_since_us, None)
    return fold


def _save_cursors(session: Session, project: str, cursors: dict[str, Cursor]) -> None:
    if not cursors:
        return
    names = sorted(cursors)
    for start in range(0, len(names), 1000):
        chunk = names[start:start + 1000]
        session.execute(delete(KpiOperatorCursorRow).where(KpiOperatorCursorRow.project == project,
                                                           KpiOperatorCursorRow.operator_id.in_(chunk)))
    session.execute(insert(KpiOperatorCursorRow), [
        {"project": project, "operator_id": name, "at_us": c.at_us, "seq": c.seq, "holding": c.holding,
         "busy_since_us": c.busy_since_us, "state": c.state, "available_since_us": c.available_since_us}
        for name, c in cursors.items()])


# ----------------------------------------------------------------------------- the watermark

def _lock_watermark(session: Session, project: str) -> int:
    """The project's watermark, its row locked for this transaction (one fold at a time per
    project: a report's and the server's folds wait for each other instead of colliding)."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect_insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(dialect_insert(KpiWatermarkRow).values(project=project, seq=0)
                    .on_conflict_do_nothing(index_elements=["project"]))
    # An UPDATE takes the row's lock on PostgreSQL and the write lock on SQLite at once.
    session.execute(update(KpiWatermarkRow).where(KpiWatermarkRow.project == project)
                    .values(seq=KpiWatermarkRow.seq))
    return int(session.scalar(select(KpiWatermarkRow.seq).where(KpiWatermarkRow.project == project)) or 0)


def contiguous_end(session: Session, project: str, after_seq: int, limit: int | None = None,
                   patience_us: int | None = None) -> tuple[int, int]:
    """(the end of the contiguous run of committed sequence numbers after ``after_seq`` — at
    most ``limit`` numbers on —, the highest visible one). A hole is stepped over only when
    the log's newest event is more than ``patience_us`` (``GAP_PATIENCE_US``) later than the
    first event after the hole."""
    patience_us = GAP_PATIENCE_US if patience_us is None else patience_us
    e = EventRecord
    low, top, count = session.execute(select(func.min(e.seq), func.max(e.seq), func.count())
                                      .where(e.project == project, e.seq > after_seq)).one()
    if not count:
        return after_seq, after_seq
    base = after_seq if after_seq > 0 else int(low) - 1  # a log may begin above 1 (a project's own numbering)
    high = int(top) if limit is None else min(int(top), base + limit)
    if count == top - base or (limit is not None and session.scalar(
            select(func.count()).where(e.project == project, e.seq > base, e.seq <= high)) == high - base):
        return high, int(top)
    newest = int(session.scalar(select(func.max(e.at_us)).where(e.project == project)) or 0)
    following = aliased(EventRecord, name="following")
    while base < high:
        present = session.scalar(select(e.seq).where(e.project == project, e.seq == base + 1))
        if present is None:  # a hole right after base: wait for it, unless it is long lost
            after_hole = session.execute(select(e.seq, e.at_us).where(e.project == project, e.seq > base)
                                         .order_by(e.seq).limit(1)).one()
            if newest - int(after_hole[1]) <= patience_us:
                return base, int(top)
            base = int(after_hole[0]) - 1
            continue
        run_end = session.scalar(
            select(func.min(e.seq)).where(e.project == project, e.seq > base, e.seq <= high,
                                          ~exists().where(following.project == project, following.seq == e.seq + 1)))
        base = int(run_end) if run_end is not None else high
    return min(base, high), int(top)


# ----------------------------------------------------------------------------- folding

@dataclass(frozen=True, slots=True)
class Folded:
    watermark: int
    contacts: int
    spans: int
    more: bool = False


def catch_up_in(session: Session, project: str, limit: int | None = None) -> Folded:
    """Fold what the project's log gained since the watermark, in the caller's transaction —
    at most ``limit`` sequence numbers (None: all; the first fold of a whole log is then one
    grouped read of it). ``Folded.more``: a next call has more to fold."""
    after = _lock_watermark(session, project)
    upto, top = contiguous_end(session, project, after, limit)
    if top <= after:
        return Folded(after, 0, 0)  # nothing new
    fresh = limit is None and after == 0 and session.scalar(
        select(func.count()).select_from(KpiContactRow).where(KpiContactRow.project == project)) == 0
    postgresql = session.get_bind().dialect.name == "postgresql"
    if postgresql:
        session.execute(text("SET LOCAL jit = off"))
        session.execute(text(f"SET LOCAL work_mem = '{'256MB' if fresh else '64MB'}'"))
    # The last chunk (or the only one) also folds the contacts of the events beyond a hole.
    chunk_end = None if limit is None or after + limit >= top else upto
    contacts = _fold_contacts(session, project, None if fresh else after, chunk_end)
    spans = _fold_operators(session, project, after, upto) if upto > after else 0
    if upto != after:
        session.execute(update(KpiWatermarkRow).where(KpiWatermarkRow.project == project).values(seq=upto))
    if fresh or (after == 0 and not postgresql):
        # Planner statistics for the tables just filled (a first fold of a long log): without
        # them the report's plans guess one row where there are a month's.
        if not postgresql:
            session.execute(text(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}"))
        for table in ("kpi_contacts", "kpi_operator_spans"):
            session.execute(text(f"ANALYZE {table}"))
    return Folded(upto, contacts, spans, more=chunk_end is not None and upto > after)


# ----------------------------------------------------------------------------- SQLite: read first

@dataclass(frozen=True, slots=True)
class _ReadAhead:
    """What a SQLite fold read and computed before it took the write lock — the touched
    contacts' rows and the operators' replay — and the watermark and range it was for."""
    after: int
    upto: int
    chunk_end: int | None
    touched: list[str]
    rows: list[tuple[Any, ...]]
    operators: _OperatorFold | None


#: A row of ``kpi_contacts`` as :func:`_contact_rows` reads it, for SQLite's driver.
_INSERT_CONTACT_ROWS = (f"INSERT INTO kpi_contacts ({', '.join(_CONTACT_COLUMNS)}) "
                        f"VALUES ({', '.join('?' * len(_CONTACT_COLUMNS))})")


def _read_ahead(bind: Engine, project: str, limit: int | None) -> _ReadAhead | None:
    """On SQLite, the costly part of a fold — the grouped read of the touched contacts'
    events (some 0.1 ms of CPU a contact) and the operators' replay — done before the write
    transaction, which SQLite allows beside the writers (WAL; the driver begins no
    transaction for a read). Inside the transaction the fold then only writes what was
    read: a round after 10 s at 500 contacts/s held the database's only write lock for
    0.2–0.3 s with the reads inside, and the ingest waited that long (the slowest 1 % of
    ingest → offer, bench_server.py).

    Sound because the rows are computed from every event visible at the read, and that
    includes every event up to ``upto`` (the end of the contiguous run then): an event
    committed later has a higher sequence number than the watermark the write leaves, so
    the next fold recomputes its contact. None: the usual way under the lock — a first fold
    (one grouped read of the whole log), or nothing to fold."""
    from dozvon.core.db import session_factory

    with session_factory(bind)() as session:
        after = session.scalar(select(KpiWatermarkRow.seq).where(KpiWatermarkRow.project == project))
        if not after:
            return None
        upto, top = contiguous_end(session, project, after, limit)
        if top <= after:
            return None
        chunk_end = None if limit is None or after + limit >= top else upto
        touched = _touched(session, project, after, chunk_end)
        rows = [tuple(row) for ids in _steps(touched)
                for row in _NAMED_ROWS.rows(session, {"project": project, "ids": ids})]
        operators = _replay_operators(session, project, after, upto, stream=False) if upto > after else None
    return _ReadAhead(after, upto, chunk_end, touched, rows, operators)


def _write_read_ahead(session: Session, project: str, read: _ReadAhead) -> Folded | None:
    """The fold of ``read`` in the caller's write transaction; None (nothing written) when
    another fold moved the watermark since the read — the caller then folds the usual way
    (the operators' cursors, read with the rest, are then stale too)."""
    if _lock_watermark(session, project) != read.after:
        return None
    _delete_rows(session, project, read.touched)
    if read.rows:  # the values as read, straight to the driver: no work per row under the lock
        session.connection().exec_driver_sql(_INSERT_CONTACT_ROWS, read.rows)
    spans = read.operators.write(session, project) if read.operators is not None else 0
    if read.upto != read.after:
        session.execute(update(KpiWatermarkRow).where(KpiWatermarkRow.project == project).values(seq=read.upto))
    return Folded(read.upto, len(read.rows), spans, more=read.chunk_end is not None and read.upto > read.after)


def chunk_for(bind: Engine | Any) -> int | None:
    """Sequence numbers per fold transaction: SQLite has one write lock for the whole
    database, which a fold of a long log (the first one) must not hold for long — the ingest
    waits behind it; PostgreSQL folds beside the writers, in one transaction."""
    return None if bind.dialect.name == "postgresql" else SQLITE_CHUNK


def catch_up(bind: Engine, projects: Sequence[str]) -> list[Folded]:
    """Fold each project's new events, each project in transactions of its own, committed;
    the last fold of each project that had any."""
    from dozvon.core.db import session_factory

    out = []
    for project in projects:
        if not _behind(bind, project):
            continue
        while True:
            limit = chunk_for(bind)
            read = _read_ahead(bind, project, limit) if bind.dialect.name == "sqlite" else None
            with session_factory(bind).begin() as session:
                written = _write_read_ahead(session, project, read) if read is not None else None
                folded = written if written is not None else catch_up_in(session, project, limit)
            if not folded.more:
                break
        out.append(folded)
    return out


def _behind(bind: Engine, project: str) -> bool:
    """Whether the log has events above the watermark — read without taking any lock, so
    that the server's rounds write nothing while nothing happens."""
    with bind.connect() as connection:
        mark = connection.scalar(select(KpiWatermarkRow.seq).where(KpiWatermarkRow.project == project))
        top = connection.scalar(select(func.max(EventRecord.seq)).where(EventRecord.project == project))
    return top is not None and (mark is None or top > mark)


def catch_up_for(session: Session, projects: Sequence[str]) -> None:
    """The report's fold before it reads: committed on its own when the session's database
    allows it (the usual case: a session that has not written), else inside the caller's
    transaction (a SQLite session with writes of its own holds the database's only write
    lock; PostgreSQL sessions bound to a connection)."""
    bind = session.get_bind()
    if isinstance(bind, Engine) and not _holds_sqlite_write_lock(session):
        catch_up(bind, projects)
        return
    with session.begin_nested():
        for project in projects:
            while catch_up_in(session, project).more:
                pass


def _holds_sqlite_write_lock(session: Session) -> bool:
    if session.get_bind().dialect.name != "sqlite" or not session.in_transaction():
        return False
    with contextlib.suppress(Exception):
        raw = session.connection().connection.dbapi_connection
        return bool(getattr(raw, "in_transaction", False))
    return False


def rebuild(bind: Engine, project: str) -> Folded:
    """The project's projection made again from its whole log (what a fold keeps it equal to)."""
    from dozvon.core.db import session_factory

    with session_factory(bind).begin() as session:
        _lock_watermark(session, project)
        for model in (KpiContactRow, KpiOperatorSpanRow, KpiOperatorCursorRow):
            session.execute(delete(model).where(model.project == project))
        session.execute(update(KpiWatermarkRow).where(KpiWatermarkRow.project == project).values(seq=0))
        return catch_up_in(session, project)


# ----------------------------------------------------------------------------- the server

def fold_round(db: Engine) -> int:
    """One round of the server's loop: every project's new events folded; how many projects
    had any. Paced (``core.pacing``): a round after 10 s at 500 contacts/s folds some 25,000
    events, over 100 ms of CPU that in one stretch held the interpreter's lock and stretched
    the ingest batches beside it (the slowest 1 % of ingest → offer, bench_server.py's
    trace) — on PostgreSQL the round now runs in the server's follower process
    (:mod:`dozvon.server.followers`), where the pause still leaves the database's core to
    the ingest. Folding in slices of sequence numbers instead cost three times the CPU."""
    from dozvon.accounts.models import Project

    with db.connect() as connection:
        projects = list(connection.scalars(select(Project.slug).order_by(Project.slug)))
    folded = 0
    with tracing.busy("kpi_fold"):
        for project in projects:
            try:
                with pacing.paced(rest=FOLD_REST if db.dialect.name == "postgresql" else 0.0):
                    folded += len(catch_up(db, [project]))
            except Exception as error:  # a busy database now: the next round tries again
                print(f"dozvon: KPI facts of {project!r} failed: {error!r}", flush=True)
    return folded


def follow(db: Engine, every_s: float = 10.0) -> None:
    """:func:`fold_round` every ``every_s`` seconds, for ever (the follower process's thread)."""
    import time

    while True:
        _fold_safely(db)
        time.sleep(every_s)


def _fold_safely(db: Engine) -> None:
    try:
        fold_round(db)
    except Exception as error:  # the database away for a moment: the next round tries again
        print(f"dozvon: KPI facts round failed: {error!r}", flush=True)


async def run(db: Engine, every_s: float = 10.0) -> None:
    """The server's loop in its own threads (SQLite): every few seconds, every project's new
    events folded (in a worker thread, each project in its own transaction), so that a
    report finds little to fold."""
    import anyio.to_thread

    while True:
        await anyio.to_thread.run_sync(_fold_safely, db)
        await asyncio.sleep(every_s)
