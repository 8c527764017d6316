"""Tasks in the KPIs: how many were given, done, done late, cancelled, how many ran past
their due time, and the mean time from given to done — per period, for the project or
per owner, from the task events alone (docs/events.md, "Tasks"), like every other figure.

"Overdue" counts the tasks whose alarm went off in the period (each task once per period,
however often it was moved and ran late again); "done late" the tasks done after their
due time. Both are what a manager asks of "no request left unanswered".
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, and_, case, cast, func, select
from sqlalchemy.orm import Session

from dozvon.analytics.sql_kpi import periods, periods_table
from dozvon.core.errors import InvalidInput
from dozvon.eventlog.models import EventRecord

CUTS = ("project", "operator")
TYPES = ("task.created", "task.done", "task.cancelled", "task.overdue")


def _us(moment: datetime) -> int:
    return round(moment.timestamp() * 1_000_000)


def task_report(session: Session, projects: list[str], since: datetime, until: datetime, *,
                period: str = "day", by: tuple[str, ...] = (), tz: str = "UTC") -> list[dict[str, Any]]:
    """Rows {period, period_end, [project], [operator], created, done, done_late, done_on_time,
    cancelled, overdue, time_to_done_s}, one per period and cut that had task events."""
    for cut in by:
        if cut not in CUTS:
            raise InvalidInput("kpi.bad_cut", value=cut, allowed=", ".join(CUTS))
    spans = periods(period, since, until, tz)
    table = periods_table(spans)
    e = EventRecord
    done = e.type == "task.done"
    late = and_(done, e.data["late"].as_boolean().is_(True))
    took = e.at_us / 1e6 - cast(e.data["created_at"].as_float(), Float)
    cut_columns = [(e.project if c == "project" else e.operator_id).label(c) for c in by]

    def count(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    stmt = (
        select(table.c.label.label("period"), *cut_columns,
               count(e.type == "task.created").label("created"),
               count(done).label("done"),
               count(late).label("done_late"),
               count(e.type == "task.cancelled").label("cancelled"),
               func.count(func.distinct(case((e.type == "task.overdue", e.data["task_id"].as_integer())))).label(
                   "overdue"),
               func.sum(case((done, took), else_=0.0)).label("done_seconds"))
        .select_from(e)
        .join(table, and_(e.at_us >= table.c.start_us, e.at_us < table.c.end_us))
        .where(e.project.in_(projects), e.type.in_(TYPES), e.at_us >= _us(since), e.at_us < _us(until))
        .group_by(table.c.label, *cut_columns)
        .order_by(table.c.label, *[column.asc().nulls_first() for column in cut_columns]))
    ends = {p.label: p.end.isoformat() for p in spans}
    rows = []
    for row in session.execute(stmt):
        data = dict(row._mapping)
        finished = int(data["done"] or 0)
        seconds = float(data.pop("done_seconds") or 0.0)
        rows.append({**data, "period_end": ends[data["period"]],
                     **{k: int(data[k] or 0) for k in ("created", "done", "done_late", "cancelled", "overdue")},
                     "done_on_time": (finished - int(data["done_late"] or 0)) / finished if finished else None,
                     "time_to_done_s": seconds / finished if finished else None})
    return rows
