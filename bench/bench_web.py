"""The web chat under load: operator desktops and widget visitors talking, on this machine.

A real Dozvon server runs as its own process (``dozvon serve``, SQLite by default); this
process plays every browser in one asyncio loop. Each operator logs in and does what the
desktop page does (``dozvon/web/static/js``): reads itself and its conversations over
REST, opens the operators' stream after that ``seq``, goes available, reads and accepts
each offer, opens the conversation, replies over REST. Each visitor does what widget.js
does: reads the config, starts (``POST /widget/{project}/visitors``), opens its socket,
writes. Once every visitor has an operator, both sides of every conversation write
2 messages a minute (evenly spread, with jitter) for a warm-up and a measured window.

Measured: visitor message → operator's socket and operator message → visitor's socket
(p50/p99, from the moment the sender starts its request), messages per second carried vs
intended, server CPU per message and its memory, lost / duplicated / misrouted messages
(each carries a unique id in its text; all must be 0), and this load generator's own CPU.

Next to it, in the same run and with the same client harness and message pattern, a bare
relay (bench/web_relay.py: Starlette under the same uvicorn settings, nothing stored or
routed): the floor HTTP, JSON and sockets set here. Each visitor sends from its own
address through ``X-Forwarded-For``, which the server trusts from 127.0.0.1 (uvicorn's
``FORWARDED_ALLOW_IPS``) — as a reverse proxy in front of Dozvon would — so the widget's
per-address limits apply per visitor, as they would to real visitors.

    .venv/bin/python bench/bench_web.py [--operators 300] [--visitors 1000] [--seconds 60]
        [--warmup 15] [--capacity 4] [--per-minute 2] [--operator-commands rest|socket]
        [--database-url postgresql://postgres@127.0.0.1:5432/postgres]  # a fresh database on it
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script: its sibling modules

from web_harness import (
    DESKTOP_REFRESH_S,
    HERE,
    PASSWORD,
    PROJECT,
    QUEUE,
    REFRESH_ON,
    BenchError,
    Figures,
    Harness,
    Ledger,
    LoopLag,
    Operator,
    Visitor,
    cpu_seconds,
    create_operator_logins,
    free_port,
    gather_limited,
    machine_busy_seconds,
    memory_mb,
    message_text,
    percentile,
    say,
)

# ----------------------------------------------------------------- Dozvon

class Dozvon(Harness):
    """The real server: the desktop's and the widget's own endpoints."""

    label = "Dozvon"

    def __init__(self, base: str, ledger: Ledger, commands: str) -> None:
        super().__init__(base, ledger)
        self.commands = commands
        self.api = f"/api/v1/projects/{PROJECT}"

    def _desktop(self, op: Operator, write: bool = False) -> dict[str, str]:
        headers = {"Cookie": f"dozvon_session={op.cookie}; dozvon_csrf={op.csrf}", "Accept-Language": "ru"}
        if write:
            headers["X-CSRF-Token"] = op.csrf
        return headers

    async def _call(self, method: str, path: str, headers: dict[str, str], body: Any = None,
                    retry: bool = False) -> httpx.Response:
        for attempt in range(3 if retry else 1):
            try:
                answer = await self.request(method, path, headers=headers, json=body)
            except httpx.TransportError as error:
                if attempt == 2 or not retry:
                    raise BenchError(f"{method} {path}: {error!r}") from None
                continue
            if answer.status_code == 429 and retry and attempt < 2:
                await asyncio.sleep(float(answer.headers.get("retry-after", "1")))
                continue
            return answer
        raise AssertionError("unreachable")

    async def login(self, op: Operator) -> None:
        answer = await self._call("POST", "/auth/login", {}, {"username": op.id, "password": PASSWORD})
        if answer.status_code != 200:
            raise BenchError(f"login of {op.id}: {answer.status_code} {answer.text[:300]}")
        op.cookie = answer.cookies["dozvon_session"]
        op.csrf = answer.json()["csrf_token"]

    async def connect_operator(self, op: Operator) -> None:
        me = await self._call("GET", f"{self.api}/operators/{op.id}", self._desktop(op))
        if me.status_code != 200:
            raise BenchError(f"GET operator {op.id}: {me.status_code} {me.text[:300]}")
        await self._call("GET", f"{self.api}/conversations?limit=200", self._desktop(op))
        op.ws = await self.connect(f"{self.ws_base}{self.api}/stream?after={me.json()['seq']}",
                                         additional_headers={**self._desktop(op), "Origin": self.base})
        self.spawn(self.read_operator(op, self.on_operator_event))
        if self.commands == "socket":
            reply = await self.command(op, action="state", state="available")
            ok = reply.get("ok")
        else:
            answer = await self._call("POST", f"{self.api}/operators/{op.id}/state", self._desktop(op, True),
                                      {"state": "available"})
            ok = answer.status_code == 200
            reply = {"status": answer.status_code, "body": answer.text[:300]}
        if not ok:
            raise BenchError(f"{op.id} could not go available: {reply}")

    def on_operator_event(self, op: Operator, frame: dict[str, Any]) -> None:
        kind, data = frame.get("type"), frame.get("data") or {}
        if frame.get("operator_id") != op.id:
            return
        if kind == "offer.created" and data.get("offer_id") not in op.accepted:
            op.accepted.add(data["offer_id"])
            self.spawn(self.accept(op, data["offer_id"], frame["contact_id"]))
        elif kind == "contact.answered":
            self.note_answered(op, frame["contact_id"])
        if kind in REFRESH_ON:
            if op.refresh_timer is not None:
                op.refresh_timer.cancel()
            op.refresh_timer = asyncio.get_running_loop().call_later(
                DESKTOP_REFRESH_S, lambda: self.spawn(self._call("GET", f"{self.api}/operators/{op.id}",
                                                                 self._desktop(op))))

    async def accept(self, op: Operator, offer_id: str, conversation: str) -> None:
        """The desktop reads the offered conversation for its card, the operator accepts, the
        desktop opens the conversation's pane."""
        try:
            await self._accept(op, offer_id, conversation)
        except BenchError as error:
            self.ledger.fail(f"accept: {error}"[:200])

    async def _accept(self, op: Operator, offer_id: str, conversation: str) -> None:
        await self._call("GET", f"{self.api}/conversations/{conversation}", self._desktop(op))
        if self.commands == "socket":
            reply = await self.command(op, action="accept", offer_id=offer_id)
            ok, why = bool(reply.get("ok")), str(reply.get("error"))
        else:
            answer = await self._call("POST", f"{self.api}/offers/{offer_id}/accept", self._desktop(op, True))
            ok, why = answer.status_code == 200, f"{answer.status_code} {answer.text[:200]}"
        if not ok:
            self.ledger.fail(f"accept refused: {why}")
            return
        await self._call("GET", f"{self.api}/conversations/{conversation}", self._desktop(op))

    def _widget(self, visitor: Visitor) -> dict[str, str]:
        headers = {"X-Forwarded-For": visitor.address, "Origin": "https://shop.example", "Accept-Language": "ru"}
        if visitor.token:
            headers["Authorization"] = f"Bearer {visitor.token}"
        return headers

    async def start_visitor(self, visitor: Visitor) -> None:
        w = f"/widget/{PROJECT}"
        config = await self._call("GET", f"{w}/config", self._widget(visitor), retry=True)
        if config.status_code != 200:
            raise BenchError(f"widget config: {config.status_code} {config.text[:300]}")
        made = await self._call("POST", f"{w}/visitors", self._widget(visitor),
                                {"name": f"Посетитель {visitor.index}", "page": "https://shop.example/cart",
                                 "source": "bench", "language": "ru"}, retry=True)
        if made.status_code != 201:
            raise BenchError(f"new visitor: {made.status_code} {made.text[:300]}")
        visitor.token, visitor.id = made.json()["token"], made.json()["visitor_id"]
        visitor.ws = await self.connect(f"{self.ws_base}{w}/stream?token={visitor.token}&after=0",
                                              additional_headers=self._widget(visitor))
        self.spawn(self.read_visitor(visitor))
        first = await self._call("POST", f"{w}/messages", self._widget(visitor),
                                 {"client_id": f"hello{visitor.index:05d}", "text": "Добрый день!"}, retry=True)
        if first.status_code not in (200, 201):
            raise BenchError(f"first message: {first.status_code} {first.text[:300]}")
        visitor.conversation = first.json()["conversation_id"]
        await self._call("GET", f"{w}/conversation", self._widget(visitor), retry=True)  # widget.js refresh()

    async def visitor_send(self, visitor: Visitor, mid: str) -> bool:
        """widget.js: POST …/messages, retried with the same client_id (idempotent)."""
        answer = await self._call("POST", f"/widget/{PROJECT}/messages", self._widget(visitor),
                                  {"client_id": mid, "text": message_text(mid)}, retry=True)
        if answer.status_code not in (200, 201):
            self.ledger.fail(f"visitor message: {answer.status_code} {answer.text[:200]}")
            return False
        return True

    async def operator_send(self, op: Operator, conversation: str, mid: str) -> bool:
        if self.commands == "socket":
            reply = await self.command(op, action="send", conversation_id=conversation, text=message_text(mid))
            if not reply.get("ok"):
                self.ledger.fail(f"operator message: {reply.get('error')}")
            return bool(reply.get("ok"))
        answer = await self._call("POST", f"{self.api}/conversations/{conversation}/messages",
                                  self._desktop(op, True), {"text": message_text(mid)})
        if answer.status_code != 201:
            self.ledger.fail(f"operator message: {answer.status_code} {answer.text[:200]}")
            return False
        return True


# ----------------------------------------------------------------- the bare relay

class Relay(Harness):
    """bench/web_relay.py: the same people and pattern, each visitor paired with an operator
    in turn (there is nothing to route)."""

    label = "bare relay"

    def __init__(self, base: str, ledger: Ledger, commands: str, operators: list[Operator]) -> None:
        super().__init__(base, ledger)
        self.commands = commands
        self.operators = operators

    async def login(self, op: Operator) -> None:
        return None

    async def connect_operator(self, op: Operator) -> None:
        op.ws = await self.connect(f"{self.ws_base}/o/{op.id}/stream")
        self.spawn(self.read_operator(op, lambda op, frame: None))

    async def start_visitor(self, visitor: Visitor) -> None:
        op = self.operators[visitor.index % len(self.operators)]
        visitor.id = visitor.conversation = f"v{visitor.index}"
        visitor.ws = await self.connect(f"{self.ws_base}/v/{visitor.id}/stream?operator={op.id}",
                                              additional_headers={"X-Forwarded-For": visitor.address})
        self.spawn(self.read_visitor(visitor))
        visitor.joined.set()
        self.note_answered(op, visitor.conversation)

    async def visitor_send(self, visitor: Visitor, mid: str) -> bool:
        answer = await self.request("POST", f"/v/{visitor.id}/messages", json={"client_id": mid, "text": message_text(mid)},
                                      headers={"X-Forwarded-For": visitor.address,
                                               "Authorization": f"Bearer {visitor.id}"})
        return answer.status_code == 201

    async def operator_send(self, op: Operator, conversation: str, mid: str) -> bool:
        if self.commands == "socket":
            return bool((await self.command(op, action="send", conversation_id=conversation,
                                            text=message_text(mid))).get("ok"))
        answer = await self.request("POST", f"/o/conversations/{conversation}/messages", json={"text": message_text(mid)},
                                      headers={"Cookie": f"session={op.id}", "X-CSRF-Token": op.id})
        return answer.status_code == 201


# ----------------------------------------------------------------- one run

# ----------------------------------------------------------------- the run

async def run(target: Harness, args: argparse.Namespace, server_pid: int,
              db_cpu: Callable[[], float | None]) -> Figures:
    rng = random.Random(7)
    operators = [Operator(f"op{i:04d}") for i in range(args.operators)]
    if isinstance(target, Relay):
        target.operators = operators
    visitors = [Visitor(i, f"10.{1 + i // 65536}.{i // 256 % 256}.{i % 256}") for i in range(args.visitors)]
    target.expected = args.visitors
    watching = asyncio.create_task(progress(target, operators, visitors))
    try:
        return await _run(target, args, server_pid, db_cpu, rng, operators, visitors)
    finally:
        watching.cancel()


async def progress(target: Harness, operators: list[Operator], visitors: list[Visitor]) -> None:
    """A line every 10 s, so a slow phase shows where it is."""
    while True:
        await asyncio.sleep(10)
        sent = target.ledger.sent.values()
        say(f"{target.label}: operators logged in {sum(bool(o.cookie) for o in operators)}, connected "
            f"{sum(o.ws is not None for o in operators)}; visitors connected {sum(v.ws is not None for v in visitors)}, "
            f"answered {len(target.answered)}, saw their operator {sum(v.joined.is_set() for v in visitors)}; "
            f"messages sent {len(sent)}, answered {sum(s.ok is not None for s in sent)}, "
            f"arrived {sum(bool(s.received) for s in sent)}; failures {sum(target.ledger.failures.values())}")


async def _run(target: Harness, args: argparse.Namespace, server_pid: int, db_cpu: Callable[[], float | None],
               rng: random.Random, operators: list[Operator], visitors: list[Visitor]) -> Figures:
    ledger = target.ledger
    started = time.perf_counter()
    await gather_limited(len(operators), 8, None, lambda i: target.login(operators[i]))  # type: ignore[attr-defined]
    await gather_limited(len(operators), 32, None, lambda i: target.connect_operator(operators[i]))  # type: ignore[attr-defined]
    setup_s = time.perf_counter() - started
    say(f"{target.label}: {len(operators)} operators logged in, connected and available in {setup_s:.1f} s")
    started = time.perf_counter()
    await gather_limited(len(visitors), 32, args.ramp, lambda i: target.start_visitor(visitors[i]))  # type: ignore[attr-defined]
    say(f"{target.label}: {len(visitors)} visitors started in {time.perf_counter() - started:.1f} s")
    try:
        await asyncio.wait_for(asyncio.gather(target.answered_event.wait(), *(v.joined.wait() for v in visitors)),
                               args.answer_timeout)
    except TimeoutError:
        joined = sum(v.joined.is_set() for v in visitors)
        raise BenchError(f"{target.label}: after {args.answer_timeout:.0f} s only {len(target.answered)} of "
                         f"{len(visitors)} conversations were answered ({joined} visitors saw their operator); "
                         f"failures: {dict(ledger.failures)}") from None
    answer_s = time.perf_counter() - started
    say(f"{target.label}: every visitor answered after {answer_s:.1f} s; writing for {args.warmup:.0f} + "
        f"{args.seconds:.0f} s")

    # Both sides of every conversation write `per_minute` a minute, each at its own phase.
    period = 60.0 / args.per_minute
    jitter = 0.2 * period
    # The server at rest, every socket open: what it costs before anyone writes.
    rest0, rest_at = cpu_seconds(server_pid), time.perf_counter()
    await asyncio.sleep(3.0)
    rest_share = (cpu_seconds(server_pid) - rest0) / (time.perf_counter() - rest_at)
    sending_from = time.perf_counter() + 0.5
    window_from = sending_from + args.warmup
    window_to = window_from + args.seconds

    # Evenly spread: stream i of n first writes at jitter + (slot + ½)·period/n, slots shuffled.
    slots = list(range(len(visitors) + len(target.answered)))
    rng.shuffle(slots)

    async def stream(key: str, direction: str, conversation: str, send: Callable[[str], Awaitable[bool]]) -> None:
        phase = jitter + (slots.pop() + 0.5) * period / (len(visitors) + len(target.answered))
        k = 0
        while True:
            due = sending_from + phase + k * period + rng.uniform(-jitter, jitter)
            k += 1
            if due >= window_to:
                return
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            mid = f"{key}n{k:04d}"
            entry = ledger.start(mid, direction, conversation)
            try:
                entry.ok = await send(mid)
            except BenchError as error:
                entry.ok = False
                ledger.fail(str(error)[:200])

    streams = []
    for v in visitors:
        streams.append(stream(f"v{v.index:05d}", "v2o", v.conversation,
                              lambda mid, v=v: target.visitor_send(v, mid)))  # type: ignore[attr-defined]
    for conversation, op in target.answered.items():
        streams.append(stream(f"o{op.id}c{op.conversations.index(conversation)}", "o2v", conversation,
                              lambda mid, op=op, c=conversation: target.operator_send(op, c, mid)))  # type: ignore[attr-defined]
    lag = LoopLag()
    sending = asyncio.gather(*streams)
    await asyncio.sleep(max(0.0, window_from - time.perf_counter()))
    cpu0, client0, db0, all0 = cpu_seconds(server_pid), time.process_time(), db_cpu(), machine_busy_seconds()
    lag_task = asyncio.create_task(lag.run())
    await asyncio.sleep(max(0.0, window_to - time.perf_counter()))
    cpu1, client1, db1, all1 = cpu_seconds(server_pid), time.process_time(), db_cpu(), machine_busy_seconds()
    rss, peak = memory_mb(server_pid)
    lag.running = False
    await lag_task
    await sending
    # Let the last ones arrive (never counted against the window's rates or CPU).
    deadline = time.perf_counter() + args.drain
    while time.perf_counter() < deadline and any(s.ok and not s.received for s in ledger.sent.values()):
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)  # a duplicate would come right behind

    measured = [s for s in ledger.sent.values() if window_from <= s.at < window_to]
    carried = [s for s in measured if s.ok and s.received]
    return Figures(
        label=target.label, setup_s=setup_s, answer_s=answer_s, window_s=args.seconds,
        intended_per_s=len(streams) / period, carried_per_s=len(carried) / args.seconds,
        v2o=[s.received[0] - s.at for s in carried if s.direction == "v2o"],
        o2v=[s.received[0] - s.at for s in carried if s.direction == "o2v"],
        server_cpu_s=cpu1 - cpu0, client_cpu_s=client1 - client0, rss_mb=rss, peak_mb=peak,
        db_cpu_s=None if db0 is None or db1 is None else db1 - db0, machine_cpu_s=all1 - all0,
        rest_share=rest_share,
        lost=sum(1 for s in ledger.sent.values() if s.ok and not s.received),
        duplicated=sum(1 for s in ledger.sent.values() if len(s.received) > 1),
        misrouted=ledger.misrouted + ledger.strangers, failed=sum(1 for s in ledger.sent.values() if not s.ok),
        failures=ledger.failures, lag_p99=percentile(lag.lags, 0.99), messages=len(carried))


# ----------------------------------------------------------------- the servers

def seed(url: str, operators: int, capacity: int) -> None:
    """The project, its operators (one queue, all on the widget's queue), the widget; before
    the server starts, as bench_server.py does."""
    from dozvon.acd.service import RouterService
    from dozvon.core.db import dispose_all, get_engine, session_factory, upgrade
    from dozvon.routing.model import OperatorConfig, QueueConfig
    from dozvon.widget import visitors as widget

    upgrade(url)
    engine = get_engine(url)
    create_operator_logins(engine, PROJECT, "Web bench", operators, PASSWORD)
    svc = RouterService(engine, PROJECT)
    # A long offer timeout: 1,000 offers while ramping up must not ring out before they are read.
    svc.run(lambda e: e.add_queue(QueueConfig(name=QUEUE, strategy="least_busy", offer_timeout_s=300)))
    for i in range(operators):
        cfg = OperatorConfig.from_dict({"id": f"op{i:04d}", "name": f"Оператор {i}", "queues": [QUEUE],
                                        "capacity": {"chat": capacity}})
        svc.run(lambda e, c=cfg: e.add_operator(c))  # type: ignore[misc]
    with session_factory(engine).begin() as session:
        widget.save_settings(session, "bench", PROJECT, queue=QUEUE, title="Bench shop",
                             prechat={"name": "optional", "phone": "off", "email": "off"})
    dispose_all()


def start(command: list[str], env: dict[str, str], port: int, log: Path, what: str) -> subprocess.Popen[bytes]:
    """A server process, ready when /readyz answers 200; its output goes to ``log``."""
    with open(log, "wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    code = process.poll()
    if code is None:
        process.kill()
        process.wait()
    tail = log.read_text(errors="replace").strip().splitlines()[-25:]
    raise BenchError(f"{what} did not start on port {port} "
                     f"({'exit code ' + str(code) if code is not None else 'not ready within 120 s'}); "
                     f"its last output:\n    " + "\n    ".join(tail or ["(none)"]))


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def fresh_postgres(server_url: str) -> tuple[str, str, str]:
    """A new database on the server of ``server_url``: (its URL, its name, the admin URL)."""
    import psycopg

    admin = re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql://", server_url)
    name = f"dozvon_webbench_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as error:
        raise BenchError(f"cannot create a database on {admin}: {error}") from None
    return f"{admin.rsplit('/', 1)[0]}/{name}", name, admin


def drop_postgres(admin: str, name: str) -> None:
    import psycopg

    from dozvon.core.db import dispose_all

    dispose_all()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postgres_cpu(admin: str, name: str) -> Callable[[], float | None]:
    """CPU seconds of the PostgreSQL backends serving the bench database, when they run on
    this machine and their /proc is readable; else None."""
    import psycopg

    def read() -> float | None:
        try:
            with psycopg.connect(admin, autocommit=True) as conn:
                pids = [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (name,))]
            return sum(cpu_seconds(pid) for pid in pids) if pids else None
        except (OSError, psycopg.Error):
            return None
    return read


async def measure(target: Harness, args: argparse.Namespace, pid: int,
                  db_cpu: Callable[[], float | None]) -> Figures:
    try:
        return await run(target, args, pid, db_cpu)
    finally:
        await target.close()


def run_relay(args: argparse.Namespace, folder: Path) -> Figures:
    say(f"bare relay: {args.operators} operators, {args.visitors} visitors")
    port = free_port()
    process = start([sys.executable, str(HERE / "web_relay.py"), str(port)], dict(os.environ), port,
                    folder / "relay.log", "the bare relay")
    try:
        return asyncio.run(measure(Relay(f"http://127.0.0.1:{port}", Ledger(), args.operator_commands, []), args,
                                   process.pid, lambda: None))
    finally:
        stop(process)


def run_dozvon(args: argparse.Namespace, folder: Path) -> tuple[Figures, str]:
    cleanup: tuple[str, str] | None = None
    db_cpu: Callable[[], float | None] = lambda: None  # noqa: E731
    if args.database_url and not args.database_url.startswith("sqlite"):
        url, name, admin = fresh_postgres(args.database_url)
        cleanup, db_cpu, database = (admin, name), postgres_cpu(admin, name), f"PostgreSQL (fresh database {name})"
    else:
        url = args.database_url or f"sqlite:///{folder}/dozvon.db"
        if url.startswith("sqlite:///") and Path(url.removeprefix("sqlite:///")).exists():
            raise BenchError(f"{url} exists: the bench needs a database of its own")
        database = "SQLite (a file)"
    try:
        say(f"Dozvon on {database}: seeding {args.operators} operators")
        seed(url, args.operators, args.capacity)
        port = free_port()
        env = {**os.environ, "DATABASE_URL": url, "DOZVON_LOG_LEVEL": "warning", "FORWARDED_ALLOW_IPS": "127.0.0.1"}
        process = start([sys.executable, "-m", "dozvon", "serve", "--port", str(port)], env, port,
                        folder / "dozvon.log", "the Dozvon server")
        try:
            figures = asyncio.run(measure(Dozvon(f"http://127.0.0.1:{port}", Ledger(), args.operator_commands), args,
                                          process.pid, db_cpu))
        except (httpx.HTTPError, OSError, websockets.WebSocketException) as error:
            code = process.poll()
            tail = (folder / "dozvon.log").read_text(errors="replace").strip().splitlines()[-15:]
            raise BenchError(f"the load on Dozvon failed: {error!r}; server "
                             f"{'exited with ' + str(code) if code is not None else 'still running'}; its last output:"
                             f"\n    " + "\n    ".join(tail or ["(none)"])) from None
        finally:
            stop(process)
        errors = [line for line in (folder / "dozvon.log").read_text(errors="replace").splitlines()
                  if "Traceback" in line or "ERROR" in line]
        if errors:
            print(f"note: the Dozvon server logged {len(errors)} error line(s), the first: {errors[0][:300]}")
    finally:
        if cleanup:
            drop_postgres(*cleanup)
    return figures, database


# ----------------------------------------------------------------- the table

def report(args: argparse.Namespace, dozvon: Figures, relay: Figures, database: str) -> None:
    def ms(values: list[float], q: float) -> float:
        return 1000 * percentile(values, q)

    def ratio(a: float, b: float) -> str:
        return f"×{a / b:.1f}" if b > 0 and a == a and b == b else "–"

    def cpu_ms(f: Figures) -> float:
        return 1000 * f.server_cpu_s / f.messages if f.messages else float("nan")

    rows: list[tuple[str, str, str, str]] = []

    def row(name: str, a: float, b: float, fmt: str = "{:,.1f}", compare: bool = True) -> None:
        rows.append((name, fmt.format(a), fmt.format(b), ratio(a, b) if compare else ""))

    row("visitor → operator's socket p50, ms", ms(dozvon.v2o, 0.5), ms(relay.v2o, 0.5))
    row("visitor → operator's socket p99, ms", ms(dozvon.v2o, 0.99), ms(relay.v2o, 0.99))
    row("operator → visitor's socket p50, ms", ms(dozvon.o2v, 0.5), ms(relay.o2v, 0.5))
    row("operator → visitor's socket p99, ms", ms(dozvon.o2v, 0.99), ms(relay.o2v, 0.99))
    row("max of both directions, ms", ms(dozvon.v2o + dozvon.o2v, 1.0), ms(relay.v2o + relay.o2v, 1.0))
    row("messages/s intended", dozvon.intended_per_s, relay.intended_per_s, compare=False)
    row("messages/s carried", dozvon.carried_per_s, relay.carried_per_s, compare=False)
    row("server CPU per message, ms", cpu_ms(dozvon), cpu_ms(relay), "{:,.2f}")
    row("server CPU, % of one core", 100 * dozvon.server_cpu_s / dozvon.window_s,
        100 * relay.server_cpu_s / relay.window_s, "{:,.0f}")
    row("  of which at rest (before any message)", 100 * dozvon.rest_share, 100 * relay.rest_share, "{:,.0f}",
        compare=False)
    if dozvon.db_cpu_s is not None:
        rows.append(("  + PostgreSQL backends, % of one core", f"{100 * dozvon.db_cpu_s / dozvon.window_s:,.0f}", "–",
                     ""))
    row("server memory (RSS now / peak), MiB", dozvon.rss_mb, relay.rss_mb, "{:,.0f}")
    rows[-1] = (rows[-1][0], f"{dozvon.rss_mb:,.0f} / {dozvon.peak_mb:,.0f}", f"{relay.rss_mb:,.0f} / {relay.peak_mb:,.0f}",
                rows[-1][3])
    row("load generator CPU, % of one core", 100 * dozvon.client_cpu_s / dozvon.window_s,
        100 * relay.client_cpu_s / relay.window_s, "{:,.0f}", compare=False)
    row("everything else on the machine, % of one core",
        100 * (dozvon.machine_cpu_s - dozvon.server_cpu_s - dozvon.client_cpu_s - (dozvon.db_cpu_s or 0)) / dozvon.window_s,
        100 * (relay.machine_cpu_s - relay.server_cpu_s - relay.client_cpu_s) / relay.window_s, "{:,.0f}",
        compare=False)
    row("load generator loop lag p99, ms", 1000 * dozvon.lag_p99, 1000 * relay.lag_p99, compare=False)
    for name, attr in (("lost (sent, never arrived)", "lost"), ("duplicated", "duplicated"),
                       ("misrouted or unknown", "misrouted"), ("failed sends", "failed")):
        row(name, getattr(dozvon, attr), getattr(relay, attr), "{:,d}", compare=False)

    print(f"\n{args.operators} operators (chat capacity {args.capacity}) and {args.visitors} widget visitors; "
          f"both sides of every conversation write {args.per_minute:g} messages a minute; "
          f"{args.seconds:.0f} s measured after {args.warmup:.0f} s warm-up; operators' commands over "
          f"{'REST, as the desktop page does' if args.operator_commands == 'rest' else 'the socket'}; "
          f"Dozvon on {database}; {os.cpu_count()} CPU(s), servers and load generator share this machine")
    print(f"set-up: Dozvon {dozvon.setup_s:.1f} s to log in and connect the operators, {dozvon.answer_s:.1f} s for "
          f"the visitors to start and all be answered; bare relay {relay.setup_s:.1f} s and {relay.answer_s:.1f} s\n")
    widths = [max(len(r[i]) for r in [*rows, ("", "Dozvon", "bare relay", "Dozvon / relay")]) for i in range(4)]
    header = ("", "Dozvon", "bare relay", "Dozvon / relay")
    print(f"{header[0]:<{widths[0]}}  {header[1]:>{widths[1]}}  {header[2]:>{widths[2]}}  {header[3]:>{widths[3]}}")
    for r in rows:
        print(f"{r[0]:<{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]:>{widths[2]}}  {r[3]:>{widths[3]}}")
    print(f"\nDozvon p99 visitor → operator {ms(dozvon.v2o, 0.99):.1f} ms vs bare relay {ms(relay.v2o, 0.99):.1f} ms "
          f"({ratio(ms(dozvon.v2o, 0.99), ms(relay.v2o, 0.99))}); operator → visitor {ms(dozvon.o2v, 0.99):.1f} ms vs "
          f"{ms(relay.o2v, 0.99):.1f} ms ({ratio(ms(dozvon.o2v, 0.99), ms(relay.o2v, 0.99))}); "
          f"{cpu_ms(dozvon):.2f} ms of server CPU per message vs {cpu_ms(relay):.2f} ms "
          f"({ratio(cpu_ms(dozvon), cpu_ms(relay))})")
    for f in (dozvon, relay):
        if f.failures:
            print(f"{f.label}: " + "; ".join(f"{n}× {why}" for why, n in f.failures.most_common(5)))
    if dozvon.lost or dozvon.duplicated or dozvon.misrouted:
        print("Dozvon LOST, DUPLICATED OR MISROUTED MESSAGES: see above; every one must arrive exactly once")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--operators", type=int, default=300)
    parser.add_argument("--visitors", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60.0, help="the measured window")
    parser.add_argument("--warmup", type=float, default=15.0, help="seconds of the same traffic before the window")
    parser.add_argument("--per-minute", type=float, default=2.0, help="messages a minute from each side of each chat")
    parser.add_argument("--capacity", type=int, default=4, help="each operator's chat capacity")
    parser.add_argument("--ramp", type=float, default=25.0, help="visitors starting per second during set-up")
    parser.add_argument("--operator-commands", choices=("rest", "socket"), default="rest",
                        help="accept and reply over REST (what the desktop page does) or as socket commands")
    parser.add_argument("--database-url", default=None,
                        help="a PostgreSQL server (postgresql://postgres@127.0.0.1:5432/postgres): the bench creates "
                             "a fresh database on it and drops it; default: a SQLite file in a temporary folder")
    parser.add_argument("--answer-timeout", type=float, default=300.0)
    parser.add_argument("--drain", type=float, default=20.0, help="seconds to wait for the last messages")
    args = parser.parse_args()
    if args.operators * args.capacity < args.visitors:
        parser.error(f"{args.operators} operators × chat capacity {args.capacity} cannot take {args.visitors} visitors")
    if args.seconds <= 0 or args.per_minute <= 0 or args.operators < 1 or args.visitors < 1:
        parser.error("--seconds, --per-minute, --operators and --visitors must be positive")
    try:
        with tempfile.TemporaryDirectory() as folder:
            relay = run_relay(args, Path(folder))
            dozvon, database = run_dozvon(args, Path(folder))
    except BenchError as error:
        raise SystemExit(f"bench_web: {error}") from None
    report(args, dozvon, relay, database)


if __name__ == "__main__":
    main()
