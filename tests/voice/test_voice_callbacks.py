"""The automatic callback honours the CRM's ``do_not_call`` flag: a caller who hung up and
was then flagged is not dialled when an operator becomes free, and their callback task is
left open for a person. (The callback that does dial is tested in test_voice_server.py.)"""

# ruff: noqa: F811  (the live server's fixtures are imported by name, then asked for as parameters)
from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

import pytest

from tests.server.conftest import Live
from tests.voice.conftest import run_sipp
from tests.voice.live import add_line, events, voice_db, voice_live, wait_for  # noqa: F401  (fixtures)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_a_caller_flagged_do_not_call_is_not_called_back(voice_live: Live, sipp: str, speech: dict[str, Path],
                                                         tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    from dozvon.routing.model import QueueConfig

    voice_live.hub.service("alpha").run(lambda e: e.add_queue(QueueConfig(
        name="sales", strategy="round_robin", offer_timeout_s=30, wrap_up_s=60, callback_on_abandon=True)))
    add_line(voice_live, auto_callback=True)
    # The trunk: whatever Dozvon would send to dial out arrives here (nothing must).
    trunk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    trunk.bind(("127.0.0.1", voice_live.trunk_port))  # type: ignore[attr-defined]
    trunk.setblocking(False)
    try:
        run = asyncio.run(run_sipp(sipp, tmp_path, voice_live.sip_port,  # type: ignore[attr-defined]
                                   scenario="uac_speech.xml", replace={"SPEECH_FILE": str(speech["ulaw"]),
                                                                       "CALL_MS": "3000"}))
        assert run.returncode == 0, run.explain()
        created = wait_for(lambda: events(voice_live, "alpha", "callback.created"))
        customer = created[0].data["customer_id"]
        assert customer
        voice = voice_live.app.state.voice
        wait_for(lambda: voice.callbacks.pending)  # the callback waits for a free operator
        op1 = voice_live.client("alpha-op1")
        flagged = op1.put(f"/api/v1/projects/alpha/customers/{customer}/flags/do_not_call",
                          json={"reason": "asked us not to call"})
        assert flagged.status_code == 200, flagged.text
        ready = op1.post("/api/v1/projects/alpha/operators/op1/state", json={"state": "available"})
        assert ready.status_code == 200, ready.text
        wait_for(lambda: not voice.callbacks.pending)  # looked at with op1 free, and given up
        time.sleep(1.5)  # had a dial started, its INVITE would be here by now
        with pytest.raises(BlockingIOError):
            trunk.recv(65536)
    finally:
        trunk.close()
    assert "flagged do_not_call" in capfd.readouterr().out
    assert len(events(voice_live, "alpha", "contact.arrived")) == 1  # nobody was called: no second contact
    tasks = voice_live.client("alpha-sup").get("/api/v1/projects/alpha/callbacks").json()["items"]
    assert [(t["conversation_id"], t["status"]) for t in tasks] == [(created[0].contact_id, "open")]
