"""The set-based KPI engine: the same numbers as the reference definitions, the same on
SQLite and PostgreSQL, periods in the project's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dozvon.analytics.kpi import KpiAccumulator
from dozvon.analytics.sql_kpi import kpi_report, log_span, periods
from dozvon.core.db import get_engine, refresh_planner_statistics, session_factory, upgrade
from dozvon.core.errors import InvalidInput
from dozvon.eventlog import repository as eventlog
from dozvon.sim.scenario import parse_scenario
from dozvon.sim.simulator import Simulation

KEYS = ("inbound", "offered", "answered", "abandoned", "car", "lcr", "p_wait", "asa_s", "service_level",
        "service_level_excl_short", "service_level_of_answered", "avg_abandon_s", "aht_s", "rona")

SCENARIO = {
    "seed": 11, "duration_s": 4 * 3600, "warmup_s": 0, "start": "2026-03-28T22:00:00+00:00",
    "queues": [{"name": "sales", "strategy": "round_robin", "offer_timeout_s": 15, "target_answer_s": 20},
               {"name": "support", "strategy": "longest_idle", "offer_timeout_s": 15, "target_answer_s": 20,
                "max_wait_s": 200, "on_max_wait": {"kind": "callback"}}],
    "agents": [{"name": "s", "count": 4, "queues": ["sales"], "answer_delay_s": 2, "answer_probability": 0.9,
                "wrap_up_s": 15},
               {"name": "t", "count": 3, "queues": ["support", "sales"], "answer_delay_s": 3, "wrap_up_s": 20}],
    "traffic": [{"queue": "sales", "channel": "voice", "arrivals_per_hour": 70,
                 "handle_time_s": {"dist": "exponential", "mean": 180},
                 "patience_s": {"dist": "exponential", "mean": 90}},
                {"queue": "support", "channel": "voice", "arrivals_per_hour": 50,
                 "handle_time_s": {"dist": "exponential", "mean": 200},
                 "patience_s": {"dist": "exponential", "mean": 150}}],
}


def simulated_events():
    """The real engine's events for a small scenario, and the reference KPIs over them."""
    collected = []
    Simulation(parse_scenario(SCENARIO), on_events=collected.extend).run()
    reference = KpiAccumulator(default_target=20.0)
    reference.feed(collected)
    return collected, reference.report()


@pytest.fixture(scope="module")
def simulation():
    return simulated_events()


def load(url: str, project: str, events) -> None:
    """A day's events at once, then fresh planner statistics — as a bulk load (an imported
    history) does; statistics from before it would mislead the planner."""
    upgrade(url)
    with session_factory(get_engine(url)).begin() as session:
        eventlog.append(session, project, events)
    refresh_planner_statistics(get_engine(url))


def test_totals_equal_the_reference_definitions_and_both_databases_agree(simulation, database_url, project):
    events, reference = simulation
    load(database_url, project, events)
    start = datetime.fromisoformat(SCENARIO["start"])
    window = (start, start + timedelta(seconds=SCENARIO["duration_s"]))  # every contact arrives inside it
    with session_factory(get_engine(database_url))() as session:
        since, until = window
        (total,) = kpi_report(session, [project], since, until, period="all")
        by_queue = kpi_report(session, [project], since, until, period="all", by=("queue",))
        by_operator = {r["operator"]: r for r in kpi_report(session, [project], since, until, period="all",
                                                            by=("operator",))}
    occupancy = KpiAccumulator(count_from=window[0].timestamp(), count_until=window[1].timestamp())
    occupancy.feed(events)
    occupancy.close(events[-1].at)
    assert total["occupancy"] == pytest.approx(occupancy.occupancy(), rel=1e-9)
    assert by_operator["s1"]["occupancy"] == pytest.approx(occupancy.occupancy(["s1"]), rel=1e-9)
    assert by_queue[0]["occupancy"] is None  # occupancy belongs to operators, not to queues
    for key in KEYS:
        assert total[key] == pytest.approx(reference["total"][key], abs=1e-9), key
    for row in by_queue:
        for key in KEYS:
            assert row[key] == pytest.approx(reference["queues"][row["queue"]][key], abs=1e-9), (row["queue"], key)
    assert total["inbound"] > 300 and total["abandoned"] > 0 and total["rona"] > 0


@pytest.mark.postgres
def test_sqlite_and_postgresql_give_identical_rows_for_every_period_and_cut(simulation, tmp_path, postgres_server_url):
    events, _ = simulation
    results = []
    for url in (f"sqlite:///{tmp_path}/kpi.db", postgres_server_url):
        project = "same_numbers"
        load(url, project, events)
        with session_factory(get_engine(url))() as session:
            since, until = log_span(session, [project])
            results.append([
                kpi_report(session, [project], since, until, period=period, by=by, tz="Europe/Berlin")
                for period in ("15min", "hour", "day") for by in ((), ("queue",), ("operator",), ("queue", "channel"))
            ])
    sqlite_rows, pg_rows = results
    assert len(sqlite_rows) == len(pg_rows)
    for a, b in zip(sqlite_rows, pg_rows, strict=True):
        assert len(a) == len(b)
        for row_a, row_b in zip(a, b, strict=True):
            assert row_a.keys() == row_b.keys()
            for key in row_a:
                if isinstance(row_a[key], float):
                    assert row_a[key] == pytest.approx(row_b[key], rel=1e-12, abs=1e-12), key
                else:
                    assert row_a[key] == row_b[key], key


def test_hourly_rows_add_up_to_the_total(simulation, sqlite_url, project):
    events, reference = simulation
    load(sqlite_url, project, events)
    with session_factory(get_engine(sqlite_url))() as session:
        since, until = log_span(session, [project])
        hourly = kpi_report(session, [project], since, until, period="hour")
    assert len(hourly) >= 4
    for key in ("inbound", "offered", "answered", "abandoned", "rona"):
        assert sum(row[key] for row in hourly) == reference["total"][key]


def test_a_local_day_is_23_hours_on_the_day_clocks_go_forward():
    spans = periods("day", datetime(2026, 3, 28, 12, tzinfo=UTC), datetime(2026, 3, 31, tzinfo=UTC), "Europe/Berlin")
    lengths = [(p.end.astimezone(UTC) - p.start.astimezone(UTC)).total_seconds() / 3600 for p in spans]
    assert [p.start.date().isoformat() for p in spans][:3] == ["2026-03-28", "2026-03-29", "2026-03-30"]
    assert lengths[:3] == [24, 23, 24]
    # until = 00:00 on 1 April in Moscow (UTC+3): April is not included
    months = periods("month", datetime(2026, 1, 15, tzinfo=UTC), datetime(2026, 3, 31, 21, tzinfo=UTC), "Europe/Moscow")
    assert [p.label[:10] for p in months] == ["2026-01-01", "2026-02-01", "2026-03-01"]


def test_unknown_periods_and_cuts_are_refused_clearly(sqlite_url):
    with pytest.raises(InvalidInput) as error:
        periods("fortnight", datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC), "UTC")
    assert "fortnight" in error.value.message("en") and "hour" in error.value.message("en")
    upgrade(sqlite_url)
    with session_factory(get_engine(sqlite_url))() as session, pytest.raises(InvalidInput) as error:
        kpi_report(session, ["p"], datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC), by=("colour",))
    assert "colour" in error.value.message("ru")


def test_fcr_recovered_and_lost_customers_follow_the_customer_across_contacts(database_url, project):
    """k1 resolved at once; k2 was "resolved" but called back two days later (not FCR); k3
    abandoned and was answered an hour later (recovered); k4 abandoned twice and gave up."""
    from dozvon.acd.service import RouterService
    from dozvon.core.clock import ManualClock
    from dozvon.routing import ContactSpec, Disposition, OperatorConfig, QueueConfig
    from tests.conftest import T0

    upgrade(database_url)
    clock = ManualClock(T0)
    svc = RouterService(get_engine(database_url), project, clock)
    svc.run(lambda e: e.add_queue(QueueConfig("sales")))
    svc.run(lambda e: e.add_operator(OperatorConfig("anna", queues=("sales",))))
    svc.run(lambda e: e.login("anna"))

    def handled(contact_id: str, customer: str, resolved: bool) -> None:
        offer = svc.run(lambda e: e.contact_arrived(ContactSpec(contact_id, "sales", customer_id=customer)))[0]
        svc.run(lambda e: e.accept(offer.offer_id))
        clock.advance(60)
        svc.run(lambda e: e.finish_wrap_up(contact_id, Disposition("new_inquiry", resolved)))
        clock.advance(60)

    def abandoned(contact_id: str, customer: str) -> None:
        svc.run(lambda e: e.set_state("anna", "break", "meeting"))
        svc.run(lambda e: e.contact_arrived(ContactSpec(contact_id, "sales", customer_id=customer)))
        clock.advance(30)
        svc.run(lambda e: e.customer_left(contact_id))
        svc.run(lambda e: e.set_state("anna", "available"))

    handled("A", "k1", True)
    handled("B", "k2", True)
    abandoned("D", "k3")
    clock.advance(3600)
    handled("E", "k3", True)
    abandoned("F", "k4")
    abandoned("G", "k4")
    clock.advance(2 * 86400)
    handled("C", "k2", False)

    with session_factory(get_engine(database_url))() as session:
        since, until = log_span(session, [project])
        (row,) = kpi_report(session, [project], since, until, period="all")
    assert row["fcr"] == pytest.approx(2 / 4)          # A and E of A, B, C, E
    assert row["recovered"] == pytest.approx(1 / 3)    # D of D, F, G
    assert row["lcr_customers"] == pytest.approx(2 / 4)  # k3, k4 of k1…k4
    assert row["lcr"] == pytest.approx(3 / 7)


def test_first_response_time_runs_from_the_customers_first_message_to_the_first_reply(database_url, project):
    """Chat X: the customer writes at 0 and 20 s, is answered at 30 s, the operator replies
    at 45 s and 50 s → 45 s. Chat Y: first reply 15 s after the first message. A call has
    no messages and counts for nothing; a chat never replied to counts for nothing."""
    from dozvon.acd.service import RouterService
    from dozvon.core.clock import ManualClock
    from dozvon.routing import ContactSpec, OperatorConfig, QueueConfig
    from tests.conftest import T0

    upgrade(database_url)
    clock = ManualClock(T0)
    svc = RouterService(get_engine(database_url), project, clock)
    svc.run(lambda e: e.add_queue(QueueConfig("chat")))
    svc.run(lambda e: e.add_operator(OperatorConfig("anna", queues=("chat",),
                                                    capacity={"voice": 1, "chat": 5, "email": 0})))

    def chat(contact_id: str) -> None:
        svc.run(lambda e: e.contact_arrived(ContactSpec(contact_id, "chat", channel="chat", customer_id=contact_id)))
        svc.run(lambda e: e.record_message(contact_id, "in", f"{contact_id}-1", "hello"))

    chat("X")
    clock.advance(20)
    svc.run(lambda e: e.record_message("X", "in", "X-2", "anyone?"))
    clock.advance(10)
    offers = svc.run(lambda e: e.login("anna"))
    for offer in offers:
        svc.run(lambda e, o=offer.offer_id: e.accept(o))
    clock.advance(15)
    svc.run(lambda e: e.record_message("X", "out", "X-3", "Здравствуйте!", "anna"))
    clock.advance(5)
    svc.run(lambda e: e.record_message("X", "out", "X-4", "Чем помочь?", "anna"))
    chat("Y")
    chat("Z")  # never replied to
    clock.advance(15)
    y_offer = next(o for o in svc.engine.offers.values() if o.contact_id == "Y")
    svc.run(lambda e: e.accept(y_offer.id))
    svc.run(lambda e: e.record_message("Y", "out", "Y-2", "Да?", "anna"))
    svc.run(lambda e: e.contact_arrived(ContactSpec("V", "chat", channel="voice")))

    with session_factory(get_engine(database_url))() as session:
        since, until = log_span(session, [project])
        (row,) = kpi_report(session, [project], since, until + timedelta(seconds=1), period="all")
        by_channel = kpi_report(session, [project], since, until + timedelta(seconds=1), period="all",
                                by=("channel",))
    assert row["first_response_s"] == pytest.approx((45 + 15) / 2)
    assert {r["channel"]: r["first_response_s"] for r in by_channel} == {
        "chat": pytest.approx(30.0), "voice": None}


def test_changing_a_queues_target_never_rewrites_yesterdays_service_level(database_url, project):
    """Yesterday sales answered one call in 15 s and one in 25 s against its target of 20 s
    (SL 1/2); today the target becomes 10 s, then 30 s: yesterday still reads 1/2."""
    from dozvon.acd.service import RouterService
    from dozvon.core.clock import ManualClock
    from dozvon.routing import ContactSpec, OperatorConfig, QueueConfig
    from tests.conftest import T0

    upgrade(database_url)
    clock = ManualClock(T0)
    svc = RouterService(get_engine(database_url), project, clock)
    svc.run(lambda e: e.add_queue(QueueConfig("sales", target_answer_s=20)))
    svc.run(lambda e: e.add_operator(OperatorConfig("anna", queues=("sales",))))
    svc.run(lambda e: e.login("anna"))

    def answered_after(contact_id: str, wait_s: float) -> None:
        svc.run(lambda e: e.set_state("anna", "break", "meeting"))
        svc.run(lambda e: e.contact_arrived(ContactSpec(contact_id, "sales")))
        clock.advance(wait_s)
        offer = svc.run(lambda e: e.set_state("anna", "available"))[0]
        svc.run(lambda e: e.accept(offer.offer_id))
        svc.run(lambda e: e.end_contact(contact_id))
        clock.advance(60)

    answered_after("A", 15)
    answered_after("B", 25)
    yesterday = (datetime.fromtimestamp(T0, UTC).replace(hour=0), datetime.fromtimestamp(T0, UTC).replace(hour=23))

    def report():
        with session_factory(get_engine(database_url))() as session:
            return kpi_report(session, [project], *yesterday, period="day", by=("queue",))

    before = report()
    assert before[0]["service_level"] == pytest.approx(1 / 2)
    clock.advance(86400)
    for target in (10, 30):
        svc.run(lambda e, t=target: e.add_queue(QueueConfig("sales", target_answer_s=t)))
        assert report() == before, target


def test_events_without_a_recorded_target_use_the_queues_target_configured_at_that_time(database_url, project):
    """Events logged before ``contact.queued`` recorded ``target_answer_s``: the target is
    the one of the queue's ``queue.configured`` in force when the contact was queued, and
    the default for a queue never configured in the log."""
    from dozvon.routing.events import RoutingEvent

    t0 = datetime(2026, 1, 5, 8, tzinfo=UTC).timestamp()
    events: list[RoutingEvent] = []

    def add(type_: str, at: float, contact_id: str | None = None, queue: str | None = None, **data) -> None:
        events.append(RoutingEvent(len(events) + 1, type_, t0 + at, contact_id, None, queue, "voice", data))

    def contact(contact_id: str, queue: str, at: float, wait_s: float) -> None:
        add("contact.arrived", at, contact_id, queue, priority=0)
        add("contact.queued", at, contact_id, queue, reason="arrival", priority=0)  # no target_answer_s
        add("contact.answered", at + wait_s, contact_id, queue, wait_s=wait_s, ring_s=0.0, first=True)

    add("queue.configured", 0, None, "sales", config={"name": "sales", "target_answer_s": 30})
    contact("c1", "sales", 10, 25)      # within 30 s (the default 20 would fail it)
    add("queue.configured", 100, None, "sales", config={"name": "sales", "target_answer_s": 10})
    contact("c2", "sales", 200, 22)     # over 10 s
    contact("c3", "other", 300, 18)     # never configured: the default 20 s
    load(database_url, project, events)
    with session_factory(get_engine(database_url))() as session:
        rows = kpi_report(session, [project], datetime.fromtimestamp(t0, UTC),
                          datetime.fromtimestamp(t0 + 3600, UTC), period="all", by=("queue",))
    assert {r["queue"]: r["service_level"] for r in rows} == {"other": 1.0, "sales": 0.5}
    streamed = KpiAccumulator(default_target=20.0)
    streamed.feed(events)
    assert streamed.report()["queues"]["sales"]["service_level"] == 0.5
    assert streamed.report()["queues"]["other"]["service_level"] == 1.0
