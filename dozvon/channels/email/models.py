"""What the e-mail channel keeps beside the conversation's messages: each mail taken in
(its headers for threading, its plain text, its HTML made safe) and its attachments.

The conversation's ``messages`` row holds what every channel shows (the text); this table
holds what only mail has. Attachments are blobs in the database, not files: they are
written in the same transaction as their mail (a crash never leaves a mail without its
files, nor a file without its mail), every server sharing the database serves them, a
backup of the database is a backup of the mail, and the per-mailbox size limit keeps them
small. An attachment over the limit gets a row without data, saying why it was not kept.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dozvon.core.db import Base, JSONType

BigId = BigInteger().with_variant(Integer, "sqlite")


class EmailMail(Base):
    """One mail taken in from a mailbox, stored with the message it became."""

    __tablename__ = "email_mails"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    project: Mapped[str] = mapped_column(ForeignKey("projects.slug", ondelete="CASCADE"), nullable=False)
    #: The mailbox it came to (a connection may be removed later: the mail stays).
    connection_id: Mapped[int | None] = mapped_column(
        ForeignKey("channel_connections.id", ondelete="SET NULL"))
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False)
    #: The conversation's message row (``messages.id``) this mail is.
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    #: The mail's ``Message-ID`` (the ingest's external id), and the ids it answers.
    mail_id: Mapped[str] = mapped_column(String(200), nullable=False)
    in_reply_to: Mapped[str] = mapped_column(String(1000), nullable=False, default="")
    references: Mapped[list[str]] = mapped_column(JSONType, nullable=False, default=list)
    from_address: Mapped[str] = mapped_column(String(320), nullable=False)
    from_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    #: To and Cc as they were (``[{"name", "address"}]``).
    recipients: Mapped[list[dict[str, str]]] = mapped_column(JSONType, nullable=False, default=list)
    subject: Mapped[str] = mapped_column(String(1000), nullable=False, default="")
    sent_at_us: Mapped[int | None] = mapped_column(BigInteger)
    received_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    #: The HTML part sanitised, remote images removed; and sanitised with them kept (shown
    #: only when the operator asks). "" when the mail had no HTML.
    html: Mapped[str] = mapped_column(Text, nullable=False, default="")
    html_with_images: Mapped[str] = mapped_column(Text, nullable=False, default="")
    remote_images: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    #: What else is worth knowing (attachments refused, the parser's complaints).
    notes: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)

    __table_args__ = (
        Index("ix_email_mails_mail_id", "project", "mail_id", unique=True),
        Index("ix_email_mails_conversation", "conversation_id", "id"),
    )


class EmailAttachment(Base):
    """A file that came with a mail: its bytes, or (over the mailbox's limit) why not."""

    __tablename__ = "email_attachments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    project: Mapped[str] = mapped_column(ForeignKey("projects.slug", ondelete="CASCADE"), nullable=False)
    mail_id: Mapped[int] = mapped_column(ForeignKey("email_mails.id", ondelete="CASCADE"), nullable=False)
    conversation_id: Mapped[str] = mapped_column(String(64), nullable=False)
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    content_type: Mapped[str] = mapped_column(String(200), nullable=False)
    #: The ``Content-ID`` of an inline part (an HTML body's ``cid:`` image), else "".
    content_id: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: Why it was not kept ("" when it was).
    refused: Mapped[str] = mapped_column(String(500), nullable=False, default="")

    __table_args__ = (Index("ix_email_attachments_mail", "mail_id"),)
