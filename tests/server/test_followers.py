"""The server's follower process on PostgreSQL (dozvon/server/followers.py): the KPI fold and
the quality rounds run in a process of their own, hand what needs the engine back to the
server, are started again when they die, and go when the server goes — kill -9 included.

(The checks of closed conversations through it are the quality suite's: its ``live``
servers run on PostgreSQL once more with the follower process.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from dozvon.analytics.models import KpiWatermarkRow
from dozvon.core.db import dispose_all, get_engine, session_factory, upgrade
from dozvon.eventlog.models import EventRecord
from dozvon.quality.models import SuggestionRow
from dozvon.server.hub import Hub
from tests.conftest import new_postgres_database
from tests.server.conftest import Live, free_port, seed_world, seeded_server
from tests.server.test_kill9 import serve

pytestmark = pytest.mark.postgres

COMPLAINT = "Это безобразие, где мой заказ?"


@pytest.fixture
def pg_url(postgres_server_url: str) -> Iterator[str]:
    with new_postgres_database("dozvon_fol") as url:
        upgrade(url)
        yield url


def _until(check: Callable[[], Any], timeout: float = 20.0, what: str = "it") -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout:.0f} s"
        time.sleep(0.1)
    return value


def _complaint(url: str, token: str, external_id: str) -> str:
    answer = httpx.post(f"{url}/api/v1/projects/alpha/ingest/messages", timeout=10,
                        headers={"Authorization": f"Bearer {token}"},
                        json={"channel": "messenger", "external_id": external_id, "queue": "sales",
                              "customer": {"id": external_id, "name": "Алексей"}, "text": COMPLAINT})
    assert answer.status_code == 201, answer.text
    conversation_id: str = answer.json()["conversation_id"]
    return conversation_id


def _alerted(live: Live, conversation_id: str) -> bool:
    """The suggestion is stored and the supervisors were alerted (the event the server logged)."""
    with live.hub.sessions() as session:
        row = session.get(SuggestionRow, conversation_id)
        alerts = session.scalar(select(func.count()).where(
            EventRecord.project == "alpha", EventRecord.contact_id == conversation_id,
            EventRecord.type == "quality.complaint_suspected"))
    return row is not None and row.contact_type == "complaint" and row.alerted and alerts == 1


def _follower(live: Live) -> int:
    """The follower's process id, once it has started."""
    return int(_until(lambda: (p := live.app.state.followers.process) is not None and p.is_alive() and p.pid,
                      what="the follower's start"))


def test_the_follower_process_suggests_alerts_and_folds_beside_the_server(pg_url: str) -> None:
    with seeded_server(pg_url, DOZVON_FOLLOWERS="process") as live:
        pid = _follower(live)
        assert pid != os.getpid()
        conversation_id = _complaint(live.url, live.tokens["alpha"], "f-1")
        # Suggested in the follower, alerted through the server's engine (once), and the KPI
        # projection folded there up to the last event, with no report asking for it.
        _until(lambda: _alerted(live, conversation_id), what="the complaint's alert")

        def folded() -> bool:
            with live.hub.sessions() as session:
                top = session.scalar(select(func.max(EventRecord.seq)).where(EventRecord.project == "alpha"))
                mark = session.get(KpiWatermarkRow, "alpha")
            return mark is not None and mark.seq == top

        _until(folded, timeout=30, what="the KPI fold")
        assert live.app.state.followers.process.pid == pid  # the same process did all of it


def test_a_follower_that_dies_is_started_again_and_goes_on(pg_url: str) -> None:
    with seeded_server(pg_url, DOZVON_FOLLOWERS="process") as live:
        first = _follower(live)
        os.kill(first, signal.SIGKILL)
        second = _until(lambda: (p := live.app.state.followers.process) is not None and p.pid != first
                        and p.is_alive() and p.pid, what="the follower's restart")
        conversation_id = _complaint(live.url, live.tokens["alpha"], "f-2")
        _until(lambda: _alerted(live, conversation_id), what="the alert after the restart")
        assert live.app.state.followers.process.pid == second
        metrics = httpx.get(f"{live.url}/metrics").text  # what a monitor sees: it was started twice
        assert "dozvon_follower_starts_total 2.0" in metrics.splitlines()


def _children(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.add(int(entry))
    return found


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited
    except OSError:
        return False


def test_the_follower_goes_when_the_server_is_killed(pg_url: str) -> None:
    """``dozvon serve`` on PostgreSQL runs the follower by itself (``auto``); kill -9 of the
    server leaves no process of it behind."""
    hub = Hub(get_engine(pg_url))
    token = seed_world(hub)["alpha"]
    dispose_all()
    port = free_port()
    server = serve(pg_url, port)
    try:
        conversation_id = _complaint(f"http://127.0.0.1:{port}", token, "f-3")
        with session_factory(get_engine(pg_url))() as session:
            _until(lambda: (row := session.get(SuggestionRow, conversation_id, populate_existing=True))
                   is not None and row.alerted, what="the complaint's alert")  # so the follower runs
        left = _children(server.pid)
        assert left, "dozvon serve started no follower process"
        os.kill(server.pid, signal.SIGKILL)
        assert server.wait(10) == -signal.SIGKILL
    finally:
        if server.poll() is None:
            server.kill()
        dispose_all()
    _until(lambda: not any(_running(pid) for pid in left), timeout=10, what="the follower's exit")


def test_the_setting_is_refused_with_a_clear_message_when_wrong(pg_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": pg_url, "DOZVON_FOLLOWERS": "fork"}
    answer = subprocess.run([sys.executable, "-m", "dozvon", "serve", "--port", str(free_port())],
                            env=env, capture_output=True, text=True, timeout=60)
    assert answer.returncode != 0
    assert "DOZVON_FOLLOWERS" in answer.stderr + answer.stdout and "Traceback" not in answer.stderr
