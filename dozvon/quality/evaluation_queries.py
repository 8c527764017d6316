"""Reading evaluations: one with its history, lists, a calibration session's spread, the
trends per operator, team and competency, and the figures per operator the reports and the
self-control page show.

"Team" is the project's operators taken together. Figures about other people reach an
operator only as the team's *median* — never a ranking (a competitive board turns toxic,
seed 001) — so :func:`median` is the one summary of colleagues this module offers.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from dozvon.quality.evaluation_models import DISPUTED, Calibration, Evaluation, EvaluationStep, Scorecard
from dozvon.quality.scorecards import card_of, score_spread, spreads, words


def readable_evaluations(project: str) -> Select[Evaluation]:
    return select(Evaluation).where(Evaluation.project == project)


def median(values: Iterable[float | None]) -> float | None:
    """The middle of the values that exist (None when there are none): the team's figure."""
    given = [v for v in values if v is not None]
    return round(statistics.median(given), 3) if given else None


def _mean(values: Iterable[float | None]) -> float | None:
    given = [v for v in values if v is not None]
    return round(statistics.fmean(given), 1) if given else None


def steps_of(session: Session, evaluation_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if not evaluation_ids:
        return out
    for s in session.scalars(select(EvaluationStep).where(EvaluationStep.evaluation_id.in_(evaluation_ids))
                             .order_by(EvaluationStep.id)):
        out[s.evaluation_id].append({"action": s.action, "actor": s.actor, "comment": s.comment, "score": s.score,
                                     "at": s.at_us / 1e6})
    return out


def cards_by_id(session: Session, ids: Iterable[int]) -> dict[int, Scorecard]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {c.id: c for c in session.scalars(select(Scorecard).where(Scorecard.id.in_(wanted)))}


def evaluation_dict(row: Evaluation, card: Scorecard | None = None, steps: list[dict[str, Any]] | None = None
                    ) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": row.id, "conversation_id": row.conversation_id, "operator_id": row.operator_id,
        "scorecard_id": row.scorecard_id, "calibration_id": row.calibration_id, "evaluator": row.evaluator,
        "status": row.status, "score": row.score, "failed_critical": row.failed_critical, "answers": row.answers,
        "competency_scores": row.competency_scores, "praise": row.praise, "comment": row.comment,
        "channel": row.channel, "contact_type": row.contact_type, "conversation_at": row.conversation_at_us / 1e6,
        "created_at": row.created_at_us / 1e6, "updated_at": row.updated_at_us / 1e6,
    }
    if card is not None:
        out["scorecard"] = {"id": card.id, "key": card.key, "version": card.version, "name": card.name,
                            "status": card.status}
    if steps is not None:
        out["steps"] = steps
    return out


def list_evaluations(session: Session, project: str, *, operator_id: str | None = None, status: str | None = None,
                     conversation_id: str | None = None, calibration_id: int | None = None,
                     include_calibration: bool = False, since_us: int | None = None, until_us: int | None = None,
                     limit: int = 200) -> list[Evaluation]:
    stmt = readable_evaluations(project)
    if calibration_id is not None:
        stmt = stmt.where(Evaluation.calibration_id == calibration_id)
    elif not include_calibration:
        stmt = stmt.where(Evaluation.calibration_id.is_(None))
    if operator_id is not None:
        stmt = stmt.where(Evaluation.operator_id == operator_id)
    if status is not None:
        stmt = stmt.where(Evaluation.status == status)
    if conversation_id is not None:
        stmt = stmt.where(Evaluation.conversation_id == conversation_id)
    if since_us is not None:
        stmt = stmt.where(Evaluation.conversation_at_us >= since_us)
    if until_us is not None:
        stmt = stmt.where(Evaluation.conversation_at_us < until_us)
    return list(session.scalars(stmt.order_by(Evaluation.created_at_us.desc(), Evaluation.id.desc()).limit(limit)))


def evaluations_out(session: Session, rows: list[Evaluation], *, with_steps: bool = False) -> list[dict[str, Any]]:
    cards = cards_by_id(session, (r.scorecard_id for r in rows))
    steps = steps_of(session, [r.id for r in rows]) if with_steps else {}
    return [evaluation_dict(r, cards.get(r.scorecard_id), steps.get(r.id, []) if with_steps else None) for r in rows]


def calibration_dict(session: Session, calibration: Calibration, lang: str) -> dict[str, Any]:
    """A calibration session with every score given in it and, per criterion, how far the
    supervisors were apart — the disagreements first, since those are what to talk about."""
    card_row = session.get(Scorecard, calibration.scorecard_id)
    assert card_row is not None
    card = card_of(card_row)
    rows = list_evaluations(session, calibration.project, calibration_id=calibration.id, limit=100)
    rows.sort(key=lambda r: r.id)
    answers: list[Mapping[str, int | None]] = [{k: a.get("value") for k, a in r.answers.items()} for r in rows]
    labels = {c.id: (words(comp.title, lang), words(c.text, lang), c.scale)
              for comp in card.competencies for c in comp.criteria}
    spread: list[dict[str, Any]] = [
        {"criterion": s.criterion, "competency": labels[s.criterion][0], "label": labels[s.criterion][1],
         "scale": labels[s.criterion][2], "values": list(s.values), "low": s.low, "high": s.high,
         "points": s.points, "share": s.share} for s in spreads(card, answers)]
    spread.sort(key=lambda s: -float(s["share"]))
    return {"id": calibration.id, "conversation_id": calibration.conversation_id,
            "scorecard_id": calibration.scorecard_id, "title": calibration.title,
            "created_by": calibration.created_by, "created_at": calibration.created_at_us / 1e6,
            "evaluators": [r.evaluator for r in rows], "scores": [r.score for r in rows],
            "evaluations": [evaluation_dict(r) for r in rows], "score_spread": score_spread([r.score for r in rows]),
            "criteria": spread}


def list_calibrations(session: Session, project: str, limit: int = 100) -> list[dict[str, Any]]:
    calibrations = list(session.scalars(select(Calibration).where(Calibration.project == project)
                                        .order_by(Calibration.created_at_us.desc()).limit(limit)))
    counts: dict[int, list[str]] = defaultdict(list)
    if calibrations:
        for cal_id, evaluator in session.execute(select(Evaluation.calibration_id, Evaluation.evaluator).where(
                Evaluation.calibration_id.in_([c.id for c in calibrations]))):
            counts[int(cal_id or 0)].append(evaluator)
    return [{"id": c.id, "conversation_id": c.conversation_id, "scorecard_id": c.scorecard_id, "title": c.title,
             "created_by": c.created_by, "created_at": c.created_at_us / 1e6, "evaluators": sorted(counts[c.id])}
            for c in calibrations]


def week_of(at_us: int, tz: str) -> str:
    """The ISO week (``2026-W49``) of a moment in the project's time zone."""
    year, week, _ = datetime.fromtimestamp(at_us / 1e6, UTC).astimezone(ZoneInfo(tz)).isocalendar()
    return f"{year}-W{week:02d}"


def per_operator(rows: list[Evaluation]) -> dict[str, dict[str, Any]]:
    """Each operator's evaluations summed up: how many, the mean score, critical failures,
    disputes, and the mean per competency."""
    by_op: dict[str, list[Evaluation]] = defaultdict(list)
    for r in rows:
        by_op[r.operator_id].append(r)
    out = {}
    for op, mine in by_op.items():
        comps: dict[str, list[float | None]] = defaultdict(list)
        for r in mine:
            for comp, value in r.competency_scores.items():
                comps[comp].append(value)
        out[op] = {"evaluations": len(mine), "score": _mean(r.score for r in mine),
                   "failed_critical": sum(r.failed_critical for r in mine),
                   "disputed": sum(r.status == DISPUTED for r in mine),
                   "competencies": {c: _mean(v) for c, v in comps.items()}}
    return out


def trends(session: Session, project: str, since_us: int, until_us: int, tz: str) -> dict[str, Any]:
    """Mean scores per ISO week: the team's, each operator's, and each competency's (the
    team's mean over the week's evaluations). Calibration scores are not counted."""
    rows = list_evaluations(session, project, since_us=since_us, until_us=until_us, limit=100_000)
    weeks: dict[str, list[Evaluation]] = defaultdict(list)
    for r in rows:
        weeks[week_of(r.conversation_at_us, tz)].append(r)
    order = sorted(weeks)
    team = [{"week": w, "evaluations": len(weeks[w]), "score": _mean(r.score for r in weeks[w])} for w in order]
    operators: dict[str, list[dict[str, Any]]] = defaultdict(list)
    competencies: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for w in order:
        for op, summary in sorted(per_operator(weeks[w]).items()):
            operators[op].append({"week": w, "evaluations": summary["evaluations"], "score": summary["score"]})
        comps: dict[str, list[float | None]] = defaultdict(list)
        for r in weeks[w]:
            for comp, value in r.competency_scores.items():
                comps[comp].append(value)
        for comp, values in sorted(comps.items()):
            competencies[comp].append({"week": w, "score": _mean(values)})
    return {"weeks": order, "team": team, "operators": dict(operators), "competencies": dict(competencies)}
