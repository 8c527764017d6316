"""The scorecard's arithmetic and checks without a server: weights, "does not apply", a
critical criterion failing the whole evaluation, the spread of calibration answers, the
default card's shape in both languages, clear errors naming their place, and the weekly
draw that a reload cannot reshuffle."""

from __future__ import annotations

from datetime import date

import pytest

from dozvon.core.errors import InvalidInput
from dozvon.quality import sampling
from dozvon.quality.scorecards import DEFAULT_CARD, check_answers, parse_card, score, spreads

CARD = parse_card({"competencies": [
    {"id": "politeness", "title": {"en": "Politeness", "ru": "Вежливость"}, "weight": 1, "criteria": [
        {"id": "p.rude", "text": "No rudeness", "critical": True},
        {"id": "p.tone", "text": "Tone", "scale": 2}]},
    {"id": "resolution", "title": "Resolution", "weight": 3, "criteria": [
        {"id": "r.done", "text": "Resolved", "scale": 4, "weight": 3},
        {"id": "r.asked", "text": "Asked for more"}]},
]})


def test_a_score_is_the_weighted_mean_of_the_competencies_and_not_applicable_is_left_out():
    got = score(CARD, check_answers(CARD, {"p.rude": 1, "p.tone": 1, "r.done": 2, "r.asked": None}))
    assert got.competencies == {"politeness": 75.0, "resolution": 50.0}
    assert got.score == pytest.approx((1 * 75 + 3 * 50) / 4, abs=0.1) and not got.failed_critical


def test_a_critical_criterion_answered_no_makes_the_whole_evaluation_zero_but_keeps_the_competencies():
    got = score(CARD, check_answers(CARD, {"p.rude": 0, "p.tone": 2, "r.done": 4, "r.asked": 1}))
    assert (got.score, got.failed_critical, got.failed) == (0.0, True, ("p.rude",))
    assert got.competencies["resolution"] == 100.0


def test_answers_must_cover_the_card_and_stay_on_its_scales():
    with pytest.raises(InvalidInput) as missing:
        check_answers(CARD, {"p.rude": 1, "p.tone": 1, "r.done": 2})
    assert missing.value.params["field"] == "answers.r.asked"
    with pytest.raises(InvalidInput) as off:
        check_answers(CARD, {"p.rude": 1, "p.tone": 3, "r.done": 2, "r.asked": 1})
    assert off.value.params["field"] == "answers.p.tone"
    with pytest.raises(InvalidInput):
        check_answers(CARD, {"p.rude": True, "p.tone": 1, "r.done": 2, "r.asked": 1})
    with pytest.raises(InvalidInput):
        check_answers(CARD, {"p.rude": 1, "p.tone": 1, "r.done": 2, "r.asked": 1, "x.y": 1})
    with pytest.raises(InvalidInput) as nothing:
        score(CARD, dict.fromkeys(("p.rude", "p.tone", "r.done", "r.asked")))
    assert "not applicable" in nothing.value.message("en")


def test_a_bad_card_is_refused_with_the_place_of_the_problem_in_both_languages():
    bad = {"competencies": [{"id": "a", "title": "A", "criteria": [{"id": "a.1", "text": "x"}]},
                            {"id": "b", "title": "B", "criteria": [{"id": "a.1", "text": "y"}]}]}
    with pytest.raises(InvalidInput) as twice:
        parse_card(bad)
    assert twice.value.params["field"] == "competencies[1].criteria[0].id"
    assert "дважды" in twice.value.message("ru") and "twice" in twice.value.message("en")
    for broken, where in (({"competencies": []}, "competencies"),
                          ({"competencies": [{"id": "a", "title": "A", "criteria": []}]}, "competencies[0].criteria"),
                          ({"competencies": [{"id": "A!", "title": "A", "criteria": [{"id": "a.1", "text": "x"}]}]},
                           "competencies[0].id"),
                          ({"competencies": [{"id": "a", "title": {"de": "A"}, "criteria": [{"id": "a.1",
                                                                                          "text": "x"}]}]},
                           "competencies[0].title"),
                          ({"competencies": [{"id": "a", "title": "A", "weight": 0, "criteria": [{"id": "a.1",
                                                                                                 "text": "x"}]}]},
                           "competencies[0].weight")):
        with pytest.raises(InvalidInput) as refused:
            parse_card(broken)
        assert refused.value.params["field"] == where


def test_the_default_card_has_the_seven_competencies_in_both_languages_and_weights_of_100():
    card = parse_card(DEFAULT_CARD)
    assert [c.id for c in card.competencies] == ["call_control", "negotiation", "urgency", "politeness",
                                                  "product_knowledge", "empathy", "resolution"]
    assert sum(c.weight for c in card.competencies) == 100
    for comp in card.competencies:
        assert comp.title["en"] and comp.title["ru"]
        for crit in comp.criteria:
            assert crit.text["en"] and crit.text["ru"] and crit.id.startswith(comp.id + ".")
    assert {c.id for comp in card.competencies for c in comp.criteria if c.critical} == {
        "politeness.no_rudeness", "product_knowledge.correct"}


def test_the_spread_per_criterion_compares_yes_no_and_scales_alike():
    found = {s.criterion: s for s in spreads(CARD, [
        {"p.rude": 1, "p.tone": 2, "r.done": 4, "r.asked": 1},
        {"p.rude": 1, "p.tone": 0, "r.done": 3, "r.asked": None}])}
    assert (found["p.rude"].points, found["p.rude"].share) == (0, 0.0)
    assert (found["p.tone"].points, found["p.tone"].share) == (2, 1.0)
    assert (found["r.done"].points, found["r.done"].share) == (1, 0.25)
    assert found["r.asked"].share == 1.0, "one scored it, the other thought it did not apply"


def test_the_weekly_draw_is_fixed_for_the_week_and_differs_between_weeks():
    ids = [f"c{n}" for n in range(50)]
    week49 = sorted(ids, key=lambda c: sampling.rank("alpha", "2026-W49", c))
    assert week49 == sorted(reversed(ids), key=lambda c: sampling.rank("alpha", "2026-W49", c))
    assert week49[:2] != sorted(ids, key=lambda c: sampling.rank("alpha", "2026-W50", c))[:2]
    w = sampling.week("2026-W49", "Europe/Moscow", date(2026, 12, 2))
    assert (w.end_us - w.start_us) == 7 * 86400 * 1_000_000
    assert sampling.week(None, "Europe/Moscow", date(2026, 12, 2)).label == "2026-W49"
    assert sampling.neighbours(w, "Europe/Moscow") == ("2026-W48", "2026-W50")
    for bad in ("2026-W54", "49", "2026W49"):
        with pytest.raises(InvalidInput):
            sampling.week(bad, "UTC", date(2026, 12, 2))
