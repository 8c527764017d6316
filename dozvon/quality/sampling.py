"""The supervisor's evaluation queue: which conversations of a week to evaluate.

Three sources, each proposal saying why it is there:

- ``sample`` — a random sample of every operator's closed conversations of the week, the
  same on every reload: each conversation is ranked by a hash of (project, week, id), so
  the draw is fixed by the week rather than by the moment the page was opened;
- ``checks`` — every conversation the automatic checks flagged (a failed check, from the
  stored results of :mod:`dozvon.quality.checks`);
- ``low_csat`` — every conversation the customer rated low (``do_rate`` keeps the score in
  the conversation's ``details["csat"]``, 1–5).

Conversations already evaluated stay in the list, marked with their evaluation, so the
supervisor sees what is left and the sample does not slide to new picks.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import JSON, column, inspect, select, table
from sqlalchemy.orm import Session

from dozvon.conversations.models import Conversation
from dozvon.core.errors import InvalidInput
from dozvon.quality.evaluation_models import Evaluation

WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
#: A rating at or below this is "low" (1–5 survey; METRICS.md counts 4–5 as satisfied).
LOW_CSAT = 2
PER_OPERATOR = 2

#: The checks' stored results (their model is :class:`dozvon.quality.models.CheckResultRow`);
#: read through this light description so the queue needs only the columns it shows.
_RESULTS = table("quality_results", column("conversation_id"), column("project"), column("closed_at_us"),
                 column("score"), column("failed_count"), column("failed", JSON))


@dataclass(frozen=True)
class Week:
    label: str
    start_us: int
    end_us: int


def week(label: str | None, tz: str, today: date) -> Week:
    """An ISO week (``2026-W49``) in the project's time zone; None: the current one."""
    if label is None:
        year, number, _ = today.isocalendar()
    else:
        found = WEEK.match(label)
        if found is None:
            raise InvalidInput("quality.queue.bad_week", field="week", value=label)
        year, number = int(found.group(1)), int(found.group(2))
    try:
        monday = date.fromisocalendar(year, number, 1)
    except ValueError:
        raise InvalidInput("quality.queue.bad_week", field="week", value=label) from None
    zone = ZoneInfo(tz)
    start = datetime(monday.year, monday.month, monday.day, tzinfo=zone)
    nxt = monday + timedelta(days=7)
    end = datetime(nxt.year, nxt.month, nxt.day, tzinfo=zone)
    return Week(f"{year}-W{number:02d}", int(start.timestamp() * 1e6), int(end.timestamp() * 1e6))


def neighbours(w: Week, tz: str) -> tuple[str, str]:
    """The labels of the weeks before and after ``w``."""
    start = datetime.fromtimestamp(w.start_us / 1e6, UTC).astimezone(ZoneInfo(tz)).date()
    before, after = (start - timedelta(days=7)).isocalendar(), (start + timedelta(days=7)).isocalendar()
    return f"{before[0]}-W{before[1]:02d}", f"{after[0]}-W{after[1]:02d}"


def rank(project: str, week_label: str, conversation_id: str) -> str:
    """The conversation's place in the week's draw: stable for the week, unpredictable
    across conversations (so the sample is not "the first ones of Monday")."""
    return hashlib.sha256(f"{project}|{week_label}|{conversation_id}".encode()).hexdigest()


def flagged(session: Session, project: str, w: Week) -> dict[str, dict[str, Any]]:
    """The week's conversations with a failed automatic check: id → {score, failed}.
    Empty until the checks' table exists (an installation upgraded part way)."""
    if not inspect(session.connection()).has_table("quality_results"):
        return {}
    c = _RESULTS.c
    stmt = select(c.conversation_id, c.score, c.failed).where(
        c.project == project, c.closed_at_us >= w.start_us, c.closed_at_us < w.end_us, c.failed_count > 0)
    return {str(r.conversation_id): {"score": r.score, "failed": list(r.failed or [])} for r in session.execute(stmt)}


def proposals(session: Session, project: str, w: Week, *, per_operator: int = PER_OPERATOR,
              operator_id: str | None = None) -> list[dict[str, Any]]:
    """The week's queue, newest reason first: flagged and low-rated conversations, then
    each operator's sample — each once, with every reason that put it there."""
    stmt = select(Conversation.id, Conversation.operator_id, Conversation.channel, Conversation.queue,
                  Conversation.customer_name, Conversation.closed_at_us, Conversation.disposition,
                  Conversation.details).where(
        Conversation.project == project, Conversation.operator_id.is_not(None),
        Conversation.closed_at_us >= w.start_us, Conversation.closed_at_us < w.end_us)
    if operator_id is not None:
        stmt = stmt.where(Conversation.operator_id == operator_id)
    rows = list(session.execute(stmt))
    checks = flagged(session, project, w)
    done: dict[str, int] = {}
    if rows:
        for conv_id, ev_id in session.execute(select(Evaluation.conversation_id, Evaluation.id).where(
                Evaluation.project == project, Evaluation.calibration_id.is_(None),
                Evaluation.conversation_at_us >= w.start_us, Evaluation.conversation_at_us < w.end_us)):
            done.setdefault(str(conv_id), int(ev_id))
    by_operator: dict[str, list[Any]] = {}
    for r in rows:
        by_operator.setdefault(str(r.operator_id), []).append(r)
    sampled = {r.id for mine in by_operator.values()
               for r in sorted(mine, key=lambda r: rank(project, w.label, r.id))[:per_operator]}
    out = []
    for r in rows:
        csat = (r.details or {}).get("csat")
        reasons = []
        if r.id in checks:
            reasons.append("checks")
        if isinstance(csat, int | float) and csat <= LOW_CSAT:
            reasons.append("low_csat")
        if r.id in sampled:
            reasons.append("sample")
        if not reasons:
            continue
        out.append({"conversation_id": r.id, "operator_id": r.operator_id, "channel": r.channel, "queue": r.queue,
                    "customer_name": r.customer_name, "closed_at": (r.closed_at_us or 0) / 1e6,
                    "contact_type": (r.disposition or {}).get("contact_type"), "csat": csat,
                    "failed_checks": checks.get(r.id, {}).get("failed", []),
                    "check_score": checks.get(r.id, {}).get("score"), "reasons": reasons,
                    "evaluation_id": done.get(r.id)})
    order = {"checks": 0, "low_csat": 1, "sample": 2}
    out.sort(key=lambda p: (p["evaluation_id"] is not None, min(order[x] for x in p["reasons"]),
                            p["operator_id"], -p["closed_at"]))
    return out


_RESULT_ROW = table("quality_results", column("conversation_id"), column("project"), column("score"),
                    column("failed", JSON), column("checks", JSON), column("checked_at_us"))


def check_result(session: Session, project: str, conversation_id: str) -> dict[str, Any] | None:
    """The automatic checks' stored result of one conversation (None: not checked yet)."""
    if not inspect(session.connection()).has_table("quality_results"):
        return None
    c = _RESULT_ROW.c
    row = session.execute(select(c.score, c.failed, c.checks, c.checked_at_us).where(
        c.project == project, c.conversation_id == conversation_id)).first()
    if row is None:
        return None
    return {"score": row.score, "failed": list(row.failed or []), "checks": dict(row.checks or {}),
            "checked_at": row.checked_at_us / 1e6 if row.checked_at_us else None}
