"""Every event the engine emits keeps the typed contract of dozvon/eventlog/catalogue.py.

One engine is driven through a busy scripted morning — round robin, ring-all, RONA, a
decline, hold/resume, transfers to an operator, a queue and an external number, an attended
transfer to a queue (declined, then completed), an
escalation into closed hours, abandons while waiting and while ringing, overflow, maximum
wait with a callback, sticky routing, wrap-up by hand and by timeout, a late disposition
and a forgotten one, chat messages both ways, the outbox's notes, breaks, missed offers,
reconfiguration, business hours opening and closing — and every event it emits must parse
strictly against its class. The scenario must also produce every type in the registry, so
a new type cannot join the catalogue without a scenario that exercises it.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import typing
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from dozvon.channels.registry import registry
from dozvon.core.clock import ManualClock
from dozvon.core.errors import InvalidInput
from dozvon.eventlog import repository
from dozvon.eventlog.catalogue import REGISTRY, ContactClosed, data_keys, parse, parse_event, version_of
from dozvon.eventlog.models import EventRecord
from dozvon.eventlog.recipients import Audience, recipients
from dozvon.routing import ContactSpec, Disposition, EngineSettings, OperatorConfig, QueueConfig, RoutingEngine
from dozvon.routing.calendar import BusinessHours
from dozvon.routing.events import EVENT_VERSION, RoutingEvent
from dozvon.routing.model import Action
from tests.conftest import T0

ROOT = Path(__file__).resolve().parents[2]
WEEKDAYS = {d: ("09:00-18:00",) for d in ("mon", "tue", "wed", "thu", "fri")}


def _offers(engine: RoutingEngine, contact_id: str) -> list[str]:
    return sorted(engine.contacts[contact_id].offers)


def _the_offer(engine: RoutingEngine, contact_id: str) -> str:
    offers = _offers(engine, contact_id)
    assert len(offers) == 1, (contact_id, offers)
    return offers[0]


def _answer(engine: RoutingEngine, contact_id: str) -> str:
    """Accept the contact's first ringing offer; returns the operator who has it now."""
    offer = _offers(engine, contact_id)[0]
    operator = engine.offers[offer].operator_id
    engine.accept(offer)
    return operator


@cache
def busy_morning() -> tuple[RoutingEvent, ...]:
    clock = ManualClock(T0)  # Monday 08:00 UTC
    queues = [
        QueueConfig("sales", strategy="round_robin", offer_timeout_s=15, wrap_up_s=30, max_wait_s=120,
                    on_max_wait=Action("callback", text="We will call you back"), max_length=2,
                    on_full=Action("overflow", target_queue="support"), sticky_wait_s=20,
                    callback_on_abandon=True, escalation_queue="senior"),
        QueueConfig("support", strategy="ring_all", offer_timeout_s=10, wrap_up_s=0),
        QueueConfig("senior", hours=BusinessHours("UTC", WEEKDAYS),
                    on_closed=Action("message", text="We open at 9")),
        QueueConfig("chat", strategy="least_busy", wrap_up_s=60, max_length=1),
    ]
    voice = {"voice": 1}
    ops = [OperatorConfig(f"op{i}", queues=("sales", "support"), capacity=voice) for i in (1, 2, 3)]
    ops += [OperatorConfig("op4", queues=("senior",), capacity=voice),
            OperatorConfig("op5", queues=("chat",), capacity={"chat": 1})]
    settings = EngineSettings(max_missed_offers=2, channel_buckets=registry.buckets())
    e = RoutingEngine(clock, queues, ops, settings)
    for op in ops:
        e.login(op.id)

    # RONA, a decline, an answer; hold and resume.
    e.contact_arrived(ContactSpec("c1", "sales", customer_id="k1", segment="vip", language="ru",
                                  source="web", flags=("callback_ok",)))
    first = e.offers[_the_offer(e, "c1")].operator_id
    clock.advance(15)
    e.advance()
    e.decline(_the_offer(e, "c1"), reason="busy")
    answered_by = _answer(e, "c1")
    e.hold("c1")
    clock.advance(5)
    e.resume("c1", answered_by)
    # Transfer to a named operator, then to a ring-all queue; wrap-up 0 there: the
    # contact closes without a disposition, and one comes late.
    e.transfer("c1", to_operator=first, operator_id=answered_by)
    assert _answer(e, "c1") == first
    e.transfer("c1", to_queue="support")
    assert len(_offers(e, "c1")) == 3  # ring-all: every free member rings
    support_op = _answer(e, "c1")
    clock.advance(40)
    e.end_contact("c1", by="customer")
    e.finish_wrap_up("c1", Disposition("complaint", True, "called back later"), support_op)

    # Wrap-up finished by hand; then one that runs out (forgotten after 24 h, below).
    e.contact_arrived(ContactSpec("c2", "sales", customer_id="k2"))
    k2_operator = _answer(e, "c2")
    clock.advance(60)
    e.end_contact("c2")
    e.finish_wrap_up("c2", Disposition("new_inquiry", False))
    e.contact_arrived(ContactSpec("c3", "sales"))
    _answer(e, "c3")
    clock.advance(30)
    e.end_contact("c3")
    clock.advance(30)
    e.advance()

    # Everyone busy: a returning customer waits for their operator (sticky), the queue
    # fills, the next one overflows, one abandons, one waits too long (callback).
    for cid in ("c4", "c5", "c6"):
        e.contact_arrived(ContactSpec(cid, "sales"))
        _answer(e, cid)
    e.contact_arrived(ContactSpec("c7", "sales", customer_id="k2"))
    assert e.contacts["c7"].sticky_operator == k2_operator
    e.contact_arrived(ContactSpec("c8", "sales", customer_id="k8"))
    e.contact_arrived(ContactSpec("c9", "sales"))
    assert e.contacts["c9"].queue == "support"
    clock.advance(20)
    e.advance()  # sticky wait over
    e.customer_left("c8")
    clock.advance(100)
    e.advance()  # c7 has waited 120 s
    assert "c7" not in e.contacts
    for cid in ("c4", "c5", "c6"):
        e.finish_wrap_up(cid, Disposition("regular", True))
    assert _offers(e, "c9")  # the first operator free rings at once
    e.customer_left("c9")  # hangs up while ringing

    # An external transfer; an escalation into closed hours; an arrival there too.
    e.contact_arrived(ContactSpec("c10", "sales"))
    _answer(e, "c10")
    e.transfer("c10", to_external="+74950000000")
    # An attended transfer to a queue: the colleague who answers declines; asked again, the
    # customer is handed over.
    e.contact_arrived(ContactSpec("c19", "sales"))
    _answer(e, "c19")
    e.consult("c19", to_queue="support")
    colleague = _answer(e, "c19")
    e.cancel_consult("c19", colleague)
    e.consult("c19", to_queue="support")
    _answer(e, "c19")
    e.complete_consult("c19")
    e.finish_wrap_up("c19", Disposition("regular", True))
    e.contact_arrived(ContactSpec("c11", "sales"))
    _answer(e, "c11")
    e.escalate("c11")
    e.contact_arrived(ContactSpec("c12", "senior"))
    assert "c12" not in e.contacts

    # A chat: messages both ways, the outbox's notes; a full chat queue rejects.
    e.contact_arrived(ContactSpec("c13", "chat", channel="chat"))
    e.record_message("c13", "in", "tg-1", "Hello?", author="customer")
    _answer(e, "c13")
    e.record_message("c13", "out", "out-1", "Hello! How can I help?", author="op5")
    e.note("message.delivered", "c13", "op5", message_id="out-1", key="c13:out-1", attempt=1,
           channel_message_id="tg-2")
    e.record_message("c13", "out", "out-2", "Are you there?", author="op5")
    e.note("message.failed", "c13", "op5", message_id="out-2", key="c13:out-2", attempt=1,
           error="channel timed out", permanent=False)
    e.note("note.added", "c13", "op5", note_id="note-1", text="VIP, be gentle", author="supervisor")
    e.note("message.sent", "c13", "op5", message_id="auto-1", text="Thank you!", author="op5", auto=True,
           reason="farewell")
    e.note("csat.rated", "c13", "op5", score=5, comment="Quick and kind")
    e.contact_arrived(ContactSpec("c14", "chat", channel="chat"))
    e.contact_arrived(ContactSpec("c15", "chat", channel="chat"))
    assert "c15" not in e.contacts
    e.finish_wrap_up("c13", Disposition("clarification", True))
    e.reassign("c14", to_queue="support", by="supervisor")  # nobody there takes chats: it waits
    e.customer_left("c14")
    # A blocked customer turned away on arrival by the project's policy, told why.
    e.contact_arrived(ContactSpec("c18", "chat", channel="chat", flags=("blocked",)),
                      refuse=Action("message", text="Not accepted from this number"))
    assert "c18" not in e.contacts
    e.merge_customers("k2", "k8", by="supervisor")  # two records of one person
    e.note("customer.erased", None, customer_id="k2", by="supervisor")  # a personal-data request
    # A callback promised in the chat, given on to a colleague, moved, late, done; another dropped
    # (the tasks' actions log these through the same engine.note, dozvon/tasks/actions.py).
    due = T0 + 3600
    e.note("task.created", "c13", "op5", task_id=1, kind="callback", due_at=due, customer_id="k2", by="op5")
    e.note("task.reassigned", "c13", "op4", task_id=1, due_at=due, by="supervisor", **{"from": "op5"})
    e.note("task.released", "c13", "op5", task_id=1, to="op4", by="supervisor")
    e.note("task.rescheduled", "c13", "op4", task_id=1, from_due=due, due_at=due + 600, by="op4")
    e.note("task.overdue", "c13", "op4", task_id=1, due_at=due + 600)
    e.note("task.done", "c13", "op4", task_id=1, created_at=T0, due_at=due + 600, late=True, by="op4")
    e.note("task.created", None, "op1", task_id=2, kind="offer", due_at=due, by="supervisor")
    e.note("task.cancelled", None, "op1", task_id=2, created_at=T0, due_at=due, by="supervisor")
    # The conversation is evaluated; the operator disputes, the supervisor revises, the operator
    # disputes the revision, it is upheld and acknowledged; a calibration score names nobody
    # (the evaluations' actions log these, dozvon/quality/evaluations.py).
    e.note("evaluation.submitted", "c13", "op5", queue="sales", channel="chat", evaluation_id=1, scorecard_id=1,
           score=72.5, failed_critical=False, by="supervisor")
    e.note("evaluation.disputed", "c13", "op5", queue="sales", channel="chat", evaluation_id=1, by="op5")
    e.note("evaluation.revised", "c13", "op5", queue="sales", channel="chat", evaluation_id=1, score=80.0,
           from_score=72.5, by="supervisor")
    e.note("evaluation.disputed", "c13", "op5", queue="sales", channel="chat", evaluation_id=1, by="op5")
    e.note("evaluation.upheld", "c13", "op5", queue="sales", channel="chat", evaluation_id=1, score=80.0,
           by="supervisor")
    e.note("evaluation.acknowledged", "c13", "op5", queue="sales", channel="chat", evaluation_id=1, by="op5")
    e.note("calibration.scored", "c13", None, queue="sales", channel="chat", evaluation_id=2, calibration_id=1,
           score=65.0, by="supervisor")
    # The automatic checks of the closed conversation are stored; a new chat reads as a complaint
    # (the quality checks' actions log these, dozvon/quality/actions.py).
    e.note("quality.checked", None, "op5", queue="sales", channel="chat", conversation_id="c13", score=67,
           failed=["farewell"])
    e.note("quality.complaint_suspected", "c13", "op5", queue="sales", channel="chat", cues=["безобразие"],
           moved_to="complaints")

    # Missed offers: after two unanswered in a row an operator is set not-ready.
    e.contact_arrived(ContactSpec("c16", "sales"))
    while not any(op.state == "break" for op in e.operators.values()):
        clock.advance(15)
        e.advance()
    e.customer_left("c16")

    # Configuration and presence.
    e.add_operator(OperatorConfig("op2", queues=("sales",), skills={"english": 2}, capacity=voice))
    e.add_queue(QueueConfig("support", strategy="ring_all", offer_timeout_s=20))
    e.add_queue(QueueConfig("pilot"))
    e.remove_queue("pilot")
    e.set_state("op3", "break", "lunch")
    e.logout("op3")

    # The day goes on: senior opens at 09:00 and closes at 18:00; c3's late disposition
    # window (24 h) closes.
    for _ in range(4):
        clock.advance(9 * 3600)
        e.advance()
    return tuple(e.drain_events())


def test_the_scenario_emits_every_type_in_the_catalogue():
    emitted = {e.type for e in busy_morning()}
    assert emitted - set(REGISTRY) == set(), "types missing from the catalogue"
    assert set(REGISTRY) - emitted == set(), "catalogue types this scenario never produces"


def test_every_event_the_engine_emits_parses_strictly_against_its_class():
    for event in busy_morning():
        try:
            parsed = parse_event(event)
        except InvalidInput as error:
            pytest.fail(f"event #{event.seq} {event.type} {event.data}: {error}")
        assert parsed.type == event.type
        assert parsed.to_data() == event.data, "nothing lost or added between data and its class"
        # …and as stored: the JSON column gives back what was written.
        parse(event.type, json.loads(json.dumps(event.data)), version=EVENT_VERSION)


def test_imported_pbx_history_keeps_the_contract_too():
    from dozvon.analytics.queue_log import read_records
    from dozvon.analytics.queue_log_import import SOURCE, Converter

    sample = (ROOT / "tests" / "analytics" / "sample_queue_log.txt").read_text(encoding="utf-8").splitlines()
    more = ["1767700000|x.1|sales|NONE|ENTERQUEUE||79160000000|1",
            "1767700009|x.1|sales|SIP/101|RINGCANCELED|9000",
            "1767700010|x.1|sales|NONE|EXITEMPTY|1|1|10",
            "1767700100|x.2|sales|NONE|ENTERQUEUE|||1",
            "1767700110|x.2|sales|NONE|EXITWITHKEY|5|1",
            "1767700200|x.3|sales|NONE|ENTERQUEUE||79160000001|1",  # the log ends before the call
            "1767700205|NONE|sales|SIP/101|PAUSE|lunch",
            "1767700206|NONE|sales|SIP/101|REMOVEMEMBER|"]
    converter = Converter()
    for record in read_records([*sample, *more], []):
        converter.add(record)
    converter.finish(1767700300)
    types = set()
    for event in converter.events:
        parsed = parse_event(event)
        assert parsed.source == SOURCE
        types.add(event.type)
    assert {"offer.timed_out", "offer.withdrawn", "contact.transferred", "operator.logged_out"} <= types


def test_a_renamed_key_a_missing_key_or_a_wrong_type_is_refused():
    checked = 0
    for event in busy_morning():
        if not event.data:
            continue
        key, value = next(iter(event.data.items()))
        renamed = {**event.data, key + "_x": value}
        del renamed[key]
        with pytest.raises(InvalidInput):
            parse(event.type, renamed)
        wrong = {**event.data, key: object()}
        with pytest.raises(InvalidInput):
            parse(event.type, wrong)
        checked += 1
    assert checked > 50
    with pytest.raises(InvalidInput, match="Unknown event type"):
        parse("contact.teleported", {})
    with pytest.raises(InvalidInput, match="'answered' is required"):
        parse("contact.closed", {"outcome": "handled"})
    with pytest.raises(InvalidInput, match="must be true or false"):
        parse("contact.closed", {"outcome": "handled", "answered": 1})
    with pytest.raises(InvalidInput, match="must be one of"):
        parse("contact.closed", {"outcome": "lost", "answered": False})
    with pytest.raises(InvalidInput, match="version"):
        parse("contact.held", {}, version=2)


def test_a_missing_common_field_is_refused():
    with pytest.raises(InvalidInput, match="'contact_id' is required"):
        parse_event(RoutingEvent(1, "contact.held", T0, None, "op1", "sales"))
    with pytest.raises(InvalidInput, match="'operator_id' is required"):
        parse_event(RoutingEvent(1, "operator.logged_in", T0))


def test_imported_history_may_say_where_it_came_from():
    event = parse("contact.queued", {"reason": "arrival", "priority": 0, "source": "asterisk_queue_log"})
    assert event.source == "asterisk_queue_log"
    assert event.to_data() == {"reason": "arrival", "priority": 0, "source": "asterisk_queue_log"}


def test_every_type_is_at_the_version_the_log_writes():
    # repository.append writes EVENT_VERSION for every event: until it writes each type's
    # own version, they must agree.
    assert {version_of(t) for t in REGISTRY} == {EVENT_VERSION}


def test_the_typed_data_of_a_literal_field_is_documented_in_its_class():
    hints = typing.get_type_hints(ContactClosed)
    assert "log_ended" in typing.get_args(typing.get_args(hints["reason"])[0])
    assert data_keys("contact.abandoned")[-1] == "while"
    assert all(dataclasses.is_dataclass(cls) for cls in REGISTRY.values())


# ---------------------------------------------------------------------------- recipients


def test_recipients_follow_the_rule_of_the_catalogue():
    seen = set()
    for event in busy_morning():
        audience = recipients(event)
        assert audience.supervisors, "supervisors receive every event"
        prefix = event.type.split(".")[0]
        if prefix == "queue" or event.operator_id is None:
            assert audience.operators == frozenset()
        else:
            assert audience.operators == {event.operator_id}
        seen.add(prefix)
    assert seen == {"contact", "consult", "offer", "message", "operator", "queue", "callback", "note", "csat",
                    "customer", "task", "evaluation", "calibration", "quality"}
    queue_event = RoutingEvent(1, "queue.configured", T0, operator_id="op1", queue="sales")
    assert recipients(queue_event).operators == frozenset()
    unknown = RoutingEvent(1, "contact.teleported", T0, "c1", "op1", "sales")
    assert recipients(unknown) == Audience(frozenset(), True), "an unknown type goes to supervisors only"


def test_the_replay_query_gives_a_caller_exactly_what_the_live_rule_gives():
    teleported = RoutingEvent(0, "contact.teleported", T0, "c1", "op1", "sales")
    events = [dataclasses.replace(e, seq=seq) for seq, e in enumerate([*busy_morning(), teleported], 1)]
    db = create_engine("sqlite://")
    EventRecord.metadata.create_all(db, tables=[EventRecord.__table__])
    with Session(db) as session:
        repository.append(session, "p", events)
        repository.append(session, "other", events[:5])
        viewers = [(True, None), (False, None)] + [(False, f"op{i}") for i in range(1, 6)] + [(True, "op1")]
        for supervisor, operator_id in viewers:
            stmt = repository.readable_to("p", supervisor=supervisor, operator_id=operator_id)
            got = [r.seq for r in session.scalars(stmt.order_by(EventRecord.seq))]
            rows = session.scalars(repository.readable("p").order_by(EventRecord.seq))
            want = [r.seq for r in rows if recipients(r).includes(operator_id=operator_id, supervisor=supervisor)]
            assert got == want, (supervisor, operator_id)
            assert (len(got) == len(events)) == supervisor
            if operator_id and not supervisor:
                assert got, operator_id


def test_the_catalogue_imports_no_web_or_database_code():
    code = ("import sys, dozvon.eventlog.catalogue, dozvon.eventlog.recipients; "
            "print(sorted(m for m in sys.modules if m.startswith(('sqlalchemy', 'fastapi', 'starlette', "
            "'pydantic', 'dozvon.routing', 'dozvon.server', 'dozvon.eventlog.models', "
            "'dozvon.eventlog.repository'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"
