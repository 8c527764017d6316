"""Many rows into one table in one statement: the ingest's write path.

On PostgreSQL the rows go in as one array per column, unpacked by ``unnest`` — one
statement with a fixed text and a dozen parameters, however many rows — and the arrays are
sent in binary (``%b``: psycopg's text format escapes every element with a regular
expression in Python, 7× slower). The plain
``executemany`` the ORM and Core use costs 30–60 µs of Python per row in psycopg's
pipeline (each row's parameters adapted and sent as a statement of its own), and a batch of
32 contacts writes some 300 rows; a multi-row ``VALUES`` list changes its text with every
batch size, and psycopg parsed that text anew each time (6 ms a batch). On SQLite, whose
``executemany`` runs in C, rows go through Core as they are.

Only what the callers need: plain inserts, inserts returning columns (matched to their rows
by the caller's own key, since PostgreSQL does not promise RETURNING's order),
``ON CONFLICT (keys) DO UPDATE`` upserts of rows with distinct keys or ``DO NOTHING``, and
updates of rows found by their keys.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Table, bindparam, insert, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.types import JSON


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
        result = session.connection().exec_driver_sql(sql, _arrays(table, columns, rows))
        return [tuple(row) for row in result] if returning else []
    statement: Any = insert(table) if not conflict else sqlite.insert(table)
    if conflict and overwrite:
        statement = statement.on_conflict_do_update(
            index_elements=list(conflict),
            set_={c: statement.excluded[c] for c in columns if c not in conflict and c not in keep})
    elif conflict:
        statement = statement.on_conflict_do_nothing(index_elements=list(conflict))
    if returning:
        statement = statement.returning(*(table.c[c] for c in returning))
        return [tuple(row) for row in session.execute(statement, list(rows))]
    session.execute(statement, list(rows))
    return []


def _arrays(table: Table, columns: tuple[str, ...], rows: Sequence[dict[str, Any]]) -> tuple[list[Any], ...]:
    """One list per column (JSON columns as their text), for ``unnest``."""
    json_columns = _json_columns(table)
    return tuple([_json(r[c]) for r in rows] if c in json_columns else [r[c] for r in rows] for c in columns)


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


@cache
def _json_columns(table: Table) -> frozenset[str]:
    return frozenset(c.name for c in table.columns if isinstance(c.type, JSON))


@cache
def _unnest_sql(table: Table, columns: tuple[str, ...], returning: tuple[str, ...], conflict: tuple[str, ...],
                overwrite: bool, keep: tuple[str, ...] = ()) -> str:
    """``INSERT … SELECT * FROM unnest(%b::type[], …)``, each column's array cast to its
    own type (JSON sent as text and cast by PostgreSQL)."""
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    preparer = dialect.identifier_preparer
    names = ", ".join(preparer.quote(c) for c in columns)
    arrays = ", ".join(f"%b::{table.c[c].type.compile(dialect=dialect)}[]" for c in columns)
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
        session.connection().exec_driver_sql(_update_sql(table, columns, tuple(keys)), _arrays(table, columns, rows))
        return
    statement = update(table).where(*(table.c[k] == bindparam(f"k_{k}") for k in keys)).values(
        {c: bindparam(f"v_{c}") for c in columns if c not in keys})
    session.execute(statement, [{(f"k_{c}" if c in keys else f"v_{c}"): v for c, v in r.items()} for r in rows])


@cache
def _update_sql(table: Table, columns: tuple[str, ...], keys: tuple[str, ...]) -> str:
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    preparer = dialect.identifier_preparer
    arrays = ", ".join(f"%b::{table.c[c].type.compile(dialect=dialect)}[]" for c in columns)
    names = ", ".join(preparer.quote(c) for c in columns)
    sets = ", ".join(f"{preparer.quote(c)} = u.{preparer.quote(c)}" for c in columns if c not in keys)
    match = " AND ".join(f"t.{preparer.quote(k)} = u.{preparer.quote(k)}" for k in keys)
    return f"UPDATE {preparer.format_table(table)} AS t SET {sets} FROM unnest({arrays}) AS u({names}) WHERE {match}"
