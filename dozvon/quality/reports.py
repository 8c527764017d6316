"""The automatic checks in figures: per operator or per queue (a team: the operators who
serve it) over a period — conversations checked, how many failed something, the mean score,
and the failures of each check — and one operator's figures against the median of their
colleagues (the self-control page: no ranking, seed 001).

Set-based SQL over the indexed result and failure rows (two ``GROUP BY`` queries), the same
on SQLite and PostgreSQL.
"""

from __future__ import annotations

import statistics
from typing import Any, Literal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from dozvon.quality.models import CheckFailureRow, CheckResultRow
from dozvon.quality.settings import CHECKS

By = Literal["operator", "queue"]


def summary(session: Session, project: str, since_us: int, until_us: int, by: By = "operator",
            operators: list[str] | None = None) -> list[dict[str, Any]]:
    """One row per operator (or queue) with conversations checked in [since, until): ``key``,
    ``conversations``, ``failed_conversations``, ``mean_score``, ``failures`` {check: count}
    and ``rates`` {check: share of conversations}, most failures first."""
    key = CheckResultRow.operator_id if by == "operator" else CheckResultRow.queue
    where = [CheckResultRow.project == project, CheckResultRow.closed_at_us >= since_us,
             CheckResultRow.closed_at_us < until_us]
    if operators is not None:
        where.append(CheckResultRow.operator_id.in_(operators))
    rows = session.execute(select(key, func.count(), func.sum(case((CheckResultRow.failed_count > 0, 1), else_=0)),
                                  func.avg(CheckResultRow.score)).where(*where).group_by(key))
    out: dict[str | None, dict[str, Any]] = {
        k: {"key": k, "conversations": int(n), "failed_conversations": int(f or 0),
            "mean_score": round(float(avg), 1) if avg is not None else None, "failures": {}}
        for k, n, f, avg in rows}
    fkey = CheckFailureRow.operator_id if by == "operator" else CheckFailureRow.queue
    fwhere = [CheckFailureRow.project == project, CheckFailureRow.closed_at_us >= since_us,
              CheckFailureRow.closed_at_us < until_us]
    if operators is not None:
        fwhere.append(CheckFailureRow.operator_id.in_(operators))
    for k, check, n in session.execute(select(fkey, CheckFailureRow.check, func.count()).where(*fwhere)
                                       .group_by(fkey, CheckFailureRow.check)):
        if k in out:
            out[k]["failures"][check] = int(n)
    for row in out.values():
        row["failures"] = {c: row["failures"][c] for c in CHECKS if c in row["failures"]}
        row["rates"] = {c: round(n / row["conversations"], 4) for c, n in row["failures"].items()}
    return sorted(out.values(), key=lambda r: (-sum(r["failures"].values()), str(r["key"])))


def totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The whole project's figures from :func:`summary`'s rows."""
    conversations = sum(r["conversations"] for r in rows)
    failures: dict[str, int] = {}
    for r in rows:
        for check, n in r["failures"].items():
            failures[check] = failures.get(check, 0) + n
    scored = [(r["mean_score"], r["conversations"]) for r in rows if r["mean_score"] is not None]
    return {"conversations": conversations,
            "failed_conversations": sum(r["failed_conversations"] for r in rows),
            "mean_score": round(sum(s * n for s, n in scored) / conversations, 1) if conversations else None,
            "failures": {c: failures[c] for c in CHECKS if c in failures}}


def operator_against_team(session: Session, project: str, operator_id: str, since_us: int, until_us: int,
                          team: list[str] | None = None) -> dict[str, Any]:
    """One operator's figures and the median of the team's operators (``team``: these
    operators; None: everyone with checked conversations) — per check the share of
    conversations that failed it, the share that failed anything, the mean score."""
    rows = summary(session, project, since_us, until_us, "operator",
                   sorted({*team, operator_id}) if team is not None else None)
    by_key = {r["key"]: r for r in rows}
    mine = by_key.get(operator_id)

    def figures(row: dict[str, Any] | None) -> dict[str, Any]:
        if row is None:
            return {"conversations": 0, "failed_share": None, "mean_score": None, "rates": {}}
        return {"conversations": row["conversations"],
                "failed_share": round(row["failed_conversations"] / row["conversations"], 4),
                "mean_score": row["mean_score"], "rates": {c: row["rates"].get(c, 0.0) for c in CHECKS}}

    others = [figures(r) for r in rows if r["conversations"]]

    def median(values: list[float]) -> float | None:
        return round(statistics.median(values), 4) if values else None

    team_median = {
        "operators": len(others),
        "failed_share": median([o["failed_share"] for o in others]),
        "mean_score": median([o["mean_score"] for o in others if o["mean_score"] is not None]),
        "rates": {c: median([o["rates"].get(c, 0.0) for o in others]) for c in CHECKS},
    }
    return {"operator_id": operator_id, "mine": figures(mine), "team_median": team_median}
