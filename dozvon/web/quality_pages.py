"""The quality pages: the supervisor's evaluation queue (``/quality``), a conversation
with its transcript beside the scorecard (``/quality/conversations/{id}``: evaluate,
answer a dispute, or — for the operator — acknowledge or dispute), calibration sessions,
the library of best-practice examples, the scorecard editor, and the operator's own
"My quality" page (``/my-quality``).

As the settings pages do, each page renders what is stored now (readable without scripts)
and writes through the JSON API (dozvon/server/api/evaluations.py), so every rule and its
message live once, behind the API. The operator's page shows their figures beside the
team's median only: no colleague is named or ranked there (seed 001).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import quote
from zoneinfo import ZoneInfo

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from dozvon.accounts import queries as account_queries
from dozvon.accounts.permissions import Principal
from dozvon.acd import queries as live
from dozvon.conversations import queries as conversations
from dozvon.core.errors import DozvonError
from dozvon.quality import evaluation_queries as q
from dozvon.quality import examples as examples_mod
from dozvon.quality import sampling, scorecards, selfcontrol
from dozvon.quality.evaluation_models import DISPUTED, Calibration, Evaluation, Example
from dozvon.routing.model import CONTACT_TYPES
from dozvon.voice.models import Recording
from dozvon.web import messages_quality  # noqa: F401  (registers the quality pages' web.* texts)
from dozvon.web.routes import _caller, _projects_where, _render, nav, page_language

router = APIRouter(include_in_schema=False)
T = TypeVar("T")
EVALUATE, MANAGE, SELF = "quality:evaluate", "quality:manage", "quality:self"
#: The pages of the quality section's side list: (path, label, permission).
SECTIONS = (("/quality", "web.q.nav.queue", EVALUATE), ("/quality/calibrations", "web.q.nav.calibrations", EVALUATE),
            ("/quality/examples", "web.q.nav.examples", SELF), ("/quality/scorecards", "web.q.nav.scorecards", MANAGE),
            ("/my-quality", "web.q.nav.mine", "operator"))


async def _read(request: Request, work: Callable[[Session], T]) -> T:
    sessions = request.app.state.hub.sessions

    def run() -> T:
        with sessions() as session:
            return work(session)

    return await anyio.to_thread.run_sync(run)


async def _write(request: Request, work: Callable[[Session], T]) -> T:
    sessions = request.app.state.hub.sessions

    def run() -> T:
        with sessions.begin() as session:
            return work(session)

    return await anyio.to_thread.run_sync(run)


def _sections(caller: Principal, project: str, here: str) -> list[dict[str, Any]]:
    out = []
    for href, label, permission in SECTIONS:
        allowed = (project in caller.operator_ids) if permission == "operator" else caller.can(permission, project)
        if allowed:
            out.append({"href": href, "label": label, "current": here == href})
    return out


async def _open(request: Request, permission: str, project: str | None, here: str
                ) -> tuple[Principal, list[str], str] | Response:
    """Who may open this page, for which project — or the login page, or a polite 403."""
    caller = await _caller(request)
    if caller is None:
        return RedirectResponse("/", status_code=303)
    if permission == "operator":
        projects = sorted(caller.operator_ids)
    else:
        projects = await _projects_where(request, caller, permission)
    if not projects:
        response = _render(request, "supervisor_refused.html", user=caller.name, nav=nav(caller, here),
                           page_title="web.nav.quality")
        response.status_code = 403
        return response
    return caller, projects, project if project in projects else projects[0]


def _page(request: Request, template: str, caller: Principal, projects: list[str], project: str, here: str,
          **context: Any) -> Response:
    top = "/my-quality" if here == "/my-quality" else "/quality"
    return _render(request, template, user=caller.name, nav=nav(caller, top), projects=projects, project=project,
                   sections=_sections(caller, project, here), section=here, **context)


def _tz(session: Session, project: str) -> str:
    return account_queries.get_project(session, project).timezone


def _when(at: float | None, tz: str) -> str:
    if not at:
        return ""
    return datetime.fromtimestamp(at, UTC).astimezone(ZoneInfo(tz)).strftime("%d.%m.%Y %H:%M")


def _names(request: Request, project: str) -> dict[str, str]:
    return live.operator_names(request.app.state.hub.service(project))


# ----------------------------------------------------------------------------- the queue

@router.get("/quality")
async def queue_page(request: Request, project: str | None = None, week: str | None = None,
                     operator: str | None = None) -> Response:
    allowed = await _open(request, EVALUATE, project, "/quality")
    if isinstance(allowed, Response):
        return allowed
    caller, projects, chosen = allowed
    names = _names(request, chosen)

    def read(session: Session) -> dict[str, Any]:
        tz = _tz(session, chosen)
        try:
            w = sampling.week(week, tz, datetime.now(ZoneInfo(tz)).date())
            problem = None
        except DozvonError as error:
            problem = error.message(page_language(request))
            w = sampling.week(None, tz, datetime.now(ZoneInfo(tz)).date())
        items = sampling.proposals(session, chosen, w, operator_id=operator or None)
        for item in items:
            item["closed"] = _when(item["closed_at"], tz)
            item["operator_name"] = names.get(item["operator_id"], item["operator_id"])
        disputed = q.evaluations_out(session, q.list_evaluations(session, chosen, status=DISPUTED, limit=100),
                                     with_steps=True)
        for d in disputed:
            d["operator_name"] = names.get(d["operator_id"], d["operator_id"])
            d["when"] = _when(d["updated_at"], tz)
        before, after = sampling.neighbours(w, tz)
        return {"items": items, "week": w.label, "previous_week": before, "next_week": after, "problem": problem,
                "disputed": disputed, "todo": sum(1 for i in items if i["evaluation_id"] is None)}

    data = await _read(request, read)
    return _page(request, "quality_queue.html", caller, projects, chosen, "/quality", operator=operator or "",
                 operators=sorted(names.items(), key=lambda kv: kv[1]), **data)


# ----------------------------------------------------------------------------- a conversation

@router.get("/quality/conversations/{conversation_id}")
async def conversation_page(request: Request, conversation_id: str, project: str | None = None,
                            calibration: int | None = None) -> Response:
    caller = await _caller(request)
    if caller is None:
        return RedirectResponse("/", status_code=303)
    allowed = await _open(request, SELF, project, "/quality/conversations")
    if isinstance(allowed, Response):
        return allowed
    caller, projects, chosen = allowed
    evaluator = caller.can(EVALUATE, chosen)
    mine = caller.operator_ids.get(chosen)
    names = _names(request, chosen)
    lang = page_language(request)

    def read(session: Session) -> dict[str, Any] | None:
        conv = conversations.conversation(session, chosen, conversation_id)
        if conv is None:
            return None
        example = session.scalar(select(Example).where(Example.project == chosen, Example.conversation_id == conv.id))
        own = mine is not None and conv.operator_id == mine
        if not evaluator and not own and example is None:
            return None
        tz = _tz(session, chosen)
        cards = scorecards.current_cards(session, chosen)
        if evaluator and not cards:
            made = scorecards.ensure_default_card(session, chosen, caller.name, lang,
                                                  int(request.app.state.hub.clock.now() * 1e6))
            cards = [made] if made is not None else []
        session.commit()
        cal = None
        if calibration is not None and evaluator and 0 < calibration < 2**62:
            cal_row = session.get(Calibration, calibration)
            if cal_row is not None and cal_row.project == chosen and cal_row.conversation_id == conv.id:
                cal = cal_row
        rows = q.list_evaluations(session, chosen, conversation_id=conv.id) if (evaluator or own) else []
        if not evaluator:
            rows = [r for r in rows if r.operator_id == mine]
        evaluations = q.evaluations_out(session, rows, with_steps=True)
        used = q.cards_by_id(session, [r.scorecard_id for r in rows] + ([cal.scorecard_id] if cal else []))
        shown: dict[int, dict[str, Any]] = {}
        for row in [*cards, *used.values()]:
            shown[row.id] = scorecards.card_dict(row, lang)
        for e in evaluations:
            e["when"] = _when(e["created_at"], tz)
            for s in e["steps"]:
                s["when"] = _when(s["at"], tz)
        scored_here = [e for e in evaluations if e["evaluator"] == caller.name]
        if cal is not None:
            cal_scored = session.scalar(select(Evaluation.id).where(Evaluation.calibration_id == cal.id,
                                                                  Evaluation.evaluator == caller.name))
        else:
            cal_scored = None
        messages = [{**conversations.message_dict(m), "when": _when(m.at_us / 1e6, tz)}
                    for m in conversations.messages(session, chosen, conv.id)]
        checks = sampling.check_result(session, chosen, conv.id)
        recordings = [{"kind": r.kind, "duration_s": r.duration_s,
                       "url": f"/api/v1/projects/{quote(chosen)}/recordings/{r.id}"}
                      for r in session.scalars(select(Recording).where(Recording.project == chosen,
                                                                       Recording.conversation_id == conv.id)
                                               .order_by(Recording.id))]
        if checks is not None:  # what failed first, then what passed, then what did not apply
            checks["ordered"] = sorted(checks["checks"].items(), key=lambda kv: (
                bool(kv[1].get("passed", True)), not kv[1].get("applies", True), kv[0]))
        return {"conv": conversations.conversation_dict(conv, None), "csat": (conv.details or {}).get("csat"),
                "closed": _when((conv.closed_at_us or conv.created_at_us) / 1e6, tz),
                "operator_name": names.get(conv.operator_id or "", conv.operator_id or ""),
                "messages": messages, "checks": checks, "evaluations": evaluations, "cards": shown,
                "recordings": recordings,
                "current_cards": [c.id for c in cards], "own": own, "example": example,
                "may_score": evaluator and (not scored_here if cal is None else cal_scored is None)
                and bool(cards) and conv.operator_id is not None and conv.operator_id != mine,
                "calibration": {"id": cal.id, "title": cal.title, "scorecard_id": cal.scorecard_id}
                if cal is not None else None,
                "competencies": examples_mod.competency_labels(session, chosen, lang)}

    data = await _read(request, read)
    if data is None:
        response = _render(request, "supervisor_refused.html", user=caller.name, nav=nav(caller, "/quality"),
                           page_title="web.nav.quality")
        response.status_code = 404
        return response
    return _page(request, "quality_conversation.html", caller, projects, chosen,
                 "/quality" if evaluator else "/my-quality", evaluator=evaluator, me=caller.name, **data)


# ----------------------------------------------------------------------------- calibration

@router.get("/quality/calibrations")
async def calibrations_page(request: Request, project: str | None = None) -> Response:
    allowed = await _open(request, EVALUATE, project, "/quality/calibrations")
    if isinstance(allowed, Response):
        return allowed
    caller, projects, chosen = allowed
    lang, now_us = page_language(request), int(request.app.state.hub.clock.now() * 1e6)

    def read(session: Session) -> dict[str, Any]:
        scorecards.ensure_default_card(session, chosen, caller.name, lang, now_us)  # the first use
        tz = _tz(session, chosen)
        items = q.list_calibrations(session, chosen)
        for item in items:
            item["when"] = _when(item["created_at"], tz)
        return {"items": items, "cards": [{"id": c.id, "name": c.name, "version": c.version}
                                          for c in scorecards.current_cards(session, chosen)]}

    data = await _write(request, read)
    return _page(request, "quality_calibrations.html", caller, projects, chosen, "/quality/calibrations", **data)


@router.get("/quality/calibrations/{calibration_id}")
async def calibration_page(request: Request, calibration_id: int, project: str | None = None) -> Response:
    allowed = await _open(request, EVALUATE, project, "/quality/calibrations")
    if isinstance(allowed, Response):
        return allowed
    caller, projects, chosen = allowed
    lang = page_language(request)

    def read(session: Session) -> dict[str, Any] | None:
        cal = session.get(Calibration, calibration_id) if 0 < calibration_id < 2**62 else None
        if cal is None or cal.project != chosen:
            return None
        view = q.calibration_dict(session, cal, lang)
        view["when"] = _when(view["created_at"], _tz(session, chosen))
        view["scored"] = caller.name in view["evaluators"]
        return view

    data = await _read(request, read)
    if data is None:
        return RedirectResponse(f"/quality/calibrations?project={chosen}", status_code=303)
    return _page(request, "quality_calibration.html", caller, projects, chosen, "/quality/calibrations", cal=data)


# ----------------------------------------------------------------------------- examples

@router.get("/quality/examples")
async def examples_page(request: Request, project: str | None = None, contact_type: str | None = None,
                        competency: str | None = None, text: str | None = None) -> Response:
    allowed = await _open(request, SELF, project, "/quality/examples")
    if isinstance(allowed, Response):
        return allowed
    caller, projects, chosen = allowed
    names = _names(request, chosen)
    lang = page_language(request)

    def read(session: Session) -> dict[str, Any]:
        tz = _tz(session, chosen)
        labels = examples_mod.competency_labels(session, chosen, lang)
        rows = examples_mod.search(session, chosen, contact_type=contact_type or None,
                                   competency=competency or None, text=(text or "").strip() or None)
        convs = conversations.conversations_by_id(session, chosen, [r.conversation_id for r in rows])
        items = []
        for r in rows:
            item = examples_mod.example_dict(r, convs.get(r.conversation_id))
            item["operator_name"] = names.get(r.operator_id or "", r.operator_id or "")
            item["competency_labels"] = [labels.get(c, c) for c in item["competencies"]]
            item["when"] = _when(item["created_at"], tz)
            items.append(item)
        return {"items": items, "competencies": labels}

    data = await _read(request, read)
    return _page(request, "quality_examples.html", caller, projects, chosen, "/quality/examples",
                 contact_types=CONTACT_TYPES, chosen_type=contact_type or "", chosen_competency=competency or "",
                 text=text or "", may_unmark=caller.can(EVALUATE, chosen), **data)


# ----------------------------------------------------------------------------- scorecards

@router.get("/quality/scorecards")
async def scorecards_page(request: Request, project: str | None = None) -> Response:
    allowed = await _open(request, MANAGE, project, "/quality/scorecards")
    if isinstance(allowed, Response):
        return allowed
    caller, projects, chosen = allowed
    lang = page_language(request)
    now_us = int(request.app.state.hub.clock.now() * 1e6)

    def read(session: Session) -> dict[str, Any]:
        scorecards.ensure_default_card(session, chosen, caller.name, lang, now_us)
        tz = _tz(session, chosen)
        cards = []
        for row in scorecards.current_cards(session, chosen):
            card = scorecards.card_dict(row, lang)
            card["history"] = [{"version": v.version, "status": v.status, "by": v.created_by,
                                "when": _when(v.created_at_us / 1e6, tz)}
                               for v in scorecards.versions(session, chosen, row.key)]
            cards.append(card)
        return {"cards": cards}

    data = await _write(request, read)
    return _page(request, "quality_scorecards.html", caller, projects, chosen, "/quality/scorecards",
                 scales=list(range(1, scorecards.MAX_SCALE + 1)), **data)


# ----------------------------------------------------------------------------- my quality

#: How each compared figure reads: (its text key, how to show it).
METRICS = {"answered": "count", "aht_s": "seconds", "first_response_s": "seconds", "fcr": "share",
           "csat": "share", "score": "score", "check_score": "score", "flagged_share": "share"}


def shown(value: Any, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "share":
        return f"{round(float(value) * 100)} %"
    if kind == "seconds":
        seconds = round(float(value))
        return f"{seconds // 60}:{seconds % 60:02d}"
    if kind == "score":
        return f"{float(value):.0f}"
    return f"{float(value):g}"


@router.get("/my-quality")
async def my_quality_page(request: Request, project: str | None = None, days: int = 28) -> Response:
    allowed = await _open(request, "operator", project, "/my-quality")
    if isinstance(allowed, Response):
        return allowed
    caller, projects, chosen = allowed
    operator_id = caller.operator_ids[chosen]
    days = days if days in (7, 28, 91) else 28
    lang = page_language(request)

    def read(session: Session) -> dict[str, Any]:
        tz = _tz(session, chosen)
        zone = ZoneInfo(tz)
        today = datetime.now(zone).date()
        first, last = today - timedelta(days=days - 1), today + timedelta(days=1)
        start = int(datetime(first.year, first.month, first.day, tzinfo=zone).timestamp() * 1e6)
        end = int(datetime(last.year, last.month, last.day, tzinfo=zone).timestamp() * 1e6)
        view = selfcontrol.self_view(session, chosen, operator_id, start, end, tz)
        labels = examples_mod.competency_labels(session, chosen, lang)
        for m in view["metrics"]:
            kind = METRICS[m["metric"]]
            m["mine_text"], m["median_text"] = shown(m["mine"], kind), shown(m["team_median"], kind)
        for c in view["competencies"]:
            c["label"] = labels.get(c["competency"], c["competency"])
        order = list(labels)  # the card's order, not the alphabet's
        view["competencies"].sort(key=lambda c: order.index(c["competency"]) if c["competency"] in order else 99)
        rows = q.list_evaluations(session, chosen, operator_id=operator_id, limit=50)
        evaluations = q.evaluations_out(session, rows)
        for e in evaluations:
            e["when"] = _when(e["conversation_at"], tz)
        recent = examples_mod.search(session, chosen, limit=5)
        return {**view, "my_evaluations": evaluations, "period_start": first.strftime("%d.%m.%Y"),
                "period_end": today.strftime("%d.%m.%Y"),
                "examples": [{**examples_mod.example_dict(r),
                              "competency_labels": [labels.get(c, c) for c in r.competencies or []]}
                             for r in recent]}

    data = await _read(request, read)
    return _page(request, "quality_mine.html", caller, projects, chosen, "/my-quality", days=days, **data)
