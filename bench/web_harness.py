"""The client side of bench/bench_web.py: the measuring primitives (percentiles, CPU and
memory of a process, the ledger of every message sent and seen, the event loop's lag), the
simulated operator and visitor, the harness both servers are driven by, and the figures a
run yields. Kept apart so that the benchmark script reads as the scenario it runs."""

from __future__ import annotations

import asyncio
import contextlib
import http.cookiejar
import json
import os
import re
import socket
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import websockets

PROJECT = "webbench"
QUEUE = "chat"
PASSWORD = "bench-web"
HERE = Path(__file__).resolve().parent
#: Connections (and requests in flight) of the load generator's one HTTP client.
HTTP_CONNECTIONS = 64
STARTED = time.perf_counter()


def say(line: str) -> None:
    """Progress, on stderr: the table alone goes to stdout."""
    print(f"  [{time.perf_counter() - STARTED:6.1f} s] {line}", file=sys.stderr, flush=True)
MARK = re.compile(r"\bbench:([A-Za-z0-9_-]+)")
FILLER = "Здравствуйте, подскажите, пожалуйста, когда придёт мой заказ?"
#: The desktop re-reads its operator this long after an event about them (desktop.js).
DESKTOP_REFRESH_S = 0.15
#: Events after which the desktop re-reads its operator (desktop.js REFRESH_ON).
REFRESH_ON = frozenset({"offer.created", "offer.accepted", "offer.declined", "offer.timed_out", "offer.withdrawn",
                        "contact.answered", "contact.ended", "contact.closed", "contact.transferred",
                        "contact.wrap_up_ended", "contact.abandoned", "operator.state_changed"})


class BenchError(Exception):
    """A failure a person should read, without a traceback."""


# ----------------------------------------------------------------- measuring

def create_operator_logins(engine: Any, project: str, title: str, operators: int, password: str) -> None:
    """The project and its operators' logins ``op0000``…, named «Оператор N», each an operator
    of the project under that id; before the server starts. One password hash for all:
    argon2 is slow on purpose."""
    from dozvon.accounts import actions as accounts
    from dozvon.accounts import security
    from dozvon.core.db import session_factory

    password_hash = security.hash_password(password)
    with session_factory(engine).begin() as session:
        accounts.create_project(session, "bench", project, title)
        for i in range(operators):
            name = f"op{i:04d}"
            accounts.create_user(session, "bench", name, password, password_hash=password_hash,
                                 display_name=f"Оператор {i}")
            accounts.set_membership(session, "bench", project, name, "operator", name)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, all its threads, and of the processes it
    started that are still running — the server's follower process (dozvon/server/followers.py)
    is the server's work too (Linux)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    for child in _children(pid):
        with contextlib.suppress(OSError):  # it may have ended meanwhile
            own += cpu_seconds(child)
    return own


def children_cpu_seconds(pid: int) -> float:
    """The part of :func:`cpu_seconds` spent by the processes ``pid`` started (the server's
    follower process: contact-type suggestions, checks, the KPI fold)."""
    total = 0.0
    for child in _children(pid):
        with contextlib.suppress(OSError):  # it may have ended meanwhile
            total += cpu_seconds(child)
    return total


def _children(pid: int) -> list[int]:
    found = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found += [int(child) for child in f.read().split()]
    return found


def machine_busy_seconds() -> float:
    """CPU seconds all processes of this machine have used so far (every core, /proc/stat)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def memory_mb(pid: int) -> tuple[float, float]:
    """(resident now, peak resident) in MiB."""
    found = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0]) / 1024
    return found.get("VmRSS", float("nan")), found.get("VmHWM", float("nan"))


@dataclass
class Sent:
    """One message: which way, where it must arrive, when its sender started it."""

    direction: str  # "v2o": visitor → operator; "o2v": operator → visitor
    conversation: str
    at: float
    ok: bool | None = None
    received: list[float] = field(default_factory=list)


class Ledger:
    """Every message sent and every arrival, by the unique id in its text."""

    def __init__(self) -> None:
        self.sent: dict[str, Sent] = {}
        self.misrouted = 0
        self.strangers = 0
        self.failures: Counter[str] = Counter()

    def start(self, mid: str, direction: str, conversation: str) -> Sent:
        entry = self.sent[mid] = Sent(direction, conversation, time.perf_counter())
        return entry

    def arrived(self, text: str, direction: str, conversation: str | None) -> None:
        now = time.perf_counter()
        found = MARK.search(text or "")
        if found is None:
            return  # not ours (an automatic message)
        entry = self.sent.get(found.group(1))
        if entry is None or entry.direction != direction:
            self.strangers += 1
            return
        if conversation != entry.conversation:
            self.misrouted += 1
            return
        entry.received.append(now)

    def fail(self, why: str) -> None:
        self.failures[why] += 1


class LoopLag:
    """How late this process's event loop wakes up: the harness's own delay, for the reader."""

    def __init__(self) -> None:
        self.lags: list[float] = []
        self.running = True

    async def run(self) -> None:
        while self.running:
            started = time.perf_counter()
            await asyncio.sleep(0.05)
            self.lags.append(time.perf_counter() - started - 0.05)


# ----------------------------------------------------------------- the people

@dataclass(eq=False)
class Operator:
    id: str
    cookie: str = ""
    csrf: str = ""
    ws: Any = None
    conversations: list[str] = field(default_factory=list)
    replies: dict[int, asyncio.Future[dict[str, Any]]] = field(default_factory=dict)
    next_id: int = 0
    refresh_timer: asyncio.TimerHandle | None = None
    accepted: set[str] = field(default_factory=set)


@dataclass(eq=False)
class Visitor:
    index: int
    address: str
    token: str = ""
    id: str = ""
    conversation: str = ""
    ws: Any = None
    joined: asyncio.Event = field(default_factory=asyncio.Event)


class Harness:
    """What both servers share: the people, the readers of their sockets, the ledger."""

    def __init__(self, base: str, ledger: Ledger) -> None:
        self.base = base
        self.ws_base = base.replace("http://", "ws://")
        self.ledger = ledger
        self.answered: dict[str, Operator] = {}  # conversation → its operator
        self.answered_event = asyncio.Event()
        self.expected = 0
        self.tasks: list[asyncio.Task[Any]] = []
        self.sockets: list[Any] = []
        # No cookie jar: operators' cookies travel in explicit headers, one desktop each.
        no_cookies = http.cookiejar.CookieJar(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        # Below uvicorn's 5 s keep-alive, so a request never races the server closing an idle connection.
        self._http = httpx.AsyncClient(base_url=base, timeout=60, cookies=no_cookies,
                                       limits=httpx.Limits(max_connections=HTTP_CONNECTIONS,
                                                           max_keepalive_connections=HTTP_CONNECTIONS,
                                                           keepalive_expiry=2.0))
        # Requests wait here, never in httpx's pool, whose queue costs time quadratic in its length.
        self._in_flight = asyncio.Semaphore(HTTP_CONNECTIONS)

    async def request(self, method: str, path: str, **options: Any) -> httpx.Response:
        async with self._in_flight:
            return await self._http.request(method, path, **options)

    def spawn(self, coro: Awaitable[Any]) -> None:
        self.tasks.append(asyncio.ensure_future(coro))

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await asyncio.gather(*(ws.close() for ws in self.sockets), return_exceptions=True)
        await self._http.aclose()

    async def connect(self, url: str, **options: Any) -> Any:
        # Browsers never ping; the server pings them (and this answers).
        ws = await websockets.connect(url, ping_interval=None, max_queue=None, open_timeout=60, **options)
        self.sockets.append(ws)
        return ws

    def note_answered(self, op: Operator, conversation: str) -> None:
        if conversation not in self.answered:
            self.answered[conversation] = op
            op.conversations.append(conversation)
            if len(self.answered) >= self.expected:
                self.answered_event.set()

    async def read_operator(self, op: Operator, on_event: Callable[[Operator, dict[str, Any]], None]) -> None:
        try:
            async for raw in op.ws:
                frame = json.loads(raw)
                kind = frame.get("kind")
                if kind == "event":
                    if frame.get("type") == "message.received":
                        self.ledger.arrived((frame.get("data") or {}).get("text", ""), "v2o", frame.get("contact_id"))
                    on_event(op, frame)
                elif kind == "reply":
                    future = op.replies.pop(frame.get("reply_to"), None)
                    if future is not None and not future.done():
                        future.set_result(frame)
        except websockets.ConnectionClosed as closed:
            self.ledger.fail(f"operator socket closed: {closed}")

    async def read_visitor(self, visitor: Visitor) -> None:
        try:
            async for raw in visitor.ws:
                frame = json.loads(raw)
                if frame.get("kind") != "event":
                    continue
                if frame.get("type") == "joined":
                    visitor.joined.set()
                elif frame.get("type") == "message":
                    message = frame.get("message") or {}
                    if message.get("direction") == "out":
                        self.ledger.arrived(message.get("text", ""), "o2v", frame.get("conversation_id"))
        except websockets.ConnectionClosed as closed:
            self.ledger.fail(f"visitor socket closed: {closed}")

    async def command(self, op: Operator, **frame: Any) -> dict[str, Any]:
        """One command over the operator's socket, and its reply."""
        op.next_id += 1
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        op.replies[op.next_id] = future
        await op.ws.send(json.dumps({"id": op.next_id, **frame}))
        return await asyncio.wait_for(future, 60)


def message_text(mid: str) -> str:
    return f"bench:{mid} {FILLER}"


# ----------------------------------------------------------------- the figures of a run

@dataclass
class Figures:
    label: str
    setup_s: float
    answer_s: float
    window_s: float
    intended_per_s: float
    carried_per_s: float
    v2o: list[float]
    o2v: list[float]
    server_cpu_s: float
    client_cpu_s: float
    rss_mb: float
    peak_mb: float
    db_cpu_s: float | None
    machine_cpu_s: float
    rest_share: float
    lost: int
    duplicated: int
    misrouted: int
    failed: int
    failures: Counter[str]
    lag_p99: float
    messages: int


async def gather_limited(count: int, limit: int, rate: float | None, make: Callable[[int], Awaitable[None]]) -> None:
    """``make(i)`` for i < count, at most ``limit`` at a time and ``rate`` starts a second."""
    gate = asyncio.Semaphore(limit)
    started = time.perf_counter()

    async def one(i: int) -> None:
        async with gate:
            await make(i)

    tasks = []
    for i in range(count):
        if rate:
            await asyncio.sleep(max(0.0, started + i / rate - time.perf_counter()))
        tasks.append(asyncio.create_task(one(i)))
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        raise
