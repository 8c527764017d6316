"""A simulation ends when nothing is left to happen, even where a queue keeps business
hours: its opening and closing come round every week for ever, and the run used to
follow them until the calendar overflowed."""

from __future__ import annotations

import yaml

from dozvon.sim.scenario import parse_scenario
from dozvon.sim.simulator import simulate
from tests.sim.test_fast_paths import EXAMPLE


def test_a_day_with_business_hours_ends_and_contacts_out_of_hours_are_sent_on():
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    # The day starts at 09:00 Moscow time; support opens at 10:00 and closes at 15:00 and
    # sends what comes out of hours to sales.
    data["queues"][1].update(hours={"timezone": "Europe/Moscow", "weekly": {"mon": ["10:00-15:00"]}},
                             on_closed={"kind": "overflow", "target_queue": "sales"})
    result = simulate(parse_scenario(data))
    assert result["unfinished"] == 0
    support, sales = result["queues"]["support"], result["queues"]["sales"]
    # Open five of the ten hours: it is offered far fewer contacts than it would be all
    # day, and sales takes the rest.
    open_all_day = simulate(parse_scenario(yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))))
    assert 0 < support["offered"] < 0.7 * open_all_day["queues"]["support"]["offered"]
    assert sales["offered"] > open_all_day["queues"]["sales"]["offered"]
