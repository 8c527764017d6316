"""The server's background checker: every closed conversation is checked, and the type of
every new text contact suggested, soon after the commit — never in the request that
closed it or brought the message.

It follows each project's event log with a cursor of its own (``quality_cursors``):
``contact.closed`` events lead to the checks (:func:`~dozvon.quality.actions.check_conversations`),
``message.received`` ones (while the customer's first messages come in) to the suggestions
(:func:`~dozvon.quality.actions.suggest_quietly`). A cursor moves only after the work of
its events is stored, so a restart or a failed round repeats work (which is idempotent)
rather than losing it. A project first seen starts a day back (older history is checked
on request: ``dozvon qa run``).

The rounds read and judge without the project's engine; what must go through it — the
checks' results with their ``quality.checked`` events, a suspected complaint's alert and
move — they hand to a :class:`Writes`. In the server's own threads (:class:`QualityWorker`,
SQLite) that is the engine itself (:class:`LocalWrites`); on PostgreSQL the rounds run in
the server's follower process (:mod:`dozvon.server.followers`) and hand it back to the
server over a pipe.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import anyio.to_thread
from sqlalchemy import Row, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from dozvon.accounts.models import Project
from dozvon.acd.service import RouterService
from dozvon.core import tracing
from dozvon.eventlog import repository as eventlog
from dozvon.eventlog.models import EventRecord
from dozvon.quality import actions, queries
from dozvon.quality.models import CursorRow
from dozvon.routing.events import RoutingEvent

if TYPE_CHECKING:
    from dozvon.server.hub import Hub

CLOSED, SUGGEST = "closed", "suggest"
#: Closed contacts read per project per round (a backlog drains over a few rounds).
BATCH = 200
#: Messages read per project per round: only their numbers and conversations, so that the
#: suggester keeps up with thousands of chat messages a second — 200 whole events a round
#: (every 0.5 s at load) drained 400 a second, and under a burst of chat the alerts of
#: suspected complaints fell minutes behind.
SUGGEST_BATCH = 5000
#: A project first seen is followed from this far back.
START_BACK_US = 86_400 * 1_000_000
#: The events after whose commit the rounds have work.
WAKING = frozenset({"contact.closed", "message.received"})
#: Conversations suggested per transaction, and the pause between two. A round at 500 new
#: chats a second suggests some 250 of them: in one stretch that held the interpreter's
#: lock for 30–50 ms of CPU, and every ingest batch beside it waited for the lock after each
#: of its database round trips (the slowest 1 % of ingest → offer, bench_server.py's trace).
SUGGEST_SLICE = 64
SLICE_PAUSE_S = 0.005
#: Conversations whose messages and CRM facts are read together, before their slices are
#: judged. Read a slice at a time, the suggester's look-ups cost PostgreSQL ~45 µs a new
#: contact: for 64 keys the planner reads (or ANDs the bitmap of) much of a table that has
#: not outgrown 64 index probes, and plans each statement again; read together, a few µs.
SUGGEST_READ = 1000


class DatabaseAway(Exception):
    """The server could not store what a round handed it because the database is away: the
    round's cursor stays, the next round tries again (as with an ``OperationalError``)."""


class Writes(Protocol):
    """What a round hands to the project's engine."""

    def store_checks(self, project: str, checked: Sequence[actions.Checked], upto: int | None = None) -> None:
        """Store these checks and log ``quality.checked`` for each, in one transaction —
        which also moves the checker's cursor to ``upto`` when given, so that a checker that
        dies after the commit never checks (and announces) them again."""

    def suggest(self, project: str, conversation_ids: Sequence[str]) -> int:
        """:func:`~dozvon.quality.actions.do_suggest` each (a suspected complaint: alert,
        perhaps move); one that fails is reported and skipped. How many were suggested."""


class LocalWrites:
    """:class:`Writes` through the engines of this process (``service``: a project's)."""

    def __init__(self, service: Callable[[str], RouterService]) -> None:
        self.service = service

    def store_checks(self, project: str, checked: Sequence[actions.Checked], upto: int | None = None) -> None:
        actions.store_checked(self.service(project), checked,
                              also=None if upto is None else lambda session: advance_in(session, project, CLOSED, upto))

    def suggest(self, project: str, conversation_ids: Sequence[str]) -> int:
        svc, made = self.service(project), 0
        for cid in conversation_ids:
            try:
                actions.do_suggest(svc, cid)
                made += 1
            except OperationalError:
                raise  # the database is away: the round's cursor stays
            except Exception as error:  # one contact's failure must not stop the others'
                print(f"dozvon: the contact type of {cid!r} was not suggested: {error!r}", flush=True)
        return made


def _cursor(session: Session, project: str, name: str, now_us: int) -> CursorRow:
    row = session.get(CursorRow, (project, name))
    if row is None:
        first = session.scalar(select(func.min(EventRecord.seq)).where(
            EventRecord.project == project, EventRecord.at_us >= now_us - START_BACK_US))
        last = session.scalar(select(func.max(EventRecord.seq)).where(EventRecord.project == project))
        row = CursorRow(project=project, name=name, after_seq=(first - 1) if first is not None else (last or 0))
        session.add(row)
        session.flush()
    return row


def _advance(sessions: sessionmaker[Session], project: str, name: str, seq: int) -> None:
    with sessions.begin() as session:
        advance_in(session, project, name, seq)


def advance_in(session: Session, project: str, name: str, seq: int) -> None:
    """Move a cursor forward to ``seq`` (never back), in the caller's transaction."""
    row = session.get(CursorRow, (project, name))
    if row is not None and seq > row.after_seq:
        row.after_seq = seq


def _due(sessions: sessionmaker[Session], project: str, name: str, type_: str, now_us: int, limit: int,
         *columns: Any) -> tuple[Sequence[Row[Any]], int]:
    """``columns`` of the events of this type after the cursor, and the seq the cursor may
    move to once they are handled (the last committed seq, when this round saw all there is).

    The top is read first: a project's events are appended by its one engine under its
    lock, a transaction at a time, so whatever is committed is a gap-free prefix of the
    log, and every event up to the top is seen by the read that follows."""
    with sessions.begin() as session:
        top = session.scalar(select(func.max(EventRecord.seq)).where(EventRecord.project == project)) or 0
        after = _cursor(session, project, name, now_us).after_seq
        rows = session.execute(select(EventRecord.seq, *columns).where(
            EventRecord.project == project, EventRecord.seq > after, EventRecord.seq <= top,
            EventRecord.type == type_).order_by(EventRecord.seq).limit(limit)).all()
    full = len(rows) >= limit
    return rows, (rows[-1].seq if full else max(top, after))


def _check(sessions: sessionmaker[Session], project: str, writes: Writes, ids: list[str],
           upto: int | None = None) -> int:
    with sessions() as session:
        checked = actions.check_conversations(session, project, ids)
    if checked:
        writes.store_checks(project, checked, upto)
    return len(checked)


def check_round(sessions: sessionmaker[Session], project: str, writes: Writes, now_us: int) -> int:
    """Check the conversations closed since the cursor; how many were checked."""
    rows, upto = _due(sessions, project, CLOSED, "contact.closed", now_us, BATCH, EventRecord.contact_id,
                      EventRecord.data)
    ids = [r.contact_id for r in rows if r.contact_id and r.data.get("answered")]
    try:
        checked = _check(sessions, project, writes, ids, upto) if ids else 0
    except (OperationalError, DatabaseAway):
        raise  # the database is away: the cursor stays, the next round tries again
    except Exception as error:  # one bad conversation must not hold up the others for ever
        print(f"dozvon: checking {len(ids)} conversations of {project!r} together failed ({error!r}); "
              "checking them one by one", flush=True)
        checked = 0
        for cid in ids:
            try:
                checked += _check(sessions, project, writes, [cid])
            except Exception as one:
                print(f"dozvon: the checks of {cid!r} were not stored: {one!r}", flush=True)
    _advance(sessions, project, CLOSED, upto)
    return checked


def suggest_round(sessions: sessionmaker[Session], project: str, writes: Writes, now_us: int) -> int:
    """Suggest the type of the live contacts that got one of their first messages since the
    cursor; how many suggestions were made."""
    rows, upto = _due(sessions, project, SUGGEST, "message.received", now_us, SUGGEST_BATCH,
                      EventRecord.contact_id)
    ids = list(dict.fromkeys(r.contact_id for r in rows if r.contact_id))
    made = 0
    if ids:
        with sessions() as session:
            suggesting = queries.suggesting_of(session, project)  # once for the whole round
            due = queries.suggestion_candidates(session, project, ids, suggesting.settings.first_messages)
        for read in range(0, len(due), SUGGEST_READ):
            made += _suggest_chunk(sessions, project, writes, due[read:read + SUGGEST_READ], suggesting,
                                   pause_first=read > 0)
    _advance(sessions, project, SUGGEST, upto)
    return made


def _suggest_chunk(sessions: sessionmaker[Session], project: str, writes: Writes, chunk: list[queries.Candidate],
                   suggesting: queries.Suggesting, pause_first: bool) -> int:
    """Read these conversations' first messages and CRM facts together, then judge and
    store them a slice at a time, with a pause before each (but the round's first)."""
    try:
        with sessions() as session:
            inputs = queries.suggestion_inputs(session, project, chunk, suggesting.settings)
    except OperationalError:
        raise  # the database is away: the cursor stays, the next round tries again
    except Exception as error:  # one bad conversation must not hold up the others
        return _one_by_one(project, writes, chunk, error)
    made = 0
    for start in range(0, len(chunk), SUGGEST_SLICE):
        if start or pause_first:
            time.sleep(SLICE_PAUSE_S)
        made += _suggest_slice(sessions, project, writes, chunk[start:start + SUGGEST_SLICE], suggesting, inputs)
    return made


def _suggest_slice(sessions: sessionmaker[Session], project: str, writes: Writes, due: list[queries.Candidate],
                   suggesting: queries.Suggesting, inputs: dict[str, queries.Inputs]) -> int:
    try:
        made, loud = actions.suggest_quietly(sessions, project, due, suggesting, inputs)
    except OperationalError:
        raise  # the database is away: the cursor stays, the next round tries again
    except Exception as error:  # one bad conversation must not hold up the others
        return _one_by_one(project, writes, due, error)
    if loud:
        writes.suggest(project, loud)
    return made


def _one_by_one(project: str, writes: Writes, convs: list[queries.Candidate], error: Exception) -> int:
    """Suggest these conversations one at a time (each read again), after they failed
    together: the one that fails is reported and skipped, and the round's cursor moves."""
    print(f"dozvon: the contact types of {len(convs)} conversations were not suggested together "
          f"({error!r}); suggesting them one by one", flush=True)
    return writes.suggest(project, [conv.id for conv in convs])


def quality_round(sessions: sessionmaker[Session], writes: Writes, now_us: int) -> int:
    """Suggest and check for every project; how many conversations were handled. A step
    that fails (a busy database) is reported; the next round tries again."""
    done = 0
    with sessions() as session:
        projects = list(session.scalars(select(Project.slug).order_by(Project.slug)))
    for project in projects:
        for step in (suggest_round, check_round):
            with tracing.busy(step.__name__):
                try:
                    done += step(sessions, project, writes, now_us)
                except Exception as error:  # a busy database now: the next round tries again
                    print(f"dozvon: quality {step.__name__} of {project!r} failed: {error!r}", flush=True)
    return done


class QualityWorker:
    """The loop the server runs in its own threads (:meth:`run`); :meth:`round` is one pass
    over every project. A hub tap wakes it after every commit that closed a contact or
    brought a message; otherwise it looks every few seconds."""

    def __init__(self, hub: Hub, every_s: float = 2.0, gap_s: float = 0.5) -> None:
        #: ``every_s``: how often it looks without being woken; ``gap_s``: the least time
        #: between two rounds — at load every commit wakes it, and a round per commit
        #: would cost more in its own reads than the work it finds (it then takes what
        #: came in meanwhile in one batch).
        self.hub, self.every_s, self.gap_s = hub, every_s, gap_s
        self.writes = LocalWrites(hub.service)
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _tap(self, project: str, events: list[RoutingEvent]) -> None:
        if self._loop is not None and self._wake is not None and any(e.type in WAKING for e in events):
            self._loop.call_soon_threadsafe(self._wake.set)

    def round(self) -> int:
        """Check and suggest for every project; how many conversations were handled."""
        return quality_round(self.hub.sessions, self.writes, eventlog.to_us(self.hub.clock.now()))

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self.hub.taps.append(self._tap)
        try:
            while True:
                self._wake.clear()
                started = time.monotonic()
                busy = await anyio.to_thread.run_sync(self.round)
                await asyncio.sleep(max(0.0, started + self.gap_s - time.monotonic()))
                if busy:
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.every_s)
        finally:
            with contextlib.suppress(ValueError):
                self.hub.taps.remove(self._tap)
