"""Reading a mail: who sent it, what it answers, its text, its HTML made safe, its files —
and whether it is a mail a person wrote at all (an automatic reply, a list's mail, a
bounce, our own mail coming back).

Pure functions over the raw bytes, so the mailbox worker, the tests and the benchmark
read mail the same way. A mail that cannot be taken in raises :class:`Refused` with the
reason in words; everything else is read leniently (a broken charset is decoded with
replacement characters, a bad date is no date) — a good mail is never lost to pedantry.
"""

from __future__ import annotations

import hashlib
import html as htmllib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.parser import HeaderParser
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any, cast

import nh3

from dozvon.core.errors import InvalidInput

#: Mail ids (``<local@domain>``) in a References or In-Reply-To header.
_IDS = re.compile(r"<[^<>\s]{1,500}>")
#: The conversation's token in a subject: ``[#1a2b3c4d]`` (the first 8 of its id).
TOKEN = re.compile(r"\[#([0-9a-f]{8})\]")
_PREFIX = re.compile(r"^\s*((re|fwd?|aw|wg|ответ|отв|на)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
#: The longest text kept of one mail (the rest is cut, saying so).
TEXT_LIMIT = 200_000

_TAGS = set(nh3.ALLOWED_TAGS) | {"font", "center", "u", "s"}
_ATTRIBUTES: dict[str, set[str]] = {k: set(v) for k, v in nh3.ALLOWED_ATTRIBUTES.items()}
_ATTRIBUTES.setdefault("img", set()).update({"src", "alt", "width", "height", "title"})
_ATTRIBUTES.setdefault("a", set()).update({"href", "title"})
for _tag in ("table", "td", "th", "tr"):
    _ATTRIBUTES.setdefault(_tag, set()).update({"align", "valign", "width", "colspan", "rowspan"})
_ATTRIBUTES.setdefault("font", set()).update({"color", "size", "face"})
_SCHEMES = {"http", "https", "mailto", "cid", "tel"}


class Refused(InvalidInput):
    """The mail is not taken in; ``code`` and ``params`` say why (in both languages)."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes
    content_id: str = ""


@dataclass(frozen=True)
class Bounce:
    """A delivery status notification: which of our mails it returns, and why."""

    original_ids: tuple[str, ...]
    reason: str


@dataclass
class Mail:
    mail_id: str
    from_address: str
    from_name: str = ""
    #: Where the sender wants answers (Reply-To), when not the sender.
    reply_to: str = ""
    recipients: list[dict[str, str]] = field(default_factory=list)
    subject: str = ""
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    sent_at_us: int | None = None
    text: str = ""
    html: str = ""
    html_with_images: str = ""
    remote_images: int = 0
    attachments: list[Attachment] = field(default_factory=list)
    #: Why it is not a contact: (message key, the header that says so), or None.
    skip: tuple[str, str] | None = None
    bounce: Bounce | None = None
    size: int = 0

    @property
    def thread_ids(self) -> list[str]:
        """The ids this mail answers, nearest first (In-Reply-To, then References backwards)."""
        seen: list[str] = []
        for mail_id in [*_IDS.findall(self.in_reply_to), *reversed(self.references)]:
            if mail_id not in seen:
                seen.append(mail_id)
        return seen

    @property
    def token(self) -> str | None:
        found = TOKEN.search(self.subject)
        return found.group(1) if found else None

    @property
    def topic(self) -> str:
        """The subject without Re:/Fwd: prefixes and the token: the conversation's subject."""
        return _PREFIX.sub("", TOKEN.sub("", self.subject)).strip()


def mail_id_of(raw: bytes, given: str | None) -> str:
    """The mail's Message-ID, or (missing or unusable) one made from its bytes — the same on
    every fetch, so a re-fetched mail is still recognised."""
    found = _IDS.search(given or "")
    if found and len(found.group(0)) <= 200:
        return found.group(0)
    return f"<{hashlib.sha256(raw).hexdigest()[:40]}@no-message-id.dozvon.invalid>"


def parse(raw: bytes, own_addresses: set[str], max_bytes: int) -> Mail:
    """Read a raw mail; :class:`Refused` when it cannot be taken in."""
    mail_id = "?"
    try:
        msg = message_from_bytes(raw, policy=policy.default)
        mail_id = mail_id_of(raw, _header(msg, "Message-ID"))
        if len(raw) > max_bytes:
            raise Refused("email.too_big", size=len(raw), limit=max_bytes, mail_id=mail_id)
        sender = _sender(msg)
        if sender is None:
            raise Refused("email.no_sender", mail_id=mail_id)
        address, name = sender
        mail = Mail(mail_id=mail_id, from_address=address, from_name=name[:200], size=len(raw),
                    recipients=_recipients(msg), subject=_one_line(_header(msg, "Subject"))[:1000],
                    in_reply_to=_one_line(_header(msg, "In-Reply-To"))[:1000],
                    references=_IDS.findall(_header(msg, "References"))[-50:], sent_at_us=_date(msg))
        answer_to = _sender(msg, "Reply-To")
        if answer_to is not None and answer_to[0] != address:
            mail.reply_to = answer_to[0]
        mail.bounce = _bounce(msg)
        if mail.bounce is None:
            mail.skip = _skip(msg, address, own_addresses)
        _read_body(msg, mail)
        return mail
    except Refused:
        raise
    except Exception as error:  # the parser's own failure on a broken mail
        raise Refused("email.unreadable", reason=f"{type(error).__name__}: {error}"[:300], mail_id=mail_id) from None


def _header(msg: Message, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:  # a header the policy cannot decode: read it raw
        value = msg.get_all(name, failobj=[""])[0] if hasattr(msg, "get_all") else ""
    return str(value or "")


def _one_line(value: str) -> str:
    return " ".join(value.replace("\x00", "").split())


def _sender(msg: Message, header: str = "From") -> tuple[str, str] | None:
    for name, address in getaddresses([_header(msg, header)]):
        address = address.strip().lower()
        if "@" in address and len(address) <= 200 and " " not in address and "\x00" not in address:
            return address, _one_line(name)
    return None


def _recipients(msg: Message) -> list[dict[str, str]]:
    out = []
    for kind in ("To", "Cc"):
        for name, address in getaddresses([_header(msg, kind)]):
            if address:
                out.append({"kind": kind.lower(), "name": _one_line(name)[:200], "address": address.lower()[:320]})
    return out[:100]


def _date(msg: Message) -> int | None:
    try:
        value = _header(msg, "Date")
        return round(parsedate_to_datetime(value).timestamp() * 1e6) if value else None
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _skip(msg: Message, address: str, own: set[str]) -> tuple[str, str] | None:
    """Mail that must never be answered (RFC 3834): automatic replies, lists and bulk mail,
    and our own mail coming back."""
    if address in own:
        return "email.skip_loop", address
    auto = _header(msg, "Auto-Submitted").strip().lower()
    if auto and auto != "no":
        return "email.skip_auto", f"Auto-Submitted: {auto}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponse"):
        if _header(msg, name):
            return "email.skip_auto", name
    precedence = _header(msg, "Precedence").strip().lower()
    if precedence == "auto_reply":
        return "email.skip_auto", "Precedence: auto_reply"
    if precedence in ("bulk", "list", "junk"):
        return "email.skip_bulk", f"Precedence: {precedence}"
    for name in msg:
        if name.lower().startswith("list-"):
            return "email.skip_bulk", name
    return None


def _bounce(msg: Message) -> Bounce | None:
    """A delivery status notification (RFC 3464: multipart/report; report-type=delivery-status)."""
    if msg.get_content_type() != "multipart/report" or \
            str(msg.get_param("report-type", "")).lower() != "delivery-status":
        return None
    ids: list[str] = []
    reasons: list[str] = []
    for part in msg.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            reasons.extend(_status_lines(part))
        elif kind in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers"):
            ids.extend(_returned_ids(part))
    ids.extend(_IDS.findall(_header(msg, "In-Reply-To")))
    ids.extend(_IDS.findall(_header(msg, "References")))
    return Bounce(tuple(dict.fromkeys(ids)), "; ".join(reasons)[:1000] or "delivery failed")


def _status_lines(part: Message) -> Iterator[str]:
    payload = part.get_payload()
    blocks: list[Any] = payload if isinstance(payload, list) else \
        [HeaderParser().parsestr(b) for b in str(payload).split("\n\n")]
    for block in blocks:
        action = str(block.get("Action", "")).strip().lower()
        if action and action != "failed":
            continue
        recipient = str(block.get("Final-Recipient", "") or block.get("Original-Recipient", "")).split(";")[-1].strip()
        status = str(block.get("Status", "")).strip()
        diagnostic = _one_line(str(block.get("Diagnostic-Code", "")).split(";", 1)[-1])
        if recipient or status or diagnostic:
            yield " ".join(x for x in (recipient, status, diagnostic) if x)


def _returned_ids(part: Message) -> list[str]:
    payload = part.get_payload()
    if isinstance(payload, list) and payload:
        returned = cast(Message, payload[0])
    elif isinstance(payload, str):
        returned = HeaderParser().parsestr(payload, headersonly=True)
    else:
        return []
    return _IDS.findall(str(returned.get("Message-ID", "")))


# --------------------------------------------------------------------------- the body

def _read_body(msg: EmailMessage, mail: Mail) -> None:
    plain = msg.get_body(preferencelist=("plain",)) if msg.is_multipart() or msg.get_content_type() == "text/plain" \
        else None
    rich = msg.get_body(preferencelist=("html",))
    if msg.get_content_type() == "multipart/report":  # a bounce: its words are in the first part
        plain = plain or next((p for p in msg.walk() if p.get_content_type() == "text/plain"), None)
    bodies = {id(p) for p in (plain, rich) if p is not None}
    if rich is not None:
        source = _text_of(rich)
        mail.html, mail.remote_images = sanitise(source, images=False)
        mail.html_with_images, _ = sanitise(source, images=True)
    if plain is not None:
        mail.text = _text_of(plain)
    elif mail.html:
        mail.text = html_to_text(mail.html)
    mail.text = mail.text.replace("\x00", "").replace("\r\n", "\n").strip()
    if len(mail.text) > TEXT_LIMIT:
        mail.text = mail.text[:TEXT_LIMIT] + "\n…"
    mail.attachments = list(_attachments(msg, bodies))


def _text_of(part: Message) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
        return content if isinstance(content, str) else bytes(content).decode("utf-8", "replace")
    except (LookupError, UnicodeError, AssertionError, KeyError):  # an unknown or lying charset
        data = part.get_payload(decode=True)
        return data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data or "")


def _attachments(msg: Message, bodies: set[int]) -> Iterator[Attachment]:
    """Every part that is a file: not the chosen bodies, not a container. A forwarded mail
    (message/rfc822) is one file, not opened."""
    stack: list[Message] = [msg]
    count = 0
    while stack:
        part = stack.pop(0)
        kind = part.get_content_type()
        if id(part) in bodies:
            continue
        if part.is_multipart() and kind != "message/rfc822":
            payload = part.get_payload()
            stack = [*payload, *stack] if isinstance(payload, list) else stack
            continue
        if part is msg and not part.is_multipart():
            continue
        if kind in ("message/delivery-status", "text/rfc822-headers"):
            continue
        filename = part.get_filename()
        disposition = (part.get_content_disposition() or "").lower()
        content_id = str(part.get("Content-ID", "")).strip().strip("<>")
        if not filename and disposition != "attachment" and not content_id and kind.startswith("text/"):
            continue  # another text part of the body (a signature, a footer): in the text already
        count += 1
        if kind == "message/rfc822":
            inner = part.get_payload()
            data = cast(Message, inner[0]).as_bytes() if isinstance(inner, list) and inner else b""
        else:
            raw = part.get_payload(decode=True)
            data = raw if isinstance(raw, bytes) else b""
        name = _safe_filename(filename or f"part-{count}{_extension(kind)}")
        yield Attachment(name, kind[:200], data, content_id[:255])


def _extension(kind: str) -> str:
    return {"message/rfc822": ".eml", "text/plain": ".txt", "text/html": ".html", "image/png": ".png",
            "image/jpeg": ".jpg", "image/gif": ".gif", "application/pdf": ".pdf"}.get(kind, ".bin")


def _safe_filename(name: str) -> str:
    """A file name to offer a browser: no folders, no control characters."""
    name = re.sub(r"[\x00-\x1f\x7f/\\]", "_", _one_line(name)).strip(". ") or "file"
    return name[-255:]


def sanitise(source: str, images: bool) -> tuple[str, int]:
    """The HTML a person may see: no scripts, styles, forms or frames, links opened apart,
    and (unless ``images``) no remote images — a remote image tells the sender that, when and
    where the mail was read. Inline images (``cid:``) stay. Returns it and how many remote
    images were removed."""
    blocked = 0

    def keep(tag: str, attribute: str, value: str) -> str | None:
        nonlocal blocked
        if tag == "img" and attribute == "src" and not value.lower().startswith("cid:") and not images:
            blocked += 1
            return None
        return value

    cleaned = nh3.clean(source, tags=_TAGS, attributes=_ATTRIBUTES, url_schemes=_SCHEMES, attribute_filter=keep,
                        link_rel="noopener noreferrer nofollow", strip_comments=True)
    return cleaned, blocked


def html_to_text(source: str) -> str:
    """Plain text of (already sanitised) HTML, for a mail that has no text part."""
    spaced = re.sub(r"(?i)<\s*(br|/p|/div|/tr|/li|/h[1-6])\s*/?\s*>", "\n", source)
    bare = nh3.clean(spaced, tags=set(), clean_content_tags={"script", "style"})
    lines = [" ".join(line.split()) for line in htmllib.unescape(bare).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
