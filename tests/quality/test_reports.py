"""Failed checks counted per operator and per queue over a period, and one operator beside
the median of the team — on SQLite and PostgreSQL, from stored results."""

from __future__ import annotations

from sqlalchemy import insert

from dozvon.conversations.models import Conversation
from dozvon.core.db import get_engine, session_factory
from dozvon.quality.actions import Checked, store_results
from dozvon.quality.checks import Msg, run_checks
from dozvon.quality.reports import operator_against_team, summary, totals

US = 1_000_000
RUDE = [Msg("customer", "Где заказ?", 0), Msg("operator", "Не ваше дело.", 10)]
FINE = [Msg("customer", "Где заказ?", 0), Msg("operator", "Здравствуйте! В пути. Хорошего дня!", 10)]


def _store(url: str, rows: list[tuple[str, str, str, int, list[Msg]]]) -> None:
    sessions = session_factory(get_engine(url))
    with sessions.begin() as session:
        session.execute(insert(Conversation), [
            {"id": cid, "project": "shop", "channel": "chat", "queue": queue, "external_id": cid,
             "customer_id": None, "customer_name": "", "subject": "", "status": "handled", "operator_id": op,
             "created_at_us": at * US, "answered_at_us": at * US, "closed_at_us": at * US, "disposition": None,
             "details": {}} for cid, op, queue, at, _ in rows])
        store_results(session, "shop", [Checked(cid, op, queue, "chat", at * US, run_checks(talk))
                                        for cid, op, queue, at, talk in rows], 0)


def test_failures_per_operator_and_queue_over_a_period(db_url: str) -> None:
    _store(db_url, [("c1", "anna", "sales", 100, RUDE), ("c2", "anna", "sales", 200, FINE),
                    ("c3", "boris", "support", 300, RUDE), ("c4", "boris", "sales", 5000, RUDE)])
    with session_factory(get_engine(db_url))() as session:
        rows = summary(session, "shop", 0, 1000 * US)
        by_queue = summary(session, "shop", 0, 10_000 * US, "queue")
        other_project = summary(session, "elsewhere", 0, 10_000 * US)
    assert [(r["key"], r["conversations"], r["failed_conversations"]) for r in rows] == [
        ("anna", 2, 1), ("boris", 1, 1)]
    anna = rows[0]
    assert anna["failures"] == {"greeting": 1, "farewell": 1, "politeness": 1}
    assert anna["rates"]["politeness"] == 0.5 and anna["mean_score"] == (run_checks(RUDE).score + 100) / 2
    assert {r["key"]: r["conversations"] for r in by_queue} == {"sales": 3, "support": 1}
    assert totals(rows)["failures"]["politeness"] == 2 and totals(rows)["conversations"] == 3
    assert other_project == []


def test_an_operator_beside_the_teams_median_not_a_ranking(db_url: str) -> None:
    _store(db_url, [("c1", "anna", "sales", 100, RUDE), ("c2", "anna", "sales", 200, FINE),
                    ("c3", "boris", "sales", 300, FINE), ("c4", "vera", "sales", 400, FINE),
                    ("c5", "vera", "sales", 500, RUDE)])
    with session_factory(get_engine(db_url))() as session:
        mine = operator_against_team(session, "shop", "anna", 0, 1000 * US)
        alone = operator_against_team(session, "shop", "gleb", 0, 1000 * US, team=["anna", "boris"])
    assert mine["mine"]["failed_share"] == 0.5 and mine["mine"]["rates"]["politeness"] == 0.5
    assert mine["team_median"]["operators"] == 3 and mine["team_median"]["failed_share"] == 0.5
    assert mine["team_median"]["rates"]["politeness"] == 0.5 and mine["team_median"]["rates"]["empathy"] == 0.0
    assert set(mine) == {"operator_id", "mine", "team_median"}  # no colleague's own figures
    assert alone["mine"]["conversations"] == 0 and alone["team_median"]["operators"] == 2
