"""Prometheus metrics: counters fed by committed events, gauges read at scrape time.

Each app has its own registry (several apps may live in one test process); the figures
are labelled by project so one server's page shows every tenant.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from dozvon.acd import queries as live
from dozvon.routing.events import RoutingEvent

if TYPE_CHECKING:
    from dozvon.acd.service import RouterService

_COUNTED = {
    "contact.arrived": "contacts",
    "offer.created": "offers",
    "contact.answered": "answers",
    "contact.abandoned": "abandons",
    "offer.timed_out": "rona",
}
_WAIT_BUCKETS = (1, 5, 10, 20, 30, 60, 120, 300, 600, 1800)
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class _LiveState(Collector):
    """Contacts waiting and operators by presence, read from the engines at scrape time."""

    def __init__(self) -> None:
        self.services: dict[str, RouterService] = {}

    def collect(self) -> Iterator[GaugeMetricFamily]:
        waiting = GaugeMetricFamily("dozvon_contacts_waiting", "Contacts waiting in a queue now",
                                    labels=["project", "queue"])
        presence = GaugeMetricFamily("dozvon_operators", "Operators by presence now",
                                     labels=["project", "presence"])
        for project, svc in list(self.services.items()):
            counts, by_presence = live.load_now(svc)
            for queue, n in sorted(counts.items()):
                waiting.add_metric([project, queue], n)
            for key, n in sorted(by_presence.items()):
                presence.add_metric([project, key], n)
        yield waiting
        yield presence


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.counters = {
            name: Counter(f"dozvon_{name}", f"{name.capitalize()} since the server started",
                          ["project"], registry=self.registry)
            for name in sorted(set(_COUNTED.values()))
        }
        self.answer_wait = Histogram("dozvon_answer_wait_seconds", "Customers' wait before an answer",
                                     ["project"], buckets=_WAIT_BUCKETS, registry=self.registry)
        self.ingest_latency = Histogram("dozvon_ingest_seconds", "Time to store and route an inbound contact",
                                        ["project"], buckets=_LATENCY_BUCKETS, registry=self.registry)
        self.timer_errors = Counter("dozvon_timer_errors", "Timer ticks that failed (retried)",
                                    registry=self.registry)
        self.adapter_errors = Counter("dozvon_adapter_errors", "Decisions a channel adapter failed to carry out",
                                      ["channel"], registry=self.registry)
        self.follower_starts = Counter(
            "dozvon_follower_starts", "Starts of the server's follower process (KPI fold, quality checks); "
            "more than one: it exited and was started again", registry=self.registry)
        self._live = _LiveState()
        self.registry.register(self._live)
        self._children: dict[tuple[Counter | Histogram, str], Any] = {}

    def _of(self, metric: Counter | Histogram, project: str) -> Any:
        """``metric.labels(project)``, looked up once: ``labels`` checks its arguments and
        takes the metric's lock each time (1.4 µs of the 2.3 that a counted event cost), and
        the ingest counts a few events for every contact it stores."""
        child = self._children.get((metric, project))
        if child is None:
            child = self._children[(metric, project)] = metric.labels(project)
        return child

    def ingest_latency_of(self, project: str) -> Any:
        """The ingest latency histogram of ``project`` (observed on the event loop for every
        ingested item)."""
        return self._of(self.ingest_latency, project)

    def track(self, project: str, svc: RouterService) -> None:
        self._live.services[project] = svc

    def observe(self, project: str, events: Iterable[RoutingEvent]) -> None:
        """Count a commit's events: each counter once per commit, by how many it holds."""
        counted: dict[str, int] = {}
        for e in events:
            name = _COUNTED.get(e.type)
            if name is not None:
                counted[name] = counted.get(name, 0) + 1
                if name == "answers":
                    self._of(self.answer_wait, project).observe(float(e.data.get("wait_s", 0.0)))
        for name, n in counted.items():
            self._of(self.counters[name], project).inc(n)

    def render(self) -> bytes:
        return generate_latest(self.registry)
