"""dozvon.core.jsontext: orjson's text where it is the standard library's, the standard
library where orjson says no, and JSON columns written through it (``bulk.insert_rows``,
the ingest's way on PostgreSQL) read back as they were given, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime
import json
import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import JSON, Column, Integer, MetaData, Table, select
from sqlalchemy.dialects import postgresql

from dozvon.core import bulk, jsontext
from dozvon.core.db import get_engine, session_factory


def _standard(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


_SCALARS = st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.text()
_KEYS = st.text() | st.integers(-(2**63), 2**63 - 1)
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=5) | st.dictionaries(_KEYS, inner, max_size=5),
                       max_leaves=30)


@given(_VALUES)
def test_the_text_is_the_standard_librarys_for_what_the_server_encodes(value: Any) -> None:
    """Strings (control characters, Cyrillic, surrogates' neighbours), integers, booleans,
    None, lists and dicts with string or integer keys: the same text, byte for byte."""
    assert jsontext.dumps(value) == _standard(value)


@given(st.recursive(st.floats(allow_nan=False, allow_infinity=False),
                    lambda inner: st.lists(inner, max_size=5), max_leaves=20))
def test_floats_read_back_as_the_same_numbers(value: Any) -> None:
    """Only a float's exponent may be spelled otherwise (``1e16`` for ``1e+16``)."""
    assert json.loads(jsontext.dumps(value)) == json.loads(_standard(value))


@pytest.mark.parametrize("value", [2**64, -(2**63) - 1, {"big": [10**30]}, (1, "два"), {"k": (None, 2.5)}])
def test_what_orjson_refuses_the_standard_library_writes(value: Any) -> None:
    assert jsontext.dumps(value) == _standard(value)


@dataclasses.dataclass
class _Point:
    x: int


@pytest.mark.parametrize("value", [datetime.datetime(2026, 12, 4, 3, 0), {"at": datetime.date(2026, 12, 4)},
                                   [_Point(1)], {1, 2}, object()])
def test_what_is_no_json_type_is_refused_as_the_standard_library_refuses_it(value: Any) -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        jsontext.dumps(value)


_METADATA = MetaData()
_DOCS = Table(f"jsontext_test_{uuid.uuid4().hex[:8]}", _METADATA, Column("id", Integer, primary_key=True),
              Column("doc", JSON().with_variant(postgresql.JSONB(), "postgresql")))


def test_a_json_column_written_in_bulk_reads_back_as_given(database_url: str) -> None:
    docs = [{"text": "Здравствуйте, \"кавычки\" и \\ обратная черта\n\t\u0001", "n": 2**63 - 1, "big": 2**70,
             "f": 0.1, "e": 1e16, "nested": {"1": [True, None, -0.5]}, "": ""},
            ["список", 1, {"ключ": "значение"}], "строка", 7, None]
    engine = get_engine(database_url)
    _DOCS.create(engine)
    try:
        with session_factory(engine).begin() as session:
            bulk.insert_rows(session, _DOCS, [{"id": i, "doc": doc} for i, doc in enumerate(docs)])
        with engine.connect() as conn:
            got = {i: doc for i, doc in conn.execute(select(_DOCS.c.id, _DOCS.c.doc))}
        assert [got[i] for i in range(len(docs))] == docs
    finally:
        _DOCS.drop(engine)
