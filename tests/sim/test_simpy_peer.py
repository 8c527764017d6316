"""The speed benchmark's peer is fair: the hand-written SimPy model of the same behaviour
(bench/simpy_same_behaviour.py — round robin by turns, answer delay, RONA to the next
operator, wrap-up, two queues per group, patience) gives the KPIs `dozvon simulate` gives
on the same center, within the sampling error of a few simulated days."""

from __future__ import annotations

import importlib.util
import statistics
import sys
from pathlib import Path

from dozvon.sim.replications import replicate, t_975
from dozvon.sim.scenario import parse_scenario

_PATH = Path(__file__).resolve().parents[2] / "bench" / "simpy_same_behaviour.py"


def _peer():  # a bench script, loaded from its file
    spec = importlib.util.spec_from_file_location("simpy_same_behaviour", _PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_simpy_peer_and_the_real_engine_agree_on_every_kpi():
    peer = _peer()
    days = 6
    center = peer.Center(groups=4, per_group=20, hours=8, seed=21)
    ours = replicate(parse_scenario(center.scenario()), replications=days, jobs=2)
    theirs = [peer.run(peer.Center(groups=4, per_group=20, hours=8, seed=21 + i))[1] for i in range(days)]
    for their_key, our_key in (("service_level", "service_level"), ("abandon_rate", "lcr"), ("asa_s", "asa_s"),
                               ("rona", "rona")):
        samples = [run[their_key] for run in theirs]
        their_mean = statistics.fmean(samples)
        their_half = t_975(days - 1) * statistics.stdev(samples) / days ** 0.5
        low, high = ours["kpi"]["ci95"][our_key]
        our_half = (high - low) / 2
        # Two independent estimates of one figure: their difference stays within the
        # combined 95% half-widths.
        assert abs(ours["kpi"][our_key] - their_mean) <= (our_half ** 2 + their_half ** 2) ** 0.5 * 1.5, (
            our_key, ours["kpi"][our_key], their_mean)
    assert abs(ours["kpi"]["service_level"] - statistics.fmean(r["service_level"] for r in theirs)) < 0.02
