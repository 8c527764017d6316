"""``dozvon init``, ``dozvon serve`` and ``dozvon demo`` as a person runs them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.server.conftest import free_port


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return {**env, "DOZVON_DATA_DIR": str(tmp_path / "data"), "DOZVON_LANG": "en", **extra}


def _wait_ready(url: str, process: subprocess.Popen[str], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("the server did not become ready")


def test_init_then_serve_lets_the_admin_in(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/prod.db"
    env = _env(tmp_path, DATABASE_URL=url)
    init = [sys.executable, "-m", "dozvon", "init", "--admin", "boss", "--password", "s3cret!", "--project", "acme",
            "--project-name", "ACME"]
    done = subprocess.run(init, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    again = subprocess.run(init, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 2 and "already exists" in again.stderr and "Traceback" not in again.stderr
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "dozvon", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_ready(base, server)
        with httpx.Client(base_url=base) as client:
            login = client.post("/auth/login", json={"username": "boss", "password": "s3cret!"})
            assert login.status_code == 200
            assert [p["slug"] for p in client.get("/api/v1/projects").json()["items"]] == ["acme"]
    finally:
        server.send_signal(signal.SIGINT)
        output, _ = server.communicate(timeout=30)
    # Ctrl+C: a graceful shutdown (uvicorn re-raises the signal, hence 130), no stack trace.
    assert server.returncode in (0, 130, -signal.SIGINT) and "Traceback" not in output, output
    assert "Application shutdown complete" in output


def test_demo_routes_demo_customers_and_lets_people_log_in(tmp_path: Path) -> None:
    port = free_port()
    demo = subprocess.Popen([sys.executable, "-m", "dozvon", "demo", "--port", str(port), "--duration", "12",
                             "--every", "0.3"], env=_env(tmp_path), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    _wait_ready(base, demo)
    with httpx.Client(base_url=base) as client:
        assert client.post("/auth/login", json={"username": "supervisor", "password": "demo"}).status_code == 200
        deadline = time.monotonic() + 8
        while (board := client.get("/api/v1/projects/demo/wallboard").json())["today"]["offered"] < 3:
            assert time.monotonic() < deadline, board
            time.sleep(0.3)
        operators = client.get("/api/v1/projects/demo/operators").json()["items"]
        assert len(operators) == 10 and any(o["presence"] != "offline" for o in operators)
    for user in ("admin", "operator1", "operator10"):
        assert httpx.post(f"{base}/auth/login", json={"username": user, "password": "demo"}).status_code == 200
    output, _ = demo.communicate(timeout=60)
    assert demo.returncode == 0, output
    assert f"{base}/docs" in output and "operator1" in output and "offered" in output
