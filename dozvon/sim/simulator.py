"""Discrete-event simulation of a contact center around the production routing engine.

The simulator generates customers (Poisson arrivals, handle times, patience) and plays
the operators (answer delay, missed offers, wrap-up); every routing decision is taken by
the same :class:`~dozvon.routing.engine.RoutingEngine` the server runs, on a
:class:`~dozvon.core.clock.ManualClock`. KPIs are computed from the engine's events by the
same :class:`~dozvon.analytics.kpi.KpiAccumulator` definitions as everywhere else.
"""

from __future__ import annotations

import heapq
import random
import time
from collections.abc import Callable
from typing import Any

from dozvon.analytics.kpi import KpiAccumulator
from dozvon.channels.registry import registry
from dozvon.core.clock import ManualClock
from dozvon.routing import events as ev
from dozvon.routing.engine import RoutingEngine
from dozvon.routing.model import (
    CONNECTED,
    OFFERED,
    WAITING,
    WRAP_UP,
    ContactSpec,
    Disposition,
    EngineSettings,
    OperatorConfig,
    QueueConfig,
)
from dozvon.sim.scenario import AgentSpec, Scenario

# Simulation event kinds, ordered so that at equal times the customer's side happens in a
# stable, documented order (arrivals before answers before hang-ups).
_LOGIN, _ARRIVAL, _ANSWER, _END, _WRAP, _ABANDON, _LOGOUT = range(7)
_DISPOSITION = Disposition("new_inquiry", True)


class Simulation:
    """One run of a scenario. ``progress`` is called with the simulated seconds elapsed."""

    def __init__(self, scenario: Scenario,
                 progress: Callable[[float, float], None] | None = None) -> None:
        self.scenario = scenario
        self.progress = progress
        self.start = scenario.start.timestamp()
        self.clock = ManualClock(self.start)
        seed = scenario.seed
        self.rng_arrivals = random.Random(f"{seed}:arrivals")
        self.rng_service = random.Random(f"{seed}:service")
        self.rng_patience = random.Random(f"{seed}:patience")
        self.rng_agents = random.Random(f"{seed}:agents")
        # Nobody fills in a disposition after a simulated contact is over: forget at once.
        settings = {"late_disposition_s": 0.0, **scenario.settings}
        self.engine = RoutingEngine(self.clock, settings=EngineSettings(
            **{"channel_buckets": registry.buckets(), **settings}))
        self.agent_of: dict[str, AgentSpec] = {}
        self.queue_wrap: dict[str, float] = {}
        self._configure()
        self.handle_time: dict[str, float] = {}
        self.arrived = 0
        self.heap: list[tuple[float, int, int, Any]] = []
        self._seq = 0
        self.accumulator = KpiAccumulator(
            targets={q.name: q.target_answer_s for q in scenario.queues},
            count_from=self.start + scenario.warmup_s,
            count_until=self.start + scenario.duration_s,
            short_abandon_s=scenario.short_abandon_s,
        )

    def _configure(self) -> None:
        agent_wrap: dict[str, float] = {}
        for agent in self.scenario.agents:
            for queue in agent.queues:
                agent_wrap[queue] = max(agent_wrap.get(queue, 0.0), agent.wrap_up_s)
        for spec in self.scenario.queues:
            data = spec.model_dump(exclude_none=True)
            # Unless the queue sets its own limit, wrap-up lasts as long as its agents take.
            data.setdefault("wrap_up_s", agent_wrap.get(spec.name, 0.0))
            cfg = QueueConfig.from_dict(data)
            self.queue_wrap[spec.name] = cfg.wrap_up_s
            self.engine.add_queue(cfg)
        for agent in self.scenario.agents:
            for name in agent.names():
                self.agent_of[name] = agent
                self.engine.add_operator(OperatorConfig.from_dict({
                    "id": name, "queues": agent.queues, "skills": agent.skills,
                    "capacity": agent.capacity}))
        self.engine.drain_events()

    def _push(self, at: float, kind: int, payload: Any) -> None:
        self._seq += 1
        heapq.heappush(self.heap, (at, kind, self._seq, payload))

    def _next_arrival(self, index: int, after: float) -> float | None:
        """Next arrival of a (piecewise-constant rate) Poisson stream, or None past the end."""
        stream = self.scenario.traffic[index]
        end = self.start + self.scenario.duration_s
        t = after
        constant = not isinstance(stream.arrivals_per_hour, list)
        while t < end:
            rate = stream.rate_at(t - self.start)
            hour_end = self.start + ((t - self.start) // 3600 + 1) * 3600
            if rate <= 0:
                if constant:
                    return None
                t = hour_end
                continue
            candidate = t + self.rng_arrivals.expovariate(rate)
            if constant or candidate < hour_end:
                return candidate if candidate < end else None
            t = hour_end  # memoryless: restart the draw at the rate change
        return None

    def run(self) -> dict[str, Any]:
        scenario = self.scenario
        wall_start = time.perf_counter()
        for agent in scenario.agents:
            for name in agent.names():
                self._push(self.start + agent.login_s, _LOGIN, name)
                if agent.logout_s is not None:
                    self._push(self.start + agent.logout_s, _LOGOUT, name)
        for index in range(len(scenario.traffic)):
            first = self._next_arrival(index, self.start)
            if first is not None:
                self._push(first, _ARRIVAL, index)
        samplers = [(s.handle_time_s.sampler(self.rng_service),
                     s.patience_s.sampler(self.rng_patience) if s.patience_s else None)
                    for s in scenario.traffic]
        engine, heap, clock, feed = self.engine, self.heap, self.clock, self.accumulator.feed
        drain = engine.drain_events
        steps = 0
        while True:
            deadline = engine.next_deadline()
            if heap and (deadline is None or heap[0][0] <= deadline):
                at, kind, _, payload = heapq.heappop(heap)
                clock.t = at
                decisions = self._handle(kind, payload, samplers)
            elif deadline is not None:
                clock.t = deadline
                decisions = engine.advance()
            else:
                break
            if decisions:
                self._decide(decisions)
            if engine.events:
                feed(drain())
            steps += 1
            if self.progress is not None and not steps & 0x1FFF:
                self.progress(clock.t - self.start, scenario.duration_s)
        self.accumulator.close(clock.t)
        wall = time.perf_counter() - wall_start
        if self.progress is not None:
            self.progress(scenario.duration_s, scenario.duration_s)
        return self._result(wall)

    def _handle(self, kind: int, payload: Any, samplers: list[Any]) -> list[ev.Decision]:
        engine = self.engine
        if kind == _ARRIVAL:
            index = payload
            stream = self.scenario.traffic[index]
            self.arrived += 1
            contact_id = f"c{self.arrived}"
            handle_sampler, patience_sampler = samplers[index]
            self.handle_time[contact_id] = handle_sampler()
            now = self.clock.t
            if patience_sampler is not None:
                self._push(now + patience_sampler(), _ABANDON, contact_id)
            following = self._next_arrival(index, now)
            if following is not None:
                self._push(following, _ARRIVAL, index)
            return engine.contact_arrived(ContactSpec(
                contact_id, stream.queue, stream.channel, stream.priority,
                segment=stream.segment, skills=stream.skills))
        if kind == _ANSWER:
            if payload in engine.offers:
                return engine.accept(payload)
            return []
        if kind == _ABANDON:
            contact = engine.contacts.get(payload)
            if contact is not None and contact.state in (WAITING, OFFERED):
                return engine.customer_left(payload)
            return []
        if kind == _END:
            contact = engine.contacts.get(payload)
            if contact is None or contact.state != CONNECTED:
                return []
            operator_id = contact.operator_id or ""
            decisions = engine.end_contact(payload)
            if contact.state == WRAP_UP:
                wrap = self.agent_of[operator_id].wrap_up_s
                if wrap < self.queue_wrap[contact.queue]:
                    self._push(self.clock.t + wrap, _WRAP, payload)
            return decisions
        if kind == _WRAP:
            contact = engine.contacts.get(payload)
            if contact is not None and contact.state == WRAP_UP:
                return engine.finish_wrap_up(payload, _DISPOSITION)
            return []
        if kind == _LOGIN:
            return engine.login(payload)
        if kind == _LOGOUT:
            return engine.logout(payload)
        raise AssertionError(f"unknown simulation event {kind}")

    def _decide(self, decisions: list[ev.Decision]) -> None:
        now = self.clock.t
        for decision in decisions:
            kind = decision.kind
            if kind == ev.OFFER:
                agent = self.agent_of[decision.operator_id or ""]
                if agent.answer_probability >= 1.0 or self.rng_agents.random() < agent.answer_probability:
                    self._push(now + agent.answer_delay_s, _ANSWER, decision.offer_id)
            elif kind == ev.CONNECT:
                contact_id = decision.contact_id or ""
                self._push(now + self.handle_time.pop(contact_id, 0.0), _END, contact_id)

    def _result(self, wall: float) -> dict[str, Any]:
        members: dict[str, list[str]] = {}
        for name, agent in self.agent_of.items():
            for queue in agent.queues:
                members.setdefault(queue, []).append(name)
        report = self.accumulator.report(members)
        pinned = ("car", "lcr", "p_wait", "asa_s", "service_level", "aht_s", "occupancy", "rona")
        extra = ("avg_abandon_s", "service_level_excl_short", "service_level_of_answered")

        def kpi(data: dict[str, Any]) -> dict[str, Any]:
            return {key: data[key] for key in (*pinned, *extra)}

        total = report["total"]
        agents = {name: report["agents"].get(name, {"answered": 0, "offers": 0, "rona": 0,
                                                      "handle_s": 0.0, "max_concurrent": 0})
                  for name in self.agent_of}
        return {
            "offered": total["offered"],
            "answered": total["answered"],
            "abandoned": total["abandoned"],
            "inbound": total["inbound"],
            "kpi": kpi(total),
            "queues": {name: {"offered": q["offered"], "answered": q["answered"],
                              "abandoned": q["abandoned"], **kpi(q)}
                       for name, q in report["queues"].items() if name in self.queue_wrap},
            "agents": agents,
            "contacts_simulated": self.arrived,
            "unfinished": len([c for c in self.engine.contacts.values() if c.state != "closed"]),
            "wall_s": wall,
            "contacts_per_s": self.arrived / wall if wall > 0 else 0.0,
        }


def simulate(scenario: Scenario,
             progress: Callable[[float, float], None] | None = None) -> dict[str, Any]:
    return Simulation(scenario, progress).run()
