"""Asterisk ``queue_log``: parse a PBX's call history and compute its KPIs.

Each line is ``timestamp|callid|queue|agent|event|data1|data2|…``. The KPIs follow the
pinned definitions of the analytics issue (docs/queue-log.md): ``offered`` counts
ENTERQUEUE, ``answered`` CONNECT, ``abandoned`` ABANDON (the caller hung up while waiting);
``car`` is every call not answered, however it left, ÷ offered.

A malformed line — too few fields, a non-numeric timestamp or number, an event for a call
that never entered a queue — is counted and reported with its line number, and never
stops the import. Blank lines are ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from dozvon.analytics.kpi import ratio

#: Events of a call in a queue (they need an earlier ENTERQUEUE of the same call).
CALL_EVENTS = frozenset({
    "CONNECT", "COMPLETECALLER", "COMPLETEAGENT", "ABANDON", "EXITWITHTIMEOUT", "EXITEMPTY",
    "EXITWITHKEY", "RINGNOANSWER", "RINGCANCELED", "TRANSFER", "BLINDTRANSFER", "ATTENDEDTRANSFER",
})
#: Events about agents and the system, not tied to a queued call.
AGENT_EVENTS = frozenset({
    "AGENTLOGIN", "AGENTLOGOFF", "AGENTCALLBACKLOGIN", "AGENTCALLBACKLOGOFF", "ADDMEMBER",
    "REMOVEMEMBER", "PAUSE", "UNPAUSE", "PAUSEALL", "UNPAUSEALL", "QUEUESTART", "CONFIGRELOAD",
    "SYSCOMPAT", "AGENTDUMP", "DID", "INFO",
})


@dataclass(frozen=True, slots=True)
class Record:
    """One well-formed line."""

    line: int
    time: float
    callid: str
    queue: str
    agent: str
    event: str
    data: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    line: int
    reason: str


class Malformed(ValueError):
    pass


def data_number(record: Record, index: int, what: str) -> float:
    """Data field ``index`` of a record as a number; a missing or non-numeric one makes the line malformed."""
    try:
        value = record.data[index]
    except IndexError:
        raise Malformed(f"{record.event} has no {what} (data field {index + 1})") from None
    try:
        return float(value)
    except ValueError:
        raise Malformed(f"{record.event}: {what} {value!r} is not a number") from None


def parse_line(number: int, text: str) -> Record:
    fields = text.rstrip("\r\n").split("|")
    if len(fields) < 5:
        raise Malformed(f"{len(fields)} fields, at least 5 expected (timestamp|callid|queue|agent|event)")
    try:
        timestamp = float(fields[0])
    except ValueError:
        raise Malformed(f"timestamp {fields[0]!r} is not a number") from None
    event = fields[4].strip().upper()
    if not event:
        raise Malformed("the event name is empty")
    return Record(number, timestamp, fields[1], fields[2], fields[3], event, tuple(fields[5:]))


@dataclass
class QueueCounts:
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    within_target: int = 0
    hold_sum: float = 0.0
    abandon_wait_sum: float = 0.0
    short_abandons: int = 0
    completed: int = 0
    talk_sum: float = 0.0
    rona: int = 0
    exit_timeout: int = 0
    exit_empty: int = 0
    exit_key: int = 0
    transferred: int = 0

    def kpis(self) -> dict[str, Any]:
        return {
            "offered": self.offered,
            "answered": self.answered,
            "abandoned": self.abandoned,
            "car": ratio(self.offered - self.answered, self.offered),
            "lcr": ratio(self.abandoned, self.offered),
            "asa_s": ratio(self.hold_sum, self.answered),
            "service_level": ratio(self.within_target, self.offered),
            "aht_s": ratio(self.talk_sum, self.completed),
            "avg_abandon_s": ratio(self.abandon_wait_sum, self.abandoned),
            "service_level_excl_short": ratio(self.within_target, self.offered - self.short_abandons),
            "service_level_of_answered": ratio(self.within_target, self.answered),
            "short_abandons": self.short_abandons,
            "rona": self.rona,
            "exit_timeout": self.exit_timeout,
            "exit_empty": self.exit_empty,
            "exit_key": self.exit_key,
            "transferred": self.transferred,
        }


def read_records(lines: Iterable[str], problems: list[Problem]) -> Iterator[Record]:
    """Well-formed records in file order; malformed lines go to ``problems`` (blank: ignored).

    A call event is well-formed only if its call entered a queue earlier in the file.
    """
    entered: set[str] = set()
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            record = parse_line(number, text)
            if record.event == "ENTERQUEUE":
                entered.add(record.callid)
            elif record.event in CALL_EVENTS and record.callid not in entered:
                raise Malformed(f"{record.event} for call {record.callid!r}, which never entered a queue")
            _validate_numbers(record)
        except Malformed as error:
            problems.append(Problem(number, str(error)))
            continue
        yield record


def _validate_numbers(record: Record) -> None:
    """The numbers each event must carry (so that a half-written line is caught here)."""
    event = record.event
    if event == "CONNECT":
        data_number(record, 0, "hold time")
    elif event in ("COMPLETECALLER", "COMPLETEAGENT"):
        data_number(record, 0, "hold time")
        data_number(record, 1, "talk time")
    elif event in ("ABANDON", "EXITWITHTIMEOUT", "EXITEMPTY"):
        data_number(record, 2, "wait time")
    elif event == "EXITWITHKEY":
        data_number(record, 3, "wait time")
    elif event in ("TRANSFER", "BLINDTRANSFER"):
        data_number(record, 2, "hold time")
        data_number(record, 3, "talk time")


@dataclass
class QueueLogReport:
    target_answer_s: float = 20.0
    short_abandon_s: float = 5.0
    queues: dict[str, QueueCounts] = field(default_factory=dict)
    total: QueueCounts = field(default_factory=QueueCounts)
    problems: list[Problem] = field(default_factory=list)

    def add(self, record: Record) -> None:
        event = record.event
        if event in AGENT_EVENTS:
            return
        counts = self.queues.setdefault(record.queue, QueueCounts())
        for target in (counts, self.total):
            _count(target, record, self.target_answer_s, self.short_abandon_s)

    def as_dict(self) -> dict[str, Any]:
        return {
            "queues": {name: c.kpis() for name, c in sorted(self.queues.items())},
            "total": self.total.kpis(),
            "malformed_lines": len(self.problems),
            "problems": [{"line": p.line, "reason": p.reason} for p in self.problems],
        }


def _count(c: QueueCounts, record: Record, target: float, short: float) -> None:
    event, data = record.event, record
    if event == "ENTERQUEUE":
        c.offered += 1
    elif event == "CONNECT":
        hold = data_number(data, 0, "hold time")
        c.answered += 1
        c.hold_sum += hold
        if hold <= target:
            c.within_target += 1
    elif event in ("COMPLETECALLER", "COMPLETEAGENT"):
        c.completed += 1
        c.talk_sum += data_number(data, 1, "talk time")
    elif event in ("TRANSFER", "BLINDTRANSFER"):
        c.transferred += 1
        c.completed += 1
        c.talk_sum += data_number(data, 3, "talk time")
    elif event == "ATTENDEDTRANSFER":
        c.transferred += 1
        c.completed += 1
        c.talk_sum += attended_transfer_talk(data)
    elif event == "ABANDON":
        wait = data_number(data, 2, "wait time")
        c.abandoned += 1
        c.abandon_wait_sum += wait
        if wait < short:
            c.short_abandons += 1
    elif event == "EXITWITHTIMEOUT":
        c.exit_timeout += 1
    elif event == "EXITEMPTY":
        c.exit_empty += 1
    elif event == "EXITWITHKEY":
        c.exit_key += 1
    elif event == "RINGNOANSWER":
        c.rona += 1


def attended_transfer_talk(record: Record) -> float:
    """ATTENDEDTRANSFER's fields vary with the transfer method; its last three are
    holdtime|calltime|origposition when Asterisk wrote them. 0 when they are absent."""
    try:
        return float(record.data[-2])
    except (IndexError, ValueError):
        return 0.0


def report(lines: Iterable[str], target_answer_s: float = 20.0, short_abandon_s: float = 5.0) -> QueueLogReport:
    result = QueueLogReport(target_answer_s, short_abandon_s)
    for record in read_records(lines, result.problems):
        result.add(record)
    return result
