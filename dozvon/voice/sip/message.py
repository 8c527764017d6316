"""SIP messages (RFC 3261 §7): parsing a datagram into a request or a response, and back.

The parser is written for hostile input: whatever arrives on the socket either becomes a
message, or a :class:`ParseError` that says what was wrong and — when enough of the message was
readable to address an answer (Via, From, To, Call-ID, CSeq) — carries the partial request so
that the agent can answer 400 Bad Request. Nothing else escapes: no IndexError on a truncated
header, no UnicodeDecodeError on garbage, no MemoryError on a huge Content-Length.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

#: A datagram larger than this is dropped unread. Real INVITEs are a few kilobytes (RFC 3261 §18.1.1
#: sends anything over 1,300 bytes by TCP where it can), so 32 KiB leaves room and bounds the work.
MAX_DATAGRAM = 32_768
#: Headers beyond this many make the message suspicious rather than useful.
MAX_HEADERS = 200

#: RFC 3261 §7.3.3 compact forms, plus the few from later RFCs that peers use.
COMPACT = {
    "i": "Call-ID", "m": "Contact", "e": "Content-Encoding", "l": "Content-Length", "c": "Content-Type",
    "f": "From", "s": "Subject", "k": "Supported", "t": "To", "v": "Via", "o": "Event", "r": "Refer-To",
    "b": "Referred-By", "u": "Allow-Events", "a": "Accept-Contact", "j": "Reject-Contact", "d": "Request-Disposition",
    "x": "Session-Expires",
}
#: Headers whose canonical spelling is not plain title case.
_SPECIAL = {
    "call-id": "Call-ID", "cseq": "CSeq", "www-authenticate": "WWW-Authenticate", "mime-version": "MIME-Version",
    "rack": "RAck", "rseq": "RSeq", "p-asserted-identity": "P-Asserted-Identity",
}
#: Headers that may carry several comma-separated values in one line (those we read as lists).
_LIST_HEADERS = {"Via", "Route", "Record-Route", "Allow", "Supported", "Require", "Accept"}
MANDATORY = ("Via", "From", "To", "Call-ID", "CSeq")

_TOKEN = re.compile(r"^[A-Za-z0-9\-.!%*_+`'~]+$")
_REASONS = {
    100: "Trying", 180: "Ringing", 183: "Session Progress", 200: "OK", 400: "Bad Request", 403: "Forbidden",
    404: "Not Found", 405: "Method Not Allowed", 408: "Request Timeout", 413: "Request Entity Too Large",
    415: "Unsupported Media Type", 480: "Temporarily Unavailable", 481: "Call/Transaction Does Not Exist",
    486: "Busy Here", 487: "Request Terminated", 488: "Not Acceptable Here", 491: "Request Pending",
    500: "Server Internal Error", 501: "Not Implemented", 503: "Service Unavailable", 603: "Decline",
}


def reason_phrase(status: int) -> str:
    return _REASONS.get(status, "Unknown")


def canonical(name: str) -> str:
    """The spelling we store a header under: compact forms expanded, case made regular."""
    low = name.strip().lower()
    if len(low) == 1 and low in COMPACT:
        return COMPACT[low]
    if low in _SPECIAL:
        return _SPECIAL[low]
    return "-".join(part.capitalize() for part in low.split("-"))


class ParseError(Exception):
    """A datagram that is not a usable SIP message. ``request`` is set when the start line and
    the mandatory headers were readable, so that a 400 can be addressed to the sender."""

    def __init__(self, reason: str, request: SipRequest | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.request = request


class Headers:
    """An ordered multi-map of header lines, looked up by name regardless of case or compact form."""

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._items: list[tuple[str, str]] = [(canonical(k), v) for k, v in items]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def get(self, name: str, default: str | None = None) -> str | None:
        key = canonical(name)
        for k, v in self._items:
            if k == key:
                return v
        return default

    def get_all(self, name: str) -> list[str]:
        """Every value of the header, the comma-separated ones split (Via, Route, Record-Route…)."""
        key = canonical(name)
        values = [v for k, v in self._items if k == key]
        if key in _LIST_HEADERS:
            return [part for v in values for part in split_list(v)]
        return values

    def set(self, name: str, value: str) -> None:
        """Replace every line of the header by one, at the place of the first."""
        key = canonical(name)
        for i, (k, _) in enumerate(self._items):
            if k == key:
                self._items[i] = (key, value)
                self._items = [item for j, item in enumerate(self._items) if j <= i or item[0] != key]
                return
        self._items.append((key, value))

    def add(self, name: str, value: str) -> None:
        self._items.append((canonical(name), value))

    def remove(self, name: str) -> None:
        key = canonical(name)
        self._items = [item for item in self._items if item[0] != key]

    def copy(self) -> Headers:
        clone = Headers()
        clone._items = list(self._items)
        return clone


def split_list(value: str) -> list[str]:
    """Split a header on the commas that separate values, not those inside quotes or <…>."""
    parts: list[str] = []
    depth, quoted, start = 0, False, 0
    for i, ch in enumerate(value):
        if ch == '"' and (i == 0 or value[i - 1] != "\\"):
            quoted = not quoted
        elif not quoted and ch == "<":
            depth += 1
        elif not quoted and ch == ">":
            depth = max(0, depth - 1)
        elif ch == "," and not quoted and depth == 0:
            parts.append(value[start:i].strip())
            start = i + 1
    parts.append(value[start:].strip())
    return [p for p in parts if p]


@dataclass
class SipMessage:
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""

    @property
    def call_id(self) -> str:
        return self.headers.get("Call-ID") or ""

    @property
    def cseq(self) -> tuple[int, str]:
        """(number, method) of the CSeq header; (0, "") when it is unreadable."""
        return parse_cseq(self.headers.get("CSeq") or "") or (0, "")

    @property
    def branch(self) -> str:
        """The branch of the topmost Via: the transaction this message belongs to."""
        vias = self.headers.get_all("Via")
        return param(vias[0], "branch") or "" if vias else ""

    @property
    def from_tag(self) -> str:
        return param(self.headers.get("From") or "", "tag") or ""

    @property
    def to_tag(self) -> str:
        return param(self.headers.get("To") or "", "tag") or ""

    def _serialise(self, start_line: str) -> bytes:
        lines = [start_line]
        lines += [f"{name}: {value}" for name, value in self.headers if name != "Content-Length"]
        lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + self.body


@dataclass
class SipRequest(SipMessage):
    method: str = ""
    uri: str = ""

    def serialise(self) -> bytes:
        return self._serialise(f"{self.method} {self.uri} SIP/2.0")


@dataclass
class SipResponse(SipMessage):
    status: int = 0
    reason: str = ""

    def serialise(self) -> bytes:
        return self._serialise(f"SIP/2.0 {self.status} {self.reason}")


def parse_cseq(value: str) -> tuple[int, str] | None:
    parts = value.split()
    if len(parts) != 2 or not parts[0].isdecimal() or len(parts[0]) > 10 or not _TOKEN.match(parts[1]):
        return None
    number = int(parts[0])
    return (number, parts[1].upper()) if number < 2**31 else None


def param(value: str, name: str) -> str | None:
    """A ``;name=value`` parameter of a header (outside its <URI>), or None."""
    tail = value.rsplit(">", 1)[-1] if "<" in value else value
    for part in tail.split(";")[1:]:
        key, _, val = part.partition("=")
        if key.strip().lower() == name:
            return val.strip().strip('"')
    return None


def parse_name_addr(value: str) -> tuple[str, str]:
    """``"Ivan" <sip:+7916@host>;tag=x`` → (display name, URI)."""
    value = value.strip()
    if "<" in value and ">" in value:
        display = value[: value.index("<")].strip().strip('"')
        return display, value[value.index("<") + 1 : value.index(">")].strip()
    return "", value.split(";", 1)[0].strip()


def uri_user(uri: str) -> str:
    """The user part of a SIP URI (``sip:+79161234567@host;user=phone`` → ``+79161234567``)."""
    rest = uri.split(":", 1)[1] if ":" in uri else uri
    if "@" not in rest:
        return ""
    return rest.split("@", 1)[0].split(";", 1)[0]


def uri_host_port(uri: str, default_port: int = 5060) -> tuple[str, int]:
    """The host and port of a SIP URI (``sip:u@10.0.0.1:5070;transport=udp`` → (10.0.0.1, 5070))."""
    rest = uri.split(":", 1)[1] if uri.lower().startswith(("sip:", "sips:")) else uri
    rest = rest.split("@", 1)[-1].split(";", 1)[0].split("?", 1)[0]
    if rest.startswith("["):  # IPv6 reference
        host, _, tail = rest[1:].partition("]")
        port = tail[1:] if tail.startswith(":") else ""
    else:
        host, _, port = rest.partition(":")
    return host, int(port) if port.isdecimal() and 0 < int(port) < 65536 else default_port


@dataclass(frozen=True)
class Via:
    transport: str
    host: str
    port: int
    branch: str
    rport: bool


def parse_via(value: str) -> Via | None:
    """``SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK…;rport``; None when it is not one."""
    head, *params = value.split(";")
    parts = head.split()
    if len(parts) != 2 or not parts[0].upper().startswith("SIP/2.0/"):
        return None
    host, port = uri_host_port(parts[1])
    names = {p.split("=", 1)[0].strip().lower() for p in params}
    return Via(parts[0].split("/")[-1].upper(), host, port, param(value, "branch") or "", "rport" in names)


def parse(data: bytes) -> SipRequest | SipResponse:
    """A datagram → a message; :class:`ParseError` for anything that is not a valid one."""
    if len(data) > MAX_DATAGRAM:
        raise ParseError("message too large")
    data = data.lstrip(b"\r\n")  # keep-alive CRLFs before a message are allowed (RFC 5626)
    if not data:
        raise ParseError("empty datagram")
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        head, sep, body = data.partition(b"\n\n")  # bare LF line ends, tolerated
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        raise ParseError("not UTF-8 text") from None
    lines = text.replace("\r\n", "\n").split("\n")
    start, header_lines = lines[0], lines[1:]
    message = _start_line(start)
    problem = _read_headers(message, header_lines) or _check_mandatory(message)
    if not sep and problem is None:
        problem = "truncated message: no empty line after the headers"
    length_text = message.headers.get("Content-Length")
    if length_text is None:
        message.body = body  # over UDP the body runs to the end of the datagram (§18.3)
    else:
        length_text = length_text.strip()
        if not length_text.isdecimal() or len(length_text) > 9:
            problem = problem or "unreadable Content-Length"
        elif int(length_text) > len(body):
            problem = problem or f"Content-Length {int(length_text)} is larger than the {len(body)} bytes that arrived"
        else:
            message.body = body[: int(length_text)]
    if problem is None and isinstance(message, SipRequest) and message.method != "ACK" \
            and message.cseq[1] != message.method:
        problem = "the CSeq method is not the request's"
    if problem is not None:
        # A request is answered 400 where it came from; a bad response is only dropped.
        raise ParseError(problem, message if isinstance(message, SipRequest) else None)
    return message


def _check_mandatory(message: SipMessage) -> str | None:
    missing = [name for name in MANDATORY if not message.headers.get(name)]
    if missing:
        return f"missing header(s): {', '.join(missing)}"
    if parse_cseq(message.headers.get("CSeq") or "") is None:
        return "unreadable CSeq"
    if parse_via(message.headers.get_all("Via")[0]) is None:
        return "unreadable Via"
    return None


def _start_line(line: str) -> SipRequest | SipResponse:
    parts = line.strip().split(" ", 2)
    if len(parts) == 3 and parts[0] == "SIP/2.0":
        if not (parts[1].isdecimal() and len(parts[1]) == 3 and 100 <= int(parts[1]) <= 699):
            raise ParseError("bad status code")
        return SipResponse(status=int(parts[1]), reason=parts[2])
    if len(parts) == 3 and parts[2] == "SIP/2.0" and _TOKEN.match(parts[0]) and parts[1] and " " not in parts[1]:
        return SipRequest(method=parts[0].upper(), uri=parts[1])
    raise ParseError("not a SIP start line")


def _read_headers(message: SipMessage, lines: list[str]) -> str | None:
    """Fill ``message.headers``; return the first problem found (the message may still be
    answerable) or None."""
    problem: str | None = None
    cells: list[list[str]] = []
    for line in lines:
        if line[:1] in (" ", "\t") and cells:  # a folded continuation line (§7.3.1)
            cells[-1][1] += " " + line.strip()
            continue
        name, colon, value = line.partition(":")
        if not colon or not _TOKEN.match(name.strip()):
            problem = problem or f"malformed header line {line[:40]!r}"
            continue
        cells.append([name.strip(), value.strip()])
        if len(cells) > MAX_HEADERS:
            problem = problem or "too many headers"
            break
    message.headers = Headers((name, value) for name, value in cells)
    return problem


def response_to(request: SipRequest, status: int, reason: str | None = None, *, to_tag: str | None = None,
                headers: Iterable[tuple[str, str]] = (), body: bytes = b"") -> SipResponse:
    """A response to ``request`` (§8.2.6): Via, From, To, Call-ID and CSeq copied, our tag added
    to To when the request had none."""
    out = Headers()
    for via in request.headers.get_all("Via"):
        out.add("Via", via)
    for name in ("From", "To", "Call-ID", "CSeq"):
        value = request.headers.get(name)
        if value is not None:
            if name == "To" and to_tag and param(value, "tag") is None and status > 100:
                value = f"{value};tag={to_tag}"
            out.add(name, value)
    for name, value in headers:
        out.add(name, value)
    return SipResponse(headers=out, body=body, status=status, reason=reason or reason_phrase(status))
