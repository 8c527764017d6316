"""The server's follower process: the followers of the event log that need no engine — the
KPI fold and the quality rounds' reading and judging — in a process of their own on
PostgreSQL, started and watched by ``dozvon serve``.

Why a process: in the server's own threads their CPU (some 60 ms a second at 500 new chats
a second, and a fold of 25,000 events every 10 s) took the interpreter's lock from the
ingest thread after each of a batch's database round trips, and that set the slowest 1 %
of ingest → offer (p99 65–70 ms with them, 18–23 ms without, in alternated pairs:
docs/architecture.md). In a process of their own the operating system's scheduler shares
the cores instead. On SQLite they stay in the server's threads (:class:`QualityWorker`,
:func:`dozvon.analytics.facts.run`): a second writer would only wait for the file's one
write lock.

How it works:

- The server spawns it (``multiprocessing``, *spawn*: a fresh interpreter, nothing of the
  server's threads or connections) with the database URL, one end of a pipe, a doorbell
  (:class:`Doorbell`) the server rings after every commit that closed a contact or brought
  a message, and its own process id.
- In it, one thread runs the quality rounds (:func:`dozvon.quality.worker.quality_round`)
  and one the KPI fold (:func:`dozvon.analytics.facts.follow`). Its main thread ends it
  when the server is gone (its parent changes: ``kill -9`` of the server included); so does
  a write the server can no longer take.
- What needs the project's engine is handed back over the pipe, one request at a time:
  ``("checks", project, ([Checked], cursor))`` — stored with their ``quality.checked``
  events by :func:`~dozvon.quality.actions.store_checked`, the checker's cursor moved in
  the same transaction; ``("suggest", project, [conversation id])``
  — the suspected complaints, each alerting (and perhaps moving the contact) through
  :func:`~dozvon.quality.actions.do_suggest`. The server answers ``("ok", n)``,
  ``("away", reason)`` when the database is away (the round's cursor stays) or
  ``("failed", reason)``. A round's cursor moves only with the work stored, or after the
  answer, so a follower or server that dies in between repeats the work (idempotent) and
  loses none.
- The server watches it: one that exited is started again, after a pause that doubles up to
  a minute while it keeps failing; it is stopped with the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import select
import signal
import threading
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnProcess
from typing import TYPE_CHECKING, Any

import anyio.to_thread
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from dozvon.quality.actions import Checked
from dozvon.quality.worker import WAKING, DatabaseAway, LocalWrites, quality_round
from dozvon.routing.events import RoutingEvent

if TYPE_CHECKING:
    from dozvon.server.hub import Hub

#: How often the follower looks without being woken, and the least time between two of its
#: quality rounds (as :class:`~dozvon.quality.worker.QualityWorker`'s).
EVERY_S, GAP_S = 2.0, 0.5
#: How often the server looks whether its follower is alive, and the longest pause before
#: starting again one that keeps exiting.
WATCH_S, MAX_PAUSE_S = 1.0, 60.0
#: How much the follower's priority is lowered (the scheduler's niceness, 0–19).
NICE = 10


class FollowerFailed(Exception):
    """The server could not store what the follower handed it (not for want of a database)."""


def wanted(mode: str, dialect: str, clock_injected: bool) -> bool:
    """Whether the server runs its followers in a process of their own: ``process`` always,
    ``thread`` never, ``auto`` on PostgreSQL with the system's clock (a clock injected by a
    test or the simulator cannot be shared with another process) on a POSIX system (the
    doorbell is a non-blocking pipe waited on with ``select``, which Windows has only for
    sockets)."""
    if mode == "auto":
        return dialect == "postgresql" and not clock_injected and os.name == "posix"
    return mode == "process"


# ----------------------------------------------------------------------------- the server's side

class FollowerProcess:
    """The follower process as the server sees it: :meth:`run` starts and watches it, and a
    thread answers its requests."""

    def __init__(self, hub: Hub, url: str) -> None:
        self.hub, self.url = hub, url
        self._context = multiprocessing.get_context("spawn")
        self.process: SpawnProcess | None = None
        self._bell: Doorbell | None = None
        self._started = 0.0
        self._local = LocalWrites(hub.service)

    def _tap(self, project: str, events: list[RoutingEvent]) -> None:
        bell = self._bell
        if bell is not None and any(e.type in WAKING for e in events):
            bell.ring()

    def start(self) -> None:
        ours, theirs = self._context.Pipe()
        bell_in, bell_out = self._context.Pipe(duplex=False)
        process = self._context.Process(target=main, args=(self.url, theirs, bell_in, os.getpid()),
                                        name="dozvon-followers", daemon=True)
        process.start()
        theirs.close()
        bell_in.close()
        old, self._bell = self._bell, Doorbell(bell_out)
        if old is not None:
            old.close()
        self.process, self._started = process, time.monotonic()
        self.hub.metrics.follower_starts.inc()
        threading.Thread(target=self._serve, args=(ours,), name="dozvon-followers-link", daemon=True).start()

    def stop(self) -> None:
        process, self.process = self.process, None
        bell, self._bell = self._bell, None
        if bell is not None:
            bell.close()
        if process is None:
            return
        process.terminate()
        process.join(5)
        if process.is_alive():
            process.kill()
            process.join(5)

    def _serve(self, link: Connection) -> None:
        """Answer the follower's requests until it is gone."""
        with link:
            while True:
                try:
                    request = link.recv()
                except (EOFError, OSError):
                    return  # the follower exited (the watcher starts another) or was stopped
                answer = self.answer(request)
                try:
                    link.send(answer)
                except OSError:
                    return

    def answer(self, request: tuple[str, str, Any]) -> tuple[str, Any]:
        """Do what the follower handed over, through the project's engine."""
        kind, project, items = request
        try:
            if kind == "checks":
                checked, upto = items
                self._local.store_checks(project, checked, upto)
                return "ok", len(checked)
            if kind == "suggest":
                return "ok", self._local.suggest(project, items)
            return "failed", f"unknown request {kind!r}"
        except OperationalError as error:
            return "away", str(error.orig or error).splitlines()[0]
        except Exception as error:  # reported to the follower, which goes on one by one
            return "failed", repr(error)

    async def run(self) -> None:
        """Start the follower, start it again whenever it exits, stop it with the server."""
        self.hub.taps.append(self._tap)
        pause = WATCH_S
        try:
            await anyio.to_thread.run_sync(self.start)
            while True:
                await asyncio.sleep(WATCH_S)
                process = self.process
                if process is None or process.is_alive():
                    if time.monotonic() - self._started > MAX_PAUSE_S:
                        pause = WATCH_S  # it has kept running: a later exit is started again at once
                    continue
                print(f"dozvon: the follower process (KPI fold, quality checks) exited with code "
                      f"{process.exitcode}; it starts again in {pause:.0f} s", flush=True)
                await asyncio.sleep(pause)
                pause = min(pause * 2, MAX_PAUSE_S)
                await anyio.to_thread.run_sync(self.start)
        finally:
            with contextlib.suppress(ValueError):
                self.hub.taps.remove(self._tap)
            self.stop()


class Doorbell:
    """The server's "there is work" to its follower: a byte down a pipe, never waited for.

    Not a ``multiprocessing.Event``: its semaphores are named system objects, and a server
    stopped by SIGTERM (which uvicorn re-raises after its shutdown, so ``atexit`` never
    runs) left them for the resource tracker to complain about. A full pipe already rings."""

    def __init__(self, end: Connection) -> None:
        self.end = end
        os.set_blocking(end.fileno(), False)
        self._lock = threading.Lock()  # never a write to a number closed and given to another file

    def ring(self) -> None:
        with self._lock, contextlib.suppress(OSError):  # full (it rings already), or the follower is gone
            if not self.end.closed:
                os.write(self.end.fileno(), b"\0")

    def clear(self) -> bool:
        """Take every ring so far; False when the server's end is closed (it is gone)."""
        try:
            return bool(os.read(self.end.fileno(), 65536))
        except BlockingIOError:
            return True

    def wait(self, timeout: float) -> None:
        select.select([self.end.fileno()], [], [], timeout)

    def close(self) -> None:
        with self._lock:
            self.end.close()


# ----------------------------------------------------------------------------- the follower's side

class ParentWrites:
    """:class:`~dozvon.quality.worker.Writes` handed to the server over the pipe."""

    def __init__(self, link: Connection) -> None:
        self.link = link
        self._lock = threading.Lock()

    def _ask(self, request: tuple[str, str, Any]) -> Any:
        with self._lock:
            try:
                self.link.send(request)
                answer, value = self.link.recv()
            except (EOFError, OSError):
                # The server is gone, and with it the engines: so goes its follower. Nothing
                # is half-written: the round's cursor has not moved past this work.
                os._exit(0)
        if answer == "ok":
            return value
        if answer == "away":
            raise DatabaseAway(value)
        raise FollowerFailed(value)

    def store_checks(self, project: str, checked: Sequence[Checked], upto: int | None = None) -> None:
        self._ask(("checks", project, (list(checked), upto)))

    def suggest(self, project: str, conversation_ids: Sequence[str]) -> int:
        return int(self._ask(("suggest", project, list(conversation_ids))))


def _follow_quality(sessions: sessionmaker[Session], writes: ParentWrites, bell: Doorbell) -> None:
    from dozvon.core.clock import now_us

    while True:
        if not bell.clear():
            os._exit(0)  # the server is gone
        started = time.monotonic()
        try:
            busy = quality_round(sessions, writes, now_us())
        except Exception as error:  # the database away for a moment: the next round tries again
            print(f"dozvon: quality round failed: {error!r}", flush=True)
            busy = 0
        time.sleep(max(0.0, started + GAP_S - time.monotonic()))
        if not busy:
            bell.wait(EVERY_S)


def main(url: str, link: Connection, bell: Connection, parent: int) -> None:
    """The follower process: its two threads, until the server is gone."""
    from dozvon.analytics import facts
    from dozvon.core.db import get_engine, session_factory

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the server stops us
    with contextlib.suppress(OSError):
        # Background work: when the cores are short, the ingest and the sockets go first and
        # the rounds take bigger batches a little later (each costs less per contact).
        os.nice(NICE)
    db = get_engine(url)
    threading.Thread(target=_follow_quality, args=(session_factory(db), ParentWrites(link), Doorbell(bell)),
                     name="quality", daemon=True).start()
    threading.Thread(target=facts.follow, args=(db,), name="kpi-fold", daemon=True).start()
    while os.getppid() == parent:
        time.sleep(WATCH_S)
    os._exit(0)
