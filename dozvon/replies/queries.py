"""Reading quick replies and automatic messages."""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, sessionmaker

from dozvon.replies.models import AUTO_KINDS, STANDARD_TEXT_KINDS, AutoText, QuickReply


def readable_quick_replies(project: str, owner_id: int | None = None) -> Select[QuickReply]:
    """The project's replies and, for a person, their own — never another person's."""
    mine = QuickReply.owner_id.is_(None) if owner_id is None else or_(QuickReply.owner_id.is_(None),
                                                                      QuickReply.owner_id == owner_id)
    return select(QuickReply).where(QuickReply.project == project, mine)


def quick_replies(session: Session, project: str) -> list[QuickReply]:
    """The project's own replies (everyone's), by keyword."""
    return list(session.scalars(readable_quick_replies(project).order_by(QuickReply.shortcut)))


def personal_replies(session: Session, project: str, owner_id: int) -> list[QuickReply]:
    """A person's own replies in the project, by keyword."""
    return list(session.scalars(select(QuickReply).where(QuickReply.project == project,
                                                         QuickReply.owner_id == owner_id)
                                .order_by(QuickReply.shortcut)))


def replies_for(session: Session, project: str, owner_id: int | None) -> list[QuickReply]:
    """What a person's composer offers: the project's replies and their own, by keyword;
    where both have a keyword, theirs (a person adapts the project's wording)."""
    by_shortcut: dict[str, QuickReply] = {}
    for reply in session.scalars(readable_quick_replies(project, owner_id).order_by(QuickReply.shortcut)):
        if reply.owner_id is not None or reply.shortcut not in by_shortcut:
            by_shortcut[reply.shortcut] = reply
    return list(by_shortcut.values())


def quick_reply_dict(reply: QuickReply) -> dict[str, Any]:
    return {"id": reply.id, "shortcut": reply.shortcut, "title": reply.title, "text": reply.text,
            "personal": reply.owner_id is not None, "updated_by": reply.updated_by,
            "updated_at": reply.updated_at_us / 1e6}


def auto_texts(session: Session, project: str) -> dict[str, dict[str, Any]]:
    """Every automatic message of the project, set or not: {kind: {text, enabled}}."""
    found = {row.kind: row for row in session.scalars(select(AutoText).where(AutoText.project == project))}
    return {kind: {"text": found[kind].text if kind in found else "",
                   "enabled": bool(found[kind].enabled) if kind in found else False}
            for kind in AUTO_KINDS}


def active_auto_texts(session: Session, project: str) -> dict[str, str]:
    """The automatic messages that are on and not empty: {kind: text}. A survey that is on
    with no text of the project's is there with "" (Dozvon's standard question)."""
    return {kind: value["text"] for kind, value in auto_texts(session, project).items()
            if value["enabled"] and (value["text"].strip() or kind in STANDARD_TEXT_KINDS)}


class AutoTextCache:
    """The projects' active automatic messages, read at most every ``ttl_s`` per project:
    they are looked up on every accept and every end, and change rarely. A change made
    through this server is seen at once (:meth:`forget`); one made by another server
    within ``ttl_s``."""

    def __init__(self, ttl_s: float = 5.0) -> None:
        self.ttl_s = ttl_s
        self._texts: dict[tuple[int, str], tuple[float, dict[str, str]]] = {}
        self._guard = threading.Lock()

    def get(self, sessions: sessionmaker[Session], project: str) -> dict[str, str]:
        key = (id(sessions), project)
        now = time.monotonic()
        found = self._texts.get(key)
        if found is not None and now - found[0] < self.ttl_s:
            return found[1]
        with sessions() as session:
            texts = active_auto_texts(session, project)
        with self._guard:
            self._texts[key] = (now, texts)
        return texts

    def forget(self, project: str) -> None:
        with self._guard:
            for key in [k for k in self._texts if k[1] == project]:
                del self._texts[key]


auto_text_cache = AutoTextCache()
