"""Discrete-event simulation of a contact center around the production routing engine.

The simulator generates customers (Poisson arrivals, handle times, patience) and plays
the operators (answer delay, missed offers, wrap-up); every routing decision is taken by
the same :class:`~dozvon.routing.engine.RoutingEngine` the server runs, on a
:class:`~dozvon.core.clock.ManualClock`. KPIs are computed from the engine's events by the
same :class:`~dozvon.analytics.kpi.KpiAccumulator` definitions as everywhere else.
"""

from __future__ import annotations

import gc
import heapq
import math
import random
import time
from collections.abc import Callable
from typing import Any

from dozvon.analytics.kpi import KpiAccumulator
from dozvon.channels.registry import registry
from dozvon.core.clock import ManualClock
from dozvon.routing import events as ev
from dozvon.routing.engine import RoutingEngine
from dozvon.routing.events import RoutingEvent
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
from dozvon.routing.timers import TIMER_RANK
from dozvon.sim.scenario import AgentSpec, Distribution, Scenario

# Simulation event kinds, ordered so that at equal times the customer's side happens in a
# stable, documented order (arrivals before answers before hang-ups).
_LOGIN, _ARRIVAL, _ANSWER, _END, _WRAP, _ABANDON, _LOGOUT = range(7)
_KINDS = 7
_DISPOSITION = Disposition("new_inquiry", True)


def _rate(distribution: Distribution) -> float:
    """The rate of an exponential distribution, as its sampler computes it; 0.0 for others."""
    return 1.0 / distribution.mean if distribution.dist == "exponential" else 0.0


class Simulation:
    """One run of a scenario. ``progress`` is called with the simulated seconds elapsed.

    ``on_events``: the engine keeps its events as the server's does, the KPIs are fed from
    them and they are passed on (to store them, or to check that the KPIs computed straight
    from the engine's sink agree with those computed from its events); slower."""

    def __init__(self, scenario: Scenario,
                 progress: Callable[[float, float], None] | None = None,
                 on_events: Callable[[list[RoutingEvent]], None] | None = None,
                 lean: bool = True) -> None:
        """``lean``: no timer for what cannot happen — an offer the operator is sure to
        answer before its deadline gets no deadline timer (the engine leaves offer
        deadlines to this driver), and a customer sure to be answered before they give up
        gets no patience timer. False: every one is armed, as a plain driver would (the
        tests check that both give the same figures)."""
        self.scenario = scenario
        self.lean = lean
        self.progress = progress
        self.on_events = on_events
        self.start = scenario.start.timestamp()
        self.clock = ManualClock(self.start)
        seed = scenario.seed
        self.rng_arrivals = random.Random(f"{seed}:arrivals")
        self.rng_service = random.Random(f"{seed}:service")
        self.rng_patience = random.Random(f"{seed}:patience")
        self.rng_agents = random.Random(f"{seed}:agents")
        #: What happens next: the simulation's own events and the engine's timers, one heap.
        self.heap: list[tuple[float, int, Any, Any]] = []
        self.accumulator = KpiAccumulator(
            targets={q.name: q.target_answer_s for q in scenario.queues},
            count_from=self.start + scenario.warmup_s,
            count_until=self.start + scenario.duration_s,
            short_abandon_s=scenario.short_abandon_s,
        )
        # Nobody fills in a disposition after a simulated contact is over: forget at once.
        settings = {"late_disposition_s": 0.0, **scenario.settings}
        # The engine keeps no events: each goes straight to the KPIs' handler for it.
        self.engine = RoutingEngine(self.clock, settings=EngineSettings(
            **{"channel_buckets": registry.buckets(), **settings}),
            sink=self.accumulator if on_events is None else None, timer_heap=self.heap,
            offer_timers=not lean)
        self.agent_of: dict[str, AgentSpec] = {}
        self.queue_wrap: dict[str, float] = {}
        self._configure()
        self.handle_time: dict[str, float] = {}
        self.arrived = 0
        self._seq = 0

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
        self.engine.drain_events()  # the configuration's own (the KPIs got their targets above)

    def _push(self, at: float, kind: int, payload: Any) -> None:
        # The heap is shared with the engine's timers: ``kind - _KINDS`` is negative, which
        # puts the customers' and operators' side before any timer due at the same instant.
        self._seq += 1
        heapq.heappush(self.heap, (at, kind - _KINDS, self._seq, payload))

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
        """Play the scenario: one heap holds what happens next — arrivals, answers, hang-ups
        and the engine's own timers — and each entry is one command to the engine.

        The loop is written out flat (every lookup bound to a local, the customers' and
        operators' side inline) because it runs a few times per simulated contact: at a
        hundred thousand contacts a run, each call saved is visible."""
        # Millions of short-lived objects and none in a reference cycle: the cyclic
        # collector would walk them again and again and free nothing.
        collecting = gc.isenabled()
        gc.disable()
        try:
            return self._run()
        finally:
            if collecting:
                gc.enable()

    def _run(self) -> dict[str, Any]:
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
        end_of_run = self.start + scenario.duration_s
        draw, log = self.rng_arrivals.random, math.log
        service, impatience = self.rng_service.random, self.rng_patience.random
        # Per stream: its samplers, each with its rate when exponential (drawn here as
        # Random.expovariate draws it, the same numbers: 0.0 means call the sampler), what
        # its contacts look like, and its arrival rate per second when constant (None: a
        # profile, drawn by _next_arrival).
        streams = [(_rate(s.handle_time_s), s.handle_time_s.sampler(self.rng_service),
                    _rate(s.patience_s) if s.patience_s else 0.0,
                    s.patience_s.sampler(self.rng_patience) if s.patience_s else None,
                    s.queue, s.channel, s.priority, s.segment, s.skills,
                    None if isinstance(s.arrivals_per_hour, list) else s.rate_at(0.0))
                   for s in scenario.traffic]
        #: operator id -> (answer probability, answer delay, when they log out or None)
        answering = {name: (a.answer_probability, a.answer_delay_s,
                            None if a.logout_s is None else self.start + a.logout_s)
                     for name, a in self.agent_of.items()}
        # An offer's answer is certain once drawn unless something else may withdraw it
        # first: the operator's logout (checked per offer) or a break after missed offers.
        breaks = bool(self.engine.settings.max_missed_offers)
        lean = self.lean
        engine, heap, clock, handle_time = self.engine, self.heap, self.clock, self.handle_time
        contacts, offers, queue_wrap = engine.contacts, engine.offers, self.queue_wrap
        agent_wrap = {name: a.wrap_up_s for name, a in self.agent_of.items()}
        pop, push = heapq.heappop, heapq.heappush
        random = self.rng_agents.random
        offer_kind, connect_kind, offer_rank = ev.OFFER, ev.CONNECT, TIMER_RANK["offer"]
        arrival, answer, abandon, end = _ARRIVAL - _KINDS, _ANSWER - _KINDS, _ABANDON - _KINDS, _END - _KINDS
        on_events, drain, feed = self.on_events, engine.drain_events, self.accumulator.feed
        is_live = engine.timer_is_live
        new_spec = tuple.__new__
        seq = self._seq
        steps = 0
        while heap:
            entry = heap[0]
            at, kind, _, payload = entry
            #: The contact that just arrived, and when it gives up (None: no patience).
            arriving: str | None = None
            gives_up: float | None = None
            if kind >= 0:  # one of the engine's timers
                if not is_live(entry):
                    pop(heap)
                    continue
                if not contacts and all(later[1] >= 0 for later in heap):
                    # Nobody left and nothing left to happen but the queues' opening hours,
                    # which would otherwise come round every week for ever.
                    break
                clock.t = at
                decisions = engine.advance()
            else:
                pop(heap)
                clock.t = at
                if kind == arrival:
                    self.arrived += 1
                    arriving = contact_id = f"c{self.arrived}"
                    (handle_rate, handle, patience_rate, patience, queue, channel, priority, segment, skills,
                     rate) = streams[payload]
                    handle_time[contact_id] = -log(1.0 - service()) / handle_rate if handle_rate else handle()
                    if patience is not None:
                        # Drawn now, pushed below unless the contact is sure to be answered first.
                        gives_up = at + (-log(1.0 - impatience()) / patience_rate if patience_rate else patience())
                    if rate is None:
                        following = self._next_arrival(payload, at)
                    elif rate > 0:  # _next_arrival of a constant rate, written out
                        following = at + -log(1.0 - draw()) / rate  # rng.expovariate(rate) written out
                        if following >= end_of_run:
                            following = None
                    else:
                        following = None
                    if following is not None:
                        seq += 1
                        push(heap, (following, arrival, seq, payload))
                    # ContactSpec(contact_id, queue, channel, priority, segment=segment,
                    # skills=skills), built as the tuple it is (NamedTuple's __new__ is a
                    # Python function): every field, in order.
                    decisions = engine.contact_arrived(new_spec(ContactSpec, (
                        contact_id, queue, channel, priority, None, None, segment, None, skills, None, None, ())))
                elif kind == answer:
                    if payload not in offers:
                        continue
                    decisions = engine.accept(payload)
                elif kind == abandon:
                    contact = contacts.get(payload)
                    if contact is None or contact.state not in (WAITING, OFFERED):
                        continue
                    decisions = engine.customer_left(payload)
                elif kind == end:
                    contact = contacts.get(payload)
                    if contact is None or contact.state != CONNECTED:
                        continue
                    operator_id = contact.operator_id or ""
                    decisions = engine.end_contact(payload)
                    if contact.state == WRAP_UP:
                        wrap = agent_wrap[operator_id]
                        if wrap < queue_wrap[contact.queue]:
                            seq += 1
                            push(heap, (at + wrap, _WRAP - _KINDS, seq, payload))
                else:
                    decisions = self._handle(kind + _KINDS, payload)
            if decisions:
                now = clock.t
                for decision in decisions:
                    what, decided_for, decided_to, offer_id, due, _, _, _, _ = decision
                    if what == offer_kind:
                        probability, delay, logout_at = answering[decided_to or ""]
                        deadline = due or 0.0
                        if probability >= 1.0 or random() < probability:
                            answer_at = now + delay
                            seq += 1
                            push(heap, (answer_at, answer, seq, offer_id))
                            if answer_at <= deadline and lean:
                                # Answered before it rings out (at its deadline the answer
                                # comes first): no timer for the deadline.
                                if (gives_up is not None and decided_for == arriving
                                        and answer_at <= gives_up and not breaks
                                        and (logout_at is None or logout_at >= answer_at)):
                                    gives_up = None  # answered before it gives up: no timer either
                                continue
                        if deadline > now and lean:  # one already due the engine armed itself
                            push(heap, (deadline, offer_rank, offer_id, offer_kind))
                    elif what == connect_kind:
                        seq += 1
                        push(heap, (now + handle_time.pop(decided_for or "", 0.0), end, seq, decided_for))
            if gives_up is not None and (arriving in contacts or not lean):
                seq += 1
                push(heap, (gives_up, abandon, seq, arriving))
            if on_events is not None and engine.events:
                events = drain()
                feed(events)
                on_events(events)
            steps += 1
            if self.progress is not None and not steps & 0x1FFF:
                self.progress(clock.t - self.start, scenario.duration_s)
        self._seq = seq
        self.accumulator.close(clock.t)
        wall = time.perf_counter() - wall_start
        if self.progress is not None:
            self.progress(scenario.duration_s, scenario.duration_s)
        return self._result(wall)

    def _handle(self, kind: int, payload: Any) -> list[ev.Decision]:
        """The less frequent simulation events: a wrap-up saved, logins and logouts."""
        engine = self.engine
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
