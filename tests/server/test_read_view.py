"""Reads of live state under heavy concurrent commands: every read goes through the
project's read view, so none ever sees a dictionary changing under it."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from tests.server.conftest import Live


def test_heavy_concurrent_commands_and_reads_give_no_error(live: Live) -> None:
    sup = live.client("alpha-sup")
    for op in ("op1", "op2"):
        assert sup.post(f"/api/v1/projects/alpha/operators/{op}/state", json={"state": "available"}).status_code == 200
    stop = threading.Event()
    failures: list[str] = []

    def write(n: int) -> None:
        with live.token_client("alpha") as adapter:
            for i in range(40):
                answer = adapter.post("/api/v1/projects/alpha/ingest/contacts", json={
                    "channel": "chat", "external_id": f"load-{n}-{i}", "queue": "sales", "text": "?"})
                if answer.status_code != 201:
                    failures.append(answer.text)
                if i % 10 == 0:
                    adapter.post("/api/v1/projects/alpha/ingest/left",
                                 json={"channel": "chat", "external_id": f"load-{n}-{i}"})

    def churn() -> None:
        client = live.client("alpha-sup")
        if True:
            while not stop.is_set():
                for op in ("op1", "op2"):
                    for state in ("break", "available"):
                        client.post(f"/api/v1/projects/alpha/operators/{op}/state", json={"state": state})

    def read() -> None:
        client = live.client("alpha-sup")
        if True:
            while not stop.is_set():
                for path in ("/api/v1/projects/alpha/conversations?limit=200", "/api/v1/projects/alpha/operators",
                             "/api/v1/projects/alpha/queues", "/api/v1/projects/alpha/wallboard", "/metrics"):
                    answer = client.get(path)
                    if answer.status_code != 200:
                        failures.append(f"{path}: {answer.status_code} {answer.text[:200]}")

    with ThreadPoolExecutor(8) as pool:
        readers = [pool.submit(read) for _ in range(3)] + [pool.submit(churn)]
        writers = [pool.submit(write, n) for n in range(4)]
        for future in writers:
            future.result()
        stop.set()
        for future in readers:
            future.result()
    assert failures == []
