"""What the caller's side does and hears through the live server: the caller's own phone
holding the call and resuming it while they talk to an operator, and the position
announcements while they wait in the queue.

The caller is SIPp (echoing what it hears with ``-rtp_echo`` where the test listens for
it); the operator is the HTTP API plus an aiortc softphone.
"""

# ruff: noqa: F811  (the live server's fixtures are imported by name, then asked for as parameters)
from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from dozvon.voice import audio, g711
from dozvon.voice.sip import Call
from tests.server.conftest import Live
from tests.voice.conftest import run_sipp, running_agent
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


class WaitingCaller:
    """A caller's phone (a SIP agent placing the call to Dozvon as its trunk) that keeps
    every 20 ms frame it hears, with the time it arrived."""

    def __init__(self, call: Call) -> None:
        self.call = call
        self.heard: list[tuple[float, bytes]] = []
        self.task = asyncio.ensure_future(self._listen())

    async def _listen(self) -> None:
        assert self.call.media is not None
        while (frame := await self.call.media.read()):
            self.heard.append((time.time(), frame))

    def found(self, prompt: bytes) -> tuple[float, float]:
        """How much of ``prompt`` was heard (the share of its sounding frames that arrived
        exactly as G.711 carries them) and when its first sounding frame arrived."""
        carried = g711.ulaw_decode(g711.ulaw_encode(prompt))
        wanted = [f for f in audio.frames(carried)[:-1] if g711.rms(f) > 300]
        at = {frame: when for when, frame in reversed(self.heard)}
        heard = [at[f] for f in wanted if f in at]
        return len(heard) / max(1, len(wanted)), min(heard, default=0.0)


def test_a_waiting_caller_hears_their_place_in_the_queue_every_announce_interval(
        voice_live: Live) -> None:
    """Two callers wait with nobody to answer, on a line announcing every 10 s: the first
    hears «Вы следующий в очереди», the second «Вы 2-й в очереди», each about 10 s after
    they were queued, word for word (the prompt's frames arrive as G.711 carries them)."""
    add_line(voice_live, announce_position=True, announce_every_s=10)
    speech = voice_live.app.state.voice.speech
    next_prompt, second_prompt = speech.standard("position", "ru", n=1), speech.standard("position", "ru", n=2)

    async def scenario() -> list[WaitingCaller]:
        async with running_agent(trunk=("127.0.0.1", voice_live.sip_port)) as phone:  # type: ignore[attr-defined]
            callers = []
            for n, number in enumerate(("+79160000001", "+79160000002"), start=1):
                call = await phone.place_call("100", caller_id=number, timeout=10)
                callers.append(WaitingCaller(call))
                await asyncio.to_thread(wait_for, lambda n=n: len(events(voice_live, "alpha", "contact.arrived")) == n)
            # Until the second caller's announcement has been said (it is about 2 s long).
            await asyncio.to_thread(wait_for, lambda: callers[1].found(second_prompt)[0] > 0.9 or None, 25)
            await asyncio.sleep(0.5)
            for caller in callers:
                await caller.call.hangup()
                await caller.task
            return callers

    first, second = asyncio.run(scenario())
    queued: dict[str, float] = {}
    for e in events(voice_live, "alpha", "contact.queued"):
        queued.setdefault(e.contact_id or "", e.at_us / 1e6)
    arrived = events(voice_live, "alpha", "contact.arrived")
    for caller, prompt, contact in ((first, next_prompt, arrived[0]), (second, second_prompt, arrived[1])):
        share, at = caller.found(prompt)
        assert share > 0.9, f"only {share:.0%} of the announcement was heard"
        assert 9.5 < at - queued[contact.contact_id or ''] < 14  # announce_every_s after the caller was queued
    assert first.found(second_prompt)[0] < 0.1 and second.found(next_prompt)[0] < 0.1  # each their own place
    assert len(wait_for(lambda: len(events(voice_live, "alpha", "contact.abandoned")) == 2
                        and events(voice_live, "alpha", "contact.abandoned"))) == 2
