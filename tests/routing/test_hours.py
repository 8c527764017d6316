"""Business hours: time zones, DST, holidays, split and overnight hours, out-of-hours actions."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from dozvon.core.errors import InvalidInput
from dozvon.routing import ContactSpec, QueueConfig
from dozvon.routing.calendar import BusinessHours
from dozvon.routing.events import AUTO_REPLY, CALLBACK, OFFER
from dozvon.routing.model import Action
from tests.conftest import make_engine, voice_ops

MSK = ZoneInfo("Europe/Moscow")
BERLIN = ZoneInfo("Europe/Berlin")


def ts(year, month, day, hour, minute=0, zone=MSK) -> float:
    return datetime(year, month, day, hour, minute, tzinfo=zone).timestamp()


WEEKDAYS = {d: ("09:00-13:00", "14:00-18:00") for d in ("mon", "tue", "wed", "thu", "fri")}


def test_split_hours_close_for_lunch_in_the_queues_own_time_zone():
    hours = BusinessHours("Europe/Moscow", WEEKDAYS)
    assert not hours.is_open(ts(2026, 1, 5, 8, 59))
    assert hours.is_open(ts(2026, 1, 5, 9, 0))
    assert not hours.is_open(ts(2026, 1, 5, 13, 30))
    assert hours.is_open(ts(2026, 1, 5, 14, 0))
    assert not hours.is_open(ts(2026, 1, 5, 18, 0))
    assert not hours.is_open(ts(2026, 1, 10, 12, 0))  # Saturday
    assert hours.next_change(ts(2026, 1, 5, 10, 0)) == ts(2026, 1, 5, 13, 0)
    assert hours.next_change(ts(2026, 1, 9, 18, 0)) == ts(2026, 1, 12, 9, 0)  # Friday → Monday


def test_holidays_close_the_day_or_give_it_short_hours():
    hours = BusinessHours(
        "Europe/Moscow", WEEKDAYS, holidays={"2026-01-07": (), "2026-03-06": ("10:00-15:00",)}
    )
    assert not hours.is_open(ts(2026, 1, 7, 11, 0))
    assert hours.is_open(ts(2026, 1, 8, 11, 0))
    assert hours.is_open(ts(2026, 3, 6, 14, 0))
    assert not hours.is_open(ts(2026, 3, 6, 16, 0))


def test_opening_hours_follow_local_time_across_daylight_saving_changes():
    hours = BusinessHours("Europe/Berlin", {d: ("09:00-17:00",) for d in ("fri", "sat", "sun", "mon")})
    before = ts(2026, 3, 27, 9, 0, BERLIN)  # Friday, CET (UTC+1)
    after = ts(2026, 3, 30, 9, 0, BERLIN)  # Monday, CEST (UTC+2)
    assert hours.is_open(before) and hours.is_open(after)
    assert datetime.fromtimestamp(before, ZoneInfo("UTC")).hour == 8
    assert datetime.fromtimestamp(after, ZoneInfo("UTC")).hour == 7
    assert not hours.is_open(after - 60)
    # the Sunday of the change is a 23-hour day; 09:00 local is still when it opens
    assert hours.next_change(ts(2026, 3, 29, 3, 30, BERLIN)) == ts(2026, 3, 29, 9, 0, BERLIN)


def test_overnight_hours_run_past_midnight():
    hours = BusinessHours("UTC", {"fri": ("22:00-02:00",)})
    utc = ZoneInfo("UTC")
    assert hours.is_open(ts(2026, 1, 9, 23, 0, utc))
    assert hours.is_open(ts(2026, 1, 10, 1, 59, utc))
    assert not hours.is_open(ts(2026, 1, 10, 2, 0, utc))


def test_bad_hours_are_refused_with_a_clear_message():
    with pytest.raises(InvalidInput) as error:
        BusinessHours("Mars/Olympus", {})
    assert "Mars/Olympus" in error.value.message("en")
    with pytest.raises(InvalidInput) as error:
        BusinessHours("UTC", {"mon": ("9-18",)})
    assert "'9-18'" in error.value.message("en") and "mon" in error.value.message("en")
    with pytest.raises(InvalidInput):
        BusinessHours("UTC", {"monday": ("09:00-18:00",)})


def test_out_of_hours_contacts_get_the_auto_reply_and_a_callback_task():
    hours = BusinessHours("Europe/Moscow", WEEKDAYS)
    queue = QueueConfig(
        "sales", hours=hours, on_closed=Action("callback", text="Мы работаем с 9:00 до 18:00, перезвоним.")
    )
    engine, _ = make_engine([queue], voice_ops("a"), t0=ts(2026, 1, 5, 20, 0))
    decisions = engine.contact_arrived(ContactSpec("c1", "sales", customer_id="k1"))
    kinds = [d.kind for d in decisions]
    assert CALLBACK in kinds and AUTO_REPLY in kinds and OFFER not in kinds
    reply = next(d for d in decisions if d.kind == AUTO_REPLY)
    assert reply.text.startswith("Мы работаем")
    closed = [e for e in engine.drain_events() if e.type == "contact.closed"]
    assert closed[0].data["outcome"] == "callback" and closed[0].data["reason"] == "closed"


def test_out_of_hours_overflow_sends_contacts_to_another_branch():
    hours = BusinessHours("Europe/Moscow", WEEKDAYS)
    queues = [
        QueueConfig("moscow", hours=hours, on_closed=Action("overflow", target_queue="vladivostok")),
        QueueConfig("vladivostok"),
    ]
    engine, _ = make_engine(queues, voice_ops("far_east", queues=("vladivostok",)), t0=ts(2026, 1, 5, 20, 0))
    decisions = engine.contact_arrived(ContactSpec("c1", "moscow"))
    assert [(d.kind, d.operator_id) for d in decisions] == [(OFFER, "far_east")]


def test_the_queue_opens_and_closes_on_the_clock_with_events():
    hours = BusinessHours("Europe/Moscow", WEEKDAYS)
    engine, clock = make_engine([QueueConfig("sales", hours=hours)], voice_ops("a"), t0=ts(2026, 1, 5, 8, 0))
    assert engine.next_deadline() == ts(2026, 1, 5, 9, 0)
    clock.set(ts(2026, 1, 5, 9, 0))
    engine.advance()
    clock.set(ts(2026, 1, 5, 13, 0))
    engine.advance()
    types = [(e.type, e.at) for e in engine.drain_events() if e.type.startswith("queue.")]
    assert types == [("queue.opened", ts(2026, 1, 5, 9, 0)), ("queue.closed", ts(2026, 1, 5, 13, 0))]


def test_reconfiguring_a_queue_with_the_same_hours_does_not_double_its_opening_and_closing():
    hours = BusinessHours("Europe/Moscow", WEEKDAYS)
    engine, clock = make_engine([QueueConfig("sales", hours=hours)], voice_ops("a"), t0=ts(2026, 1, 5, 8, 0))
    for _ in range(3):
        engine.add_queue(QueueConfig("sales", hours=hours, target_answer_s=30))
    engine.drain_events()
    for hour in (9, 13, 14, 18):
        clock.set(ts(2026, 1, 5, hour, 0))
        engine.advance()
    changes = [e.type for e in engine.drain_events() if e.type.startswith("queue.") and e.type != "queue.configured"]
    assert changes == ["queue.opened", "queue.closed", "queue.opened", "queue.closed"]
    assert engine.armed_timers("hours") == 1


def test_a_chat_written_at_night_is_answered_and_waits_for_the_morning():
    hours = BusinessHours("Europe/Moscow", WEEKDAYS)
    queue = QueueConfig("sales", hours=hours, on_closed=Action("wait", text="Мы ответим утром, с 9:00."))
    engine, clock = make_engine([queue], voice_ops("a"), t0=ts(2026, 1, 5, 20, 0))
    engine.set_state("a", "offline")
    decisions = engine.contact_arrived(ContactSpec("c1", "sales", channel="chat", customer_id="k1"))
    assert [(d.kind, d.text, d.reason) for d in decisions] == [(AUTO_REPLY, "Мы ответим утром, с 9:00.", "closed")]
    assert engine.contacts["c1"].state == "waiting", "not closed: it waits in the queue"
    queued = [e for e in engine.drain_events() if e.type == "contact.queued"]
    assert queued[0].data["reason"] == "closed"
    clock.set(ts(2026, 1, 6, 9, 0))
    engine.advance()
    offered = engine.set_state("a", "available")
    assert [d.kind for d in offered if d.contact_id == "c1"] == [OFFER]
