"""The KPI projection (dozvon.analytics.facts): folded after commit in any steps, it equals a
fresh rebuild from the log — also when events commit out of order — and the report read
from it gives the rows of the report computed from the raw log, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select, text

from dozvon.analytics import facts
from dozvon.analytics.models import KpiContactRow, KpiOperatorCursorRow, KpiOperatorSpanRow, KpiWatermarkRow
from dozvon.analytics.sql_kpi import kpi_report
from dozvon.core import pacing
from dozvon.core.db import get_engine, refresh_planner_statistics, session_factory, upgrade
from dozvon.eventlog import repository as eventlog
from dozvon.eventlog.models import EventRecord
from dozvon.routing.events import RoutingEvent
from tests.analytics.test_kpi_at_scale import center_events
from tests.analytics.test_sql_kpi import simulated_events

START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def center() -> list[RoutingEvent]:
    return center_events(days=3, contacts=120)


def append(url: str, project: str, events: list[RoutingEvent]) -> None:
    with session_factory(get_engine(url)).begin() as session:
        eventlog.append(session, project, events)


def snapshot(url: str, project: str) -> dict[str, Any]:
    """Everything the projection holds for the project, comparable."""
    out: dict[str, Any] = {}
    with session_factory(get_engine(url))() as session:
        for model in (KpiContactRow, KpiOperatorSpanRow, KpiOperatorCursorRow, KpiWatermarkRow):
            table = model.__table__
            rows = session.execute(select(table).where(table.c.project == project)).all()
            out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out


def rebuilt(url: str, project: str) -> dict[str, Any]:
    facts.rebuild(get_engine(url), project)
    return snapshot(url, project)


def reports(url: str, project: str, *, from_log: bool) -> list[list[dict[str, Any]]]:
    with session_factory(get_engine(url))() as session:
        return [kpi_report(session, [project], since, until, period=period, by=by, tz="Europe/Moscow",
                           from_log=from_log)
                for since, until in ((START, START + timedelta(days=3)),
                                     # (a Moscow day: ranges on the periods' boundaries, as the API's are)
                                     (START + timedelta(days=1, hours=-3), START + timedelta(days=2, hours=-3)))
                for period in ("hour", "day", "all")
                for by in ((), ("queue",), ("operator",), ("channel", "source"))]


def assert_same_rows(a: list[list[dict[str, Any]]], b: list[list[dict[str, Any]]]) -> None:
    assert len(a) == len(b)
    for rows_a, rows_b in zip(a, b, strict=True):
        assert len(rows_a) == len(rows_b)
        for row_a, row_b in zip(rows_a, rows_b, strict=True):
            # (sums of floats may add up in another order)
            assert row_a == {k: pytest.approx(v, rel=1e-12, abs=1e-12) if isinstance(v, float) else v
                             for k, v in row_b.items()}


def test_the_report_from_the_projection_gives_the_rows_of_the_report_from_the_log(center, database_url, project):
    upgrade(database_url)
    append(database_url, project, center)
    refresh_planner_statistics(get_engine(database_url))  # (as a bulk load does: the log's report needs them)
    projected = reports(database_url, project, from_log=False)
    assert_same_rows(projected, reports(database_url, project, from_log=True))
    assert sum(len(rows) for rows in projected) > 300
    assert any(row["occupancy"] for rows in projected for row in rows)
    assert any(row["fcr"] is not None and row["recovered"] is not None for rows in projected for row in rows)


def test_the_engines_own_events_give_the_same_rows_both_ways(database_url, project):
    """The simulator drives the real engine: transfers, RONA, callbacks, wrap-up."""
    events, _ = simulated_events()
    upgrade(database_url)
    append(database_url, project, events)
    refresh_planner_statistics(get_engine(database_url))
    since = datetime.fromtimestamp(events[0].at, UTC)
    until = datetime.fromtimestamp(events[-1].at + 1, UTC)
    with session_factory(get_engine(database_url))() as session:
        for period, by in (("15min", ()), ("hour", ("operator",)), ("all", ("queue", "channel"))):
            assert_same_rows([kpi_report(session, [project], since, until, period=period, by=by)],
                             [kpi_report(session, [project], since, until, period=period, by=by, from_log=True)])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_folded_in_any_steps_the_projection_equals_a_fresh_rebuild(center, database_url, project, seed):
    """The log arrives in chunks of random sizes, folded after each (as the server does while
    contacts are open: answered, closed, disposed, rated later); at the end — and at a few
    points on the way — the projection is what a rebuild from the log makes."""
    upgrade(database_url)
    rng = random.Random(seed)
    at = 0
    checks = 0
    while at < len(center):
        size = rng.choice((1, 2, 5, 40, 300))
        append(database_url, project, center[at:at + size])
        at += size
        facts.catch_up(get_engine(database_url), [project])
        if rng.random() < 0.05 or at >= len(center):
            folded = snapshot(database_url, project)
            assert folded == rebuilt(database_url, project)
            checks += 1
    assert checks >= 2
    assert snapshot(database_url, project)["kpi_watermarks"] == [(project, len(center))]


def test_an_event_committed_late_is_folded_once_it_commits(center, database_url, project, monkeypatch):
    """Sequence numbers commit out of order: the fold sees 1…k and k+2…n while k+1 is still
    in flight; the watermark stops at k (the contacts after it are folded, and folded again
    later); once k+1 commits the projection is the rebuild's. Here k+1 closes a contact and
    another late event moves an operator."""
    monkeypatch.setattr(facts, "GAP_PATIENCE_US", 10 * facts.DAY_US)  # (the log is 3 days: no hole is given up)
    upgrade(database_url)
    log = center
    late = [i for i, e in enumerate(log) if e.type == "contact.closed" and e.operator_id][40]
    later = next(i for i, e in enumerate(log) if i > late + 50 and e.type == "contact.answered")
    held = {late, later}
    append(database_url, project, [e for i, e in enumerate(log) if i not in held])
    (folded,) = facts.catch_up(get_engine(database_url), [project])
    assert folded.watermark == late  # seq of the event before the hole (seq = index + 1)
    closed_contact = log[late].contact_id
    with session_factory(get_engine(database_url))() as session:
        row = session.scalars(select(KpiContactRow).where(KpiContactRow.project == project,
                                                          KpiContactRow.contact_id == closed_contact)).one()
        assert row.closed is None  # its close is not committed yet
    append(database_url, project, [log[later]])
    assert facts.catch_up(get_engine(database_url), [project])[0].watermark == late
    append(database_url, project, [log[late]])
    assert facts.catch_up(get_engine(database_url), [project])[0].watermark == len(log)
    assert snapshot(database_url, project) == rebuilt(database_url, project)


def test_an_operators_event_older_than_the_cursor_replays_that_operator(database_url, project):
    """A log whose instants do not follow its sequence numbers: the operator's spans are made
    again from the start, and equal the rebuild's."""
    upgrade(database_url)

    def ev(seq: int, type_: str, at: float, contact: str | None, **data: Any) -> RoutingEvent:
        return RoutingEvent(seq, type_, START.timestamp() + at, contact, "anna", "sales", "voice", data)

    append(database_url, project, [ev(1, "operator.state_changed", 0, None, to="available"),
                                   ev(2, "contact.answered", 100, "a", wait_s=1.0, first=True),
                                   ev(3, "contact.closed", 200, "a", answered=True, outcome="handled")])
    facts.catch_up(get_engine(database_url), [project])
    append(database_url, project, [ev(4, "contact.answered", 50, "b", wait_s=1.0, first=True),
                                   ev(5, "contact.closed", 150, "b", answered=True, outcome="handled"),
                                   ev(6, "operator.state_changed", 300, None, to="break")])
    facts.catch_up(get_engine(database_url), [project])
    folded = snapshot(database_url, project)
    assert folded == rebuilt(database_url, project)
    us = 1_000_000
    start = round(START.timestamp() * us)
    assert [(busy, s - start, e - start if e is not None else None) for _, _, busy, s, e, _ in
            folded["kpi_operator_spans"]] == [(0, 0, 300 * us), (1, 50 * us, 200 * us)]


def test_a_hole_that_never_fills_is_stepped_over_once_the_log_moved_on(database_url, project):
    upgrade(database_url)

    def ev(seq: int, at: float) -> RoutingEvent:
        return RoutingEvent(seq, "operator.state_changed", START.timestamp() + at, None, "anna", data={"to": "available"})

    append(database_url, project, [ev(1, 0), ev(2, 1), ev(4, 2)])
    assert facts.catch_up(get_engine(database_url), [project])[0].watermark == 2
    append(database_url, project, [ev(5, 3 + facts.GAP_PATIENCE_US / 1e6)])
    assert facts.catch_up(get_engine(database_url), [project])[0].watermark == 5


@pytest.mark.postgres
def test_out_of_order_commits_of_two_writers_on_postgresql(center, postgres_server_url, project, monkeypatch):
    """Two transactions: the one with the lower seq commits last. A fold between the commits
    cannot pass the hole; the next one folds it."""
    monkeypatch.setattr(facts, "GAP_PATIENCE_US", 10 * facts.DAY_US)  # (their events span more than it)
    url = postgres_server_url
    upgrade(url)
    append(url, project, center[:500])
    facts.catch_up(get_engine(url), [project])
    first = session_factory(get_engine(url))()
    second = session_factory(get_engine(url))()
    try:
        with first.begin():
            eventlog.append(first, project, center[500:700])
            with second.begin():
                eventlog.append(second, project, center[700:900])
            assert facts.catch_up(get_engine(url), [project])[0].watermark == 500
        assert facts.catch_up(get_engine(url), [project])[0].watermark == 900
    finally:
        first.close()
        second.close()
    assert snapshot(url, project) == rebuilt(url, project)


def test_the_servers_paced_fold_deletes_the_old_rows_2000_contacts_a_statement(center, database_url, project):
    """The server's round folds 200 contacts a statement, but deletes their old rows 2,000
    at a time: a DELETE may read the whole table (PostgreSQL's planner prefers that to
    probing the primary key in a table of fewer than some 30,000 rows), so twenty-odd of
    them every 10 s kept its core busy beside the ingest. The projection is still what a
    rebuild makes, on SQLite and PostgreSQL."""
    upgrade(database_url)
    append(database_url, project, center[:300])
    facts.catch_up(get_engine(database_url), [project])
    append(database_url, project, center[300:])
    with session_factory(get_engine(database_url))() as session:
        touched = len(facts._touched(session, project, 300, None))
    assert touched > facts.PACED_CONTACTS_PER_STATEMENT
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement.lstrip().split("(")[0].upper())

    engine = get_engine(database_url)
    event.listen(engine, "before_cursor_execute", count)
    try:
        with pacing.paced(run_s=0.0, pause_s=0.0):
            facts.catch_up(engine, [project])
    finally:
        event.remove(engine, "before_cursor_execute", count)
    deletes = [s for s in statements if s.startswith("DELETE FROM KPI_CONTACTS")]
    inserts = [s for s in statements if s.startswith("INSERT INTO KPI_CONTACTS")]
    assert len(deletes) == -(-touched // facts.CONTACTS_PER_STATEMENT)
    if get_engine(database_url).dialect.name == "postgresql":  # SQLite's round writes what it read, at once
        assert len(inserts) == -(-touched // facts.PACED_CONTACTS_PER_STATEMENT)
    assert snapshot(database_url, project) == rebuilt(database_url, project)


def test_erasure_rewrites_nothing_the_projection_holds(center, database_url, project):
    """Erasure blanks texts, authors, comments and names in events' data; a merge rewrites no
    event. The projection holds none of those keys: after blanking them all, it is unchanged."""
    from dozvon.crm.privacy import PERSONAL_EVENT_KEYS

    upgrade(database_url)
    events = [RoutingEvent(e.seq, e.type, e.at, e.contact_id, e.operator_id, e.queue, e.channel,
                           {**e.data, **({"comment": "bad", "author": "Иван"} if e.type == "csat.rated" else {}),
                            **({"customer_name": "Иван"} if e.type == "contact.arrived" else {})})
              for e in center]
    append(database_url, project, events)
    facts.catch_up(get_engine(database_url), [project])
    before = snapshot(database_url, project)
    with session_factory(get_engine(database_url)).begin() as session:
        for record in session.scalars(select(EventRecord).where(EventRecord.project == project)):
            if any(record.data.get(key) for key in PERSONAL_EVENT_KEYS):
                record.data = {k: ("" if k in PERSONAL_EVENT_KEYS else v) for k, v in record.data.items()}
    assert rebuilt(database_url, project) == before


def test_a_report_inside_a_session_that_wrote_folds_in_that_session(center, sqlite_url, project):
    """A SQLite session holding the write lock (its own writes not committed yet) does not
    wait for itself: the fold runs in its transaction, and sees its writes."""
    upgrade(sqlite_url)
    append(sqlite_url, project, center[:300])
    with session_factory(get_engine(sqlite_url))() as session:
        eventlog.append(session, project, center[300:])
        session.flush()
        (row,) = kpi_report(session, [project], START, START + timedelta(days=3), period="all")
        session.commit()
    with session_factory(get_engine(sqlite_url))() as session:
        (fresh,) = kpi_report(session, [project], START, START + timedelta(days=3), period="all", from_log=True)
    assert row["inbound"] == fresh["inbound"] == 360


def test_a_sqlite_fold_reads_its_contacts_beside_a_writer_that_holds_the_lock(center, sqlite_url, project):
    """On SQLite the fold's grouped read of the contacts' events runs before its write
    transaction, beside a writer (the ingest) holding the database's only write lock: it
    does not wait for it (were it inside, it would wait the busy timeout and then fail)."""
    upgrade(sqlite_url)
    engine = get_engine(sqlite_url)
    append(sqlite_url, project, center[:300])
    facts.catch_up(engine, [project])
    append(sqlite_url, project, center[300:600])
    writer = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        read = facts._read_ahead(engine, project, facts.chunk_for(engine))
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert read is not None and read.after == 300 and read.upto == 600 and read.rows
    with session_factory(engine).begin() as session:
        assert facts._write_read_ahead(session, project, read) is not None
    assert snapshot(sqlite_url, project) == rebuilt(sqlite_url, project)


def test_a_sqlite_fold_read_ahead_stays_right_when_events_or_another_fold_come_between(center, sqlite_url,
                                                                                     project):
    """Events committed between the read and the write are folded by the next fold (their
    sequence numbers lie above the watermark the write leaves); a fold that moved the
    watermark meanwhile makes the read be dropped and folded again under the lock."""
    upgrade(sqlite_url)
    engine = get_engine(sqlite_url)
    append(sqlite_url, project, center[:300])
    facts.catch_up(engine, [project])
    append(sqlite_url, project, center[300:600])
    read = facts._read_ahead(engine, project, facts.chunk_for(engine))
    assert read is not None
    append(sqlite_url, project, center[600:900])  # committed after the read
    with session_factory(engine).begin() as session:
        folded = facts._write_read_ahead(session, project, read)
    assert folded is not None and folded.watermark == 600
    (folded,) = facts.catch_up(engine, [project])
    assert folded.watermark == 900
    assert snapshot(sqlite_url, project) == rebuilt(sqlite_url, project)

    append(sqlite_url, project, center[900:1200])
    stale = facts._read_ahead(engine, project, facts.chunk_for(engine))
    assert stale is not None
    append(sqlite_url, project, center[1200:1500])
    facts.catch_up(engine, [project])  # another fold (a report's) comes first
    with session_factory(engine).begin() as session:
        assert facts._write_read_ahead(session, project, stale) is None  # nothing written
    assert snapshot(sqlite_url, project) == rebuilt(sqlite_url, project)


def test_the_watermark_waits_for_the_first_fold_of_a_log_that_begins_above_one(database_url, project):
    """An imported log may begin at any seq: the first fold starts where it begins."""
    upgrade(database_url)
    append(database_url, project, [RoutingEvent(s, "contact.arrived", START.timestamp() + s, f"c{s}",
                                                data={"customer_id": "k"}) for s in (7, 8, 9)])
    assert facts.catch_up(get_engine(database_url), [project])[0].watermark == 9
    with session_factory(get_engine(database_url))() as session:
        assert session.execute(text("SELECT count(*) FROM kpi_contacts WHERE project = :p"),
                               {"p": project}).scalar_one() == 3


def test_periods_found_by_number_give_the_rows_of_comparing_every_instant_with_every_period(
        center, database_url, project, monkeypatch):
    """Contacts and operators' spans meet their periods by the period's number — arithmetic
    for hours and quarters, a tree of comparisons with the starts for local days, weeks and
    months, offsets for spans across several periods: the rows are those of the plain join,
    also for a range that starts inside a day, with spans begun before it."""
    from dozvon.analytics import sql_kpi

    upgrade(database_url)
    append(database_url, project, center)
    since = START + timedelta(days=1, hours=7, minutes=40)

    def reports() -> list[list[dict[str, Any]]]:
        with session_factory(get_engine(database_url))() as session:
            return [kpi_report(session, [project], since, since + timedelta(days=days), period=period, by=by,
                               tz="Europe/Moscow")
                    for period, days in (("15min", 1), ("hour", 2), ("day", 2), ("week", 2), ("month", 2))
                    for by in ((), ("operator",))]

    by_number = reports()
    monkeypatch.setattr(sql_kpi, "_BY_COMPARISON", True)
    assert_same_rows(by_number, reports())
    assert sum(len(rows) for rows in by_number) > 100
    assert any(row["occupancy"] for rows in by_number for row in rows)


def test_the_servers_round_folds_every_project_and_writes_nothing_when_nothing_happened(center, database_url):
    """What the server runs every few seconds (facts.run, facts.follow): each project's new
    events folded; a round with nothing new folds nothing."""
    from dozvon.accounts.actions import create_project

    upgrade(database_url)
    engine = get_engine(database_url)
    names = [f"p_round_{random.randrange(10**9)}_{i}" for i in range(2)]
    with session_factory(engine).begin() as session:
        for name in names:
            create_project(session, "test", name, name)
    for name in names:
        append(database_url, name, center[:400])
    assert facts.fold_round(engine) >= 2  # (other tests' projects may share the database)
    assert facts.fold_round(engine) == 0
    for name in names:
        assert snapshot(database_url, name)["kpi_watermarks"] == [(name, 400)]


def test_spans_across_the_ranges_end_count_up_to_it_as_in_the_log(center, database_url, project):
    """A range that ends inside operators' busy and available spans, in the middle of an
    hour: the spans count up to its end, as the log's report counts them."""
    upgrade(database_url)
    append(database_url, project, center)
    refresh_planner_statistics(get_engine(database_url))
    since, until = START + timedelta(days=1), START + timedelta(days=1, hours=10, minutes=25)
    with session_factory(get_engine(database_url))() as session:
        for period in ("hour", "day", "all"):
            projected = kpi_report(session, [project], since, until, period=period, by=("operator",))
            assert_same_rows([projected], [kpi_report(session, [project], since, until, period=period,
                                                      by=("operator",), from_log=True)])
            assert any(row["occupancy"] for row in projected)


def test_a_range_that_begins_inside_a_period_counts_occupancy_from_its_start(center, database_url, project):
    """Since 07:40, by hour: the 07:00 period's occupancy is the definitions' (the streaming
    reference counting from 07:40 to 08:00) — operators' spans begun before are clipped to
    the range's start. (The report from the log began them at each operator's last move
    before it.)"""
    from dozvon.analytics.kpi import KpiAccumulator

    upgrade(database_url)
    append(database_url, project, center)
    since = START + timedelta(days=1, hours=7, minutes=40)
    with session_factory(get_engine(database_url))() as session:
        first = kpi_report(session, [project], since, since + timedelta(hours=3), period="hour")[0]
    reference = KpiAccumulator(count_from=since.timestamp(), count_until=(since + timedelta(minutes=20)).timestamp())
    reference.feed(center)
    reference.close(center[-1].at)
    assert first["period"].startswith("2026-01-02T07:00") and first["occupancy"] > 0
    assert first["occupancy"] == pytest.approx(reference.occupancy(), rel=1e-9)
