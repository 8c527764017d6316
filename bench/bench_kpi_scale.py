"""SQL KPIs at scale: the KPI report (dozvon.analytics.sql_kpi.kpi_report) over a generated
year of a 300-operator center — 10 million events — on SQLite and on PostgreSQL.

The year is generated here, fast and seeded: each day 300 operators (about half of them on
shift) log in, take breaks and log out; contacts arrive through the day on voice, chat and
e-mail with the engine's own event shapes (arrived, queued, offers and RONA, answered,
ended, disposition, wrap-up, closed; abandons, callbacks, chat messages, surveys), from a
pool of customers who come back (FCR) and call again after abandoning (recovered). It is
bulk-loaded (COPY on PostgreSQL, executemany in big batches on SQLite) into a fresh
database each (dropped afterwards), then analyzed, as an imported history is.

Timed: the first fold of the KPI projection over the loaded log (dozvon.analytics.facts —
what a first report, or the server a few seconds after an upgrade, does once), then the
report for a day, a week, a month by day, a month by hour and the whole span by month — each
next to its baselines measured in the same run on the same database: the same report
computed from the raw log (``from_log=True``, the path before the projection; "same" says
whether its rows are the projection's) and a plain ``SELECT count(*)`` of the same period's
events (what reading the period costs at the least). Figures and ratios only; nothing is
asserted (the machine is shared and noisy).

``--events N`` generates the first N events of that year (the same center, a shorter span),
so the day, week and month reports read as many events as at 10 million.

    .venv/bin/python bench/bench_kpi_scale.py [--events 2000000] [--databases sqlite,postgres]
        [--postgres postgresql://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # run as a script

from dozvon.analytics import facts, sql_kpi
from dozvon.core.db import get_engine, refresh_planner_statistics, session_factory, upgrade

PROJECT = "bench"
YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)
TZ = "Europe/Moscow"
OPERATORS = 300
EVENTS_PER_YEAR = 10_000_000
QUEUES = (("sales", "voice", 0.40), ("support", "voice", 0.25), ("billing", "voice", 0.10),
          ("chat", "chat", 0.17), ("mail", "email", 0.08))
SOURCES = ("google", "yandex", "direct", "partner", None)
SEGMENTS = ("vip", "regular", None)
COLUMNS = ("project", "seq", "type", "version", "at_us", "contact_id", "operator_id", "queue", "channel",
           "customer_id", "data")
#: Contacts per day that, with the operators' own events, make 10 million events a year.
CONTACTS_PER_DAY = 3_250

Row = tuple[Any, ...]


def _s(us: int) -> float:
    return us / 1_000_000


def day_of_events(day: int, rng: random.Random, returns: list[tuple[int, str]],
                  contacts: int = CONTACTS_PER_DAY) -> list[Row]:
    """One day's events of the center, in time order, without their sequence numbers:
    (at_us, type, contact_id, operator_id, queue, channel, customer_id, data)."""
    start = int((YEAR_START + timedelta(days=day)).timestamp() * 1_000_000)
    hour = 3_600_000_000
    events: list[Row] = []
    add = events.append
    on_shift: list[str] = []
    for n in range(OPERATORS):
        if rng.random() < 0.5:
            continue
        op = f"op{n}"
        on_shift.append(op)
        t_in = start + 5 * hour + rng.randrange(hour)  # 08:00-09:00 Moscow
        t_out = t_in + 9 * hour
        pause = t_in + 4 * hour + rng.randrange(hour)
        add((t_in, "operator.logged_in", None, op, None, None, None, {}))
        add((t_in, "operator.state_changed", None, op, None, None, None,
             {"to": "available", "from": "offline", "reason": None}))
        add((pause, "operator.state_changed", None, op, None, None, None,
             {"to": "break", "from": "available", "reason": "lunch"}))
        add((pause + hour // 2, "operator.state_changed", None, op, None, None, None,
             {"to": "available", "from": "break", "reason": None}))
        add((t_out, "operator.state_changed", None, op, None, None, None,
             {"to": "offline", "from": "available", "reason": None}))
        add((t_out, "operator.logged_out", None, op, None, None, None, {}))
    weights = [q[2] for q in QUEUES]
    for n in range(contacts):
        at = start + 5 * hour + rng.randrange(14 * hour)
        cid = f"d{day}c{n}"
        queue, channel, _ = rng.choices(QUEUES, weights)[0]
        if returns and returns[0][0] <= at:
            customer: str | None = returns.pop(0)[1]
        elif rng.random() < 0.1:
            customer = None
        else:
            customer = f"k{rng.randrange(250_000)}"
        arrived: dict[str, Any] = {"priority": 0, "source": rng.choice(SOURCES), "segment": rng.choice(SEGMENTS)}
        if customer is not None:
            arrived["customer_id"] = customer
        add((at, "contact.arrived", cid, None, queue, channel, customer, arrived))
        add((at, "contact.queued", cid, None, queue, channel, None,
             {"reason": "arrival", "priority": 0, "target_answer_s": 20.0}))
        if channel == "chat":
            add((at, "message.received", cid, None, queue, channel, None, {"message_id": f"{cid}m1"}))
        wait = int(rng.expovariate(1 / 25) * 1_000_000)
        patience = int(rng.expovariate(1 / 240) * 1_000_000)
        if patience < wait:  # abandoned
            add((at + patience, "contact.abandoned", cid, None, queue, channel, None,
                 {"wait_s": _s(patience), "while": "waiting", "queue_wait_s": _s(patience)}))
            if customer is not None and rng.random() < 0.4:
                add((at + patience, "callback.created", cid, None, queue, channel, customer,
                     {"reason": "abandoned", "customer_id": customer}))
                returns.append((at + patience + rng.randrange(2 * hour), customer))
                returns.sort()
            add((at + patience, "contact.closed", cid, None, queue, channel, None,
                 {"outcome": "abandoned", "answered": False}))
            continue
        op = rng.choice(on_shift)
        ring = int(rng.uniform(1, 6) * 1_000_000) if channel == "voice" else 0
        offered = at + wait - ring
        if rng.random() < 0.04:
            other = rng.choice(on_shift)
            add((offered - 15_000_000, "offer.created", cid, other, queue, channel, None,
                 {"offer_id": f"{cid}o0", "directed": False, "sticky": False}))
            add((offered, "offer.timed_out", cid, other, queue, channel, None,
                 {"offer_id": f"{cid}o0", "ring_s": 15.0, "reason": "no_answer"}))
        add((offered, "offer.created", cid, op, queue, channel, None,
             {"offer_id": f"{cid}o1", "directed": False, "sticky": False}))
        add((at + wait, "offer.accepted", cid, op, queue, channel, None, {"offer_id": f"{cid}o1", "ring_s": _s(ring)}))
        answered: dict[str, Any] = {"wait_s": _s(wait), "first": True, "queue_wait_s": _s(wait), "ring_s": _s(ring)}
        if customer is not None:
            answered["customer_id"] = customer
        add((at + wait, "contact.answered", cid, op, queue, channel, customer, answered))
        talk = int(rng.expovariate(1 / 200) * 1_000_000) + 5_000_000
        wrap = int(rng.uniform(5, 30) * 1_000_000)
        ended = at + wait + talk
        if channel == "chat":
            add((at + wait + 20_000_000, "message.sent", cid, op, queue, channel, None,
                 {"message_id": f"{cid}m2", "auto": False}))
            add((at + wait + 60_000_000, "message.received", cid, None, queue, channel, None,
                 {"message_id": f"{cid}m3"}))
        add((ended, "contact.ended", cid, op, queue, channel, None,
             {"by": "operator", "talk_s": _s(talk), "hold_s": 0.0, "wrap_up_s": 30.0}))
        if rng.random() < 0.6:
            add((ended + wrap, "contact.disposition", cid, op, queue, channel, None,
                 {"late": False, "contact_type": "inquiry", "resolved": rng.random() < 0.7, "notes": ""}))
        add((ended + wrap, "contact.wrap_up_ended", cid, op, queue, channel, None,
             {"wrap_s": _s(wrap), "timed_out": False}))
        add((ended + wrap, "contact.closed", cid, op, queue, channel, None,
             {"outcome": "handled", "answered": True, "talk_s": _s(talk), "hold_s": 0.0, "wrap_s": _s(wrap)}))
        if channel != "voice" and rng.random() < 0.2:
            add((ended + wrap + 1, "csat.rated", cid, op, queue, channel, None,
                 {"score": rng.randint(1, 5), "comment": ""}))
    events.sort(key=lambda e: e[0])
    return events


def year_of_events(count: int, seed: int = 1, contacts: int = CONTACTS_PER_DAY) -> Iterator[list[Row]]:
    """The first ``count`` events of the year, a day's rows at a time, as the table's rows
    (``contacts`` a day: fewer make a smaller center for tests)."""
    rng = random.Random(seed)
    returns: list[tuple[int, str]] = []
    seq = 0
    day = 0
    while seq < count:
        batch = []
        for at, type_, cid, op, queue, channel, customer, data in day_of_events(day, rng, returns, contacts):
            seq += 1
            batch.append((PROJECT, seq, type_, 1, at, cid, op, queue, channel, customer, json.dumps(data)))
            if seq >= count:
                break
        yield batch
        day += 1


def load_postgresql(url: str, count: int) -> None:
    import psycopg

    def field(value: Any) -> str:
        if value is None:
            return "\\N"
        return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")

    with (psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn, conn.cursor() as cursor,
          cursor.copy(f"COPY events ({', '.join(COLUMNS)}) FROM STDIN") as copy):
        for batch in year_of_events(count):
            buffer = io.StringIO()
            for row in batch:
                buffer.write("\t".join(map(field, row)))
                buffer.write("\n")
            copy.write(buffer.getvalue())


def load_sqlite(path: str, count: int) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    statement = f"INSERT INTO events ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    with conn:
        pending: list[Row] = []
        for batch in year_of_events(count):
            pending.extend(batch)
            if len(pending) >= 100_000:
                conn.executemany(statement, pending)
                pending.clear()
        conn.executemany(statement, pending)
    conn.close()


def timed(action: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        best = min(best, time.perf_counter() - started)
    return best, result


def reports(url: str, count: int) -> None:
    engine = get_engine(url)
    with session_factory(engine)() as session:
        span = sql_kpi.log_span(session, [PROJECT])
    assert span is not None
    first, last = span
    days = (last - first).days
    # The last whole month (or the first days, when the span is shorter than a month).
    month_start = (last.replace(day=1, hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)).replace(day=1)
    if month_start < first:
        month_start = first.replace(hour=0, minute=0, second=0, microsecond=0)
    month_end = (month_start.replace(day=28) + timedelta(days=4)).replace(day=1)
    day_start = month_start + timedelta(days=min(14, days // 2))
    cases = [
        ("day by hour", day_start, day_start + timedelta(days=1), "hour"),
        ("week by day", day_start, day_start + timedelta(days=7), "day"),
        ("month by day", month_start, month_end, "day"),
        ("month by hour", month_start, month_end, "hour"),
        (f"all {days} days by month", first, last, "month"),
    ]
    print(f"  {'report':<26} {'events':>10} {'rows':>5} {'report s':>9} {'from log s':>10} {'same':>5} "
          f"{'count(*) s':>10} {'ratio':>7}")
    for name, since, until, period in cases:
        since_us, until_us = round(since.timestamp() * 1e6), round(until.timestamp() * 1e6)
        with session_factory(engine)() as session:
            base_s, n = timed(lambda a=since_us, b=until_us, ss=session: int(ss.execute(text(
                "SELECT count(*) FROM events WHERE project = :p AND at_us >= :a AND at_us < :b"),
                {"p": PROJECT, "a": a, "b": b}).scalar_one()), 3)
            report_s, rows = timed(lambda s=since, u=until, p=period, ss=session: sql_kpi.kpi_report(
                ss, [PROJECT], s, u, period=p, tz=TZ), 3 if count <= 3_000_000 else 2)
            log_s, log_rows = timed(lambda s=since, u=until, p=period, ss=session: sql_kpi.kpi_report(
                ss, [PROJECT], s, u, period=p, tz=TZ, from_log=True), 1)
        print(f"  {name:<26} {n:>10,} {len(rows):>5} {report_s:>9.3f} {log_s:>10.3f} {_same(rows, log_rows):>5} "
              f"{base_s:>10.3f} {report_s / base_s:>6.1f}x", flush=True)


def _same(rows: list[dict[str, Any]], others: list[dict[str, Any]]) -> str:
    """Whether two reports' rows are the same (floats to 1e-9: sums may add up in another order)."""
    def close(a: Any, b: Any) -> bool:
        return abs(a - b) <= 1e-9 * max(1.0, abs(a)) if isinstance(a, float) and isinstance(b, float) else a == b
    ok = len(rows) == len(others) and all(
        r.keys() == o.keys() and all(close(r[k], o[k]) for k in r) for r, o in zip(rows, others, strict=False))
    return "yes" if ok else "NO"


def run(kind: str, url: str, count: int) -> None:
    upgrade(url)
    started = time.perf_counter()
    if kind == "postgresql":
        load_postgresql(url, count)
    else:
        load_sqlite(url.removeprefix("sqlite:///"), count)
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    refresh_planner_statistics(get_engine(url))
    print(f"{kind}: {count:,} events generated and loaded in {loaded:.1f} s ({count / loaded:,.0f}/s), "
          f"analyzed in {time.perf_counter() - started:.1f} s", flush=True)
    started = time.perf_counter()
    facts.catch_up(get_engine(url), [PROJECT])
    folded = time.perf_counter() - started
    with get_engine(url).connect() as connection:
        contacts, spans = (connection.execute(text(f"SELECT count(*) FROM {table} WHERE project = :p"),
                                              {"p": PROJECT}).scalar_one()
                           for table in ("kpi_contacts", "kpi_operator_spans"))
    print(f"  KPI projection built (the first fold) in {folded:.1f} s: {contacts:,} contacts, "
          f"{spans:,} operators' spans", flush=True)
    reports(url, count)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=2_000_000, help="events to generate (a year: 10,000,000)")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="the PostgreSQL server; a database of its own is created there and dropped")
    args = parser.parse_args()
    for kind in args.databases.split(","):
        if kind == "sqlite":
            with tempfile.TemporaryDirectory(prefix="dozvon_kpi_") as folder:
                run(kind, f"sqlite:///{folder}/kpi.db", args.events)
                from dozvon.core.db import dispose_all
                dispose_all()
        elif kind in ("postgresql", "postgres"):
            os.environ.setdefault("DOZVON_TEST_POSTGRES_URL", args.postgres)
            from tests.conftest import new_postgres_database

            with new_postgres_database("dozvon_bench_kpi") as url:
                run("postgresql", url, args.events)
        else:
            parser.error(f"unknown database {kind!r}: sqlite or postgresql")


if __name__ == "__main__":
    main()
