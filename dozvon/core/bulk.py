"""Many rows into one table in one statement: the ingest's write path.

On PostgreSQL the rows go in as one array per column, unpacked by ``unnest`` — one
statement with a fixed text and a dozen parameters, however many rows. Each array is
written as PostgreSQL's text of it in a few joins (:func:`dozvon.core.pgarrays.array_text`)
and sent as one string, cast by the statement: psycopg adapts a list element by element in
Python — scanning it for its type, then a dumper call and a length per element in binary (a
regular expression per element in text) — and that was a tenth of the server's CPU under
load (py-spy of the interpreter's lock, bench_server.py at 64 connections). A list that is
not of one plain type still goes to psycopg. The plain
``executemany`` the ORM and Core use costs 30–60 µs of Python per row in psycopg's
pipeline (each row's parameters adapted and sent as a statement of its own), and a batch of
32 contacts writes some 300 rows; a multi-row ``VALUES`` list changes its text with every
batch size, and psycopg parsed that text anew each time (6 ms a batch). On SQLite, whose
``executemany`` runs in C, rows go through Core as they are.

Only what the callers need: plain inserts, inserts returning columns (matched to their rows
by the caller's own key, since PostgreSQL does not promise RETURNING's order),
``ON CONFLICT (keys) DO UPDATE`` upserts of rows with distinct keys or ``DO NOTHING``, and
updates of rows found by their keys. Those that return nothing are not waited for in a
pipelined transaction (:mod:`dozvon.core.pipeline`).

And the other way, many values into one query: :func:`among` and :class:`PerDialect` — the
ingest's and the suggester's look-ups by a batch's ids, built once and given the ids as one
array parameter on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any, Generic, TypeVar

from sqlalchemy import CursorResult, Executable, Table, any_, bindparam, insert, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Compiled
from sqlalchemy.orm import QueryableAttribute, Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import ARRAY, JSON

from dozvon.core import jsontext, pipeline
from dozvon.core.pgarrays import array_text
from dozvon.core.pipeline import NO_RESULT

T = TypeVar("T")
#: Plain inserts and updates: nothing of their result is read, so a pipelined transaction
#: does not wait for them (dozvon.core.pipeline).
_NO_RESULT = {NO_RESULT: True}


def among(column: ColumnElement[Any] | QueryableAttribute[Any], name: str, dialect: str) -> ColumnElement[bool]:
    """``column IN (…)``, the values given at execution as the list parameter ``name``.
    On PostgreSQL ``column = ANY(:name)``: one array parameter and one fixed statement text,
    which psycopg prepares once. An ``IN`` list is rendered with a parameter per value and a
    different text per count: for a batch of 64 ids that cost 0.55–0.95 ms of CPU a query
    against 0.19 ms (built once, as :class:`PerDialect` does); the list itself is written by
    :mod:`dozvon.core.pgarrays` (psycopg's own dumper took 1.2 µs an id). SQLite has no
    arrays: an expanding ``IN`` there."""
    expression = column.expression if isinstance(column, QueryableAttribute) else column
    if dialect == "postgresql":
        return expression == any_(bindparam(name, type_=ARRAY(expression.type)))
    return expression.in_(bindparam(name, expanding=True))


class PerDialect(Generic[T]):
    """A statement built once per database dialect (it may use :func:`among`), not at each
    call: building a ``select`` and its cache key costs more than running a small one."""

    def __init__(self, build: Callable[[str], T]) -> None:
        self._build = build
        self._built: dict[str, T] = {}
        self._compiled: dict[str, Compiled] = {}

    def of(self, session: Session) -> T:
        dialect = session.get_bind().dialect.name
        found = self._built.get(dialect)
        if found is None:
            found = self._built[dialect] = self._build(dialect)
        return found

    def rows(self, session: Session, parameters: dict[str, Any]) -> CursorResult[*tuple[Any, ...]]:
        """Run a look-up of columns (not of mapped objects) on the session's connection,
        past the ORM's result machinery: it cost about a quarter of the CPU of each of the
        ingest's look-ups, for rows that are plain tuples either way. Nothing pending in
        the session is flushed first (the ingest and the suggester write in Core)."""
        statement: Executable = self.of(session)  # type: ignore[assignment]  # a look-up, built by the caller
        return session.connection().execute(statement, parameters)

    def ahead(self, session: Session, parameters: dict[str, Any]) -> pipeline.Ahead:
        """:meth:`rows`, sent now and read later (:func:`dozvon.core.pipeline.ahead`): in a
        pipelined transaction it travels with the next look-up."""
        dialect = session.get_bind().dialect
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            built: Any = self.of(session)
            compiled = self._compiled[dialect.name] = built.compile(dialect=dialect)
        return pipeline.ahead(session, compiled, parameters)


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]], *,
                returning: Sequence[str] = (), conflict: Sequence[str] = (),
                overwrite: bool = True, keep: Sequence[str] = ()) -> list[tuple[Any, ...]]:
    """Insert ``rows`` (dicts with the same keys) into ``table`` in the session's
    transaction; with ``conflict`` (the unique key's columns) a row whose key exists
    updates that row's other columns instead (all but those named in ``keep``, which only
    a new row takes) — or, with ``overwrite=False``, is left out. Returns the ``returning``
    columns of each row written, in no particular order (empty when none are asked for)."""
    if not rows:
        return []
    columns = tuple(rows[0])
    if session.get_bind().dialect.name == "postgresql":
        sql = _unnest_sql(table, columns, tuple(returning), tuple(conflict), overwrite, tuple(keep))
        result = session.connection().exec_driver_sql(sql, _arrays(table, columns, rows),
                                                      execution_options=_NO_RESULT if not returning else None)
        return [tuple(row) for row in result] if returning else []
    statement = _sqlite_insert(table, columns, tuple(returning), tuple(conflict), overwrite, tuple(keep))
    if returning:
        return [tuple(row) for row in session.execute(statement, list(rows))]
    session.execute(statement, list(rows))
    return []


def insert_rows_read_later(session: Session, table: Table, rows: Sequence[dict[str, Any]], *,
                           returning: Sequence[str], conflict: Sequence[str] = (),
                           overwrite: bool = True) -> pipeline.Ahead:
    """:func:`insert_rows` with ``returning``, its rows read when asked for: in a pipelined
    transaction the insert is not waited for — it travels with the next statement that
    is, or with COMMIT — and what it returned is read after (the ingest's new message ids,
    read once their batch committed; the identities a batch's new customers claimed, read
    after the wait before the engine moves). An error of the insert is raised by that wait."""
    if not rows:
        return pipeline.Ahead([])
    if session.get_bind().dialect.name == "postgresql":
        columns = tuple(rows[0])
        sql = _unnest_sql(table, columns, tuple(returning), tuple(conflict), overwrite)
        return pipeline.ahead_sql(session, sql, _arrays(table, columns, rows))
    return pipeline.Ahead(insert_rows(session, table, rows, returning=returning, conflict=conflict,
                                      overwrite=overwrite))


@cache
def _sqlite_insert(table: Table, columns: tuple[str, ...], returning: tuple[str, ...], conflict: tuple[str, ...],
                   overwrite: bool, keep: tuple[str, ...]) -> Any:
    """The Core statement of :func:`insert_rows` on SQLite, built once per shape: building
    an upsert's ``excluded`` columns anew each time was 1 % of the server's time at load
    (the ingest's state rows, bench_server.py's profile), and a statement used again
    also keeps its cache key."""
    statement: Any = insert(table) if not conflict else sqlite.insert(table)
    if conflict and overwrite:
        statement = statement.on_conflict_do_update(
            index_elements=list(conflict),
            set_={c: statement.excluded[c] for c in columns if c not in conflict and c not in keep})
    elif conflict:
        statement = statement.on_conflict_do_nothing(index_elements=list(conflict))
    if returning:
        statement = statement.returning(*(table.c[c] for c in returning))
    return statement


def _arrays(table: Table, columns: tuple[str, ...], rows: Sequence[dict[str, Any]]) -> tuple[str | list[Any], ...]:
    """One array per column (JSON columns as their text), for ``unnest``: its text, or the
    list when its values are not of one plain type (psycopg writes that)."""
    json_columns = _json_columns(table)
    return tuple(_array([_json(r[c]) for r in rows] if c in json_columns else [r[c] for r in rows])
                 for c in columns)


def _array(values: list[Any]) -> str | list[Any]:
    text = array_text(values)
    if text is not None:
        return text
    if all(v is None for v in values):  # a column no row of the batch fills
        return "{" + ",".join(["NULL"] * len(values)) + "}"
    return values


def _json(value: Any) -> str | None:
    return None if value is None else jsontext.dumps(value)


@cache
def _json_columns(table: Table) -> frozenset[str]:
    return frozenset(c.name for c in table.columns if isinstance(c.type, JSON))


@cache
def _unnest_sql(table: Table, columns: tuple[str, ...], returning: tuple[str, ...], conflict: tuple[str, ...],
                overwrite: bool, keep: tuple[str, ...] = ()) -> str:
    """``INSERT … SELECT * FROM unnest(%s::type[], …)``, each column's array cast to its
    own type (sent as the array's text, JSON as its elements' text)."""
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    preparer = dialect.identifier_preparer
    names = ", ".join(preparer.quote(c) for c in columns)
    arrays = ", ".join(f"%s::{table.c[c].type.compile(dialect=dialect)}[]" for c in columns)
    sql = f"INSERT INTO {preparer.format_table(table)} ({names}) SELECT * FROM unnest({arrays})"
    if conflict:
        updates = ", ".join(f"{preparer.quote(c)} = excluded.{preparer.quote(c)}" for c in columns
                            if c not in conflict and c not in keep)
        target = ", ".join(preparer.quote(c) for c in conflict)
        sql += f" ON CONFLICT ({target}) DO " + (f"UPDATE SET {updates}" if updates and overwrite else "NOTHING")
    if returning:
        sql += " RETURNING " + ", ".join(preparer.quote(c) for c in returning)
    return sql


def update_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str]) -> None:
    """Update each row found by its ``keys`` columns with its other values, in one
    statement on PostgreSQL (``UPDATE … FROM unnest(…)``); an executemany on SQLite."""
    if not rows:
        return
    columns = tuple(rows[0])
    if session.get_bind().dialect.name == "postgresql":
        session.connection().exec_driver_sql(_update_sql(table, columns, tuple(keys)), _arrays(table, columns, rows),
                                             execution_options=_NO_RESULT)
        return
    statement = update(table).where(*(table.c[k] == bindparam(f"k_{k}") for k in keys)).values(
        {c: bindparam(f"v_{c}") for c in columns if c not in keys})
    session.execute(statement, [{(f"k_{c}" if c in keys else f"v_{c}"): v for c, v in r.items()} for r in rows])


@cache
def _update_sql(table: Table, columns: tuple[str, ...], keys: tuple[str, ...]) -> str:
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    preparer = dialect.identifier_preparer
    arrays = ", ".join(f"%s::{table.c[c].type.compile(dialect=dialect)}[]" for c in columns)
    names = ", ".join(preparer.quote(c) for c in columns)
    sets = ", ".join(f"{preparer.quote(c)} = u.{preparer.quote(c)}" for c in columns if c not in keys)
    match = " AND ".join(f"t.{preparer.quote(k)} = u.{preparer.quote(k)}" for k in keys)
    return f"UPDATE {preparer.format_table(table)} AS t SET {sets} FROM unnest({arrays}) AS u({names}) WHERE {match}"
