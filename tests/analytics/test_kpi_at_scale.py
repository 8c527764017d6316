"""KPIs at scale (migration 0019): ``events.customer_id`` is filled at append and by the
migration's backfill, and the report — each contact's events read once, from ``since`` on,
FCR and "recovered" through the customer index — still gives the definitions' numbers, on
SQLite and PostgreSQL, for a whole span and for a day inside it."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from bench.bench_kpi_scale import day_of_events
from dozvon.analytics.kpi import CSAT_SATISFIED, KpiAccumulator
from dozvon.analytics.sql_kpi import kpi_report
from dozvon.core.db import get_engine, refresh_planner_statistics, session_factory, upgrade
from dozvon.eventlog import repository as eventlog
from dozvon.eventlog.models import EventRecord
from dozvon.routing.events import RoutingEvent
from tests.conftest import new_postgres_database

FCR_WINDOW_S = 7 * 86400.0
RECOVERY_WINDOW_S = 86400.0
KEYS = ("inbound", "offered", "answered", "abandoned", "car", "lcr", "p_wait", "asa_s", "service_level",
        "service_level_excl_short", "service_level_of_answered", "avg_abandon_s", "aht_s", "rona")


def center_events(days: int = 3, contacts: int = 250) -> list[RoutingEvent]:
    """The bench's center, small: customers who come back, abandons called back, chats with
    replies, surveys, dispositions."""
    rng = random.Random(7)
    returns: list[tuple[int, str]] = []
    events: list[RoutingEvent] = []
    for day in range(days):
        for at_us, type_, cid, op, queue, channel, _customer, data in day_of_events(day, rng, returns, contacts):
            events.append(RoutingEvent(len(events) + 1, type_, at_us / 1_000_000, cid, op, queue, channel, data))
    return events


@pytest.fixture(scope="module")
def center() -> list[RoutingEvent]:
    return center_events()


def reference(events: list[RoutingEvent], since: float, until: float) -> dict[str, Any]:
    """The definitions (docs/kpi.md) straight from the events of the contacts that arrived in
    [since, until): the streaming accumulator for the counts and times, plain Python for the
    ones that follow the customer (FCR, recovered, lost customers), first response and CSAT."""
    arrivals = {e.contact_id: e for e in events if e.type == "contact.arrived" and since <= e.at < until}
    mine = [e for e in events if e.contact_id in arrivals]
    accumulator = KpiAccumulator(default_target=20.0)
    accumulator.feed(mine)
    result = dict(accumulator.report()["total"])
    by_contact: dict[str, list[RoutingEvent]] = {}
    for e in mine:
        by_contact.setdefault(e.contact_id or "", []).append(e)
    comebacks = [(e.data.get("customer_id"), e.at) for e in events if e.type == "contact.arrived"]
    answers = [(e.data.get("customer_id"), e.at) for e in events if e.type == "contact.answered"]
    disposed = resolved = abandoned = recovered = responded = 0
    response_sum, csat = 0.0, []
    lost_customers, offered_customers = set(), set()
    for cid, arrival in arrivals.items():
        own = by_contact[cid]
        customer = arrival.data.get("customer_id")
        dispositions = [e for e in own if e.type == "contact.disposition"]
        if dispositions:
            disposed += 1
            came_back = customer is not None and any(
                c == customer and arrival.at < at <= arrival.at + FCR_WINDOW_S for c, at in comebacks)
            resolved += bool(dispositions[-1].data["resolved"] and not came_back)
        left = [e for e in own if e.type == "contact.abandoned"]
        if left:
            abandoned += 1
            recovered += customer is not None and any(
                c == customer and left[0].at < at <= left[0].at + RECOVERY_WINDOW_S for c, at in answers)
            if customer is not None:
                lost_customers.add(customer)
        if customer is not None and any(e.type == "contact.queued" for e in own):
            offered_customers.add(customer)
        received = [e.at for e in own if e.type == "message.received"]
        sent = [e.at for e in own if e.type == "message.sent" and not e.data.get("auto")]
        if received and sent and min(sent) >= min(received):
            responded += 1
            response_sum += min(sent) - min(received)
        csat += [e.data["score"] for e in own if e.type == "csat.rated"]
    result.update(
        fcr=resolved / disposed if disposed else None,
        recovered=recovered / abandoned if abandoned else None,
        lcr_customers=len(lost_customers) / len(offered_customers) if offered_customers else 0.0,
        first_response_s=response_sum / responded if responded else None,
        csat=sum(s >= CSAT_SATISFIED for s in csat) / len(csat) if csat else None,
    )
    return result


def load(url: str, project: str, events: list[RoutingEvent]) -> None:
    upgrade(url)
    with session_factory(get_engine(url)).begin() as session:
        eventlog.append(session, project, events)
    refresh_planner_statistics(get_engine(url))


@pytest.mark.parametrize("span", ["all", "second day"])
def test_the_report_at_scale_gives_the_definitions_numbers(center, database_url, project, span):
    """The whole span, and the second day alone: its contacts' events are read from its start
    on, the customers' comebacks and answers across the whole log."""
    load(database_url, project, center)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    since, until = (start, start + timedelta(days=3)) if span == "all" else (
        start + timedelta(days=1), start + timedelta(days=2))
    with session_factory(get_engine(database_url))() as session:
        (row,) = kpi_report(session, [project], since, until, period="all")
    expected = reference(center, since.timestamp(), until.timestamp())
    for key in (*KEYS, "fcr", "recovered", "lcr_customers", "first_response_s", "csat"):
        # (times in the log are whole microseconds; the reference subtracts float seconds)
        assert row[key] == pytest.approx(expected[key], abs=1e-6 if key == "first_response_s" else 1e-9), key
    # Occupancy: operators' time clipped to the range, their past before it summed up.
    operators = KpiAccumulator(count_from=since.timestamp(), count_until=until.timestamp())
    operators.feed(center)
    operators.close(center[-1].at)
    assert row["occupancy"] == pytest.approx(operators.occupancy(), rel=1e-9) and row["occupancy"] > 0
    # The center has all of it: no ratio is trivially empty.
    assert row["inbound"] > 200 and row["rona"] > 0 and row["abandoned"] > 0
    assert 0 < row["fcr"] < 1 and 0 < row["recovered"] < 1 and 0 < row["csat"] < 1
    assert row["first_response_s"] > 0


def test_customer_id_is_filled_at_append(database_url, project):
    upgrade(database_url)
    events = [RoutingEvent(1, "contact.arrived", 1.0, "a", data={"customer_id": "k1"}),
              RoutingEvent(2, "contact.answered", 2.0, "a", "anna", data={"customer_id": "k1", "wait_s": 1.0}),
              RoutingEvent(3, "contact.arrived", 3.0, "b", data={"customer_id": 42}),
              RoutingEvent(4, "contact.arrived", 4.0, "c", data={"customer_id": None}),
              RoutingEvent(5, "contact.arrived", 5.0, "d", data={}),
              RoutingEvent(6, "callback.created", 6.0, "d", data={"customer_id": {"odd": 1}})]
    with session_factory(get_engine(database_url)).begin() as session:
        eventlog.append(session, project, events)
    with session_factory(get_engine(database_url))() as session:
        stored = dict(session.execute(
            EventRecord.__table__.select().with_only_columns(EventRecord.seq, EventRecord.customer_id)
            .where(EventRecord.project == project)).all())
    assert stored == {1: "k1", 2: "k1", 3: "42", 4: None, 5: None, 6: None}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """An empty database of its own (a migration test starts below the head)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/before_0019.db"
        return
    request.getfixturevalue("postgres_server_url")  # skips or fails as the other PostgreSQL tests do
    with new_postgres_database("dozvon_0019") as url:
        yield url


def test_the_migration_fills_customer_id_of_the_events_already_logged(fresh_url, project):
    """Rows logged before 0019 get the column from their JSON, on both databases: a string
    as it is, a whole number as its digits, anything else as none."""
    database_url = fresh_url
    upgrade(database_url, "0018")
    rows = [(1, {"customer_id": "k1", "priority": 0}), (2, {"customer_id": 42}), (3, {"customer_id": None}),
            (4, {}), (5, {"customer_id": 1.5}), (6, {"customer_id": ["k1"]}), (7, {"customer_id": "κ-юникод"}),
            (8, {"customer_id": True})]
    engine = get_engine(database_url)
    data_value = "CAST(:d AS JSONB)" if engine.dialect.name == "postgresql" else ":d"
    with engine.begin() as connection:
        for seq, data in rows:
            connection.execute(text("INSERT INTO events (project, seq, type, version, at_us, contact_id, data) "
                                    f"VALUES (:p, :s, 'contact.arrived', 1, :at, :c, {data_value})"),
                               {"p": project, "s": seq, "at": seq * 1_000_000, "c": f"c{seq}",
                                "d": json.dumps(data, ensure_ascii=False)})
    upgrade(database_url)
    with engine.connect() as connection:
        filled = dict(connection.execute(text("SELECT seq, customer_id FROM events WHERE project = :p"),
                                         {"p": project}).all())
    assert filled == {1: "k1", 2: "42", 3: None, 4: None, 5: None, 6: None, 7: "κ-юникод", 8: None}
    # …and as the append would have filled them.
    assert all(filled[seq] == eventlog.customer_of(data) for seq, data in rows)


def test_periods_of_one_length_found_by_arithmetic_give_the_rows_of_the_general_join(center, database_url, project,
                                                                                     monkeypatch):
    """Hours and quarters are joined by their number (contacts by equality; operators' spans
    by their first and last period): the rows are those of comparing every span with every
    period — also for a range that starts inside an hour, with spans begun before it."""
    from dozvon.analytics import sql_kpi

    load(database_url, project, center)
    since = datetime(2026, 1, 2, 7, 40, tzinfo=UTC)
    until = datetime(2026, 1, 3, 1, 10, tzinfo=UTC)

    def reports() -> list[Any]:
        with session_factory(get_engine(database_url))() as session:
            return [kpi_report(session, [project], since, until, period=period, by=by, tz="Europe/Moscow")
                    for period in ("15min", "hour") for by in ((), ("operator",), ("queue",))]

    fast = reports()
    monkeypatch.setattr(sql_kpi, "_one_length", lambda spans: None)
    general = reports()
    assert len(fast) == len(general)
    for a, b in zip(fast, general, strict=True):
        assert [(r["period"], r.get("operator"), r.get("queue")) for r in a] == [
            (r["period"], r.get("operator"), r.get("queue")) for r in b]
        for row_a, row_b in zip(a, b, strict=True):
            # (sums of floats may add up in another order)
            assert row_a == {k: pytest.approx(v, rel=1e-12, abs=1e-12) if isinstance(v, float) else v
                             for k, v in row_b.items()}
    assert sum(len(rows) for rows in fast) > 100
    assert any(row["occupancy"] for rows in fast for row in rows)
