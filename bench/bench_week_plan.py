"""Week plan speed: 672 intervals (a week of 15 minutes) staffed by Dozvon, next to
pyworkforce's ErlangC.required_positions on the same intervals, timed in the same run.

Also counts where the two disagree on the number of agents, and why (pyworkforce's search
starting above the smallest answer; its float occupancy/shrinkage boundaries).
    .venv/bin/pip install -e '.[bench]'   # pyworkforce (pulls ortools and pandas)
    .venv/bin/python bench/bench_week_plan.py [--scale 1.0]
"""

from __future__ import annotations

import argparse
import math
import time
from fractions import Fraction

from dozvon.staffing.erlang import erlang_c
from dozvon.staffing.week import SLOTS, Forecast, PlanSettings, plan

AHT_S = 240.0


def week_profile(scale: float) -> list[float]:
    """Calls per 15 minutes: busy weekdays with two peaks, quieter weekends, nights near zero."""
    calls = []
    for slot in range(SLOTS):
        day, quarter = divmod(slot, 96)
        hour = quarter / 4
        base = 0.0 if hour < 7 or hour >= 22 else 60 + 90 * math.exp(-((hour - 11) ** 2) / 4) + 70 * math.exp(
            -((hour - 16.5) ** 2) / 3)
        if day >= 5:
            base *= 0.45
        calls.append(round(base * scale, 1))
    return calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the call volume")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    calls = week_profile(args.scale)
    fc = Forecast()
    fc.contacts["voice"] = calls
    fc.aht_s["voice"] = [AHT_S] * SLOTS
    settings = PlanSettings(target_s=20, target_sl=0.8, max_occupancy=Fraction("0.85"), shrinkage=Fraction("0.3"))
    print(f"week: {SLOTS} intervals, {sum(calls):,.0f} calls, peak {max(calls):.0f} per 15 min, AHT {AHT_S:.0f} s,"
          " SL 80/20, occupancy <= 0.85, shrinkage 0.3")

    best = math.inf
    for _ in range(args.repeat):
        start = time.perf_counter()
        ours = plan(fc, settings)
        best = min(best, time.perf_counter() - start)
    print(f"dozvon week plan:            {best * 1000:8.1f} ms  (peak {max(r.agents for r in ours)} agents, "
          f"{max(r.positions for r in ours)} positions)")
    try:
        from pyworkforce.queuing import ErlangC
    except ImportError:
        print("pyworkforce is not installed: pip install -e '.[bench]' for the baseline")
        return
    theirs_best = math.inf
    theirs: list[int] = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        theirs = []
        for volume in calls:
            if volume <= 0:
                theirs.append(0)
                continue
            result = ErlangC(transactions=volume, aht=AHT_S / 60, asa=20 / 60, interval=15, shrinkage=0.3
                             ).required_positions(service_level=0.8, max_occupancy=0.85)
            theirs.append(result["raw_positions"])
        theirs_best = min(theirs_best, time.perf_counter() - start)
    print(f"pyworkforce ErlangC baseline: {theirs_best * 1000:8.1f} ms")
    print(f"speed-up: {theirs_best / best:.1f}x   (goal: >= 6x at --scale 1, >= 30x at --scale 10)")
    differ = [(i, ours[i].voice_agents, theirs[i]) for i in range(SLOTS) if ours[i].voice_agents != theirs[i]]
    print(f"intervals where the agent counts differ: {len(differ)} of {SLOTS}")
    for slot, mine, other in differ[:5]:
        traffic = calls[slot] * AHT_S / 900
        fewer = min(mine, other)
        sl = erlang_c(fewer, traffic, AHT_S, 20).service_level
        print(f"  interval {slot}: dozvon {mine}, pyworkforce {other}; at {fewer} agents SL = {sl:.4f}, "
              f"occupancy = {traffic / fewer:.6f}")


if __name__ == "__main__":
    main()
