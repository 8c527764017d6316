"""Customers and the identities by which channels know them.

A customer is one person (or company) of a project. Each identity — a phone number in
E.164, a lower-case e-mail address, a messenger id, a web visitor id, or a channel's id
that did not parse as any of these (``channel:<name>``) — belongs to exactly one customer
of the project: the unique index on (project, kind, value) is what makes the same number
reached in three spellings one person, also across server processes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from dozvon.core.db import Base, JSONType

BigId = BigInteger().with_variant(Integer, "sqlite")


class Customer(Base):
    __tablename__ = "customers"

    #: A random hex id: routing, conversations and the history key on it as a string.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    project: Mapped[str] = mapped_column(String(64), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    #: ``name`` case-folded in Python: SQLite's lower() knows only ASCII, Russian names
    #: must be found alike on both databases.
    search_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    #: The segment a person gave (an import, the card): VIP, partner… It wins over the rules.
    segment: Mapped[str | None] = mapped_column(String(32))
    #: The segment the project's rules give, kept current as contacts arrive
    #: (:mod:`dozvon.crm.segments`): new, regular, lost, or a custom rule's.
    auto_segment: Mapped[str | None] = mapped_column(String(32))
    #: When the customer last contacted the project (any channel): "lost" counts from it.
    last_contact_at_us: Mapped[int | None] = mapped_column(BigInteger)
    #: Further columns of an import (city, contract number …), kept as given.
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
    created_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)

    __table_args__ = (Index("ix_customers_project_name", "project", "search_name"),)


class CustomerIdentity(Base):
    __tablename__ = "customer_identities"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    project: Mapped[str] = mapped_column(String(64), nullable=False)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), nullable=False)
    #: phone, email, telegram, messenger, web, or channel:<name>
    kind: Mapped[str] = mapped_column(String(48), nullable=False)
    value: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)

    __table_args__ = (
        Index("ix_customer_identities_value", "project", "kind", "value", unique=True),
        Index("ix_customer_identities_customer", "customer_id"),
    )


class SegmentRulesRow(Base):
    """A project's segment rules (one JSON document: :class:`dozvon.crm.segments.SegmentRules`)."""

    __tablename__ = "segment_rules"

    project: Mapped[str] = mapped_column(ForeignKey("projects.slug", ondelete="CASCADE"), primary_key=True)
    rules: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
    updated_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_by: Mapped[str] = mapped_column(String(200), nullable=False, default="")


class CustomerFlag(Base):
    """A flag on a customer — suspected competitor, blocked, do not call — with who set it,
    when and why, and when it was lifted and by whom (the history stays)."""

    __tablename__ = "customer_flags"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    project: Mapped[str] = mapped_column(String(64), nullable=False)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    reason: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    set_by: Mapped[str] = mapped_column(String(200), nullable=False)
    set_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)
    cleared_by: Mapped[str | None] = mapped_column(String(200))
    cleared_at_us: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_customer_flags_project_customer", "project", "customer_id"),)


class CrmPolicy(Base):
    """A project's CRM policies (one JSON document): what each flag does."""

    __tablename__ = "crm_policies"

    project: Mapped[str] = mapped_column(ForeignKey("projects.slug", ondelete="CASCADE"), primary_key=True)
    doc: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
    updated_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_by: Mapped[str] = mapped_column(String(200), nullable=False, default="")


class Order(Base):
    """An order or a deal a shop or an existing CRM pushed (webhook, import) or a person
    recorded: what the operator sees on the card ("вижу ваш прошлый заказ"). The number is
    the shop's own, unique in the project, so pushing the same order again updates it.
    Money is kept in minor units (kopecks, cents) of its currency: exact on both databases."""

    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    project: Mapped[str] = mapped_column(String(64), nullable=False)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), nullable=False)
    number: Mapped[str] = mapped_column(String(64), nullable=False)
    #: ``order`` (a purchase) or ``deal`` (a sale in progress: a quote, a contract).
    kind: Mapped[str] = mapped_column(String(8), nullable=False, default="order")
    #: The shop's own word (new, paid, shipped, delivered, cancelled …), lower case.
    status: Mapped[str] = mapped_column(String(32), nullable=False, default="new")
    amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    #: ISO 4217 (RUB, BYN, USD); None with no amount.
    currency: Mapped[str | None] = mapped_column(String(3))
    #: [{name, quantity, price (minor units) or null}]
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, nullable=False, default=list)
    placed_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)
    #: When it was delivered, closed or lost (the shop's word in ``status`` says which).
    closed_at_us: Mapped[int | None] = mapped_column(BigInteger)
    #: Who pushed it: an API token's name, a user, ``import``.
    source: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    #: Further fields as given (delivery address, manager, channel of sale …).
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
    created_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)

    __table_args__ = (
        Index("ix_orders_project_number", "project", "number", unique=True),
        Index("ix_orders_customer", "customer_id", "placed_at_us"),
    )
