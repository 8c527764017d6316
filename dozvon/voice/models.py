"""Recordings of calls and voice messages, kept with their conversation.

The sound itself is a WAV file under the data directory (a database is a poor place for
megabytes of audio, and a file streams to the player as it is); the row says whose it
is, how long, and when the retention setting of its line lets it go.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from dozvon.core.db import Base

BigId = BigInteger().with_variant(Integer, "sqlite")


class Recording(Base):
    __tablename__ = "voice_recordings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    project: Mapped[str] = mapped_column(ForeignKey("projects.slug", ondelete="CASCADE"), nullable=False)
    conversation_id: Mapped[str] = mapped_column(String(64), nullable=False)
    #: ``call``: both sides of the conversation (caller left, operator right);
    #: ``voicemail``: the caller's message left out of hours.
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    #: The file, relative to the data directory.
    path: Mapped[str] = mapped_column(String(500), nullable=False)
    duration_s: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    size_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    #: The operators whose voice is in it (for who may listen), space-separated.
    operators: Mapped[str] = mapped_column(String(1000), nullable=False, default="")
    created_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)
    #: When the retention of its line ends: the maintenance round deletes it then.
    delete_after_us: Mapped[int] = mapped_column(BigInteger, nullable=False)

    __table_args__ = (
        Index("ix_voice_recordings_conversation", "project", "conversation_id"),
        Index("ix_voice_recordings_delete_after", "delete_after_us"),
    )
