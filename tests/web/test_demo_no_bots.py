"""``dozvon demo --no-bots``: the demo with neither bot operators nor generated customers,
so that people (or a test) play every role; operator1 serves every demo queue."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.server.conftest import free_port
from tests.server.test_cli import _env, _wait_ready


def test_demo_without_bots_leaves_every_role_to_people(tmp_path: Path) -> None:
    port = free_port()
    demo = subprocess.Popen([sys.executable, "-m", "dozvon", "demo", "--no-bots", "--port", str(port),
                             "--duration", "6"], env=_env(tmp_path), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    _wait_ready(base, demo)
    with httpx.Client(base_url=base) as client:
        assert "Log in" in client.get("/", headers={"Accept-Language": "en"}).text
        assert client.post("/auth/login", json={"username": "supervisor", "password": "demo"}).status_code == 200
        time.sleep(2)  # long enough for the bots and the customers to show up, were they there
        assert client.get("/api/v1/projects/demo/wallboard").json()["today"]["offered"] == 0
        operators = {o["id"]: o for o in client.get("/api/v1/projects/demo/operators").json()["items"]}
        assert all(o["presence"] == "offline" for o in operators.values())
        queues = {q["name"] for q in client.get("/api/v1/projects/demo/queues").json()["items"]}
        assert set(operators["operator1"]["queues"]) == queues
    output, _ = demo.communicate(timeout=60)
    assert demo.returncode == 0, output
    assert f"Operator desktop (log in as operator1 / demo): {base}/" in output
