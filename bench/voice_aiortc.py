"""What one aiortc connection costs alone: bench/bench_voice.py's second baseline.

N pairs of aiortc peers in this one process on loopback, each side sending 20 ms G.711
(PCMU) frames in real time and reading what arrives — what Dozvon's WebRTC leg and the
operator's softphone each do per call, with no SIP, no bridge and no call logic. The CPU
this process uses over the window, divided by the peers (2 N) and the seconds, is the CPU
per connection-second: set next to the server's CPU per call it says how much of a call is
aiortc. Prints one line of JSON; run by bench_voice.py (``python bench/voice_aiortc.py N S``).
"""

from __future__ import annotations

import asyncio
import fractions
import json
import sys
import time
from typing import Any

RATE = 8000
SAMPLES = 160


def paced_track() -> Any:
    """A microphone: a quiet tone in 20 ms frames at real-time pace."""
    import av
    import numpy as np
    from aiortc.mediastreams import MediaStreamTrack

    tone = (np.sin(2 * np.pi * 440 * np.arange(SAMPLES) / RATE) * 6000).astype("<i2").tobytes()

    class Paced(MediaStreamTrack):
        kind = "audio"

        def __init__(self) -> None:
            super().__init__()
            self.pts = 0
            self.start: float | None = None

        async def recv(self) -> Any:
            if self.start is None:
                self.start = time.monotonic()
            wait = self.start + self.pts / RATE - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            frame = av.AudioFrame(format="s16", layout="mono", samples=SAMPLES)
            frame.planes[0].update(tone)
            frame.sample_rate = RATE
            frame.pts = self.pts
            frame.time_base = fractions.Fraction(1, RATE)
            self.pts += SAMPLES
            return frame

    return Paced()


async def pair(received: list[int], tasks: list[asyncio.Task[Any]]) -> tuple[Any, Any]:
    """Two connected peers, each sending a paced tone (PCMU) and counting the frames it hears."""
    from aiortc import RTCConfiguration, RTCPeerConnection
    from aiortc.rtcrtpsender import RTCRtpSender

    pcmu = [c for c in RTCRtpSender.getCapabilities("audio").codecs if c.mimeType == "audio/PCMU"]
    peers = (RTCPeerConnection(RTCConfiguration(iceServers=[])), RTCPeerConnection(RTCConfiguration(iceServers=[])))
    for pc in peers:
        index = len(received)
        received.append(0)

        @pc.on("track")
        def on_track(track: Any, index: int = index) -> None:
            async def hear() -> None:
                while True:
                    try:
                        await track.recv()
                    except Exception:
                        return
                    received[index] += 1
            tasks.append(asyncio.ensure_future(hear()))

    offerer, answerer = peers
    offerer.addTrack(paced_track())
    for transceiver in offerer.getTransceivers():
        transceiver.setCodecPreferences(pcmu)
    await offerer.setLocalDescription(await offerer.createOffer())
    await answerer.setRemoteDescription(offerer.localDescription)
    answerer.addTrack(paced_track())
    for transceiver in answerer.getTransceivers():
        transceiver.setCodecPreferences(pcmu)
    await answerer.setLocalDescription(await answerer.createAnswer())
    await offerer.setRemoteDescription(answerer.localDescription)
    return peers


async def main(pairs: int, seconds: float) -> dict[str, Any]:
    received: list[int] = []
    tasks: list[asyncio.Task[Any]] = []
    peers = [pc for _ in range(pairs) for pc in await pair(received, tasks)]
    deadline = time.monotonic() + 60
    while min(received, default=0) == 0 and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)
    before, cpu0, t0 = sum(received), time.process_time(), time.monotonic()
    await asyncio.sleep(seconds)
    after, cpu1, t1 = sum(received), time.process_time(), time.monotonic()
    for pc in peers:
        await pc.close()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {"peers": len(peers), "seconds": t1 - t0, "cpu": cpu1 - cpu0,
            "frames": after - before, "expected": len(peers) * (t1 - t0) / 0.02}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(int(sys.argv[1]), float(sys.argv[2])))), flush=True)
