"""What the Telegram channel keeps beyond the connection row: where long polling stands,
and the files customers and operators exchanged.

``channel_files`` is named for any channel (an e-mail's attachments fit the same shape:
a conversation's message, a name, a type, the bytes); Telegram is its first user. The
bytes live in the database so that every server sharing it can serve them and a backup
holds them; a per-connection size limit (20 MB by default, what the Bot API lets a bot
download) keeps the table sane.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from dozvon.core.db import Base

BigId = BigInteger().with_variant(Integer, "sqlite")


class TelegramOffset(Base):
    """The next ``getUpdates`` offset of a bot that polls: moved only after the updates
    before it are committed, so a restart resumes exactly there (Telegram forgets an
    update once a later offset is asked for)."""

    __tablename__ = "telegram_offsets"

    connection_id: Mapped[int] = mapped_column(ForeignKey("channel_connections.id", ondelete="CASCADE"),
                                               primary_key=True)
    next_offset: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    updated_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)


class ChannelFile(Base):
    """A file of a conversation's message: a customer's photo or document, an operator's file."""

    __tablename__ = "channel_files"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    project: Mapped[str] = mapped_column(String(64), nullable=False)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), nullable=False)
    channel: Mapped[str] = mapped_column(String(32), nullable=False)
    #: ``in`` (from the customer) or ``out`` (to them).
    direction: Mapped[str] = mapped_column(String(3), nullable=False)
    #: The channel's own id of the file in its message (Telegram: message key + file_unique_id):
    #: a redelivered update finds its file already kept.
    source_key: Mapped[str] = mapped_column(String(300), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    content_type: Mapped[str] = mapped_column(String(200), nullable=False)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    #: ``photo`` or ``document``: how the channel shows it.
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    data: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    created_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)

    __table_args__ = (
        Index("ix_channel_files_source", "project", "channel", "source_key", unique=True),
        Index("ix_channel_files_conversation", "conversation_id", "id"),
        Index("ix_channel_files_message", "message_id"),
    )
