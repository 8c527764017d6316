"""Replies by mail: the ``email`` channel's adapter, delivering the outbox's messages over
SMTP from the mailbox the conversation came through.

A reply threads in the customer's mail client: ``In-Reply-To`` the customer's latest mail,
``References`` the conversation's mails, the subject ``Re: …`` with the conversation's
token ``[#1a2b3c4d]`` (a fallback for clients that drop the headers). Its ``Message-ID``
is made from the outbox's idempotency key, so every attempt at one reply carries the same
id — a server or a client that sees it twice can tell — and a bounce names the reply it
returns. An automatic text (a greeting) says so (``Auto-Submitted: auto-replied``), so the
customer's own auto-responder does not answer it.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from typing import Any

from sqlalchemy import select

from dozvon.channels import connections
from dozvon.channels.email import store
from dozvon.channels.email.kind import MailboxSettings, mailbox_settings, open_smtp
from dozvon.channels.models import ChannelConnection
from dozvon.channels.registry import ChannelAdapter, DeliveryFailed, OutboundMessage
from dozvon.conversations import queries as q
from dozvon.core.clock import now_us
from dozvon.core.errors import DozvonError
from dozvon.core.i18n import translate
from dozvon.eventlog.models import EventRecord
from dozvon.routing.events import Decision

#: How long a reply to a new conversation waits for its mail's details before it fails.
DETAILS_WAIT_S = 120.0


def compose(settings: MailboxSettings, message: OutboundMessage, context: store.ReplyContext) -> EmailMessage:
    """The reply as it goes out (pure: the tests read it back from the SMTP capture)."""
    mail = EmailMessage()
    mail["From"] = formataddr((settings.from_name, settings.address)) if settings.from_name else settings.address
    mail["To"] = context.to
    topic = context.subject or "…"
    token = f"[#{message.conversation_id[:8]}]"
    mail["Subject"] = f"Re: {topic} {token}" if token not in topic else f"Re: {topic}"
    mail["Date"] = formatdate(localtime=False, usegmt=True)
    mail["Message-ID"] = message_id_of(message.key, settings)
    mail["In-Reply-To"] = context.in_reply_to
    mail["References"] = " ".join(context.references)
    if message.data.get("auto"):
        mail["Auto-Submitted"] = "auto-replied"
    body = message.text
    if settings.signature.strip():
        body = f"{body.rstrip()}\n\n-- \n{settings.signature.strip()}\n"
    mail.set_content(body)
    return mail


def message_id_of(key: str, settings: MailboxSettings) -> str:
    return f"<{key}@{settings.domain}>"


class EmailAdapter:
    """The ``email`` channel's in-process adapter (``pushes``: the server's outbox loop
    calls :meth:`deliver`). Conversations that did not come through a mailbox go to the
    adapter that was there before, when it delivers in-process too."""

    pushes = True

    def __init__(self, sessions: Any, others: ChannelAdapter | None = None) -> None:
        self.sessions = sessions
        self.others = others if others is not None and others.pushes else None

    def carry_out(self, project: str, decision: Decision) -> None:
        if self.others is not None:
            self.others.carry_out(project, decision)

    def deliver(self, message: OutboundMessage) -> str | None:
        settings, password, context, connection_id = self._prepare(message)
        if context is None:
            if self.others is not None:
                return self.others.deliver(message)
            if self._just_arrived(message):  # its mail's details are being kept (inbound.py): soon
                raise DeliveryFailed(translate("email.details_pending", conversation=message.conversation_id))
            raise DeliveryFailed(translate("email.no_mailbox", conversation=message.conversation_id),
                                 permanent=True)
        if context.to == settings.address:
            raise DeliveryFailed(translate("email.own_address", address=settings.address), permanent=True)
        mail = compose(settings, message, context)
        try:
            client = open_smtp(settings, password)
        except DozvonError as error:
            self._mark(connection_id, error=error.message())
            raise DeliveryFailed(error.message()) from None
        try:
            client.send_message(mail, from_addr=settings.address, to_addrs=[context.to])
        except smtplib.SMTPRecipientsRefused as error:
            reason = "; ".join(f"{a}: {c} {m.decode(errors='replace')}" for a, (c, m) in error.recipients.items())
            self._mark(connection_id, error=reason)
            raise DeliveryFailed(reason, permanent=all(c >= 500 for c, _ in error.recipients.values())) from None
        except smtplib.SMTPResponseException as error:
            said = error.smtp_error
            text = said.decode(errors="replace") if isinstance(said, bytes) else str(said)
            reason = f"SMTP {error.smtp_code} {text}"[:1000]
            self._mark(connection_id, error=reason)
            raise DeliveryFailed(reason, permanent=500 <= error.smtp_code < 600) from None
        except (OSError, smtplib.SMTPException) as error:
            self._mark(connection_id, error=f"SMTP: {type(error).__name__}: {error}"[:1000])
            raise DeliveryFailed(f"SMTP: {error}") from None
        finally:
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                client.close()
        self._mark(connection_id)
        return str(mail["Message-ID"])

    def _prepare(self, message: OutboundMessage) -> tuple[MailboxSettings, str, store.ReplyContext | None, int]:
        with self.sessions() as session:
            rows: dict[int, ChannelConnection] = {}

            def domain_of(connection_id: int) -> str:
                row = session.get(ChannelConnection, connection_id)
                if row is None or row.project != message.project:
                    return "dozvon.invalid"
                rows[connection_id] = row
                return mailbox_settings(row.settings).domain

            context = store.reply_context(session, message.project, message.conversation_id, message.key, domain_of)
            if context is None:
                return MailboxSettings.model_construct(), "", None, 0
            row = rows.get(context.connection_id)
            if row is None:
                return MailboxSettings.model_construct(), "", None, 0
            if not row.enabled:
                raise DeliveryFailed(translate("email.mailbox_disabled", name=row.name))
            return mailbox_settings(row.settings), connections.secret_of(row), context, row.id

    def _just_arrived(self, message: OutboundMessage) -> bool:
        """Whether a mailbox's mail opened the conversation seconds ago. A mail's message is
        stored by the ingest and its details (the mailbox, the sender) right after, in a
        transaction of their own; an automatic reply the ingest wrote (out of hours) may
        be taken from the outbox in between, and must wait for them rather than fail. A
        conversation an outside adapter made (its source is not a mailbox) fails at once."""
        with self.sessions() as session:
            conv = q.conversation(session, message.project, message.conversation_id)
            if conv is None or now_us() - conv.created_at_us > DETAILS_WAIT_S * 1_000_000:
                return False
            arrived = session.scalar(select(EventRecord.data).where(
                EventRecord.project == message.project, EventRecord.contact_id == conv.id,
                EventRecord.type == "contact.arrived").limit(1))
        return str((arrived or {}).get("source") or "").startswith("email:")

    def _mark(self, connection_id: int, error: str | None = None) -> None:
        with self.sessions.begin() as session:
            if error is None:
                connections.mark_out(session, connection_id)
            else:
                connections.mark_error(session, connection_id, error)
