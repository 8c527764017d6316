"""dozvon.core.pgarrays on a real PostgreSQL: a list sent as an array parameter comes back
the same, whatever its strings hold (quotes, backslashes, braces, commas, spaces, the word
NULL, the empty string, Cyrillic) and with NULLs among them; lists of integers, booleans and
floats too. What the fast path does not take (nested lists, an empty list, a non-finite
float) is written by psycopg's own dumper, a list of mixed types is refused by it as before,
and a string holding NUL is refused, never split. The engine's connections use the dumper,
and ``bulk.among`` finds tricky ids with it."""

from __future__ import annotations

import math
import uuid
from typing import Any

import pytest
from psycopg.adapt import PyFormat
from sqlalchemy import Column, MetaData, String, Table, bindparam, select, text
from sqlalchemy.exc import DataError, StatementError

from dozvon.core import bulk
from dozvon.core.db import get_engine, session_factory
from dozvon.core.pgarrays import PlainListDumper, array_text

pytestmark = pytest.mark.postgres

TRICKY = ['a"b', "c\\d", "", "NULL", "null", " x ", "{}", "a,b", "я", "tab\there", '\\"', '"', "\\", "x y"]


def _round_trip(url: str, values: list[Any], cast: str) -> Any:
    with get_engine(url).connect() as conn:
        return conn.execute(text(f"SELECT CAST(:v AS {cast})"), {"v": values}).scalar_one()


@pytest.mark.parametrize(("values", "cast"), [
    (TRICKY, "text[]"),
    ([None, *TRICKY, None], "text[]"),
    ([f"id-{n}" for n in range(300)], "text[]"),
    ([0, -1, 2**62, -(2**62), None, 7], "bigint[]"),
    ([True, False, None, True], "boolean[]"),
    ([0.1, -2.5, 1e-300, 1.7976931348623157e308, None, 3.0], "float8[]"),
])
def test_a_plain_list_comes_back_the_same(postgres_server_url: str, values: list[Any], cast: str) -> None:
    assert array_text(values) is not None  # the fast path wrote it
    assert _round_trip(postgres_server_url, values, cast) == values


@pytest.mark.parametrize(("values", "cast"), [
    ([[1, 2], [3, 4]], "int[]"),
    ([], "text[]"),
    ([None, None], "text[]"),
    ([1.5, math.inf], "float8[]"),
])
def test_what_the_fast_path_leaves_psycopg_writes(postgres_server_url: str, values: list[Any], cast: str) -> None:
    assert array_text(values) is None
    assert _round_trip(postgres_server_url, values, cast) == values


def test_a_list_of_mixed_types_is_refused_by_psycopg_as_before(postgres_server_url: str) -> None:
    assert array_text([1, "a"]) is None
    with pytest.raises(DataError, match="mixed types"):
        _round_trip(postgres_server_url, [1, "a"], "text[]")


@pytest.mark.parametrize("values", [["a", "b\x00c"], ["a", None, "b\x00c"]])
def test_a_string_holding_nul_is_refused_not_split(postgres_server_url: str, values: list[Any]) -> None:
    assert array_text(values) is None
    with pytest.raises((DataError, StatementError), match="NUL"):
        _round_trip(postgres_server_url, values, "text[]")


def test_the_engines_connections_use_it_and_among_finds_tricky_ids(postgres_server_url: str) -> None:
    engine = get_engine(postgres_server_url)
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        assert isinstance(raw.adapters.get_dumper(list, PyFormat.AUTO)(list, raw), PlainListDumper)
    table = Table(f"arrays_{uuid.uuid4().hex[:8]}", MetaData(), Column("id", String(40), primary_key=True))
    by_id = bulk.PerDialect(lambda dialect: select(table.c.id).where(bulk.among(table.c.id, "ids", dialect)))
    table.create(engine)
    try:
        with session_factory(engine).begin() as session:
            bulk.insert_rows(session, table, [{"id": i} for i in TRICKY])
            assert set(session.scalars(by_id.of(session), {"ids": [*TRICKY, "missing"]})) == set(TRICKY)
            assert set(session.scalars(by_id.of(session), {"ids": ['a"b', "c\\d"]})) == {'a"b', "c\\d"}
            assert list(session.scalars(select(table.c.id).where(table.c.id == bindparam("one")),
                                        {"one": "NULL"})) == ["NULL"]
    finally:
        table.drop(engine)
