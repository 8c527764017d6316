"""A project's connected channels: a mailbox, a Telegram bot, a web form — each with its
settings, its secret (encrypted, :mod:`dozvon.channels.secrets`) and its health.

One table for every kind, so that connecting, testing, disconnecting and watching a
channel are one piece of code and one admin page; what a kind needs beyond that lives in
``settings`` (checked by the kind's own model, :mod:`dozvon.channels.kinds`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dozvon.core.db import Base, JSONType

BigId = BigInteger().with_variant(Integer, "sqlite")


class ChannelConnection(Base):
    __tablename__ = "channel_connections"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    project: Mapped[str] = mapped_column(ForeignKey("projects.slug", ondelete="CASCADE"), nullable=False)
    #: The kind of connection (``email``, ``telegram``, ``form`` …): :data:`dozvon.channels.kinds.KINDS`.
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    #: Unique in the project: a form's name is in its URL, a mailbox's in the desk's lists.
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    #: Where what comes in goes.
    queue: Mapped[str] = mapped_column(String(128), nullable=False)
    #: The kind's settings (hosts, ports, field mapping, limits) — never a secret.
    settings: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
    #: The secret (a password, a bot token, a signing secret), encrypted; "" when none.
    secret: Mapped[str] = mapped_column(Text, nullable=False, default="")
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    created_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)
    #: Health: the last message in and out, the last error and when.
    last_in_at_us: Mapped[int | None] = mapped_column(BigInteger)
    last_out_at_us: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str] = mapped_column(String(1000), nullable=False, default="")
    last_error_at_us: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_channel_connections_name", "project", "name", unique=True),)
