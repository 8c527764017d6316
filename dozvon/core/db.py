"""The database: one SQLAlchemy engine per URL, SQLite by default, PostgreSQL in production.

``DATABASE_URL`` takes the plain URLs people write (``sqlite:///PATH``,
``postgresql://…``, ``postgres://…``); Dozvon picks the drivers (the standard library's
sqlite3, psycopg 3). SQLite gets WAL and a busy timeout so that the server and a CLI can
share the file. Schema changes go through Alembic migrations only (:func:`upgrade`).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, MetaData, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError
from sqlalchemy.orm import DeclarativeBase, sessionmaker

from dozvon.core.errors import InvalidInput
from dozvon.core.pgarrays import plain_lists_on
from dozvon.core.pipeline import pipeline_on

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: JSON that is JSONB on PostgreSQL (indexable) and JSON text on SQLite.
JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def normalize_url(url: str) -> str:
    """A URL with the driver Dozvon uses: psycopg 3 for PostgreSQL, sqlite3 for SQLite."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise InvalidInput("db.bad_url", url=url) from None
    backend = parsed.get_backend_name()
    if backend in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            path = Path(parsed.database).expanduser()
            path.parent.mkdir(parents=True, exist_ok=True)
            parsed = parsed.set(database=str(path))
    else:
        raise InvalidInput("db.bad_url", url=url)
    return parsed.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


_ENGINES: dict[str, Engine] = {}

#: A pooled PostgreSQL connection handed back less than this long ago is handed out again
#: without a ping (seconds).
PING_AFTER_IDLE_S = 1.0
_RETURNED_AT = "dozvon.returned_at"


def _ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection before use only when it has sat idle: one that was in use a
    moment ago is known to be alive. SQLAlchemy's ``pool_pre_ping`` pings at every checkout —
    a round trip before every transaction, which under load was the ingest batch's first
    and one of its costliest (each round trip also waits for the interpreter's lock): 9 % of
    the ingest thread's time in bench_server.py's profile. A server restarted within the
    second after a connection's last use is still noticed: the statement fails as a
    disconnect, SQLAlchemy renews the whole pool, and that one request is answered "try
    again" (the ingest's fast path asks again through its route at once)."""

    @event.listens_for(engine, "checkin")
    def returned(_dbapi_connection: Any, record: Any) -> None:
        record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def ping(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned_at = record.info.get(_RETURNED_AT)
        if returned_at is not None and time.monotonic() - returned_at < PING_AFTER_IDLE_S:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise DisconnectionError(str(error)) from error
        if not alive:
            raise DisconnectionError("the connection did not answer its ping")


def get_engine(url: str, echo: bool = False) -> Engine:
    """One pooled engine per URL for the whole process."""
    from sqlalchemy import create_engine

    full = normalize_url(url)
    engine = _ENGINES.get(full)
    if engine is None:
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if full.startswith("postgresql"):
            # Last in, first out: the connection handed back last is handed out next, so a
            # busy writer keeps one warm PostgreSQL backend rather than taking each turn from
            # the next of a dozen (SQLAlchemy's default is first in, first out). bench_server.py
            # at 64 connections: the ingest's work was spread over ~10 backends at ~5 % of a core
            # each, now one at ~40 %, and new contacts were 2,121–2,493/s against 2,098–2,113/s
            # in three alternated pairs (chat messages +7 %). The connections left idle are
            # pinged before their next use (:func:`_ping_when_idle`).
            kwargs.update(pool_size=10, max_overflow=20, pool_use_lifo=True)
        elif ":memory:" not in full:
            # The server's thread pool reads concurrently: keep enough SQLite connections open
            # that none is created (and its pragmas run) per request.
            kwargs.update(pool_size=20, max_overflow=20)
        engine = create_engine(full, **kwargs)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            _ping_when_idle(engine)
            pipeline_on(engine)
            plain_lists_on(engine)
        _ENGINES[full] = engine
    return engine


#: Rows ANALYZE reads per index on SQLite: exact statistics for small databases, a bounded
#: sample for big ones (so a refresh never holds the write lock for long).
SQLITE_ANALYSIS_LIMIT = 10_000


def refresh_planner_statistics(engine: Engine) -> None:
    """Give the query planner current table statistics (``ANALYZE``). Without them it
    guesses, and the KPI report's joins over the event log scanned every answer per
    contact: for 1,200 contacts 5.1 s instead of 0.4 s on SQLite, 4.0 s instead of 0.06 s
    on PostgreSQL. PostgreSQL's autovacuum catches up by itself, but only a while after a
    bulk load (an imported history); SQLite never does. PostgreSQL samples, so this is cheap
    there; SQLite reads at most ``SQLITE_ANALYSIS_LIMIT`` rows per index."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}")
        connection.exec_driver_sql("ANALYZE")
        connection.commit()


def session_factory(engine: Engine) -> sessionmaker[Any]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    here = Path(__file__).resolve().parent.parent / "migrations"
    cfg = Config()
    cfg.set_main_option("script_location", str(here))
    cfg.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database schema up to date (creates it on an empty database)."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def dispose_all() -> None:
    for engine in _ENGINES.values():
        engine.dispose()
    _ENGINES.clear()
