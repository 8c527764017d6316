"""The full path of bench/bench_voice.py: SIP callers through Dozvon's call logic to WebRTC
softphones and back, and what each direction lost and how it jittered.

A round starts a real ``dozvon serve --sip-listen`` (its own SQLite file, one phone line
answering any number, one queue, N operators with voice capacity 1), logs the N operators
in as the desktop does (cookie, operators' WebSocket, "available"), then N callers dial at
once. Each call is answered, greeted («Здравствуйте.»), queued, offered by the engine; the
operator whose desktop gets the offer accepts it (REST, as the page does) and its softphone —
an aiortc peer here — POSTs its SDP offer to the softphone endpoint. So the audio goes
caller → Dozvon's SIP leg → bridge → WebRTC leg → softphone, and back.

How the audio is counted end to end: every 20 ms frame a sender makes carries a tag in its
first 14 samples (two marker codes, then the sender's index and a frame counter, one
nibble a sample), made of G.711 μ-law code values, which survive any number of μ-law
encodings and decodings unchanged — the rest of the frame is speech (the caller) or a
tone (the operator). A receiver reads the tag of every frame it hears: which sender, which
frame, when. Over the measured window, each direction's loss is the frames the sender made
that never arrived; its jitter is RFC 3550's interarrival jitter of the frames' transit
(arrival minus the frame's slot, 20 ms × counter); "late" counts the frames arriving more
than a jitter buffer's depth after the quickest of the 2 s before them (a phone would drop
them), and the added delay is how much later than the window's quickest frame the slow ones
arrive (a backlog that builds up in the path and stays). Besides, each receiving RTP stack's own counters per hop: the caller's (Dozvon's SIP
agent on the bench's side, RFC 3550 A.3/A.8) for Dozvon → caller, aiortc's inbound-rtp
statistics for Dozvon → softphone.

The callers' side is Dozvon's own SIP agent placing calls to the server as its trunk (a lean
UAC in the bench's process that counts RTP as RFC 3550 says, which SIPp does not for what
it receives); it shares nothing with the server but the code.
"""

from __future__ import annotations

import asyncio
import collections
import fractions
import itertools
import json
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script: its sibling modules


from web_harness import BenchError, cpu_seconds, create_operator_logins, free_port, machine_busy_seconds, memory_mb, say

from dozvon.voice import audio, g711

PROJECT = "voicebench"
QUEUE = "calls"
PASSWORD = "bench-voice"
FRAME_S = 0.02
#: The tag: two marker codes, the sender's index (4 nibbles), its frame counter (8 nibbles).
MARKER = bytes([0x9A, 0x1A])
NIBBLE = 0xA0
TAG_CODES = 2 + 4 + 8


def tag(frame: bytes, sender: int, counter: int) -> bytes:
    """``frame`` (20 ms of PCM) with its first samples replaced by the tag."""
    value = (sender << 32) | (counter & 0xFFFFFFFF)
    codes = MARKER + bytes(NIBBLE | ((value >> (4 * i)) & 0xF) for i in range(TAG_CODES - 2))
    return g711.ulaw_decode(codes) + frame[2 * TAG_CODES:]


def read_tag(frame: bytes) -> tuple[int, int] | None:
    """(sender, counter) of a tagged frame, None for anything else (a prompt, music, silence)."""
    if len(frame) < 2 * TAG_CODES:
        return None
    codes = g711.ulaw_encode(frame[:2 * TAG_CODES])
    if codes[:2] != MARKER:
        return None
    value = 0
    for i, code in enumerate(codes[2:]):
        if code & 0xF0 != NIBBLE:
            return None
        value |= (code & 0xF) << (4 * i)
    return value >> 32, value & 0xFFFFFFFF


@dataclass
class Sender:
    """One party's outgoing frames. A frame's counter is its 20 ms slot on the sender's clock
    when it is handed over to be sent, so a stall of the sender itself (the bench's own loop)
    skips slots instead of shifting every later frame: only what happens after the hand-over
    counts as delay."""

    index: int
    sound: list[bytes]
    made: list[int] = field(default_factory=list)
    window: list[int] = field(default_factory=list)
    start: float | None = None

    def next_frame(self) -> bytes:
        now = time.perf_counter()
        if self.start is None:
            self.start = now
        slot = round((now - self.start) / FRAME_S)
        counter = max(slot, self.made[-1] + 1) if self.made else slot
        self.made.append(counter)
        return tag(self.sound[counter % len(self.sound)], self.index, counter)

    def mark(self) -> None:
        self.window.append(len(self.made))

    def in_window(self) -> list[int]:
        return self.made[self.window[0]:self.window[1]]


@dataclass
class Receiver:
    """What one party heard: (sender, counter) → when it arrived (the first time)."""

    heard: dict[tuple[int, int], float] = field(default_factory=dict)
    duplicates: int = 0
    first_at: float | None = None

    def frame(self, pcm: bytes) -> None:
        now = time.perf_counter()
        for start in range(0, len(pcm) - audio.FRAME_BYTES + 1, audio.FRAME_BYTES):
            found = read_tag(pcm[start:start + audio.FRAME_BYTES])
            if found is None:
                continue
            if found in self.heard:
                self.duplicates += 1
            else:
                self.heard[found] = now
                if self.first_at is None:
                    self.first_at = now

    def senders(self) -> set[int]:
        return {s for s, _ in self.heard}


@dataclass
class Direction:
    """One direction of one call over the window."""

    sent: int
    received: int
    jitter_ms: float
    late: int
    #: p99 of how much later than the window's quickest frame a frame arrived, ms.
    added_delay_ms: float

    @property
    def loss_pct(self) -> float:
        return 100.0 * (self.sent - self.received) / self.sent if self.sent else float("nan")

    @property
    def late_pct(self) -> float:
        return 100.0 * self.late / self.sent if self.sent else float("nan")


def direction(sender: Sender, receiver: Receiver, buffer_ms: float) -> Direction:
    """Loss, RFC 3550 jitter, late frames and added delay of what ``sender`` made in the window.

    Late: a frame whose transit exceeds the least transit of the 2 s before it by more than
    ``buffer_ms`` — what a jitter buffer of that depth, re-centring within 2 s, would drop.
    Added delay: how much later than the window's quickest frame a frame arrives (p99): a
    backlog that builds up in the path and stays shows here, not in the jitter."""
    made = sender.in_window()
    wanted = set(made)
    arrivals = sorted((k, at) for (s, k), at in receiver.heard.items() if s == sender.index and k in wanted)
    transits = [at - k * FRAME_S for k, at in arrivals]
    jitter = 0.0
    for a, b in itertools.pairwise(transits):
        jitter += (abs(b - a) - jitter) / 16
    late = 0
    recent: collections.deque[tuple[int, float]] = collections.deque()  # (counter, transit), increasing transit
    span = round(2.0 / FRAME_S)
    for (k, _), transit in zip(arrivals, transits, strict=True):
        while recent and recent[0][0] < k - span:
            recent.popleft()
        if recent and transit - recent[0][1] > buffer_ms / 1000:
            late += 1
        while recent and recent[-1][1] >= transit:
            recent.pop()
        recent.append((k, transit))
    quickest = min(transits, default=0.0)
    added = sorted(t - quickest for t in transits)
    delay = 1000 * added[min(len(added) - 1, int(0.99 * len(added)))] if added else float("nan")
    return Direction(len(made), len(arrivals), 1000 * jitter, late, delay)


# ----------------------------------------------------------------- the server

def thread_cpu(pid: int) -> dict[int, float]:
    """CPU seconds so far of each thread of a process (Linux): the voice loop is one thread,
    so the busiest thread's share says how close that one core is to full."""
    found = {}
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[int(task)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return found


def seed(url: str, operators: int) -> None:
    """The project, its operators (voice capacity 1) on one queue, and a phone line answering
    any number with a short Russian greeting; before the server starts."""
    import dozvon.voice.line  # noqa: F401  (the phone line's channel kind)
    from dozvon.acd.service import RouterService
    from dozvon.channels import connections
    from dozvon.core.db import dispose_all, get_engine, session_factory, upgrade
    from dozvon.routing.model import OperatorConfig, QueueConfig

    upgrade(url)
    engine = get_engine(url)
    create_operator_logins(engine, PROJECT, "Voice bench", operators, PASSWORD)
    svc = RouterService(engine, PROJECT)
    svc.run(lambda e: e.add_queue(QueueConfig(name=QUEUE, strategy="least_busy", offer_timeout_s=120, wrap_up_s=5)))
    for i in range(operators):
        cfg = OperatorConfig.from_dict({"id": f"op{i:04d}", "queues": [QUEUE], "capacity": {"voice": 1}})
        svc.run(lambda e, c=cfg: e.add_operator(c))  # type: ignore[misc]
    with session_factory(engine).begin() as session:
        connections.connect(session, "bench", PROJECT, kind="phone", name="main", queue=QUEUE, queues=[QUEUE],
                            settings={"number": "*", "language": "ru", "greeting": "Здравствуйте.",
                                      "announce_position": False})
    dispose_all()


def start_server(folder: Path, operators: int, cores: set[int] | None) -> tuple[subprocess.Popen[bytes], int, int]:
    """``dozvon serve --sip-listen`` on a fresh SQLite file: (process, HTTP port, SIP port)."""
    url = f"sqlite:///{folder}/voice-{operators}-{random.randrange(1 << 30)}.db"
    seed(url, operators)
    port, sip = free_port(), free_port()
    rtp = random.randrange(30000, 50000) & ~1
    env = {**os.environ, "DATABASE_URL": url, "DOZVON_LOG_LEVEL": "warning", "DOZVON_DATA_DIR": str(folder / "data"),
           "DOZVON_RTP_PORTS": f"{rtp}-{rtp + 1998}", "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    log = folder / "dozvon.log"
    with open(log, "ab") as out:
        process = subprocess.Popen([sys.executable, "-m", "dozvon", "serve", "--port", str(port),
                                    "--sip-listen", f"127.0.0.1:{sip}"], env=env, stdout=out, stderr=subprocess.STDOUT)
    if cores:
        os.sched_setaffinity(process.pid, cores)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return process, port, sip
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    process.wait()
    tail = log.read_text(errors="replace").strip().splitlines()[-20:]
    raise BenchError("the Dozvon server did not start; its last output:\n    " + "\n    ".join(tail or ["(none)"]))


def stop_server(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# ----------------------------------------------------------------- the people

class Operator:
    """An operator's desktop: logged in, on the operators' WebSocket, accepting the offers it
    gets, and its softphone (aiortc) joining each accepted call."""

    def __init__(self, index: int, base: str, tone: list[bytes]) -> None:
        self.index = index
        self.id = f"op{index:04d}"
        self.api = f"/api/v1/projects/{PROJECT}"
        self.http = httpx.AsyncClient(base_url=base, timeout=60)
        self.base = base
        self.sender = Sender(index, tone)
        self.receiver = Receiver()
        self.accepted_at: float | None = None
        self.pc: Any = None
        self.ws: Any = None
        self.tasks: list[asyncio.Task[Any]] = []
        self.failure: str | None = None
        #: Softphone POSTs answered 404 voice.no_call, and how long until one was taken.
        self.no_call = 0
        self.no_call_s: float | None = None

    async def log_in(self) -> None:
        import websockets

        answer = await self.http.post("/auth/login", json={"username": self.id, "password": PASSWORD})
        if answer.status_code != 200:
            raise BenchError(f"login of {self.id}: {answer.status_code} {answer.text[:200]}")
        self.http.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
        me = await self.http.get(f"{self.api}/operators/{self.id}")
        cookie = "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())
        self.ws = await websockets.connect(f"{self.base.replace('http', 'ws', 1)}{self.api}/stream?after="
                                           f"{me.json()['seq']}", ping_interval=None, max_queue=None,
                                           additional_headers={"Cookie": cookie, "Origin": self.base})
        self.tasks.append(asyncio.ensure_future(self._listen()))
        state = await self.http.post(f"{self.api}/operators/{self.id}/state", json={"state": "available"})
        if state.status_code != 200:
            raise BenchError(f"{self.id} could not go available: {state.status_code} {state.text[:200]}")

    async def _listen(self) -> None:
        async for raw in self.ws:
            frame = json.loads(raw)
            if (frame.get("kind") == "event" and frame.get("type") == "offer.created"
                    and frame.get("operator_id") == self.id and self.accepted_at is None):
                self.tasks.append(asyncio.ensure_future(self._take(frame["data"]["offer_id"], frame["contact_id"])))

    async def _take(self, offer_id: str, conversation: str) -> None:
        try:
            answer = await self.http.post(f"{self.api}/offers/{offer_id}/accept")
            if answer.status_code != 200:
                self.failure = f"accept: {answer.status_code} {answer.text[:200]}"
                return
            self.accepted_at = time.perf_counter()
            await self._join(conversation)
        except Exception as error:  # reported in the figures, not a traceback
            self.failure = f"{type(error).__name__}: {error}"[:300]

    async def _join(self, conversation: str) -> None:
        from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
        from aiortc.rtcrtpsender import RTCRtpSender

        self.pc = pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        pc.addTrack(tagged_track()(self.sender))
        for transceiver in pc.getTransceivers():
            transceiver.setCodecPreferences([c for c in RTCRtpSender.getCapabilities("audio").codecs
                                             if c.mimeType == "audio/PCMU"])

        @pc.on("track")
        def on_track(track: Any) -> None:
            self.tasks.append(asyncio.ensure_future(self._hear(track)))

        await pc.setLocalDescription(await pc.createOffer())
        refused_at = None
        while True:
            answer = await self.http.post(f"{self.api}/voice/calls/{conversation}/softphone",
                                          json={"sdp": pc.localDescription.sdp})
            if answer.status_code == 404 and "voice.no_call" in answer.text:
                # The call's session is not yet known to the voice service although the engine
                # has connected it (see the report): counted, and asked again, up to 15 s.
                now = time.perf_counter()
                refused_at = refused_at or now
                self.no_call += 1
                if now - refused_at < 15:
                    await asyncio.sleep(0.1)
                    continue
            break
        if refused_at is not None:
            self.no_call_s = time.perf_counter() - refused_at
        if answer.status_code != 200:
            raise BenchError(f"softphone: {answer.status_code} {answer.text[:200]}")
        await pc.setRemoteDescription(RTCSessionDescription(**answer.json()))

    async def _hear(self, track: Any) -> None:
        while True:
            try:
                frame = await track.recv()
            except Exception:
                return
            self.receiver.frame(frame.to_ndarray().tobytes())

    async def rtp_stats(self) -> dict[str, float]:
        """aiortc's counters of what Dozvon's WebRTC leg sent this softphone."""
        if self.pc is None:
            return {}
        for stats in (await self.pc.getStats()).values():
            if stats.type == "inbound-rtp":
                return {"received": stats.packetsReceived, "lost": stats.packetsLost, "jitter_ms": stats.jitter / 8}
        return {}

    async def close(self) -> None:
        if self.pc is not None:
            await self.pc.close()
        if self.ws is not None:
            await self.ws.close()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.http.aclose()


_TRACK: type | None = None


def tagged_track() -> type:
    """An aiortc audio track playing a sender's tagged frames in real time (as a microphone)."""
    global _TRACK
    if _TRACK is None:
        import av
        from aiortc.mediastreams import MediaStreamTrack

        class Tagged(MediaStreamTrack):
            kind = "audio"

            def __init__(self, sender: Sender) -> None:
                super().__init__()
                self.sender = sender
                self.pts = 0
                self.start: float | None = None

            async def recv(self) -> Any:
                if self.start is None:
                    self.start = time.monotonic()
                wait = self.start + self.pts / audio.RATE - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                elif wait < -0.06:  # this process stalled: skip ahead (as a microphone would), no burst
                    self.start = time.monotonic() - self.pts / audio.RATE
                frame = av.AudioFrame(format="s16", layout="mono", samples=audio.FRAME_SAMPLES)
                frame.planes[0].update(self.sender.next_frame())
                frame.sample_rate = audio.RATE
                frame.pts = self.pts
                frame.time_base = fractions.Fraction(1, audio.RATE)
                self.pts += audio.FRAME_SAMPLES
                return frame

        _TRACK = Tagged
    return _TRACK


class Caller:
    """A caller's phone: dials, and once answered speaks tagged speech and hears everything."""

    def __init__(self, index: int, speech: list[bytes]) -> None:
        self.index = index
        self.sender = Sender(index, speech)
        self.receiver = Receiver()
        self.call: Any = None
        self.setup_s: float | None = None
        self.failure: str | None = None
        self.tasks: list[asyncio.Task[Any]] = []

    async def dial(self, agent: Any) -> None:
        started = time.perf_counter()
        try:
            self.call = await agent.place_call("100", caller_id=f"+7999{self.index:07d}", timeout=60)
        except Exception as error:
            self.failure = f"{type(error).__name__}: {error}"[:300]
            return
        self.setup_s = time.perf_counter() - started
        self.tasks += [asyncio.ensure_future(self._speak()), asyncio.ensure_future(self._hear())]

    async def _speak(self) -> None:
        """One frame handed over whenever the agent's ticker (20 ms) has taken the last, so
        a frame's slot is when it leaves (within a tick)."""
        media = self.call.media
        while not self.call.ended.is_set():
            if media.queued_frames == 0:
                media.write(self.sender.next_frame())
            await asyncio.sleep(0.008)

    async def _hear(self) -> None:
        while frame := await self.call.media.read():
            self.receiver.frame(frame)

    def rtp_stats(self) -> dict[str, Any]:
        return dict(self.call.media.stats) if self.call is not None and self.call.media is not None else {}

    async def hang_up(self) -> None:
        if self.call is not None and not self.call.ended.is_set():
            await self.call.hangup()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


# ----------------------------------------------------------------- a round

@dataclass
class Round:
    """The figures of N concurrent calls through the whole path."""

    calls: int
    bridged: int
    window_s: float
    setup: list[float]
    answer_to_media: list[float]
    answer_to_media_back: list[float]
    up: list[Direction]
    down: list[Direction]
    rtp_down_sip: list[dict[str, Any]]
    rtp_down_webrtc: list[dict[str, float]]
    server_cpu_s: float
    client_cpu_s: float
    machine_cpu_s: float
    rss_mb: float
    peak_mb: float
    failures: list[str]
    misrouted: int
    #: The server's CPU at rest (desktops connected, no call), share of a core.
    rest_share: float
    #: CPU seconds of the server's busiest thread in the window (the voice loop's thread).
    busiest_thread_s: float
    #: Softphones refused 404 voice.no_call at first, and each one's wait until taken (s).
    no_call: int = 0
    no_call_waits: list[float] = field(default_factory=list)


async def run_round(calls: int, seconds: float, speech: list[bytes], folder: Path, base: str, sip: int,
                    server_pid: int, buffer_ms: float, settle_s: float = 2.0, rest_s: float = 3.0) -> Round:
    from dozvon.voice.sip import SipAgent

    tone = audio.frames(audio.tone(440, 1000, level=0.2))
    operators = [Operator(i, base, tone) for i in range(calls)]
    callers = [Caller(i, speech) for i in range(calls)]
    low = random.randrange(20000, 29000) & ~1
    phone = SipAgent(("127.0.0.1", 0), allowed_peers=["127.0.0.1/32"], trunk=("127.0.0.1", sip),
                     rtp_ports=(low, low + 4 * calls + 100), max_calls=calls + 10)
    await phone.start()
    failures: list[str] = []
    try:
        await asyncio.gather(*(op.log_in() for op in operators))
        rest0, rest_at = cpu_seconds(server_pid), time.perf_counter()
        await asyncio.sleep(rest_s)  # the server with every desktop connected and no call: its floor
        rest_share = (cpu_seconds(server_pid) - rest0) / (time.perf_counter() - rest_at)
        say(f"{calls} operators available; {calls} calls dialling")
        await asyncio.gather(*(c.dial(phone) for c in callers))
        deadline = time.perf_counter() + 60 + calls
        while time.perf_counter() < deadline:  # every softphone hears its caller, every caller its operator
            if all(op.receiver.first_at is not None or op.failure for op in operators) and \
                    all(c.receiver.first_at is not None or c.failure for c in callers):
                break
            await asyncio.sleep(0.2)
        bridged = sum(1 for op in operators if op.receiver.first_at is not None)
        say(f"{bridged} of {calls} calls bridged; measuring {seconds:.0f} s")
        await asyncio.sleep(settle_s)
        senders = [p.sender for p in operators] + [c.sender for c in callers]
        for sender in senders:
            sender.mark()
        threads0 = thread_cpu(server_pid)
        cpu0, client0, all0, t0 = cpu_seconds(server_pid), time.process_time(), machine_busy_seconds(), time.perf_counter()
        await asyncio.sleep(seconds)
        for sender in senders:
            sender.mark()
        cpu1, client1, all1, t1 = cpu_seconds(server_pid), time.process_time(), machine_busy_seconds(), time.perf_counter()
        rss, peak = memory_mb(server_pid)
        threads1 = thread_cpu(server_pid)
        busiest = max((threads1[t] - threads0.get(t, 0.0) for t in threads1), default=float("nan"))
        await asyncio.sleep(1.0)  # what was sent before the window closed arrives
        webrtc = [await op.rtp_stats() for op in operators]
        sip_stats = [c.rtp_stats() for c in callers]
    finally:
        await asyncio.gather(*(c.hang_up() for c in callers), return_exceptions=True)
        await asyncio.gather(*(op.close() for op in operators), return_exceptions=True)
        await phone.stop()
    up: list[Direction] = []
    down: list[Direction] = []
    media: list[float] = []
    media_back: list[float] = []
    misrouted = 0
    by_caller: dict[int, Operator] = {}
    for op in operators:
        heard = op.receiver.senders()
        misrouted += max(0, len(heard) - 1)
        for s in heard:
            by_caller[s] = op
    for c in callers:
        found = by_caller.get(c.index)
        if found is None:
            continue
        op = found
        if op.accepted_at is None or len(c.sender.window) < 2 or len(op.sender.window) < 2:
            continue
        misrouted += len(c.receiver.senders() - {op.index})
        up.append(direction(c.sender, op.receiver, buffer_ms))
        down.append(direction(op.sender, c.receiver, buffer_ms))
        if op.receiver.first_at is not None:
            media.append(op.receiver.first_at - op.accepted_at)
        if c.receiver.first_at is not None:
            media_back.append(c.receiver.first_at - op.accepted_at)
    failures += [f"caller {c.index}: {c.failure}" for c in callers if c.failure]
    failures += [f"{op.id}: {op.failure}" for op in operators if op.failure]
    return Round(calls, bridged, t1 - t0, [c.setup_s for c in callers if c.setup_s is not None], media, media_back,
                 up, down, [s for s in sip_stats if s], [w for w in webrtc if w], cpu1 - cpu0, client1 - client0,
                 all1 - all0, rss, peak, failures, misrouted, rest_share, busiest, sum(1 for op in operators if op.no_call),
                 [op.no_call_s for op in operators if op.no_call_s is not None])


def measure(calls: int, seconds: float, speech: list[bytes], folder: Path, cores: set[int] | None,
            buffer_ms: float) -> Round:
    """One round on a fresh server (so its memory is this round's)."""
    from websockets.exceptions import WebSocketException

    process, port, sip = start_server(folder, calls, cores)
    try:
        return asyncio.run(run_round(calls, seconds, speech, folder, f"http://127.0.0.1:{port}", sip, process.pid,
                                     buffer_ms))
    except (httpx.HTTPError, OSError, KeyError, ValueError, WebSocketException) as error:  # a person reads why, not a traceback
        code = process.poll()
        tail = (folder / "dozvon.log").read_text(errors="replace").strip().splitlines()[-15:]
        raise BenchError(f"the round of {calls} calls failed: {error!r}; the server "
                         f"{'exited with ' + str(code) if code is not None else 'was still running'}; its last "
                         "output:\n    " + "\n    ".join(tail or ["(none)"])) from None
    finally:
        stop_server(process)
