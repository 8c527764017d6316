"""The server under load: contacts ingested per second through the HTTP API, and the time
from ingest to the offer arriving on an operator's WebSocket, with 500 operators connected.

For each database (SQLite file, PostgreSQL) a real server runs as its own process
(``dozvon serve``); this process connects the operators and drives the load. Printed next
to the raw insert rate of the same database measured in the same run: one INSERT and one
COMMIT per row, as durable as an acknowledged ingest — the ceiling the server works under.

The server runs with its ingest trace (``DOZVON_TRACE``, ``dozvon.core.tracing``): the run
also prints where the median and the slowest 1 % of the paced contacts spent their time
(HTTP in, waiting for a batch, each step of the batch, the hand-over to the loop, the
socket), the server's event-loop stalls and what overlapped them, the generator's own loop
stalls, and the batches beside each background round against those beside none; on
PostgreSQL, what the events table's secondary indexes cost the raw group commit; and how
far behind the log's followers (contact-type suggestions, checks, the KPI fold) were after
the last chat message, and how long they took to reach the log's end.

    .venv/bin/python bench/bench_server.py [--operators 500] [--contacts 6000] [--rate 500] [--paced-s 12]
        [--concurrency 64,256] [--databases sqlite,postgres] [--postgres postgresql://postgres@127.0.0.1/postgres]
        [--no-trace] [--keep-trace FILE] [--no-index-cost]

To compare two versions, run each from its own checkout (``git worktree add``, then ``cd``
there and run this file with the same interpreter), alternating. ``PYTHONPATH`` does not
choose the server's version: the server runs as ``python -m dozvon serve`` in the working
directory, which Python puts ahead of ``PYTHONPATH``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import websockets
from sqlalchemy import BigInteger, Column, MetaData, String, Table, insert, text

from dozvon.accounts import actions as accounts
from dozvon.accounts import security
from dozvon.accounts.models import User
from dozvon.acd.service import RouterService
from dozvon.core.db import dispose_all, get_engine, session_factory, upgrade
from dozvon.routing.model import OperatorConfig, QueueConfig

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # run as a script: its sibling modules

from lean_http import LeanConnection
from web_harness import BenchError, children_cpu_seconds, cpu_seconds, free_port, percentile

PROJECT = "bench"


def raw_insert_rate(url: str, seconds: float = 3.0) -> float:
    """Rows/s inserting one row per transaction into a scratch table of the same database."""
    engine = get_engine(url)
    table = Table(f"bench_raw_{uuid.uuid4().hex[:8]}", MetaData(), Column("id", BigInteger, primary_key=True),
                  Column("payload", String(200)))
    table.create(engine)
    try:
        n, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            with engine.begin() as connection:
                connection.execute(insert(table), {"id": n, "payload": f"contact-{n}"})
            n += 1
        return n / (time.perf_counter() - started)
    finally:
        table.drop(engine)


#: Contacts per transaction in the raw group-commit baseline (what a busy ingest batches).
RAW_GROUP = 32


def raw_group_commit_rate(url: str, seconds: float = 3.0, group: int = RAW_GROUP, events_table: str = "events") -> float:
    """Contacts/s writing Dozvon's write set of a contact — a customer, their identity, the
    conversation, its first message, four events, the live contact row — straight through
    the driver (executemany per table, no ORM, no engine, no HTTP), ``group`` contacts per
    transaction, one writer: the ceiling the ingest works under on this database."""
    engine = get_engine(url)
    raw = engine.raw_connection()
    mark = "%s" if engine.dialect.name == "postgresql" else "?"

    def sql(table: str, columns: str) -> str:
        return f"INSERT INTO {table} ({columns}) VALUES ({', '.join([mark] * (columns.count(',') + 1))})"

    customers = sql("customers", "id, project, name, search_name, attributes, auto_segment, last_contact_at_us, "
                                 "created_at_us, updated_at_us")
    identities = sql("customer_identities", "project, customer_id, kind, value, created_at_us")
    conversations = sql("conversations", "id, project, channel, queue, external_id, customer_id, customer_name, "
                                         "subject, status, created_at_us, details")
    messages = sql("messages", "project, conversation_id, channel, external_id, direction, author, text, at_us")
    events = sql(events_table, "project, seq, type, version, at_us, contact_id, operator_id, queue, channel, "
                           "customer_id, data")
    live = sql("rt_contacts", "project, id, state, queue, doc")
    meta = (f"INSERT INTO rt_meta (project, event_seq, offer_seq) VALUES ({mark}, {mark}, {mark}) "
            f"ON CONFLICT (project) DO UPDATE SET event_seq = excluded.event_seq, offer_seq = excluded.offer_seq")
    project = f"raw{uuid.uuid4().hex[:8]}"
    n, seq = 0, 0
    try:
        cursor = raw.cursor()
        started = time.perf_counter()
        while time.perf_counter() - started < seconds:
            now = int(time.time() * 1e6)
            rows: dict[str, list[tuple[Any, ...]]] = {k: [] for k in ("c", "i", "v", "m", "e", "l")}
            for _ in range(group):
                cid, vid, ext = uuid.uuid4().hex, uuid.uuid4().hex, f"raw-{n}"
                rows["c"].append((cid, project, "", "", "{}", "new", now, now, now))
                rows["i"].append((project, cid, "email", f"{ext}@example.com", now))
                rows["v"].append((vid, project, "email", "inbox", ext, cid, "", "bench", "open", now, "{}"))
                rows["m"].append((project, vid, "email", ext, "in", "", "hello", now))
                for kind, operator in (("contact.arrived", None), ("contact.queued", None),
                                       ("offer.created", "op1"), ("message.received", None)):
                    seq += 1
                    data = json.dumps({"customer_id": cid, "priority": 0, "reason": "arrival"})
                    rows["e"].append((project, seq, kind, 1, now, vid, operator, "inbox", "email", cid, data))
                rows["l"].append((project, vid, "offered", "inbox", json.dumps({"id": vid, "queue": "inbox"})))
                n += 1
            for statement, key in ((customers, "c"), (identities, "i"), (conversations, "v"), (messages, "m"),
                                   (events, "e"), (live, "l")):
                cursor.executemany(statement, rows[key])
            cursor.execute(meta, (project, seq, n))
            raw.commit()
        return n / (time.perf_counter() - started)
    finally:
        raw.rollback()
        raw.close()


def events_index_cost(url: str, seconds: float = 2.0, rounds: int = 2) -> tuple[float, float] | None:
    """PostgreSQL: the raw group commit of the write set with its events going to a copy of
    the events table with all its indexes, and to one with only the unique (project, seq)
    that the log's order needs — alternated, same run: what the four secondary indexes
    (time, type, contact, customer; read by reports, the replay and FCR) cost the hot path.
    (contacts/s with all, contacts/s with the unique index only), or None on SQLite."""
    engine = get_engine(url)
    if engine.dialect.name != "postgresql":
        return None
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE bench_events_all (LIKE events INCLUDING ALL)"))
        connection.execute(text("CREATE TABLE bench_events_lean (LIKE events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"))
        connection.execute(text("CREATE UNIQUE INDEX ON bench_events_lean (project, seq)"))
    try:
        full, lean = [], []
        for _ in range(rounds):
            full.append(raw_group_commit_rate(url, seconds, events_table="bench_events_all"))
            lean.append(raw_group_commit_rate(url, seconds, events_table="bench_events_lean"))
        return statistics.fmean(full), statistics.fmean(lean)
    finally:
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE bench_events_all"))
            connection.execute(text("DROP TABLE bench_events_lean"))


def seed(url: str, operators: int) -> dict[str, str]:
    """The bench project, one queue, N operators; returns operator id → session cookie."""
    upgrade(url)
    engine = get_engine(url)
    cookies = {}
    password_hash = security.hash_password("bench")
    with session_factory(engine).begin() as session:
        accounts.create_project(session, "bench", PROJECT, "Bench")
        accounts.create_user(session, "bench", "adapter", "bench", password_hash=password_hash)
        accounts.set_membership(session, "bench", PROJECT, "adapter", "admin")
        token, _ = accounts.create_token(session, "bench", PROJECT, "bench", ["ingest"])
        for i in range(operators):
            name = f"op{i}"
            user = accounts.create_user(session, "bench", name, "bench", password_hash=password_hash)
            accounts.set_membership(session, "bench", PROJECT, name, "operator", name)
            cookies[name], _ = accounts.open_session(session, user)
        assert session.get(User, user.id) is not None
    svc = RouterService(engine, PROJECT)
    svc.run(lambda e: e.add_queue(QueueConfig(name="inbox", strategy="longest_idle", offer_timeout_s=3600)))
    for i in range(operators):
        cfg = OperatorConfig.from_dict({"id": f"op{i}", "queues": ["inbox"],
                                        "capacity": {"email": 1000, "chat": 1000}})
        svc.run(lambda e, c=cfg: e.add_operator(c))  # type: ignore[misc]
    dispose_all()
    cookies["__token__"] = token
    return cookies


def start_server(url: str, port: int, data_dir: str | None = None,
                 pin_two_cores: bool = False, trace: str | None = None) -> subprocess.Popen[bytes]:
    """``dozvon serve`` on ``url``, ready when /readyz answers; ``data_dir`` keeps its files
    apart, ``pin_two_cores`` holds it to cores 0 and 1 (the target machine's size), ``trace``
    is the file of its ingest trace (``dozvon.core.tracing``)."""
    env = {**os.environ, "DATABASE_URL": url, "DOZVON_LOG_LEVEL": "warning",
           **({"DOZVON_DATA_DIR": data_dir} if data_dir else {}), **({"DOZVON_TRACE": trace} if trace else {})}
    process = subprocess.Popen([sys.executable, "-m", "dozvon", "serve", "--port", str(port)], env=env)
    if pin_two_cores and hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2:
        os.sched_setaffinity(process.pid, {0, 1})
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the server did not start")


#: What the log's followers have done up to (dozvon/server/followers.py): the suggester's and
#: the checker's cursors, the KPI projection's watermark.
FOLLOWED = {
    "suggestions": "SELECT after_seq FROM quality_cursors WHERE project = :p AND name = 'suggest'",
    "checks": "SELECT after_seq FROM quality_cursors WHERE project = :p AND name = 'closed'",
    "KPI fold": "SELECT seq FROM kpi_watermarks WHERE project = :p",
}


def followers_lag(url: str, timeout: float = 120.0) -> dict[str, Any]:
    """After the last chat message: how far behind the log's followers were (events), and how
    long they took to reach its end (seconds; None: not within ``timeout``)."""
    engine = get_engine(url)
    started = time.monotonic()
    with engine.connect() as connection:
        top = connection.scalar(text("SELECT max(seq) FROM events WHERE project = :p"), {"p": PROJECT}) or 0
    behind: dict[str, int] = {}
    caught: dict[str, float | None] = dict.fromkeys(FOLLOWED)
    while time.monotonic() - started < timeout and any(v is None for v in caught.values()):
        with engine.connect() as connection:
            for name, sql in FOLLOWED.items():
                seq = connection.scalar(text(sql), {"p": PROJECT}) or 0
                behind.setdefault(name, top - seq)
                if caught[name] is None and seq >= top:
                    caught[name] = time.monotonic() - started
        time.sleep(0.1)
    return {"top": top, "behind": behind, "caught": caught}


def analyze(url: str) -> None:
    engine = get_engine(url)
    with engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()


async def run_load(port: int, server_pid: int, cookies: dict[str, str], contacts: int, rate: float,
                   concurrencies: list[int], messages: int = 0, database_url: str = "",
                   paced_s: float = 12.0) -> dict[str, Any]:
    base, ws_base = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}"
    token = cookies.pop("__token__")
    offered_at: dict[str, float] = {}
    all_offered = asyncio.Event()
    expected = [0]

    async def operator(name: str, cookie: str, ready: asyncio.Event) -> None:
        async with websockets.connect(f"{ws_base}/api/v1/projects/{PROJECT}/stream",
                                      additional_headers={"Cookie": f"dozvon_session={cookie}"},
                                      max_queue=None) as ws:
            await ws.send(json.dumps({"id": 1, "action": "state", "state": "available"}))
            ready.set()
            async for raw in ws:
                message = json.loads(raw)
                if message.get("type") == "offer.created":
                    offered_at[message["contact_id"]] = time.perf_counter()
                    if len(offered_at) >= expected[0] > 0:
                        all_offered.set()

    readies = []
    tasks = []
    for name, cookie in cookies.items():
        ready = asyncio.Event()
        readies.append(ready)
        tasks.append(asyncio.create_task(operator(name, cookie, ready)))
        if len(tasks) % 50 == 0:
            await asyncio.sleep(0.05)
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 120)
    # Measure only once every operator's "available" has been committed (read from /metrics).
    wanted = f'dozvon_operators{{presence="available",project="{PROJECT}"}} {float(len(cookies))}'
    async with httpx.AsyncClient(base_url=base) as probe:
        deadline = time.monotonic() + 300
        while wanted not in (await probe.get("/metrics")).text:
            if time.monotonic() > deadline:
                raise SystemExit("the operators did not all become available")
            await asyncio.sleep(0.5)

    sent_at: dict[str, float] = {}
    acked_at: dict[str, float] = {}
    conversation_of: dict[str, str] = {}
    headers = {"Authorization": f"Bearer {token}"}
    contacts_path = f"/api/v1/projects/{PROJECT}/ingest/contacts"
    messages_path = f"/api/v1/projects/{PROJECT}/ingest/messages"

    async def ingest(conn: LeanConnection, external_id: str, channel: str = "email") -> None:
        sent_at[external_id] = time.perf_counter()
        status, answer = await conn.post_json(contacts_path, {
            "channel": channel, "external_id": external_id, "queue": "inbox",
            "customer": {"id": f"{external_id}@example.com"}, "subject": "bench", "text": "hello"})
        acked_at[external_id] = time.perf_counter()
        if status not in (200, 201):
            raise BenchError(f"ingest answered {status}: {answer}")
        conversation_of[answer["conversation_id"]] = external_id

    async def flat_out(count: int, connections: int, make: Callable[[LeanConnection, int], Awaitable[None]]
                       ) -> tuple[float, float, float, float]:
        """``count`` requests as fast as ``connections`` keep-alive connections carry them:
        (seconds, server CPU seconds, this process's CPU seconds, the part of the server's
        CPU seconds spent by its follower process)."""
        numbers = iter(range(count))
        pool = [LeanConnection("127.0.0.1", port, headers) for _ in range(connections)]

        async def worker(conn: LeanConnection) -> None:
            for i in numbers:
                await make(conn, i)

        started, server_cpu, client_cpu = time.perf_counter(), cpu_seconds(server_pid), time.process_time()
        follower_cpu = children_cpu_seconds(server_pid)
        await asyncio.gather(*(worker(c) for c in pool))
        elapsed = time.perf_counter() - started
        result = (elapsed, cpu_seconds(server_pid) - server_cpu, time.process_time() - client_cpu,
                  children_cpu_seconds(server_pid) - follower_cpu)
        for conn in pool:
            await conn.close()
        return result

    # Warm-up, then the database's planner statistics, as autovacuum (PostgreSQL) and the
    # server's maintenance (SQLite) keep them on a database in use: the tables were empty a
    # moment ago, and a planner that still believes so picks a project-wide index scan where
    # a unique key finds 32 rows (a fresh database's first minute, not the steady state).
    warm_up = min(1000, contacts // 6)
    await flat_out(warm_up, concurrencies[0], lambda conn, i: ingest(conn, f"warm-{i}"))
    await asyncio.to_thread(analyze, database_url)
    conversation_of.clear()

    # Phase 1, latency: a steady rate, each request sent when its time comes, on a free
    # keep-alive connection or on a new one when none is free — never held back waiting for
    # one, which would leave the server's slow moments out of the figure. It lasts longer
    # than the KPI fold's period (10 s), so that the slowest 1 % always counts the contacts
    # beside a fold round, as a center's day does — not only when one happens to fall in it.
    latency_n = int(rate * paced_s)
    expected[0] = warm_up + latency_n
    idle: asyncio.Queue[LeanConnection] = asyncio.Queue()
    opened = [64]
    for _ in range(64):
        idle.put_nowait(LeanConnection("127.0.0.1", port, headers))

    async def paced(i: int) -> None:
        if idle.empty():
            opened[0] += 1
            conn = LeanConnection("127.0.0.1", port, headers)
        else:
            conn = idle.get_nowait()
        try:
            await ingest(conn, f"lat-{i}")
        finally:
            idle.put_nowait(conn)

    lags: list[tuple[float, float]] = []
    sampling = asyncio.create_task(sample_lag(lags))
    started = time.perf_counter()
    pending = []
    for i in range(latency_n):
        await asyncio.sleep(max(0.0, started + i / rate - time.perf_counter()))
        pending.append(asyncio.create_task(paced(i)))
    await asyncio.gather(*pending)
    paced_for = time.perf_counter() - started
    while not idle.empty():
        await idle.get_nowait().close()
    await asyncio.wait_for(all_offered.wait(), 60)
    sampling.cancel()
    latencies = [offered_at[c] - sent_at[e] for c, e in conversation_of.items() if c in offered_at]
    paced = {e: (sent_at[e], acked_at[e], offered_at[c]) for c, e in conversation_of.items() if c in offered_at}

    # Phase 2, throughput: new contacts as fast as so many connections push them, for each
    # number asked for. Each connection waits for its answer before it sends again, so the
    # fewer there are, the more the figure is the batch's latency rather than the server's
    # capacity (many adapters, webhooks and browsers send at once in a center at load).
    burst = contacts * 2 // 3
    levels: list[dict[str, Any]] = []
    for connections in concurrencies:
        async def new_contact(conn: LeanConnection, i: int, c: int = connections) -> None:
            await ingest(conn, f"tp-{c}-{i}")

        elapsed, server_cpu, client_cpu, follower_cpu = await flat_out(burst, connections, new_contact)
        levels.append({"connections": connections, "ingest_per_s": burst / elapsed,
                       "server_cpu_share": server_cpu / elapsed, "client_cpu_share": client_cpu / elapsed,
                       "server_cpu_ms": 1000 * server_cpu / burst, "follower_cpu_ms": 1000 * follower_cpu / burst})

    # Phase 3, chat messages into open conversations (each joins its customer's chat).
    chats = min(500, contacts)
    await flat_out(chats, concurrencies[0], lambda conn, i: ingest(conn, f"chat-{i}", channel="chat"))
    count = messages or 2 * contacts

    async def message(conn: LeanConnection, i: int, connections: int) -> None:
        status, answer = await conn.post_json(messages_path, {
            "channel": "chat", "external_id": f"msg-{connections}-{i}", "queue": "inbox",
            "customer": {"id": f"chat-{i % chats}@example.com"}, "text": f"message {i}"})
        if status not in (200, 201) or answer.get("created") is not True:
            raise BenchError(f"a message answered {status}: {answer}")

    for level in levels:
        async def chat_message(conn: LeanConnection, i: int, c: int = level["connections"]) -> None:
            await message(conn, i, c)

        m_elapsed, m_server_cpu, _, _ = await flat_out(count, level["connections"], chat_message)
        level.update(messages_per_s=count / m_elapsed, message_cpu_ms=1000 * m_server_cpu / count)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    followers = await asyncio.to_thread(followers_lag, database_url) if database_url else {}
    return {"followers": followers, "levels": levels, "latency_n": len(latencies), "paced_rate": latency_n / paced_for,
            "paced_connections": opened[0],
            "p50_ms": 1000 * percentile(latencies, 0.5), "p99_ms": 1000 * percentile(latencies, 0.99),
            "max_ms": 1000 * max(latencies) if latencies else float("nan"),
            "mean_ms": 1000 * statistics.fmean(latencies) if latencies else float("nan"),
            "paced": paced, "client_lags": lags}


async def sample_lag(lags: list[tuple[float, float]]) -> None:
    """The load generator's own event loop: every wake-up of a 1 ms sleep later than 3 ms, as
    (when, how late) — time the generator, not the server, adds to what it measures."""
    while True:
        start = time.perf_counter()
        await asyncio.sleep(0.001)
        lag = time.perf_counter() - start - 0.001
        if lag > 0.003:
            lags.append((start, lag))


#: The moments of an ingest batch in the server's trace, in order (dozvon.core.tracing).
STAGES = ("formed", "planned", "routed", "committed", "framed", "frames_on_loop")
#: How each step between two moments is printed: from the request sent to the offer read.
STEPS = (("sent", "arrived", "HTTP in (client write, server parse, gate, validation)"),
         ("arrived", "formed", "waiting for its batch (the one before committing)"),
         ("formed", "planned", "batch: identity, retries, standing, rows written"),
         ("planned", "routed", "batch: the engine"),
         ("routed", "committed", "batch: events and state rows, COMMIT"),
         ("committed", "framed", "after commit: wallboard, metrics, frames encoded"),
         ("framed", "frames_on_loop", "frames waiting for the event loop"),
         ("frames_on_loop", "read", "socket write and the generator's read"))


def read_trace(trace_path: str) -> list[dict[str, Any]] | None:
    """The server's trace records (None: it wrote none), read once for every figure made of
    them — a run's trace is tens of megabytes."""
    if not os.path.exists(trace_path):
        return None
    with open(trace_path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def ingest_thread_cpu(trace: list[dict[str, Any]] | None) -> dict[str, tuple[float, float]]:
    """For each throughput phase (``tp-256``, ``msg-256`` …): the ingest thread's CPU per
    request, and its batches' time (formed → answered) per request, both in µs. The CPU
    leaves out the waits for the database and for the interpreter's lock, so it drifts much
    less with this machine's load than the rates do: the figure to compare two versions by."""
    sums: dict[str, list[float]] = {}
    for record in trace or ():
        if record["kind"] != "batch" or "cpu" not in record:
            continue
        phase = record["items"][0][0].rsplit("-", 1)[0]
        stages = dict(record["stages"])
        got = sums.setdefault(phase, [0.0, 0.0, 0])
        got[0] += record["cpu"]
        got[1] += stages.get("answered", record["stages"][-1][1]) - stages["formed"]
        got[2] += len(record["items"])
    return {phase: (1e6 * cpu / n, 1e6 * wall / n) for phase, (cpu, wall, n) in sums.items()}


def tail_breakdown(paced: dict[str, tuple[float, float, float]], trace: list[dict[str, Any]] | None,
                   client_lags: list[tuple[float, float]]) -> list[str]:
    """Where the time of the median and of the slowest 1 % of paced contacts went, from the
    server's trace lined up with the generator's send and read times (one monotonic clock)."""
    if trace is None:
        return ["(no trace: the server wrote none)"]
    batches: dict[str, dict[str, float]] = {}
    sizes: dict[str, int] = {}
    stalls: list[dict[str, Any]] = []
    rounds: list[dict[str, Any]] = []
    spans: list[tuple[float, float]] = []
    for record in trace:
        if record["kind"] == "stall":
            stalls.append(record)
            continue
        if record["kind"] == "busy":
            rounds.append(record)
            continue
        if record["kind"] != "batch":
            continue
        spans.append((record["stages"][0][1], dict(record["stages"]).get("committed", record["stages"][-1][1])))
        moments: dict[str, float] = {}
        for stage, at in record["stages"]:
            moments.setdefault(stage, at)  # a batch retried item by item: its first pass
        for external_id, arrived in record["items"]:
            batches[external_id] = {**moments, "arrived": arrived}
            sizes[external_id] = len(record["items"])
    rows = []
    for external_id, (sent, _acked, read) in paced.items():
        moments = batches.get(external_id)
        if moments is None or any(s not in moments for s in STAGES):
            continue
        rows.append((read - sent, {**moments, "sent": sent, "read": read}, sizes[external_id]))
    if not rows:
        return ["(the trace has none of the paced contacts)"]
    rows.sort(key=lambda r: r[0])
    n = len(rows)
    groups = {"median (p45–p55)": rows[int(0.45 * n):max(int(0.55 * n), int(0.45 * n) + 1)],
              "slowest 1 %": rows[min(n - 1, int(0.99 * n)):]}
    lines = [f"{'':58}" + "".join(f"{name:>20}" for name in groups)]
    for start, end, label in STEPS:
        cells = "".join(f"{1000 * statistics.fmean(m[end] - m[start] for _, m, _ in g):17.1f} ms" for g in groups.values())
        lines.append(f"  {label:56}{cells}")
    lines.append(f"  {'total (sent → offer read)':56}" +
                 "".join(f"{1000 * statistics.fmean(t for t, _, _ in g):17.1f} ms" for g in groups.values()))
    lines.append(f"  {'batch size (requests)':56}" +
                 "".join(f"{statistics.fmean(b for _, _, b in g):20.0f}" for g in groups.values()))
    first, last = min(m["sent"] for _, m, _ in rows), max(m["read"] for _, m, _ in rows)
    during = [s for s in stalls if first <= s["at"] <= last]
    causes: dict[str, float] = {}
    for s in during:
        for name, seconds in s["causes"].items():
            causes[name] = causes.get(name, 0.0) + seconds
    named = ", ".join(f"{k} {1000 * v:.0f} ms" for k, v in sorted(causes.items(), key=lambda kv: -kv[1])) or "none named"
    lines.append(f"  server event loop stalls > 3 ms during the paced phase: {len(during)}, "
                 f"{1000 * sum(s['lag'] for s in during):.0f} ms in all, longest "
                 f"{1000 * max((s['lag'] for s in during), default=0):.1f} ms; overlapping work: {named}")
    tail_spans = [(m["sent"], m["read"]) for _, m, _ in groups["slowest 1 %"]]
    hit = sum(1 for s in during if any(a <= s["at"] <= b for a, b in tail_spans))
    own = [lag for at, lag in client_lags if first <= at <= last]
    lines.append(f"  of them while a slowest-1 % contact was in flight: {hit}; the load generator's own loop "
                 f"stalls > 3 ms: {len(own)}, {1000 * sum(own):.0f} ms in all, longest {1000 * max(own, default=0):.1f} ms")
    # The same run's batches beside each kind of background round, and beside none.
    paced_rounds = [r for r in rounds if r["end"] >= first and r["start"] <= last]
    beside: dict[str, list[float]] = {}
    for start, end in spans:
        if not first <= start <= last:
            continue
        kinds = {r["name"] for r in paced_rounds if r["start"] < end and r["end"] > start} or {"nothing"}
        for kind in kinds:
            beside.setdefault(kind, []).append(end - start)
    cpu: dict[str, float] = {}
    for r in paced_rounds:
        cpu[r["name"]] = cpu.get(r["name"], 0.0) + r["cpu"]
    lines.append("  a batch (formed → committed) beside background rounds, mean: " + "; ".join(
        f"{kind} {1000 * statistics.fmean(v):.1f} ms ({len(v)} batches"
        + (f", the rounds' CPU {1000 * cpu[kind] / (last - first):.0f} ms/s)" if kind in cpu else ")")
        for kind, v in sorted(beside.items(), key=lambda kv: -len(kv[1]))))
    return lines


def fresh_postgres(admin_url: str) -> tuple[str, str]:
    import psycopg

    name = f"dozvon_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{admin_url.rsplit('/', 1)[0]}/{name}", name


def drop_postgres(admin_url: str, name: str) -> None:
    import psycopg

    dispose_all()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def bench_database(kind: str, folder: str, admin_url: str) -> Iterator[str]:
    """The database one bench run uses: a SQLite file in ``folder``, or a fresh PostgreSQL
    database on ``admin_url``'s server, dropped afterwards; every engine disposed either way."""
    name = None
    if kind == "sqlite":
        url = f"sqlite:///{folder}/bench.db"
    else:
        url, name = fresh_postgres(admin_url)
    try:
        yield url
    finally:
        if name is not None:
            drop_postgres(admin_url, name)
        dispose_all()


def main() -> None:
    # The generator keeps 500 sockets and every request's times: CPython's default young
    # threshold would run a full collection of that heap every second or so, a stall of the
    # generator's loop counted as the server's latency.
    gc.set_threshold(50_000, 20, 20)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--operators", type=int, default=500)
    parser.add_argument("--contacts", type=int, default=6000)
    parser.add_argument("--messages", type=int, default=0, help="chat messages in phase 3 (default: 2 × contacts)")
    parser.add_argument("--rate", type=float, default=500.0, help="contacts/s during the latency phase")
    parser.add_argument("--paced-s", type=float, default=12.0,
                        help="seconds of the latency phase (longer than the KPI fold's 10 s period)")
    parser.add_argument("--concurrency", default="64,256",
                        help="connections pushing the throughput phases, one run each (comma-separated)")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--no-index-cost", action="store_true", help="skip measuring the events indexes' cost")
    parser.add_argument("--no-trace", action="store_true", help="run the server without its ingest trace")
    parser.add_argument("--keep-trace", default="", help="keep the server's trace in this file (JSON lines)")
    parser.add_argument("--postgres", default=os.environ.get("DOZVON_TEST_POSTGRES_URL",
                                                             "postgresql://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    try:
        concurrencies = [int(c) for c in args.concurrency.split(",")]
    except ValueError:
        parser.error(f"--concurrency: connection counts separated by commas, not {args.concurrency!r}")
    print(f"{args.operators} operators on WebSockets, {args.contacts} contacts, {os.cpu_count()} CPU(s); "
          f"server and load generator share this machine")
    for database in args.databases.split(","):
        with tempfile.TemporaryDirectory() as folder, bench_database(database, folder, args.postgres) as url:
            raw = raw_insert_rate(url)
            cookies = seed(url, args.operators)
            group = raw_group_commit_rate(url)
            indexes = events_index_cost(url) if not args.no_index_cost else None
            port = free_port()
            trace = None if args.no_trace else args.keep_trace or os.path.join(folder, "trace.jsonl")
            if trace and os.path.exists(trace):
                os.remove(trace)
            server = start_server(url, port, trace=trace)
            try:
                result = asyncio.run(run_load(port, server.pid, cookies, args.contacts, args.rate, concurrencies,
                                              args.messages, url, args.paced_s))
            except (OSError, BenchError) as error:
                raise SystemExit(f"[{database}] the load failed: {error!r}; server exit code: {server.poll()}") from None
            finally:
                time.sleep(1.5)  # the trace's last second reaches its file
                server.terminate()
                server.wait(30)
            records = read_trace(trace) if trace else None
            breakdown = tail_breakdown(result["paced"], records, result["client_lags"]) if trace else []
            thread_cpu = ingest_thread_cpu(records)
        print(f"\n[{database}] raw insert (1 row per commit):            {raw:,.0f} rows/s")
        print(f"[{database}] raw group commit of the write set:      {group:,.0f} contacts/s "
              f"({RAW_GROUP} contacts per commit, 9 rows each, straight through the driver)")
        if indexes:
            full, lean = indexes
            print(f"[{database}] the same, events with all 5 indexes / with (project, seq) only: {full:,.0f} / {lean:,.0f} "
                  f"contacts/s — the 4 secondary indexes cost {1e6 / full - 1e6 / lean:.0f} µs a contact "
                  f"({100 * (lean / full - 1):.0f}% more with none of them)")
        for level in result["levels"]:
            rate = level["ingest_per_s"]
            print(f"[{database}] ingest through the API, {level['connections']:>3} connections: {rate:,.0f} contacts/s "
                  f"({rate / group:.2f}× the raw group commit); server CPU {level['server_cpu_ms']:.2f} ms per contact"
                  f"{_follower_part(level)}, "
                  f"busy {100 * level['server_cpu_share']:.0f}% of a core, "
                  f"load generator {100 * level['client_cpu_share']:.0f}%{_batches(thread_cpu, 'tp', level)}")
        print(f"[{database}] ingest → offer on the WebSocket, {result['latency_n']} contacts at "
              f"{result['paced_rate']:.0f}/s: p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, "
              f"max {result['max_ms']:.1f} ms ({result['paced_connections']} connections were needed to send "
              f"each request on time)")
        if breakdown:
            print(f"[{database}] where the paced contacts' time went (server trace and generator, one clock; "
                  f"the trace costs the server ~0.05 ms a contact — --no-trace for the figures without it):")
            print("\n".join(breakdown))
        for level in result["levels"]:
            print(f"[{database}] chat messages into open conversations, {level['connections']:>3} connections: "
                  f"{level['messages_per_s']:,.0f} messages/s; server CPU {level['message_cpu_ms']:.2f} ms per message"
                  f"{_batches(thread_cpu, 'msg', level)}")
        lag = _followers(result)
        if lag:
            print(f"[{database}] {lag}")


def _followers(result: dict[str, Any]) -> str:
    lag = result.get("followers") or {}
    if not lag:
        return ""
    parts = [f"{name} {lag['behind'][name]:,} events behind, " + (
        f"caught up in {seconds:.1f} s" if seconds is not None else "not caught up in 120 s")
        for name, seconds in lag["caught"].items()]
    return "the log's followers after the last chat message: " + "; ".join(parts)


def _follower_part(level: dict[str, Any]) -> str:
    """The follower process's part of the server's CPU per contact, where it runs (PostgreSQL)."""
    return f" ({level['follower_cpu_ms']:.2f} of it its follower process)" if level["follower_cpu_ms"] > 0 else ""


def _batches(thread_cpu: dict[str, tuple[float, float]], phase: str, level: dict[str, Any]) -> str:
    """The ingest thread's CPU per request of a throughput phase, next to its batches' time."""
    got = thread_cpu.get(f"{phase}-{level['connections']}")
    return "" if got is None else (f"; the ingest thread's CPU {got[0]:.0f} µs a request, "
                                   f"of its batches' {got[1]:.0f} µs (formed → answered)")


if __name__ == "__main__":
    main()
