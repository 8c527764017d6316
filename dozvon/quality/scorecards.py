"""Scorecards: competencies with concrete criteria, how an evaluation is scored, and the
default card.

An operator is judged "not by how long they talked" (seed 001) but by competencies — call
control, negotiation, urgency of resolution, politeness, product knowledge, empathy,
resolution — each made of criteria a supervisor can answer without guessing: yes/no, or a
small 0–N scale. Criteria and competencies carry weights; a *critical* criterion answered
0 (rudeness, wrong information) fails the whole evaluation whatever the rest, because one
such error costs a customer however well the rest went.

The first half of this module is pure (a card's definition in, its checked form and a
score out), the second reads and writes the ``qa_scorecards`` rows. A card is versioned:
saving a change writes the next version and keeps the old one, so past evaluations keep
the score and the wording they were given.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dozvon.accounts.actions import audit
from dozvon.core.errors import InvalidInput, NotFound
from dozvon.quality import evaluation_messages as _messages  # noqa: F401  (registers the texts)
from dozvon.quality.evaluation_models import CURRENT, RETIRED, SUPERSEDED, Scorecard

ID = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")
MAX_COMPETENCIES, MAX_CRITERIA, MAX_SCALE, MAX_WEIGHT, TEXT_LIMIT = 20, 30, 10, 1000, 300
LANGS = ("en", "ru")


# ------------------------------------------------------------------------- the card, pure

@dataclass(frozen=True)
class Criterion:
    id: str
    text: dict[str, str]
    #: 1: yes/no; N: a scale 0…N.
    scale: int
    weight: float
    critical: bool


@dataclass(frozen=True)
class Competency:
    id: str
    title: dict[str, str]
    weight: float
    criteria: tuple[Criterion, ...]


@dataclass(frozen=True)
class Card:
    competencies: tuple[Competency, ...]

    def criteria(self) -> dict[str, tuple[Competency, Criterion]]:
        return {c.id: (comp, c) for comp in self.competencies for c in comp.criteria}

    def to_dict(self) -> dict[str, Any]:
        return {"competencies": [
            {"id": comp.id, "title": dict(comp.title), "weight": comp.weight,
             "criteria": [{"id": c.id, "text": dict(c.text), "scale": c.scale, "weight": c.weight,
                           "critical": c.critical} for c in comp.criteria]}
            for comp in self.competencies]}


def words(texts: Mapping[str, str], lang: str) -> str:
    """A card's text in the reader's language, else in the other one (a card written in one)."""
    return texts.get(lang) or next((texts[k] for k in LANGS if texts.get(k)), "")


def _bad(where: str, problem: str, **params: Any) -> InvalidInput:
    return InvalidInput(f"quality.card.{problem}", field=where, **params)


def _texts(value: Any, where: str) -> dict[str, str]:
    if isinstance(value, str):
        value = {"en": value, "ru": value}
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise _bad(where, "bad_text")
    texts = {k: v.strip() for k, v in value.items() if k in LANGS and v.strip()}
    if not texts:
        raise _bad(where, "no_text")
    for v in texts.values():
        if len(v) > TEXT_LIMIT:
            raise _bad(where, "too_long", length=len(v), limit=TEXT_LIMIT)
    return texts


def _weight(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= MAX_WEIGHT:
        raise _bad(where, "bad_weight", value=value, limit=MAX_WEIGHT)
    return float(value)


def _id(value: Any, where: str, seen: set[str]) -> str:
    if not isinstance(value, str) or not ID.match(value):
        raise _bad(where, "bad_id", value=value)
    if value in seen:
        raise _bad(where, "twice", value=value)
    seen.add(value)
    return value


def parse_card(data: Any) -> Card:
    """A card from its JSON definition, checked: every problem names where it is
    (``competencies[2].criteria[0].scale``) and what is wrong."""
    if not isinstance(data, dict) or not isinstance(data.get("competencies"), list):
        raise _bad("competencies", "no_competencies")
    raw = data["competencies"]
    if not raw:
        raise _bad("competencies", "no_competencies")
    if len(raw) > MAX_COMPETENCIES:
        raise _bad("competencies", "too_many", count=len(raw), limit=MAX_COMPETENCIES)
    seen: set[str] = set()
    competencies = []
    for i, comp in enumerate(raw):
        where = f"competencies[{i}]"
        if not isinstance(comp, dict):
            raise _bad(where, "not_object")
        criteria_raw = comp.get("criteria")
        if not isinstance(criteria_raw, list) or not criteria_raw:
            raise _bad(f"{where}.criteria", "no_criteria")
        if len(criteria_raw) > MAX_CRITERIA:
            raise _bad(f"{where}.criteria", "too_many", count=len(criteria_raw), limit=MAX_CRITERIA)
        comp_id = _id(comp.get("id"), f"{where}.id", seen)
        criteria = []
        for j, crit in enumerate(criteria_raw):
            at = f"{where}.criteria[{j}]"
            if not isinstance(crit, dict):
                raise _bad(at, "not_object")
            scale = crit.get("scale", 1)
            if isinstance(scale, bool) or not isinstance(scale, int) or not 1 <= scale <= MAX_SCALE:
                raise _bad(f"{at}.scale", "bad_scale", value=scale, limit=MAX_SCALE)
            critical = crit.get("critical", False)
            if not isinstance(critical, bool):
                raise _bad(f"{at}.critical", "bad_flag", value=critical)
            criteria.append(Criterion(_id(crit.get("id"), f"{at}.id", seen), _texts(crit.get("text"), f"{at}.text"),
                                      scale, _weight(crit.get("weight", 1), f"{at}.weight"), critical))
        competencies.append(Competency(comp_id, _texts(comp.get("title"), f"{where}.title"),
                                       _weight(comp.get("weight", 1), f"{where}.weight"), tuple(criteria)))
    return Card(tuple(competencies))


@dataclass(frozen=True)
class Scored:
    #: 0–100; 0 when a critical criterion failed.
    score: float
    failed_critical: bool
    #: competency id → 0–100, or None where none of its criteria applied.
    competencies: dict[str, float | None]
    #: The critical criteria answered 0.
    failed: tuple[str, ...]


def check_answers(card: Card, answers: Mapping[str, Any]) -> dict[str, int | None]:
    """Every criterion answered — a whole number 0…scale, or null for "does not apply" —
    and no answer to a criterion the card does not have."""
    criteria = card.criteria()
    for key in answers:
        if key not in criteria:
            raise InvalidInput("quality.eval.unknown_criterion", field=f"answers.{key}", value=key)
    out: dict[str, int | None] = {}
    for key, (_, crit) in criteria.items():
        if key not in answers:
            raise InvalidInput("quality.eval.unanswered", field=f"answers.{key}", value=key)
        value = answers[key]
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or not 0 <= value <= crit.scale):
            raise InvalidInput("quality.eval.bad_value", field=f"answers.{key}", value=value, scale=crit.scale)
        out[key] = value
    return out


def score(card: Card, answers: Mapping[str, int | None]) -> Scored:
    """The weighted score of checked answers. A competency is the weighted share of its
    applicable criteria's points; the total is the weighted mean of the competencies that
    applied. A critical criterion answered 0 makes the total 0 (the competencies keep theirs,
    so the operator still sees what went well)."""
    per_competency: dict[str, float | None] = {}
    failed: list[str] = []
    total = weights = 0.0
    for comp in card.competencies:
        got = possible = 0.0
        for crit in comp.criteria:
            value = answers.get(crit.id)
            if value is None:
                continue
            got += crit.weight * value / crit.scale
            possible += crit.weight
            if crit.critical and value == 0:
                failed.append(crit.id)
        if possible:
            share = round(100 * got / possible, 1)
            per_competency[comp.id] = share
            total += comp.weight * share
            weights += comp.weight
        else:
            per_competency[comp.id] = None
    if not weights:
        raise InvalidInput("quality.eval.nothing_applies", field="answers")
    overall = 0.0 if failed else round(total / weights, 1)
    return Scored(overall, bool(failed), per_competency, tuple(failed))


@dataclass(frozen=True)
class Spread:
    """How far calibrating supervisors were apart on one criterion: the values each gave,
    their range in the criterion's own points and as a share of its scale."""

    criterion: str
    values: tuple[int | None, ...]
    low: int | None
    high: int | None
    #: high − low in points (0: they agreed).
    points: int
    #: points / scale, 0–1: comparable between a yes/no and a 0–3 criterion.
    share: float


def spreads(card: Card, scored: list[Mapping[str, int | None]]) -> list[Spread]:
    """The spread per criterion of several evaluators' answers (a not-applicable answer
    counts as a disagreement when others did score it: the evaluators read it differently)."""
    out = []
    for key, (_, crit) in card.criteria().items():
        values = tuple(a.get(key) for a in scored)
        given = [v for v in values if v is not None]
        low, high = (min(given), max(given)) if given else (None, None)
        points = (high - low) if given and low is not None and high is not None else 0
        share = points / crit.scale
        if given and len(given) < len(values):
            share = 1.0
        out.append(Spread(key, values, low, high, points, round(share, 2)))
    return out


def score_spread(scores: list[float]) -> dict[str, float | None]:
    """The overall scores' range and standard deviation (None below two evaluators)."""
    if not scores:
        return {"low": None, "high": None, "range": None, "stdev": None, "mean": None}
    return {"low": min(scores), "high": max(scores), "range": round(max(scores) - min(scores), 1),
            "stdev": round(statistics.pstdev(scores), 1) if len(scores) > 1 else None,
            "mean": round(statistics.fmean(scores), 1)}


# ------------------------------------------------------------------------- the default card

def _c(cid: str, en: str, ru: str, scale: int = 1, weight: float = 1, critical: bool = False) -> dict[str, Any]:
    return {"id": cid, "text": {"en": en, "ru": ru}, "scale": scale, "weight": weight, "critical": critical}


#: The default card: the seven competencies of the issue, each with criteria a supervisor
#: can answer from the transcript. Weights add up to 100.
DEFAULT_CARD: dict[str, Any] = {"competencies": [
    {"id": "call_control", "title": {"en": "Call control", "ru": "Управление разговором"}, "weight": 15, "criteria": [
        _c("call_control.greeting", "Greeted the customer and introduced themselves",
           "Поприветствовал клиента и представился"),
        _c("call_control.lead", "Led the conversation to its goal: clarifying questions, no drifting",
           "Вёл разговор к цели: уточняющие вопросы, без ухода в сторону", scale=2, weight=2),
        _c("call_control.holds", "Asked before a pause and came back as promised (or no pause was needed)",
           "Спросил разрешения перед паузой и вернулся, как обещал (или пауза не понадобилась)"),
        _c("call_control.closing", "Summed up and said goodbye politely",
           "Подвёл итог и вежливо попрощался")]},
    {"id": "negotiation", "title": {"en": "Negotiation", "ru": "Навыки переговоров"}, "weight": 10, "criteria": [
        _c("negotiation.needs", "Found out what the customer really needs",
           "Выяснил, что на самом деле нужно клиенту", scale=2),
        _c("negotiation.offer", "Offered a fitting solution or alternative (a discount within the policy, "
           "another product)", "Предложил подходящее решение или альтернативу (скидку в рамках политики, "
           "другой товар)", scale=2),
        _c("negotiation.objections", "Answered objections with arguments, not pressure",
           "Отвечал на возражения аргументами, а не давлением", scale=2)]},
    {"id": "urgency", "title": {"en": "Urgency of resolution", "ru": "Срочность решения"}, "weight": 15, "criteria": [
        _c("urgency.pace", "No needless waiting: quick answers, no repeated “one moment”",
           "Без лишнего ожидания: быстрые ответы, без повторных «минуточку»", scale=2),
        _c("urgency.now", "Solved it in this contact where it could be solved, rather than postponing",
           "Решил вопрос в этом обращении, где это было возможно, а не отложил"),
        _c("urgency.promise", "For what is left: named a concrete time and recorded a task",
           "Для оставшегося: назвал конкретный срок и завёл задачу")]},
    {"id": "politeness", "title": {"en": "Politeness", "ru": "Вежливость"}, "weight": 15, "criteria": [
        _c("politeness.no_rudeness", "No rude, dismissive or irritated wording",
           "Без грубых, пренебрежительных или раздражённых слов", critical=True, weight=2),
        _c("politeness.name", "Addressed the customer by name", "Обращался к клиенту по имени"),
        _c("politeness.tone", "A friendly, respectful tone throughout",
           "Доброжелательный, уважительный тон на протяжении всего разговора", scale=2)]},
    {"id": "product_knowledge", "title": {"en": "Product knowledge", "ru": "Знание продукта"}, "weight": 15,
     "criteria": [
        _c("product_knowledge.correct", "Gave correct information: prices, terms, availability",
           "Дал верную информацию: цены, условия, наличие", critical=True, weight=2),
        _c("product_knowledge.complete", "Answered every question fully; nothing left at “I don't know”",
           "Ответил на все вопросы полностью; ничего не осталось на «не знаю»", scale=2),
        _c("product_knowledge.tools", "Used the CRM and the knowledge base (history, orders, articles)",
           "Пользовался CRM и базой знаний (история, заказы, статьи)")]},
    {"id": "empathy", "title": {"en": "Empathy", "ru": "Эмпатия"}, "weight": 15, "criteria": [
        _c("empathy.acknowledge", "Acknowledged the customer's feelings when they were upset",
           "Признал чувства клиента, когда тот был расстроен", scale=2),
        _c("empathy.listen", "Listened without interrupting and repeated the problem back in their own words",
           "Выслушал не перебивая и пересказал проблему своими словами", scale=2)]},
    {"id": "resolution", "title": {"en": "Resolution", "ru": "Решение вопроса"}, "weight": 15, "criteria": [
        _c("resolution.resolved", "The question was resolved (or handed to the right person with a deadline)",
           "Вопрос решён (или передан нужному человеку со сроком)", scale=2, weight=2),
        _c("resolution.confirmed", "Checked that the customer had no other questions",
           "Уточнил, остались ли у клиента вопросы")]},
]}
DEFAULT_KEY = "default"
DEFAULT_NAME = {"en": "Competencies", "ru": "Компетенции"}


# ------------------------------------------------------------------------- stored cards

def card_of(row: Scorecard) -> Card:
    return parse_card(row.definition)


def current_cards(session: Session, project: str) -> list[Scorecard]:
    return list(session.scalars(select(Scorecard).where(Scorecard.project == project, Scorecard.status == CURRENT)
                                .order_by(Scorecard.key)))


def get_card(session: Session, project: str, card_id: int) -> Scorecard:
    row = session.get(Scorecard, card_id)
    if row is None or row.project != project:
        raise NotFound("quality.card.unknown", card=card_id)
    return row


def versions(session: Session, project: str, key: str) -> list[Scorecard]:
    return list(session.scalars(select(Scorecard).where(Scorecard.project == project, Scorecard.key == key)
                                .order_by(Scorecard.version.desc())))


def do_save_card(session: Session, project: str, actor: str, key: str, name: str, definition: Any,
                 now_us: int) -> Scorecard:
    """Write ``key``'s next version (its first: a new card) and make it the current one;
    the previous version stays for the evaluations scored on it."""
    if not ID.match(key):
        raise InvalidInput("quality.card.bad_id", field="key", value=key)
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInput("quality.card.bad_name", field="name")
    card = parse_card(definition)
    last = session.scalar(select(func.max(Scorecard.version)).where(Scorecard.project == project,
                                                                   Scorecard.key == key)) or 0
    for old in session.scalars(select(Scorecard).where(Scorecard.project == project, Scorecard.key == key,
                                                       Scorecard.status == CURRENT)):
        old.status = SUPERSEDED
    row = Scorecard(project=project, key=key, version=last + 1, name=name, definition=card.to_dict(),
                    status=CURRENT, created_by=actor, created_at_us=now_us)
    session.add(row)
    session.flush()
    audit(session, actor, "scorecard.saved", project, f"{key}@{row.version}", name=name)
    return row


def do_retire_card(session: Session, project: str, actor: str, key: str) -> None:
    """Take a card out of use: no new evaluations on it; past ones keep it."""
    rows = [r for r in versions(session, project, key) if r.status == CURRENT]
    if not rows:
        raise NotFound("quality.card.unknown", card=key)
    for row in rows:
        row.status = RETIRED
    audit(session, actor, "scorecard.retired", project, key)


def ensure_default_card(session: Session, project: str, actor: str, lang: str, now_us: int) -> Scorecard | None:
    """The default card for a project that has never had one (first use, or ``dozvon qa
    default-card``); None when the project already has cards (even retired ones: a card an
    admin took away does not come back by itself)."""
    if session.scalar(select(Scorecard.id).where(Scorecard.project == project).limit(1)) is not None:
        return None
    return do_save_card(session, project, actor, DEFAULT_KEY, DEFAULT_NAME.get(lang, DEFAULT_NAME["en"]),
                        DEFAULT_CARD, now_us)


def card_dict(row: Scorecard, lang: str | None = None) -> dict[str, Any]:
    """A stored card as the API shows it; with ``lang``, each text also as ``label`` in it."""
    definition = card_of(row).to_dict()
    if lang is not None:
        for comp in definition["competencies"]:
            comp["label"] = words(comp["title"], lang)
            for crit in comp["criteria"]:
                crit["label"] = words(crit["text"], lang)
    return {"id": row.id, "key": row.key, "version": row.version, "name": row.name, "status": row.status,
            "created_by": row.created_by, "created_at": row.created_at_us / 1e6, **definition}
