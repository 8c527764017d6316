"""Asterisk queue_log: the pinned report, and the import whose KPIs match it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dozvon.acd.repository import load_meta
from dozvon.acd.service import RouterService
from dozvon.analytics.queue_log import report
from dozvon.analytics.queue_log_import import import_queue_log
from dozvon.analytics.sql_kpi import kpi_report, log_span
from dozvon.core.db import get_engine, session_factory, upgrade
from dozvon.core.errors import Conflict
from dozvon.eventlog.repository import list_events

SAMPLE = Path(__file__).with_name("sample_queue_log.txt")
PINNED = {"offered", "answered", "abandoned", "car", "lcr", "asa_s", "service_level", "aht_s", "avg_abandon_s"}


def dozvon(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dozvon", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def test_report_json_has_the_pinned_shape_and_the_hand_counted_figures():
    result = dozvon("report", "queue-log", str(SAMPLE), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) >= {"queues", "total", "malformed_lines"}
    assert set(data["total"]) >= PINNED and all(set(q) >= PINNED for q in data["queues"].values())
    sales = data["queues"]["sales"]
    # 5 ENTERQUEUE (one after an EXITWITHTIMEOUT from support), 3 valid CONNECTs holding 5, 30, 10 s
    assert (sales["offered"], sales["answered"], sales["abandoned"]) == (5, 3, 1)
    assert sales["asa_s"] == pytest.approx(15.0)
    assert sales["service_level"] == pytest.approx(2 / 5)          # 5 s and 10 s within 20 s
    assert sales["aht_s"] == pytest.approx((180 + 100 + 90) / 3)   # two completions and a transfer
    assert sales["car"] == pytest.approx((5 - 3) / 5) and sales["lcr"] == pytest.approx(1 / 5)
    support = data["queues"]["support"]
    assert (support["offered"], support["answered"], support["abandoned"]) == (3, 1, 1)
    assert support["car"] == pytest.approx(2 / 3)  # an abandon and a timeout: both unanswered
    assert support["avg_abandon_s"] == 60
    assert data["total"]["offered"] == 8 and data["total"]["answered"] == 4


def test_malformed_lines_are_counted_with_their_numbers_and_do_not_stop_the_report():
    data = report(SAMPLE.read_text().splitlines(keepends=True)).as_dict()
    assert data["malformed_lines"] == 5
    assert [p["line"] for p in data["problems"]] == [27, 28, 29, 30, 32]
    assert "never entered a queue" in data["problems"][3]["reason"]
    assert "'twenty' is not a number" in data["problems"][4]["reason"]


def test_the_target_answer_and_short_abandon_options_change_what_they_say():
    strict = json.loads(dozvon("report", "queue-log", str(SAMPLE), "--json", "--target-answer", "5",
                               "--short-abandon", "61").stdout)
    assert strict["queues"]["sales"]["service_level"] == pytest.approx(1 / 5)
    assert strict["total"]["short_abandons"] == 2


def test_an_unreadable_file_is_a_clear_error(tmp_path: Path):
    result = dozvon("report", "queue-log", str(tmp_path / "missing"))
    assert result.returncode == 2 and "Cannot read" in result.stderr and "Traceback" not in result.stderr


@pytest.fixture
def db(database_url):
    upgrade(database_url)
    return get_engine(database_url)


def test_imported_history_gives_the_same_kpis_from_the_event_log(db, project):
    result = import_queue_log(RouterService(db, project), SAMPLE.read_text().splitlines(keepends=True))
    assert result.contacts == 8 and len(result.problems) == 5  # one contact per ENTERQUEUE
    direct = report(SAMPLE.read_text().splitlines(keepends=True)).as_dict()
    with session_factory(db)() as session:
        since, until = log_span(session, [project])
        by_queue = {row["queue"]: row for row in kpi_report(session, [project], since, until, period="all",
                                                            by=("queue",))}
        (total,) = kpi_report(session, [project], since, until, period="all")
        events = list_events(session, project, limit=10_000)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    for name in ("sales", "support"):
        for key in ("offered", "answered", "abandoned", "car", "lcr", "asa_s", "service_level", "aht_s",
                    "avg_abandon_s"):
            assert by_queue[name][key] == pytest.approx(direct["queues"][name][key]), (name, key)
    assert total["rona"] == 1
    types = {e.type for e in events}
    assert {"operator.logged_in", "operator.state_changed", "contact.transferred", "offer.timed_out"} <= types


def test_importing_the_same_log_twice_is_refused_and_writes_nothing(db, project):
    lines = SAMPLE.read_text().splitlines(keepends=True)
    svc = RouterService(db, project)
    import_queue_log(svc, lines)
    with session_factory(db)() as session:
        before = len(list_events(session, project, limit=10_000))
    with pytest.raises(Conflict) as error:
        import_queue_log(svc, lines)
    assert "already" in error.value.message("en")
    with pytest.raises(Conflict):
        import_queue_log(RouterService(db, project), lines)  # a fresh process is refused too
    with session_factory(db)() as session:
        assert len(list_events(session, project, limit=10_000)) == before
        assert load_meta(session, project)["event_seq"] == before


def test_an_import_continues_the_live_engines_sequence_and_the_engine_continues_after_it(db, project):
    """Imported through the project's routing service: a running engine's next event gets
    the seq after the import's last (nothing written behind its back, no seq taken twice)."""
    from dozvon.routing import OperatorConfig, QueueConfig

    svc = RouterService(db, project)
    svc.run(lambda e: e.add_queue(QueueConfig("sales")))
    result = import_queue_log(svc, SAMPLE.read_text().splitlines(keepends=True))
    svc.run(lambda e: e.add_operator(OperatorConfig("anna", queues=("sales",))))
    with session_factory(db)() as session:
        events = list_events(session, project, limit=10_000)
        assert load_meta(session, project)["event_seq"] == result.events + 2
    assert [e.seq for e in events] == list(range(1, result.events + 3))
    assert events[0].type == "queue.configured" and events[-1].type == "operator.configured"
    imported = events[1:-1]
    assert all(e.data["source"] == "asterisk_queue_log" for e in imported)
    assert [e.at_us for e in imported] == sorted(e.at_us for e in imported)  # at their own times


def test_an_import_that_fails_half_way_leaves_nothing_and_can_be_run_again(db, project):
    lines = SAMPLE.read_text().splitlines(keepends=True)
    svc = RouterService(db, project)

    def broken(session, project_, events):
        raise RuntimeError("disk full")

    svc.projections.append(broken)  # runs in the import's transaction, after its events are written
    with pytest.raises(RuntimeError):
        import_queue_log(svc, lines)
    with session_factory(db)() as session:
        assert list_events(session, project, limit=10_000) == []
        assert load_meta(session, project)["event_seq"] == 0
    svc.projections.remove(broken)
    result = import_queue_log(svc, lines)
    with session_factory(db)() as session:
        assert [e.seq for e in list_events(session, project, limit=10_000)] == list(range(1, result.events + 1))


def test_import_and_report_kpi_from_the_command_line(tmp_path: Path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/dozvon.db"}
    imported = dozvon("import", "queue-log", str(SAMPLE), "--project", "pbx", env=env)
    assert imported.returncode == 0, imported.stderr
    assert "Imported 8 calls" in imported.stdout and "line 32" in imported.stdout
    kpi = json.loads(dozvon("report", "kpi", "--project", "pbx", "--period", "all", "--json", env=env).stdout)
    assert kpi["rows"][0]["offered"] == 8 and kpi["rows"][0]["answered"] == 4
    again = dozvon("import", "queue-log", str(SAMPLE), "--project", "pbx", env=env)
    assert again.returncode == 2 and "already" in again.stderr
