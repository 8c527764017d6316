"""The planner gets statistics of the event log (ANALYZE) — a little after the server
starts, every few hours, and right after a history is imported — so that the KPI
report's joins use the right indexes on SQLite and on PostgreSQL alike."""

from __future__ import annotations

from sqlalchemy import text

from dozvon.core.db import get_engine, refresh_planner_statistics, upgrade
from tests.conftest import new_postgres_database


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
