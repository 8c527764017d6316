"""A call leg: one party's audio, whatever carries it.

The call logic sees a caller and an operator as the same thing — a :class:`Leg` that
reads and writes 20 ms frames of 8 kHz PCM, hears digits and ends — so that a caller on
the SIP trunk, a visitor pressing "call us" in the widget and an operator's softphone in
the desktop are bridged, announced to and recorded by one piece of code.

- :class:`SipLeg`: a SIP dialog and its RTP (``dozvon.voice.sip``), G.711 on the wire.
- :class:`WebRtcLeg`: a browser over WebRTC (aiortc). The browser is asked for PCMU/PCMA,
  so its audio arrives as 8 kHz frames and reaches a SIP caller without transcoding
  (Opus would cost CPU and latency per connection); anything else is resampled.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import fractions
import time
from functools import cache
from typing import Any, Protocol

from dozvon.voice.audio import FRAME_BYTES, FRAME_SAMPLES, RATE, SILENCE
from dozvon.voice.sip.call import Call


class Leg(Protocol):
    """One party's audio (see the module's docstring)."""

    #: Set once the party is gone (hung up, closed the page, lost the network).
    ended: asyncio.Event
    #: DTMF digits the party pressed, one character each.
    digits: asyncio.Queue[str]

    async def read(self) -> bytes:
        """The next 20 ms frame the party said; b"" once the leg has ended."""
        ...

    def write(self, pcm: bytes) -> None:
        """Queue audio for the party, played in real time."""
        ...

    def clear(self) -> None:
        """Drop what is queued and not yet played (a prompt cut short)."""
        ...

    @property
    def queued_frames(self) -> int: ...

    def discard_received(self) -> None:
        """Forget what the party said and nobody read yet (before a voice message starts)."""
        ...

    async def hangup(self) -> None: ...


class SipLeg:
    """A SIP call (answered or to be answered) as a leg."""

    def __init__(self, call: Call) -> None:
        self.call = call
        self.ended = call.ended
        self.digits: asyncio.Queue[str] = asyncio.Queue()
        #: The caller holds us (their re-INVITE said sendonly/inactive).
        self.peer_held = False
        self._pump: asyncio.Task[None] | None = None

    @property
    def caller(self) -> str:
        return self.call.caller

    async def answer(self) -> None:
        """Ring, answer, and listen to the call's digits."""
        await self.call.ring()
        await self.call.answer()
        self.start_events()

    def start_events(self) -> None:
        """Listen to the (answered) call's digits."""
        if self._pump is None:
            self._pump = asyncio.create_task(self._events(), name=f"sip-leg-{self.call.call_id}")

    async def _events(self) -> None:
        while not self.call.ended.is_set():
            kind, value = await self.call.events.get()
            if kind == "dtmf":
                self.digits.put_nowait(str(value))
            elif kind == "hold":
                self._peer_hold(bool(value))
            elif kind == "ended":
                return

    def _peer_hold(self, held: bool) -> None:
        """The caller's own phone (or their PBX) put us on hold, or took us off it.

        The SIP layer already stops sending while held and starts again on resume, so
        the bridge needs nothing: the operator hears what the caller's side sends (their
        music, or silence) and talks to them again afterwards. It is deliberately not the
        conversation's ``contact.held``: that event is the operator's hold (AHT's hold part,
        the desktop's Resume button, the engine's held state), and a customer's hold logged
        as one would count as the operator's and could be "resumed" by the operator while
        the caller still holds. A line in the log says it happened."""
        self.peer_held = held
        print(f"dozvon: voice call {self.call.call_id}: the caller {'put the call on hold' if held else 'resumed'}",
              flush=True)

    async def read(self) -> bytes:
        # The call's end closes its RTP session, which wakes a waiting read with b"": no
        # second wait per frame is needed (50 frames a second per call).
        if self.call.media is None or self.ended.is_set():
            return b""
        return await self.call.media.read()

    def write(self, pcm: bytes) -> None:
        if self.call.media is not None:
            self.call.media.write(pcm)

    def clear(self) -> None:
        if self.call.media is not None:
            self.call.media.clear()

    @property
    def queued_frames(self) -> int:
        return self.call.media.queued_frames if self.call.media is not None else 0

    def discard_received(self) -> None:
        while self.call.media is not None and self.call.media.read_nowait() is not None:
            pass

    def stats(self) -> dict[str, Any]:
        return self.call.media.stats if self.call.media is not None else {}

    async def hangup(self) -> None:
        if not self.ended.is_set():
            await self.call.hangup()
        if self._pump is not None:
            self._pump.cancel()


@cache
def _feed_track() -> type:
    """The track class (aiortc and PyAV are imported only once a browser joins: they add
    seconds to a server's start that has no softphone yet)."""
    import av
    from aiortc.mediastreams import MediaStreamTrack

    class FeedTrack(MediaStreamTrack):
        """The audio a browser hears: the leg's queued frames in real time, silence when
        none wait (the browser's jitter buffer stays fed)."""

        kind = "audio"

        def __init__(self, leg: WebRtcLeg) -> None:
            super().__init__()
            self._leg = leg
            self._pts = 0
            self._start: float | None = None

        async def recv(self) -> Any:
            if self._start is None:
                self._start = time.monotonic()
            wait = self._start + self._pts / RATE - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            elif wait < -0.2:  # fell behind (a stalled loop): skip ahead, never burst
                self._start = time.monotonic() - self._pts / RATE
            leg = self._leg
            pcm = leg._outbound.popleft() if leg._outbound else SILENCE
            frame = av.AudioFrame(format="s16", layout="mono", samples=FRAME_SAMPLES)
            frame.planes[0].update(pcm)
            frame.sample_rate = RATE
            frame.pts = self._pts
            frame.time_base = fractions.Fraction(1, RATE)
            self._pts += FRAME_SAMPLES
            leg.frames_out += 1
            return frame

    return FeedTrack


class WebRtcLeg:
    """A browser's audio over WebRTC (an operator's softphone, a visitor's call button)."""

    #: Frames kept for a reader that is not reading (about 2 s): older audio is dropped.
    MAX_INBOUND = 100

    def __init__(self, ice_servers: list[dict[str, Any]] | None = None, label: str = "") -> None:
        self.label = label
        self.ended = asyncio.Event()
        self.digits: asyncio.Queue[str] = asyncio.Queue()
        self.frames_in = 0
        self.frames_out = 0
        self._ice_servers = ice_servers or []
        self._outbound: collections.deque[bytes] = collections.deque()
        self._inbound: collections.deque[bytes] = collections.deque(maxlen=self.MAX_INBOUND)
        self._waiter: asyncio.Future[None] | None = None
        self._pc: Any = None
        self._tasks: set[asyncio.Task[Any]] = set()

    async def accept(self, offer_sdp: str) -> str:
        """The browser's offer answered (audio only, G.711 preferred); returns the answer SDP
        with every candidate gathered (no trickle ICE needed)."""
        from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
        from aiortc.rtcrtpsender import RTCRtpSender

        servers = [RTCIceServer(urls=s["urls"], username=s.get("username"), credential=s.get("credential"))
                   for s in self._ice_servers]
        pc = RTCPeerConnection(RTCConfiguration(iceServers=servers))
        self._pc = pc

        @pc.on("track")
        def on_track(track: Any) -> None:
            if track.kind == "audio":
                self._spawn(self._receive(track))

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            if pc.connectionState in ("failed", "closed"):
                await self.hangup()

        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        pc.addTrack(_feed_track()(self))
        g711 = [c for c in RTCRtpSender.getCapabilities("audio").codecs if c.mimeType in ("audio/PCMU", "audio/PCMA")]
        for transceiver in pc.getTransceivers():
            if transceiver.kind == "audio":
                with contextlib.suppress(Exception):  # an offer without G.711: Opus, resampled
                    transceiver.setCodecPreferences(g711)
        await pc.setLocalDescription(await pc.createAnswer())
        return str(pc.localDescription.sdp)

    async def _receive(self, track: Any) -> None:
        import av

        resampler = None
        while True:
            try:
                frame = await track.recv()
            except Exception:  # MediaStreamError: the browser went away
                break
            if frame.sample_rate != RATE or frame.layout.name != "mono" or frame.format.name != "s16":
                resampler = resampler or av.AudioResampler(format="s16", layout="mono", rate=RATE)
                pieces = [f.to_ndarray().tobytes() for f in resampler.resample(frame)]
                pcm = b"".join(pieces)
            else:
                pcm = frame.to_ndarray().tobytes()
            for start in range(0, len(pcm) - FRAME_BYTES + 1, FRAME_BYTES):
                self._inbound.append(pcm[start:start + FRAME_BYTES])
                self.frames_in += 1
            if self._waiter is not None and not self._waiter.done():
                self._waiter.set_result(None)
        await self.hangup()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def read(self) -> bytes:
        while not self._inbound:
            if self.ended.is_set():
                return b""
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter  # a frame, or the hang-up, resolves it
        return self._inbound.popleft()

    def write(self, pcm: bytes) -> None:
        for start in range(0, len(pcm), FRAME_BYTES):
            self._outbound.append(pcm[start:start + FRAME_BYTES].ljust(FRAME_BYTES, b"\0"))

    def clear(self) -> None:
        self._outbound.clear()

    @property
    def queued_frames(self) -> int:
        return len(self._outbound)

    def discard_received(self) -> None:
        self._inbound.clear()

    def stats(self) -> dict[str, Any]:
        return {"frames_in": self.frames_in, "frames_out": self.frames_out}

    async def hangup(self) -> None:
        if self.ended.is_set():
            return
        self.ended.set()
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
        if self._pc is not None:
            with contextlib.suppress(Exception):
                await self._pc.close()
        for task in list(self._tasks):
            if task is not asyncio.current_task():
                task.cancel()
