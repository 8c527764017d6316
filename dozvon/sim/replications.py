"""Independent replications of a scenario, on every core, with 95% confidence intervals.

One simulated day is one sample: a manager asking "what if we add five operators?" needs
to know how far the answer could be from the truth. ``replicate`` runs the scenario with
seeds ``seed, seed + 1, …`` in separate processes (the engine is pure Python: processes,
not threads, use the cores), and reports each figure's mean over the replications; for
every KPI it adds a t-based 95% confidence interval of that mean (Student's t with
``n − 1`` degrees of freedom from SciPy — the replications are few, so the normal
quantile would be too narrow).

The result keeps the shape of a single run (the pinned keys carry the means), plus
``replications``, ``jobs`` and ``kpi.ci95`` (and ``ci95`` per queue): {KPI key: [low, high]}.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from dozvon.sim.scenario import Scenario
from dozvon.sim.simulator import simulate

#: Keys that say how the run went rather than what the center did: not averaged.
_RUN_KEYS = ("wall_s", "contacts_per_s")


def _one(scenario: Scenario) -> dict[str, Any]:
    return simulate(scenario)


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def replicate(scenario: Scenario, replications: int, jobs: int | None = None,
              progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Run ``replications`` independent seeds of the scenario on ``jobs`` processes."""
    if replications < 1:
        raise ValueError("replications must be at least 1")
    jobs = max(1, min(jobs or default_jobs(), replications))
    runs = [scenario.model_copy(update={"seed": scenario.seed + i}) for i in range(replications)]
    started = time.perf_counter()
    results: list[dict[str, Any]] = []
    if jobs == 1:
        for run in runs:
            results.append(_one(run))
            if progress is not None:
                progress(len(results), replications)
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for result in pool.map(_one, runs):
                results.append(result)
                if progress is not None:
                    progress(len(results), replications)
    wall = time.perf_counter() - started
    combined = _mean_tree(results)
    combined["kpi"]["ci95"] = confidence_intervals([r["kpi"] for r in results])
    for name, queue in combined["queues"].items():
        queue["ci95"] = confidence_intervals([r["queues"][name] for r in results if name in r["queues"]],
                                             keys=tuple(results[0]["kpi"]))
    simulated = sum(r["contacts_simulated"] for r in results)
    combined.update(replications=replications, jobs=jobs, wall_s=wall,
                    contacts_per_s=simulated / wall if wall > 0 else 0.0,
                    seeds=[run.seed for run in runs])
    return combined


def _mean_tree(results: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The mean of every number, key by key, through nested dicts (a key missing from a
    run — a queue nobody reached — counts over the runs that have it)."""
    keys = list(dict.fromkeys(k for r in results for k in r if k not in _RUN_KEYS))
    out: dict[str, Any] = {}
    for key in keys:
        values = [r[key] for r in results if key in r]
        out[key] = _mean_tree(values) if isinstance(values[0], dict) else _mean_value(values)
    return out


def _mean_value(values: Sequence[Any]) -> Any:
    numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if not numbers:
        return values[0]
    if any(isinstance(v, float) and not math.isfinite(v) for v in numbers):
        return math.inf if any(v == math.inf for v in numbers) else math.nan
    return sum(numbers) / len(numbers)


def confidence_intervals(samples: Sequence[dict[str, Any]],
                         keys: Sequence[str] | None = None) -> dict[str, list[float] | None]:
    """[low, high] of each key's mean at 95%, t-based; None with a single sample (no
    spread to measure) or a figure that is not finite."""
    names = keys if keys is not None else tuple(samples[0]) if samples else ()
    out: dict[str, list[float] | None] = {}
    for name in names:
        values = [float(s[name]) for s in samples if isinstance(s.get(name), (int, float))]
        if len(values) < 2 or not all(math.isfinite(v) for v in values):
            out[name] = None
            continue
        mean = sum(values) / len(values)
        variance = sum((v - mean) ** 2 for v in values) / (len(values) - 1)
        half = t_975(len(values) - 1) * math.sqrt(variance / len(values))
        out[name] = [mean - half, mean + half]
    return out


def t_975(degrees_of_freedom: int) -> float:
    """Student's t quantile at 0.975 (a two-sided 95% interval)."""
    from scipy.special import stdtrit  # imported here: only replications need SciPy

    return float(stdtrit(degrees_of_freedom, 0.975))
