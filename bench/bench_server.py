"""The server under load: contacts ingested per second through the HTTP API, and the time
from ingest to the offer arriving on an operator's WebSocket, with 500 operators connected.

For each database (SQLite file, PostgreSQL) a real server runs as its own process
(``dozvon serve``); this process connects the operators and drives the load. Printed next
to the raw insert rate of the same database measured in the same run: one INSERT and one
COMMIT per row, as durable as an acknowledged ingest — the ceiling the server works under.

    .venv/bin/python bench/bench_server.py [--operators 500] [--contacts 3000] [--rate 200]
        [--concurrency 32] [--databases sqlite,postgres] [--postgres postgresql://postgres@127.0.0.1/postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from typing import Any

import httpx
import websockets
from sqlalchemy import BigInteger, Column, MetaData, String, Table, insert

from dozvon.accounts import actions as accounts
from dozvon.accounts import security
from dozvon.accounts.models import User
from dozvon.acd.service import RouterService
from dozvon.core.db import dispose_all, get_engine, session_factory, upgrade
from dozvon.routing.model import OperatorConfig, QueueConfig

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # run as a script: its sibling modules

from web_harness import cpu_seconds, free_port, percentile

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
        cfg = OperatorConfig.from_dict({"id": f"op{i}", "queues": ["inbox"], "capacity": {"email": 1000}})
        svc.run(lambda e, c=cfg: e.add_operator(c))  # type: ignore[misc]
    dispose_all()
    cookies["__token__"] = token
    return cookies


def start_server(url: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": url, "DOZVON_LOG_LEVEL": "warning"}
    process = subprocess.Popen([sys.executable, "-m", "dozvon", "serve", "--port", str(port)], env=env)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the server did not start")


async def run_load(port: int, server_pid: int, cookies: dict[str, str], contacts: int, rate: float,
                   concurrency: int) -> dict[str, Any]:
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
    conversation_of: dict[str, str] = {}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    def client() -> httpx.AsyncClient:
        # A fresh client per phase: uvicorn closes keep-alive connections idle for 5 s.
        return httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}, limits=limits,
                                 timeout=60)

    retries = [0]

    async def ingest(http: httpx.AsyncClient, external_id: str) -> None:
        sent_at[external_id] = time.perf_counter()
        for attempt in range(5):
            try:
                answer = await http.post(f"/api/v1/projects/{PROJECT}/ingest/contacts", json={
                    "channel": "email", "external_id": external_id, "queue": "inbox",
                    "customer": {"id": external_id}, "subject": "bench", "text": "hello"})
                break
            except httpx.TransportError:  # a dropped keep-alive connection: retrying is safe (idempotent)
                retries[0] += 1
                if attempt == 4:
                    raise
        answer.raise_for_status()
        conversation_of[answer.json()["conversation_id"]] = external_id

    # Phase 1, latency: a steady rate well below saturation.
    latency_n = min(contacts // 3, int(rate * 10))
    expected[0] = latency_n
    async with client() as http:
        started = time.perf_counter()
        pending = []
        for i in range(latency_n):
            target = started + i / rate
            await asyncio.sleep(max(0.0, target - time.perf_counter()))
            pending.append(asyncio.create_task(ingest(http, f"lat-{i}")))
        await asyncio.gather(*pending)
    await asyncio.wait_for(all_offered.wait(), 60)
    latencies = [offered_at[c] - sent_at[e] for c, e in conversation_of.items() if c in offered_at]

    # Phase 2, throughput: as fast as `concurrency` clients can push.
    backlog: asyncio.Queue[str] = asyncio.Queue()
    burst = contacts - latency_n
    for i in range(burst):
        backlog.put_nowait(f"tp-{i}")
    async with client() as http:
        async def worker() -> None:
            while not backlog.empty():
                await ingest(http, backlog.get_nowait())

        started, server_cpu, client_cpu = time.perf_counter(), cpu_seconds(server_pid), time.process_time()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
        server_cpu, client_cpu = cpu_seconds(server_pid) - server_cpu, time.process_time() - client_cpu
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {"ingest_per_s": burst / elapsed, "latency_n": len(latencies),
            "server_cpu_share": server_cpu / elapsed, "retries": retries[0], "client_cpu_share": client_cpu / elapsed,
            "server_cpu_ms": 1000 * server_cpu / burst,
            "p50_ms": 1000 * percentile(latencies, 0.5), "p99_ms": 1000 * percentile(latencies, 0.99),
            "max_ms": 1000 * max(latencies) if latencies else float("nan"),
            "mean_ms": 1000 * statistics.fmean(latencies) if latencies else float("nan")}


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--operators", type=int, default=500)
    parser.add_argument("--contacts", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=200.0, help="contacts/s during the latency phase")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--postgres", default=os.environ.get("DOZVON_TEST_POSTGRES_URL",
                                                             "postgresql://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    print(f"{args.operators} operators on WebSockets, {args.contacts} contacts, {os.cpu_count()} CPU(s); "
          f"server and load generator share this machine")
    for database in args.databases.split(","):
        with tempfile.TemporaryDirectory() as folder:
            if database == "sqlite":
                url, cleanup = f"sqlite:///{folder}/bench.db", None
            else:
                url, name = fresh_postgres(args.postgres)
                cleanup = name
            try:
                raw = raw_insert_rate(url)
                cookies = seed(url, args.operators)
                port = free_port()
                server = start_server(url, port)
                try:
                    result = asyncio.run(run_load(port, server.pid, cookies, args.contacts, args.rate, args.concurrency))
                except httpx.HTTPError as error:
                    raise SystemExit(f"[{database}] the load failed: {error!r}; server exit code: {server.poll()}") from None
                finally:
                    server.terminate()
                    server.wait(30)
            finally:
                if cleanup:
                    drop_postgres(args.postgres, cleanup)
                dispose_all()
        print(f"\n[{database}] raw insert (1 row per commit): {raw:,.0f} rows/s")
        print(f"[{database}] ingest through the API:        {result['ingest_per_s']:,.0f} contacts/s "
              f"({result['ingest_per_s'] / raw:.2f}× the raw insert rate); server CPU "
              f"{result['server_cpu_ms']:.1f} ms per contact, busy {100 * result['server_cpu_share']:.0f}% of a core, "
              f"load generator {100 * result['client_cpu_share']:.0f}%; {result['retries']} retried requests")
        print(f"[{database}] ingest → offer on the WebSocket, {result['latency_n']} contacts at {args.rate:.0f}/s: "
              f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, max {result['max_ms']:.1f} ms")


if __name__ == "__main__":
    main()
