"""``dozvon qa …`` as tools run it: the pinned ``qa check FILE --json`` in a real subprocess,
a readable table in the user's language, one clear line and exit code 2 for a file that
is missing, not JSON or of the wrong shape; training and the report on DATABASE_URL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.quality.corpus import labelled

PINNED = {"greeting", "farewell", "politeness", "unanswered_question", "empathy", "response_time"}


def _dozvon(tmp_path: Path, *args: str, lang: str = "en") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path}/qa.db", DOZVON_LANG=lang)
    return subprocess.run([sys.executable, "-m", "dozvon", *args], env=env, capture_output=True, text=True,
                          timeout=180)


def _write(tmp_path: Path, name: str, data: object) -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


RUDE = {"messages": [
    {"from": "customer", "text": "Здравствуйте! Это безобразие, где мой заказ?", "at": 0},
    {"from": "operator", "text": "Добрый день. Не грубите, читать не умеете? Всё написано.", "at": 20},
    {"from": "customer", "text": "А когда привезут?", "at": 40}]}
POLITE = {"messages": [
    {"from": "customer", "text": "Hello, my sofa arrived scratched, this is awful!", "at": 0},
    {"from": "operator", "text": "Good afternoon! I'm so sorry about that.", "at": 30},
    {"from": "customer", "text": "Can you replace it?", "at": 60},
    {"from": "operator", "text": "Yes, a new one comes on Monday. Have a nice day!", "at": 120}]}


def test_the_pinned_json_of_a_failing_russian_conversation(tmp_path: Path) -> None:
    done = _dozvon(tmp_path, "qa", "check", str(_write(tmp_path, "rude.json", RUDE)), "--lang", "ru", "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert set(out["checks"]) >= PINNED and 0 <= out["score"] <= 100
    for result in out["checks"].values():
        assert isinstance(result["passed"], bool) and isinstance(result["evidence"], list)
    failed = {name for name, r in out["checks"].items() if not r["passed"]}
    assert failed == {"farewell", "politeness", "unanswered_question", "empathy"}
    assert out["checks"]["politeness"]["evidence"][0]["words"] == ["грубить", "читать не уметь"]
    assert out["checks"]["politeness"]["evidence"][0]["found"] == ["грубите", "читать не умеете"]
    assert out["checks"]["response_time"]["passed"] is True


def test_the_pinned_json_of_a_passing_english_conversation(tmp_path: Path) -> None:
    done = _dozvon(tmp_path, "qa", "check", str(_write(tmp_path, "ok.json", POLITE)), "--lang", "en", "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert all(r["passed"] for r in out["checks"].values()) and out["score"] == 100
    assert out["checks"]["empathy"]["evidence"][1]["words"] == ["sorry"]


def test_a_check_that_does_not_apply_passes(tmp_path: Path) -> None:
    quiet = {"messages": [{"from": "customer", "text": "Hi", "at": 0}, {"from": "operator", "text": "Hello!", "at": 5}]}
    out = json.loads(_dozvon(tmp_path, "qa", "check", str(_write(tmp_path, "q.json", quiet)), "--json").stdout)
    assert out["checks"]["empathy"]["passed"] is True and out["checks"]["empathy"]["applies"] is False


@pytest.mark.parametrize(("lang", "words"), [("en", ["Politeness", "FAILED", "Score: "]),
                                             ("ru", ["Вежливость", "НЕ ПРОЙДЕНА", "Итоговый балл"])])
def test_without_json_a_table_in_the_users_language(tmp_path: Path, lang: str, words: list[str]) -> None:
    done = _dozvon(tmp_path, "qa", "check", str(_write(tmp_path, "rude.json", RUDE)), lang=lang)
    assert done.returncode == 0, done.stderr
    for word in words:
        assert word in done.stdout
    assert "«грубите»" in done.stdout


@pytest.mark.parametrize(("content", "where"), [
    (None, "There is no file"),
    ("{\"messages\": [", "at 1:15: not JSON"),
    ("[1, 2]", "at /: expected {\"messages\": [...]}"),
    ({"messages": "hello"}, "at messages: expected a list"),
    ({"messages": [{"from": "boss", "text": "x", "at": 0}]}, "at messages[0].from: expected \"customer\" or \"operator\""),
    ({"messages": [{"from": "customer", "text": 5, "at": 0}]}, "at messages[0].text: expected a string"),
    ({"messages": [{"from": "customer", "text": "x", "at": "noon"}]}, "at messages[0].at: expected a number"),
])
def test_a_bad_file_is_one_clear_line_and_exit_code_2(tmp_path: Path, content: object, where: str) -> None:
    path = tmp_path / "bad.json" if content is None else _write(tmp_path, "bad.json", content)
    done = _dozvon(tmp_path, "qa", "check", str(path), "--json")
    assert done.returncode == 2, done.stdout
    assert where in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""


def test_a_bad_file_is_explained_in_russian_too(tmp_path: Path) -> None:
    done = _dozvon(tmp_path, "qa", "check", str(_write(tmp_path, "bad.json", {"messages": [7]})), lang="ru")
    assert done.returncode == 2 and "место messages[0]: ожидается" in done.stderr


def test_train_status_and_report_on_the_database(tmp_path: Path) -> None:
    from sqlalchemy import update

    from dozvon.acd.service import RouterService
    from dozvon.conversations.ingest import Inbound, ingest
    from dozvon.conversations.models import Conversation
    from dozvon.core.clock import ManualClock
    from dozvon.core.db import get_engine, session_factory
    from dozvon.routing.model import QueueConfig
    from tests.conftest import T0

    assert _dozvon(tmp_path, "project", "create", "shop").returncode == 0
    assert "no trained classifier" in _dozvon(tmp_path, "qa", "status", "--project", "shop").stdout
    refused = _dozvon(tmp_path, "qa", "train", "--project", "shop")
    assert refused.returncode == 2 and "Too few conversations" in refused.stderr

    url = f"sqlite:///{tmp_path}/qa.db"
    svc = RouterService(get_engine(url), "shop", ManualClock(T0))
    svc.run(lambda e: e.add_queue(QueueConfig(name="sales", strategy="round_robin")))
    for n, (text, kind) in enumerate(labelled(per_type=5)):
        conv = ingest(svc, Inbound(channel="chat", external_id=f"x{n}", queue="sales", customer_id=f"k{n}",
                                   text=text)).conversation_id
        with session_factory(get_engine(url)).begin() as session:
            session.execute(update(Conversation).where(Conversation.id == conv).values(
                disposition={"contact_type": kind, "resolved": True, "notes": ""}))
    trained = _dozvon(tmp_path, "qa", "train", "--project", "shop", "--json")
    assert trained.returncode == 0, trained.stderr
    figures = json.loads(trained.stdout)
    assert figures["samples"] == 30 and 0 <= figures["accuracy"] <= 1 and figures["folds"] == 5
    ru = _dozvon(tmp_path, "qa", "status", "--project", "shop", lang="ru")
    assert "обучено на 30 разговорах" in ru.stdout
    assert json.loads(_dozvon(tmp_path, "qa", "report", "--project", "shop", "--json").stdout)["items"] == []
    bad = _write(tmp_path, "settings.json", {"chat": {"first_reply_s": -5}})
    refused_settings = _dozvon(tmp_path, "qa", "settings", "--project", "shop", "--set", str(bad))
    assert refused_settings.returncode == 2 and "chat.first_reply_s" in refused_settings.stderr
    good = _write(tmp_path, "settings.json", {"max_hold_s": 300})
    assert json.loads(_dozvon(tmp_path, "qa", "settings", "--project", "shop", "--set", str(good)).stdout)[
        "max_hold_s"] == 300
