"""What the caller's side does and hears through the live server: the caller's own phone
holding the call and resuming it while they talk to an operator, and the position
announcements while they wait in the queue.

The caller is SIPp (echoing what it hears with ``-rtp_echo`` where the test listens for
it); the operator is the HTTP API plus an aiortc softphone.
"""

# ruff: noqa: F811  (the live server's fixtures are imported by name, then asked for as parameters)
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.server.conftest import Live
from tests.voice.conftest import run_sipp
from tests.voice.live import Softphone, add_line, answer_as_op1, events, voice_db, voice_live, wait_for  # noqa: F401

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_a_caller_who_holds_and_resumes_the_call_through_the_server_keeps_it_and_is_heard_again(
        voice_live: Live, sipp: str, tmp_path: Path) -> None:
    """SIPp, talking to op1, sends a re-INVITE with ``sendonly`` (answered ``recvonly``),
    then ``sendrecv``. While it holds, Dozvon sends it nothing, so op1's tone stops coming
    back; after the resume it comes back again; the call goes on to the caller's BYE. The
    customer's hold is not the operator's: no ``contact.held`` is logged for it."""
    add_line(voice_live)
    softphone = Softphone()

    async def scenario() -> tuple[float, float, float]:
        call = run_sipp(sipp, tmp_path, voice_live.sip_port,  # type: ignore[attr-defined]
                        scenario="uac_hold_talk.xml", extra=["-rtp_echo"], timeout=60,
                        replace={"TALK_MS": "7000", "HOLD_MS": "5000", "AFTER_MS": "5000"})
        caller, _op1, conversation = await answer_as_op1(voice_live, call, softphone, 0.5)
        leg = voice_live.app.state.voice.sessions[conversation].leg
        softphone.frames.clear()
        await asyncio.sleep(1.5)
        before = softphone.loudest()
        await asyncio.to_thread(wait_for, lambda: leg.peer_held or None)
        await asyncio.sleep(0.5)  # what was on its way back before the hold has arrived
        softphone.frames.clear()
        await asyncio.sleep(2.0)
        held = softphone.loudest()
        await asyncio.to_thread(wait_for, lambda: not leg.peer_held or None)
        softphone.frames.clear()
        await asyncio.sleep(2.0)
        after = softphone.loudest()
        run = await caller
        await softphone.close()
        assert run.returncode == 0, run.explain()  # both re-INVITEs answered as SDP wants
        return before, held, after

    before, held, after = asyncio.run(scenario())
    assert before > 500  # op1's tone reached the caller and came back
    assert held < 50  # on hold: nothing sent to the caller, nothing echoed
    assert after > 500  # resumed: the talk goes on
    assert events(voice_live, "alpha", "contact.held") == []
    ended = wait_for(lambda: events(voice_live, "alpha", "contact.ended"))
    assert ended[0].operator_id == "op1" and ended[0].data["by"] == "customer"
    assert len(events(voice_live, "alpha", "contact.answered")) == 1
