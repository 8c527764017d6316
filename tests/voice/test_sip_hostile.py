"""What the agent does with retransmissions, a caller that never ACKs, malformed and hostile SIP,
and a flood from an address it does not serve — while a SIPp call in progress keeps its audio.

SIPp sends only well-formed SIP, so these requests come from a plain UDP socket in the test.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Any

import pytest

from dozvon.voice.sip import Call
from tests.voice.conftest import RawPeer, free_ports, offer_sdp, run_sipp, running_agent, sip_request, status_of


def test_a_retransmitted_invite_gets_the_same_response_again() -> None:
    """The INVITE sent again (same branch) while it rings gets the same 180 byte for byte, and after
    the answer the same 200; the call logic sees one call."""
    calls: list[Call] = []

    async def scenario() -> None:
        go = asyncio.Event()

        async def on_call(call: Call) -> None:
            calls.append(call)
            await call.ring()
            await go.wait()
            await call.answer()

        async with running_agent(on_call) as agent:
            peer = RawPeer()
            invite = sip_request("INVITE", agent.port, peer, call_id="retrans-1", branch="z9hG4bKretrans1",
                                 body=offer_sdp(free_ports(1)[0]))
            peer.send(invite, agent.port)
            first = await peer.recv_all(0.5)
            assert [status_of(d) for d in first] == [100, 180]
            peer.send(invite, agent.port)
            again = await peer.recv_all(0.5)
            assert again == [first[-1]]  # the last response, the same bytes
            go.set()
            ok = await peer.recv(2)
            assert status_of(ok) == 200
            peer.send(invite, agent.port)
            assert await peer.recv(1) == ok
            assert agent.counters["retransmissions"] == 2
            peer.close()

    asyncio.run(scenario())
    assert len(calls) == 1


def test_a_caller_that_never_acks_is_hung_up_after_64_t1() -> None:
    """The 200 OK is resent at T1, 2·T1, 4·T1 … (at most T2 apart); after 64·T1 without an ACK the
    call ends ``no_ack`` and the agent sends BYE. T1 is 20 ms here, so 64·T1 is 1.28 s."""
    outcome: dict[str, Any] = {}

    async def on_call(call: Call) -> None:
        try:
            await call.answer()
        except Exception as error:  # CallEnded
            outcome["raised"] = type(error).__name__
        outcome["reason"] = call.end_reason

    async def scenario() -> None:
        async with running_agent(on_call, t1=0.02, t2=0.16) as agent:
            peer = RawPeer()
            peer.send(sip_request("INVITE", agent.port, peer, call_id="noack-1", branch="z9hG4bKnoack1",
                                  body=offer_sdp(free_ports(1)[0])), agent.port)
            got = await peer.recv_all(2.5)
            statuses = [status_of(d) for d in got]
            oks = statuses.count(200)
            byes = [d for d in got if d.startswith(b"BYE ")]
            outcome.update(oks=oks, byes=len(byes))
            assert byes, statuses
            # answer the BYE so the agent's transaction ends quietly
            bye = byes[0].decode()
            via = next(line for line in bye.split("\r\n") if line.startswith("Via:"))
            rest = [line for line in bye.split("\r\n")[1:] if line.split(":")[0] in ("From", "To", "Call-ID", "CSeq")]
            peer.send("SIP/2.0 200 OK\r\n" + via + "\r\n" + "\r\n".join(rest) + "\r\nContent-Length: 0\r\n\r\n",
                      agent.port)
            await asyncio.sleep(0.1)
            peer.close()

    asyncio.run(scenario())
    assert outcome["reason"] == "no_ack"
    assert outcome["raised"] == "CallEnded"
    # 1 + retransmissions at 20, 40, 80, 160, 160 … ms within 1.28 s: about 10
    assert 6 <= outcome["oks"] <= 14, outcome
    assert outcome["byes"] >= 1


HOSTILE: list[tuple[str, bytes, int | None]] = [
    ("truncated headers", b"INVITE sip:100@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKt1\r\n"
                          b"From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:100@127.0.0.1>\r\nCall-ID: trunc\r\nCSe", 400),
    ("huge Content-Length", b"OPTIONS sip:100@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKh1\r\n"
                            b"From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:100@127.0.0.1>\r\nCall-ID: huge\r\n"
                            b"CSeq: 1 OPTIONS\r\nContent-Length: 999999999\r\n\r\nv=0\r\n", 400),
    ("missing Call-ID", b"OPTIONS sip:100@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKm1\r\n"
                        b"From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:100@127.0.0.1>\r\nCSeq: 1 OPTIONS\r\n"
                        b"Content-Length: 0\r\n\r\n", 400),
    ("unknown method", b"FROBNICATE sip:100@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKu1\r\n"
                       b"From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:100@127.0.0.1>\r\nCall-ID: unknown\r\n"
                       b"CSeq: 1 FROBNICATE\r\nContent-Length: 0\r\n\r\n", 501),
    ("a method we do not take", b"SUBSCRIBE sip:100@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKs1\r\n"
                                b"From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:100@127.0.0.1>\r\nCall-ID: sub\r\n"
                                b"CSeq: 1 SUBSCRIBE\r\nContent-Length: 0\r\n\r\n", 405),
    ("BYE for no dialog", b"BYE sip:100@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKb1\r\n"
                          b"From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:100@127.0.0.1>;tag=nope\r\nCall-ID: nodialog\r\n"
                          b"CSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n", 481),
    ("an extension we do not have", b"INVITE sip:100@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKe1\r\n"
                                    b"From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:100@127.0.0.1>\r\nCall-ID: ext\r\n"
                                    b"CSeq: 1 INVITE\r\nRequire: 100rel, precondition\r\nContent-Length: 0\r\n\r\n", 420),
    ("a loop (Max-Forwards: 0)", b"INVITE sip:100@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKl1\r\n"
                                 b"From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:100@127.0.0.1>\r\nCall-ID: loop\r\n"
                                 b"CSeq: 1 INVITE\r\nMax-Forwards: 0\r\nContent-Length: 0\r\n\r\n", 483),
    ("an offer without G.711", b"", 488),  # built in the test: needs the peer's address
    ("garbage bytes", os.urandom(700), None),
    ("binary after a start line", b"INVITE sip:x SIP/2.0\r\n\xff\xfe\x00\x01" * 40, None),
    ("an oversized datagram", b"OPTIONS sip:100@127.0.0.1 SIP/2.0\r\n" + b"X-Pad: " + b"a" * 40000 + b"\r\n\r\n", None),
    ("a response nobody asked for", b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKr1\r\n"
                                    b"From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:b@127.0.0.1>;tag=2\r\nCall-ID: r\r\n"
                                    b"CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n", None),
]


def test_malformed_and_hostile_sip_is_answered_or_dropped_while_a_call_keeps_its_audio(
        sipp: str, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """During a SIPp call whose audio is echoed back, every kind of bad input is answered with
    the right status (400 with a Warning, 405/501 with Allow, 481, 488) or dropped; then an INVITE
    flood from 127.0.0.2, an address not allowed, gets one 403 and silence. The call loses no
    audio and ends normally."""
    result: dict[str, Any] = {}

    async def on_call(call: Call) -> None:
        await call.answer()
        call.media.write(b"\x10\x27" * 160 * 250)  # 5 s of a constant level, echoed back by SIPp
        while await call.media.read():
            pass
        result["stats"] = call.media.stats
        result["reason"] = call.end_reason

    async def scenario() -> None:
        async with running_agent(on_call, latch_rtp=False) as agent:
            sipp_call = asyncio.ensure_future(run_sipp(sipp, tmp_path, agent.port, scenario="uac_echo.xml",
                                                       replace={"CALL_MS": "4000"}, extra=["-rtp_echo"]))
            await asyncio.sleep(1.0)
            assert len(agent.calls) == 1
            peer = RawPeer()
            answers: dict[str, Any] = {}
            for name, data, _ in HOSTILE:
                if name == "an offer without G.711":
                    data = sip_request("INVITE", agent.port, peer, call_id="g729", branch="z9hG4bKg729",
                                       body=offer_sdp(free_ports(1)[0], codecs="18")).encode()
                peer.send(data, agent.port)
                got = await peer.recv_all(0.3)
                answers[name] = (got, [status_of(d) for d in got])
            for name, _, expected in HOSTILE:
                statuses = [s for s in answers[name][1] if s != 100]
                assert statuses == ([expected] if expected else []), (name, answers[name][0])
            assert b"Warning: 399 dozvon" in answers["truncated headers"][0][0]
            assert b"Content-Length 999999999" in answers["huge Content-Length"][0][0]
            assert b"Allow: INVITE, ACK, CANCEL, BYE, OPTIONS" in answers["unknown method"][0][0]
            assert b"Unsupported: 100rel, precondition" in answers["an extension we do not have"][0][0]
            peer.close()

            stranger = RawPeer("127.0.0.2")
            for i in range(2000):
                stranger.send(sip_request("INVITE", agent.port, stranger, call_id=f"flood-{i}",
                                          branch=f"z9hG4bKflood{i}", body=offer_sdp(40000)), agent.port)
                if i % 100 == 0:
                    await asyncio.sleep(0)  # let the call's audio through, as a real loop would
            replies = await stranger.recv_all(0.5)
            result["flood_replies"] = [status_of(r) for r in replies]
            result["counters"] = dict(agent.counters)
            stranger.close()
            run = await sipp_call
            assert run.returncode == 0, run.explain()
            await asyncio.sleep(0.2)

    with caplog.at_level(logging.WARNING, logger="dozvon.voice.sip.agent"):
        asyncio.run(scenario())
    assert result["flood_replies"] == [403]
    flood_lines = [r.getMessage() for r in caplog.records if "127.0.0.2" in r.getMessage()]
    assert len(flood_lines) == 1, flood_lines  # one line for the flood, not two thousand
    # One refusal answered; the rest that reached the socket (the kernel drops some of a burst) dropped unread.
    assert result["counters"]["refused"] == 1 and result["counters"]["dropped_refused"] > 0, result["counters"]
    assert result["reason"] == "remote_bye"
    stats = result["stats"]
    assert stats["lost"] == 0, stats
    assert stats["packets_in"] >= 0.9 * stats["packets_out"], stats
