"""SDP offer/answer (RFC 3264, RFC 4566) for one audio stream of G.711 and DTMF events.

Dozvon speaks PCMU (payload type 0) and PCMA (8), with telephone-event (RFC 4733) for DTMF on
whichever dynamic payload type the peer offers (101 in our own offers). An answer takes the
first of PCMU/PCMA in the offer's order of preference — the peer's choice, not ours — and the
direction that mirrors the offer's: a peer that offers ``sendonly`` or ``inactive`` (or the old
``c=0.0.0.0``) is putting us on hold.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

CODECS = {0: "PCMU", 8: "PCMA"}
PAYLOAD_TYPES = {name: pt for pt, name in CODECS.items()}
DEFAULT_DTMF_PT = 101
DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")
_MIRROR = {"sendrecv": "sendrecv", "sendonly": "recvonly", "recvonly": "sendonly", "inactive": "inactive"}


class SdpError(Exception):
    """An offer or answer we cannot use; ``status`` is the SIP answer to give (400 or 488)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass
class MediaDescription:
    """What one side says about its audio: where to send it, which payload types, which direction."""

    address: str
    port: int
    payload_types: list[int]
    rtpmap: dict[int, str] = field(default_factory=dict)  # pt → "PCMU/8000", "telephone-event/8000"
    direction: str = "sendrecv"

    @property
    def dtmf_pt(self) -> int | None:
        for pt in self.payload_types:
            if self.rtpmap.get(pt, "").lower().startswith("telephone-event/8000"):
                return pt
        return None

    @property
    def on_hold(self) -> bool:
        """The sender of this description does not want to receive audio: it holds the other side."""
        return self.direction in ("sendonly", "inactive") or self.address in ("0.0.0.0", "::")

    def codec_names(self) -> list[str]:
        """The G.711 codecs of this description, in its order of preference."""
        names: list[str] = []
        for pt in self.payload_types:
            encoding = self.rtpmap.get(pt, "").upper()
            name = CODECS.get(pt)
            if name is None and encoding.split("/")[0] in PAYLOAD_TYPES and encoding.endswith("/8000"):
                name = encoding.split("/")[0]  # a G.711 codec announced on a dynamic number (rare, legal)
            if name is not None and name not in names:
                names.append(name)
        return names

    def pt_for(self, codec: str) -> int:
        for pt in self.payload_types:
            if CODECS.get(pt) == codec or self.rtpmap.get(pt, "").split("/")[0].upper() == codec:
                return pt
        return PAYLOAD_TYPES[codec]


def parse(body: bytes) -> MediaDescription:
    """The first audio stream of an SDP body; :class:`SdpError` (400) when there is none."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise SdpError(400, "SDP is not UTF-8 text") from None
    session_address = ""
    media: MediaDescription | None = None
    session_direction = "sendrecv"
    audio_seen = False
    in_audio = False
    for raw in text.splitlines():
        line = raw.strip()
        if len(line) < 2 or line[1] != "=":
            continue
        kind, value = line[0], line[2:].strip()
        if kind == "m":
            if audio_seen:
                in_audio = False  # only the first audio stream is ours
                continue
            parts = value.split()
            in_audio = len(parts) >= 3 and parts[0] == "audio"
            if not in_audio:
                continue
            audio_seen = True
            if not parts[1].split("/")[0].isdecimal() or int(parts[1].split("/")[0]) > 65535:
                raise SdpError(400, "bad media port in SDP")
            if "RTP/AVP" not in parts[2].upper():
                raise SdpError(488, f"media transport {parts[2]} is not RTP/AVP")
            pts = [int(p) for p in parts[3:] if p.isdecimal() and int(p) < 128]
            media = MediaDescription(session_address, int(parts[1].split("/")[0]), pts,
                                     direction=session_direction)
        elif kind == "c":
            parts = value.split()
            if len(parts) == 3 and parts[0] == "IN":
                address = parts[2].split("/")[0]
                if media is not None and in_audio:
                    media.address = address
                elif media is None:
                    session_address = address
        elif kind == "a":
            name, _, rest = value.partition(":")
            if name in DIRECTIONS:
                if media is None:
                    session_direction = name
                elif in_audio:
                    media.direction = name
            elif name == "rtpmap" and media is not None and in_audio:
                pt_text, _, encoding = rest.partition(" ")
                if pt_text.isdecimal():
                    media.rtpmap[int(pt_text)] = encoding.strip()
    if media is None:
        raise SdpError(488, "no audio stream in SDP")
    if not media.address:
        raise SdpError(400, "no connection address in SDP")
    return media


@dataclass(frozen=True)
class Negotiated:
    """The outcome of offer/answer: what both sides send and expect."""

    codec: str
    pt: int
    dtmf_pt: int | None
    remote: MediaDescription


def answer_offer(offer: MediaDescription) -> Negotiated:
    """Choose from an offer: the first of PCMU/PCMA it prefers; 488 when it has neither."""
    names = offer.codec_names()
    if not names:
        raise SdpError(488, "no common codec (PCMU or PCMA)")
    return Negotiated(names[0], offer.pt_for(names[0]), offer.dtmf_pt, offer)


def read_answer(answer: MediaDescription, offered: list[str]) -> Negotiated:
    """Read the peer's answer to our offer: it must pick one of the codecs we offered."""
    names = [name for name in answer.codec_names() if name in offered]
    if not names:
        raise SdpError(488, "the answer has none of the codecs offered")
    return Negotiated(names[0], answer.pt_for(names[0]), answer.dtmf_pt, answer)


def mirror(direction: str) -> str:
    """Our direction in an answer to an offer with ``direction``."""
    return _MIRROR.get(direction, "sendrecv")


@dataclass
class SdpOrigin:
    """Our session's o= line: its id stays, its version grows with each new offer or answer
    that changes something (RFC 3264 §8)."""

    session_id: int = field(default_factory=lambda: int(time.time() * 1000) % 2**31)
    version: int = 1


def build(address: str, port: int, codecs: list[tuple[str, int]], dtmf_pt: int | None, direction: str,
          origin: SdpOrigin, user_agent: str = "Dozvon") -> bytes:
    """Our SDP: one audio stream at ``address:port`` with the codecs given as (name, payload type)."""
    pts = [pt for _, pt in codecs] + ([dtmf_pt] if dtmf_pt is not None else [])
    family = "IP6" if ":" in address else "IP4"
    lines = [
        "v=0",
        f"o=- {origin.session_id} {origin.version} IN {family} {address}",
        f"s={user_agent}",
        f"c=IN {family} {address}",
        "t=0 0",
        f"m=audio {port} RTP/AVP {' '.join(str(pt) for pt in pts)}",
    ]
    lines += [f"a=rtpmap:{pt} {name}/8000" for name, pt in codecs]
    if dtmf_pt is not None:
        lines += [f"a=rtpmap:{dtmf_pt} telephone-event/8000", f"a=fmtp:{dtmf_pt} 0-16"]
    lines += ["a=ptime:20", f"a={direction}"]
    return ("\r\n".join(lines) + "\r\n").encode()
