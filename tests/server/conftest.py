"""A real server (uvicorn on a free port, in a thread) on a fresh SQLite or PostgreSQL
database, with two projects whose people and operators have the same names — so that a
missing tenant filter would show."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import select, text

from dozvon.accounts import actions as accounts
from dozvon.accounts import security
from dozvon.core.clock import Clock
from dozvon.core.db import upgrade
from dozvon.core.settings import Settings
from dozvon.routing.model import OperatorConfig, QueueConfig
from dozvon.server.app import create_app
from dozvon.server.hub import Hub
from tests.conftest import new_postgres_database

PROJECTS = ("alpha", "beta")
PASSWORD = "secret-pw"
_HASH = security.hash_password(PASSWORD)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Live:
    url: str
    database_url: str
    app: Any
    server: uvicorn.Server
    thread: threading.Thread
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def hub(self) -> Hub:
        hub: Hub = self.app.state.hub
        return hub

    @property
    def ws_url(self) -> str:
        return "ws" + self.url[4:]

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(15)

    def client(self, username: str | None = None, **kw: Any) -> httpx.Client:
        """A client logged in as ``username`` (cookie + CSRF header), or anonymous."""
        client = httpx.Client(base_url=self.url, timeout=30, **kw)
        if username:
            answer = client.post("/auth/login", json={"username": username, "password": PASSWORD})
            assert answer.status_code == 200, answer.text
            client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
        return client

    def token_client(self, project: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30,
                            headers={"Authorization": f"Bearer {self.tokens[project]}"})


def start_server(database_url: str, port: int | None = None, clock: Clock | None = None, **env: Any) -> Live:
    """A live server on ``database_url``; ``env`` gives more settings by their variable
    names (``DOZVON_SIP_LISTEN=…``); ``clock``: the engine's clock (the system's if None).

    The log's followers run in the server's threads unless ``DOZVON_FOLLOWERS`` says
    otherwise: a follower process costs each server two seconds of CPU to start, and the
    tests that need it ask for it (tests/server/test_followers.py, the quality suite)."""
    env.setdefault("DOZVON_FOLLOWERS", "thread")
    settings = Settings(DATABASE_URL=database_url, **env)  # type: ignore[call-arg]
    app = create_app(settings, clock=clock)
    port = port or free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="websockets-sansio")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    return Live(f"http://127.0.0.1:{port}", database_url, app, server, thread)


def refuse_a_name(live: Live, table: str = "conversations", column: str = "customer_name") -> None:
    """Make the database itself refuse one value, 'Mallory', of ``table.column`` (a customer
    name; as it would a value the checks did not foresee): a CHECK constraint on
    PostgreSQL, a trigger on SQLite."""
    with live.hub.sessions.begin() as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text(f"ALTER TABLE {table} ADD CONSTRAINT no_mallory CHECK ({column} <> 'Mallory')"))
        else:
            session.execute(text(f"CREATE TRIGGER no_mallory BEFORE INSERT ON {table} "
                                 f"WHEN NEW.{column} = 'Mallory' BEGIN SELECT RAISE(ABORT, 'no Mallory'); END"))


def seed_world(hub: Hub, offer_timeout_s: float = 30.0) -> dict[str, str]:
    """Two projects, each with admin, supervisor, two operators (op1, op2) and a viewer, a
    queue ``sales``, and an ingest token. Returns the tokens by project."""
    tokens = {}
    with hub.sessions.begin() as session:
        accounts.create_user(session, "test", "root", PASSWORD, superadmin=True, password_hash=_HASH)
        for p in PROJECTS:
            accounts.create_project(session, "test", p, p.capitalize())
            for role, name in (("admin", "admin"), ("supervisor", "sup"), ("operator", "op1"),
                               ("operator", "op2"), ("viewer", "viewer")):
                accounts.create_user(session, "test", f"{p}-{name}", PASSWORD, password_hash=_HASH)
                accounts.set_membership(session, "test", p, f"{p}-{name}", role,
                                        name if role == "operator" else None)
            tokens[p], _ = accounts.create_token(session, "test", p, "adapter", ["ingest"])
    for p in PROJECTS:
        svc = hub.service(p)
        svc.run(lambda e: e.add_queue(QueueConfig(name="sales", strategy="round_robin",
                                                  offer_timeout_s=offer_timeout_s, wrap_up_s=60)))
        for op in ("op1", "op2"):
            svc.run(lambda e, o=op: e.add_operator(OperatorConfig.from_dict(
                {"id": o, "queues": ["sales"], "capacity": {"voice": 1, "chat": 3}})))
    return tokens


@pytest.fixture
def server_db(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    yield from _fresh_database(request, tmp_path)


def _fresh_database(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/server.db"
        upgrade(url)
        yield url
        return
    request.getfixturevalue("postgres_server_url")  # fails or skips as the other PostgreSQL tests do
    with new_postgres_database("dozvon_srv") as url:
        upgrade(url)
        yield url


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "server_db" in metafunc.fixturenames:
        metafunc.parametrize("server_db", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                             indirect=True)


@contextmanager
def seeded_server(database_url: str, **env: Any) -> Iterator[Live]:
    """A live server on ``database_url`` (``env`` as :func:`start_server` takes it) with the
    world of :func:`seed_world`, stopped when the block ends."""
    server = start_server(database_url, **env)
    server.tokens = seed_world(server.hub)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def live(server_db: str) -> Iterator[Live]:
    with seeded_server(server_db) as server:
        yield server
    assert_events_keep_the_contract(server)


def assert_events_keep_the_contract(server: Live) -> None:
    """Every event any server test made parses strictly against its typed class
    (dozvon/eventlog/catalogue.py): the log's contract holds for what the server writes,
    not only for what the engine emits."""
    from dozvon.eventlog.catalogue import parse_event
    from dozvon.eventlog.models import EventRecord

    with server.hub.sessions() as session:
        for record in session.scalars(select(EventRecord).order_by(EventRecord.project, EventRecord.seq)):
            parse_event(record)
