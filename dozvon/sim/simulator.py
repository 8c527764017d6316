"""Discrete-event simulation of a contact center around the production routing engine.

The simulator generates customers (Poisson arrivals, handle times, patience) and plays
the operators (answer delay, missed offers, wrap-up); every routing decision is taken by
the same :class:`~dozvon.routing.engine.RoutingEngine` the server runs, on a
:class:`~dozvon.core.clock.ManualClock`. KPIs are computed from the engine's events by the
same :class:`~dozvon.analytics.kpi.KpiAccumulator` definitions as everywhere else.
"""

from __future__ import annotations

import gc
import random
import time
from collections.abc import Callable
from heapq import heappop, heappush
from math import inf, log
from typing import Any, Final, cast

from dozvon.analytics.kpi import KpiAccumulator
from dozvon.channels.registry import registry
from dozvon.core.clock import ManualClock
from dozvon.routing import events as ev
from dozvon.routing.engine import RoutingEngine
from dozvon.routing.events import RoutingEvent
from dozvon.routing.heaps import NATIVE, pop, push
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
from dozvon.routing.timers import TIMER_RANK, Entry
from dozvon.sim.scenario import AgentSpec, Distribution, Scenario

# Simulation event kinds, ordered so that at equal times the customer's side happens in a
# stable, documented order (arrivals before answers before hang-ups).
_LOGIN: Final = 0
_ARRIVAL: Final = 1
_ANSWER: Final = 2
_END: Final = 3
_WRAP: Final = 4
_ABANDON: Final = 5
_LOGOUT: Final = 6
#: Not a kind: the entry of an instant that several events share holds their list.
_TIED: Final = 7
#: "No patience timer" (times are floats; a missing one is not boxed as None).
_NONE: Final = -inf
_DISPOSITION = Disposition("new_inquiry", True)

#: One of the simulation's own events: (kind, payload — a contact, offer or operator id,
#: or a traffic stream's index).
_Event = tuple[int, Any]
#: A traffic stream as the loop reads it: (handle-time rate — 0.0: draw with the sampler —,
#: sampler, patience rate, patience sampler or None, queue, channel, priority, segment,
#: skills, arrivals per second — -1.0: a profile, drawn by ``_next_arrival``).
_Stream = tuple[float, Callable[[], float], float, Callable[[], float] | None, str, str, int,
                str | None, dict[str, int], float]


def _first_kind(held: _Event) -> int:
    """The kind of the first event at an instant (see ``_tie``)."""
    return held[1][0][0] if held[0] == _TIED else held[0]


def _tie(held: _Event, event: _Event) -> _Event:
    """A second event at an instant that has one already: the instant's entry becomes the
    list of its events, in the order a heap of (time, kind, sequence) would give them —
    by kind, then in the order they came."""
    tied: list[_Event] = held[1] if held[0] == _TIED else [held]
    kind = event[0]
    place = len(tied)
    while place and tied[place - 1][0] > kind:
        place -= 1
    tied.insert(place, event)
    return (_TIED, tied)


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
        #: What the customers and operators do next: the instants, a heap of plain floats
        #: (ordered without comparing tuples: the heap's pops were the loop's largest
        #: cost), and what happens at each (see ``_tie`` for instants shared).
        #: (Typed Any, not float: a compiled build then keeps each instant the one boxed
        #: float it put in both, and the dictionary finds it by identity.)
        self.times: list[Any] = []
        self.due: dict[Any, Any] = {}  # (values too: setdefault() must hand back the object put in)
        #: The engine's timers, in a heap of their own (see :class:`~dozvon.routing.timers.Timers`):
        #: the loop takes whichever comes first, these after the simulation's own events
        #: due at the same instant.
        self.timers: list[Entry] = []
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
            sink=self.accumulator if on_events is None else None, timer_heap=self.timers,
            offer_timers=not lean)
        self.agent_of: dict[str, AgentSpec] = {}
        self.queue_wrap: dict[str, float] = {}
        self._configure()
        self.handle_time: dict[str, float] = {}
        self.arrived = 0

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
        """One of the simulation's own events (the loop writes this out where it runs often)."""
        instant: Any = at
        event: Any = (kind, payload)
        held = self.due.setdefault(instant, event)
        if held is event:
            heappush(self.times, instant)
        else:
            self.due[instant] = _tie(held, event)

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
        """Play the scenario: the next of the simulation's own events (arrivals, answers,
        hang-ups, customers giving up) or of the engine's timers, whichever is due first —
        each one command to the engine.

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
        end_of_run: float = self.start + scenario.duration_s
        draw = self.rng_arrivals.random
        service, impatience = self.rng_service.random, self.rng_patience.random
        # Per stream: its samplers, each with its rate when exponential (drawn here as
        # Random.expovariate draws it, the same numbers: 0.0 means call the sampler), what
        # its contacts look like, and its arrival rate per second when constant (-1.0: a
        # profile, drawn by _next_arrival).
        streams: list[_Stream] = [
            (_rate(s.handle_time_s), s.handle_time_s.sampler(self.rng_service),
             _rate(s.patience_s) if s.patience_s else 0.0,
             s.patience_s.sampler(self.rng_patience) if s.patience_s else None,
             s.queue, s.channel, s.priority, s.segment, s.skills,
             -1.0 if isinstance(s.arrivals_per_hour, list) else s.rate_at(0.0))
            for s in scenario.traffic]
        #: operator id -> (answer probability, answer delay, when they log out: inf for never)
        answering: dict[str, tuple[float, float, float]] = {
            name: (a.answer_probability, a.answer_delay_s,
                   inf if a.logout_s is None else self.start + a.logout_s)
            for name, a in self.agent_of.items()}
        # An offer's answer is certain once drawn unless something else may withdraw it
        # first: the operator's logout (checked per offer) or a break after missed offers.
        breaks = bool(self.engine.settings.max_missed_offers)
        lean = self.lean
        engine, clock, handle_time = self.engine, self.clock, self.handle_time
        times, due, timers = self.times, self.due, self.timers
        # heapq's functions as locals: a compiled build looks a module's global up in a dict
        # at every call (the instants stay on heapq: its C orders plain floats fastest).
        push_time, pop_time = heappush, heappop
        contacts, offers, queue_wrap = engine.contacts, engine.offers, self.queue_wrap
        agent_wrap = {name: a.wrap_up_s for name, a in self.agent_of.items()}
        # Whether an operator may save a contact before its queue's wrap-up time runs out
        # (else the engine's wrap-up timer ends every wrap-up: nothing to look up per contact).
        short_wraps = min(agent_wrap.values(), default=0.0) < max(queue_wrap.values(), default=0.0)
        random = self.rng_agents.random
        offer_kind, connect_kind, offer_rank = ev.OFFER, ev.CONNECT, TIMER_RANK["offer"]
        on_events, drain, feed = self.on_events, engine.drain_events, self.accumulator.feed
        instant: Any  # an instant of ``times`` and ``due``: a float, boxed once (see them)
        event: Any  # the event pushed, boxed once: setdefault() tells by identity whether it went in
        # Every operator answers the same time after the offer (the usual scenario): the
        # answers come in the order they were pushed, so they wait in a plain list (a
        # lane: ``lane[read]`` is the next, due at ``next_answer``) instead of the heap.
        one_delay = len({delay for _, delay, _ in answering.values()}) == 1
        lane: list[tuple[float, Any]] = []
        read = 0
        next_answer = inf
        steps = 0
        while True:
            #: The contact that just arrived, and when it gives up (_NONE: no patience).
            arriving: str | None = None
            gives_up: float = _NONE
            next_own: float = times[0] if times else inf
            # The lane's answer comes first if it is due first, or at the same instant
            # before the events of later kinds (a heap of (time, kind, sequence)'s order).
            answer_first = next_answer <= next_own and (
                next_answer != next_own or (next_own != inf and _first_kind(due[times[0]]) > _ANSWER))
            if answer_first:
                next_own = next_answer
            if next_own != inf and not (timers and timers[0][0] < next_own):
                # The customers' and operators' side: first at an instant the engine's
                # timers share.
                if answer_first:
                    answer_at, payload = lane[read]
                    read += 1
                    if read < len(lane):
                        next_answer = lane[read][0]
                        if read > 4096:  # let the list not grow for ever
                            del lane[:read]
                            read = 0
                    else:
                        next_answer = inf
                        lane.clear()
                        read = 0
                    clock.t = answer_at
                    if payload not in offers:
                        continue
                    decisions = engine.accept(payload)
                else:
                    instant = times[0]
                    own: _Event = due[instant]
                    kind, payload = own
                    del due[instant]  # (not pop(): a method call in a compiled build, these are not)
                    if kind == _TIED:
                        tied: list[_Event] = payload
                        kind, payload = tied.pop(0)
                        due[instant] = tied[0] if len(tied) == 1 else (_TIED, tied)
                    else:
                        pop_time(times)
                    at: float = instant
                    clock.t = at
                    if kind == _ARRIVAL:
                        self.arrived += 1
                        arriving = contact_id = f"c{self.arrived}"
                        # The stream's parts, typed (indexed by the payload as it is, an Any,
                        # a compiled build read them as objects: generic arithmetic below).
                        stream: _Stream = streams[cast(int, payload)]
                        (handle_rate, handle, patience_rate, patience, queue, channel, priority, segment, skills,
                         rate) = stream
                        handle_time[contact_id] = -log(1.0 - service()) / handle_rate if handle_rate else handle()
                        if patience is not None:
                            # Drawn now, pushed below unless the contact is sure to be answered first.
                            gives_up = at + (-log(1.0 - impatience()) / patience_rate if patience_rate else patience())
                        if rate > 0.0:  # _next_arrival of a constant rate, written out
                            following = at + -log(1.0 - draw()) / rate  # rng.expovariate(rate) written out
                            if following < end_of_run:
                                # _push written out (here and below), the instant boxed once.
                                instant = following
                                event = (_ARRIVAL, payload)
                                held = due.setdefault(instant, event)
                                if held is event:
                                    push_time(times, instant)
                                else:
                                    due[instant] = _tie(held, event)
                        elif rate < 0.0:
                            profiled = self._next_arrival(payload, at)
                            if profiled is not None:
                                self._push(profiled, _ARRIVAL, payload)
                        # ContactSpec(contact_id, queue, channel, priority, segment=segment,
                        # skills=skills) with every argument positional: the cheapest call.
                        decisions = engine.contact_arrived(ContactSpec(
                            contact_id, queue, channel, priority, None, None, segment, None, skills, None, None, ()))
                    elif kind == _ANSWER:
                        if payload not in offers:
                            continue
                        decisions = engine.accept(payload)
                    elif kind == _ABANDON:
                        contact = contacts.get(payload)
                        if contact is None or contact.state not in (WAITING, OFFERED):
                            continue
                        decisions = engine.customer_left(payload)
                    elif kind == _END:
                        contact = contacts.get(payload)
                        if contact is None or contact.state != CONNECTED:
                            continue
                        operator_id = contact.operator_id or ""
                        decisions = engine.end_contact(payload)
                        if short_wraps and contact.state == WRAP_UP:
                            wrap = agent_wrap[operator_id]
                            if wrap < queue_wrap[contact.queue]:
                                self._push(at + wrap, _WRAP, payload)
                    else:
                        decisions = self._handle(kind, payload)
            elif timers:  # one of the engine's timers
                entry = timers[0]
                if not engine.timer_is_live(entry):
                    if NATIVE:
                        pop(timers)
                    else:
                        heappop(timers)
                    continue
                if not contacts and not times:
                    # Nobody left and nothing left to happen but the queues' opening hours,
                    # which would otherwise come round every week for ever.
                    break
                clock.t = entry[0]
                decisions = engine.advance()
            else:
                break
            if decisions:
                now = clock.t
                for decision in decisions:
                    what = decision.kind
                    decided_for = decision.contact_id
                    if what == offer_kind:
                        offer_id = decision.offer_id
                        probability, delay, logout_at = answering[decision.operator_id or ""]
                        deadline = decision.deadline or 0.0
                        if probability >= 1.0 or random() < probability:
                            answer_at = now + delay
                            if one_delay:
                                if read == len(lane):
                                    next_answer = answer_at
                                lane.append((answer_at, offer_id))
                            else:
                                instant = answer_at
                                event = (_ANSWER, offer_id)
                                held = due.setdefault(instant, event)
                                if held is event:
                                    push_time(times, instant)
                                else:
                                    due[instant] = _tie(held, event)
                            if answer_at <= deadline and lean:
                                # Answered before it rings out (at its deadline the answer
                                # comes first): no timer for the deadline.
                                if (gives_up != _NONE and decided_for == arriving
                                        and answer_at <= gives_up and not breaks and logout_at >= answer_at):
                                    gives_up = _NONE  # answered before it gives up: no timer either
                                continue
                        if deadline > now and lean:  # one already due the engine armed itself
                            if NATIVE:
                                push(timers, (deadline, offer_rank, offer_id, offer_kind))
                            else:
                                heappush(timers, (deadline, offer_rank, offer_id, offer_kind))
                    elif what == connect_kind:
                        talk = handle_time.get(decided_for or "")
                        if talk is None:
                            talk = 0.0
                        else:
                            del handle_time[decided_for or ""]
                        instant = now + talk
                        event = (_END, decided_for)
                        held = due.setdefault(instant, event)
                        if held is event:
                            push_time(times, instant)
                        else:
                            due[instant] = _tie(held, event)
            if gives_up != _NONE and (arriving in contacts or not lean):
                instant = gives_up
                event = (_ABANDON, arriving)
                held = due.setdefault(instant, event)
                if held is event:
                    push_time(times, instant)
                else:
                    due[instant] = _tie(held, event)
            if on_events is not None and engine.events:
                events = drain()
                feed(events)
                on_events(events)
            steps += 1
            if self.progress is not None and not steps & 0x1FFF:
                self.progress(clock.t - self.start, scenario.duration_s)
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
