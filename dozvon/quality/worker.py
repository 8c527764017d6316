"""The server's background checker: every closed conversation is checked, and the type of
every new text contact suggested, soon after the commit — never in the request that
closed it or brought the message.

It follows each project's event log with a cursor of its own (``quality_cursors``):
``contact.closed`` events lead to :func:`~dozvon.quality.actions.do_check`,
``message.received`` ones (while the customer's first messages come in) to
:func:`~dozvon.quality.actions.do_suggest`. A cursor moves only after the work of its events is
stored, so a restart or a failed round repeats work (which is idempotent) rather than
losing it. A hub tap wakes the loop after every commit that closed a contact or brought a
message; otherwise it looks every few seconds. A project first seen starts a day back
(older history is checked on request: ``dozvon qa run``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import anyio.to_thread
from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from dozvon.accounts.models import Project
from dozvon.acd.service import RouterService
from dozvon.conversations.models import Conversation
from dozvon.core import bulk, tracing
from dozvon.eventlog import repository as eventlog
from dozvon.eventlog.models import EventRecord
from dozvon.quality import actions, queries
from dozvon.quality.models import CursorRow, SuggestionRow
from dozvon.routing.events import RoutingEvent

if TYPE_CHECKING:
    from dozvon.server.hub import Hub

CLOSED, SUGGEST = "closed", "suggest"
#: Events read per project per round (a backlog drains over a few rounds).
BATCH = 200
#: A project first seen is followed from this far back.
START_BACK_US = 86_400 * 1_000_000
_WAKING = frozenset({"contact.closed", "message.received"})
#: Conversations suggested per transaction, and the pause between two. A round at 500 new
#: chats a second suggests some 250 of them: in one stretch that held the interpreter's
#: lock for 30–50 ms of CPU, and every ingest batch beside it waited for the lock after each
#: of its database round trips (the slowest 1 % of ingest → offer, bench_server.py's trace).
SUGGEST_SLICE = 64
SLICE_PAUSE_S = 0.005


_OPEN = bulk.PerDialect(lambda dialect: select(Conversation.id).where(
    Conversation.project == bindparam("project"), bulk.among(Conversation.id, "ids", dialect),
    Conversation.closed_at_us.is_(None)))
#: Conversations whose suggestion has read all the first messages it reads.
_DONE = bulk.PerDialect(lambda dialect: select(SuggestionRow.conversation_id).where(
    bulk.among(SuggestionRow.conversation_id, "ids", dialect), SuggestionRow.messages >= bindparam("limit")))


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
        row = session.get(CursorRow, (project, name))
        if row is not None and seq > row.after_seq:
            row.after_seq = seq


def _due(sessions: sessionmaker[Session], svc: RouterService, name: str, types: tuple[str, ...],
         now_us: int) -> tuple[list[EventRecord], int]:
    """The events of these types after the cursor, and the seq the cursor may move to once
    they are handled (the last committed seq, when this round saw all there is)."""
    top = svc.last_seq()
    with sessions.begin() as session:
        after = _cursor(session, svc.project, name, now_us).after_seq
        rows = [r for r in eventlog.list_events(session, svc.project, after_seq=after, types=types, limit=BATCH)
                if r.seq <= top]
        session.expunge_all()
    full = len(rows) >= BATCH
    return rows, (rows[-1].seq if full else max(top, after))


def check_round(sessions: sessionmaker[Session], svc: RouterService, now_us: int) -> int:
    """Check the conversations closed since the cursor; how many were checked."""
    rows, upto = _due(sessions, svc, CLOSED, ("contact.closed",), now_us)
    ids = [r.contact_id for r in rows if r.contact_id and r.data.get("answered")]
    try:
        checked = len(actions.do_check(svc, ids)) if ids else 0
    except OperationalError:
        raise  # the database is away: the cursor stays, the next round tries again
    except Exception as error:  # one bad conversation must not hold up the others for ever
        print(f"dozvon: checking {len(ids)} conversations of {svc.project!r} together failed ({error!r}); "
              "checking them one by one", flush=True)
        checked = 0
        for cid in ids:
            try:
                checked += len(actions.do_check(svc, [cid]))
            except Exception as one:
                print(f"dozvon: the checks of {cid!r} were not stored: {one!r}", flush=True)
    _advance(sessions, svc.project, CLOSED, upto)
    return checked


def suggest_round(sessions: sessionmaker[Session], svc: RouterService, now_us: int) -> int:
    """Suggest the type of the live contacts that got one of their first messages since the
    cursor; how many suggestions were made."""
    rows, upto = _due(sessions, svc, SUGGEST, ("message.received",), now_us)
    ids = list(dict.fromkeys(r.contact_id for r in rows if r.contact_id))
    made = 0
    if ids:
        with sessions() as session:
            suggesting = queries.suggesting_of(session, svc.project)  # once for the whole round
            limit = suggesting.settings.first_messages
            open_ = set(_OPEN.rows(session, {"project": svc.project, "ids": ids}).scalars())
            done = set(_DONE.rows(session, {"ids": ids, "limit": limit}).scalars())
        due = [cid for cid in ids if cid in open_ and cid not in done]
        for start in range(0, len(due), SUGGEST_SLICE):
            if start:
                time.sleep(SLICE_PAUSE_S)
            made += _suggest_slice(svc, due[start:start + SUGGEST_SLICE], suggesting)
    _advance(sessions, svc.project, SUGGEST, upto)
    return made


def _suggest_slice(svc: RouterService, due: list[str], suggesting: queries.Suggesting) -> int:
    try:
        return actions.do_suggest_many(svc, due, suggesting)
    except OperationalError:
        raise  # the database is away: the cursor stays, the next round tries again
    except Exception as error:  # one bad conversation must not hold up the others: one by one
        print(f"dozvon: the contact types of {len(due)} conversations were not suggested together "
              f"({error!r}); suggesting them one by one", flush=True)
        made = 0
        for cid in due:
            try:
                actions.do_suggest(svc, cid)
                made += 1
            except Exception as one:  # one contact's failure must not stop the others'
                print(f"dozvon: the contact type of {cid!r} was not suggested: {one!r}", flush=True)
        return made


class QualityWorker:
    """The loop the server runs (:meth:`run`); :meth:`round` is one pass over every project."""

    def __init__(self, hub: Hub, every_s: float = 2.0, gap_s: float = 0.5) -> None:
        #: ``every_s``: how often it looks without being woken; ``gap_s``: the least time
        #: between two rounds — at load every commit wakes it, and a round per commit
        #: would cost more in its own reads than the work it finds (it then takes what
        #: came in meanwhile in one batch).
        self.hub, self.every_s, self.gap_s = hub, every_s, gap_s
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _tap(self, project: str, events: list[RoutingEvent]) -> None:
        if self._loop is not None and self._wake is not None and any(e.type in _WAKING for e in events):
            self._loop.call_soon_threadsafe(self._wake.set)

    def round(self) -> int:
        """Check and suggest for every loaded project; how many conversations were handled."""
        now = eventlog.to_us(self.hub.clock.now())
        done = 0
        with self.hub.sessions() as session:
            projects = list(session.scalars(select(Project.slug).order_by(Project.slug)))
        for project in projects:
            svc = self.hub.service(project)
            for step in (suggest_round, check_round):
                with tracing.busy(step.__name__):
                    done += self._safely(step, svc, now)
        return done

    def _safely(self, step: Callable[[sessionmaker[Session], RouterService, int], int], svc: RouterService,
                now: int) -> int:
        try:
            return step(self.hub.sessions, svc, now)
        except Exception as error:  # a busy database now: the next round tries again
            print(f"dozvon: quality {step.__name__} of {svc.project!r} failed: {error!r}", flush=True)
            return 0

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
