"""A bounded load on loopback: 50 calls from SIPp, at most 10 at once, each speaking Russian
(rtp_stream) to an agent that echoes the audio back. Every call completes; none loses audio."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from dozvon.voice.sip import Call
from tests.voice.conftest import run_sipp, running_agent


async def echo(call: Call) -> dict[str, Any]:
    """Answer and send back every frame received (what a bridge does), until the call ends."""
    await call.answer()
    while frame := await call.media.read():
        call.media.write(frame)
    return {"reason": call.end_reason, **call.media.stats}


def test_fifty_calls_ten_at_a_time_all_complete_with_their_audio(sipp: str, speech: dict[str, Path],
                                                                  tmp_path: Path) -> None:
    finished: list[dict[str, Any]] = []

    async def on_call(call: Call) -> None:
        finished.append(await echo(call))

    async def scenario() -> None:
        async with running_agent(on_call) as agent:
            run = await run_sipp(sipp, tmp_path, agent.port, scenario="uac_speech.xml", calls=50,
                                 replace={"SPEECH_FILE": str(speech["ulaw"]), "CALL_MS": "2000"},
                                 extra=["-l", "10", "-r", "10"], timeout=90)
            assert run.returncode == 0, run.explain()
            assert run.counter("Successful call") == 50, run.explain()
            assert run.counter("Failed call") == 0, run.explain()
            await asyncio.sleep(0.3)
            assert agent.calls == {}

    asyncio.run(scenario())
    assert len(finished) == 50
    assert {f["reason"] for f in finished} == {"remote_bye"}
    assert sum(f["lost"] for f in finished) == 0, [f for f in finished if f["lost"]]
    assert min(f["packets_in"] for f in finished) >= 80  # 2 s at 50 a second, less the set-up
    assert min(f["packets_out"] for f in finished) >= 80
