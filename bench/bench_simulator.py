"""Simulator throughput, timed in the same run against two SimPy peers:

1. a day of a 1,000-operator, 50-queue center on the real engine, next to a bare SimPy
   M/M/n+M model of the same traffic (the textbook minimum);
2. the same center with the behaviour a contact center has — round robin by turns, an
   answer delay, RONA to the next operator, wrap-up, operator groups serving two queues,
   patience — on the real engine, next to a hand-written SimPy model of that same
   behaviour (bench/simpy_same_behaviour.py, checked to agree on the KPIs by
   tests/sim/test_simpy_peer.py): what a user would write instead.

Prints figures and ratios; asserts nothing (machines are shared and noisy).
    .venv/bin/python bench/bench_simulator.py [--hours 24] [--queues 50] [--per-queue 20]
"""

from __future__ import annotations

import argparse
import random
import time

import simpy
from simpy_same_behaviour import Center
from simpy_same_behaviour import run as run_same_behaviour

from dozvon.sim.scenario import parse_scenario
from dozvon.sim.simulator import simulate

AHT_S = 180.0
PATIENCE_S = 120.0


def scenario(hours: float, queues: int, per_queue: int, load: float) -> dict:
    rate_per_hour = load * per_queue / AHT_S * 3600
    return {
        "seed": 1,
        "duration_s": hours * 3600,
        "warmup_s": 0,
        "queues": [
            {"name": f"q{i}", "strategy": "longest_idle", "offer_timeout_s": 20} for i in range(queues)
        ],
        "agents": [
            {"name": f"q{i}_op", "count": per_queue, "queues": [f"q{i}"], "capacity": {"voice": 1}}
            for i in range(queues)
        ],
        "traffic": [
            {
                "queue": f"q{i}",
                "channel": "voice",
                "arrivals_per_hour": rate_per_hour,
                "handle_time_s": {"dist": "exponential", "mean": AHT_S},
                "patience_s": {"dist": "exponential", "mean": PATIENCE_S},
            }
            for i in range(queues)
        ],
    }


def simpy_model(hours: float, queues: int, per_queue: int, load: float) -> tuple[int, float, dict]:
    """The textbook SimPy M/M/n+M: one Resource per queue, patience as a timeout race."""
    rng = random.Random(1)
    env = simpy.Environment()
    lam = load * per_queue / AHT_S
    stats = {"answered": 0, "abandoned": 0}
    counter = [0]

    def customer(resource: simpy.Resource) -> simpy.events.Event:
        with resource.request() as request:
            patience = env.timeout(rng.expovariate(1 / PATIENCE_S))
            outcome = yield request | patience
            if request in outcome:
                stats["answered"] += 1
                yield env.timeout(rng.expovariate(1 / AHT_S))
            else:
                stats["abandoned"] += 1

    def source(resource: simpy.Resource) -> simpy.events.Event:
        while True:
            yield env.timeout(rng.expovariate(lam))
            if env.now >= hours * 3600:
                return
            counter[0] += 1
            env.process(customer(resource))

    for _ in range(queues):
        env.process(source(simpy.Resource(env, capacity=per_queue)))
    start = time.perf_counter()
    env.run()
    return counter[0], time.perf_counter() - start, stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--queues", type=int, default=50)
    parser.add_argument("--per-queue", type=int, default=20)
    parser.add_argument("--load", type=float, default=0.9, help="offered load per operator")
    args = parser.parse_args()

    print(
        f"center: {args.queues} queues x {args.per_queue} operators = {args.queues * args.per_queue} "
        f"operators, {args.hours:g} h, load {args.load:.2f}, AHT {AHT_S:g} s, patience {PATIENCE_S:g} s"
    )
    result = simulate(parse_scenario(scenario(args.hours, args.queues, args.per_queue, args.load)))
    n, wall = result["contacts_simulated"], result["wall_s"]
    print(
        f"dozvon simulate (real engine + KPIs): {n:>9,} contacts in {wall:7.2f} s = {n / wall:>10,.0f} contacts/s"
        f"  (answered {result['answered']:,}, abandoned {result['abandoned']:,},"
        f" SL {result['kpi']['service_level']:.3f})"
    )
    m, simpy_wall, stats = simpy_model(args.hours, args.queues, args.per_queue, args.load)
    print(
        f"SimPy M/M/n+M baseline:               {m:>9,} contacts in {simpy_wall:7.2f} s = "
        f"{m / simpy_wall:>10,.0f} contacts/s  (answered {stats['answered']:,}, abandoned {stats['abandoned']:,})"
    )
    ratio = (n / wall) / (m / simpy_wall)
    print(f"ratio dozvon / bare SimPy: {ratio:.2f}x   (goal: >= 1x)")

    center = Center(groups=args.queues // 2, per_group=2 * args.per_queue, hours=args.hours, load=args.load)
    print(f"\nsame behaviour: {center.groups} groups x {center.per_group} operators, 2 queues each, round robin, "
          f"answer delay {center.answer_delay_s:g} s, answer probability {center.answer_probability:g}, "
          f"RONA after {center.offer_timeout_s:g} s, wrap-up {center.wrap_up_s:g} s")
    ours = simulate(parse_scenario(center.scenario()))
    n2, wall2 = ours["contacts_simulated"], ours["wall_s"]
    start = time.perf_counter()
    m2, kpi = run_same_behaviour(center)
    peer_wall = time.perf_counter() - start
    print(f"dozvon simulate:                      {n2:>9,} contacts in {wall2:7.2f} s = {n2 / wall2:>10,.0f} contacts/s"
          f"  (SL {ours['kpi']['service_level']:.3f}, abandoned {ours['kpi']['lcr']:.3f}, RONA {ours['kpi']['rona']})")
    print(f"SimPy model of the same behaviour:    {m2:>9,} contacts in {peer_wall:7.2f} s = "
          f"{m2 / peer_wall:>10,.0f} contacts/s  (SL {kpi['service_level']:.3f}, abandoned {kpi['abandon_rate']:.3f},"
          f" RONA {kpi['rona']:.0f})")
    print(f"ratio dozvon / SimPy same behaviour: {(n2 / wall2) / (m2 / peer_wall):.2f}x   (goal: >= 2x, stretch 3x)")


if __name__ == "__main__":
    main()
