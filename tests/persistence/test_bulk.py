"""dozvon.core.bulk on a real database (SQLite and PostgreSQL): look-ups by a list of values
given as one parameter (``among``: ``= ANY(array)`` on PostgreSQL, an expanding ``IN`` on
SQLite), and upserts that leave some columns of an existing row alone (``keep``)."""

from __future__ import annotations

import uuid

from sqlalchemy import Boolean, Column, MetaData, String, Table, bindparam, select
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
