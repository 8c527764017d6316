"""RTP (RFC 3550) for one call's audio: G.711 in and out as 20 ms frames, DTMF events (RFC 4733).

A session owns one UDP port from a configured range. What arrives is decoded to 16-bit PCM frames
that the call logic reads; what the call logic writes is queued and sent paced, one frame every
20 ms, with silence when nothing is queued so that the peer's jitter buffer never starves. All the
sessions of an agent are paced by one shared :class:`Ticker`, so a hundred calls cost one timer
wake-up every 20 ms, not a hundred.

Statistics follow RFC 3550 appendix A: packets expected from the extended highest sequence
number, lost = expected − received, and the interarrival jitter estimate J += (|D| − J)/16.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import struct
from collections import deque
from collections.abc import Callable
from typing import Any

from dozvon.voice import g711

log = logging.getLogger(__name__)

CLOCK_RATE = 8000
FRAME_SAMPLES = g711.SAMPLES_PER_FRAME
FRAME_BYTES = g711.FRAME_BYTES
FRAME_SECONDS = FRAME_SAMPLES / CLOCK_RATE
#: Frames received but not read yet, kept at most (5 s): a call logic that stops reading for a
#: while loses the oldest audio rather than the process its memory.
INBOUND_LIMIT = 250
DTMF_EVENTS = "0123456789*#ABCD"
_HEADER = struct.Struct("!BBHII")


def parse_rtp(data: bytes) -> tuple[int, bool, int, int, int, bytes] | None:
    """(payload type, marker, sequence number, timestamp, SSRC, payload) of an RTP packet, or None
    when it is not one (wrong version, too short, lying lengths)."""
    if len(data) < 12:
        return None
    b0, b1, seq, ts, ssrc = _HEADER.unpack_from(data)
    if b0 >> 6 != 2:
        return None
    offset = 12 + 4 * (b0 & 0x0F)  # CSRC list
    if b0 & 0x10:  # header extension: 4 bytes of header, then its length in 32-bit words
        if len(data) < offset + 4:
            return None
        offset += 4 + 4 * struct.unpack_from("!H", data, offset + 2)[0]
    end = len(data)
    if b0 & 0x20:  # padding: its length is the last byte
        end -= data[-1]
    if offset > end:
        return None
    return b1 & 0x7F, bool(b1 & 0x80), seq, ts, ssrc, data[offset:end]


def build_rtp(pt: int, seq: int, ts: int, ssrc: int, payload: bytes, marker: bool = False) -> bytes:
    return _HEADER.pack(0x80, (0x80 if marker else 0) | pt, seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc) + payload


class Ticker:
    """A 20 ms clock shared by many sessions. It keeps to the wall clock by deadlines (no drift
    from the time the ticks themselves take); when the loop was blocked for more than a few
    frames it starts again from now instead of sending a burst."""

    def __init__(self, period: float = FRAME_SECONDS) -> None:
        self.period = period
        self._sessions: dict[int, RtpSession] = {}
        self._task: asyncio.Task[None] | None = None
        self.late_ticks = 0

    def add(self, session: RtpSession) -> None:
        self._sessions[id(session)] = session
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="rtp-ticker")

    def discard(self, session: RtpSession) -> None:
        self._sessions.pop(id(session), None)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time()
        while self._sessions:
            deadline += self.period
            delay = deadline - loop.time()
            if delay < -3 * self.period:
                self.late_ticks += 1
                deadline = loop.time()
                delay = 0
            await asyncio.sleep(max(0.0, delay))
            for session in list(self._sessions.values()):
                try:
                    session.tick()
                except Exception:  # one broken session must not silence the others
                    log.exception("RTP session %s failed to send", session.local_port)
                    self.discard(session)

    async def stop(self) -> None:
        self._sessions.clear()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


class PortRange:
    """Even ports from a range, handed out round-robin so that a port just freed is not reused
    at once (late packets of the previous call would land in the next one)."""

    def __init__(self, low: int, high: int) -> None:
        if not 0 < low <= high < 65536:
            raise ValueError(f"bad RTP port range {low}-{high}")
        self.low, self.high = low + (low % 2), high
        self._next = self.low

    def bind(self, host: str) -> socket.socket:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        count = (self.high - self.low) // 2 + 1
        for _ in range(count):
            port = self._next
            self._next = port + 2 if port + 2 <= self.high else self.low
            sock = socket.socket(family, socket.SOCK_DGRAM)
            try:
                sock.bind((host, port))
            except OSError:
                sock.close()
                continue
            sock.setblocking(False)
            return sock
        raise OSError(f"no free RTP port in {self.low}-{self.high}")


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, session: RtpSession) -> None:
        self.session = session

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        try:
            self.session.receive_packet(data, (str(addr[0]), int(addr[1])), asyncio.get_running_loop().time())
        except Exception:  # a hostile packet must never reach the event loop
            log.exception("RTP packet from %s dropped", addr)

    def error_received(self, exc: Exception) -> None:  # ICMP port unreachable and the like
        self.session.send_errors += 1


class RtpSession:
    """One call's audio stream. See the module's docstring."""

    def __init__(self, *, host: str, ports: PortRange, ticker: Ticker, codec: str = "PCMU", pt: int = 0,
                 dtmf_pt: int | None = 101, remote: tuple[str, int] | None = None, latch: bool = True,
                 strict: bool = True, on_dtmf: Callable[[str], None] | None = None) -> None:
        self.host = host
        self._ports = ports
        self._ticker = ticker
        self.codec, self.pt, self.dtmf_pt = codec, pt, dtmf_pt
        self.remote = self._sdp_remote = remote
        self.latch = latch
        #: Once the source is known (latched, or the SDP's without latching), packets from any
        #: other address are dropped (what Asterisk calls strict RTP).
        self.strict = strict
        self._latched = False
        self.on_dtmf = on_dtmf
        #: False while the peer does not want our audio (it offered sendonly/inactive): frames are
        #: consumed and timestamps advance, nothing is sent.
        self.sending = True
        self.local_port = 0
        self._transport: asyncio.DatagramTransport | None = None
        self.closed = False
        # sending
        self.ssrc = int.from_bytes(os.urandom(4), "big")
        self._seq = int.from_bytes(os.urandom(2), "big")
        self._ts = int.from_bytes(os.urandom(4), "big")
        self._outbound: deque[bytes] = deque()
        self._first = True
        self._dtmf_queue: deque[tuple[int, int]] = deque()  # (event, duration in samples)
        self._dtmf: list[int] | None = None  # [event, start ts, duration so far, total, end packets left]
        # receiving
        self._inbound: deque[bytes] = deque(maxlen=INBOUND_LIMIT)
        self._waiter: asyncio.Future[None] | None = None
        self._partial = b""
        self._rx_ssrc: int | None = None
        self._base_seq = self._max_seq = self._cycles = 0
        self._received = 0
        self._lost_before = 0  # lost in streams from earlier sources (a re-INVITE, a transfer)
        self._transit: float | None = None
        self._jitter = 0.0  # in timestamp units
        self._last_dtmf_ts: int | None = None
        self.digits_received: list[str] = []
        # counters
        self.packets_in = self.bytes_in = self.packets_out = self.bytes_out = 0
        self.send_errors = self.dropped_in = self.frames_overrun = 0
        self.last_packet_at: float | None = None

    async def open(self) -> None:
        sock = self._ports.bind(self.host)
        self.local_port = sock.getsockname()[1]
        transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(lambda: _Protocol(self), sock=sock)
        self._transport = transport
        self._ticker.add(self)

    def configure(self, *, remote: tuple[str, int] | None, codec: str, pt: int, dtmf_pt: int | None) -> None:
        """What offer/answer agreed (again after a re-INVITE): where to send, in which codec."""
        if remote is not None and remote != self._sdp_remote:
            self.remote = self._sdp_remote = remote  # a new address in the SDP: latch again
            self._latched = False
        self.codec, self.pt, self.dtmf_pt = codec, pt, dtmf_pt

    # --- the call logic's side --------------------------------------------------------------

    async def read(self) -> bytes:
        """The next 20 ms PCM16LE frame received; b"" once the session is closed."""
        while not self._inbound:
            if self.closed:
                return b""
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter
        return self._inbound.popleft()

    def read_nowait(self) -> bytes | None:
        return self._inbound.popleft() if self._inbound else None

    def write(self, pcm: bytes) -> None:
        """Queue PCM16LE audio (any length; the last partial frame padded with silence)."""
        for start in range(0, len(pcm), FRAME_BYTES):
            frame = pcm[start : start + FRAME_BYTES]
            self._outbound.append(frame.ljust(FRAME_BYTES, b"\0"))

    def clear(self) -> None:
        """Drop everything queued (the caller barged in over a prompt)."""
        self._outbound.clear()

    @property
    def queued_frames(self) -> int:
        return len(self._outbound)

    def send_dtmf(self, digit: str, duration_ms: int = 100) -> None:
        """Send a digit as RFC 4733 events (nothing when the peer did not offer telephone-event)."""
        event = DTMF_EVENTS.find(digit.upper())
        if event < 0 or len(digit) != 1:
            raise ValueError(f"not a DTMF digit: {digit!r}")
        if self.dtmf_pt is None:
            return
        self._dtmf_queue.append((event, max(1, duration_ms * CLOCK_RATE // 1000)))

    @property
    def stats(self) -> dict[str, Any]:
        expected = self._cycles + self._max_seq - self._base_seq + 1 if self._rx_ssrc is not None else 0
        lost = self._lost_before + max(0, expected - self._received)
        total = self._lost_before + expected
        return {
            "packets_in": self.packets_in, "bytes_in": self.bytes_in,
            "packets_out": self.packets_out, "bytes_out": self.bytes_out,
            "lost": lost, "loss_pct": 100.0 * lost / total if total > 0 else 0.0,
            "jitter_ms": self._jitter / CLOCK_RATE * 1000.0,
            "dropped_in": self.dropped_in, "send_errors": self.send_errors, "codec": self.codec,
            "local_port": self.local_port, "remote": self.remote,
        }

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._ticker.discard(self)
        if self._transport is not None:
            self._transport.close()
        self._wake()

    # --- receiving ----------------------------------------------------------------------------

    def receive_packet(self, data: bytes, addr: tuple[str, int], arrival: float) -> None:
        """One datagram on our port (``arrival`` in seconds on any steady clock)."""
        if self.closed:
            return
        packet = parse_rtp(data)
        if packet is None:
            self.dropped_in += 1
            return
        pt, _marker, seq, ts, ssrc, payload = packet
        if pt != self.pt and pt != self.dtmf_pt and pt not in (0, 8):
            self.dropped_in += 1  # comfort noise (13) and the like: not audio we decode
            return
        if self.latch and not self._latched:
            self.remote = addr  # symmetric RTP: answer where the audio really comes from
            self._latched = True
        elif self.strict and self.remote is not None and addr != self.remote:
            self.dropped_in += 1  # not the peer's stream: injected or stray packets are not heard
            return
        self.packets_in += 1
        self.bytes_in += len(data)
        self.last_packet_at = arrival
        self._account(seq, ts, ssrc, arrival)
        if pt == self.dtmf_pt:
            self._receive_dtmf(ts, payload)
        else:
            decoder = g711.DECODERS["PCMU" if pt == 0 else "PCMA"] if pt in (0, 8) else g711.DECODERS[self.codec]
            self._push(decoder(payload))

    def _account(self, seq: int, ts: int, ssrc: int, arrival: float) -> None:
        if ssrc != self._rx_ssrc:
            if self._rx_ssrc is not None:  # a new source: keep what the old one lost
                self._lost_before += max(0, self._cycles + self._max_seq - self._base_seq + 1 - self._received)
            self._rx_ssrc, self._base_seq, self._max_seq, self._cycles = ssrc, seq, seq, 0
            self._received, self._transit = 0, None
        else:
            delta = (seq - self._max_seq) & 0xFFFF
            if 0 < delta < 3000:  # in order, maybe with a gap
                if seq < self._max_seq:
                    self._cycles += 65536
                self._max_seq = seq
            elif delta > 65536 - 3000 or delta == 0:
                pass  # late (reordered) or duplicated: counted as received, max unchanged
            else:  # a jump: the sender restarted its numbering
                self._lost_before += max(0, self._cycles + self._max_seq - self._base_seq + 1 - self._received)
                self._base_seq, self._max_seq, self._cycles, self._received = seq, seq, 0, 0
        self._received += 1
        transit = arrival * CLOCK_RATE - ts
        if self._transit is not None:
            d = abs(transit - self._transit)
            if d < CLOCK_RATE * 10:  # a timestamp jump (a new talkspurt base) is not jitter
                self._jitter += (d - self._jitter) / 16.0
        self._transit = transit

    def _receive_dtmf(self, ts: int, payload: bytes) -> None:
        if len(payload) < 4 or not payload[1] & 0x80:
            return  # only the end of an event counts: one digit per key press
        if ts == self._last_dtmf_ts:
            return  # the end packet is sent three times
        self._last_dtmf_ts = ts
        if payload[0] >= len(DTMF_EVENTS):
            return  # flash and the rest: not a digit
        digit = DTMF_EVENTS[payload[0]]
        self.digits_received.append(digit)
        if self.on_dtmf is not None:
            self.on_dtmf(digit)

    def _push(self, pcm: bytes) -> None:
        if self._partial:
            pcm = self._partial + pcm
            self._partial = b""
        for start in range(0, len(pcm), FRAME_BYTES):
            frame = pcm[start : start + FRAME_BYTES]
            if len(frame) < FRAME_BYTES:
                self._partial = frame  # a 30 ms packet leaves half a frame for the next
                break
            if len(self._inbound) == self._inbound.maxlen:
                self.frames_overrun += 1
            self._inbound.append(frame)
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    # --- sending --------------------------------------------------------------------------------

    def tick(self) -> None:
        """Send one packet's worth (called every 20 ms by the ticker)."""
        if self.closed:
            return
        if self._dtmf is None and self._dtmf_queue and self.dtmf_pt is not None:
            event, total = self._dtmf_queue.popleft()
            self._dtmf = [event, self._ts, 0, total, 3]
        if self._dtmf is not None:
            self._tick_dtmf()
        else:
            frame = self._outbound.popleft() if self._outbound else None
            payload = g711.ENCODERS[self.codec](frame) if frame is not None else g711.SILENCE[self.codec]
            self._send(self.pt, self._ts, payload, marker=self._first)
            self._first = False
        self._ts = (self._ts + FRAME_SAMPLES) & 0xFFFFFFFF

    def _tick_dtmf(self) -> None:
        assert self._dtmf is not None and self.dtmf_pt is not None
        event, start_ts, duration, total, ends_left = self._dtmf
        if self._outbound:
            self._outbound.popleft()  # the audio under a key press is not sent, but time goes on
        first = duration == 0
        duration = min(duration + FRAME_SAMPLES, total, 0xFFFF)
        end = duration >= total
        payload = struct.pack("!BBH", event, (0x80 if end else 0) | 10, duration)
        self._send(self.dtmf_pt, start_ts, payload, marker=first)
        if end:
            ends_left -= 1
            if ends_left <= 0:
                self._dtmf = None
                return
        self._dtmf = [event, start_ts, duration, total, ends_left]

    def _send(self, pt: int, ts: int, payload: bytes, marker: bool) -> None:
        if not self.sending or self.remote is None or self._transport is None:
            return
        self._seq = (self._seq + 1) & 0xFFFF
        packet = build_rtp(pt, self._seq, ts, self.ssrc, payload, marker)
        self._transport.sendto(packet, self.remote)
        self.packets_out += 1
        self.bytes_out += len(packet)
