"""Calls between the SIP agent and SIPp on loopback: audio both ways, CANCEL, BYE either side,
OPTIONS, hold and resume either side, DTMF, an outbound call."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from dozvon.voice import g711
from dozvon.voice.sip import Call
from tests.voice.conftest import free_ports, run_sipp, running_agent, sipp_listening


async def _listen(call: Call) -> dict[str, Any]:
    """Read the call's audio until it ends: frames, their loudness."""
    levels = []
    while True:
        frame = await call.media.read()
        if not frame:
            break
        levels.append(g711.rms(frame))
    return {"levels": levels, "stats": call.media.stats, "reason": call.end_reason}


def test_a_caller_speaking_russian_is_heard_frame_by_frame(sipp: str, speech: dict[str, Path], tmp_path: Path) -> None:
    """SIPp plays espeak-ng's Russian speech as PCMU; the agent answers and receives it: about 50
    packets a second, no loss, and loud frames where the words are."""
    heard: list[dict[str, Any]] = []

    async def on_call(call: Call) -> None:
        await call.ring()
        await call.answer()
        heard.append({"caller": call.caller, "callee": call.callee, "codec": call.codec, **await _listen(call)})

    async def scenario() -> None:
        async with running_agent(on_call) as agent:
            run = await run_sipp(sipp, tmp_path, agent.port, scenario="uac_speech.xml",
                                 replace={"SPEECH_FILE": str(speech["ulaw"]), "CALL_MS": "3000"})
            assert run.returncode == 0, run.explain()
            await asyncio.sleep(0.2)

    asyncio.run(scenario())
    assert len(heard) == 1
    call = heard[0]
    assert (call["caller"], call["callee"], call["codec"], call["reason"]) == ("+79161234567", "service", "PCMU",
                                                                              "remote_bye")
    stats = call["stats"]
    assert 120 <= stats["packets_in"] <= 170, stats  # 3 s of 20 ms packets
    assert stats["lost"] == 0, stats
    loud = [level for level in call["levels"] if level > 500]
    assert len(loud) > 40, f"only {len(loud)} loud frames of {len(call['levels'])}"
    assert max(call["levels"]) > 3000


def test_what_dozvon_says_reaches_the_caller_and_comes_back(sipp: str, speech: dict[str, Path], tmp_path: Path) -> None:
    """The agent plays the speech; SIPp (-rtp_echo) returns every packet it received. The echo
    is as loud as what was sent, and nearly every packet came back."""
    result: dict[str, Any] = {}
    pcm = speech["pcm"].read_bytes()[: 320 * 100]  # 2 s

    async def on_call(call: Call) -> None:
        await call.answer()
        call.media.write(pcm)
        result.update(await _listen(call))

    async def scenario() -> None:
        async with running_agent(on_call, latch_rtp=False) as agent:
            run = await run_sipp(sipp, tmp_path, agent.port, scenario="uac_echo.xml", replace={"CALL_MS": "3000"},
                                 extra=["-rtp_echo"])
            assert run.returncode == 0, run.explain()
            await asyncio.sleep(0.2)

    asyncio.run(scenario())
    stats = result["stats"]
    assert stats["packets_out"] >= 120, stats
    assert stats["packets_in"] >= 0.9 * stats["packets_out"], stats
    sent_level = g711.rms(pcm)
    loud = [level for level in result["levels"] if level > 500]
    echoed_level = (sum(v * v for v in loud) / len(loud)) ** 0.5 if loud else 0.0
    assert len(loud) > 40, f"{len(loud)} loud frames came back"
    assert echoed_level > 0.8 * sent_level, (echoed_level, sent_level)


def test_a_caller_who_gives_up_while_it_rings_is_cancelled(sipp: str, tmp_path: Path) -> None:
    ended: list[str] = []

    async def on_call(call: Call) -> None:
        await call.ring()
        await call.ended.wait()
        ended.append(call.end_reason)

    async def scenario() -> None:
        async with running_agent(on_call) as agent:
            run = await run_sipp(sipp, tmp_path, agent.port, scenario="uac_cancel.xml")
            assert run.returncode == 0, run.explain()
            await asyncio.sleep(0.1)
            assert agent.calls == {}

    asyncio.run(scenario())
    assert ended == ["cancelled"]


def test_dozvon_hangs_up_with_bye(sipp: str, tmp_path: Path) -> None:
    reasons: list[str] = []

    async def on_call(call: Call) -> None:
        await call.answer()
        await asyncio.sleep(0.5)
        await call.hangup()
        reasons.append(call.end_reason)

    async def scenario() -> None:
        async with running_agent(on_call) as agent:
            run = await run_sipp(sipp, tmp_path, agent.port, scenario="uac_wait_bye.xml")
            assert run.returncode == 0, run.explain()

    asyncio.run(scenario())
    assert reasons == ["local_hangup"]


def test_stopping_the_agent_hangs_up_its_calls(sipp: str, tmp_path: Path) -> None:
    reasons: list[str] = []

    async def scenario() -> None:
        up = asyncio.Event()

        async def on_call(call: Call) -> None:
            await call.answer()
            up.set()
            await call.ended.wait()
            reasons.append(call.end_reason)

        async with running_agent(on_call) as agent:
            sipp_run = asyncio.ensure_future(run_sipp(sipp, tmp_path, agent.port, scenario="uac_wait_bye.xml"))
            await asyncio.wait_for(up.wait(), 10)
            await agent.stop()
            run = await sipp_run
            assert run.returncode == 0, run.explain()

    asyncio.run(scenario())
    assert reasons == ["shutdown"]


def test_options_is_answered_with_what_dozvon_allows(sipp: str, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_agent() as agent:
            run = await run_sipp(sipp, tmp_path, agent.port, scenario="options.xml")
            assert run.returncode == 0, run.explain()

    asyncio.run(scenario())


def test_the_caller_holds_and_resumes(sipp: str, tmp_path: Path) -> None:
    """A re-INVITE with a=sendonly is the peer holding us: answered a=recvonly, the call logic
    hears ("hold", True), and our audio stops until a=sendrecv resumes the call."""
    events: list[tuple[str, Any]] = []
    sending_while_held: list[bool] = []

    async def on_call(call: Call) -> None:
        await call.answer()
        while True:
            event = await call.events.get()
            events.append(event)
            if event[0] == "hold":
                sending_while_held.append(call.media.sending)
                assert call.on_hold is event[1]
            if event[0] == "ended":
                return

    async def scenario() -> None:
        async with running_agent(on_call) as agent:
            run = await run_sipp(sipp, tmp_path, agent.port, scenario="uac_hold.xml")
            assert run.returncode == 0, run.explain()
            await asyncio.sleep(0.1)

    asyncio.run(scenario())
    assert events == [("hold", True), ("hold", False), ("ended", "remote_bye")]
    assert sending_while_held == [False, True]


def test_digits_pressed_by_the_caller_arrive_once_each(sipp: str, tmp_path: Path) -> None:
    """RFC 4733 events replayed by SIPp (its captures of 5 and #, end packets sent three times)."""
    digits: list[str] = []

    async def on_call(call: Call) -> None:
        await call.answer()
        while (event := await call.events.get())[0] != "ended":
            if event[0] == "dtmf":
                digits.append(event[1])

    async def scenario() -> None:
        async with running_agent(on_call) as agent:
            run = await run_sipp(sipp, tmp_path, agent.port, scenario="uac_dtmf.xml")
            assert run.returncode == 0, run.explain()
            await asyncio.sleep(0.1)

    asyncio.run(scenario())
    assert digits == ["5", "#"]


def test_an_outbound_call_through_the_trunk_is_held_resumed_and_hung_up(sipp: str, tmp_path: Path) -> None:
    """Dozvon calls a SIPp UAS (the trunk): it rings, answers with PCMU, echoes our audio, takes our
    hold (a=sendonly) and resume re-INVITEs and our BYE."""
    result: dict[str, Any] = {}

    async def scenario() -> None:
        trunk_port, media_port = free_ports(1)[0], free_ports(3, step=2)[0]
        async with running_agent(trunk=("127.0.0.1", trunk_port), latch_rtp=False) as agent:
            uas = asyncio.ensure_future(run_sipp(sipp, tmp_path, None, scenario="uas_hold.xml", local_port=trunk_port,
                                                 media_port=media_port, extra=["-rtp_echo"]))
            await sipp_listening(uas, trunk_port)
            call = await agent.place_call("+74951234567", caller_id="+78005553535", timeout=10)
            result["ringing"] = [e for e in _drain(call) if e[0] == "ringing"]
            tone = _tone(800, 1.0)
            call.media.write(tone)
            await asyncio.sleep(1.2)
            levels = []
            while (frame := call.media.read_nowait()) is not None:
                levels.append(g711.rms(frame))
            result["echo_loud"] = sum(level > 1000 for level in levels)
            await call.hold()
            result["held_by_us"] = call.held_by_us
            await call.resume()
            await call.hangup()
            result.update(reason=call.end_reason, direction=call.direction, callee=call.callee, caller=call.caller,
                          stats=call.media.stats)
            run = await uas
            assert run.returncode == 0, run.explain()

    asyncio.run(scenario())
    assert result["ringing"] == [("ringing", 180)]
    assert (result["direction"], result["caller"], result["callee"]) == ("outbound", "+78005553535", "+74951234567")
    assert result["echo_loud"] >= 30, result
    assert result["held_by_us"] is True
    assert result["reason"] == "local_hangup"


def _drain(call: Call) -> list[tuple[str, Any]]:
    events = []
    while not call.events.empty():
        events.append(call.events.get_nowait())
    return events


def _tone(freq: float, seconds: float, amplitude: int = 8000) -> bytes:
    import numpy as np

    t = np.arange(int(8000 * seconds)) / 8000
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype("<i2").tobytes()
