"""The optional compiled build (dozvon/sim/compiled.py: the engine, the simulator's loop
and the KPIs through mypyc) runs the same code: the same scenarios give exactly the
figures the pure-Python package gives. Skipped where mypyc or a C compiler is missing —
the build is never needed to install or run Dozvon."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dozvon.sim import compiled
from dozvon.sim.scenario import parse_scenario
from dozvon.sim.simulator import simulate
from tests.sim.test_fast_paths import EXAMPLE, busy_day, without_timing
from tests.sim.test_lean import constant_durations

pytestmark = pytest.mark.skipif(not compiled.available(), reason="needs mypyc and a C compiler")

CHILD = """
import json, sys
import dozvon.routing.engine, dozvon.sim.simulator, dozvon.analytics.kpi
from dozvon.sim.scenario import parse_scenario
from dozvon.sim.simulator import simulate
modules = (dozvon.routing.engine, dozvon.sim.simulator, dozvon.analytics.kpi)
results = [simulate(parse_scenario(data)) for data in json.load(sys.stdin)]
json.dump({"compiled": [not m.__file__.endswith(".py") for m in modules], "results": results}, sys.stdout)
"""


def test_the_compiled_build_gives_exactly_the_figures_of_the_pure_package():
    build = compiled.build()
    scenarios = [busy_day(), yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")), constant_durations(),
                 constant_durations(one_delay=True)]
    env = {**os.environ, "PYTHONPATH": str(build)}
    child = subprocess.run([sys.executable, "-c", CHILD], input=json.dumps(scenarios), env=env, cwd=Path(build),
                           capture_output=True, text=True, check=True, timeout=600)
    theirs = json.loads(child.stdout)
    assert theirs["compiled"] == [True, True, True], "the child ran the compiled modules"
    for data, result in zip(scenarios, theirs["results"], strict=True):
        pure = simulate(parse_scenario(data))
        # Through JSON both ways: floats survive it exactly.
        assert without_timing(result) == json.loads(json.dumps(without_timing(pure)))
