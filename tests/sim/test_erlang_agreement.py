"""Erlang maths is exact, and the simulator of the real engine agrees with it."""

from __future__ import annotations

import math
import statistics
from fractions import Fraction

import pytest

from dozvon.sim.replications import replicate
from dozvon.sim.scenario import parse_scenario
from dozvon.sim.simulator import simulate
from dozvon.staffing.erlang import erlang_a, erlang_b, erlang_c


def _erlang_c_exact(agents: int, traffic: int) -> Fraction:
    """The closed form with exact rationals: an independent check of the recurrence."""
    top = Fraction(traffic**agents, math.factorial(agents)) * Fraction(agents, agents - traffic)
    bottom = sum(Fraction(traffic**k, math.factorial(k)) for k in range(agents)) + top
    return top / bottom


def test_erlang_c_matches_the_exact_closed_form():
    for agents, traffic in ((12, 10), (2, 1), (55, 50), (150, 140)):
        figures = erlang_c(agents, float(traffic), aht_s=180, target_s=20)
        exact = float(_erlang_c_exact(agents, traffic))
        assert figures.p_wait == pytest.approx(exact, rel=1e-12)
        assert figures.asa_s == pytest.approx(exact * 180 / (agents - traffic), rel=1e-12)
        assert figures.service_level == pytest.approx(
            1 - exact * math.exp(-(agents - traffic) * 20 / 180), rel=1e-12
        )
        assert figures.occupancy == pytest.approx(traffic / agents)


def test_erlang_b_and_c_are_exact_for_thousands_of_operators_without_overflow():
    assert 0.0 < erlang_b(5000, 4900.0) < 1.0
    figures = erlang_c(5000, 4900.0, aht_s=300, target_s=20)
    assert 0.0 < figures.p_wait < 1.0 and figures.stable


def test_too_few_operators_is_an_unstable_queue_not_a_probability_above_one():
    figures = erlang_c(10, 10.0, aht_s=180, target_s=20)
    assert not figures.stable and figures.p_wait == 1.0 and math.isinf(figures.asa_s)


def test_erlang_a_is_consistent_and_tends_to_erlang_c_as_patience_grows():
    a = erlang_a(20, 0.1, aht_s=180, patience_s=120, target_s=20)
    # answered + abandoned = everyone, computed two different ways
    answered = a.occupancy * 20 / (0.1 * 180)
    assert answered + a.p_abandon == pytest.approx(1.0, abs=1e-9)
    c = erlang_c(20, 18.0, aht_s=180, target_s=20)
    patient = erlang_a(20, 0.1, aht_s=180, patience_s=1e8, target_s=20)
    assert patient.p_wait == pytest.approx(c.p_wait, rel=1e-4)
    assert patient.asa_s == pytest.approx(c.asa_s, rel=1e-3)
    assert patient.service_level == pytest.approx(c.service_level, rel=1e-4)


def test_erlang_a_handles_a_thousand_operators():
    figures = erlang_a(1000, 5.0, aht_s=190, patience_s=120, target_s=20)
    assert 0.0 < figures.p_wait < 1.0 and 0.0 < figures.service_level <= 1.0


def _scenario(seed: int) -> dict:
    return {
        "seed": seed,
        "duration_s": 12 * 3600,
        "warmup_s": 3600,
        "queues": [
            {
                "name": "q",
                "strategy": "longest_idle",
                "offer_timeout_s": 10_000,
                "target_answer_s": 20,
                "aging_per_min": 0,
            }
        ],
        "agents": [{"name": "op", "count": 20, "queues": ["q"], "capacity": {"voice": 1}}],
        "traffic": [
            {
                "queue": "q",
                "channel": "voice",
                "arrivals_per_hour": 360,
                "handle_time_s": {"dist": "exponential", "mean": 180},
                "patience_s": {"dist": "exponential", "mean": 120},
            }
        ],
    }


def test_the_simulated_engine_agrees_with_exact_erlang_a_within_its_95_percent_confidence_interval():
    """Poisson arrivals, exponential handling and patience, instant answer, first come first
    served: the assumptions of Erlang A. 12 independent replications (on two processes)
    give each KPI a mean and a t-based 95% confidence interval that must contain the exact
    value."""
    exact = erlang_a(20, 360 / 3600, aht_s=180, patience_s=120, target_s=20)
    result = replicate(parse_scenario(_scenario(1)), replications=12, jobs=2)
    assert result["seeds"] == list(range(1, 13))
    checks = {"p_wait": exact.p_wait, "lcr": exact.p_abandon, "asa_s": exact.asa_s,
              "service_level": exact.service_level}
    for name, value in checks.items():
        low, high = result["kpi"]["ci95"][name]
        assert low <= value <= high, f"{name}: simulated {result['kpi'][name]:.4f} in [{low:.4f}, {high:.4f}], " \
                                     f"exact {value:.4f}"
    assert result["kpi"]["rona"] == 0


def test_replications_report_the_mean_of_the_runs_and_a_t_interval_around_it():
    runs = [simulate(parse_scenario({**_scenario(seed), "duration_s": 3 * 3600})) for seed in (5, 6, 7)]
    result = replicate(parse_scenario({**_scenario(5), "duration_s": 3 * 3600}), replications=3, jobs=1)
    for name in ("p_wait", "asa_s", "service_level", "aht_s"):
        samples = [r["kpi"][name] for r in runs]
        mean = statistics.fmean(samples)
        half = 4.302653 * statistics.stdev(samples) / math.sqrt(3)  # Student's t, 2 degrees of freedom
        assert result["kpi"][name] == pytest.approx(mean)
        assert result["kpi"]["ci95"][name] == pytest.approx([mean - half, mean + half])
    assert result["offered"] == pytest.approx(statistics.fmean(r["offered"] for r in runs))
    assert result["queues"]["q"]["service_level"] == pytest.approx(
        statistics.fmean(r["queues"]["q"]["service_level"] for r in runs))
    # The same seeds on more processes give the same figures.
    parallel = replicate(parse_scenario({**_scenario(5), "duration_s": 3 * 3600}), replications=3, jobs=3)
    assert parallel["kpi"] == result["kpi"]
