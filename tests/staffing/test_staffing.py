"""``dozvon staffing``: the smallest staff for a target, exact at the boundaries, pinned keys."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dozvon.staffing.erlang import erlang_a, erlang_c
from dozvon.staffing.plan import Traffic, positions_for, staff


def cli(*args: str, lang: str = "en") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DOZVON_LANG": lang}
    return subprocess.run([sys.executable, "-m", "dozvon", "staffing", *args], capture_output=True, text=True,
                          env=env, timeout=60)


def brute_force(model: str, traffic: Traffic, target: float, target_sl: float, cap: Fraction,
                patience: float | None = None) -> int:
    n = 1
    while True:
        if model == "erlang-c":
            figures = erlang_c(n, float(traffic.erlangs), float(traffic.aht_s), target)
            ok = figures.stable and figures.service_level >= target_sl and Fraction(traffic.erlangs) / n <= cap
        else:
            figures = erlang_a(n, traffic.arrival_rate, float(traffic.aht_s), patience or 1.0, target)
            ok = figures.service_level >= target_sl and Fraction(figures.occupancy) <= cap
        if ok:
            return n
        n += 1


@settings(max_examples=60, deadline=None)
@given(calls=st.integers(1, 900), aht=st.integers(30, 600), target_sl=st.sampled_from([0.5, 0.8, 0.9, 0.95]),
       cap=st.sampled_from(["0.7", "0.85", "0.9", "1"]))
def test_the_search_finds_the_smallest_staff_that_a_linear_scan_finds(calls, aht, target_sl, cap):
    traffic = Traffic(Fraction(calls), Fraction(3600), Fraction(aht))
    answer = staff("erlang-c", traffic, 20, target_sl, Fraction(cap))
    assert answer.agents == brute_force("erlang-c", traffic, 20, target_sl, Fraction(cap))


@settings(max_examples=25, deadline=None)
@given(calls=st.integers(1, 400), aht=st.integers(60, 400), patience=st.integers(20, 300),
       target_sl=st.sampled_from([0.6, 0.8, 0.9]), cap=st.sampled_from(["0.8", "0.9", "1"]))
def test_erlang_a_staffing_is_the_smallest_that_meets_the_target(calls, aht, patience, target_sl, cap):
    traffic = Traffic(Fraction(calls), Fraction(3600), Fraction(aht))
    answer = staff("erlang-a", traffic, 20, target_sl, Fraction(cap), patience_s=patience)
    assert answer.agents == brute_force("erlang-a", traffic, 20, target_sl, Fraction(cap), patience)


def test_exact_occupancy_and_shrinkage_boundaries_add_no_extra_operator():
    # 17 Erlangs at a cap of 0.85 is exactly 20 operators (17 / 0.85 = 20.000000000000004 in floats)
    traffic = Traffic(Fraction(340), Fraction(3600), Fraction(180))
    assert staff("erlang-c", traffic, 20, 0.01, Fraction("0.85")).agents == 20
    # 14 agents at 30 % shrinkage is exactly 20 positions (14 / 0.7 = 20.000000000000004 in floats)
    assert positions_for(14, Fraction("0.3")) == 20
    assert positions_for(15, Fraction("0.3")) == 22


def test_thousands_of_operators_are_staffed_quickly_and_exactly():
    traffic = Traffic(Fraction(70000), Fraction(3600), Fraction(180))  # 3,500 Erlangs
    answer = staff("erlang-c", traffic, 20, 0.8, Fraction("0.95"))
    assert answer.agents > 3500
    assert erlang_c(answer.agents - 1, 3500.0, 180, 20).service_level < 0.8 or Fraction(3500, answer.agents - 1) > Fraction("0.95")


def test_cli_json_keys_for_figures_and_for_staffing():
    figures = json.loads(cli("erlang-c", "--calls", "100", "--interval", "1800", "--aht", "180", "--agents", "12",
                             "--target", "20", "--json").stdout)
    assert {"traffic_erlangs", "p_wait", "asa_s", "service_level", "occupancy"} <= set(figures)
    assert figures["traffic_erlangs"] == 10.0 and figures["occupancy"] == pytest.approx(10 / 12)
    plan = json.loads(cli("erlang-c", "--calls", "340", "--interval", "3600", "--aht", "180", "--target-sl", "0.8",
                          "--max-occupancy", "0.85", "--shrinkage", "0.3", "--json").stdout)
    assert {"agents", "positions", "service_level"} <= set(plan)
    assert plan["service_level"] >= 0.8 and plan["positions"] == -(-plan["agents"] * 10 // 7)
    abandon = json.loads(cli("erlang-a", "--calls", "360", "--interval", "3600", "--aht", "180", "--patience", "120",
                             "--agents", "20", "--json").stdout)
    assert {"p_wait", "p_abandon", "asa_s", "service_level", "occupancy"} <= set(abandon)
    exact = erlang_a(20, 0.1, 180, 120, 20)
    assert abandon["p_abandon"] == pytest.approx(exact.p_abandon)


def test_too_few_agents_is_reported_as_an_unstable_queue():
    result = cli("erlang-c", "--calls", "100", "--interval", "1800", "--aht", "180", "--agents", "10", "--json")
    data = json.loads(result.stdout)
    assert result.returncode == 0 and data["stable"] is False and data["p_wait"] == 1.0 and data["asa_s"] is None
    assert "Unstable" in data["message"]


def test_bad_input_gets_a_clear_message_in_both_languages():
    for lang, expected in (("en", "--interval must be > 0"), ("ru", "--interval должно быть > 0")):
        result = cli("erlang-c", "--calls", "100", "--interval", "0", "--aht", "180", "--agents", "3", lang=lang)
        assert result.returncode == 2 and expected in result.stderr and "Traceback" not in result.stderr
    result = cli("erlang-c", "--calls", "100", "--interval", "60", "--aht", "180")
    assert result.returncode == 2 and "--target-sl" in result.stderr
