"""The widget's settings and its visitors: every write here, in the caller's transaction.

A visitor's credential is a random 256-bit value the browser keeps; only its SHA-256
digest is stored, like a session's. It opens the visitor's own conversations and nothing
else: the widget's API finds the visitor by it and never takes a conversation id on trust.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dozvon.accounts.actions import audit
from dozvon.accounts.models import Project
from dozvon.accounts.security import digest, new_secret
from dozvon.core.clock import now_us
from dozvon.core.errors import InvalidInput, Unauthorized
from dozvon.crm.identity import EMAIL, normalise, normalise_phone
from dozvon.widget.models import PRECHAT_FIELDS, PRECHAT_MODES, Visitor, WidgetSettings

COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?$")
MAX_ORIGINS = 20
DEFAULT_PRECHAT = {"name": "optional", "phone": "off", "email": "off"}


# ----------------------------------------------------------------- settings

def settings_of(session: Session, project: str) -> WidgetSettings | None:
    return session.get(WidgetSettings, project)


def settings_dict(row: WidgetSettings) -> dict[str, Any]:
    return {"project": row.project, "enabled": row.enabled, "queue": row.queue, "title": row.title,
            "color": row.color, "prechat": {**DEFAULT_PRECHAT, **row.prechat}, "origins": list(row.origins),
            "calls": row.calls,
            "updated_by": row.updated_by, "updated_at": row.updated_at_us / 1e6}


def save_settings(session: Session, actor: str, project: str, *, queue: str, enabled: bool = True,
                  title: str = "", color: str = "#2563eb", prechat: dict[str, str] | None = None,
                  origins: list[str] | None = None, calls: bool = False) -> WidgetSettings:
    """The project's widget settings (the queue's existence is the caller's check: it
    lives in the routing engine)."""
    if not COLOR.match(color):
        raise InvalidInput("widget.bad_color", field="color", value=color[:20])
    modes = {**DEFAULT_PRECHAT, **(prechat or {})}
    for name, mode in modes.items():
        if name not in PRECHAT_FIELDS:
            raise InvalidInput("widget.bad_prechat_field", field=f"prechat.{name}", value=name,
                               allowed=", ".join(PRECHAT_FIELDS))
        if mode not in PRECHAT_MODES:
            raise InvalidInput("widget.bad_prechat_mode", field=f"prechat.{name}", value=mode,
                               allowed=", ".join(PRECHAT_MODES))
    cleaned = []
    for i, origin in enumerate(origins or []):
        origin = origin.strip().rstrip("/").lower()
        if not ORIGIN.match(origin):
            raise InvalidInput("widget.bad_origin", field=f"origins.{i}", value=origin[:100])
        cleaned.append(origin)
    if len(cleaned) > MAX_ORIGINS:
        raise InvalidInput("widget.too_many_origins", field="origins", limit=MAX_ORIGINS)
    if len(title) > 100:
        raise InvalidInput("widget.title_too_long", field="title", limit=100)
    row = session.get(WidgetSettings, project)
    if row is None:
        row = WidgetSettings(project=project)
        session.add(row)
    row.enabled, row.queue, row.title, row.color = enabled, queue, title.strip(), color.lower()
    row.prechat, row.origins, row.calls = modes, cleaned, calls
    row.updated_at_us, row.updated_by = now_us(), actor
    session.flush()
    settings = {k: v for k, v in settings_dict(row).items() if k not in ("project", "updated_by", "updated_at")}
    audit(session, actor, "widget.configured", project, queue, **settings)
    return row


def origin_allowed(row: WidgetSettings, origin: str | None) -> bool:
    """Whether a page at ``origin`` may use the widget (no list: any site)."""
    if not row.origins or origin is None:
        return True  # a request without Origin is not a browser's cross-site call
    return origin.rstrip("/").lower() in row.origins


# ----------------------------------------------------------------- visitors

@dataclass(frozen=True)
class Prechat:
    name: str = ""
    phone: str = ""
    email: str = ""


def start_visitor(session: Session, project: str, row: WidgetSettings, answers: Prechat, *,
                  page: str = "", source: str = "", language: str = "") -> tuple[Visitor, str]:
    """A new visitor with their pre-chat answers checked against the project's settings;
    returns the visitor and their credential (shown to the browser once)."""
    modes = {**DEFAULT_PRECHAT, **row.prechat}
    values = {"name": answers.name.strip(), "phone": answers.phone.strip(), "email": answers.email.strip()}
    for name, mode in modes.items():
        if mode == "required" and not values[name]:
            raise InvalidInput("widget.field_required", field=name)
        if mode == "off":
            values[name] = ""
    if len(values["name"]) > 200:
        raise InvalidInput("widget.name_too_long", field="name", limit=200)
    if values["phone"]:
        region = session.scalar(select(Project.region).where(Project.slug == project))
        try:
            values["phone"] = normalise_phone(values["phone"], region)
        except InvalidInput as error:
            raise InvalidInput("widget.bad_phone", field="phone", value=values["phone"][:40]) from error
    if values["email"]:
        try:
            values["email"] = normalise(EMAIL, values["email"])
        except InvalidInput as error:
            raise InvalidInput("widget.bad_email", field="email", value=values["email"][:80]) from error
    token = new_secret()
    now = now_us()
    visitor = Visitor(id="v" + secrets.token_hex(15) + "0", project=project, token_hash=digest(token),
                      name=values["name"], phone=values["phone"], email=values["email"], source=source[:200],
                      page=page[:500], language=language[:8], created_at_us=now, last_seen_us=now)
    session.add(visitor)
    session.flush()
    return visitor, token


def visitor_by_token(session: Session, project: str, token: str | None) -> Visitor:
    """The visitor this credential belongs to, in this project; else 401."""
    if token:
        found = session.scalar(select(Visitor).where(Visitor.token_hash == digest(token)))
        if found is not None and found.project == project:
            return found
    raise Unauthorized("widget.no_visitor")


def customer_ref(visitor: Visitor) -> str:
    """How the CRM should know the visitor: by the e-mail or phone they gave (so that a
    known customer is recognised), else by the visitor id."""
    return visitor.email or visitor.phone or visitor.id


def follow(session: Session, visitor_id: str, conversation_id: str) -> None:
    """The visitor's widget now shows this conversation."""
    session.execute(update(Visitor).where(Visitor.id == visitor_id)
                    .values(conversation_id=conversation_id, last_seen_us=now_us()))
