"""The widget's settings per project, and its visitors.

A *visitor* is one browser that opened the widget: it gets a random credential (kept in
the browser's storage, stored here only as a SHA-256 digest) that lets it read and write
its own conversations and nothing else. The visitor's pre-chat answers (name, phone,
e-mail) and where they came from (the page's UTM source) are kept with it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Boolean, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column

from dozvon.core.db import Base, JSONType

#: Per pre-chat field: not asked, asked, or required before the first message.
PRECHAT_MODES = ("off", "optional", "required")
PRECHAT_FIELDS = ("name", "phone", "email")


class WidgetSettings(Base):
    __tablename__ = "widget_settings"

    project: Mapped[str] = mapped_column(String(64), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    #: The queue the widget's conversations enter.
    queue: Mapped[str] = mapped_column(String(128), nullable=False)
    #: The panel's heading («Чат с магазином»); empty: the project's name.
    title: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    #: The launcher's and the visitor's bubbles' colour, #rrggbb.
    color: Mapped[str] = mapped_column(String(7), nullable=False, default="#2563eb")
    #: {field: mode} for name, phone and e-mail (:data:`PRECHAT_MODES`).
    prechat: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
    #: Sites allowed to embed the widget (``https://shop.example``); empty: any site.
    origins: Mapped[list[str]] = mapped_column(JSONType, nullable=False, default=list)
    #: A "call us" button: the visitor talks to an operator from the browser (voice).
    calls: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    updated_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_by: Mapped[str] = mapped_column(String(200), nullable=False, default="")


class Visitor(Base):
    __tablename__ = "widget_visitors"

    #: ``v`` + 31 hex characters: the web identity the CRM knows the visitor by.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    project: Mapped[str] = mapped_column(String(64), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    phone: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    email: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    #: The UTM source (or the referrer's host) of the page the visitor came from.
    source: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    page: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    language: Mapped[str] = mapped_column(String(8), nullable=False, default="")
    #: The conversation the widget shows: the visitor's latest.
    conversation_id: Mapped[str | None] = mapped_column(String(64))
    created_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)
    last_seen_us: Mapped[int] = mapped_column(BigInteger, nullable=False)

    __table_args__ = (Index("ix_widget_visitors_token", "token_hash", unique=True),)
