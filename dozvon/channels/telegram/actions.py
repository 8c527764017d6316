"""The Telegram channel's writes beyond the ingest: an operator sends a file.

The file, its message, the ``message.sent`` event and the outbox row are stored in one
transaction (:meth:`RouterService.run`), like a text reply: the file reaches the customer
at least once through the outbox (sendPhoto or sendDocument), and the desk shows it from
the same row the customer's files are in.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from dozvon.acd.service import RouterService
from dozvon.channels.telegram.inbound import CHANNEL
from dozvon.channels.telegram.models import ChannelFile
from dozvon.conversations import outbox
from dozvon.conversations import queries as q
from dozvon.conversations.models import Message
from dozvon.core import ids
from dozvon.core.errors import InvalidInput, NotFound
from dozvon.eventlog.repository import to_us

#: What Telegram shows as a photo (sendPhoto takes up to 10 MB); anything else is a document.
PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")
PHOTO_LIMIT = 10 * 1024 * 1024
#: The largest file an operator sends (sendDocument's limit on Telegram's Bot API).
SEND_LIMIT = 50 * 1024 * 1024


def check_file_name(name: str) -> str:
    clean = name.strip()
    if not clean or len(clean) > 200 or any(c in clean for c in "/\\\x00"):
        raise InvalidInput("telegram.bad_file_name", field="name", value=name)
    return clean


def do_send_file(svc: RouterService, conversation_id: str, operator_id: str | None, author: str, *, name: str,
                 content_type: str, data: bytes, caption: str = "") -> tuple[str, int]:
    """An operator's file to a Telegram customer. Returns the message's key and the file's id."""
    name = check_file_name(name)
    if not data:
        raise InvalidInput("telegram.empty_file", field="body")
    if len(data) > SEND_LIMIT:
        raise InvalidInput("telegram.file_over_limit", field="body", size=len(data), limit=SEND_LIMIT)
    with svc.sessions() as session:
        conv = q.conversation(session, svc.project, conversation_id)
    if conv is None:
        raise NotFound("routing.unknown_contact", contact=conversation_id)
    if conv.channel != CHANNEL:
        raise InvalidInput("telegram.not_telegram", field="conversation_id", contact=conversation_id)
    key = "out-" + ids.new_hex()
    kind = "photo" if content_type in PHOTO_TYPES and len(data) <= PHOTO_LIMIT else "document"
    shown = f"📎 {name}" + (f" — {caption}" if caption else "")
    made: list[int] = []

    def write(session: Session) -> None:
        at = to_us(svc.clock.now())
        msg = Message(project=svc.project, conversation_id=conv.id, channel=conv.channel, external_id=key,
                      direction="out", author=author, text=shown, at_us=at)
        session.add(msg)
        session.flush()
        row = ChannelFile(project=svc.project, conversation_id=conv.id, message_id=msg.id, channel=CHANNEL,
                          direction="out", source_key=key, name=name, content_type=content_type[:200],
                          size=len(data), kind=kind, data=data, created_at_us=at)
        session.add(row)
        session.flush()
        made.append(row.id)
        outbox.enqueue(session, project=svc.project, channel=conv.channel, conversation_id=conv.id,
                       message_id=msg.id, key=key, at_us=at, text=caption, author=author,
                       external_id=conv.external_id, customer_id=conv.customer_id, file_id=row.id)

    svc.run(lambda e: e.record_message(conversation_id, "out", key, shown, operator_id), also=write)
    return key, made[0]
