"""The Telegram channel under load: inbound updates per second through the adapter (long
polling and webhook), and the delay from an update to the offer on an operator's
WebSocket (p50/p99) — next to the plain ingest API (POST …/ingest/messages), measured in
the same run on the same server. Figures, never a pass/fail.

A real server runs as its own process (``dozvon serve``, pinned to 2 cores where the
machine allows); this process runs the fake Bot API of the tests
(tests/channels/telegram_peer.py), connects the operators and drives the load. Each path
has a project of its own (the same operators in each), so that none starts with the
conversations another left offered:

- **ingest API** (the baseline): messages POSTed to ``…/ingest/messages``;
- **webhook**: updates POSTed to ``/hooks/telegram/{id}`` with Telegram's secret header;
- **long polling**: updates pushed to the fake Bot API, which the bot's getUpdates takes
  (up to 100 at a time).

For each, first the delay at a steady ``--rate`` well below saturation — the update made
available (POSTed, or pushed to the fake API) → ``offer.created`` on an operator's socket —
then the rate: ``--updates`` by ``--concurrency`` clients (for polling: all waiting at the
Bot API when the bot is switched on, the clock running until the last is stored). Every
update comes from a new chat, so each opens a conversation that is offered.

    .venv/bin/python bench/bench_telegram.py [--updates 2000] [--latency-n 150] [--rate 5]
        [--concurrency 32] [--operators 10] [--databases sqlite,postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from typing import Any

import httpx
import websockets
from sqlalchemy import func, select

from dozvon.accounts import actions as accounts
from dozvon.accounts import security
from dozvon.acd.service import RouterService
from dozvon.conversations.models import Conversation, Message
from dozvon.core.db import dispose_all, get_engine, session_factory, upgrade
from dozvon.routing.model import OperatorConfig, QueueConfig

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)  # run as a script: its sibling modules
sys.path.insert(0, os.path.dirname(HERE))  # and the tests' fake Bot API

from bench_server import bench_database, start_server  # noqa: E402
from web_harness import cpu_seconds, free_port, percentile  # noqa: E402

from tests.channels.telegram_peer import TOKEN, FakeBotApi  # noqa: E402

#: One project per path, so that each starts from an empty engine (conversations left
#: offered by one phase never slow the next one down).
PROJECTS = {"ingest": "tgb-ingest", "webhook": "tgb-webhook", "polling": "tgb-polling"}
QUEUE = "inbox"
TEXT = "Здравствуйте, где мой заказ?"


def seed(url: str, operators: int) -> tuple[dict[str, str], dict[str, str]]:
    """The projects, each with one queue and the same N operators with room for every chat;
    returns each project's API token (ingest and channels) and operator id → session cookie."""
    upgrade(url)
    engine = get_engine(url)
    cookies, tokens = {}, {}
    password_hash = security.hash_password("bench")
    with session_factory(engine).begin() as session:
        users = [accounts.create_user(session, "bench", f"op{i}", "bench", password_hash=password_hash)
                 for i in range(operators)]
        for project in PROJECTS.values():
            accounts.create_project(session, "bench", project, project)
            tokens[project], _ = accounts.create_token(session, "bench", project, "bench",
                                                       ["ingest", "channels:manage"])
            for user in users:
                accounts.set_membership(session, "bench", project, user.username, "operator", user.username)
        for user in users:
            cookies[user.username], _ = accounts.open_session(session, user)
    for project in PROJECTS.values():
        svc = RouterService(engine, project)
        svc.run(lambda e: e.add_queue(QueueConfig(name=QUEUE, strategy="longest_idle", offer_timeout_s=3600)))
        for i in range(operators):
            cfg = OperatorConfig.from_dict({"id": f"op{i}", "queues": [QUEUE], "capacity": {"chat": 5000}})
            svc.run(lambda e, c=cfg: e.add_operator(c))  # type: ignore[misc]
    dispose_all()
    return tokens, cookies


async def retried(request: Any) -> httpx.Response:
    """A dropped keep-alive connection is sent again: both doors are idempotent."""
    for attempt in range(5):
        try:
            answer: httpx.Response = await request()
            return answer
        except httpx.TransportError:
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


class Load:
    """One run against one server: operators on sockets, the fake Bot API, the phases."""

    def __init__(self, port: int, url: str, tokens: dict[str, str], cookies: dict[str, str],
                 args: argparse.Namespace) -> None:
        self.base, self.ws_base = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}"
        self.db = session_factory(get_engine(url))
        self.tokens, self.cookies, self.args = tokens, cookies, args
        self.api = FakeBotApi()
        self.offered_at: dict[str, float] = {}
        self.chat_ids = iter(range(10_000_001, 99_999_999))
        self.server_pid = 0

    def http(self, project: str, concurrency: int = 4) -> httpx.AsyncClient:
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        return httpx.AsyncClient(base_url=self.base, headers={"Authorization": f"Bearer {self.tokens[project]}"},
                                 limits=limits, timeout=60)

    async def operator(self, project: str, cookie: str, ready: asyncio.Event) -> None:
        async with websockets.connect(f"{self.ws_base}/api/v1/projects/{project}/stream",
                                      additional_headers={"Cookie": f"dozvon_session={cookie}"},
                                      max_queue=None) as ws:
            await ws.send(json.dumps({"id": 1, "action": "state", "state": "available"}))
            ready.set()
            async for raw in ws:
                message = json.loads(raw)
                if message.get("type") == "offer.created":
                    self.offered_at.setdefault(message["contact_id"], time.perf_counter())

    def stored(self, project: str) -> int:
        with self.db() as session:
            return int(session.scalar(select(func.count()).select_from(Message).where(
                Message.project == project, Message.channel == "telegram")) or 0)

    async def until_stored(self, project: str, count: int, timeout: float = 900) -> None:
        deadline = time.monotonic() + timeout
        while await asyncio.to_thread(self.stored, project) < count:
            if time.monotonic() > deadline:
                raise SystemExit(f"only {self.stored(project)} of {count} updates were stored")
            await asyncio.sleep(0.02)

    async def connect_bot(self, project: str, **settings: Any) -> None:
        async with self.http(project) as http:
            made = await http.post(f"/api/v1/projects/{project}/channels", json={
                "kind": "telegram", "name": "bot", "queue": QUEUE, "secret": TOKEN,
                "settings": {"api_url": self.api.url, **settings}})
            made.raise_for_status()

    def update(self) -> dict[str, Any]:
        chat = next(self.chat_ids)
        return {"update_id": chat, **self.api.message(chat, TEXT, first_name=f"C{chat}")}

    async def burst(self, send: Any, n: int) -> tuple[float, float]:
        """n sends by --concurrency workers: (per second, server CPU ms per item)."""
        backlog = list(range(n))

        async def worker() -> None:
            while backlog:
                backlog.pop()
                await send()

        started, cpu = time.perf_counter(), cpu_seconds(self.server_pid)
        await asyncio.gather(*(worker() for _ in range(self.args.concurrency)))
        elapsed = time.perf_counter() - started
        return n / elapsed, 1000 * (cpu_seconds(self.server_pid) - cpu) / n

    async def steady(self, send: Any, n: int) -> None:
        """n sends at --rate (each records its own start)."""
        started = time.perf_counter()
        pending = []
        for i in range(n):
            await asyncio.sleep(max(0.0, started + i / self.args.rate - time.perf_counter()))
            pending.append(asyncio.create_task(send()))
        await asyncio.gather(*pending)

    def chats(self, project: str) -> dict[str, int]:
        """Conversation id → the chat that opened it (its key is tg:<bot>:<chat>:<message>)."""
        with self.db() as session:
            rows = session.execute(select(Conversation.id, Conversation.external_id).where(
                Conversation.project == project, Conversation.channel == "telegram"))
            return {conv: int(key.split(":")[2]) for conv, key in rows}

    def delays(self, project: str, times: dict[int, float]) -> tuple[float, float, int]:
        """update → offer, for the conversations these chats opened."""
        found = [self.offered_at[c] - times[chat] for c, chat in self.chats(project).items()
                 if chat in times and c in self.offered_at]
        return percentile(found, 0.5), percentile(found, 0.99), len(found)

    async def ingest_path(self, out: dict[str, Any]) -> None:
        """The baseline: the plain ingest API, the same shape of message."""
        project = PROJECTS["ingest"]
        sent: dict[str, float] = {}
        async with self.http(project, self.args.concurrency) as http:
            async def ingest_one(times: dict[str, float] | None = None) -> None:
                chat = next(self.chat_ids)
                at = time.perf_counter()
                answer = await retried(lambda: http.post(f"/api/v1/projects/{project}/ingest/messages", json={
                    "channel": "messenger", "external_id": f"m:{chat}", "queue": QUEUE,
                    "customer": {"id": f"m{chat}", "name": f"C{chat}"}, "text": TEXT}))
                answer.raise_for_status()
                if times is not None:
                    times[answer.json()["conversation_id"]] = at

            await self.steady(lambda: ingest_one(sent), self.args.latency_n)
            await asyncio.sleep(0.5)
            found = [self.offered_at[c] - at for c, at in sent.items() if c in self.offered_at]
            out["ingest_delay"] = (percentile(found, 0.5), percentile(found, 0.99), len(found))
            out["ingest"] = await self.burst(ingest_one, self.args.updates)

    async def webhook_path(self, out: dict[str, Any]) -> None:
        project = PROJECTS["webhook"]
        await self.connect_bot(project, mode="webhook", public_url=self.base)
        while not self.api.webhook.get("url"):
            await asyncio.sleep(0.05)
        url, secret = self.api.webhook["url"], self.api.webhook["secret_token"]
        limits = httpx.Limits(max_connections=self.args.concurrency)
        async with httpx.AsyncClient(limits=limits, timeout=60) as hooks:
            async def post_one(times: dict[int, float] | None = None) -> None:
                update = self.update()
                if times is not None:
                    times[update["message"]["chat"]["id"]] = time.perf_counter()
                answer = await retried(lambda: hooks.post(url, json=update,
                                                          headers={"X-Telegram-Bot-Api-Secret-Token": secret}))
                answer.raise_for_status()

            posted: dict[int, float] = {}
            await self.steady(lambda: post_one(posted), self.args.latency_n)
            await asyncio.sleep(0.5)
            out["webhook_delay"] = self.delays(project, posted)
            out["webhook"] = await self.burst(post_one, self.args.updates)
        async with self.http(project) as http:  # the fake API has one webhook: this bot's leaves it
            (await http.delete(f"/api/v1/projects/{project}/channels/bot")).raise_for_status()
        self.api.webhook = {}

    async def polling_path(self, out: dict[str, Any]) -> None:
        project = PROJECTS["polling"]
        pushed: dict[int, float] = {}

        async def push_one() -> None:
            update = self.update()
            pushed[update["message"]["chat"]["id"]] = time.perf_counter()
            self.api.push(update)

        await self.connect_bot(project, mode="polling", poll_timeout_s=25)
        while "getUpdates" not in self.api.calls:  # the poller is up (the server notices a new bot within 1 s)
            await asyncio.sleep(0.05)
        await self.steady(push_one, self.args.latency_n)
        await self.until_stored(project, self.args.latency_n)
        await asyncio.sleep(0.5)
        out["polling_delay"] = self.delays(project, pushed)
        # Throughput: the updates are all waiting at the Bot API before the clock starts.
        async with self.http(project) as http:
            (await http.patch(f"/api/v1/projects/{project}/channels/bot", json={"enabled": False})).raise_for_status()
        await asyncio.sleep(2.0)  # the poller has stopped
        for _ in range(self.args.updates):
            self.api.push(self.update())
        started, cpu = time.perf_counter(), cpu_seconds(self.server_pid)
        async with self.http(project) as http:
            (await http.patch(f"/api/v1/projects/{project}/channels/bot", json={"enabled": True})).raise_for_status()
        await self.until_stored(project, self.args.latency_n + self.args.updates)
        elapsed = time.perf_counter() - started
        out["polling"] = (self.args.updates / elapsed, 1000 * (cpu_seconds(self.server_pid) - cpu) / self.args.updates)

    async def run(self, server_pid: int) -> dict[str, Any]:
        self.server_pid = server_pid
        out: dict[str, Any] = {}
        readies, tasks = [], []
        for project in PROJECTS.values():
            for cookie in self.cookies.values():
                ready = asyncio.Event()
                readies.append(ready)
                tasks.append(asyncio.create_task(self.operator(project, cookie, ready)))
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 60)
        await asyncio.sleep(1.0)  # their "available" committed
        await self.ingest_path(out)
        await self.webhook_path(out)
        await self.polling_path(out)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.api.close()
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--updates", type=int, default=2000, help="updates per throughput phase")
    parser.add_argument("--latency-n", type=int, default=150, help="updates per delay phase")
    parser.add_argument("--rate", type=float, default=5.0, help="updates/s during the delay phases")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--operators", type=int, default=10)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--postgres", default=os.environ.get("DOZVON_TEST_POSTGRES_URL",
                                                             "postgresql://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    print(f"{args.updates} updates per throughput phase, {args.latency_n} at {args.rate:.0f}/s per delay phase, "
          f"{args.operators} operators; {os.cpu_count()} CPU(s), server pinned to 2; the fake Bot API and the "
          f"load generator share the machine")
    for database in args.databases.split(","):
        with tempfile.TemporaryDirectory() as folder, bench_database(database, folder, args.postgres) as url:
            tokens, cookies = seed(url, args.operators)
            port = free_port()
            server = start_server(url, port, folder, pin_two_cores=True)
            try:
                result = asyncio.run(Load(port, url, tokens, cookies, args).run(server.pid))
            finally:
                server.terminate()
                server.wait(30)
        base_rate = result["ingest"][0]
        print(f"\n[{database}] inbound, per second (server CPU per update):")
        for name, label in (("ingest", "ingest API (baseline)"), ("webhook", "Telegram webhook"),
                            ("polling", "Telegram long polling")):
            rate, cpu_ms = result[name]
            print(f"  {label:<24} {rate:8,.0f}/s  {rate / base_rate:5.2f}× baseline  {cpu_ms:6.2f} ms CPU")
        print(f"[{database}] update → offer on the operator's socket, at {args.rate:.0f}/s:")
        for name, label in (("ingest_delay", "ingest API (baseline)"), ("webhook_delay", "Telegram webhook"),
                            ("polling_delay", "Telegram long polling")):
            p50, p99, n = result[name]
            print(f"  {label:<24} p50 {1000 * p50:7.1f} ms  p99 {1000 * p99:7.1f} ms  ({n} updates)")


if __name__ == "__main__":
    main()
