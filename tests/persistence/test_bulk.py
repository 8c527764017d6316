"""dozvon.core.bulk on a real database (SQLite and PostgreSQL): look-ups by a list of values
given as one parameter (``among``: ``= ANY(array)`` on PostgreSQL, an expanding ``IN`` on
SQLite), upserts that leave some columns of an existing row alone (``keep``), and rows of
every plain type written, returned and updated as given (on PostgreSQL each column goes as
its array's text, which must quote and escape what PostgreSQL's array syntax would misread)."""

from __future__ import annotations

import uuid

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    select,
)
from sqlalchemy.orm import Session

from dozvon.core import bulk
from dozvon.core.db import get_engine, session_factory

_METADATA = MetaData()
_TABLE = Table(f"bulk_test_{uuid.uuid4().hex[:8]}", _METADATA, Column("id", String(40), primary_key=True),
               Column("text", String(200), nullable=False), Column("alerted", Boolean, nullable=False))
_BY_ID = bulk.PerDialect(lambda dialect: select(_TABLE.c.id).where(bulk.among(_TABLE.c.id, "ids", dialect),
                                                                    _TABLE.c.text != bindparam("not_text")))


def _ids(session: Session, ids: list[str]) -> set[str]:
    return set(session.scalars(_BY_ID.of(session), {"ids": ids, "not_text": "-"}))


def test_among_finds_the_listed_values_and_nothing_for_none(database_url: str) -> None:
    engine = get_engine(database_url)
    _TABLE.create(engine)
    try:
        with session_factory(engine).begin() as session:
            bulk.insert_rows(session, _TABLE, [{"id": i, "text": "x", "alerted": False}
                                               for i in ("a", "b", "it's", "д", *map(str, range(100)))])
            assert _ids(session, []) == set()
            assert _ids(session, ["a"]) == {"a"}
            assert _ids(session, ["a", "it's", "д", "missing"]) == {"a", "it's", "д"}
            assert _ids(session, [str(n) for n in range(0, 100, 2)]) == {str(n) for n in range(0, 100, 2)}
    finally:
        _TABLE.drop(engine)


def test_an_upsert_keeps_what_it_is_told_to_keep(database_url: str) -> None:
    engine = get_engine(database_url)
    _TABLE.create(engine)
    try:
        with session_factory(engine).begin() as session:
            bulk.insert_rows(session, _TABLE, [{"id": "a", "text": "first", "alerted": True}])
            bulk.insert_rows(session, _TABLE, [{"id": "a", "text": "second", "alerted": False},
                                               {"id": "b", "text": "new", "alerted": False}],
                             conflict=("id",), keep=("alerted",))
            rows = dict(((i, (t, a)) for i, t, a in session.execute(select(_TABLE).order_by(_TABLE.c.id))))
        assert rows == {"a": ("second", True), "b": ("new", False)}  # updated, but "alerted" kept
    finally:
        _TABLE.drop(engine)


_KINDS = Table(f"bulk_kinds_{uuid.uuid4().hex[:8]}", _METADATA, Column("id", String(40), primary_key=True),
               Column("text", Text, nullable=True), Column("count", BigInteger, nullable=True),
               Column("small", Integer, nullable=True), Column("flag", Boolean, nullable=True),
               Column("share", Float, nullable=True), Column("doc", JSON, nullable=True),
               Column("never", String(10), nullable=True))
#: Values an array's text must escape or keep apart (PostgreSQL's array syntax: quotes,
#: backslashes, braces, commas, spaces, the word NULL), and others of every plain type.
_TRICKY = ['he said "hi"', "back\\slash", "{braces}", "a,b", "  spaced  ", "NULL", "", "д\tж\n", "'quote'",
           "\\\"both\\\""]


def test_rows_of_every_plain_type_and_tricky_text_are_written_and_updated_as_given(database_url: str) -> None:
    engine = get_engine(database_url)
    _KINDS.create(engine)
    rows = [{"id": f"r{n}", "text": text, "count": 10**15 + n if n % 3 else None, "small": -n,
             "flag": n % 2 == 0 if n != 4 else None, "share": n / 7 if n != 5 else None,
             "doc": {"said": text, "n": n, "list": [text, None]} if n != 6 else None, "never": None}
            for n, text in enumerate(_TRICKY)]
    rows.append({"id": "all-null", "text": None, "count": None, "small": None, "flag": None, "share": None,
                 "doc": None, "never": None})
    try:
        with session_factory(engine).begin() as session:
            bulk.insert_rows(session, _KINDS, rows)
            written = {r[0]: tuple(r) for r in session.execute(select(_KINDS))}
            assert written == {r["id"]: tuple(r.values()) for r in rows}
            made = bulk.insert_rows_read_later(session, _KINDS, [{**rows[0], "id": "new, \"one\""}],
                                               returning=("id", "text"), conflict=("id",), overwrite=False)
            changed = [{"id": r["id"], "text": f"{r['text']} again" if r["text"] is not None else None,
                        "doc": {"again": r["doc"]}} for r in rows]
            bulk.update_rows(session, _KINDS, changed, ("id",))
            assert made.all() == [("new, \"one\"", 'he said "hi"')]
            updated = {i: (t, d) for i, t, d in session.execute(select(_KINDS.c.id, _KINDS.c.text, _KINDS.c.doc))}
        assert updated == {**{r["id"]: (r["text"], r["doc"]) for r in changed},
                           "new, \"one\"": ('he said "hi"', rows[0]["doc"])}
    finally:
        _KINDS.drop(engine)
