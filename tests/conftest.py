"""Shared fixtures: engines on a manual clock, and real databases (SQLite and PostgreSQL).

PostgreSQL: ``DOZVON_TEST_POSTGRES_URL`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``)
is the server; each test session (each xdist worker) creates its own database and drops
it at the end, so that runs never collide. Without a server the PostgreSQL tests skip with
the reason — unless ``DOZVON_REQUIRE_POSTGRES=1`` (set by .ci/run), where they fail.
"""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from dozvon.channels.registry import registry
from dozvon.core.clock import ManualClock
from dozvon.routing import EngineSettings, OperatorConfig, QueueConfig, RoutingEngine

T0 = 1_767_600_000.0  # 2026-01-05 08:00:00 UTC, a Monday

# Channels' secrets are sealed with the installation's key; the tests bring their own
# instead of making one in the home directory (tests/test_channel_secrets.py covers that).
os.environ.setdefault("DOZVON_SECRET_KEY", "lV0oHQvQmCXgKqYH3nsJ0dGxLrJ3mY0mEoSClQfZ1rE=")

POSTGRES_ADMIN_URL = os.environ.get(
    "DOZVON_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def make_engine(
    queues: list[QueueConfig],
    operators: list[OperatorConfig],
    settings: EngineSettings | None = None,
    login: bool = True,
    t0: float = T0,
) -> tuple[RoutingEngine, ManualClock]:
    clock = ManualClock(t0)
    # The server's channels (a messenger loads like a chat, a form like an e-mail).
    settings = dataclasses.replace(settings or EngineSettings(), channel_buckets=registry.buckets())
    engine = RoutingEngine(clock, queues, operators, settings)
    if login:
        for op in operators:
            engine.login(op.id)
    engine.drain_events()
    return engine, clock


def voice_ops(*names: str, queues: tuple[str, ...] = ("sales",), **kw: object) -> list[OperatorConfig]:
    return [OperatorConfig.from_dict({"id": n, "queues": list(queues), **kw}) for n in names]


@pytest.fixture
def sqlite_url(tmp_path: object) -> str:
    return f"sqlite:///{tmp_path}/dozvon.db"  # type: ignore[str-bytes-safe]


def _postgres_available() -> str | None:
    try:
        import psycopg

        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3):
            return None
    except Exception as error:
        return f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {str(error).splitlines()[0]}"


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A fresh database on the PostgreSQL server for this test session (or worker)."""
    problem = _postgres_available()
    if problem is not None:
        if os.environ.get("DOZVON_REQUIRE_POSTGRES") == "1":
            pytest.fail(problem + " (DOZVON_REQUIRE_POSTGRES=1: PostgreSQL tests must run)")
        pytest.skip(problem)
    with new_postgres_database("dozvon_test") as url:
        yield url


def _counted(gen: Iterator[Any], count: list[int]) -> Iterator[Any]:
    """``gen``, a psycopg generator, counting the times it waits for its socket to take
    more (``Wait.W`` or ``Wait.RW``; a wait to read alone may come once or several times,
    as the answers arrive)."""
    import psycopg.waiting

    try:
        wanted = next(gen)
        while True:
            if wanted & psycopg.waiting.Wait.W:
                count[0] += 1
            wanted = gen.send((yield wanted))
    except StopIteration as stop:
        return stop.value


@contextmanager
def socket_waits(driver_connection: Any) -> Iterator[list[int]]:
    """How many times a psycopg connection waits to write to its socket (``[count]``): a
    system call around which CPython lets go of the interpreter's lock, and one per
    statement in psycopg's own pipeline."""
    count = [0]
    real = driver_connection.wait

    def wait(gen: Any, *args: Any, **kwargs: Any) -> Any:
        return real(_counted(gen, count), *args, **kwargs)

    driver_connection.wait = wait
    try:
        yield count
    finally:
        del driver_connection.wait


@contextmanager
def new_postgres_database(prefix: str) -> Iterator[str]:
    """A database of its own on the PostgreSQL server, dropped afterwards (with every
    pooled connection to it closed first)."""
    import psycopg

    from dozvon.core.db import dispose_all

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        dispose_all()
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: object) -> str:
    """Each persistence test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/dozvon.db"  # type: ignore[str-bytes-safe]
    return str(request.getfixturevalue("postgres_server_url"))


@pytest.fixture
def project() -> str:
    """A project name of its own per test, so tests sharing a database never see each other."""
    return f"p_{uuid.uuid4().hex[:10]}"
