"""``dozvon demo --sip-listen``: any number dialled at the demo's SIP address is answered,
greeted and queued (other tools call it — pinned by the issue)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from tests.server.conftest import free_port
from tests.server.test_cli import _env, _wait_ready
from tests.voice.conftest import free_ports, run_sipp, sipp, speech  # noqa: F401  (fixtures)


def test_the_demo_answers_greets_and_queues_any_number(tmp_path: Path, sipp: str,  # noqa: F811
                                                        speech: dict[str, Path]) -> None:  # noqa: F811
    port, (sip,) = free_port(), free_ports(1)
    demo = subprocess.Popen([sys.executable, "-m", "dozvon", "demo", "--no-bots", "--port", str(port),
                             "--sip-listen", f"127.0.0.1:{sip}", "--duration", "25"],
                            env=_env(tmp_path, DOZVON_PLAIN="1"), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    try:
        _wait_ready(f"http://127.0.0.1:{port}", demo)
        run = asyncio.run(run_sipp(sipp, tmp_path, sip, scenario="uac_speech.xml",
                                   replace={"SPEECH_FILE": str(speech["ulaw"]), "CALL_MS": "14000"}))
        assert run.returncode == 0, run.explain()  # answered (200 OK), and it took our BYE at the end
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            assert client.post("/auth/login", json={"username": "supervisor", "password": "demo"}).status_code == 200
    finally:
        output, _ = demo.communicate(timeout=60)
    assert demo.returncode == 0, output
    assert f"SIP on 127.0.0.1:{sip}" in output  # the demo says where to call
    db = create_engine(f"sqlite:///{tmp_path / 'data' / 'demo.db'}")
    with db.connect() as connection:
        rows = connection.execute(text("SELECT type, queue FROM events WHERE channel = 'voice' ORDER BY seq")).all()
    types = [r.type for r in rows]
    assert types[:2] == ["contact.arrived", "contact.queued"] and rows[0].queue == "sales"  # no digit: the line's queue
    assert "contact.abandoned" in types  # nobody answered (no bots): the caller's hang-up is an abandon
