"""The ingest's trace (``DOZVON_TRACE``, read by bench/bench_server.py) and the pacing of
background rounds: a real server on SQLite and PostgreSQL, a real HTTP request."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from dozvon.core import pacing, tracing
from tests.server.conftest import Live


def test_a_traced_request_shows_each_step_of_its_batch_in_order(live: Live, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "trace.jsonl"
    monkeypatch.setattr(tracing, "TRACE", tracing.Tracer(str(path)))
    sent = tracing.clock()
    answer = live.token_client("alpha").post("/api/v1/projects/alpha/ingest/contacts", json={
        "channel": "email", "external_id": "traced-1", "queue": "sales", "customer": {"id": "t@example.com"},
        "text": "hello"})
    assert answer.status_code == 201
    with tracing.busy("a_round"):
        time.sleep(0.001)
    time.sleep(0.05)  # the loop's hand-overs are marked on the loop, just after the answer
    assert tracing.TRACE is not None
    tracing.TRACE.flush()
    records = [json.loads(line) for line in path.read_text().splitlines()]
    (batch,) = [r for r in records if r["kind"] == "batch"]
    assert [external_id for external_id, _ in batch["items"]] == ["traced-1"]
    assert sent <= batch["items"][0][1] <= batch["stages"][0][1]
    stages = [name for name, _ in batch["stages"]]
    for step in ("formed", "identity", "retries", "planned", "routed", "committed", "framed", "answered",
                 "answers_on_loop"):
        assert step in stages, stages
    moments = [at for _, at in batch["stages"] if _ != "frames_on_loop" and _ != "answers_on_loop"]
    assert moments == sorted(moments)
    (busy,) = [r for r in records if r["kind"] == "busy"]
    assert busy["name"] == "a_round" and busy["end"] - busy["start"] >= 0.001


def test_without_the_variable_nothing_is_kept() -> None:
    assert tracing.TRACE is None  # the test process has no DOZVON_TRACE
    tracing.mark("planned")  # no batch, no tracer: nothing happens
    with tracing.busy("a_round"):
        pass


def test_paced_work_pauses_and_other_work_does_not() -> None:
    pacing.pace()  # outside a paced block: no pause, no state
    assert not pacing.active()
    with pacing.paced(run_s=0.0, pause_s=0.002):
        assert pacing.active()
        started = time.perf_counter()
        for _ in range(5):
            pacing.pace()
        assert time.perf_counter() - started >= 0.01
    assert not pacing.active()


def test_paced_work_with_a_rest_pauses_as_long_as_it_ran() -> None:
    """The server's KPI fold on PostgreSQL rests after each step as long as it took
    (``rest=1.0``), so that the database's time beside it is at least half free; the pause
    is never shorter than asked, whatever the machine."""
    with pacing.paced(run_s=0.0, pause_s=0.0, rest=1.0):
        pacing.pace()  # the pacer's clock starts here
        busy_until = time.perf_counter() + 0.03
        while time.perf_counter() < busy_until:
            pass  # a step of 30 ms
        before = time.perf_counter()
        pacing.pace()
        assert time.perf_counter() - before >= 0.03
