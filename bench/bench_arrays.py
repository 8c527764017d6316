"""Array parameters on PostgreSQL: the CPU to write one list as an array (what the ingest's
and the suggester's look-ups by a batch's ids send), with Dozvon's dumper
(``dozvon.core.pgarrays``) next to psycopg's own text and binary dumpers, in the same run
on the same lists — and the same round trip through the database, to show what the client's
share of a look-up is. Needs a PostgreSQL server (only to open a connection and answer).

    .venv/bin/python bench/bench_arrays.py [--postgres postgresql://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import os
import time
import uuid
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg.adapt import PyFormat, Transformer

from dozvon.core.pgarrays import PlainListDumper

REPEAT = 2000


def per_call_us(work: Callable[[], Any], repeat: int = REPEAT) -> float:
    """The least CPU per call of three passes (a shared machine's noise only adds)."""
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        for _ in range(repeat):
            work()
        best = min(best, (time.process_time() - start) / repeat)
    return best * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", default=os.environ.get("DOZVON_TEST_POSTGRES_URL",
                                                             "postgresql://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    lists: dict[str, list[Any]] = {
        "50 conversation ids": [uuid.uuid4().hex for _ in range(50)],
        "200 conversation ids": [uuid.uuid4().hex for _ in range(200)],
        "200 e-mail addresses": [f"customer.{n}@example.com" for n in range(200)],
        "200 ids, a third NULL": [None if n % 3 else uuid.uuid4().hex for n in range(200)],
        "200 JSON texts (quotes)": ['{"cues": ["ужасно"], "score": 40}' for _ in range(200)],
        "200 integers": list(range(10**12, 10**12 + 200)),
    }
    with psycopg.connect(args.postgres) as theirs, psycopg.connect(args.postgres) as ours:
        ours.adapters.register_dumper(list, PlainListDumper)
        print(f"{'list':<26}{'psycopg text':>14}{'psycopg binary':>16}{'Dozvon':>10}{'text ÷ Dozvon':>15}"
              f"{'look-up, psycopg':>18}{'look-up, Dozvon':>17}")
        for name, values in lists.items():
            text_dumper = Transformer(theirs).get_dumper(values, PyFormat.TEXT).upgrade(values, PyFormat.TEXT)
            binary_dumper = Transformer(theirs).get_dumper(values, PyFormat.BINARY).upgrade(values, PyFormat.BINARY)
            our_dumper = Transformer(ours).get_dumper(values, PyFormat.AUTO).upgrade(values, PyFormat.AUTO)
            assert isinstance(our_dumper, PlainListDumper)
            text_us = per_call_us(lambda d=text_dumper, v=values: d.dump(v))
            binary_us = per_call_us(lambda d=binary_dumper, v=values: d.dump(v))
            our_us = per_call_us(lambda d=our_dumper, v=values: d.dump(v))
            cast = "bigint[]" if isinstance(values[-1], int) else "text[]"
            query = f"SELECT cardinality(%s::{cast})"
            their_trip = per_call_us(lambda v=values, q=query: theirs.execute(q, (v,)).fetchone(), 300)
            our_trip = per_call_us(lambda v=values, q=query: ours.execute(q, (v,)).fetchone(), 300)
            print(f"{name:<26}{text_us:>11.1f} µs{binary_us:>13.1f} µs{our_us:>7.1f} µs{text_us / our_us:>14.1f}×"
                  f"{their_trip:>15.1f} µs{our_trip:>14.1f} µs")
    print("(CPU of this process per call, the least of three passes; a look-up's CPU is the client's "
          "share of a round trip, the database's own time not counted)")


if __name__ == "__main__":
    main()
