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


VALUES = """
import copy, json, pickle, sys
import dozvon.routing.events
from dozvon.routing.events import Decision, decision
from dozvon.routing.model import ContactSpec
d = decision("offer", "c1", "a", "o1", 3.5, "voice")
same = Decision("offer", "c1", operator_id="a", offer_id="o1", deadline=3.5, channel="voice")
spec = ContactSpec("c1", "sales", "chat", 2, "k1", "ru", "vip", "web", {"en": 2}, "a", 5.0, ("x",))
json.dump({
    "compiled": not dozvon.routing.events.__file__.endswith(".py"),
    "repr": [repr(d), repr(spec)],
    "dict": [d.to_dict(), spec.to_dict()],
    "equal": [d == same, hash(d) == hash(same), d != Decision("offer", "c2"), d == ("offer",),
              ContactSpec.from_dict(spec.to_dict()) == spec, spec != ContactSpec("c1", "sales")],
    "copies": [copy.copy(d) == d, pickle.loads(pickle.dumps(d)) == d, copy.deepcopy(spec) == spec],
}, sys.stdout)
"""


def test_decisions_and_contact_specs_are_the_same_values_in_the_compiled_build():
    # Native classes there (not tuples): equal by their fields, shown, copied and
    # serialised exactly as the pure package's.
    build = compiled.build()
    theirs = json.loads(subprocess.run([sys.executable, "-c", VALUES], env={**os.environ, "PYTHONPATH": str(build)},
                                       cwd=Path(build), capture_output=True, text=True, check=True).stdout)
    ours = json.loads(subprocess.run([sys.executable, "-c", VALUES], capture_output=True, text=True,
                                     check=True).stdout)
    assert (theirs.pop("compiled"), ours.pop("compiled")) == (True, False)
    assert theirs == ours
    assert all(ours["equal"][:3]) and not ours["equal"][3] and all(ours["equal"][4:]) and all(ours["copies"])


HEAPS = """
import heapq, json, random, sys
from dozvon.routing import heaps
rng = random.Random(11)
leads = [0, 1, 2, True, False, 0.0, 1.0, 1.5, -0.0, 2.0, 10**30, -(10**30)]
theirs, ours, same = [], [], True
for step in range(20000):
    if rng.random() < 0.55:
        entry = (rng.choice(leads), rng.choice(leads), rng.randrange(4), f"k{rng.randrange(9)}")
        heapq.heappush(theirs, entry)
        heaps.push(ours, entry)
    elif theirs:
        same = same and heaps.pop(ours) == heapq.heappop(theirs)
    same = same and ours == theirs
json.dump({"native": heaps.NATIVE, "compiled": not heaps.__file__.endswith(".py"), "same": same,
           "left": len(ours)}, sys.stdout)
"""


def test_the_compiled_heaps_are_native_and_keep_heapqs_layout():
    # The engine's heaps compare natively only in the compiled build; there they must
    # leave every entry where heapq would (ties, ints beside floats, big ints, bools).
    build = compiled.build()
    theirs = json.loads(subprocess.run([sys.executable, "-c", HEAPS], env={**os.environ, "PYTHONPATH": str(build)},
                                       cwd=Path(build), capture_output=True, text=True, check=True).stdout)
    assert theirs["native"] and theirs["compiled"]
    assert theirs["same"] and theirs["left"] > 0
