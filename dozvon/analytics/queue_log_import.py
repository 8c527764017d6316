"""Load an Asterisk ``queue_log`` into Dozvon's event log (``dozvon import queue-log``).

Each queued call becomes a contact with the same events the routing engine writes
(docs/events.md), so every KPI and report computed from the event log works on the
imported history, and gives the same figures as ``dozvon report queue-log`` on the file.
A call that enters a second queue (after EXITWITHTIMEOUT, say) is a second contact, as
``offered`` counts each ENTERQUEUE. The events are appended through the project's
routing service (:class:`dozvon.acd.service.RouterService`, the only writer of the log and
the engine's tables), each as a fact at its own time with the project's next ``seq``, in one
command: an import either lands whole or not at all, a live engine continues the sequence
after it, and importing the same file twice is refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dozvon.acd.service import RouterService
from dozvon.analytics.queue_log import Problem, Record, attended_transfer_talk, data_number, read_records
from dozvon.core.db import refresh_planner_statistics
from dozvon.core.errors import Conflict
from dozvon.eventlog.models import EventRecord
from dozvon.routing.engine import RoutingEngine
from dozvon.routing.events import RoutingEvent

SOURCE = "asterisk_queue_log"


@dataclass
class _Call:
    contact_id: str
    queue: str
    entered_at: float
    offers: int = 0
    answered: bool = False
    agent: str | None = None
    closed: bool = False
    customer_id: str | None = None


@dataclass
class Converter:
    """Turns queue_log records into routing events, one call and one agent at a time."""

    events: list[RoutingEvent] = field(default_factory=list)
    calls: dict[str, _Call] = field(default_factory=dict)
    entries: dict[str, int] = field(default_factory=dict)
    agent_state: dict[str, str] = field(default_factory=dict)

    def emit(self, type_: str, at: float, call: _Call | None = None, agent: str | None = None,
             queue: str | None = None, /, **data: Any) -> None:
        self.events.append(RoutingEvent(0, type_, at, call.contact_id if call else None, agent,
                                        call.queue if call else queue, "voice" if call else None,
                                        {**data, "source": SOURCE}))

    def add(self, r: Record) -> None:
        if r.event == "ENTERQUEUE":
            self._enter(r)
            return
        call = self.calls.get(r.callid)
        if call is not None and not call.closed:
            self._call_event(r, call)
        elif r.event in ("AGENTLOGIN", "AGENTCALLBACKLOGIN", "ADDMEMBER", "UNPAUSE", "UNPAUSEALL"):
            self._agent(r, "available")
        elif r.event in ("AGENTLOGOFF", "AGENTCALLBACKLOGOFF", "REMOVEMEMBER"):
            self._agent(r, "offline")
        elif r.event in ("PAUSE", "PAUSEALL"):
            self._agent(r, "break", r.data[0] if r.data and r.data[0] else None)

    def _enter(self, r: Record) -> None:
        n = self.entries.get(r.callid, 0) + 1
        self.entries[r.callid] = n
        contact_id = f"ql-{r.callid}" if n == 1 else f"ql-{r.callid}-{n}"
        caller = r.data[1] if len(r.data) > 1 and r.data[1] else None
        call = self.calls[r.callid] = _Call(contact_id, r.queue, r.time, customer_id=caller)
        extra = {"customer_id": caller} if caller else {}
        self.emit("contact.arrived", r.time, call, priority=0, **extra)
        self.emit("contact.queued", r.time, call, reason="arrival", priority=0)

    def _offer(self, r: Record, call: _Call, ring_s: float) -> str:
        call.offers += 1
        offer_id = f"{call.contact_id}:o{call.offers}"
        self.emit("offer.created", r.time - ring_s, call, r.agent, offer_id=offer_id,
                  deadline=r.time, directed=False, sticky=False)
        return offer_id

    def _call_event(self, r: Record, call: _Call) -> None:
        event, t = r.event, r.time
        if event in ("RINGNOANSWER", "RINGCANCELED"):
            ring = _ms(r.data[0] if r.data else "")
            offer_id = self._offer(r, call, ring)
            outcome = "offer.timed_out" if event == "RINGNOANSWER" else "offer.withdrawn"
            self.emit(outcome, t, call, r.agent, offer_id=offer_id, ring_s=ring,
                      reason="no_answer" if event == "RINGNOANSWER" else "answered_elsewhere")
        elif event == "CONNECT":
            hold = data_number(r, 0, "hold time")
            ring = _seconds(r.data[2] if len(r.data) > 2 else "")
            offer_id = self._offer(r, call, ring)
            self.emit("offer.accepted", t, call, r.agent, offer_id=offer_id, ring_s=ring)
            call.answered, call.agent = True, r.agent
            caller = {"customer_id": call.customer_id} if call.customer_id else {}
            self.emit("contact.answered", t, call, r.agent, wait_s=hold, queue_wait_s=hold, first=True, ring_s=ring,
                      **caller)
        elif event in ("COMPLETECALLER", "COMPLETEAGENT"):
            talk = data_number(r, 1, "talk time")
            by = "customer" if event == "COMPLETECALLER" else "operator"
            self.emit("contact.ended", t, call, r.agent, by=by, talk_s=talk, hold_s=0.0, wrap_up_s=0.0)
            self.emit("contact.wrap_up_ended", t, call, r.agent, wrap_s=0.0, timed_out=True)
            self._close(call, t, r.agent, "handled", talk_s=talk, hold_s=0.0, wrap_s=0.0,
                        disposition_missing=True)
        elif event in ("TRANSFER", "BLINDTRANSFER", "ATTENDEDTRANSFER"):
            talk = data_number(r, 3, "talk time") if event != "ATTENDEDTRANSFER" else attended_transfer_talk(r)
            target = r.data[0] if r.data else ""
            self.emit("contact.transferred", t, call, r.agent, to_external=target, to_operator=None,
                      to_queue=None, escalation=False, leg_talk_s=talk)
            self._close(call, t, None, "transferred_external", talk_s=talk, hold_s=0.0, wrap_s=0.0)
        elif event == "ABANDON":
            wait = data_number(r, 2, "wait time")
            self.emit("contact.abandoned", t, call, wait_s=wait, queue_wait_s=wait, **{"while": "waiting"})
            self._close(call, t, None, "abandoned", reason="waiting")
        elif event in ("EXITWITHTIMEOUT", "EXITEMPTY", "EXITWITHKEY"):
            reason = {"EXITWITHTIMEOUT": "max_wait", "EXITEMPTY": "queue_empty", "EXITWITHKEY": "exit_key"}[event]
            self._close(call, t, None, "exited", reason=reason)

    def _close(self, call: _Call, at: float, agent: str | None, outcome: str, **data: Any) -> None:
        call.closed = True
        self.emit("contact.closed", at, call, agent, outcome=outcome, answered=call.answered, **data)

    def finish(self, at: float) -> None:
        """Calls whose end the log never recorded (it stops, or their last line was
        malformed) are closed as ``unknown``: unanswered ones count as lost, as in the report."""
        for call in self.calls.values():
            if not call.closed:
                self._close(call, at, call.agent, "unknown", reason="log_ended")

    def _agent(self, r: Record, state: str, reason: str | None = None) -> None:
        agent = r.agent
        if not agent or agent == "NONE":
            return
        previous = self.agent_state.get(agent, "offline")
        if previous == state:
            return
        if previous == "offline":
            self.emit("operator.logged_in", r.time, None, agent)
        self.emit("operator.state_changed", r.time, None, agent, None, to=state, reason=reason, **{"from": previous})
        if state == "offline":
            self.emit("operator.logged_out", r.time, None, agent)
        self.agent_state[agent] = state


def _seconds(text: str) -> float:
    try:
        return max(0.0, float(text))
    except ValueError:
        return 0.0


def _ms(text: str) -> float:
    return _seconds(text) / 1000.0


@dataclass(frozen=True)
class ImportResult:
    contacts: int
    events: int
    problems: list[Problem]


def import_queue_log(service: RouterService, lines: Iterable[str]) -> ImportResult:
    """Convert and append through ``service`` (its project), in one transaction of its own.
    Refuses a log already imported: nothing is written then, nor when anything fails."""
    problems: list[Problem] = []
    converter = Converter()
    last_time = 0.0
    for record in read_records(lines, problems):
        converter.add(record)
        last_time = max(last_time, record.time)
    converter.finish(last_time)
    project = service.project
    first_ids = [f"ql-{callid}" for callid in converter.entries]
    events = sorted(converter.events, key=lambda e: e.at)  # stable: a call's events keep their order

    def refuse_twice(session: Session) -> None:
        for start in range(0, len(first_ids), 500):
            chunk = first_ids[start:start + 500]
            existing = session.scalar(select(EventRecord.contact_id).where(
                EventRecord.project == project, EventRecord.contact_id.in_(chunk)).limit(1))
            if existing is not None:
                raise Conflict("import.already", project=project, contact=existing)

    def append(engine: RoutingEngine) -> None:
        for e in events:
            engine.note(e.type, e.contact_id, e.operator_id, queue=e.queue, channel=e.channel, at=e.at, **e.data)

    service.run(append, before=refuse_twice)
    # A history loaded at once: reports over it are slow until the planner knows its size.
    refresh_planner_statistics(service.db)
    return ImportResult(sum(converter.entries.values()), len(events), problems)
