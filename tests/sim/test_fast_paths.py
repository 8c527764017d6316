"""The simulator's shortcuts change nothing: the KPIs it feeds straight from the engine's
sink, with the engine's timers in its own heap, are exactly those computed from the
events the same engine logs for the server."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from dozvon.routing.events import RoutingEvent
from dozvon.sim.scenario import parse_scenario
from dozvon.sim.simulator import Simulation

EXAMPLE = Path(__file__).resolve().parents[2] / "dozvon" / "examples" / "call-center.yaml"


def busy_day() -> dict[str, Any]:
    """The bundled day with most of what routing can do switched on: overflow after a
    maximum wait, a length limit with callbacks, ring-all, breaks after missed offers,
    operators logging in late and out early, e-mail with skills, several strategies."""
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    data["seed"] = 3
    data["settings"] = {"max_missed_offers": 2}
    data["queues"][0].update(max_wait_s=60, on_max_wait={"kind": "overflow", "target_queue": "support"})
    data["queues"][1].update(max_length=5, on_full={"kind": "callback"}, callback_on_abandon=True, wrap_up_s=15,
                             skills_first=True)
    data["queues"][2].update(strategy="ring_all")
    data["agents"][1].update(logout_s=20000, login_s=600)
    data["agents"].append({"name": "mail", "count": 3, "queues": ["support"], "capacity": {"email": 3, "chat": 2},
                           "skills": {"x": 2}, "answer_probability": 0.5, "answer_delay_s": 1})
    data["traffic"].append({"queue": "support", "channel": "email", "arrivals_per_hour": 30, "handle_time_s": 400,
                            "segment": "vip"})
    return data


def without_timing(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if k not in ("wall_s", "contacts_per_s")}


def test_kpis_from_the_engines_sink_equal_kpis_from_its_logged_events():
    seen: set[str] = set()
    for data in (busy_day(), yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))):
        scenario = parse_scenario(data)
        logged: list[RoutingEvent] = []
        through_events = Simulation(scenario, on_events=logged.extend).run()
        straight = Simulation(scenario).run()
        assert without_timing(straight) == without_timing(through_events)
        assert straight["answered"] > 0 and straight["kpi"]["rona"] > 0
        seen |= {e.type for e in logged}
    # What the comparison covered: every event a KPI is computed from, and the rarer paths.
    assert seen >= {"contact.arrived", "contact.queued", "offer.created", "offer.timed_out", "offer.withdrawn",
                    "contact.answered", "contact.abandoned", "contact.closed", "operator.state_changed",
                    "callback.created", "contact.overflowed"}
