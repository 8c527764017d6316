"""``dozvon db upgrade`` and ``dozvon events`` against a real database file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dozvon.acd.service import RouterService
from dozvon.core.clock import ManualClock
from dozvon.core.db import get_engine
from dozvon.routing import ContactSpec, OperatorConfig, QueueConfig
from tests.conftest import T0


def dozvon(*args: str, url: str, lang: str = "en") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url, "DOZVON_LANG": lang}
    return subprocess.run([sys.executable, "-m", "dozvon", *args], capture_output=True, text=True, env=env,
                          timeout=120)


def test_events_before_the_schema_exists_says_what_to_do(tmp_path: Path):
    url = f"sqlite:///{tmp_path}/empty.db"
    result = dozvon("events", url=url)
    assert result.returncode == 2 and "dozvon db upgrade" in result.stderr and "Traceback" not in result.stderr
    russian = dozvon("events", url=url, lang="ru")
    assert "сначала выполните" in russian.stderr


def test_upgrade_then_the_event_log_shows_what_the_engine_did(tmp_path: Path):
    url = f"sqlite:///{tmp_path}/data/dozvon.db"
    assert dozvon("db", "upgrade", url=url).returncode == 0
    assert dozvon("db", "upgrade", url=url).returncode == 0  # idempotent
    service = RouterService(get_engine(url), "default", ManualClock(T0))
    service.run(lambda e: e.add_queue(QueueConfig("sales")))
    service.run(lambda e: e.add_operator(OperatorConfig("anna", queues=("sales",))))
    service.run(lambda e: e.login("anna"))
    service.run(lambda e: e.contact_arrived(ContactSpec("call-1", "sales", customer_id="+79161234567")))
    table = dozvon("events", "--limit", "100", url=url)
    assert table.returncode == 0, table.stderr
    assert "offer.created" in table.stdout and "call-1" in table.stdout and "anna" in table.stdout
    lines = dozvon("events", "--json", "--after", "3", url=url).stdout.splitlines()
    assert lines and all('"seq"' in line for line in lines)
    assert min(int(line.split('"seq": ')[1].split(",")[0]) for line in lines) == 4


def test_a_bad_database_url_is_a_clear_error(tmp_path: Path):
    result = dozvon("db", "upgrade", url="mysql://nowhere/db")
    assert result.returncode == 2 and "sqlite:///" in result.stderr and "Traceback" not in result.stderr
