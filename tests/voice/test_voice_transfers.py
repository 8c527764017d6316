"""Blind transfers of a call through the live server: to another queue (the caller waits
there with music and is bridged to the operator of that queue who accepts) and to an
outside number (a fresh call through the trunk, bridged to the caller).

The caller is SIPp; the operators are the HTTP API plus an aiortc softphone; the outside
number is a SIP agent on the trunk's address that answers, says a tone and measures what
it hears — a real SIP peer over loopback, so the audio crossing Dozvon's bridge in both
directions is measured where a person would hear it.
"""

# ruff: noqa: F811  (the live server's fixtures are imported by name, then asked for as parameters)
from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest

from dozvon.voice import audio, g711
from dozvon.voice.sip import Call
from tests.server.conftest import Live
from tests.voice.conftest import run_sipp, running_agent
from tests.voice.live import Softphone, add_line, answer_as_op1, events, voice_db, voice_live, wait_for  # noqa: F401

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _long_speech(speech: dict[str, Path], tmp_path: Path, times: int) -> Path:
    talk = tmp_path / "long-speech.wav"  # the caller talks on through the transfer
    subprocess.run(["sox", *[str(speech["ulaw"])] * times, str(talk)], check=True)
    return talk


def test_a_call_transferred_to_another_queue_waits_there_and_is_bridged_to_its_operator(
        voice_live: Live, sipp: str, speech: dict[str, Path], tmp_path: Path) -> None:
    """op1 (sales) sends the caller to the queue ``support``, where only op2 works: the call
    is queued there, offered to op2, and op2's softphone hears the caller; op1's softphone
    is hung up by the server."""
    from dozvon.routing.model import OperatorConfig, QueueConfig

    svc = voice_live.hub.service("alpha")
    svc.run(lambda e: e.add_queue(QueueConfig(name="support", strategy="round_robin", offer_timeout_s=30)))
    svc.run(lambda e: e.add_operator(OperatorConfig.from_dict(
        {"id": "op2", "queues": ["support"], "capacity": {"voice": 1, "chat": 3}})))
    add_line(voice_live)
    talk = _long_speech(speech, tmp_path, 6)
    first, second = Softphone(), Softphone()

    async def scenario() -> tuple[float, float, str | None, str]:
        call = run_sipp(sipp, tmp_path, voice_live.sip_port,  # type: ignore[attr-defined]
                        scenario="uac_speech.xml", replace={"SPEECH_FILE": str(talk), "CALL_MS": "16000"})
        caller, op1, conversation = await answer_as_op1(voice_live, call, first, 2.0)
        heard_by_first = first.loudest()
        op2 = voice_live.client("alpha-op2")
        ready = await asyncio.to_thread(op2.post, "/api/v1/projects/alpha/operators/op2/state",
                                        json={"state": "available"})
        assert ready.status_code == 200, ready.text
        moved = await asyncio.to_thread(op1.post, f"/api/v1/projects/alpha/conversations/{conversation}/transfer",
                                        json={"to_queue": "support"})
        assert moved.status_code == 200, moved.text
        offered = await asyncio.to_thread(wait_for, lambda: [e for e in events(voice_live, "alpha", "offer.created")
                                                             if e.operator_id == "op2"])
        assert offered[0].queue == "support"
        # op1's softphone is let go by the server as soon as the call left them.
        await asyncio.to_thread(wait_for, lambda: first.pc.connectionState in ("closed", "failed") or None)
        first_state = first.pc.connectionState
        accepted = await asyncio.to_thread(op2.post, f"/api/v1/projects/alpha/offers/{offered[0].data['offer_id']}"
                                           "/accept")
        assert accepted.status_code == 200, accepted.text
        await second.join(op2, "alpha", conversation)
        await asyncio.sleep(3.0)
        heard_by_second = second.loudest()
        run = await caller
        await first.close()
        await second.close()
        assert run.returncode == 0, run.explain()
        return heard_by_first, heard_by_second, first_state, conversation

    heard_by_first, heard_by_second, first_state, conversation = asyncio.run(scenario())
    assert heard_by_first > 500 and heard_by_second > 500  # the caller reached op1, then op2
    assert first_state in ("closed", "failed")
    transferred = events(voice_live, "alpha", "contact.transferred")
    assert [(e.operator_id, e.data.get("to_queue")) for e in transferred] == [("op1", "support")]
    queued = [(e.queue, e.data.get("reason")) for e in events(voice_live, "alpha", "contact.queued")]
    assert queued[-1] == ("support", "transfer")
    answered = events(voice_live, "alpha", "contact.answered")
    assert [(e.operator_id, e.queue) for e in answered] == [("op1", "sales"), ("op2", "support")]
    ended = wait_for(lambda: events(voice_live, "alpha", "contact.ended"))
    assert ended[0].operator_id == "op2" and ended[0].data["by"] == "customer"
    # One contact throughout (the quality checker's verdict, once the call has closed, names
    # the conversation in its data and belongs to no contact).
    assert {e.contact_id for e in events(voice_live, "alpha") if e.contact_id is not None} == {conversation}


class OutsidePhone:
    """The number a call is transferred to: answers, says a 600 Hz tone, keeps the loudness
    of every frame it hears, and notes how its call ended."""

    def __init__(self) -> None:
        self.heard: list[float] = []
        self.calls: list[Call] = []
        self.ended: asyncio.Event = asyncio.Event()

    async def on_call(self, call: Call) -> None:
        self.calls.append(call)
        await call.ring()
        await call.answer()
        assert call.media is not None
        call.media.write(audio.tone(600, 30_000, level=0.2))
        while not call.ended.is_set():
            frame = await call.media.read()
            if not frame:
                break
            self.heard.append(g711.rms(frame))
        self.ended.set()

    def loudest(self, last: int = 100) -> float:
        return max(self.heard[-last:], default=0.0)


def test_a_blind_transfer_to_a_number_dials_it_and_bridges_the_caller(
        voice_live: Live, sipp: str, tmp_path: Path) -> None:
    """op1 sends the caller to +74950001122 without talking to them first: Dozvon dials the
    number through the trunk after the transfer, the caller (SIPp echoing what it hears)
    and the number hear each other — the number's tone comes back to it through the caller —
    op1 is free at once, and the caller's hang-up ends the outside call too."""
    add_line(voice_live)
    softphone = Softphone()
    outside = OutsidePhone()

    async def scenario() -> tuple[float, float, str]:
        async with running_agent(outside.on_call, listen_port=voice_live.trunk_port):  # type: ignore[attr-defined]
            call = run_sipp(sipp, tmp_path, voice_live.sip_port,  # type: ignore[attr-defined]
                            scenario="uac_echo.xml", replace={"CALL_MS": "14000"}, extra=["-rtp_echo"])
            caller, op1, conversation = await answer_as_op1(voice_live, call, softphone, 2.0)
            assert not outside.calls  # nobody was dialled while op1 talked
            heard_by_op1 = softphone.loudest()
            moved = await asyncio.to_thread(op1.post, f"/api/v1/projects/alpha/conversations/{conversation}/transfer",
                                            json={"to_external": "+74950001122"})
            assert moved.status_code == 200, moved.text
            await asyncio.to_thread(wait_for, lambda: outside.calls or None)
            assert outside.calls[0].callee == "+74950001122"
            await asyncio.to_thread(wait_for, lambda: softphone.pc.connectionState in ("closed", "failed") or None)
            await asyncio.sleep(3.0)
            heard_by_outside = outside.loudest()
            run = await caller
            assert run.returncode == 0, run.explain()
            await asyncio.wait_for(outside.ended.wait(), 15)  # the caller's BYE ended the outside call
            await softphone.close()
            return heard_by_op1, heard_by_outside, outside.calls[0].end_reason or ""

    heard_by_op1, heard_by_outside, outside_end = asyncio.run(scenario())
    assert heard_by_op1 > 500  # op1's tone, echoed by the caller, before the transfer
    assert heard_by_outside > 500  # the number's tone went to the caller and came back
    assert outside_end == "remote_bye"
    transferred = events(voice_live, "alpha", "contact.transferred")
    assert [(e.operator_id, e.data.get("to_external")) for e in transferred] == [("op1", "+74950001122")]
    closed = wait_for(lambda: events(voice_live, "alpha", "contact.closed"))
    assert closed[0].data["outcome"] == "transferred_external"
    presence = voice_live.hub.service("alpha").read(lambda engine: engine.presence("op1"))
    assert presence in ("available", "wrap_up")  # the call is no longer op1's
