"""KPIs per period and cut, computed by the database in one set-based query.

The same definitions as :mod:`dozvon.analytics.kpi` (docs/kpi.md), expressed in SQL: one
row of facts per contact (arrival, first queue, first answer, abandon, close), joined to the
periods and grouped by the requested cuts. The rows come from the KPI projection of the
event log (:mod:`dozvon.analytics.facts`: ``kpi_contacts`` and operators' spans, brought up
to date before each report), or with ``from_log=True`` straight from the ``events`` table.
Nothing loops over events in Python, and only portable SQL is used (JSON fields through
SQLAlchemy's JSON accessors, integer microseconds for time), so SQLite and PostgreSQL
return the same numbers for the same events.

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
    literal_column,
    or_,
    select,
    text,
    union_all,
    values,
)
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import ColumnElement, Select

from dozvon.analytics import facts as projection
from dozvon.analytics.facts import CONTACT_FACT_TYPES, DAY_US, contact_aggregate
from dozvon.analytics.kpi import CSAT_SATISFIED, ratio
from dozvon.analytics.models import KpiContactRow, KpiOperatorSpanRow
from dozvon.core.errors import InvalidInput
from dozvon.eventlog.models import EventRecord

PERIODS = ("15min", "hour", "day", "week", "month", "all")
CUTS = ("project", "queue", "channel", "operator", "source", "segment")
MAX_PERIODS = 5000
#: Periods a span is joined to by equality (beyond them, by comparison; see occupancy_report).
SPREAD = 64
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
    """FCR's "no further contact": the same customer arrived again within the window — one
    look-up in ``ix_events_project_customer`` per contact (``customer_id`` is a column)."""
    later = aliased(EventRecord)
    return exists().where(
        later.project == arrived.c.project, later.customer_id == arrived.c.customer_id,
        later.type == "contact.arrived",
        later.at_us > arrived.c.at_us, later.at_us <= arrived.c.at_us + round(window_s * 1_000_000))


def _customer_reached(arrived: Any, abandoned_at_us: Any, window_s: float) -> ColumnElement[bool]:
    """"Recovered": after abandoning, the customer was answered (a callback or a new contact)
    within the window."""
    answer = aliased(EventRecord)
    return exists().where(
        answer.project == arrived.c.project, answer.customer_id == arrived.c.customer_id,
        answer.type == "contact.answered",
        answer.at_us > abandoned_at_us, answer.at_us <= abandoned_at_us + round(window_s * 1_000_000))


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


def _log_facts(projects: list[str], since_us: int, until_us: int, default_target_s: float,
           fcr_window_s: float, recovery_window_s: float) -> Select[Any]:
    """One row per contact that arrived in [since, until): everything the KPIs need.

    A contact's other events are read in one pass and folded into one row per contact
    (``contact``: its first queueing, first answer, abandon, close, RONA, last disposition,
    first messages, survey), only for the contacts that arrived in the range and only from
    ``since`` on — no event of a contact comes before its arrival. So a report of a month
    reads the events from that month on, once, not each type's events of the whole log.
    Grouping per (project, contact) makes the read superset harmless (the same id in another
    project is another group). A contact has at most one first answer, abandon and close;
    the two picked by order (the first queueing, the last disposition) are read back by their
    sequence number."""
    e = EventRecord
    in_range = and_(e.project.in_(projects), e.type == "contact.arrived", e.at_us >= since_us, e.at_us < until_us)
    arrived = (select(e.project, e.contact_id, e.at_us, e.channel, e.data["source"].as_string().label("source"),
                      e.data["segment"].as_string().label("segment"), e.customer_id)
               .where(in_range)
               .subquery("arrived"))
    ids = aliased(EventRecord)
    contact = contact_aggregate(e, and_(
        e.project.in_(projects), e.at_us >= since_us, e.type.in_(CONTACT_FACT_TYPES),
        e.contact_id.in_(select(ids.contact_id).where(ids.project.in_(projects), ids.type == "contact.arrived",
                                                      ids.at_us >= since_us, ids.at_us < until_us)))
    ).subquery("contact")
    c = contact.c
    queued = aliased(EventRecord, name="queued")
    disposition = aliased(EventRecord, name="disposition")
    return (
        select(
            arrived.c.project, arrived.c.contact_id, arrived.c.at_us, arrived.c.channel, arrived.c.source,
            arrived.c.segment, arrived.c.customer_id,
            queued.queue, c.operator_id, c.answer_wait_s, c.ring_s, c.abandon_wait_s,
            c.was_answered, c.closed, c.talk_s, c.hold_s, c.wrap_s,
            func.coalesce(c.rona, 0).label("rona"),
            case((c.queued_seq.is_not(None), _target_when_queued(queued, default_target_s))).label("target_s"),
            c.disposition_seq, disposition.data["resolved"].as_boolean().label("resolved"),
            _customer_came_back(arrived, fcr_window_s).label("came_back"),
            _customer_reached(arrived, c.abandoned_at_us, recovery_window_s).label("reached"),
            case((c.first_out_us >= c.first_in_us,
                  cast(c.first_out_us - c.first_in_us, Float) / 1_000_000)).label("first_response_s"),
            c.csat_score,
        )
        .select_from(arrived)
        .outerjoin(contact, and_(c.project == arrived.c.project, c.contact_id == arrived.c.contact_id))
        # (the type and the lower bound let the database read only those events, not hash
        # every event of the log to look up a month's worth of sequence numbers)
        .outerjoin(queued, and_(queued.project == c.project, queued.seq == c.queued_seq,
                                queued.type == "contact.queued", queued.at_us >= since_us))
        .outerjoin(disposition, and_(disposition.project == c.project, disposition.seq == c.disposition_seq,
                                     disposition.type == "contact.disposition", disposition.at_us >= since_us))
    )


def _projected_facts(projects: list[str], since_us: int, until_us: int, default_target_s: float,
                     fcr_window_s: float, recovery_window_s: float) -> Any:
    """The rows of :func:`_log_facts`, read from the projection (``kpi_contacts``, one row per
    contact, kept by :mod:`dozvon.analytics.facts`): a month's contacts are a range of one
    index, not a fold of the log. What depends on other contacts or on the report's own
    parameters is computed here, not frozen in the row: FCR's comeback (another arrival of
    the customer within the window — a look-up in ``ix_kpi_contacts_project_customer``, only
    for resolved dispositions), "recovered" (an answer of the customer within the window after
    the abandon — ``ix_events_project_customer``, only for abandons), and the target of
    events that recorded none."""
    k = KpiContactRow
    later = aliased(KpiContactRow, name="later")
    came_back = exists().where(later.project == k.project, later.customer_id == k.customer_id,
                               later.at_us > k.at_us, later.at_us <= k.at_us + round(fcr_window_s * 1_000_000))
    answer = aliased(EventRecord, name="answer")
    reached = exists().where(answer.project == k.project, answer.customer_id == k.customer_id,
                             answer.type == "contact.answered", answer.at_us > k.abandoned_at_us,
                             answer.at_us <= k.abandoned_at_us + round(recovery_window_s * 1_000_000))
    configured = aliased(EventRecord, name="configured")
    config_target = (
        select(configured.data[("config", "target_answer_s")].as_float())
        .where(configured.project == k.project, configured.type == "queue.configured", configured.queue == k.queue,
               or_(configured.at_us < k.queued_at_us,
                   and_(configured.at_us == k.queued_at_us, configured.seq < k.queued_seq)))
        .order_by(configured.at_us.desc(), configured.seq.desc())
        .limit(1)
        .scalar_subquery()
    )
    return (
        select(
            k.project, k.contact_id, k.at_us, k.channel, k.source, k.segment, k.customer_id,
            k.queue, k.operator_id, k.answer_wait_s, k.ring_s, k.abandon_wait_s,
            k.was_answered, k.closed, k.talk_s, k.hold_s, k.wrap_s, k.rona,
            case((k.queued_seq.is_not(None),
                  func.coalesce(k.target_s, config_target, literal(default_target_s, Float)))).label("target_s"),
            k.disposition_seq, k.resolved,
            case((and_(k.disposition_seq.is_not(None), k.resolved.is_(True), k.customer_id.is_not(None)), came_back),
                 else_=False).label("came_back"),
            case((and_(k.abandoned_at_us.is_not(None), k.customer_id.is_not(None)), reached),
                 else_=False).label("reached"),
            case((k.first_out_us >= k.first_in_us,
                  cast(k.first_out_us - k.first_in_us, Float) / 1_000_000)).label("first_response_s"),
            k.csat_score,
        )
        .where(k.project.in_(projects), k.at_us >= since_us, k.at_us < until_us)
    )


def kpi_report(session: Session, projects: list[str], since: datetime, until: datetime, *,
               period: str = "day", by: tuple[str, ...] = (), tz: str = "UTC",
               default_target_s: float = 20.0, short_abandon_s: float = 5.0,
               fcr_window_s: float = 7 * 86400.0, recovery_window_s: float = 86400.0,
               from_log: bool = False) -> list[dict[str, Any]]:
    """KPI rows, one per (period, cut values) that had contacts, ordered by period then cuts.
    ``period`` is the period's start (its label), ``period_end`` its end.

    Read from the KPI projection (:mod:`dozvon.analytics.facts`), first brought up to date
    with the log (so the figures are the log's as committed now); ``from_log`` computes the
    same rows from the raw event log instead (the reference the projection is tested against;
    slow over a big log)."""
    for cut in by:
        if cut not in CUTS:
            raise InvalidInput("kpi.bad_cut", value=cut, allowed=", ".join(CUTS))
    spans = periods(period, since, until, tz)
    if not from_log:
        projection.catch_up_for(session, projects)
    facts = (_log_facts if from_log else _projected_facts)(
        projects, _us(since), _us(until), default_target_s, fcr_window_s, recovery_window_s).subquery("facts")
    table = periods_table(spans)
    f = facts.c
    offered = f.queue.is_not(None)
    answered = f.answer_wait_s.is_not(None)
    abandoned = f.abandon_wait_s.is_not(None)
    lost = and_(f.closed.is_not(None), f.was_answered != 1)
    at_once = and_(answered, (f.answer_wait_s - f.ring_s) * 1_000_000 <= EPS_US)
    # Waited: offered and not answered at once (abandoned, left unanswered, or answered later).
    waited = and_(offered, or_(and_(answered, ~at_once), abandoned, lost))
    within = and_(answered, f.answer_wait_s <= f.target_s + 1e-9)
    handled = and_(answered, f.closed.is_not(None), f.talk_s.is_not(None))

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
            count(f.disposition_seq.is_not(None)).label("disposed"),
            count(and_(f.disposition_seq.is_not(None), f.resolved.is_(True), ~f.came_back))
            .label("first_contact_resolved"),
            count(and_(abandoned, f.customer_id.is_not(None), f.reached)).label("recovered"),
            func.count(func.distinct(case((abandoned, f.customer_id)))).label("lost_customers"),
            func.count(func.distinct(case((offered, f.customer_id)))).label("offered_customers"),
            count(f.first_response_s.is_not(None)).label("responded"),
            total(f.first_response_s, f.first_response_s.is_not(None)).label("first_response_sum"),
            count(f.csat_score.is_not(None)).label("csat_answers"),
            count(f.csat_score >= CSAT_SATISFIED).label("csat_satisfied"),
        )
        .select_from(facts)
        .join(table, _in_period(f.at_us, table, spans))
        .group_by(table.c.label, *cut_columns)
        # NULL (no operator answered, no source) sorts first on both databases.
        .order_by(table.c.label, *[column.asc().nulls_first() for column in cut_columns])
    )
    ends = {p.label: p.end.isoformat() for p in spans}
    _settings_for_reports(session)
    rows = [{"period": row.period, "period_end": ends[row.period], **_ratios(dict(row._mapping))}
            for row in session.execute(stmt)]
    occupancy = occupancy_report(session, projects, since, until, period=period, by=by, tz=tz, from_log=from_log,
                                 caught_up=True)
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
                     period: str = "day", by: tuple[str, ...] = (), tz: str = "UTC", from_log: bool = False,
                     caught_up: bool = False) -> dict[tuple[Any, ...], float]:
    """Occupancy per (period, *cuts) for cuts among project and operator.

    Busy: time an operator holds at least one contact (from its answer to its close, wrap-up
    included). Available: time in the ``available`` state. Both are clipped to each period.
    The spans are read from the KPI projection (``kpi_operator_spans``, brought up to date
    first unless ``caught_up``); ``from_log`` computes them from the raw log instead.
    """
    if any(cut not in ("project", "operator") for cut in by):
        return {}
    since_us, until_us = _us(since), _us(until)
    if from_log:
        spans = _log_spans(projects, since_us, until_us)
    else:
        if not caught_up:
            projection.catch_up_for(session, projects)
        spans = _projected_spans(projects, since_us, until_us)
    chosen = periods(period, since, until, tz)
    table = periods_table(chosen)
    # The first and last period a span touches: by arithmetic for periods of one length, else
    # by the periods' starts (:func:`_bucket`). (Truncating division only widens the
    # candidates of spans that begin before the first period; the overlap keeps the pairs
    # exactly those of comparing every span with every period.)
    step = _one_length(chosen)
    if step is not None:
        first = (spans.c.start_us - _us(chosen[0].start)) // step
        last = (spans.c.end_us - 1 - _us(chosen[0].start)) // step
    else:
        first, last = _bucket(spans.c.start_us, chosen), _bucket(spans.c.end_us - 1, chosen)
    # The spans are read once (materialized: SQLite would otherwise read them again through
    # their index for every period, or every offset, it loops over).
    numbered = (select(spans.c.project, spans.c.operator_id, spans.c.start_us, spans.c.end_us, spans.c.busy,
                       first.label("first"), last.label("last"))
                .cte("numbered").prefix_with("MATERIALIZED", dialect="sqlite"))

    def paired(rows: Any) -> tuple[Select[Any], ColumnElement[bool]]:
        r = rows.c
        return (select(r.project, r.operator_id, r.start_us, r.end_us, r.busy, table.c.label,
                       table.c.start_us.label("period_start"), table.c.end_us.label("period_end")).select_from(rows),
                and_(r.start_us < table.c.end_us, r.end_us > table.c.start_us, r.end_us > since_us))

    pair, overlaps = paired(numbered)
    n = numbered.c
    if _BY_COMPARISON:
        pairs = [pair.join(table, overlaps)]
    else:
        # Most spans (a call's busy time) lie in one period: an equality the database hashes.
        # A span across a few periods (an operator's hours available, a call across the
        # hour) meets each of them by equality too: its first period plus 0, 1, … up to its
        # last — a small table of offsets; only spans across more than SPREAD periods are
        # compared with all of them.
        multi = select(numbered).where(n.first < n.last).cte("multi").prefix_with("MATERIALIZED", dialect="sqlite")
        m = multi.c
        across, overlaps_m = paired(multi)

        def wide_pairs() -> list[Select[Any]]:
            # (a set of their own, read once: not the test of every span of ``multi`` again
            # for every period)
            wide = select(multi).where(m.last - m.first >= SPREAD).cte("wide").prefix_with("MATERIALIZED")
            w = wide.c
            pair_w, overlaps_w = paired(wide)
            return [pair_w.join(table, and_(table.c.idx > w.first + SPREAD - 1, table.c.idx <= w.last, overlaps_w))]

        offsets = values(column("k", BigInteger), name="offsets").data([(k,) for k in range(1, SPREAD)]).cte("offsets")
        pairs = [pair.join(table, and_(table.c.idx == n.first, overlaps)).where(n.first == n.last),
                 across.join(offsets, offsets.c.k <= m.last - m.first)
                 .join(table, and_(table.c.idx == m.first + offsets.c.k, overlaps_m)),
                 across.join(table, and_(table.c.idx == m.first, overlaps_m)),
                 *wide_pairs()]
    joined = union_all(*pairs).subquery("joined") if len(pairs) > 1 else pairs[0].subquery("joined")
    j = joined.c
    length = _overlap(j.start_us, j.end_us, j.period_start, j.period_end)
    cut_columns = [(j.project if cut == "project" else j.operator_id).label(cut) for cut in by]
    stmt = (select(j.label, *cut_columns,
                   func.sum(case((j.busy == 1, length), else_=0)).label("busy_us"),
                   func.sum(case((j.busy == 0, length), else_=0)).label("available_us"))
            .group_by(j.label, *cut_columns))
    result = {}
    _settings_for_reports(session)
    for row in session.execute(stmt):
        busy_us, available_us = row[-2] or 0, row[-1] or 0
        result[tuple(row[:-2])] = float(busy_us) / float(available_us) if available_us else 0.0
    return result


def _log_spans(projects: list[str], since_us: int, until_us: int) -> Any:
    """Operators' busy and available spans reaching into [since, until), from the raw log: a
    running count of contacts per operator over time, by window functions. The past
    before ``since`` is summed up, not replayed: the log before it is read once, as one
    aggregate, instead of sorting all of it through the window functions."""
    e = EventRecord
    closes = and_(e.type == "contact.closed", e.operator_id.is_not(None), e.data["answered"].as_boolean().is_(True),
                  or_(e.data["outcome"].as_string().is_(None), e.data["outcome"].as_string() != "transferred_external"))
    delta = case((e.type == "contact.answered", 1), else_=-1)
    moves = and_(e.project.in_(projects), e.operator_id.is_not(None),
                 or_(e.type == "contact.answered", e.type == "contact.transferred", closes))
    # Only the rows from ``since`` on are run through the window functions; everything
    # before is one row per operator: the count it had reached (the sum of its moves) from
    # its last move before ``since`` — the one interval of the past that can reach into the
    # periods (the earlier ones end before ``since`` and were never counted).
    before = (select(e.project, e.operator_id, func.max(e.at_us).label("at_us"), func.max(e.seq).label("seq"),
                     func.sum(delta).label("delta"))
              .where(moves, e.at_us < since_us)
              .group_by(e.project, e.operator_id))
    loads = union_all(before, select(e.project, e.operator_id, e.at_us, e.seq, delta.label("delta"))
                      .where(moves, e.at_us >= since_us, e.at_us < until_us)).subquery("loads")
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
    # The same for the states: each operator's last change before ``since`` (the latest
    # instant, the last of its sequence numbers there), then the changes in the range.
    changes = and_(e.project.in_(projects), e.type == "operator.state_changed")
    last_at = (select(e.project, e.operator_id, func.max(e.at_us).label("at_us"))
               .where(changes, e.at_us < since_us).group_by(e.project, e.operator_id).subquery("last_at"))
    last_seq = (select(e.project, func.max(e.seq).label("seq"))
                .join(last_at, and_(e.project == last_at.c.project, e.operator_id == last_at.c.operator_id,
                                    e.at_us == last_at.c.at_us))
                .where(changes).group_by(e.project, e.operator_id).subquery("last_seq"))
    last_change = (select(e.project, e.operator_id, e.at_us, e.seq, e.data["to"].as_string().label("state"))
                   .join(last_seq, and_(e.project == last_seq.c.project, e.seq == last_seq.c.seq)))
    in_range = (select(e.project, e.operator_id, e.at_us, e.seq, e.data["to"].as_string().label("state"))
                .where(changes, e.at_us >= since_us, e.at_us < until_us))
    state_rows = union_all(last_change, in_range).subquery("state_rows")
    r = state_rows.c
    states = (select(r.project, r.operator_id, r.at_us.label("start_us"),
                     func.coalesce(func.lead(r.at_us).over(partition_by=(r.project, r.operator_id),
                                                           order_by=(r.at_us, r.seq)), until_us).label("end_us"),
                     r.state)
              .subquery("states"))
    available = (select(states.c.project, states.c.operator_id, states.c.start_us, states.c.end_us,
                        literal(0).label("busy")).where(states.c.state == "available"))
    return union_all(busy, available).subquery("spans")


def _projected_spans(projects: list[str], since_us: int, until_us: int) -> Any:
    """The spans of :func:`_log_spans`, from the projection: those that begin in the range or
    in the day before it (a short span that begins earlier ends before the range), and the
    few long ones (open, or longer than a day) that begin earlier — clipped to the range (an
    open span runs to ``until``). As the log's spans are, at ``until``; at ``since`` the
    log's began with the operator's last move before it, which differs only where the first
    period begins before ``since`` (a range not on the periods' boundaries): counted from
    ``since`` here, as the definitions count (``KpiAccumulator(count_from=…)``)."""
    s = KpiOperatorSpanRow
    end = case((or_(s.end_us.is_(None), s.end_us > until_us), until_us), else_=s.end_us)
    start = case((s.start_us < since_us, since_us), else_=s.start_us)

    def spans(*where: ColumnElement[bool]) -> Any:
        return (select(s.project, s.operator_id, start.label("start_us"), end.label("end_us"), s.busy)
                .where(s.project.in_(projects), s.start_us < until_us, end > since_us, *where))

    return union_all(spans(s.long_span.is_(False), s.start_us >= since_us - DAY_US),
                     spans(s.long_span.is_(True))).subquery("spans")


def _one_length(spans: list[Period]) -> int | None:
    """The periods' common length in microseconds (15 minutes, an hour: counted in UTC),
    or None (days, weeks and months are local and change with daylight saving)."""
    lengths = {_us(p.end) - _us(p.start) for p in spans}
    return lengths.pop() if len(lengths) == 1 and len(spans) > 1 else None


def _in_period(at_us: Any, table: Any, spans: list[Period]) -> ColumnElement[bool]:
    """The join of instants to their period: by the period's number — an equality the
    database hashes — instead of comparing every contact with every period (a month by hour
    is 744 of them). Periods of one length are numbered by arithmetic, others (local days,
    weeks, months) by :func:`_bucket`."""
    if _BY_COMPARISON:
        return and_(at_us >= table.c.start_us, at_us < table.c.end_us)
    step = _one_length(spans)
    if step is not None:
        by_arithmetic: ColumnElement[bool] = table.c.idx == (at_us - _us(spans[0].start)) // step
        return by_arithmetic
    by_starts: ColumnElement[bool] = table.c.idx == _bucket(at_us, spans)
    return by_starts


#: Periods found by comparing every instant with every period (the plain join the equalities
#: above stand for; the tests compare the two).
_BY_COMPARISON = False


def _bucket(at_us: Any, spans: list[Period]) -> ColumnElement[Any]:
    """The number of the period an instant falls in — the last period that starts at or
    before it; -1 before the first — as a balanced tree of comparisons with the periods'
    starts (whole numbers, written into the statement): a handful of comparisons per row
    for a year of local days, with no join."""
    starts = [_us(p.start) for p in spans]

    def tree(low: int, high: int) -> ColumnElement[Any]:
        # the instant is known to lie at or after the start of ``low`` (or before all: -1)
        if low == high:
            return literal_column(str(low), BigInteger)
        middle = (low + high + 1) // 2
        return case((at_us < literal_column(str(starts[middle]), BigInteger), tree(low, middle - 1)),
                    else_=tree(middle, high))

    return tree(-1, len(starts) - 1)


def _settings_for_reports(session: Session) -> None:
    """PostgreSQL, for this transaction only: no JIT compilation (it spends a quarter of a
    second or more compiling each report's expressions, which then run for less than that),
    and room to sort and hash a month of contacts in memory rather than on disk."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))
        session.execute(text("SET LOCAL work_mem = '64MB'"))


def periods_table(spans: list[Period]) -> Any:
    """The periods as a VALUES table: unlike a UNION ALL of SELECTs it is not bound by
    SQLite's limit of 500 compound terms (a week in 15-minute periods is 672)."""
    table = values(column("start_us", BigInteger), column("end_us", BigInteger), column("label", String),
                   column("idx", BigInteger), name="periods")
    # As a CTE: SQLite cannot alias the columns of a VALUES subquery, but a CTE's it can.
    return table.data([(_us(p.start), _us(p.end), p.label, i) for i, p in enumerate(spans)]).cte("periods")
