"""dozvon.core.pipeline on a real database: in a pipelined transaction on PostgreSQL a plain
bulk write is sent and not waited for — its error is raised by the next wait, the next
statement that is read, or COMMIT, as SQLAlchemy's error, and nothing of the transaction
is stored; a read sees the writes sent before it; the connection goes back to the pool out
of pipeline mode and serves the next transaction. On SQLite nothing changes."""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dozvon.core import bulk, pipeline
from dozvon.core.db import get_engine, session_factory
from tests.conftest import socket_waits

_METADATA = MetaData()
_TABLE = Table(f"pipeline_test_{uuid.uuid4().hex[:8]}", _METADATA, Column("id", Integer, primary_key=True),
               Column("text", String(40), nullable=False))
#: The error of a row whose key is taken, on PostgreSQL and on SQLite.
REFUSED = r"duplicate key|UNIQUE constraint"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = get_engine(database_url)
    _TABLE.create(engine)
    yield engine
    _TABLE.drop(engine)


@contextlib.contextmanager
def pipelined_transaction(engine: Engine) -> Iterator[Session]:
    """As RouterService.run holds one: pipelined inside the transaction, left after COMMIT."""
    with session_factory(engine)() as session, contextlib.ExitStack() as after_commit, session.begin():
        after_commit.enter_context(pipeline.pipelined(session))
        yield session


def rows(engine: Engine) -> list[tuple[int, str]]:
    with session_factory(engine)() as session:
        return [tuple(r) for r in session.execute(select(_TABLE).order_by(_TABLE.c.id))]


def test_writes_not_waited_for_are_read_back_in_the_transaction_and_committed(engine: Engine) -> None:
    with pipelined_transaction(engine) as session:
        bulk.insert_rows(session, _TABLE, [{"id": 1, "text": "a"}, {"id": 2, "text": "b"}])
        bulk.update_rows(session, _TABLE, [{"id": 2, "text": "b2"}], keys=("id",))
        assert session.scalar(select(func.count()).select_from(_TABLE)) == 2  # a read waits for them
        bulk.insert_rows(session, _TABLE, [{"id": 3, "text": "c"}])  # travels with COMMIT
    assert rows(engine) == [(1, "a"), (2, "b2"), (3, "c")]


def test_a_refused_write_is_raised_at_the_latest_by_the_wait_and_nothing_is_stored(engine: Engine) -> None:
    with pytest.raises(IntegrityError, match=REFUSED), pipelined_transaction(engine) as session:
        bulk.insert_rows(session, _TABLE, [{"id": 1, "text": "a"}])
        bulk.insert_rows(session, _TABLE, [{"id": 1, "text": "again"}])
        bulk.insert_rows(session, _TABLE, [{"id": 2, "text": "after the refused one"}])
        pipeline.wait(session)
        pytest.fail("the wait did not raise the refused write's error")
    assert rows(engine) == []
    with pipelined_transaction(engine) as session:  # the pool's connection serves again
        bulk.insert_rows(session, _TABLE, [{"id": 5, "text": "e"}])
    assert rows(engine) == [(5, "e")]


@pytest.mark.postgres
def test_a_write_without_a_result_is_not_waited_for(postgres_server_url: str) -> None:
    """A write that keeps the server busy for two seconds returns at once; the wait is
    what takes the two seconds, and the row is there after COMMIT.

    The wait is held to 1.9 s, not 2: ``pg_sleep`` times itself on the server's wall
    clock and this test on the client's monotonic one, and CI once measured 1.9975 s."""
    engine = get_engine(postgres_server_url)
    _TABLE.create(engine)
    try:
        with pipelined_transaction(engine) as session:
            sent = time.monotonic()
            session.connection().exec_driver_sql(f"INSERT INTO {_TABLE.name} SELECT 7, 'slow' FROM pg_sleep(2)",
                                                 execution_options={pipeline.NO_RESULT: True})
            assert time.monotonic() - sent < 1.0
            pipeline.wait(session)
            assert time.monotonic() - sent >= 1.9
        assert rows(engine) == [(7, "slow")]
    finally:
        _TABLE.drop(engine)


def test_a_refused_write_is_raised_by_commit_not_hidden_by_the_rollback(engine: Engine) -> None:
    with pytest.raises(IntegrityError, match=REFUSED), pipelined_transaction(engine) as session:
        bulk.insert_rows(session, _TABLE, [{"id": 1, "text": "a"}])
        bulk.insert_rows(session, _TABLE, [{"id": 1, "text": "again"}])
        bulk.insert_rows(session, _TABLE, [{"id": 2, "text": "refused with it"}])
    assert rows(engine) == []


def test_a_refused_write_is_raised_by_the_next_read(engine: Engine) -> None:
    with pytest.raises(IntegrityError, match=REFUSED), pipelined_transaction(engine) as session:
        bulk.insert_rows(session, _TABLE, [{"id": 1, "text": "a"}, {"id": 1, "text": "twice"}])
        session.scalar(select(func.count()).select_from(_TABLE))
    assert rows(engine) == []


@pytest.mark.postgres
def test_the_connection_goes_back_to_the_pool_out_of_pipeline_mode(postgres_server_url: str) -> None:
    import psycopg

    engine = get_engine(postgres_server_url)
    _TABLE.create(engine)
    try:
        with session_factory(engine)() as session, contextlib.ExitStack() as after_commit, session.begin():
            after_commit.enter_context(pipeline.pipelined(session))
            driver = session.connection().connection.driver_connection
            assert driver.info.pipeline_status != psycopg.pq.PipelineStatus.OFF
            bulk.insert_rows(session, _TABLE, [{"id": 1, "text": "a"}])
        assert driver.info.pipeline_status == psycopg.pq.PipelineStatus.OFF
        assert rows(engine) == [(1, "a")]
    finally:
        _TABLE.drop(engine)


_BY_TEXT = bulk.PerDialect(lambda dialect: select(_TABLE.c.id, _TABLE.c.text).where(
    bulk.among(_TABLE.c.text, "texts", dialect)).order_by(_TABLE.c.id))


def test_a_look_up_sent_ahead_reads_the_same_rows(engine: Engine) -> None:
    with pipelined_transaction(engine) as session:
        bulk.insert_rows(session, _TABLE, [{"id": 1, "text": "a"}, {"id": 2, "text": "b"}, {"id": 3, "text": "it's"}])
        asked = _BY_TEXT.ahead(session, {"texts": ["a", "it's", "missing"]})
        assert session.scalar(select(func.count()).select_from(_TABLE)) == 3
        assert asked.all() == [(1, "a"), (3, "it's")]
        assert asked.all() == [(1, "a"), (3, "it's")]  # read once, kept


@pytest.mark.postgres
def test_a_look_up_sent_ahead_travels_with_the_next_one(postgres_server_url: str) -> None:
    """A look-up that keeps the server busy for a second is sent at once and not waited
    for; the next look-up brings its rows along, so reading them costs nothing more."""
    engine = get_engine(postgres_server_url)
    slow = bulk.PerDialect(lambda dialect: text("SELECT 7 AS seven FROM pg_sleep(1)"))
    with pipelined_transaction(engine) as session:
        sent = time.monotonic()
        asked = slow.ahead(session, {})
        assert time.monotonic() - sent < 0.5
        assert session.execute(text("SELECT 1")).scalar() == 1
        assert time.monotonic() - sent >= 1.0
        read = time.monotonic()
        assert asked.all() == [(7,)]
        assert time.monotonic() - read < 0.5


@pytest.mark.postgres
def test_a_connection_cut_inside_a_pipelined_transaction_fails_as_a_disconnect(postgres_server_url: str) -> None:
    """The server goes away with writes sent and not waited for: the transaction fails as
    SQLAlchemy's disconnect (which renews the pool), nothing of it is stored, and the next
    transaction works."""
    import psycopg
    from sqlalchemy.exc import OperationalError

    from tests.conftest import POSTGRES_ADMIN_URL

    engine = get_engine(postgres_server_url)
    _TABLE.create(engine)
    try:
        with pytest.raises(OperationalError) as cut, pipelined_transaction(engine) as session:
            pid = session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
            bulk.insert_rows(session, _TABLE, [{"id": 1, "text": "sent, not waited for"}])
            with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
            time.sleep(0.1)
            bulk.insert_rows(session, _TABLE, [{"id": 2, "text": "after the cut"}])
        assert cut.value.connection_invalidated
        assert rows(engine) == []
        with pipelined_transaction(engine) as session:
            bulk.insert_rows(session, _TABLE, [{"id": 3, "text": "a fresh connection"}])
        assert rows(engine) == [(3, "a fresh connection")]
    finally:
        _TABLE.drop(engine)


@contextlib.contextmanager
def traced(engine: Engine, folder: str) -> Iterator[tuple[Session, list[list[str]]]]:
    """A pipelined transaction whose messages to the server are recorded (libpq's own
    trace), read after its COMMIT: one list of fields per message."""
    import pathlib

    path = pathlib.Path(folder) / "libpq.trace"
    sent: list[list[str]] = []
    with path.open("w") as trace:
        with pipelined_transaction(engine) as session:
            pgconn = session.connection().connection.driver_connection.pgconn
            pgconn.trace(trace.fileno())
            yield session, sent
        pgconn.untrace()
    sent.extend(line.split("\t") for line in path.read_text().splitlines())


def _to_server(sent: list[list[str]], kind: str) -> list[list[str]]:
    return [fields for fields in sent if len(fields) > 3 and fields[1] == "F" and fields[3].startswith(kind)]


@pytest.mark.postgres
def test_begin_travels_with_the_first_statement_and_is_not_waited_for(postgres_server_url: str, tmp_path) -> None:
    """One read and COMMIT: two waits (psycopg alone waits once more, after BEGIN)."""
    engine = get_engine(postgres_server_url)
    with traced(engine, str(tmp_path)) as (session, sent):
        assert session.execute(text("SELECT 1")).scalar() == 1
    assert len(_to_server(sent, "Sync")) == 2
    queries = [" ".join(fields[4:]) for fields in _to_server(sent, "Parse")]
    assert "BEGIN" in queries[0] and "SELECT 1" in queries[1] and "COMMIT" in queries[-1], queries


@pytest.mark.postgres
def test_a_pipelined_transaction_that_sends_no_statement_sends_nothing(postgres_server_url: str, tmp_path) -> None:
    """A command the engine refuses, or a tick with nothing due: no BEGIN, no COMMIT."""
    engine = get_engine(postgres_server_url)
    with traced(engine, str(tmp_path)) as (_session, sent):
        pass
    assert [fields for fields in sent if len(fields) > 1 and fields[1] == "F"] == []


@pytest.mark.postgres
def test_the_early_begin_keeps_the_writes_a_transaction_until_commit(postgres_server_url: str) -> None:
    """Waited for and read back inside, the rows are still invisible to another connection
    until COMMIT (without BEGIN, each wait's Sync would have committed them)."""
    engine = get_engine(postgres_server_url)
    _TABLE.create(engine)
    try:
        with pipelined_transaction(engine) as session:
            bulk.insert_rows(session, _TABLE, [{"id": 1, "text": "a"}])
            pipeline.wait(session)
            assert session.scalar(select(func.count()).select_from(_TABLE)) == 1
            assert rows(engine) == []
        assert rows(engine) == [(1, "a")]
    finally:
        _TABLE.drop(engine)


@pytest.mark.postgres
def test_the_statements_before_a_wait_go_to_the_server_in_one_go(postgres_server_url: str) -> None:
    """Seven writes, a look-up sent ahead and a read, then three writes and COMMIT: the
    connection waits to write to its socket once for each of the two waits, not once per
    statement as psycopg's own pipeline does."""
    engine = get_engine(postgres_server_url)
    _TABLE.create(engine)
    try:
        with pipelined_transaction(engine) as session:
            session.connection()  # checked out before counting
            with socket_waits(session.connection().connection.driver_connection) as count:
                for i in range(1, 8):
                    bulk.insert_rows(session, _TABLE, [{"id": i, "text": f"row {i}"}])
                asked = _BY_TEXT.ahead(session, {"texts": ["row 2", "row 5"]})
                assert session.scalar(select(func.count()).select_from(_TABLE)) == 7
                assert asked.all() == [(2, "row 2"), (5, "row 5")]
                for i in range(8, 11):
                    bulk.insert_rows(session, _TABLE, [{"id": i, "text": f"row {i}"}])
                waited_inside = count[0]
            with socket_waits(session.connection().connection.driver_connection) as at_commit:
                session.commit()
        assert waited_inside == 1, waited_inside
        assert at_commit[0] == 1, at_commit
        assert len(rows(engine)) == 10
    finally:
        _TABLE.drop(engine)


@pytest.mark.postgres
def test_a_look_up_read_before_any_wait_first_sends_what_is_queued(postgres_server_url: str) -> None:
    """Statements queued for the next wait (dozvon.core.pipeline.QueuingCursor) and a
    look-up sent ahead whose rows are read at once, before anything is waited for: the
    reading sends them, and the rows include the writes queued before it (it would
    otherwise wait for an answer to a statement never sent — for ever)."""
    engine = get_engine(postgres_server_url)
    _TABLE.create(engine)
    read: list[Any] = []
    try:
        def transaction() -> None:
            with pipelined_transaction(engine) as session:
                bulk.insert_rows(session, _TABLE, [{"id": 1, "text": "a"}, {"id": 2, "text": "b"}])
                read.extend(_BY_TEXT.ahead(session, {"texts": ["b"]}).all())

        worker = threading.Thread(target=transaction, daemon=True)
        worker.start()
        worker.join(30)
        assert not worker.is_alive(), "the look-up waited for an answer to a statement never sent"
        assert read == [(2, "b")]
        assert rows(engine) == [(1, "a"), (2, "b")]
    finally:
        _TABLE.drop(engine)
