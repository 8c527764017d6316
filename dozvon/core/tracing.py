"""Where an ingested contact's time goes under load: a trace for the benchmark, off by default.

With ``DOZVON_TRACE=<file>`` in its environment, ``dozvon serve`` records, as JSON lines
appended to that file about once a second:

- every ingest batch (``"batch"``): each request's external id and the moment it reached
  the ingest queue, then the moments the batch was formed, planned (identity step, retries,
  rows written), routed (the engine), committed, its frames and answers handed to the event
  loop, and the moments the loop took them; and the CPU time the ingest thread spent on it
  from formed to answered (``"cpu"``: unlike the moments, it leaves out the waits for the
  database and for the interpreter's lock);
- every stall of the event loop longer than :data:`STALL_S` (``"stall"``): how late a
  short sleep (:data:`SAMPLE_S`) woke, with what overlapped it — the collector's passes (``gc.callbacks``) and
  the background rounds that mark themselves with :func:`busy` (the KPI fold, the quality
  and suggestion rounds, maintenance).

Times are ``time.perf_counter()`` — the system's monotonic clock on Linux, the same in
every process — so the benchmark lines them up with its own send and receive times.
Without the variable every hook is one test of a module global, and nothing is kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import threading
import time
from collections.abc import Iterator
from typing import Any

#: A loop that wakes this much later than asked has stalled (recorded with its causes).
STALL_S = 0.003
#: How often the loop is sampled. Not every millisecond: each wake-up of the loop takes the
#: interpreter's lock from the ingest's threads, and at 1 ms the trace itself slowed the
#: ingest → offer median from ~21 to ~37 ms (a stall shorter than this may go unseen).
SAMPLE_S = 0.01
#: Intervals kept to explain stalls (GC passes, background rounds), newest last.
_KEEP = 4000

clock = time.perf_counter


class Batch:
    """One ingest batch's moments (``stages``, in order), its requests, and the CPU time its
    thread had used when it was formed (``cpu``: the batch's own CPU is kept at its end)."""

    __slots__ = ("cpu", "items", "stages")

    def __init__(self, items: list[tuple[str, float]]) -> None:
        self.items = items
        self.stages: list[tuple[str, float]] = []
        self.cpu = time.thread_time()

    def mark(self, stage: str) -> None:
        self.stages.append((stage, clock()))


class Tracer:
    def __init__(self, path: str) -> None:
        self.path = path
        self._out: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._local = threading.local()
        self._intervals: list[tuple[str, float, float]] = []
        self._open: dict[int, tuple[str, float]] = {}
        self._gc_started = 0.0
        gc.callbacks.append(self._gc)

    # ---------------------------------------------------------------- ingest batches

    def begin(self, items: list[tuple[str, float]]) -> Batch:
        batch = Batch(items)
        batch.mark("formed")
        self._local.batch = batch
        return batch

    def current(self) -> Batch | None:
        return getattr(self._local, "batch", None)

    def end(self, batch: Batch) -> None:
        self._local.batch = None
        self.keep({"kind": "batch", "items": batch.items, "stages": batch.stages,
                   "cpu": time.thread_time() - batch.cpu})

    def keep(self, record: dict[str, Any]) -> None:
        with self._lock:
            self._out.append(record)

    # ---------------------------------------------------------------- what ran

    def _gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_started = clock()
        else:
            self._interval(f"gc{info.get('generation', '?')}", self._gc_started, clock())

    def _interval(self, name: str, start: float, end: float) -> None:
        with self._lock:
            self._intervals.append((name, start, end))
            if len(self._intervals) > _KEEP:
                del self._intervals[: _KEEP // 2]

    @contextlib.contextmanager
    def busy(self, name: str) -> Iterator[None]:
        start, cpu = clock(), time.thread_time()
        key = id(threading.current_thread()) ^ hash(name)
        self._open[key] = (name, start)
        try:
            yield
        finally:
            self._open.pop(key, None)
            end = clock()
            self._interval(name, start, end)
            self.keep({"kind": "busy", "name": name, "start": start, "end": end,
                       "cpu": time.thread_time() - cpu})

    def _causes(self, start: float, end: float) -> dict[str, float]:
        """Seconds of each kind of work that overlapped ``start``–``end``."""
        found: dict[str, float] = {}
        with self._lock:
            spans = [*self._intervals, *((n, s, end) for n, s in self._open.values())]
        for name, s, e in spans:
            overlap = min(e, end) - max(s, start)
            if overlap > 0:
                found[name] = found.get(name, 0.0) + overlap
        return found

    # ---------------------------------------------------------------- the loop

    async def sample_loop(self) -> None:
        """Sleep :data:`SAMPLE_S` again and again; a late wake-up is a stall, recorded with its causes.
        Flushes what was kept to the file once a second."""
        last_flush = clock()
        while True:
            start = clock()
            await asyncio.sleep(SAMPLE_S)
            end = clock()
            lag = end - start - SAMPLE_S
            if lag > STALL_S:
                self.keep({"kind": "stall", "at": start, "lag": lag, "causes": self._causes(start, end)})
            if end - last_flush > 1.0:
                last_flush = end
                await asyncio.to_thread(self.flush)

    def flush(self) -> None:
        with self._lock:
            out, self._out = self._out, []
        if out:
            with open(self.path, "a", encoding="utf-8") as f:
                f.write("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in out))


TRACE: Tracer | None = Tracer(os.environ["DOZVON_TRACE"]) if os.environ.get("DOZVON_TRACE") else None


@contextlib.contextmanager
def busy(name: str) -> Iterator[None]:
    """Mark a stretch of background work, so that a stall it causes is laid at its door."""
    if TRACE is None:
        yield
        return
    with TRACE.busy(name):
        yield


def mark(stage: str) -> None:
    """The current ingest batch (this thread's) reached ``stage``."""
    if TRACE is not None:
        batch = TRACE.current()
        if batch is not None:
            batch.mark(stage)
