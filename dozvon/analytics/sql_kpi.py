"""KPIs per period and cut, computed by the database in one set-based query.

The same definitions as :mod:`dozvon.analytics.kpi` (docs/kpi.md), expressed in SQL over
the ``events`` table: one row of facts per contact (arrival, first queue, first answer,
abandon, close), joined to the periods and grouped by the requested cuts. Nothing loops
over events in Python, and only portable SQL is used (JSON fields through SQLAlchemy's
JSON accessors, integer microseconds for time), so SQLite and PostgreSQL return the same
numbers for the same events.

Periods are built in the project's time zone, so a "day" is a local day even across a
daylight-saving change; they are passed to the query as a small literal table.

Contacts are counted in the period in which they arrived, in the queue they first
entered, under the operator who first answered them, with the channel and advertising
``source`` they arrived with.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    Float,
    Integer,
    String,
    and_,
    case,
    cast,
    column,
    exists,
    func,
    literal,
    or_,
    select,
    union_all,
    values,
)
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import ColumnElement, Select

from dozvon.analytics.kpi import CSAT_SATISFIED, ratio
from dozvon.core.errors import InvalidInput
from dozvon.eventlog.models import EventRecord

PERIODS = ("15min", "hour", "day", "week", "month", "all")
CUTS = ("project", "queue", "channel", "operator", "source", "segment")
MAX_PERIODS = 5000
EPS_US = 1  # "answered at once" tolerates a microsecond of float rounding


@dataclass(frozen=True, slots=True)
class Period:
    start: datetime
    end: datetime

    @property
    def label(self) -> str:
        return self.start.isoformat()


def periods(kind: str, since: datetime, until: datetime, tz: str) -> list[Period]:
    """Consecutive local periods covering [since, until)."""
    if kind not in PERIODS:
        raise InvalidInput("kpi.bad_period", value=kind, allowed=", ".join(PERIODS))
    zone = ZoneInfo(tz)
    if kind == "all":
        return [Period(since, until)]
    local = since.astimezone(zone)
    if kind in ("15min", "hour"):
        step = timedelta(minutes=15 if kind == "15min" else 60)
        # Fixed-length periods: count in UTC, aligned to the step in local wall time.
        utc_start = since.astimezone(UTC)
        offset = local.utcoffset() or timedelta(0)
        aligned = utc_start - ((utc_start + offset - datetime(1970, 1, 1, tzinfo=UTC)) % step)
        out = []
        t = aligned
        while t < until:
            out.append(Period(t.astimezone(zone), (t + step).astimezone(zone)))
            t += step
            if len(out) > MAX_PERIODS:
                raise InvalidInput("kpi.too_many_periods", count=len(out), limit=MAX_PERIODS)
        return out
    day = local.date()
    if kind == "week":
        day -= timedelta(days=day.weekday())
    elif kind == "month":
        day = day.replace(day=1)
    out = []
    while True:
        following = _next(kind, day)
        start = datetime.combine(day, datetime.min.time(), tzinfo=zone)
        if start >= until:
            break
        out.append(Period(start, datetime.combine(following, datetime.min.time(), tzinfo=zone)))
        day = following
        if len(out) > MAX_PERIODS:
            raise InvalidInput("kpi.too_many_periods", count=len(out), limit=MAX_PERIODS)
    return out


def _next(kind: str, day: date) -> date:
    if kind == "day":
        return day + timedelta(days=1)
    if kind == "week":
        return day + timedelta(days=7)
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _us(moment: datetime) -> int:
    return round(moment.timestamp() * 1_000_000)


def _customer_came_back(arrived: Any, window_s: float) -> ColumnElement[bool]:
    """FCR's "no further contact": the same customer arrived again within the window."""
    later = aliased(EventRecord)
    return exists().where(
        later.project == arrived.c.project, later.type == "contact.arrived",
        later.data["customer_id"].as_string() == arrived.c.customer_id,
        later.at_us > arrived.c.at_us, later.at_us <= arrived.c.at_us + round(window_s * 1_000_000))


def _customer_reached(arrived: Any, abandoned: Any, window_s: float) -> ColumnElement[bool]:
    """"Recovered": after abandoning, the customer was answered (a callback or a new contact)
    within the window."""
    answer = aliased(EventRecord)
    return exists().where(
        answer.project == arrived.c.project, answer.type == "contact.answered",
        answer.data["customer_id"].as_string() == arrived.c.customer_id,
        answer.at_us > abandoned.c.abandoned_at_us,
        answer.at_us <= abandoned.c.abandoned_at_us + round(window_s * 1_000_000))


def _target_when_queued(queued: Any, default_target_s: float) -> ColumnElement[Any]:
    """The service-level target a ``contact.queued`` event was measured against: the one it
    recorded (``target_answer_s``); for events older than that field, the target of the
    queue's latest ``queue.configured`` at or before it; else the default. Never the queue's
    live settings, so that changing a target never rewrites history."""
    configured = aliased(EventRecord)
    config_target = (
        select(configured.data[("config", "target_answer_s")].as_float())
        .where(configured.project == queued.project, configured.type == "queue.configured",
               configured.queue == queued.queue,
               or_(configured.at_us < queued.at_us,
                   and_(configured.at_us == queued.at_us, configured.seq < queued.seq)))
        .order_by(configured.at_us.desc(), configured.seq.desc())
        .limit(1)
        .scalar_subquery()
    )
    return func.coalesce(queued.data["target_answer_s"].as_float(), config_target,
                         literal(default_target_s, Float))


def _facts(projects: list[str], since_us: int, until_us: int, default_target_s: float,
           fcr_window_s: float, recovery_window_s: float) -> Select[Any]:
    """One row per contact that arrived in [since, until): everything the KPIs need."""
    e = EventRecord
    arrived = (select(e.project, e.contact_id, e.at_us, e.channel, e.data["source"].as_string().label("source"),
                      e.data["segment"].as_string().label("segment"),
                      e.data["customer_id"].as_string().label("customer_id"))
               .where(e.project.in_(projects), e.type == "contact.arrived", e.at_us >= since_us, e.at_us < until_us)
               .subquery("arrived"))
    first_seq = (select(e.project, e.contact_id, func.min(e.seq).label("seq"))
                 .where(e.project.in_(projects), e.type == "contact.queued")
                 .group_by(e.project, e.contact_id).subquery("first_seq"))
    queued = (select(e.project, e.contact_id, e.queue, _target_when_queued(e, default_target_s).label("target_s"))
              .join(first_seq, and_(e.project == first_seq.c.project, e.seq == first_seq.c.seq))
              .subquery("queued"))
    answered = (select(e.project, e.contact_id, e.operator_id,
                       e.data["wait_s"].as_float().label("wait_s"),
                       func.coalesce(e.data["ring_s"].as_float(), 0.0).label("ring_s"))
                .where(e.project.in_(projects), e.type == "contact.answered",
                       or_(e.data["first"].as_boolean().is_(None), e.data["first"].as_boolean()))
                .subquery("answered"))
    abandoned = (select(e.project, e.contact_id, e.at_us.label("abandoned_at_us"),
                        e.data["wait_s"].as_float().label("wait_s"))
                 .where(e.project.in_(projects), e.type == "contact.abandoned").subquery("abandoned"))
    closed = (select(e.project, e.contact_id,
                     e.data["answered"].as_boolean().label("was_answered"),
                     e.data["talk_s"].as_float().label("talk_s"),
                     func.coalesce(e.data["hold_s"].as_float(), 0.0).label("hold_s"),
                     func.coalesce(e.data["wrap_s"].as_float(), 0.0).label("wrap_s"))
              .where(e.project.in_(projects), e.type == "contact.closed").subquery("closed"))
    last_disposition = (select(e.project, e.contact_id, func.max(e.seq).label("seq"))
                        .where(e.project.in_(projects), e.type == "contact.disposition")
                        .group_by(e.project, e.contact_id).subquery("last_disposition"))
    disposition = (select(e.project, e.contact_id, e.data["resolved"].as_boolean().label("resolved"))
                   .join(last_disposition, and_(e.project == last_disposition.c.project,
                                                e.seq == last_disposition.c.seq))
                   .subquery("disposition"))
    rona = (select(e.project, e.contact_id, func.count().label("rona"))
            .where(e.project.in_(projects), e.type == "offer.timed_out")
            .group_by(e.project, e.contact_id).subquery("rona"))
    # Text channels: the customer's first message and the operator's first reply.
    first_in = (select(e.project, e.contact_id, func.min(e.at_us).label("at_us"))
                .where(e.project.in_(projects), e.type == "message.received")
                .group_by(e.project, e.contact_id).subquery("first_in"))
    # …an operator's: automatic messages (a welcome, an out-of-hours reply) are no response.
    first_out = (select(e.project, e.contact_id, func.min(e.at_us).label("at_us"))
                 .where(e.project.in_(projects), e.type == "message.sent",
                        or_(e.data["auto"].as_boolean().is_(None), e.data["auto"].as_boolean().is_(False)))
                 .group_by(e.project, e.contact_id).subquery("first_out"))
    # The customer survey after the contact (one answer per contact; the last counts).
    csat = (select(e.project, e.contact_id, func.max(e.data["score"].as_integer()).label("score"))
            .where(e.project.in_(projects), e.type == "csat.rated")
            .group_by(e.project, e.contact_id).subquery("csat"))

    def same(sub: Any) -> ColumnElement[bool]:
        return and_(sub.c.project == arrived.c.project, sub.c.contact_id == arrived.c.contact_id)

    return (
        select(
            arrived.c.project, arrived.c.contact_id, arrived.c.at_us, arrived.c.channel, arrived.c.source,
            arrived.c.segment,
            arrived.c.customer_id,
            queued.c.queue, answered.c.operator_id,
            answered.c.wait_s.label("answer_wait_s"), answered.c.ring_s,
            abandoned.c.wait_s.label("abandon_wait_s"),
            closed.c.was_answered, closed.c.contact_id.label("closed_id"),
            closed.c.talk_s, closed.c.hold_s, closed.c.wrap_s,
            func.coalesce(rona.c.rona, 0).label("rona"),
            queued.c.target_s,
            disposition.c.contact_id.label("disposed_id"), disposition.c.resolved,
            _customer_came_back(arrived, fcr_window_s).label("came_back"),
            _customer_reached(arrived, abandoned, recovery_window_s).label("reached"),
            case((first_out.c.at_us >= first_in.c.at_us,
                  cast(first_out.c.at_us - first_in.c.at_us, Float) / 1_000_000)).label("first_response_s"),
            csat.c.score.label("csat_score"),
        )
        .select_from(arrived)
        .outerjoin(queued, same(queued))
        .outerjoin(answered, same(answered))
        .outerjoin(abandoned, same(abandoned))
        .outerjoin(closed, same(closed))
        .outerjoin(rona, same(rona))
        .outerjoin(disposition, same(disposition))
        .outerjoin(first_in, same(first_in))
        .outerjoin(first_out, same(first_out))
        .outerjoin(csat, same(csat))
    )


def kpi_report(session: Session, projects: list[str], since: datetime, until: datetime, *,
               period: str = "day", by: tuple[str, ...] = (), tz: str = "UTC",
               default_target_s: float = 20.0, short_abandon_s: float = 5.0,
               fcr_window_s: float = 7 * 86400.0, recovery_window_s: float = 86400.0) -> list[dict[str, Any]]:
    """KPI rows, one per (period, cut values) that had contacts, ordered by period then cuts.
    ``period`` is the period's start (its label), ``period_end`` its end."""
    for cut in by:
        if cut not in CUTS:
            raise InvalidInput("kpi.bad_cut", value=cut, allowed=", ".join(CUTS))
    spans = periods(period, since, until, tz)
    facts = _facts(projects, _us(since), _us(until), default_target_s, fcr_window_s,
                   recovery_window_s).subquery("facts")
    table = _periods_table(spans)
    f = facts.c
    offered = f.queue.is_not(None)
    answered = f.answer_wait_s.is_not(None)
    abandoned = f.abandon_wait_s.is_not(None)
    lost = and_(f.closed_id.is_not(None), f.was_answered.is_not(True))
    at_once = and_(answered, (f.answer_wait_s - f.ring_s) * 1_000_000 <= EPS_US)
    # Waited: offered and not answered at once (abandoned, left unanswered, or answered later).
    waited = and_(offered, or_(and_(answered, ~at_once), abandoned, lost))
    within = and_(answered, f.answer_wait_s <= f.target_s + 1e-9)
    handled = and_(answered, f.closed_id.is_not(None), f.talk_s.is_not(None))

    def count(condition: ColumnElement[bool]) -> ColumnElement[Any]:
        return func.sum(case((condition, 1), else_=0))

    def total(value: ColumnElement[Any], condition: ColumnElement[bool]) -> ColumnElement[Any]:
        return func.sum(case((condition, value), else_=0.0))

    cut_columns = [getattr(f, c if c != "operator" else "operator_id").label(c) for c in by]
    stmt = (
        select(
            table.c.label.label("period"), *cut_columns,
            func.count().label("inbound"),
            count(offered).label("offered"),
            count(answered).label("answered"),
            count(abandoned).label("abandoned"),
            count(lost).label("lost"),
            count(waited).label("waited"),
            count(within).label("within_target"),
            count(and_(abandoned, f.abandon_wait_s < short_abandon_s)).label("short_abandons"),
            total(f.answer_wait_s, answered).label("wait_sum"),
            total(f.abandon_wait_s, abandoned).label("abandon_wait_sum"),
            count(handled).label("handled"),
            total(f.talk_s + f.hold_s + f.wrap_s, handled).label("handle_sum"),
            func.sum(cast(f.rona, Integer)).label("rona"),
            count(f.disposed_id.is_not(None)).label("disposed"),
            count(and_(f.disposed_id.is_not(None), f.resolved.is_(True), ~f.came_back)).label("first_contact_resolved"),
            count(and_(abandoned, f.customer_id.is_not(None), f.reached)).label("recovered"),
            func.count(func.distinct(case((abandoned, f.customer_id)))).label("lost_customers"),
            func.count(func.distinct(case((offered, f.customer_id)))).label("offered_customers"),
            count(f.first_response_s.is_not(None)).label("responded"),
            total(f.first_response_s, f.first_response_s.is_not(None)).label("first_response_sum"),
            count(f.csat_score.is_not(None)).label("csat_answers"),
            count(f.csat_score >= CSAT_SATISFIED).label("csat_satisfied"),
        )
        .select_from(facts)
        .join(table, and_(f.at_us >= table.c.start_us, f.at_us < table.c.end_us))
        .group_by(table.c.label, *cut_columns)
        # NULL (no operator answered, no source) sorts first on both databases.
        .order_by(table.c.label, *[column.asc().nulls_first() for column in cut_columns])
    )
    ends = {p.label: p.end.isoformat() for p in spans}
    rows = [{"period": row.period, "period_end": ends[row.period], **_ratios(dict(row._mapping))}
            for row in session.execute(stmt)]
    occupancy = occupancy_report(session, projects, since, until, period=period, by=by, tz=tz)
    for row in rows:
        key = (row["period"], *(row[cut] for cut in by))
        row["occupancy"] = occupancy.get(key) if set(by) <= {"project", "operator"} else None
    return rows


def _ratios(row: dict[str, Any]) -> dict[str, Any]:
    offered = row["offered"]
    return {
        **{k: v for k, v in row.items() if k not in ("lost", "waited", "wait_sum", "abandon_wait_sum", "handle_sum",
                                                      "handled", "within_target", "responded",
                                                      "first_response_sum", "csat_satisfied")},
        "car": ratio(row["lost"], row["inbound"]),
        "lcr": ratio(row["abandoned"], offered),
        "p_wait": ratio(row["waited"], offered),
        "asa_s": ratio(row["wait_sum"], row["answered"]),
        "service_level": ratio(row["within_target"], offered),
        "service_level_excl_short": ratio(row["within_target"], offered - row["short_abandons"]),
        "service_level_of_answered": ratio(row["within_target"], row["answered"]),
        "avg_abandon_s": ratio(row["abandon_wait_sum"], row["abandoned"]),
        "aht_s": ratio(row["handle_sum"], row["handled"]),
        "rona": int(row["rona"] or 0),
        # None, not 0, when there is nothing to measure: no dispositions, no abandons.
        "fcr": ratio(row["first_contact_resolved"], row["disposed"]) if row["disposed"] else None,
        "recovered": ratio(row["recovered"], row["abandoned"]) if row["abandoned"] else None,
        "lcr_customers": ratio(row["lost_customers"], row["offered_customers"]),
        # Text conversations only: the customer's first message to the operator's first reply.
        "first_response_s": ratio(row["first_response_sum"], row["responded"]) if row["responded"] else None,
        # Share of survey answers of 4 or 5 (METRICS.md); None when nobody answered.
        "csat": ratio(row["csat_satisfied"], row["csat_answers"]) if row["csat_answers"] else None,
    }


def log_span(session: Session, projects: list[str]) -> tuple[datetime, datetime] | None:
    """The first and last instants of the projects' logs (for "everything")."""
    low, high = session.execute(select(func.min(EventRecord.at_us), func.max(EventRecord.at_us))
                                .where(EventRecord.project.in_(projects))).one()
    if low is None:
        return None
    return (datetime.fromtimestamp(low / 1_000_000, tz=UTC),
            datetime.fromtimestamp(high / 1_000_000 + 1e-6, tz=UTC))


def _overlap(start: Any, end: Any, p_start: Any, p_end: Any) -> ColumnElement[Any]:
    """Length of [start, end) ∩ [p_start, p_end), portable (no GREATEST/LEAST in SQLite)."""
    upper = case((end < p_end, end), else_=p_end)
    lower = case((start > p_start, start), else_=p_start)
    return case((upper > lower, upper - lower), else_=0)


def occupancy_report(session: Session, projects: list[str], since: datetime, until: datetime, *,
                     period: str = "day", by: tuple[str, ...] = (), tz: str = "UTC") -> dict[tuple[Any, ...], float]:
    """Occupancy per (period, *cuts) for cuts among project and operator.

    Busy: time an operator holds at least one contact (from its answer to its close, wrap-up
    included) — a running count of contacts per operator over time, by window functions.
    Available: time in the ``available`` state. Both are clipped to each period.
    """
    if any(cut not in ("project", "operator") for cut in by):
        return {}
    e = EventRecord
    since_us, until_us = _us(since), _us(until)
    closes = and_(e.type == "contact.closed", e.operator_id.is_not(None), e.data["answered"].as_boolean().is_(True),
                  or_(e.data["outcome"].as_string().is_(None), e.data["outcome"].as_string() != "transferred_external"))
    delta = case((e.type == "contact.answered", 1), else_=-1)
    loads = (select(e.project, e.operator_id, e.at_us, e.seq, delta.label("delta"))
             .where(e.project.in_(projects), e.operator_id.is_not(None), e.at_us < until_us,
                    or_(e.type == "contact.answered", e.type == "contact.transferred", closes))
             .subquery("loads"))
    partition = (loads.c.project, loads.c.operator_id)
    order = (loads.c.at_us, loads.c.seq)
    running = (select(loads.c.project, loads.c.operator_id, loads.c.at_us.label("start_us"),
                      func.coalesce(func.lead(loads.c.at_us).over(partition_by=partition, order_by=order),
                                    until_us).label("end_us"),
                      func.sum(loads.c.delta).over(partition_by=partition, order_by=order, rows=(None, 0))
                      .label("holding"))
               .subquery("running"))
    busy = (select(running.c.project, running.c.operator_id, running.c.start_us, running.c.end_us,
                   literal(1).label("busy")).where(running.c.holding > 0))
    states = (select(e.project, e.operator_id, e.at_us.label("start_us"),
                     func.coalesce(func.lead(e.at_us).over(partition_by=(e.project, e.operator_id),
                                                           order_by=(e.at_us, e.seq)), until_us).label("end_us"),
                     e.data["to"].as_string().label("state"))
              .where(e.project.in_(projects), e.type == "operator.state_changed", e.at_us < until_us)
              .subquery("states"))
    available = (select(states.c.project, states.c.operator_id, states.c.start_us, states.c.end_us,
                        literal(0).label("busy")).where(states.c.state == "available"))
    spans = union_all(busy, available).subquery("spans")
    table = _periods_table(periods(period, since, until, tz))
    length = _overlap(spans.c.start_us, spans.c.end_us, table.c.start_us, table.c.end_us)
    cut_columns = [(spans.c.project if cut == "project" else spans.c.operator_id).label(cut) for cut in by]
    stmt = (select(table.c.label, *cut_columns,
                   func.sum(case((spans.c.busy == 1, length), else_=0)).label("busy_us"),
                   func.sum(case((spans.c.busy == 0, length), else_=0)).label("available_us"))
            .select_from(spans)
            .join(table, and_(spans.c.start_us < table.c.end_us, spans.c.end_us > table.c.start_us,
                              spans.c.end_us > since_us))
            .group_by(table.c.label, *cut_columns))
    result = {}
    for row in session.execute(stmt):
        busy_us, available_us = row[-2] or 0, row[-1] or 0
        result[tuple(row[:-2])] = float(busy_us) / float(available_us) if available_us else 0.0
    return result


def _periods_table(spans: list[Period]) -> Any:
    """The periods as a VALUES table: unlike a UNION ALL of SELECTs it is not bound by
    SQLite's limit of 500 compound terms (a week in 15-minute periods is 672)."""
    table = values(column("start_us", BigInteger), column("end_us", BigInteger), column("label", String),
                   name="periods")
    # As a CTE: SQLite cannot alias the columns of a VALUES subquery, but a CTE's it can.
    return table.data([(_us(p.start), _us(p.end), p.label) for p in spans]).cte("periods")
