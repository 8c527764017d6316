"""Latency of single routing decisions in a 10,000-operator, 500-queue center.

A busy center (most operators on a contact, queues with backlogs) is built, then random
commands are timed one by one: an arrival (choose an operator), an answer (withdraw the
other ring-all offers), a finished contact (the freed operator chooses the next contact
across its queues), an operator going on a break. Printed next to the baseline of the
naive design measured in the same run: choosing an operator by scanning every operator.
    .venv/bin/python bench/bench_decision.py [--operators 10000] [--queues 500] [--ops 20000]
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time

from dozvon.core.clock import ManualClock
from dozvon.routing import ContactSpec, Disposition, OperatorConfig, QueueConfig, RoutingEngine

STRATEGIES = ["longest_idle", "round_robin", "least_busy", "skills", "ring_all"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def build(operators: int, queues: int, rng: random.Random) -> tuple[RoutingEngine, ManualClock]:
    clock = ManualClock(1_767_600_000.0)
    engine = RoutingEngine(clock)
    for i in range(queues):
        strategy = STRATEGIES[i % len(STRATEGIES)] if i % 25 else "ring_all"
        if strategy == "ring_all" and i % 25:
            strategy = "longest_idle"
        engine.add_queue(
            QueueConfig(
                f"q{i}",
                strategy=strategy,
                offer_timeout_s=20,
                required_skills={"s": 1} if strategy == "skills" else {},
            )
        )
    for i in range(operators):
        member_of = tuple(sorted({f"q{rng.randrange(queues)}" for _ in range(3)}))
        engine.add_operator(
            OperatorConfig(
                f"op{i}",
                queues=member_of,
                skills={"s": rng.randint(1, 5)},
                capacity={"voice": 1, "chat": 3, "email": 2},
            )
        )
        engine.login(f"op{i}")
    engine.drain_events()
    return engine, clock


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--operators", type=int, default=10_000)
    parser.add_argument("--queues", type=int, default=500)
    parser.add_argument("--ops", type=int, default=20_000)
    parser.add_argument(
        "--freeze",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="gc.freeze() after the center is loaded (default on; --no-freeze to compare)",
    )
    parser.add_argument(
        "--gc",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="keep CPython's cyclic GC on while timing (--no-gc shows its share of the max)",
    )
    args = parser.parse_args()
    rng = random.Random(42)
    started = time.perf_counter()
    engine, clock = build(args.operators, args.queues, rng)
    print(
        f"center: {args.operators:,} operators, {args.queues} queues, each operator in up to 3 queues "
        f"(built in {time.perf_counter() - started:.1f} s)"
    )

    arrived = 0

    def arrive() -> None:
        nonlocal arrived
        arrived += 1
        channel = rng.choice(("voice", "voice", "chat", "email"))
        engine.contact_arrived(
            ContactSpec(
                f"c{arrived}",
                f"q{rng.randrange(args.queues)}",
                channel=channel,
                segment=rng.choice((None, None, "vip")),
            )
        )

    # Fill the center: answer everything until most capacity is taken and queues back up.
    while sum(1 for c in engine.contacts.values() if c.state == "waiting") < args.operators // 10:
        arrive()
        for offer_id in list(engine.offers)[:1]:
            engine.accept(offer_id)
    engine.drain_events()
    if args.freeze:
        gc.collect()
        gc.freeze()  # what a server does after loading: long-lived state leaves the GC's scans
    busy = sum(1 for op in engine.operators.values() if op.contacts)
    waiting = sum(1 for c in engine.contacts.values() if c.state == "waiting")
    print(
        f"state: {busy:,} operators holding contacts, {waiting:,} contacts waiting, {len(engine.offers):,} offers ringing"
    )

    if not args.gc:
        gc.disable()
    timings: dict[str, list[float]] = {
        "arrival": [],
        "accept": [],
        "finish (next contact)": [],
        "break/return": [],
    }
    for _ in range(args.ops):
        roll = rng.random()
        clock.advance(rng.random() * 0.05)
        if roll < 0.35:
            t = time.perf_counter_ns()
            arrive()
            timings["arrival"].append(time.perf_counter_ns() - t)
        elif roll < 0.6 and engine.offers:
            offer_id = (
                rng.choice(list(engine.offers)) if len(engine.offers) < 64 else next(iter(engine.offers))
            )
            t = time.perf_counter_ns()
            engine.accept(offer_id)
            timings["accept"].append(time.perf_counter_ns() - t)
        elif roll < 0.95:
            connected = next((c for c in engine.contacts.values() if c.state == "connected"), None)
            if connected is None:
                continue
            t = time.perf_counter_ns()
            engine.finish_wrap_up(connected.id, Disposition("new_inquiry", True))
            timings["finish (next contact)"].append(time.perf_counter_ns() - t)
        else:
            op = f"op{rng.randrange(args.operators)}"
            state = "break" if engine.operators[op].state == "available" else "available"
            t = time.perf_counter_ns()
            engine.set_state(op, state, "coffee" if state == "break" else None)
            timings["break/return"].append(time.perf_counter_ns() - t)
        engine.drain_events()

    # Baseline: the naive design picks an operator by scanning every operator each time.
    operators = list(engine.operators.values())
    naive = []
    for _ in range(2000):
        queue = f"q{rng.randrange(args.queues)}"
        t = time.perf_counter_ns()
        best = None
        for op in operators:
            if (
                queue in op.cfg.queues
                and op.state == "available"
                and op.load["voice"] < 1
                and (best is None or op.idle_since < best.idle_since)
            ):
                best = op
        naive.append(time.perf_counter_ns() - t)

    print(f"{'decision':24} {'count':>7} {'p50 µs':>9} {'p99 µs':>9} {'max µs':>9}")
    everything = []
    for name, values in timings.items():
        everything += values
        if values:
            print(
                f"{name:24} {len(values):>7} {statistics.median(values) / 1e3:>9.1f} "
                f"{percentile(values, 0.99) / 1e3:>9.1f} {max(values) / 1e3:>9.1f}"
            )
    p99 = percentile(everything, 0.99) / 1e3
    naive_p99 = percentile(naive, 0.99) / 1e3
    print(
        f"{'all decisions':24} {len(everything):>7} {statistics.median(everything) / 1e3:>9.1f} {p99:>9.1f} "
        f"{max(everything) / 1e3:>9.1f}"
    )
    print(
        f"{'baseline: scan all ops':24} {len(naive):>7} {statistics.median(naive) / 1e3:>9.1f} "
        f"{naive_p99:>9.1f} {max(naive) / 1e3:>9.1f}"
    )
    print(
        f"p99 of a routing decision: {p99:.0f} µs (goal < 1,000 µs); the naive scan's p99 is {naive_p99 / p99:.0f}x that"
    )


if __name__ == "__main__":
    main()
