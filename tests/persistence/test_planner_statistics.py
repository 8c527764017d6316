"""The planner gets statistics of the event log (ANALYZE) — a little after the server
starts, every few hours, and right after a history is imported — so that the KPI
report's joins use the right indexes on SQLite and on PostgreSQL alike; and on PostgreSQL
the tables every ingest batch looks up are analyzed by the server once enough of their rows
changed (dozvon/core/planner_statistics.py), so that a channel or a project that came into
use since is not planned as one row."""

from __future__ import annotations

import time

import httpx
from sqlalchemy import text
from sqlalchemy.engine import Engine

from dozvon.core.db import get_engine, refresh_planner_statistics, upgrade
from dozvon.core.planner_statistics import MIN_CHANGED, StatisticsKeeper
from tests.conftest import new_postgres_database
from tests.server.conftest import seeded_server


def test_sqlite_gets_statistics_of_the_event_log(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path}/stats.db"
    upgrade(url)
    engine = get_engine(url)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO events (project, seq, type, version, at_us, data) "
                                "VALUES ('p', 1, 'contact.arrived', 1, 1, '{}')"))
    refresh_planner_statistics(engine)
    with engine.connect() as connection:
        tables = {row[0] for row in connection.execute(text("SELECT tbl FROM sqlite_stat1"))}
    assert "events" in tables


def test_postgresql_is_analyzed_too(postgres_server_url: str) -> None:
    # A database of its own: statistics taken now of the shared test database, while it is
    # still small, would mislead the planner for every later test there (a KPI report ran
    # for 40 minutes on them).
    with new_postgres_database("dozvon_stats") as url:
        _analyzed(url)


def _analyzed(url: str) -> None:
    upgrade(url)
    engine = get_engine(url)
    refresh_planner_statistics(engine)
    with engine.connect() as connection:
        analyzed = connection.execute(text(
            "SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'events'")).scalar()
    assert analyzed is not None


# ------------------------------------------------- PostgreSQL: the ingest's tables kept current


def _known(engine: Engine, column: str) -> set[str]:
    """The values of a column of ``conversations`` the planner has statistics of (those it
    does not count as about one row)."""
    with engine.connect() as connection:
        values = connection.execute(text(
            "SELECT most_common_vals::text::text[] FROM pg_stats WHERE schemaname = current_schema() "
            "AND tablename = 'conversations' AND attname = :column"), {"column": column}).scalar()
    return set(values or ())


def _conversations(engine: Engine, channel: str, count: int, start: int = 0, project: str = "p") -> None:
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO conversations (id, project, channel, queue, external_id, customer_name, subject, status, "
            "created_at_us, details) SELECT :project || :channel || n, :project, :channel, 'inbox', 'x' || n, '', "
            "'', 'open', 0, '{}' FROM generate_series(CAST(:start AS integer), CAST(:end AS integer)) AS n"),
            {"project": project, "channel": channel, "start": start, "end": start + count - 1})
        connection.execute(text("SELECT pg_stat_force_next_flush()"))  # the counts seen at once


def _until_looked_at(keeper: StatisticsKeeper, table: str) -> None:
    deadline = time.monotonic() + 10
    while table not in keeper.stale():
        assert time.monotonic() < deadline, f"{table}'s changes never reached pg_stat_user_tables"
        time.sleep(0.1)


#: What the test's server would write.
WRITES = {"project": ["p", "q"], "channel": ["email", "chat", "voice"], "kind": ["email", "web"]}


def test_values_that_came_into_use_are_analyzed_once_enough_rows_changed(postgres_server_url: str) -> None:
    with new_postgres_database("dozvon_stats") as url:
        upgrade(url)
        engine = get_engine(url)
        _conversations(engine, "email", 5000)
        refresh_planner_statistics(engine)  # a center of e-mail…
        now = [1000.0]
        keeper = StatisticsKeeper(engine, lambda: WRITES, clock=lambda: now[0])
        assert keeper.round() == []  # nothing changed since: nothing to do

        _conversations(engine, "chat", MIN_CHANGED - 10)  # …opens web chat
        time.sleep(1.2)  # past the statistics' least flush interval
        assert "conversations" not in keeper.stale() and keeper.round() == []  # too few to matter yet
        _conversations(engine, "chat", 20, start=MIN_CHANGED)
        _until_looked_at(keeper, "conversations")
        assert "chat" not in _known(engine, "channel")  # the planner would count the chats as ~1 row
        assert keeper.round() == ["conversations"]
        assert _known(engine, "channel") == {"email", "chat"}  # "voice" is in no row: not a reason

        _conversations(engine, "email", MIN_CHANGED + 50, project="q")  # a new project
        _until_looked_at(keeper, "conversations")
        assert keeper.round() == []  # within its gap after the last analysis
        now[0] += 3600
        assert keeper.round() == ["conversations"]
        assert _known(engine, "project") == {"p", "q"}

        _conversations(engine, "email", 2000, start=10_000)  # nothing new in them: autovacuum's to analyze
        _until_looked_at(keeper, "conversations")
        now[0] += 3600
        assert keeper.round() == []


def test_the_server_analyzes_the_ingests_tables_itself(postgres_server_url: str) -> None:
    with new_postgres_database("dozvon_stats") as url:
        upgrade(url)
        with seeded_server(url) as live:
            engine = get_engine(url)
            _conversations(engine, "email", 1000, project="alpha")  # a center of e-mail…
            refresh_planner_statistics(engine)
            before = _manual_analyses(engine)  # …whose first web chats come in
            headers = {"Authorization": f"Bearer {live.tokens['alpha']}"}
            with httpx.Client(base_url=live.url, headers=headers, timeout=10) as client:
                for i in range(MIN_CHANGED + 20):
                    answer = client.post("/api/v1/projects/alpha/ingest/messages", json={
                        "channel": "chat", "external_id": f"m{i}", "queue": "sales",
                        "customer": {"id": f"visitor-{i}"}, "text": "Здравствуйте"})
                    assert answer.status_code == 201, answer.text
            deadline = time.monotonic() + 15
            while _manual_analyses(engine) <= before or "chat" not in _known(engine, "channel"):
                assert time.monotonic() < deadline, "the server did not analyze the conversations"
                time.sleep(0.2)


def _manual_analyses(engine: Engine) -> int:
    """ANALYZE commands run on ``conversations`` (autovacuum's are counted apart)."""
    with engine.connect() as connection:
        return int(connection.execute(text(
            "SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'conversations'")).scalar() or 0)
