"""Named people of a client company that operators hand contacts to.

The product's contact types say a partner or investor is "transferred at once to the
named person" and a complaint goes by "escalation instructions and contacts": those
people are often not operators (a purchasing director, the head of quality), so they are
kept here, per project, with what each is for. One who also works in Dozvon as an
operator is reached by ``operator_id`` (a chat can go to them too); one outside it by
``phone`` (calls only).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from dozvon.core.db import Base, JSONType

BigId = BigInteger().with_variant(Integer, "sqlite")


class NamedContact(Base):
    __tablename__ = "named_contacts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    project: Mapped[str] = mapped_column(ForeignKey("projects.slug", ondelete="CASCADE"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    #: What they are (``Директор по закупкам``), shown beside the name.
    title: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    #: The contact types they take (``partner``, ``complaint`` …): the desktop lists them
    #: first for a conversation of that type.
    topics: Mapped[list[str]] = mapped_column(JSONType, nullable=False, default=list)
    #: E.164; a call is transferred out to it.
    phone: Mapped[str | None] = mapped_column(String(32))
    #: Their routing operator id when they work in Dozvon: any contact goes to them there.
    operator_id: Mapped[str | None] = mapped_column(String(128))
    #: The order the desktop lists them in.
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    updated_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "title": self.title, "topics": list(self.topics or []),
                "phone": self.phone, "operator_id": self.operator_id}
