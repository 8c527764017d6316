"""SQLite's planner gets statistics of the event log (ANALYZE), so that the KPI report's
joins use the right indexes; PostgreSQL keeps its own and is left alone."""

from __future__ import annotations

from sqlalchemy import text

from dozvon.core.db import get_engine, refresh_planner_statistics, upgrade


def test_sqlite_gets_statistics_of_the_event_log(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path}/stats.db"
    upgrade(url)
    engine = get_engine(url)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO events (project, seq, type, version, at_us, data) "
                                "VALUES ('p', 1, 'contact.arrived', 1, 1, '{}')"))
    assert refresh_planner_statistics(engine)
    with engine.connect() as connection:
        tables = {row[0] for row in connection.execute(text("SELECT tbl FROM sqlite_stat1"))}
    assert "events" in tables


def test_postgresql_is_left_to_autovacuum(postgres_server_url: str) -> None:
    assert not refresh_planner_statistics(get_engine(postgres_server_url))
