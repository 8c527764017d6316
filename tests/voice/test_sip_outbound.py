"""Outbound calls that do not get answered (busy, cancelled while ringing, a silent trunk), and
offer/answer cases of inbound calls that SIPp's scenarios do not cover (A-law preferred, a
delayed offer, a body that is not SDP, a full agent)."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Any

import pytest

from dozvon.voice.sip import Call, CallFailed
from dozvon.voice.sip.message import SipResponse, parse
from tests.voice.conftest import (
    RawPeer,
    free_ports,
    offer_sdp,
    run_sipp,
    running_agent,
    sip_request,
    sipp_listening,
    status_of,
)


def test_a_busy_callee_fails_the_call_with_486_and_gets_its_ack(sipp: str, tmp_path: Path) -> None:
    async def scenario() -> None:
        trunk = free_ports(1)[0]
        async with running_agent(trunk=("127.0.0.1", trunk)) as agent:
            uas = asyncio.ensure_future(run_sipp(sipp, tmp_path, None, scenario="uas_busy.xml", local_port=trunk))
            await sipp_listening(uas, trunk)
            with pytest.raises(CallFailed) as caught:
                await agent.place_call("+74950000000", timeout=10)
            assert (caught.value.status, caught.value.reason) == (486, "Busy Here")
            run = await uas  # completes only if our ACK arrived
            assert run.returncode == 0, run.explain()
            assert agent.calls == {}

    asyncio.run(scenario())


def test_hanging_up_a_ringing_outbound_call_cancels_it(sipp: str, tmp_path: Path) -> None:
    result: dict[str, Any] = {}

    async def scenario() -> None:
        trunk = free_ports(1)[0]
        async with running_agent(trunk=("127.0.0.1", trunk)) as agent:
            uas = asyncio.ensure_future(run_sipp(sipp, tmp_path, None, scenario="uas_cancelled.xml", local_port=trunk))
            await sipp_listening(uas, trunk)
            call = await agent.dial("+74950000001")
            result["first_event"] = await asyncio.wait_for(call.events.get(), 5)
            await call.hangup()
            with pytest.raises(CallFailed) as caught:
                await call.wait_answered()
            result["status"] = caught.value.status
            result["reason"] = call.end_reason
            run = await uas  # 200 to our CANCEL, 487 to the INVITE, and our ACK of it
            assert run.returncode == 0, run.explain()

    asyncio.run(scenario())
    assert result == {"first_event": ("ringing", 180), "status": 487, "reason": "local_hangup"}


def test_a_trunk_that_never_answers_fails_the_call_with_408_after_64_t1() -> None:
    async def scenario() -> None:
        silent = RawPeer()
        async with running_agent(trunk=("127.0.0.1", silent.port), t1=0.02, t2=0.2) as agent:
            with pytest.raises(CallFailed) as caught:
                await agent.place_call("+74950000002")
            assert caught.value.status == 408
            invites = [d for d in await silent.recv_all(0.2) if d.startswith(b"INVITE ")]
            assert len(invites) >= 5  # Timer A: resent at 20, 40, 80, 160, 320, 640 ms
            assert len({parse(d).branch for d in invites}) == 1
        silent.close()

    asyncio.run(scenario())


async def _invite(peer: RawPeer, port: int, call_id: str, body: str = "", extra: str = "") -> list[bytes]:
    peer.send(sip_request("INVITE", port, peer, call_id=call_id, branch=f"z9hG4bK{call_id}", body=body,
                          extra=extra), port)
    return await peer.recv_all(0.5)


def test_an_offer_preferring_a_law_is_answered_in_a_law() -> None:
    codecs: list[str] = []

    async def on_call(call: Call) -> None:
        await call.answer()
        codecs.append(call.codec)
        codecs.append(call.media.codec)

    async def scenario() -> None:
        async with running_agent(on_call) as agent:
            peer = RawPeer()
            got = await _invite(peer, agent.port, "alaw-1", body=offer_sdp(free_ports(1)[0], codecs="8 0 101"))
            ok = parse(got[-1])
            assert isinstance(ok, SipResponse) and ok.status == 200
            assert b"m=audio " in ok.body and b" RTP/AVP 8 101\r\n" in ok.body
            assert b"a=sendrecv" in ok.body
            peer.send(sip_request("ACK", agent.port, peer, call_id="alaw-1", branch="z9hG4bKalaw-ack",
                                  to_tag=ok.to_tag), agent.port)
            await asyncio.sleep(0.2)
            peer.close()

    asyncio.run(scenario())
    assert codecs == ["PCMA", "PCMA"]


def test_a_delayed_offer_gets_ours_in_the_200_and_its_answer_from_the_ack() -> None:
    outcome: dict[str, Any] = {}

    async def on_call(call: Call) -> None:
        await call.answer()
        await asyncio.sleep(0.1)
        outcome.update(codec=call.codec, remote=call.media.remote)

    async def scenario() -> None:
        async with running_agent(on_call) as agent:
            peer = RawPeer()
            got = await _invite(peer, agent.port, "late-1")
            ok = parse(got[-1])
            assert isinstance(ok, SipResponse) and ok.status == 200
            assert b"RTP/AVP 0 8 101" in ok.body  # our offer: both laws, telephone-event
            media_port = free_ports(1)[0]
            answer = offer_sdp(media_port, codecs="8 101")
            peer.send(sip_request("ACK", agent.port, peer, call_id="late-1", branch="z9hG4bKlate-ack",
                                  to_tag=ok.to_tag, body=answer), agent.port)
            await asyncio.sleep(0.3)
            peer.close()

    asyncio.run(scenario())
    assert outcome == {"codec": "PCMA", "remote": ("127.0.0.1", outcome["remote"][1])}


def test_a_body_that_is_not_sdp_is_415_and_a_full_agent_503() -> None:
    async def scenario() -> None:
        held = asyncio.Event()

        async def on_call(call: Call) -> None:
            await call.ring()
            await held.wait()

        async with running_agent(on_call, max_calls=1) as agent:
            peer = RawPeer()
            got = await _invite(peer, agent.port, "xml-1", body="<xml/>",
                                extra="Content-Type: application/xml\r\n")
            # the request's own Content-Type line comes first; we add application/sdp only with an SDP body
            assert [status_of(d) for d in got] == [415]
            first = await _invite(peer, agent.port, "one-1", body=offer_sdp(free_ports(1)[0]))
            assert [status_of(d) for d in first] == [100, 180]
            second = await _invite(peer, agent.port, "two-1", body=offer_sdp(free_ports(1)[0]))
            assert [status_of(d) for d in second] == [503]
            assert b"Retry-After: 5" in second[0]
            held.set()
            peer.close()

    asyncio.run(scenario())


def test_an_ipv6_peer_gets_bracketed_addresses_and_ip6_sdp() -> None:
    """The agent on ::1: Via, Contact and SDP carry IPv6 as SIP and SDP spell it."""
    try:
        probe = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    outcome: dict[str, Any] = {}

    async def on_call(call: Call) -> None:
        await call.answer()
        outcome["remote"] = call.media.remote

    async def scenario() -> None:
        low = free_ports(1)[0]
        async with running_agent(on_call, allowed_peers=["::1/128"], rtp_ports=(low, low + 40),
                                 listen_host="::1") as agent:
            probe.setblocking(False)
            port = probe.getsockname()[1]
            body = ("v=0\r\no=raw 1 1 IN IP6 ::1\r\ns=-\r\nc=IN IP6 ::1\r\nt=0 0\r\n"
                    "m=audio 40000 RTP/AVP 0\r\n")
            invite = (f"INVITE sip:100@[::1]:{agent.port} SIP/2.0\r\nVia: SIP/2.0/UDP [::1]:{port};branch=z9hG4bKv6\r\n"
                      f"From: <sip:a@[::1]>;tag=6\r\nTo: <sip:100@[::1]>\r\nCall-ID: v6\r\nCSeq: 1 INVITE\r\n"
                      f"Content-Type: application/sdp\r\nContent-Length: {len(body)}\r\n\r\n{body}")
            loop = asyncio.get_running_loop()
            await loop.sock_sendto(probe, invite.encode(), ("::1", agent.port))
            ok = None
            for _ in range(3):
                data = await asyncio.wait_for(loop.sock_recv(probe, 65536), 2)
                if data.startswith(b"SIP/2.0 200"):
                    ok = parse(data)
                    break
            assert isinstance(ok, SipResponse)
            assert f"<sip:dozvon@[::1]:{agent.port}>" in (ok.headers.get("Contact") or "")
            assert b"c=IN IP6 ::1" in ok.body
            ack = (f"ACK sip:dozvon@[::1]:{agent.port} SIP/2.0\r\nVia: SIP/2.0/UDP [::1]:{port};branch=z9hG4bKv6a\r\n"
                   f"From: <sip:a@[::1]>;tag=6\r\nTo: <sip:100@[::1]>;tag={ok.to_tag}\r\nCall-ID: v6\r\n"
                   "CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n")
            await loop.sock_sendto(probe, ack.encode(), ("::1", agent.port))
            await asyncio.sleep(0.2)

    asyncio.run(scenario())
    probe.close()
    assert outcome["remote"] == ("::1", 40000)


def test_audio_reaches_a_ringing_caller_only_after_183_with_early_media() -> None:
    """Before the answer nothing is sent to the caller, unless the call logic asked for early
    media: then a 183 with our SDP comes first, and the audio follows it before the 200."""
    async def scenario(early: bool) -> tuple[list[int | None], int, int]:
        go = asyncio.Event()

        async def on_call(call: Call) -> None:
            await call.ring()
            if early:
                await call.early_media()
            call.media.write(b"\x10\x27" * 160 * 100)
            await go.wait()
            await call.answer()

        rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        rtp.bind(("127.0.0.1", 0))
        rtp.setblocking(False)
        async with running_agent(on_call) as agent:
            peer = RawPeer()
            peer.send(sip_request("INVITE", agent.port, peer, call_id=f"early-{early}", branch=f"z9hG4bKearly{early}",
                                  body=offer_sdp(rtp.getsockname()[1])), agent.port)
            ringing = await peer.recv_all(0.6)
            before = _drain_udp(rtp)
            go.set()
            answered = await peer.recv_all(0.3)
            peer.close()
            rtp.close()
            return [status_of(d) for d in ringing + answered], before, len(answered)

    without = asyncio.run(scenario(False))
    assert without[0][:2] == [100, 180] and without[1] == 0
    with_early = asyncio.run(scenario(True))
    assert with_early[0][:3] == [100, 180, 183]
    assert with_early[1] >= 15  # 0.6 s of audio before the answer


def _drain_udp(sock: socket.socket) -> int:
    count = 0
    while True:
        try:
            sock.recv(2048)
        except BlockingIOError:
            return count
        count += 1


def test_a_rejected_call_gets_its_status_until_the_caller_acks_it() -> None:
    """call.reject(486): the failure is resent (Timer G) until the ACK with the same branch,
    then no more; the call ends ``rejected``."""
    reasons: list[str] = []

    async def on_call(call: Call) -> None:
        await call.reject(486, "Busy Here")
        reasons.append(call.end_reason)

    async def scenario() -> None:
        async with running_agent(on_call, t1=0.05, t2=0.4) as agent:
            peer = RawPeer()
            peer.send(sip_request("INVITE", agent.port, peer, call_id="busy-1", branch="z9hG4bKbusy1",
                                  body=offer_sdp(free_ports(1)[0])), agent.port)
            got = await peer.recv_all(0.3)
            statuses = [status_of(d) for d in got]
            assert statuses[0] == 100 and statuses.count(486) >= 2, statuses  # sent, then resent
            busy = parse(got[-1])
            assert isinstance(busy, SipResponse) and busy.to_tag
            peer.send(sip_request("ACK", agent.port, peer, call_id="busy-1", branch="z9hG4bKbusy1",
                                  to_tag=busy.to_tag), agent.port)
            await asyncio.sleep(0.05)
            await peer.recv_all(0.05)
            assert await peer.recv_all(0.5) == []  # acknowledged: quiet
            peer.close()

    asyncio.run(scenario())
    assert reasons == ["rejected"]
