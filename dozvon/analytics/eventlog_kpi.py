"""KPIs of a project read from the event log, with the same definitions as the simulator.

This reads the log in pages and streams it through
:class:`~dozvon.analytics.kpi.KpiAccumulator`: one definition of every KPI for the
simulator, the import check and the CLI. (The set-based SQL engine for periods and cuts
over millions of events is the analytics issue's next step.)
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from dozvon.analytics.kpi import KpiAccumulator
from dozvon.eventlog.repository import list_events
from dozvon.routing.events import RoutingEvent

PAGE = 5000


def kpis_from_log(session: Session, project: str, target_answer_s: float = 20.0,
                  short_abandon_s: float = 5.0) -> dict[str, Any]:
    accumulator = KpiAccumulator(default_target=target_answer_s, short_abandon_s=short_abandon_s)
    after = 0
    last_at = 0.0
    while True:
        page = list_events(session, project, after_seq=after, limit=PAGE)
        if not page:
            break
        events = [RoutingEvent(r.seq, r.type, r.at_us / 1_000_000, r.contact_id, r.operator_id, r.queue,
                               r.channel, r.data) for r in page]
        accumulator.feed(events)
        after = page[-1].seq
        last_at = max(last_at, events[-1].at)
    accumulator.close(last_at)
    report = accumulator.report()
    return {"total": report["total"], "queues": report["queues"], "agents": report["agents"]}
