"""Web forms and outbound webhooks under load: form requests per second and the delay from
the form's POST to the offer on an operator's WebSocket (p50/p99), printed next to the
plain ingest endpoint measured the same way in the same run (the baseline: same server,
same database, same operators); then the same with a webhook subscribed to every
``contact.arrived``, with the delay from the POST to the receiver getting it.

For each database a real server runs as its own process (``dozvon serve``); this process
connects the operators, posts the requests and is the webhook's receiver. No figure is
asserted: they are printed to be compared.

    .venv/bin/python bench/bench_forms.py [--operators 50] [--requests 1500] [--rate 20]
        [--concurrency 16] [--databases sqlite,postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import websockets

from dozvon.channels.secrets import new_key
from dozvon.core.db import dispose_all, get_engine, session_factory

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # run as a script: its sibling modules

from bench_server import PROJECT, bench_database, seed, start_server
from web_harness import cpu_seconds, free_port, percentile

Send = Callable[[httpx.AsyncClient, str], Awaitable[str]]


def make_form(url: str) -> str:
    """The bench project's form into the ``inbox`` queue; its secret."""
    from dozvon.acd import queries as live
    from dozvon.acd.service import RouterService
    from dozvon.channels import connections
    from dozvon.channels import forms as _forms  # noqa: F401  (registers the kind)

    engine = get_engine(url)
    queues = live.queue_names(RouterService(engine, PROJECT))
    with session_factory(engine).begin() as session:
        _, secret = connections.connect(session, "bench", PROJECT, kind="form", name="site", queue="inbox",
                                        settings={}, queues=queues)
    dispose_all()
    assert secret
    return secret


class Receiver:
    """The webhook's receiver: a minimal HTTP/1.1 server in this event loop, noting when
    each contact's ``contact.arrived`` came."""

    def __init__(self) -> None:
        self.port = free_port()
        self.got: dict[str, float] = {}

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length:"))
                body = json.loads(await reader.readexactly(length))
                self.got.setdefault(body["event"].get("contact_id") or "", time.perf_counter())
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            writer.close()


async def phase(base: str, offered: dict[str, float], send: Send, prefix: str, n: int, rate: float,
                concurrency: int, server_pid: int, receiver: Receiver | None = None) -> dict[str, Any]:
    """A latency run at a steady rate, then a throughput run as fast as ``concurrency``
    clients can push; each request is a new contact that the engine offers at once."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    sent: dict[str, float] = {}
    latency_n = min(n // 3, int(rate * 10))
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as http:
        async def one(key: str) -> None:
            at = time.perf_counter()
            sent[await send(http, key)] = at

        started = time.perf_counter()
        pending = []
        for i in range(latency_n):
            await asyncio.sleep(max(0.0, started + i / rate - time.perf_counter()))
            pending.append(asyncio.create_task(one(f"{prefix}-lat-{i}")))
        await asyncio.gather(*pending)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (all(c in offered for c in sent) and (
                receiver is None or all(c in receiver.got for c in sent))):
            await asyncio.sleep(0.1)
        to_socket = [offered[c] - at for c, at in sent.items() if c in offered]
        to_hook = [receiver.got[c] - at for c, at in sent.items() if c in receiver.got] if receiver else []

        backlog = [f"{prefix}-tp-{i}" for i in range(n - latency_n)]

        async def worker() -> None:
            while backlog:
                await send(http, backlog.pop())

        burst = len(backlog)
        started, cpu = time.perf_counter(), cpu_seconds(server_pid)
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed, cpu = time.perf_counter() - started, cpu_seconds(server_pid) - cpu
    return {"per_s": burst / elapsed, "cpu_ms": 1000 * cpu / burst, "n": len(to_socket),
            "p50": 1000 * percentile(to_socket, 0.5), "p99": 1000 * percentile(to_socket, 0.99),
            "hook_n": len(to_hook), "hook_p50": 1000 * percentile(to_hook, 0.5),
            "hook_p99": 1000 * percentile(to_hook, 0.99)}


async def connect_operators(ws_base: str, cookies: dict[str, str],
                            offered: dict[str, float]) -> list[asyncio.Task[None]]:
    """Every operator on the stream, available, noting when each contact is offered."""
    async def operator(cookie: str, ready: asyncio.Event) -> None:
        async with websockets.connect(f"{ws_base}/api/v1/projects/{PROJECT}/stream",
                                      additional_headers={"Cookie": f"dozvon_session={cookie}"},
                                      max_queue=None) as ws:
            await ws.send(json.dumps({"id": 1, "action": "state", "state": "available"}))
            ready.set()
            async for raw in ws:
                message = json.loads(raw)
                if message.get("type") == "offer.created":
                    offered.setdefault(message["contact_id"], time.perf_counter())

    readies = [asyncio.Event() for _ in cookies]
    sockets = [asyncio.create_task(operator(c, r)) for c, r in zip(cookies.values(), readies, strict=True)]
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 120)
    await asyncio.sleep(1.0)  # their "available" committed
    return sockets


async def run(port: int, server_pid: int, cookies: dict[str, str], secret: str,
              args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    base, ws_base = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}"
    token = cookies.pop("__token__")
    offered: dict[str, float] = {}
    sockets = await connect_operators(ws_base, cookies, offered)

    async def ingest(http: httpx.AsyncClient, key: str) -> str:
        answer = await http.post(f"/api/v1/projects/{PROJECT}/ingest/contacts", headers={
            "Authorization": f"Bearer {token}"}, json={
            "channel": "form", "external_id": key, "queue": "inbox", "customer": {"id": f"{key}@bench.example"},
            "subject": "site", "text": "Перезвоните, пожалуйста"})
        answer.raise_for_status()
        conversation: str = answer.json()["conversation_id"]
        return conversation

    async def form(http: httpx.AsyncClient, key: str) -> str:
        body = json.dumps({"name": "Анна", "email": f"{key}@bench.example",
                           "text": "Перезвоните, пожалуйста"}, ensure_ascii=False).encode()
        signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        answer = await http.post(f"/hooks/{PROJECT}/forms/site", content=body, headers={
            "Content-Type": "application/json", "X-Dozvon-Signature": signature, "Idempotency-Key": key})
        answer.raise_for_status()
        conversation: str = answer.json()["conversation_id"]
        return conversation

    common = (base, offered)
    results = {"ingest": await phase(*common, ingest, "ingest", args.requests, args.rate, args.concurrency,
                                     server_pid),
               "form": await phase(*common, form, "form", args.requests, args.rate, args.concurrency, server_pid)}
    receiver = Receiver()
    await receiver.start()
    async with httpx.AsyncClient(base_url=base) as admin:
        csrf = await admin.post("/auth/login", json={"username": "adapter", "password": "bench"})
        made = await admin.post(f"/api/v1/projects/{PROJECT}/webhooks",
                                headers={"X-CSRF-Token": csrf.json()["csrf_token"]},
                                json={"url": f"http://127.0.0.1:{receiver.port}/", "events": ["contact.arrived"]})
        made.raise_for_status()
    results["form+webhook"] = await phase(*common, form, "hooked", args.requests, args.rate, args.concurrency,
                                          server_pid, receiver)
    receiver.server.close()
    for task in sockets:
        task.cancel()
    await asyncio.gather(*sockets, return_exceptions=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--operators", type=int, default=50)
    parser.add_argument("--requests", type=int, default=1500, help="per phase")
    parser.add_argument("--rate", type=float, default=20.0, help="requests/s during the latency runs")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--postgres", default=os.environ.get("DOZVON_TEST_POSTGRES_URL",
                                                             "postgresql://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    # One key for this process (which seals the form's secret) and the server (which opens it).
    os.environ.setdefault("DOZVON_SECRET_KEY", new_key())
    print(f"{args.operators} operators on WebSockets, {args.requests} requests a phase, {os.cpu_count()} CPU(s); "
          f"server, load generator and webhook receiver share this machine")
    for database in args.databases.split(","):
        with tempfile.TemporaryDirectory() as folder, bench_database(database, folder, args.postgres) as url:
            cookies = seed(url, args.operators)
            secret = make_form(url)
            port = free_port()
            server = start_server(url, port)
            try:
                results = asyncio.run(run(port, server.pid, cookies, secret, args))
            finally:
                server.terminate()
                server.wait(30)
        for name, r in results.items():
            print(f"[{database}] {name:>13}: {r['per_s']:7,.0f} requests/s (server {r['cpu_ms']:.1f} ms CPU each); "
                  f"POST → offer on the socket, {r['n']} at {args.rate:.0f}/s: p50 {r['p50']:.1f} ms, "
                  f"p99 {r['p99']:.1f} ms" + (f"; POST → webhook received: p50 {r['hook_p50']:.1f} ms, "
                                              f"p99 {r['hook_p99']:.1f} ms" if r["hook_n"] else ""))
        ratio = results["form"]["per_s"] / results["ingest"]["per_s"]
        print(f"[{database}] forms run at {ratio:.2f}× the plain ingest endpoint's rate")


if __name__ == "__main__":
    main()
