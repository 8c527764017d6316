"""Pooled PostgreSQL connections are checked before use only after sitting idle
(dozvon.core.db, ``PING_AFTER_IDLE_S``): a connection cut while idle is replaced without the
caller noticing; one cut within the moment after its last use fails that one statement as
a disconnect, and the pool is renewed so the next one works. And the pool hands out the
connection handed back last: one warm backend for a busy writer."""

from __future__ import annotations

import time

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from dozvon.core import db
from tests.conftest import POSTGRES_ADMIN_URL, new_postgres_database

pytestmark = pytest.mark.postgres


def _backend_pid(engine: object) -> int:
    with engine.connect() as connection:  # type: ignore[attr-defined]
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _cut(pid: int) -> None:
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)
    time.sleep(0.1)  # the server has closed it


def test_a_connection_cut_while_idle_is_replaced_unnoticed(postgres_server_url: str,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 0.2)
    with new_postgres_database("dozvon_ping") as url:
        engine = db.get_engine(url)
        first = _backend_pid(engine)
        _cut(first)
        time.sleep(0.3)  # idle longer than PING_AFTER_IDLE_S: checked before it is handed out
        assert _backend_pid(engine) != first  # no error: a fresh connection took its place


def test_a_connection_in_use_a_moment_ago_is_not_pinged_and_a_cut_fails_once(
        postgres_server_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 60.0)
    with new_postgres_database("dozvon_ping") as url:
        engine = db.get_engine(url)
        first = _backend_pid(engine)
        _cut(first)
        # Handed out again within the moment after its last use: not pinged (a ping would
        # have replaced it), so the cut shows as this one statement failing …
        with pytest.raises(OperationalError) as cut:
            _backend_pid(engine)
        assert cut.value.connection_invalidated  # … as a disconnect: the pool is renewed
        assert _backend_pid(engine) != first  # and the next statement works


def test_the_connection_handed_back_last_is_handed_out_next(postgres_server_url: str) -> None:
    with new_postgres_database("dozvon_ping") as url:
        engine = db.get_engine(url)
        with engine.connect() as first, engine.connect() as second:  # two in the pool
            pids = [int(c.execute(text("SELECT pg_backend_pid()")).scalar_one()) for c in (first, second)]
        # The with-statement closes ``second``, then ``first``: ``first`` was handed back
        # last, so it serves the next transactions, one after another, and ``second`` waits.
        assert pids[0] != pids[1]
        assert [_backend_pid(engine) for _ in range(3)] == [pids[0]] * 3
