"""The e-mail channel's reads and writes: which conversation a mail continues, keeping a
mail's details and files once the ingest has stored its message, what a reply needs to
thread, and a bounce turning a delivered reply into a failed one.

Writes take the caller's open transaction and never commit, except :func:`do_bounce`,
which is an engine command of its own (it logs ``message.failed``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dozvon.acd import queries as live
from dozvon.acd.service import RouterService
from dozvon.channels.email.models import EmailAttachment, EmailMail
from dozvon.channels.email.parse import Mail
from dozvon.conversations import outbox
from dozvon.conversations import queries as q
from dozvon.conversations.ingest import IngestResult
from dozvon.conversations.models import Conversation, Message, OutboxItem
from dozvon.core.clock import now_us
from dozvon.core.errors import NotFound
from dozvon.core.i18n import translate
from dozvon.eventlog.repository import to_us
from dozvon.routing.engine import RoutingEngine
from dozvon.routing.model import CONNECTED, OFFERED, WAITING

CHANNEL = "email"
#: The local part of a mail id Dozvon made from an outbox key: ``<out-…@domain>``.
_LOCAL = re.compile(r"^<([A-Za-z0-9_.-]{1,190})@")
#: The most ids a reply's References carries (the first and the latest).
REFERENCES_LIMIT = 20


def readable_mails(project: str) -> Any:
    return select(EmailMail).where(EmailMail.project == project)


def taken(session: Session, project: str, mail_id: str) -> Message | None:
    """The message a mail already became (a re-fetch after a crash before \\Seen)."""
    found: Message | None = q.by_external(session, Message, project, CHANNEL, mail_id)
    return found


def _keys_in(ids: Sequence[str]) -> list[str]:
    return [m.group(1) for m in map(_LOCAL.match, ids) if m is not None]


def find_thread(session: Session, project: str, mail: Mail) -> Conversation | None:
    """The conversation a mail continues: one of the mails it answers (In-Reply-To,
    References — a customer's earlier mail or one of our replies), else the subject's
    ``[#token]``. None: a new conversation."""
    ids = mail.thread_ids
    if ids:
        known = {m.mail_id: m.conversation_id for m in session.scalars(
            readable_mails(project).where(EmailMail.mail_id.in_(ids)))}
        keys = _keys_in(ids)
        ours = {f"<{k}@": c for k, c in session.execute(
            select(OutboxItem.key, OutboxItem.conversation_id).where(
                OutboxItem.project == project, OutboxItem.channel == CHANNEL, OutboxItem.key.in_(keys)))} \
            if keys else {}
        for mail_id in ids:  # nearest first
            conversation_id = known.get(mail_id) or next((c for p, c in ours.items() if mail_id.startswith(p)), None)
            if conversation_id is not None:
                return q.conversation(session, project, conversation_id)
    token = mail.token
    if token is not None:
        found: Conversation | None = session.scalar(q.readable_conversations(project).where(
            Conversation.channel == CHANNEL, Conversation.id.like(f"{token}%"))
            .order_by(Conversation.created_at_us.desc()).limit(1))
        return found
    return None


def do_join(svc: RouterService, conversation_id: str, mail: Mail) -> IngestResult | None:
    """A mail continuing a live conversation joins *that* conversation. The ingest's own
    message path joins the customer's newest open conversation on the channel, which is
    not enough for mail: a customer may have two threads open at once, and a reply must
    land in the one it answers. The same two steps as the ingest's (the message row, the
    engine's ``message.received``) in one command; None when the conversation is no longer
    live (the mail then opens a new one through the ingest)."""
    with svc.lock:
        contact = live.live_contact(svc, conversation_id)
        if contact is None or contact.state not in (WAITING, OFFERED, CONNECTED):
            return None
        stored: list[int] = []

        def write(session: Session) -> None:
            row = Message(project=svc.project, conversation_id=conversation_id, channel=CHANNEL,
                          external_id=mail.mail_id, direction="in", author=mail.from_name or mail.from_address,
                          text=mail.text, at_us=to_us(svc.clock.now()))
            session.add(row)
            session.flush()
            stored.append(row.id)

        svc.run(lambda engine: engine.record_message(conversation_id, "in", mail.mail_id, mail.text,
                                                     mail.from_name or mail.from_address), also=write)
        return IngestResult(conversation_id, stored[0], created=True)


def record(session: Session, project: str, connection_id: int | None, conversation_id: str,
           message_id: int | None, mail: Mail, max_attachment_bytes: int) -> EmailMail:
    """Keep a stored message's mail details and files (once: a re-fetch finds them)."""
    found: EmailMail | None = session.scalar(readable_mails(project).where(EmailMail.mail_id == mail.mail_id))
    if found is not None:
        return found
    refused = []
    row = EmailMail(project=project, connection_id=connection_id, conversation_id=conversation_id,
                    message_id=message_id, mail_id=mail.mail_id, in_reply_to=mail.in_reply_to,
                    references=mail.references, from_address=mail.from_address[:320], from_name=mail.from_name,
                    recipients=mail.recipients, subject=mail.subject, sent_at_us=mail.sent_at_us,
                    received_at_us=now_us(), text=mail.text, html=mail.html,
                    html_with_images=mail.html_with_images, remote_images=mail.remote_images, notes={})
    if mail.reply_to:
        row.notes = {"reply_to": mail.reply_to}
    session.add(row)
    session.flush()
    for part in mail.attachments:
        too_big = len(part.data) > max_attachment_bytes
        reason = translate("email.attachment_too_big", filename=part.filename, size=len(part.data),
                           limit=max_attachment_bytes) if too_big else ""
        if too_big:
            refused.append(reason)
        session.add(EmailAttachment(project=project, mail_id=row.id, conversation_id=conversation_id,
                                    filename=part.filename, content_type=part.content_type,
                                    content_id=part.content_id, size=len(part.data),
                                    data=None if too_big else part.data, refused=reason[:500]))
    if refused:
        row.notes = {**row.notes, "refused_attachments": refused}
    return row


@dataclass(frozen=True)
class ReplyContext:
    """What a reply on a conversation needs: the mailbox, whom to, and how to thread."""

    connection_id: int
    to: str
    subject: str
    in_reply_to: str
    references: list[str]


def reply_context(session: Session, project: str, conversation_id: str, key: str, domain_of: Callable[[int], str]
                  ) -> ReplyContext | None:
    """None when no mail of the conversation came through a connected mailbox."""
    mails = list(session.scalars(readable_mails(project).where(EmailMail.conversation_id == conversation_id)
                                 .order_by(EmailMail.id)))
    latest = next((m for m in reversed(mails) if m.connection_id is not None), None)
    conv = q.conversation(session, project, conversation_id)
    if latest is None or latest.connection_id is None or conv is None:
        return None
    domain = domain_of(latest.connection_id)
    sent = session.execute(select(OutboxItem.key, OutboxItem.created_at_us).where(
        OutboxItem.project == project, OutboxItem.conversation_id == conversation_id,
        OutboxItem.channel == CHANNEL, OutboxItem.key != key))
    thread = sorted([(m.received_at_us, m.mail_id) for m in mails] +
                    [(at, f"<{k}@{domain}>") for k, at in sent])
    ids = [mail_id for _, mail_id in thread]
    if len(ids) > REFERENCES_LIMIT:
        ids = [ids[0], *ids[-(REFERENCES_LIMIT - 1):]]
    to = str((latest.notes or {}).get("reply_to") or latest.from_address)
    return ReplyContext(latest.connection_id, to, conv.subject or latest.subject, latest.mail_id, ids)


def do_bounce(svc: RouterService, original_ids: Sequence[str], reason: str) -> list[str]:
    """A bounce of one of our replies: its delivery becomes failed (``message.failed``,
    permanent), even when the SMTP server had taken it. Returns the keys it failed."""
    keys = _keys_in(original_ids)
    if not keys:
        return []
    failed: list[tuple[int, str, str, str | None, str | None, int]] = []
    with svc.lock:
        with svc.sessions() as session:
            rows = session.scalars(q.readable_outbox(svc.project).where(
                OutboxItem.channel == CHANNEL, OutboxItem.key.in_(keys), OutboxItem.status != outbox.FAILED))
            for row in rows:
                conv = q.conversation(session, svc.project, row.conversation_id)
                failed.append((row.id, row.key, row.conversation_id, conv.operator_id if conv else None,
                               conv.queue if conv else None, max(1, row.attempts)))
        if not failed:
            return []
        now = to_us(svc.clock.now())

        def command(engine: RoutingEngine) -> None:
            for _, key, conversation_id, operator_id, queue, attempt in failed:
                engine.note("message.failed", conversation_id, operator_id, channel=CHANNEL, queue=queue,
                            message_id=key, key=key, attempt=attempt, error=reason[:2000], permanent=True)

        def finish(session: Session) -> None:
            for row in outbox.get_many(session, svc.project, [f[0] for f in failed]).values():
                row.status, row.done_at_us, row.last_error = outbox.FAILED, now, reason[:2000]

        svc.run(command, also=finish)
    return [f[1] for f in failed]


# --------------------------------------------------------------------------- reads

def attachment(session: Session, project: str, attachment_id: int) -> EmailAttachment:
    found: EmailAttachment | None = session.scalar(select(EmailAttachment).where(
        EmailAttachment.project == project, EmailAttachment.id == attachment_id))
    if found is None:
        raise NotFound("email.no_attachment", attachment=attachment_id)
    return found


def mails_of(session: Session, project: str, conversation_id: str,
             url_of: Callable[[int], str]) -> list[dict[str, Any]]:
    """A conversation's mails as the desk shows them: text, safe HTML (``cid:`` images
    pointing at their download), and attachments with their download URL."""
    mails = list(session.scalars(readable_mails(project).where(EmailMail.conversation_id == conversation_id)
                                 .order_by(EmailMail.id)))
    files: dict[int, list[Any]] = {}
    if mails:
        rows = session.execute(select(EmailAttachment.id, EmailAttachment.mail_id, EmailAttachment.filename,
                                      EmailAttachment.content_type, EmailAttachment.content_id,
                                      EmailAttachment.size, EmailAttachment.refused)
                               .where(EmailAttachment.project == project,
                                      EmailAttachment.mail_id.in_([m.id for m in mails]))
                               .order_by(EmailAttachment.id))
        for a in rows:
            files.setdefault(a.mail_id, []).append(a)
    out = []
    for m in mails:
        parts = files.get(m.id, [])
        cids = {a.content_id: url_of(a.id) for a in parts if a.content_id and not a.refused}

        def inline(html: str, cids: dict[str, str] = cids) -> str:
            return re.sub(r'src="cid:([^"]+)"', lambda x: f'src="{cids.get(x.group(1), "")}"', html)

        out.append({"id": m.id, "message_id": m.message_id, "mail_id": m.mail_id,
                    "from": {"name": m.from_name, "address": m.from_address}, "recipients": m.recipients,
                    "subject": m.subject, "sent_at": m.sent_at_us / 1e6 if m.sent_at_us else None,
                    "received_at": m.received_at_us / 1e6, "text": m.text, "html": inline(m.html),
                    "html_with_images": inline(m.html_with_images), "remote_images_blocked": m.remote_images,
                    "in_reply_to": m.in_reply_to or None, "notes": m.notes,
                    "attachments": [{"id": a.id, "filename": a.filename, "content_type": a.content_type,
                                     "size": a.size, "inline": bool(a.content_id), "kept": not a.refused,
                                     "refused": a.refused or None, "url": None if a.refused else url_of(a.id)}
                                    for a in parts]})
    return out
