"""Every write to quick replies and automatic messages: validated, audited, one transaction
(the caller's)."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from dozvon.accounts.actions import audit
from dozvon.core.clock import now_us
from dozvon.core.errors import Conflict, InvalidInput, NotFound
from dozvon.replies.models import AUTO_KINDS, STANDARD_TEXT_KINDS, AutoText, QuickReply
from dozvon.replies.render import VARIABLES, variables

SHORTCUT = re.compile(r"^[\w-]{1,64}$")
MAX_TEXT = 4000


def check_text(text: str, field: str = "text") -> str:
    """A reply's text: not empty, not too long, only variables Dozvon knows."""
    text = text.strip()
    if not text:
        raise InvalidInput("replies.empty_text", field=field)
    if len(text) > MAX_TEXT or "\x00" in text:
        raise InvalidInput("replies.text_too_long", field=field, limit=MAX_TEXT, length=len(text))
    for name in variables(text):
        if name not in VARIABLES:
            raise InvalidInput("replies.unknown_variable", field=field, value="{" + name + "}",
                               allowed=", ".join("{" + v + "}" for v in VARIABLES))
    return text


def _reply(session: Session, project: str, reply_id: int, owner_id: int | None) -> QuickReply:
    """The project's reply (``owner_id`` None) or this person's own — never another's: a
    reply of someone else is "not found", as if it did not exist."""
    found = session.get(QuickReply, reply_id)
    if found is None or found.project != project or found.owner_id != owner_id:
        raise NotFound("replies.no_reply", reply=reply_id)
    return found


def save_quick_reply(session: Session, actor: str, project: str, shortcut: str, text: str, title: str = "",
                     reply_id: int | None = None, *, owner_id: int | None = None) -> QuickReply:
    """Create a quick reply, or change the one with ``reply_id``: the project's
    (``owner_id`` None), or the person's own. A keyword is unique among the project's
    replies and among each person's own; one's own may repeat a project keyword."""
    shortcut = shortcut.strip().lstrip("/").lower()
    if not SHORTCUT.match(shortcut):
        raise InvalidInput("replies.bad_shortcut", field="shortcut", value=shortcut[:80])
    text = check_text(text)
    if len(title) > 200:
        raise InvalidInput("replies.text_too_long", field="title", limit=200, length=len(title))
    reply = _reply(session, project, reply_id, owner_id) if reply_id is not None else None
    owner = QuickReply.owner_id.is_(None) if owner_id is None else QuickReply.owner_id == owner_id
    clash = session.scalar(select(QuickReply).where(QuickReply.project == project, QuickReply.shortcut == shortcut,
                                                    owner))
    if clash is not None and clash.id != reply_id:
        raise Conflict("replies.shortcut_taken" if owner_id is None else "replies.own_shortcut_taken",
                       field="shortcut", value=shortcut)
    if reply is None:
        reply = QuickReply(project=project, shortcut=shortcut, text=text, owner_id=owner_id)
        session.add(reply)
    reply.shortcut, reply.title, reply.text = shortcut, title.strip(), text
    reply.updated_at_us, reply.updated_by = now_us(), actor
    session.flush()
    audit(session, actor, "quick_reply.saved", project, shortcut, text=text, personal=owner_id is not None)
    return reply


def delete_quick_reply(session: Session, actor: str, project: str, reply_id: int, *,
                       owner_id: int | None = None) -> None:
    reply = _reply(session, project, reply_id, owner_id)
    session.delete(reply)
    audit(session, actor, "quick_reply.deleted", project, reply.shortcut, personal=owner_id is not None)


def save_auto_text(session: Session, actor: str, project: str, kind: str, text: str, enabled: bool) -> AutoText:
    """Set one of the project's automatic messages (welcome, greeting, farewell, survey).
    The survey may be on with no text: the standard question goes out then."""
    if kind not in AUTO_KINDS:
        raise InvalidInput("replies.bad_kind", field="kind", value=kind, allowed=", ".join(AUTO_KINDS))
    standard = kind in STANDARD_TEXT_KINDS and not text.strip()
    text = check_text(text) if (enabled or text.strip()) and not standard else ""
    row = session.get(AutoText, (project, kind))
    if row is None:
        row = AutoText(project=project, kind=kind)
        session.add(row)
    row.text, row.enabled = text, enabled
    row.updated_at_us, row.updated_by = now_us(), actor
    session.flush()
    audit(session, actor, "auto_text.saved", project, kind, text=text, enabled=enabled)
    return row
