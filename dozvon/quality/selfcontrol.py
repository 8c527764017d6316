"""Figures per operator for the reports' quality section and the operator's own page:
KPIs (from the same SQL report as the reports page — one set of numbers), CSAT,
evaluations, and the automatic checks' results.

The self-control page (seed 001, "personal control"): an operator sees their own figures
beside the team's *median* — the middle of the team, which says "where is usual" without
saying who is first or last. No colleague's figure is ever named there.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import case, column, func, inspect, select, table
from sqlalchemy.orm import Session

from dozvon.analytics.sql_kpi import kpi_report
from dozvon.quality.evaluation_queries import list_evaluations, median, per_operator

#: The KPIs the page and the reports' quality section show per operator (METRICS.md).
KPIS = ("answered", "aht_s", "first_response_s", "fcr", "csat", "csat_answers")
#: The checks' stored results (:class:`dozvon.quality.models.CheckResultRow`), the columns read here.
_RESULTS = table("quality_results", column("project"), column("operator_id"), column("closed_at_us"),
                 column("score"), column("failed_count"))


def checks_per_operator(session: Session, project: str, since_us: int, until_us: int) -> dict[str, dict[str, Any]]:
    """Per operator: conversations checked, how many had a failed check, the mean check
    score. Empty until the checks' table exists."""
    if not inspect(session.connection()).has_table("quality_results"):
        return {}
    c = _RESULTS.c
    stmt = (select(c.operator_id, func.count().label("checked"),
                   func.sum(case((c.failed_count > 0, 1), else_=0)).label("flagged"), func.avg(c.score).label("score"))
            .where(c.project == project, c.closed_at_us >= since_us, c.closed_at_us < until_us,
                   c.operator_id.is_not(None))
            .group_by(c.operator_id))
    return {str(r.operator_id): {"checked": int(r.checked), "flagged": int(r.flagged or 0),
                                 "check_score": round(float(r.score), 1) if r.score is not None else None}
            for r in session.execute(stmt)}


def figures(session: Session, project: str, since_us: int, until_us: int, tz: str) -> dict[str, dict[str, Any]]:
    """operator id → their KPIs, evaluations (count, mean score, per competency) and checks."""
    since = datetime.fromtimestamp(since_us / 1e6, UTC)
    until = datetime.fromtimestamp(until_us / 1e6, UTC)
    out: dict[str, dict[str, Any]] = {}
    for row in kpi_report(session, [project], since, until, period="all", by=("operator",), tz=tz):
        if row.get("operator"):
            out.setdefault(str(row["operator"]), {}).update({k: row.get(k) for k in KPIS})
    evaluated = per_operator(list_evaluations(session, project, since_us=since_us, until_us=until_us,
                                              limit=100_000))
    for op, summary in evaluated.items():
        mine = out.setdefault(op, {})
        mine.update({"evaluations": summary["evaluations"], "score": summary["score"],
                     "failed_critical": summary["failed_critical"], "disputed": summary["disputed"],
                     "competencies": summary["competencies"]})
    for op, checked in checks_per_operator(session, project, since_us, until_us).items():
        mine = out.setdefault(op, {})
        mine.update(checked)
        mine["flagged_share"] = round(checked["flagged"] / checked["checked"], 3) if checked["checked"] else None
    for mine in out.values():
        for key in (*KPIS, "evaluations", "score", "checked", "flagged", "check_score", "flagged_share"):
            mine.setdefault(key, None)
        mine.setdefault("competencies", {})
    return out


#: What the self-control page compares, in its order.
COMPARED = ("answered", "aht_s", "first_response_s", "fcr", "csat", "score", "check_score", "flagged_share")


def self_view(session: Session, project: str, operator_id: str, since_us: int, until_us: int,
              tz: str) -> dict[str, Any]:
    """The operator's own figures and, beside each, the team's median (over the operators
    who have that figure in the period) — and nothing that names or ranks a colleague."""
    everyone = figures(session, project, since_us, until_us, tz)
    mine = everyone.get(operator_id, {})
    rows = [{"metric": m, "mine": mine.get(m), "team_median": median(f.get(m) for f in everyone.values())}
            for m in COMPARED]
    competencies = sorted({c for f in everyone.values() for c in (f.get("competencies") or {})})
    comp_rows = [{"competency": c, "mine": (mine.get("competencies") or {}).get(c),
                  "team_median": median((f.get("competencies") or {}).get(c) for f in everyone.values())}
                 for c in competencies]
    return {"operator_id": operator_id, "metrics": rows, "competencies": comp_rows,
            "evaluations": mine.get("evaluations") or 0, "team_size": len(everyone)}
