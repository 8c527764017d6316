"""A transaction's statements sent without waiting, on PostgreSQL: psycopg's pipeline mode.

An ingest batch of 42 new contacts waited for PostgreSQL 14 times (bench_server.py's
statement log): BEGIN on its own, then each look-up and each insert, then the events, the
live rows and COMMIT one after another. Each round trip waits for the server and then for
the interpreter's lock, which the event loop holds meanwhile; together they were most of a
batch's time. In a pipelined transaction a write whose result nobody reads (declared with
:data:`NO_RESULT`, as :mod:`dozvon.core.bulk` declares its plain inserts and updates) is
sent and not waited for: it travels with the next statement that is read, or with COMMIT.
A look-up that does not depend on the next one can be sent ahead of it (:func:`ahead`) and
travel with it (the retries and the segment rules travel with the identity look-up), and an
insert's returned rows can be read after a later wait (:func:`ahead_sql`: the new customers'
identity claims travel with the batch's rows, its messages' new ids with COMMIT). The
batch above waits 3 times (tests/server/test_ingest_round_trips.py counts them in libpq's
trace). psycopg's own BEGIN waited once more, and so did its exit from pipeline mode after
COMMIT: the transaction's BEGIN is sent ahead of its first statement
(:meth:`_Pipeline.begin`), and the pipeline is left without a wait (:meth:`_Pipeline.end`).

And the statements before a wait go in one write (:class:`QueuingCursor`,
:class:`_SendsInOneGo`): psycopg's pipeline wrote each statement as it came, asking the
operating system first whether the socket took more. The batch of 32 new contacts made 56
such system calls on its socket (strace), now 13 — each one a moment the thread lets go of
the interpreter's lock, which the event loop may then hold.

Every other statement is waited for at once (:func:`_wait_for_results`, a listener that
:func:`pipeline_on` puts on every PostgreSQL engine): SQLAlchemy looks at a result as soon
as it is executed, and the ORM checks the count of rows an update touched. So code inside a pipelined transaction
behaves as it would outside it, with one difference: an error of a write not waited for
(a broken constraint) is raised by the next statement that is waited for, or by COMMIT —
still inside the transaction, which is then rolled back as a whole. The writes declared
:data:`NO_RESULT` are the bulk writes of rows whose keys the caller chose, where that
difference does not matter.

On SQLite there are no round trips: :func:`pipelined` does nothing there.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from sqlalchemy import Executable, event
from sqlalchemy.engine import Compiled, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

#: Execution option of a statement whose result (rows, count) is never read: in a
#: pipelined transaction it is not waited for.
NO_RESULT = "dozvon_no_result"
_PIPELINE = "dozvon.pipeline"
#: Waits that take in answers after an error before a rollback (each reaches one point
#: where the server synchronised; a few are enough).
_DRAIN_TRIES = 4


class _Pipeline:
    """A connection's pipeline: psycopg's block, and whether writes were sent that were
    not waited for yet."""

    def __init__(self, driver_connection: Any) -> None:
        # Managed here, not by ``Connection.pipeline()``, whose exit always waits once more
        # (:meth:`end`); the connection is told of its pipeline as that method tells it.
        self._driver = driver_connection
        pipeline = _SendsInOneGo(driver_connection)
        with driver_connection.lock:
            driver_connection._pipeline = pipeline
        try:
            pipeline.__enter__()
        except BaseException:
            driver_connection._pipeline = None
            raise
        self._pipeline = pipeline
        self.unwaited = False
        self.begun = False

    def begin(self) -> None:
        """Before the transaction's first statement: send its BEGIN, without waiting for
        the answer. psycopg sends it itself and then waits (a Sync, to learn the
        transaction's status): a round trip for every transaction, and under load the
        interpreter's lock after it — a batch of chat messages spent about two fifths of
        its first look-up's time there. Sent here, libpq reports the transaction as active,
        psycopg sends no BEGIN of its own, and the answer is taken in with the first
        statement that is waited for (an error in it is raised there). Not sooner than the
        first statement: a command the engine refuses, or a tick with nothing due, sends
        nothing at all. psycopg's own command queue and BEGIN statement (isolation level,
        read only) as of the pinned version; tests/server/test_ingest_round_trips.py counts
        the waits."""
        if self.begun:
            return
        self.begun = True
        driver = self._driver
        if driver.autocommit or driver.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            return  # no transaction to open, or psycopg has opened it already
        with driver.lock:
            driver.wait(driver._exec_command(driver._get_tx_start_command()))  # queued
            _hand_over(self._pipeline.command_queue)  # to libpq, sent with the first statement waited for

    def clean(self) -> bool:
        """Nothing refused is waiting to be taken in: the last wait went through and the
        transaction ended well (or none is open)."""
        info = self._driver.info
        return bool(info.pipeline_status == psycopg.pq.PipelineStatus.ON
                    and info.transaction_status == psycopg.pq.TransactionStatus.IDLE)

    def wait(self) -> None:
        """Wait for every answer to what was sent (an error among them is raised here)."""
        self.unwaited = False
        self._pipeline.sync()

    def send(self) -> None:
        """Put what is queued on the wire now, without a Sync and without waiting: the server
        starts on it while this thread computes (the ingest, on the next batch's look-ups);
        the answers come in with the next wait. libpq writes what the socket takes at once
        (its connection is non-blocking, as psycopg opens it) and the rest with that wait."""
        if not self._pipeline.command_queue:
            return
        with self._driver.lock:
            _hand_over(self._pipeline.command_queue)
            self._driver.pgconn.flush()

    def drain(self) -> None:
        """Before a rollback: take in the answers to the statements sent after a failed one.
        The server refused them ("pipeline aborted"), and psycopg raises that at the next
        wait — the rollback's own, hiding the error that caused it."""
        for _ in range(_DRAIN_TRIES):
            try:
                self.wait()
                return
            except psycopg.Error:
                continue

    def end(self) -> None:
        """Leave pipeline mode. psycopg's own exit sends a Sync and waits for its answer, a
        round trip for every transaction; after a good COMMIT (whose Sync was answered)
        nothing is queued or pending, and libpq leaves at once. (psycopg's pipeline
        internals — its queues, ``_exit`` — as of the pinned version; the round-trip test
        counts the waits, tests/server/test_ingest_round_trips.py.)"""
        pipeline = self._pipeline
        try:
            if self.clean() and not pipeline.command_queue and not pipeline.result_queue:
                pipeline._exit(None)
            else:
                pipeline.__exit__(None, None, None)
        finally:
            if pipeline.level == 0:
                with self._driver.lock:
                    self._driver._pipeline = None


@contextmanager
def pipelined(session: Session) -> Iterator[None]:
    """Send the session's statements in pipeline mode from here on. Enter it inside the
    transaction and leave it after the commit (``contextlib.ExitStack`` outside
    ``session.begin()``), so that the last writes travel with COMMIT: the pipeline ends
    when the connection goes back to the pool (before any other thread can take it), or
    at the end of the block if that comes first."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        yield
        return
    pooled = connection.connection
    if _PIPELINE in pooled.info:  # already pipelined: the outer block ends it
        yield
        return
    pooled.info[_PIPELINE] = _Pipeline(pooled.driver_connection)
    try:
        yield
    finally:
        _leave(pooled.info)


class _SendsInOneGo(psycopg.Pipeline):
    """psycopg's pipeline, which hands every statement queued (:class:`QueuingCursor`) to
    libpq before it talks to the server: libpq keeps them in its buffer, and they go in one
    write. psycopg's own loop asks whether the socket takes more and writes once for each
    statement — two system calls, each letting go of the interpreter's lock
    (:class:`QueuingCursor` says what that costs)."""

    def _communicate_gen(self) -> Any:
        _hand_over(self.command_queue)
        return (yield from super()._communicate_gen())


def _hand_over(commands: Any) -> None:
    """Give libpq the statements psycopg queued, in order: in pipeline mode it buffers them
    (writing on its own only past 64 kB, and without blocking)."""
    while commands:
        commands.popleft()()


class QueuingCursor(psycopg.Cursor[Any]):
    """psycopg's cursor, able to hand a statement to the pipeline without a word to the
    server (:meth:`queue`): it is sent with the next statement that is waited for, or
    with COMMIT.

    psycopg's own ``execute`` in a pipeline sends each statement at once: it asks the
    operating system whether the socket takes more (``poll``), and writes to it. Around
    each of those calls CPython lets go of the interpreter's lock, and taking it back may
    wait for the thread that took it meanwhile — the event loop, under load. A batch of 32
    new contacts made 36 ``poll`` and 20 ``sendto`` calls on its socket; queued, its
    statements travel in one write with the next one waited for (6 and 7: strace of the
    ingest thread, 20 batches).

    The answers come in the order the statements were queued, as psycopg matches them. A
    statement's rows read before a wait brought them (a look-up sent ahead, read at once)
    are waited for then, with everything queued before them (:meth:`_fetch_pipeline`).
    psycopg's internals as of the pinned version (its cursor's ``_execute_gen`` less its
    last step); tests/persistence/test_pipeline.py and
    tests/server/test_ingest_round_trips.py count the waits on the socket."""

    #: :func:`_begun` marks the statement SQLAlchemy is about to execute as one to queue.
    queue_next = False

    def execute(self, query: Any, params: Any = None, *, prepare: bool | None = None,
                binary: bool | None = None) -> Any:
        if self.queue_next:
            self.queue_next = False
            if self._conn._pipeline:
                return self.queue(query, params, prepare=prepare, binary=binary)
        return super().execute(query, params, prepare=prepare, binary=binary)

    def queue(self, query: Any, params: Any = None, *, prepare: bool | None = None,
              binary: bool | None = None) -> QueuingCursor:
        """Put the statement in the pipeline's queue, sent later; its result (and any
        error) comes in with the next wait."""
        with self._conn.lock:
            self._conn.wait(self._queue_gen(query, params, prepare=prepare, binary=binary))
        return self

    def _queue_gen(self, query: Any, params: Any, *, prepare: bool | None, binary: bool | None) -> Any:
        yield from self._start_query(query)
        converted = self._convert_query(query, params)
        yield from self._maybe_prepare_gen(converted, prepare=prepare, binary=binary)
        self._last_query = query
        yield from self._conn._prepared.maintain_gen(self._conn)

    def _fetch_pipeline(self) -> None:
        """Rows asked for before a wait brought them: wait now, with a Sync. psycopg would
        send what libpq holds and a flush request, and never what is still queued here
        (an answer it would wait for for ever); and without a Sync libpq never learns that
        the transaction is open, so psycopg's COMMIT would think there is none and send
        nothing — the transaction's writes lost."""
        pipeline = self._conn._pipeline
        if pipeline is not None and not self.pgresult and self._execmany_returning is not False:
            pipeline.sync()


def wait(session: Session) -> None:
    """Wait for the writes sent and not waited for yet, if any: their errors are raised
    here, not later (a caller that must know its rows were taken before it goes on). It
    waits by a statement whose answer is read, sent with them (no round trip more), so that
    an error comes as SQLAlchemy's, as from any statement — and a lost connection is
    noticed as one."""
    connection = session.connection()
    pipeline = connection.connection.info.get(_PIPELINE)
    if pipeline is not None and pipeline.unwaited:
        connection.exec_driver_sql("SELECT 1")


def send(session: Session) -> None:
    """Put the statements queued so far on the wire without waiting for them
    (:meth:`_Pipeline.send`); nothing where the transaction is not pipelined."""
    pipeline = session.connection().connection.info.get(_PIPELINE)
    if pipeline is not None:
        pipeline.send()


class Ahead:
    """A look-up sent ahead (:func:`ahead`): its rows, read when asked for."""

    def __init__(self, rows: list[tuple[Any, ...]] | None, cursor: Any = None, sql: str = "",
                 parameters: Any = None) -> None:
        self._rows, self._cursor, self._sql, self._parameters = rows, cursor, sql, parameters

    def all(self) -> list[tuple[Any, ...]]:
        if self._rows is None:
            try:
                self._rows = [tuple(row) for row in self._cursor.fetchall()]
            except psycopg.Error as error:  # as SQLAlchemy would have raised it
                raise DBAPIError.instance(self._sql, self._parameters, error, psycopg.Error) from error
            finally:
                self._cursor.close()
        return self._rows


def ahead(session: Session, compiled: Compiled, parameters: dict[str, Any]) -> Ahead:
    """Send a look-up now, read its rows later (:meth:`Ahead.all`). In a pipelined
    transaction it travels with the next statement that is waited for — two look-ups that
    do not depend on each other cost one round trip; elsewhere it runs at once.
    ``compiled``: the statement compiled for this database once (its text is sent as it
    is, bypassing SQLAlchemy, whose result would be looked at on the spot)."""
    connection = session.connection()
    if _PIPELINE not in connection.connection.info:
        statement: Executable = compiled.statement  # type: ignore[assignment]  # a look-up
        return Ahead([tuple(row) for row in connection.execute(statement, parameters)])
    return ahead_sql(session, compiled.string, compiled.construct_params(parameters))


def ahead_sql(session: Session, sql: str, parameters: Any) -> Ahead:
    """:func:`ahead` for a statement written for the driver (:mod:`dozvon.core.bulk`'s
    inserts returning their new ids): queued now (:class:`QueuingCursor`) and sent with the
    next wait, its rows read when asked for — in a pipelined transaction they may be asked
    for after COMMIT, which brought them in."""
    connection = session.connection()
    pipeline = connection.connection.info.get(_PIPELINE)
    if pipeline is None:
        return Ahead([tuple(row) for row in connection.exec_driver_sql(sql, parameters)])
    pipeline.begin()
    driver: Any = connection.connection.driver_connection
    cursor = driver.cursor()
    cursor.queue(sql, parameters)
    pipeline.unwaited = True
    return Ahead(None, cursor, sql, parameters)


def _leave(info: dict[Any, Any], *, drained: bool = False) -> None:
    """End the connection's pipeline, if it still has one."""
    pipeline = info.pop(_PIPELINE, None)
    if pipeline is not None:
        if drained:
            pipeline.drain()
        pipeline.end()


def pipeline_on(engine: Engine) -> None:
    """Make ``engine``'s connections ready for :func:`pipelined`: in a pipelined
    transaction the first statement sends BEGIN ahead of it (:meth:`_Pipeline.begin`);
    each statement's result is waited for unless the statement says it has none to read
    (:data:`NO_RESULT`) — before SQLAlchemy looks at it; a rollback is sent
    outside pipeline mode, after the refused statements' answers are taken in; and a
    connection handed back to the pool leaves pipeline mode first."""
    event.listen(engine, "connect", _queuing_cursors)
    event.listen(engine, "before_cursor_execute", _begun)
    event.listen(engine, "after_cursor_execute", _wait_for_results)
    event.listen(engine, "rollback", _left_before_rollback)
    event.listen(engine, "rollback_savepoint", _drained_before_rollback_to_savepoint)
    event.listen(engine, "reset", _left_on_return)
    event.listen(engine, "invalidate", _forgotten)
    event.listen(engine, "handle_error", _shutdown_is_a_disconnect)


def _queuing_cursors(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.cursor_factory = QueuingCursor


def _begun(connection: Any, cursor: Any, _statement: str, _parameters: Any, _context: Any,
           executemany: bool) -> None:
    pipeline = connection.connection.info.get(_PIPELINE)
    if pipeline is not None:
        pipeline.begin()
        if not executemany and isinstance(cursor, QueuingCursor):
            # Sent with the next statement waited for, or at once by the wait that
            # _wait_for_results makes for a statement whose result is read.
            cursor.queue_next = True


def _wait_for_results(connection: Any, _cursor: Any, _statement: str, _parameters: Any, context: Any,
                      _executemany: bool) -> None:
    pipeline = connection.connection.info.get(_PIPELINE)
    if pipeline is None:
        return
    if context.execution_options.get(NO_RESULT):
        pipeline.unwaited = True
    else:
        pipeline.wait()


def _left_before_rollback(connection: Any) -> None:
    if not connection.invalidated:  # a lost connection's pipeline went with it (_forgotten)
        # A connection lost meanwhile cannot leave cleanly; the rollback right after this
        # then fails as SQLAlchemy's disconnect, which renews the pool, as without a pipeline.
        with contextlib.suppress(psycopg.Error):
            _leave(connection.connection.info, drained=True)


def _drained_before_rollback_to_savepoint(connection: Any, _name: str, _context: Any) -> None:
    pipeline = connection.connection.info.get(_PIPELINE)
    if pipeline is not None:
        pipeline.drain()


def _left_on_return(_dbapi_connection: Any, record: Any, _state: Any) -> None:
    """After a good COMMIT, leave at once, without waiting (:meth:`_Pipeline.end`); a failed
    COMMIT hands the connection back with the refused statements' answers still to take in."""
    pipeline = record.info.get(_PIPELINE)
    if pipeline is not None:
        _leave(record.info, drained=not pipeline.clean())


def _forgotten(_dbapi_connection: Any, record: Any, _error: Any) -> None:
    """A connection lost or thrown away: its pipeline is not ended, only forgotten."""
    record.info.pop(_PIPELINE, None)


#: The server's word that it is closing the connection (terminated, crashed, shutting down).
_SHUTDOWN = (psycopg.errors.AdminShutdown, psycopg.errors.CrashShutdown, psycopg.errors.CannotConnectNow)


def _shutdown_is_a_disconnect(context: Any) -> None:
    """A connection the server said it closes is lost, as SQLAlchemy treats a failed write.
    With the statements of a pipelined transaction sent in one go (:class:`_SendsInOneGo`),
    the server's last message is read before anything is written to the closed socket, and
    SQLAlchemy would hand the dead connection back to the pool as a live one."""
    if isinstance(context.original_exception, _SHUTDOWN):
        context.is_disconnect = True
