"""The simulator's lean driving changes nothing: no timer for an offer sure to be answered
before its deadline (the engine leaves offer deadlines to the simulator) and no patience
timer for a customer sure to be answered before giving up — the figures are exactly those
of a run that arms every timer. And the engine's hand-written constructors stay in step
with the fields they build."""

from __future__ import annotations

import copy
import dataclasses
import inspect
from typing import Any

import pytest
import yaml

from dozvon.core.clock import ManualClock
from dozvon.routing.engine import RoutingEngine
from dozvon.routing.events import Decision
from dozvon.routing.model import Contact, ContactSpec, Offer
from dozvon.sim.scenario import parse_scenario
from dozvon.sim.simulator import Simulation
from tests.sim.test_fast_paths import EXAMPLE, busy_day, without_timing
from tests.sim.test_simpy_peer import _peer


def scenarios() -> list[dict[str, Any]]:
    example = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    no_breaks = copy.deepcopy(busy_day())
    no_breaks["settings"] = {}
    # Answer delays past the offer timeout and operators logging out while it rings.
    slow = copy.deepcopy(no_breaks)
    for agent in slow["agents"]:
        agent.update(answer_delay_s=agent.get("answer_delay_s", 0) + 12, answer_probability=0.9)
    slow["agents"][0].update(logout_s=9000, login_s=300)
    slow["queues"][0]["offer_timeout_s"] = 10
    return [busy_day(), no_breaks, slow, example, _peer().Center(groups=3, per_group=10, hours=2).scenario(),
            constant_durations(), constant_durations(one_delay=True)]


def constant_durations(one_delay: bool = False) -> dict[str, Any]:
    """Whole-second talk times, patience and answer delays: many of the simulation's own
    events fall on the same instant as others (and as the engine's timers), which is where
    an order could slip. ``one_delay``: every operator answers 2 s after the offer (the
    simulator's answers then wait in a lane of their own) and customers give up after 2 s,
    at the very instant many answers come."""
    data = _peer().Center(groups=2, per_group=5, hours=3).scenario()
    for stream in data["traffic"]:
        stream["handle_time_s"] = {"dist": "constant", "mean": 60}
        stream["patience_s"] = {"dist": "constant", "mean": 2 if one_delay else 30}
    if not one_delay:
        data["agents"][0]["answer_delay_s"] = 15
    return data


@pytest.mark.parametrize("index", range(7))
def test_lean_driving_gives_exactly_the_figures_of_arming_every_timer(index):
    scenario = parse_scenario(scenarios()[index])
    lean = Simulation(scenario).run()
    plain = Simulation(scenario, lean=False).run()
    assert lean["answered"] > 0
    assert without_timing(lean) == without_timing(plain)


def test_offer_deadlines_are_the_drivers_only_with_a_shared_heap():
    with pytest.raises(ValueError):
        RoutingEngine(ManualClock(0.0), offer_timers=False)


@pytest.mark.parametrize("cls", [Contact, Offer])
def test_hand_written_constructors_take_every_field_in_order_with_its_default(cls):
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    fields = [f for f in dataclasses.fields(cls) if f.init]
    assert [p.name for p in params] == [f.name for f in fields]
    for param, field in zip(params, fields, strict=True):
        if field.default is not dataclasses.MISSING:
            assert param.default == field.default, field.name
        elif field.default_factory is not dataclasses.MISSING:
            assert param.default is None, field.name  # None: a fresh one each time
        else:
            assert param.default is inspect.Parameter.empty, field.name


@pytest.mark.parametrize("cls", [ContactSpec, Decision])
def test_hand_written_value_classes_take_every_field(cls):
    # The simulator builds ContactSpec with all 12 arguments positional (dozvon/sim/simulator.py);
    # decision() builds Decision with all 9.
    names = [p.name for p in list(inspect.signature(cls.__init__).parameters.values())[1:]]
    assert len(names) == {ContactSpec: 12, Decision: 9}[cls]
    assert sorted(names) == sorted(cls.__slots__)
    if cls is ContactSpec:
        assert list(ContactSpec("c1", "q").to_dict()) == names
    else:
        assert list(Decision(*names).to_dict()) == names
