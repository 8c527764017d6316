"""Identity lookup at ingest with a large customer base: how many inbound contacts per
second are stored and routed when each is matched to its customer (the CRM's identity
step, with segments and flags) in a project of 1,000,000 customers, next to the same
ingest with no customer base (the channel's id is the customer) in the same run.

The contacts come in batches, as the server's ingest queue hands them over; half are
customers already in the base (a phone written another way than stored), half are new
numbers (the step creates a customer). Nobody answers: every contact waits in its queue,
so what is timed is the ingest itself.

    .venv/bin/python bench/bench_identity.py [--customers 1000000] [--contacts 4000] [--batch 50]
        [--database-url postgresql://postgres@127.0.0.1:5432/postgres]   # a fresh database there
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import insert

from dozvon.accounts import actions as accounts
from dozvon.acd.service import RouterService
from dozvon.conversations.identity import ChannelIdentity, IdentityResolver
from dozvon.conversations.ingest import Inbound, ingest_many
from dozvon.core.db import dispose_all, get_engine, refresh_planner_statistics, session_factory, upgrade
from dozvon.crm.identity import CrmIdentity
from dozvon.crm.models import Customer, CustomerIdentity
from dozvon.routing.model import QueueConfig

CHUNK = 20_000


def phone(n: int) -> str:
    """The n-th customer's number in E.164 (Moscow mobiles: +7 916 …)."""
    return f"+7916{n:07d}"


def written_otherwise(n: int) -> str:
    digits = f"{n:07d}"
    return f"8 (916) {digits[:3]}-{digits[3:5]}-{digits[5:]}"


def project_with_queue(url: str, slug: str) -> RouterService:
    with session_factory(get_engine(url)).begin() as session:
        accounts.create_project(session, "bench", slug, slug, region="RU", timezone="Europe/Moscow")
    svc = RouterService(get_engine(url), slug)
    svc.run(lambda e: e.add_queue(QueueConfig("sales", max_length=None)))
    return svc


def fill_customers(url: str, project: str, count: int) -> float:
    """``count`` customers with one phone each, inserted in bulk. Returns seconds taken."""
    started = time.perf_counter()
    maker = session_factory(get_engine(url))
    for start in range(0, count, CHUNK):
        ids = [uuid.uuid4().hex for _ in range(start, min(count, start + CHUNK))]
        with maker.begin() as session:
            session.execute(insert(Customer), [
                {"id": cid, "project": project, "name": f"Клиент {start + i}", "search_name": f"клиент {start + i}",
                 "segment": None, "attributes": {}, "created_at_us": 0, "updated_at_us": 0}
                for i, cid in enumerate(ids)])
            session.execute(insert(CustomerIdentity), [
                {"project": project, "customer_id": cid, "kind": "phone", "value": phone(start + i), "created_at_us": 0}
                for i, cid in enumerate(ids)])
        if (start // CHUNK) % 10 == 0:
            print(f"  … {start + len(ids):,} customers", file=sys.stderr, flush=True)
    return time.perf_counter() - started


def run(svc: RouterService, resolver: IdentityResolver, numbers: list[str], batch: int) -> tuple[float, list[float]]:
    """Ingest one call per number in batches; returns contacts/s and each batch's ms."""
    times = []
    started = time.perf_counter()
    for start in range(0, len(numbers), batch):
        items = [Inbound("voice", f"call-{uuid.uuid4().hex}", "sales", customer_id=n)
                 for n in numbers[start:start + batch]]
        t = time.perf_counter()
        results = ingest_many(svc, items, resolver)
        times.append((time.perf_counter() - t) * 1000)
        failed = [r for r in results if isinstance(r, Exception)]
        if failed:
            raise SystemExit(f"ingest refused a contact: {failed[0]}")
    return len(numbers) / (time.perf_counter() - started), times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--contacts", type=int, default=4000)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--database-url", help="a PostgreSQL server: a fresh database is made there and dropped")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="dozvon-identity-"))
    url, cleanup = f"sqlite:///{folder}/bench.db", None
    if args.database_url:
        # The test suite's fresh-database helper, on the server given (run as a script, the
        # checkout's root is not on the path by itself).
        os.environ["DOZVON_TEST_POSTGRES_URL"] = args.database_url
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from tests.conftest import new_postgres_database

        cleanup = new_postgres_database("dozvon_identity_bench")
        url = cleanup.__enter__()
    try:
        upgrade(url)
        base = project_with_queue(url, "base")
        plain = project_with_queue(url, "plain")
        print(f"filling {args.customers:,} customers …", file=sys.stderr, flush=True)
        fill_s = fill_customers(url, "base", args.customers)
        # As after `dozvon customers import`, and as the server's maintenance does on SQLite:
        # the planner knows the tables' sizes (without it the lookups ran 3× slower).
        refresh_planner_statistics(get_engine(url))
        rng = random.Random(7)
        known = [written_otherwise(rng.randrange(args.customers)) for _ in range(args.contacts // 2)]
        new = [f"+7925{n:07d}" for n in rng.sample(range(10_000_000), args.contacts - len(known))]
        numbers = known + new
        rng.shuffle(numbers)
        plain_rate, plain_ms = run(plain, ChannelIdentity(), numbers, args.batch)
        crm_rate, crm_ms = run(base, CrmIdentity(), numbers, args.batch)
        with session_factory(get_engine(url))() as session:
            customers = session.query(Customer).filter(Customer.project == "base").count()
        kind = "PostgreSQL" if args.database_url else "SQLite"
        print(f"\n{kind}: {args.customers:,} customers loaded in {fill_s:.1f} s; {args.contacts:,} calls in batches of "
              f"{args.batch}, half from known customers (their number written another way), half new\n")
        print(f"{'':44}{'with identity':>15}{'channel id':>13}{'ratio':>9}")
        print(f"{'ingest, contacts/s':44}{crm_rate:>15,.0f}{plain_rate:>13,.0f}{crm_rate / plain_rate:>8.2f}×")
        for label, q in (("batch p50, ms", 0.5), ("batch p99, ms", 0.99)):
            a = sorted(crm_ms)[min(len(crm_ms) - 1, int(q * len(crm_ms)))]
            b = sorted(plain_ms)[min(len(plain_ms) - 1, int(q * len(plain_ms)))]
            print(f"{label:44}{a:>15.1f}{b:>13.1f}{a / b:>8.2f}×")
        print(f"{'mean batch, ms':44}{statistics.mean(crm_ms):>15.1f}{statistics.mean(plain_ms):>13.1f}")
        print(f"\ncustomers after: {customers:,} (+{customers - args.customers:,} new, expected {len(new):,})")
    finally:
        dispose_all()
        if cleanup is not None:
            cleanup.__exit__(None, None, None)


if __name__ == "__main__":
    main()
