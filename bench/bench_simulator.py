"""Simulator throughput, timed in the same run against two SimPy peers:

1. a day of a 1,000-operator, 50-queue center on the real engine, next to a bare SimPy
   M/M/n+M model of the same traffic (the textbook minimum);
2. the same center with the behaviour a contact center has — round robin by turns, an
   answer delay, RONA to the next operator, wrap-up, operator groups serving two queues,
   patience — on the real engine, next to a hand-written SimPy model of that same
   behaviour (bench/simpy_same_behaviour.py, checked to agree on the KPIs by
   tests/sim/test_simpy_peer.py): what a user would write instead.

Each dozvon figure is given twice where this machine can build it: the pure-Python
package, and the optional mypyc-compiled build of the same modules (dozvon/sim/compiled.py;
run in a child process with that build first on its path; it must report the same KPIs).

Prints figures and ratios; asserts nothing (machines are shared and noisy).
    .venv/bin/python bench/bench_simulator.py [--hours 24] [--queues 50] [--per-queue 20] [--pure-only]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import simpy
from simpy_same_behaviour import Center
from simpy_same_behaviour import run as run_same_behaviour

from dozvon.sim import compiled
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
    start, cpu = time.perf_counter(), time.process_time()
    env.run()
    stats["cpu_s"] = time.process_time() - cpu
    return counter[0], time.perf_counter() - start, stats


def in_compiled_build(build: Path, data: dict[str, Any]) -> dict[str, Any]:
    """``simulate`` on the scenario in a child process that imports the compiled build."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(build), str(Path(__file__).parent)])}
    child = subprocess.run([sys.executable, __file__, "--child"], input=json.dumps(data), env=env,
                           capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(child.stdout)
    if not result.pop("compiled"):
        raise RuntimeError(f"the child did not import the compiled build at {build}")
    return result


def ours_here(data: dict[str, Any]) -> dict[str, Any]:
    """``simulate`` in this process, with the CPU time it took."""
    cpu = time.process_time()
    result = simulate(parse_scenario(data))
    result["cpu_s"] = time.process_time() - cpu
    return result


def child() -> None:
    import dozvon.routing.engine
    result = ours_here(json.load(sys.stdin))
    result["compiled"] = not dozvon.routing.engine.__file__.endswith(".py")
    json.dump(result, sys.stdout)


def line(label: str, n: int, wall: float, cpu: float, extra: str) -> tuple[float, float]:
    """Prints a figure; returns (contacts per wall second, per CPU second). On a shared
    machine the CPU-time figure is the steadier one: other processes steal wall time
    from whichever side happens to run while they do."""
    print(f"{label:<38}{n:>9,} contacts in {wall:7.2f} s = {n / wall:>8,.0f}/s (CPU {cpu:6.2f} s ="
          f" {n / cpu:>8,.0f}/s)  {extra}")
    return n / wall, n / cpu


def ratios(ours: dict[str, tuple[float, float]], peer: tuple[float, float]) -> str:
    return "; ".join(f"{name} {wall / peer[0]:.2f}x (CPU time {cpu / peer[1]:.2f}x)"
                     for name, (wall, cpu) in ours.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--queues", type=int, default=50)
    parser.add_argument("--per-queue", type=int, default=20)
    parser.add_argument("--load", type=float, default=0.9, help="offered load per operator")
    parser.add_argument("--pure-only", action="store_true", help="skip the compiled build")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child()
        return
    build = None
    if not args.pure_only and compiled.available():
        start = time.perf_counter()
        build = compiled.build()
        print(f"compiled build: {build} ({time.perf_counter() - start:.0f} s to build or find)")
    elif not args.pure_only:
        print("compiled build: not available here (needs mypyc and a C compiler); pure Python only")

    print(
        f"center: {args.queues} queues x {args.per_queue} operators = {args.queues * args.per_queue} "
        f"operators, {args.hours:g} h, load {args.load:.2f}, AHT {AHT_S:g} s, patience {PATIENCE_S:g} s"
    )
    data = scenario(args.hours, args.queues, args.per_queue, args.load)
    result = ours_here(data)
    n = result["contacts_simulated"]
    summary = (f"(answered {result['answered']:,}, abandoned {result['abandoned']:,},"
               f" SL {result['kpi']['service_level']:.3f})")
    ours = {"pure Python": line("dozvon simulate (real engine + KPIs):", n, result["wall_s"], result["cpu_s"],
                                summary)}
    if build is not None:
        fast = in_compiled_build(build, data)
        ours["compiled"] = line("  the same, compiled (mypyc):", n, fast["wall_s"], fast["cpu_s"],
                                "(same KPIs)" if fast["kpi"] == result["kpi"] else "(KPIs DIFFER)")
    m, simpy_wall, stats = simpy_model(args.hours, args.queues, args.per_queue, args.load)
    peer = line("SimPy M/M/n+M baseline:", m, simpy_wall, stats["cpu_s"],
                f"(answered {stats['answered']:,}, abandoned {stats['abandoned']:,})")
    print(f"ratio dozvon / bare SimPy: {ratios(ours, peer)}   (goal: >= 1x)")

    center = Center(groups=args.queues // 2, per_group=2 * args.per_queue, hours=args.hours, load=args.load)
    print(f"\nsame behaviour: {center.groups} groups x {center.per_group} operators, 2 queues each, round robin, "
          f"answer delay {center.answer_delay_s:g} s, answer probability {center.answer_probability:g}, "
          f"RONA after {center.offer_timeout_s:g} s, wrap-up {center.wrap_up_s:g} s")
    data = center.scenario()
    result = ours_here(data)
    n = result["contacts_simulated"]
    summary = (f"(SL {result['kpi']['service_level']:.3f}, abandoned {result['kpi']['lcr']:.3f},"
               f" RONA {result['kpi']['rona']})")
    ours = {"pure Python": line("dozvon simulate:", n, result["wall_s"], result["cpu_s"], summary)}
    if build is not None:
        fast = in_compiled_build(build, data)
        ours["compiled"] = line("  the same, compiled (mypyc):", n, fast["wall_s"], fast["cpu_s"],
                                "(same KPIs)" if fast["kpi"] == result["kpi"] else "(KPIs DIFFER)")
    start, cpu = time.perf_counter(), time.process_time()
    m2, kpi = run_same_behaviour(center)
    peer = line("SimPy model of the same behaviour:", m2, time.perf_counter() - start, time.process_time() - cpu,
                f"(SL {kpi['service_level']:.3f}, abandoned {kpi['abandon_rate']:.3f}, RONA {kpi['rona']:.0f})")
    print(f"ratio dozvon / SimPy same behaviour: {ratios(ours, peer)}   (goal: >= 2x, stretch 3x)")


if __name__ == "__main__":
    main()
