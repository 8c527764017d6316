"""RTP sessions: packet format, RFC 3550 loss and jitter with reordered and missing packets,
RFC 4733 digits in and out, paced sending with silence, over real UDP sockets."""

from __future__ import annotations

import asyncio
import itertools
import socket
import struct

import numpy as np
import pytest

from dozvon.voice import g711
from dozvon.voice.rtp import PortRange, RtpSession, Ticker, build_rtp, parse_rtp
from tests.voice.conftest import free_ports


def _session(**kw: object) -> RtpSession:
    low = free_ports(1)[0]
    return RtpSession(host="127.0.0.1", ports=PortRange(low, low + 20), ticker=Ticker(), **kw)  # type: ignore[arg-type]


def _feed(session: RtpSession, seqs: list[int], arrivals: list[float] | None = None, ssrc: int = 7) -> None:
    """Packets with these sequence numbers (timestamps 160 apart by sequence), arriving at the given
    times (default: exactly 20 ms apart in the order given)."""
    for i, seq in enumerate(seqs):
        at = arrivals[i] if arrivals else i * 0.02
        session.receive_packet(build_rtp(0, seq & 0xFFFF, (seq * 160) & 0xFFFFFFFF, ssrc, b"\xff" * 160),
                               ("127.0.0.1", 9), at)


def test_packets_round_trip_and_broken_ones_are_refused() -> None:
    packet = build_rtp(8, 65535, 2**32 - 1, 0xDEADBEEF, b"abc", marker=True)
    assert parse_rtp(packet) == (8, True, 65535, 2**32 - 1, 0xDEADBEEF, b"abc")
    # two CSRCs, a header extension of one word, two bytes of padding
    fancy = bytes([0x80 | 0x20 | 0x10 | 2, 0]) + struct.pack("!HII", 1, 2, 3) + b"\0" * 8 + b"\xbe\xde\x00\x01abcd" \
        + b"pay" + b"\x00\x02"
    assert parse_rtp(fancy) == (0, False, 1, 2, 3, b"pay")
    assert parse_rtp(b"\x80\x00") is None
    assert parse_rtp(b"\x40" + b"\0" * 20) is None  # version 1
    assert parse_rtp(bytes([0x8F]) + b"\0" * 11) is None  # 15 CSRCs announced, none there


def test_loss_counts_missing_packets_not_reordered_or_duplicated_ones() -> None:
    async def scenario() -> None:
        in_order = _session()
        _feed(in_order, list(range(100, 200)))
        assert (in_order.stats["lost"], in_order.stats["packets_in"]) == (0, 100)

        gaps = _session()
        _feed(gaps, [s for s in range(100, 200) if s not in (110, 111, 150)])
        assert gaps.stats["lost"] == 3
        assert gaps.stats["loss_pct"] == pytest.approx(3.0)

        shuffled = _session()
        _feed(shuffled, [1, 2, 4, 3, 5, 7, 6, 8, 8, 9])  # reordered pairs and a duplicate
        assert shuffled.stats["lost"] == 0

        wrapping = _session()
        _feed(wrapping, [65533, 65534, 65535, 0, 2, 3])  # 1 missing just after the wrap
        assert wrapping.stats["lost"] == 1

    asyncio.run(scenario())


def test_jitter_follows_rfc_3550() -> None:
    """Arrivals alternately on time and 10 ms late: |D| is 80 timestamp units each time, so
    J → 80 units = 10 ms (J += (|D| − J)/16). Perfectly paced arrivals give no jitter."""
    async def scenario() -> None:
        paced = _session()
        _feed(paced, list(range(500)))
        assert paced.stats["jitter_ms"] == pytest.approx(0.0, abs=1e-6)

        late = _session()
        seqs = list(range(500))
        _feed(late, seqs, [s * 0.02 + (0.01 if s % 2 else 0.0) for s in seqs])
        expected = 0.0
        for _ in seqs[1:]:
            expected += (80 - expected) / 16
        assert late.stats["jitter_ms"] == pytest.approx(expected / 8, rel=1e-6)
        assert late.stats["jitter_ms"] == pytest.approx(10.0, abs=0.01)

    asyncio.run(scenario())


def test_a_new_source_keeps_what_the_old_one_lost() -> None:
    async def scenario() -> None:
        session = _session()
        _feed(session, [1, 2, 4], ssrc=1)  # 3 lost
        _feed(session, [900, 901, 902], ssrc=2)
        assert session.stats["lost"] == 1
        assert session.stats["packets_in"] == 6

    asyncio.run(scenario())


def _event(event: int, end: bool, duration: int) -> bytes:
    return struct.pack("!BBH", event, (0x80 if end else 0) | 10, duration)


def test_a_key_press_is_one_digit_however_many_end_packets_arrive() -> None:
    async def scenario() -> None:
        digits: list[str] = []
        session = _session(on_dtmf=digits.append)
        packets = [(1, 1000, _event(5, False, 160)), (2, 1000, _event(5, False, 320)),
                   (3, 1000, _event(5, True, 480)), (3, 1000, _event(5, True, 480)), (4, 1000, _event(5, True, 480)),
                   (5, 2000, _event(11, False, 160)), (6, 2000, _event(11, True, 800)),
                   (7, 2000, _event(11, True, 800)), (8, 3000, _event(16, True, 800))]  # flash: no digit
        for seq, ts, payload in packets:
            session.receive_packet(build_rtp(101, seq, ts, 9, payload), ("127.0.0.1", 9), seq * 0.02)
        assert digits == ["5", "#"]
        assert session.read_nowait() is None  # events are not audio

    asyncio.run(scenario())


def test_30_ms_packets_become_20_ms_frames() -> None:
    async def scenario() -> None:
        session = _session()
        tone = (5000 * np.sin(np.arange(480) / 3)).astype("<i2").tobytes()
        coded = g711.ulaw_encode(tone)
        for i in range(2):
            session.receive_packet(build_rtp(0, i, i * 240, 3, coded[i * 240:(i + 1) * 240]), ("127.0.0.1", 9), i)
        frames = [session.read_nowait() for _ in range(3)]
        assert [len(f) for f in frames if f] == [320, 320, 320]
        assert b"".join(f for f in frames if f) == g711.ulaw_decode(coded)

    asyncio.run(scenario())


def test_sending_is_paced_numbered_and_fed_with_silence_over_udp() -> None:
    """A real session sends to a plain socket: one packet every 20 ms, sequence +1 and timestamp
    +160 each, one SSRC, the marker on the first only; our tone, then μ-law silence (0xFF); a digit
    as RFC 4733 events with the end packet three times; nothing after close."""
    async def scenario() -> list[tuple[float, bytes]]:
        peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        peer.bind(("127.0.0.1", 0))
        peer.setblocking(False)
        session = _session(remote=peer.getsockname(), dtmf_pt=101)
        await session.open()
        session.write(np.full(160 * 5, 3000, dtype="<i2").tobytes())
        loop = asyncio.get_running_loop()
        got: list[tuple[float, bytes]] = []
        end = loop.time() + 0.5
        dtmf_sent = False
        while (left := end - loop.time()) > 0:
            try:
                data = await asyncio.wait_for(loop.sock_recv(peer, 2048), left)
            except TimeoutError:
                break
            got.append((loop.time(), data))
            if len(got) == 10 and not dtmf_sent:
                session.send_dtmf("7", duration_ms=60)
                dtmf_sent = True
        session.close()
        try:
            while True:
                peer.recv(2048)  # what was already on its way
        except BlockingIOError:
            pass
        await asyncio.sleep(0.1)
        with pytest.raises(BlockingIOError):
            peer.recv(2048)
        assert await session.read() == b""
        peer.close()
        return got

    got = asyncio.run(scenario())
    packets = [parse_rtp(data) for _, data in got]
    assert all(p is not None for p in packets)
    parsed = [p for p in packets if p is not None]
    assert 15 <= len(parsed) <= 30, len(parsed)  # 0.5 s at 50 a second (loosely: a shared, busy machine)
    seqs = [p[2] for p in parsed]
    assert all((b - a) & 0xFFFF == 1 for a, b in itertools.pairwise(seqs))
    assert len({p[4] for p in parsed}) == 1
    assert [p[1] for p in parsed].count(True) == 2  # the first audio packet, the first of the digit
    audio = [p for p in parsed if p[0] == 0]
    assert audio[0][5] == g711.ulaw_encode(np.full(160, 3000, dtype="<i2").tobytes())
    assert audio[-1][5] == g711.ULAW_SILENCE
    stamps = [p[3] for p in audio]
    assert all((b - a) % 160 == 0 and b > a for a, b in itertools.pairwise(stamps))
    events = [p for p in parsed if p[0] == 101]
    assert {p[5][0] for p in events} == {7}
    assert len({p[3] for p in events}) == 1  # one event, one timestamp
    assert sum(1 for p in events if p[5][1] & 0x80) == 3
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(got)]
    assert 0.012 < sum(gaps) / len(gaps) < 0.035  # paced, not a burst


def test_a_port_range_hands_out_even_ports_until_it_is_full() -> None:
    low = free_ports(1)[0]
    ports = PortRange(low, low + 4)
    socks = [ports.bind("127.0.0.1") for _ in range(3)]
    assert sorted(s.getsockname()[1] for s in socks) == [low, low + 2, low + 4]
    with pytest.raises(OSError, match="no free RTP port"):
        ports.bind("127.0.0.1")
    for s in socks:
        s.close()


def test_after_latching_only_the_peers_stream_is_heard() -> None:
    """Symmetric RTP latches onto the first source; packets from anywhere else are then dropped
    (strict RTP), until a new SDP names a new address."""
    async def scenario() -> None:
        session = _session(remote=("127.0.0.1", 4000))
        audio = build_rtp(0, 1, 160, 5, b"\x00" * 160)
        session.receive_packet(audio, ("127.0.0.1", 5000), 0.0)
        assert session.remote == ("127.0.0.1", 5000)  # latched to where it really came from
        session.receive_packet(build_rtp(0, 2, 320, 6, b"\x00" * 160), ("127.0.0.9", 6666), 0.02)
        assert (session.stats["packets_in"], session.stats["dropped_in"]) == (1, 1)
        session.configure(remote=("127.0.0.1", 7000), codec="PCMU", pt=0, dtmf_pt=101)  # a re-INVITE
        session.receive_packet(build_rtp(0, 3, 480, 7, b"\x00" * 160), ("127.0.0.1", 7002), 0.04)
        assert session.remote == ("127.0.0.1", 7002) and session.stats["packets_in"] == 2

        fixed = _session(remote=("127.0.0.1", 4000), latch=False)
        fixed.receive_packet(audio, ("127.0.0.1", 5000), 0.0)
        fixed.receive_packet(audio, ("127.0.0.1", 4000), 0.0)
        assert (fixed.stats["packets_in"], fixed.stats["dropped_in"], fixed.remote) == (1, 1, ("127.0.0.1", 4000))

        loose = _session(remote=("127.0.0.1", 4000), latch=False, strict=False)
        loose.receive_packet(audio, ("127.0.0.1", 5000), 0.0)
        assert loose.stats["packets_in"] == 1

    asyncio.run(scenario())
