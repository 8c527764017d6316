"""Lists sent to PostgreSQL as array parameters, written as the array's text in a few joins.

The ingest sends a batch's rows as one array per column (:func:`dozvon.core.bulk.insert_rows`)
and looks up a batch's ids as one array (:func:`dozvon.core.bulk.among`); the suggester and
the checks do the same. psycopg adapts a list element by element in Python: in text format a
dumper call and a regular expression per element, to decide whether it needs quotes
(240 µs for a list of 200 ids), in binary a dumper call and a length per element. That was
about a sixth of the suggester's CPU and a tenth of the ingest thread's.

A list whose elements are all of one plain type — ``str``, ``int``, ``bool`` or a finite
``float``, with ``None`` for NULL — is written here in PostgreSQL's array syntax with
``str.join``: every string quoted, its quotes and backslashes escaped (valid for any string,
so nothing has to be inspected), numbers as Python writes them (PostgreSQL reads a
``float``'s shortest representation back to the same double). Anything else — other types,
mixed types, nested lists, an empty list — goes to psycopg's own dumper, unchanged.
"""

from __future__ import annotations

import math
from typing import Any

from psycopg.abc import AdaptContext
from psycopg.types.array import ListDumper
from sqlalchemy import Engine, event

_NONE = type(None)


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def array_text(values: list[Any]) -> str | None:
    """PostgreSQL's text of this list as an array, or None when it is not a list of one plain
    type (psycopg's own dumper then writes it)."""
    kinds = set(map(type, values))
    kinds.discard(_NONE)
    if len(kinds) != 1:
        return None  # empty, all NULL, or mixed: psycopg knows
    kind = kinds.pop()
    nulls = None in values
    if kind is str:
        if nulls:
            if "\0" in "".join(v for v in values if v is not None):
                return None
            return "{" + ",".join("NULL" if v is None else _quoted(v) for v in values) + "}"
        # Joined by NUL, which no string PostgreSQL stores can hold (a list where one does
        # goes to psycopg, which refuses it as PostgreSQL would): escaped in one pass, then
        # each NUL becomes the quotes and comma between two elements.
        joined = "\0".join(values)
        if joined.count("\0") != len(values) - 1:
            return None
        if '"' in joined or "\\" in joined:
            joined = joined.replace("\\", "\\\\").replace('"', '\\"')
        return '{"' + joined.replace("\0", '","') + '"}'
    if kind is int:
        if nulls:
            return "{" + ",".join("NULL" if v is None else str(v) for v in values) + "}"
        return "{" + ",".join(map(str, values)) + "}"
    if kind is bool:
        return "{" + ",".join("NULL" if v is None else "t" if v else "f" for v in values) + "}"
    if kind is float:
        if not all(v is None or math.isfinite(v) for v in values):
            return None
        return "{" + ",".join("NULL" if v is None else repr(v) for v in values) + "}"
    return None


class PlainListDumper(ListDumper):
    """psycopg's text ``list`` dumper, with :func:`array_text` tried first."""

    def __init__(self, cls: type, context: AdaptContext | None = None) -> None:
        super().__init__(cls, context)
        encoding = self.connection.info.encoding if self.connection is not None else "utf-8"
        self._encoding = encoding if encoding != "ascii" else "utf-8"  # as psycopg's own str dumper

    def dump(self, obj: list[Any]) -> bytes | bytearray | memoryview | None:
        text = array_text(obj)
        if text is None:
            return super().dump(obj)
        return text.encode(self._encoding)


def _register(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.adapters.register_dumper(list, PlainListDumper)


def plain_lists_on(engine: Engine) -> None:
    """Every connection ``engine`` opens writes plain lists with :class:`PlainListDumper`
    (text format, and the format a ``%s`` placeholder picks for a list)."""
    event.listen(engine, "connect", _register)
