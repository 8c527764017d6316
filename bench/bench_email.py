"""The e-mail channel under load: mails per second taken in through a mailbox (IMAP →
ingest → details and files → \\Seen), and the delay from a mail's APPEND to the offer on
an operator's WebSocket (p50/p99) — next to the same messages through the plain ingest
API (POST …/ingest/contacts), measured in the same run on the same server. Figures, never
a pass/fail.

The server runs in this process (uvicorn in a thread, as the tests run it), pinned with
the load to 2 cores where the machine allows; Dovecot (Debian's ``dovecot-imapd``, the
tests' own configuration, tests/channels/mailservers.py) is the mail server. Each path has
a project of its own with the same operators, so neither starts with the other's offers.

- **rate**: ``--mails`` mails are APPENDed while the mailbox is switched off; the clock runs
  from the first mail stored (the worker has logged in) until the last is stored (and, a
  second figure, flagged \\Seen). The baseline
  POSTs as many contacts to the ingest API from ``--concurrency`` clients.
- **delay**: ``--latency-n`` mails, one at a time: APPEND (the moment the mail server has
  it) → ``offer.created`` on the operator's socket. The baseline: the POST → the offer.

    .venv/bin/python bench/bench_email.py [--mails 500] [--latency-n 100] [--concurrency 8] [--database sqlite|postgres]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from email.message import EmailMessage
from typing import Any

from sqlalchemy import func, select

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

from web_harness import percentile  # noqa: E402

from dozvon.accounts import actions as accounts  # noqa: E402
from dozvon.conversations.models import Message  # noqa: E402
from dozvon.core.db import upgrade  # noqa: E402
from dozvon.routing.model import OperatorConfig, QueueConfig  # noqa: E402
from tests.channels.mailservers import PASSWORD, Dovecot, dovecot_missing  # noqa: E402
from tests.conftest import new_postgres_database  # noqa: E402
from tests.server.conftest import PASSWORD as USER_PASSWORD  # noqa: E402
from tests.server.conftest import Live, start_server  # noqa: E402
from tests.server.wsutil import open_stream  # noqa: E402

ADDRESS = "desk@shop.test"
PROJECTS = ("mail", "api")


def _mail(i: int, tag: str) -> bytes:
    m = EmailMessage()
    m["From"] = f"Customer {i} <c{i}-{tag}@example.ru>"
    m["To"] = ADDRESS
    m["Subject"] = f"Question {i}"
    m["Message-ID"] = f"<{tag}-{i}@example.ru>"
    m.set_content(f"Hello, this is question number {i}. Where is my order?\n" * 3)
    return m.as_bytes()


def _world(live: Live) -> dict[str, str]:
    hub = live.hub
    tokens = {}
    with hub.sessions.begin() as session:
        accounts.create_user(session, "bench", "root", USER_PASSWORD, superadmin=True)
        for p in PROJECTS:
            accounts.create_project(session, "bench", p, p)
            accounts.create_user(session, "bench", f"{p}-op", USER_PASSWORD)
            accounts.set_membership(session, "bench", p, f"{p}-op", "operator", "op1")
            tokens[p], _ = accounts.create_token(session, "bench", p, "bench", ["ingest"])
    for p in PROJECTS:
        svc = hub.service(p)
        svc.run(lambda e: e.add_queue(QueueConfig(name="sales", strategy="round_robin", offer_timeout_s=3600)))
        svc.run(lambda e: e.add_operator(OperatorConfig.from_dict(
            {"id": "op1", "queues": ["sales"], "capacity": {"voice": 1, "chat": 10_000, "email": 10_000}})))
    return tokens


def _stored(live: Live, project: str) -> int:
    with live.hub.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Message).where(Message.project == project)) or 0)


def _wait_stored(live: Live, project: str, count: int, timeout: float = 600) -> float:
    deadline = time.monotonic() + timeout
    while _stored(live, project) < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"only {_stored(live, project)} of {count} stored in {timeout} s")
        time.sleep(0.01)
    return time.perf_counter()


def _connect_mailbox(live: Live, dovecot: Dovecot) -> None:
    with closing(live.client("root")) as root:
        made = root.post("/api/v1/projects/mail/channels", json={
            "kind": "email", "name": "support", "queue": "sales", "secret": PASSWORD,
            "settings": {"address": ADDRESS, "imap_host": "127.0.0.1", "imap_port": dovecot.port,
                         "imap_security": "none", "smtp_host": "127.0.0.1", "smtp_port": 25,
                         "smtp_security": "none"}})
        assert made.status_code == 201, made.text


def rate(live: Live, dovecot: Dovecot, tokens: dict[str, str], n: int, concurrency: int) -> dict[str, float]:
    raws = [_mail(i, "rate") for i in range(n)]
    already = _stored(live, "mail")
    with closing(live.client("root")) as root:
        assert root.patch("/api/v1/projects/mail/channels/support", json={"enabled": False}).status_code == 200
        time.sleep(3)  # the supervisor has stopped the worker
        with dovecot.mailbox() as box:
            for raw in raws:
                box.append(raw, "INBOX")
        assert root.patch("/api/v1/projects/mail/channels/support", json={"enabled": True}).status_code == 200
    # From the first mail stored to the last: the supervisor's pick-up (up to 2 s) and the
    # login are not the channel's throughput.
    start = _wait_stored(live, "mail", already + 1)
    mail_s = (_wait_stored(live, "mail", already + n) - start) * n / (n - 1)
    with dovecot.mailbox() as box:
        while box.uids("UNSEEN"):
            time.sleep(0.01)
    seen_s = time.perf_counter() - start

    client = live.token_client("api")

    def post(i: int) -> None:
        answer = client.post("/api/v1/projects/api/ingest/contacts", json={
            "channel": "email", "external_id": f"<rate-{i}@example.ru>", "queue": "sales",
            "customer": {"id": f"c{i}-rate@example.ru", "name": f"Customer {i}"},
            "text": f"Hello, this is question number {i}. Where is my order?\n" * 3})
        assert answer.status_code == 201, answer.text

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(post, range(n)))
    api_s = time.perf_counter() - start
    return {"mail_per_s": n / mail_s, "mail_all_seen_per_s": n / seen_s, "api_per_s": n / api_s}


def delay(live: Live, dovecot: Dovecot, n: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"mail": [], "api": []}
    for project in PROJECTS:
        with closing(live.client(f"{project}-op")) as op, \
                open_stream(live.ws_url, op, project, after=None) as ws, closing(live.token_client(project)) as api:
            assert ws.command(action="state", state="available")["ok"]
            for i in range(n):
                start = time.perf_counter()
                if project == "mail":
                    dovecot.append(_mail(i, "delay"))
                else:
                    answer = api.post("/api/v1/projects/api/ingest/contacts", json={
                        "channel": "email", "external_id": f"<delay-{i}@example.ru>", "queue": "sales",
                        "customer": {"id": f"c{i}-delay@example.ru", "name": f"Customer {i}"}, "text": "Hello"})
                    assert answer.status_code == 201, answer.text
                ws.wait("offer.created", timeout=30)
                out[project].append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mails", type=int, default=500)
    parser.add_argument("--latency-n", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    missing = dovecot_missing()
    if missing:
        raise SystemExit(missing)
    cores = sorted(os.sched_getaffinity(0))[:2]
    os.sched_setaffinity(0, cores)
    dovecot = Dovecot(users=(ADDRESS,)).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            if args.database == "sqlite":
                url = f"sqlite:///{tmp}/bench.db"
                upgrade(url)
                _run(url, dovecot, args, cores)
            else:
                with new_postgres_database("dozvon_bench_email") as url:
                    upgrade(url)
                    _run(url, dovecot, args, cores)
    finally:
        dovecot.stop()


def _run(url: str, dovecot: Dovecot, args: Any, cores: list[int]) -> None:
    live = start_server(url)
    try:
        tokens = _world(live)
        live.tokens = tokens
        _connect_mailbox(live, dovecot)
        d = delay(live, dovecot, args.latency_n)  # first: every contact is offered at once
        r = rate(live, dovecot, tokens, args.mails, args.concurrency)
    finally:
        live.stop()
    print(f"e-mail channel, {args.database}, cores {cores}, {args.mails} mails, {args.latency_n} for the delay")
    print(f"{'path':<28}{'per second':>12}{'delay p50 ms':>14}{'delay p99 ms':>14}")
    print(f"{'mailbox (IMAP → stored)':<28}{r['mail_per_s']:>12.1f}{percentile(d['mail'], 0.5):>14.1f}"
          f"{percentile(d['mail'], 0.99):>14.1f}")
    print(f"{'  … and all flagged Seen':<28}{r['mail_all_seen_per_s']:>12.1f}")
    print(f"{'ingest API (baseline)':<28}{r['api_per_s']:>12.1f}{percentile(d['api'], 0.5):>14.1f}"
          f"{percentile(d['api'], 0.99):>14.1f}")


if __name__ == "__main__":
    main()
