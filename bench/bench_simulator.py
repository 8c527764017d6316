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

Every contender runs ``--rounds`` times, taking turns (the order reversed every other
round); each is given by its fastest run, as ``timeit`` does, and each round's ratio is
printed too. Prints figures and ratios; asserts nothing (machines are shared and noisy).
    .venv/bin/python bench/bench_simulator.py [--hours 24] [--queues 50] [--per-queue 20] [--rounds 3]
        [--pure-only]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
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


#: One contender's run: (contacts, wall seconds, CPU seconds, what it found).
Run = tuple[int, float, float, dict[str, Any]]


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


def interleaved(contenders: dict[str, Callable[[], Run]], rounds: int) -> dict[str, list[Run]]:
    """Each contender run ``rounds`` times, taking turns, the order reversed every other round
    (pure, compiled, SimPy; SimPy, compiled, pure; …): on a shared machine a neighbour's
    burst then lands on every side alike, and no side always runs first or last."""
    runs: dict[str, list[Run]] = {name: [] for name in contenders}
    order = list(contenders)
    for i in range(rounds):
        for name in order if i % 2 == 0 else reversed(order):
            runs[name].append(contenders[name]())
    return runs


def report(runs: dict[str, list[Run]], labels: dict[str, str], peer: str, ours_found: Callable[[dict[str, Any]], str],
           peer_found: Callable[[dict[str, Any]], str], goal: str) -> None:
    """Each contender's fastest run (least CPU: the one a neighbour disturbed least, as
    ``timeit`` takes the minimum) with what it found — the pure package's KPIs, whether
    every run of the compiled build found the same, the peer's own —, the ratios of those,
    and each round's ratio of CPU time against the peer's run of the same round."""
    best = {name: min(done, key=lambda r: r[2]) for name, done in runs.items()}
    kpi = runs["pure Python"][0][3]["kpi"]
    found = {"pure Python": ours_found(best["pure Python"][3]), peer: peer_found(best[peer][3]),
             "compiled": "(same KPIs)" if all(r[3]["kpi"] == kpi for r in runs.get("compiled", ()))
             else "(KPIs DIFFER)"}
    figures = {name: line(labels[name], *best[name][:3], found[name]) for name in runs}
    ours = {name: f for name, f in figures.items() if name != peer}
    rounds = len(runs[peer])
    print(f"ratio dozvon / {peer}, fastest of {rounds} run{'s' if rounds > 1 else ''} each: "
          f"{ratios(ours, figures[peer])}   (goal: {goal})")
    if rounds > 1:
        for name in ours:
            each = [f"{p[2] / r[2]:.2f}x" for r, p in zip(runs[name], runs[peer], strict=True)]
            print(f"  {name}, CPU time round by round: {', '.join(each)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--queues", type=int, default=50)
    parser.add_argument("--per-queue", type=int, default=20)
    parser.add_argument("--load", type=float, default=0.9, help="offered load per operator")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each contender, taking turns")
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
        f"operators, {args.hours:g} h, load {args.load:.2f}, AHT {AHT_S:g} s, patience {PATIENCE_S:g} s; "
        f"{args.rounds} round(s), each contender once per round"
    )
    data = scenario(args.hours, args.queues, args.per_queue, args.load)
    runs = interleaved(_ours(data, build) | {"bare SimPy": lambda: _bare(args)}, args.rounds)
    report(runs, {"pure Python": "dozvon simulate (real engine + KPIs):", "compiled": "  the same, compiled (mypyc):",
                  "bare SimPy": "SimPy M/M/n+M baseline:"}, "bare SimPy",
           lambda f: f"(answered {f['answered']:,}, abandoned {f['abandoned']:,}, SL {f['kpi']['service_level']:.3f})",
           lambda f: f"(answered {f['answered']:,}, abandoned {f['abandoned']:,})", ">= 1x")

    center = Center(groups=args.queues // 2, per_group=2 * args.per_queue, hours=args.hours, load=args.load)
    print(f"\nsame behaviour: {center.groups} groups x {center.per_group} operators, 2 queues each, round robin, "
          f"answer delay {center.answer_delay_s:g} s, answer probability {center.answer_probability:g}, "
          f"RONA after {center.offer_timeout_s:g} s, wrap-up {center.wrap_up_s:g} s")
    data = center.scenario()
    runs = interleaved(_ours(data, build) | {"SimPy same behaviour": lambda: _same_behaviour(center)}, args.rounds)
    report(runs, {"pure Python": "dozvon simulate:", "compiled": "  the same, compiled (mypyc):",
                  "SimPy same behaviour": "SimPy model of the same behaviour:"}, "SimPy same behaviour",
           lambda f: f"(SL {f['kpi']['service_level']:.3f}, abandoned {f['kpi']['lcr']:.3f}, RONA {f['kpi']['rona']})",
           lambda f: f"(SL {f['service_level']:.3f}, abandoned {f['abandon_rate']:.3f}, RONA {f['rona']:.0f})",
           ">= 2x, stretch 3x")


def _ours(data: dict[str, Any], build: Path | None) -> dict[str, Callable[[], Run]]:
    """Dozvon's contenders on a scenario: this process (pure Python) and, where it was
    built, a child process on the compiled build."""

    def pure() -> Run:
        result = ours_here(data)
        return result["contacts_simulated"], result["wall_s"], result["cpu_s"], result

    def fast() -> Run:
        assert build is not None
        result = in_compiled_build(build, data)
        return result["contacts_simulated"], result["wall_s"], result["cpu_s"], result

    return {"pure Python": pure, **({"compiled": fast} if build is not None else {})}


def _bare(args: argparse.Namespace) -> Run:
    n, wall, stats = simpy_model(args.hours, args.queues, args.per_queue, args.load)
    return n, wall, stats["cpu_s"], stats


def _same_behaviour(center: Center) -> Run:
    start, cpu = time.perf_counter(), time.process_time()
    n, kpi = run_same_behaviour(center)
    return n, time.perf_counter() - start, time.process_time() - cpu, kpi


if __name__ == "__main__":
    main()
