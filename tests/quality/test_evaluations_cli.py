"""``dozvon qa default-card`` and ``dozvon qa cards`` against a real database file: the
default card is made once, in the chosen language; an unknown project is one clear line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from dozvon.accounts import actions as accounts
from dozvon.core.db import get_engine, session_factory, upgrade


def dozvon(*args: str, url: str, lang: str = "en") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url, "DOZVON_LANG": lang}
    return subprocess.run([sys.executable, "-m", "dozvon", *args], capture_output=True, text=True, env=env,
                          timeout=120)


def test_the_default_card_is_made_once_by_the_command(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/dozvon.db"
    upgrade(url)
    with session_factory(get_engine(url)).begin() as session:
        accounts.create_project(session, "test", "alpha", "Alpha")
    made = dozvon("qa", "default-card", "--project", "alpha", "--lang", "ru", "--json", url=url)
    assert made.returncode == 0, made.stderr
    answer = json.loads(made.stdout)
    assert answer["created"] is True and answer["card"]["name"] == "Компетенции"
    assert [c["id"] for c in answer["card"]["competencies"]][:2] == ["call_control", "negotiation"]
    again = dozvon("qa", "default-card", "--project", "alpha", url=url, lang="ru")
    assert again.returncode == 0 and "уже есть карты оценки" in again.stdout
    listed = dozvon("qa", "cards", "--project", "alpha", url=url)
    assert "Компетенции — key default, version 1: 7 competencies, 20 criteria" in listed.stdout
    unknown = dozvon("qa", "default-card", "--project", "nobody", url=url)
    assert unknown.returncode == 2 and "nobody" in unknown.stderr and "Traceback" not in unknown.stderr
