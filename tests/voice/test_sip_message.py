"""SIP message parsing and SDP offer/answer, without a network: compact forms, multi-value
headers, case, folding, bodies by Content-Length; what is refused and why."""

from __future__ import annotations

import asyncio
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dozvon.voice.sip import SipAgent, sdp
from dozvon.voice.sip.message import (
    Headers,
    ParseError,
    SipRequest,
    SipResponse,
    parse,
    parse_name_addr,
    parse_via,
    response_to,
    split_list,
    uri_host_port,
    uri_user,
)

INVITE = (
    "INVITE sip:+74951234567@10.0.0.5:5060;user=phone SIP/2.0\r\n"
    "v: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKabc;rport, SIP/2.0/UDP 10.0.0.2:5070;branch=z9hG4bKdef\r\n"
    "Via: SIP/2.0/UDP 10.0.0.3;branch=z9hG4bKghi\r\n"
    'f: "Иван, клиент" <sip:+79161234567@10.0.0.1>;tag=a1\r\n'
    "t: <sip:+74951234567@10.0.0.5>\r\n"
    "i: call-1@10.0.0.1\r\n"
    "CSEQ: 314 INVITE\r\n"
    "m: <sip:+79161234567@10.0.0.1:5060>\r\n"
    "Subject: a long\r\n  folded line\r\n"
    "Record-Route: <sip:10.0.0.2;lr>, <sip:10.0.0.3;lr>\r\n"
    "c: application/sdp\r\n"
    "l: 4\r\n"
    "\r\n"
    "v=0\r\nextra bytes beyond Content-Length"
).encode()


def test_a_request_with_compact_forms_and_several_vias_is_read() -> None:
    message = parse(INVITE)
    assert isinstance(message, SipRequest)
    assert (message.method, message.uri) == ("INVITE", "sip:+74951234567@10.0.0.5:5060;user=phone")
    assert message.call_id == "call-1@10.0.0.1"
    assert message.cseq == (314, "INVITE")
    assert message.branch == "z9hG4bKabc"
    assert message.from_tag == "a1" and message.to_tag == ""
    assert len(message.headers.get_all("via")) == 3
    assert message.headers.get("SUBJECT") == "a long folded line"
    assert message.headers.get_all("Record-Route") == ["<sip:10.0.0.2;lr>", "<sip:10.0.0.3;lr>"]
    assert message.body == b"v=0\r"
    assert parse_name_addr(message.headers.get("From") or "") == ("Иван, клиент", "sip:+79161234567@10.0.0.1")
    assert uri_user(message.uri) == "+74951234567"
    assert uri_host_port(message.uri) == ("10.0.0.5", 5060)


def test_serialising_writes_full_names_and_the_true_content_length() -> None:
    message = parse(INVITE)
    again = parse(message.serialise())
    assert isinstance(again, SipRequest)
    assert b"Call-ID: call-1@10.0.0.1\r\n" in message.serialise()
    assert b"Content-Length: 4\r\n\r\nv=0\r" in message.serialise()
    assert again.headers.get_all("Via") == message.headers.get_all("Via")
    assert again.body == message.body


def test_a_response_copies_what_it_must_and_adds_our_tag() -> None:
    request = parse(INVITE)
    assert isinstance(request, SipRequest)
    response = response_to(request, 180, to_tag="z9", headers=[("Contact", "<sip:dozvon@10.0.0.5>")])
    data = response.serialise()
    assert data.startswith(b"SIP/2.0 180 Ringing\r\n")
    parsed = parse(data)
    assert isinstance(parsed, SipResponse)
    assert parsed.to_tag == "z9" and parsed.cseq == (314, "INVITE")
    assert parsed.headers.get_all("Via") == request.headers.get_all("Via")
    trying = response_to(request, 100, to_tag="z9")
    assert trying.to_tag == ""  # 100 Trying carries no tag


@pytest.mark.parametrize(("data", "answerable", "reason"), [
    (b"", False, "empty"),
    (os.urandom(300), False, ""),
    (b"HELLO WORLD\r\n\r\n", False, "start line"),
    (b"SIP/2.0 2000 OK\r\n\r\n", False, "status"),
    (INVITE.replace(b"CSEQ: 314 INVITE", b"CSeq: x INVITE"), True, "CSeq"),
    (INVITE.replace(b"i: call-1@10.0.0.1\r\n", b""), True, "Call-ID"),
    (INVITE.replace(b"l: 4", b"l: 99999"), True, "Content-Length 99999"),
    (INVITE.replace(b"l: 4", b"l: -1"), True, "Content-Length"),
    (INVITE.split(b"\r\n\r\n")[0][:-30], True, "truncated"),
    (INVITE.replace(b"CSEQ: 314 INVITE", b"CSeq: 314 BYE"), True, "CSeq method"),
    (INVITE.replace(b"t: <sip", b"t <sip"), True, "malformed header"),
    (b"INVITE sip:x SIP/2.0\r\n" + b"X: y\r\n" * 300 + b"\r\n", True, "header"),
])
def test_bad_messages_raise_a_parse_error_saying_why(data: bytes, answerable: bool, reason: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse(data)
    assert (caught.value.request is not None) is answerable
    assert reason.lower() in caught.value.reason.lower()


def test_header_helpers() -> None:
    headers = Headers([("via", "a"), ("V", "b, c"), ("Call-Id", "x")])
    assert headers.get_all("Via") == ["a", "b", "c"]
    assert "call-id" in headers and headers.get("I") == "x"
    headers.set("Via", "z")
    assert headers.get_all("Via") == ["z"]
    assert split_list('"a, b" <sip:x>, <sip:y;p=1,2>') == ['"a, b" <sip:x>', "<sip:y;p=1,2>"]
    via = parse_via("SIP/2.0/UDP [::1]:5080;branch=z9hG4bKq;rport")
    assert via is not None and (via.host, via.port, via.branch, via.rport) == ("::1", 5080, "z9hG4bKq", True)
    assert parse_via("garbage") is None


OFFER = b"""v=0\r
o=- 1 1 IN IP4 10.0.0.9\r
s=-\r
c=IN IP4 10.0.0.9\r
t=0 0\r
m=audio 40000 RTP/AVP 18 8 0 96\r
a=rtpmap:18 G729/8000\r
a=rtpmap:8 PCMA/8000\r
a=rtpmap:0 PCMU/8000\r
a=rtpmap:96 telephone-event/8000\r
a=fmtp:96 0-15\r
a=sendrecv\r
"""


def test_an_answer_takes_the_first_g711_codec_the_offer_prefers_and_its_dtmf_type() -> None:
    offer = sdp.parse(OFFER)
    n = sdp.answer_offer(offer)
    assert (n.codec, n.pt, n.dtmf_pt) == ("PCMA", 8, 96)
    assert (offer.address, offer.port, offer.on_hold) == ("10.0.0.9", 40000, False)
    body = sdp.build("10.0.0.5", 20000, [(n.codec, n.pt)], n.dtmf_pt, sdp.mirror(offer.direction), sdp.SdpOrigin())
    answer = sdp.parse(body)
    assert answer.payload_types == [8, 96] and answer.dtmf_pt == 96 and answer.direction == "sendrecv"
    assert b"a=rtpmap:96 telephone-event/8000" in body


def test_no_common_codec_is_488_and_no_audio_is_488_too() -> None:
    with pytest.raises(sdp.SdpError) as caught:
        sdp.answer_offer(sdp.parse(OFFER.replace(b"18 8 0 96", b"18 96")))
    assert caught.value.status == 488
    with pytest.raises(sdp.SdpError) as caught:
        sdp.parse(OFFER.replace(b"m=audio", b"m=video"))
    assert caught.value.status == 488
    with pytest.raises(sdp.SdpError) as caught:
        sdp.parse(b"\xff\xfe")
    assert caught.value.status == 400


@pytest.mark.parametrize(("change", "held", "ours"), [
    ((b"a=sendrecv", b"a=sendonly"), True, "recvonly"),
    ((b"a=sendrecv", b"a=inactive"), True, "inactive"),
    ((b"c=IN IP4 10.0.0.9", b"c=IN IP4 0.0.0.0"), True, "sendrecv"),
    ((b"a=sendrecv", b"a=recvonly"), False, "sendonly"),
    ((b"a=sendrecv", b"a=sendrecv"), False, "sendrecv"),
])
def test_hold_is_read_from_direction_or_a_null_address(change: tuple[bytes, bytes], held: bool, ours: str) -> None:
    offer = sdp.parse(OFFER.replace(*change))
    assert offer.on_hold is held
    assert sdp.mirror(offer.direction) == ours


def test_our_offer_lists_both_laws_and_telephone_event_101() -> None:
    body = sdp.build("127.0.0.1", 20002, [("PCMU", 0), ("PCMA", 8)], 101, "sendonly", sdp.SdpOrigin(5, 7))
    assert b"m=audio 20002 RTP/AVP 0 8 101\r\n" in body and b"o=- 5 7 IN IP4 127.0.0.1" in body
    offer = sdp.parse(body)
    assert offer.codec_names() == ["PCMU", "PCMA"] and offer.on_hold
    answer = sdp.parse(OFFER.replace(b"18 8 0 96", b"0 96"))
    assert sdp.read_answer(answer, ["PCMU", "PCMA"]).codec == "PCMU"


# --- fuzzing: whatever arrives, the parser raises ParseError or returns a message ----------------

_LINES = INVITE.split(b"\r\n")


@st.composite
def _mangled(draw: st.DrawFn) -> bytes:
    """A real INVITE with lines dropped, duplicated, cut or corrupted, and bytes flipped."""
    lines = list(_LINES)
    for _ in range(draw(st.integers(0, 6))):
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["drop", "dup", "cut", "junk", "colon", "length"]))
        if action == "drop":
            lines.pop(i)
        elif action == "dup":
            lines.insert(i, lines[i])
        elif action == "cut":
            lines[i] = lines[i][: draw(st.integers(0, max(0, len(lines[i]))))]
        elif action == "junk":
            lines[i] = draw(st.binary(max_size=40))
        elif action == "colon":
            lines[i] = lines[i].replace(b":", b"", 1)
        else:
            lines[i] = b"Content-Length: " + str(draw(st.integers(-5, 10**12))).encode()
        if not lines:
            break
    data = bytearray(b"\r\n".join(lines))
    for _ in range(draw(st.integers(0, 3))):
        if data:
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data)


@settings(max_examples=400, deadline=None)
@given(st.one_of(_mangled(), st.binary(max_size=600)))
def test_the_parser_never_raises_anything_but_a_parse_error(data: bytes) -> None:
    try:
        message = parse(data)
    except ParseError as error:
        assert error.reason
        if error.request is not None:
            response_to(error.request, 400).serialise()  # an answerable request can be answered
        return
    assert isinstance(message, SipRequest | SipResponse)
    parse(message.serialise())  # what we accept, we can write back and read again


@settings(max_examples=150, deadline=None)
@given(st.one_of(_mangled(), st.binary(max_size=600)))
def test_the_agent_survives_any_datagram(data: bytes) -> None:
    """The agent's handler itself (no socket needed to reach it): no exception, whatever the bytes."""
    async def scenario() -> None:
        agent = SipAgent(("127.0.0.1", 0), allowed_peers=["127.0.0.1/32"], on_call=None)
        await agent.start()
        try:
            agent.datagram_received(data, ("127.0.0.1", 9))
            agent.datagram_received(data, ("127.0.0.3", 9))  # not allowed
        finally:
            await agent.stop()

    asyncio.run(scenario())
