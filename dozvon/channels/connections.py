"""Every write to a project's channel connections — connect, change, new secret,
disconnect (each audited, never with the secret) — and the adapters' health marks; and
the reads, each from :func:`readable_connections`.

Actions take the caller's open transaction and never commit.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from dozvon.accounts.actions import audit
from dozvon.accounts.queries import get_project
from dozvon.channels import secrets as sealed
from dozvon.channels.kinds import ChannelKind, check_settings, get_kind
from dozvon.channels.models import ChannelConnection
from dozvon.core.clock import now_us
from dozvon.core.errors import Conflict, InvalidInput, NotFound

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
ERROR_LIMIT = 1000


def readable_connections(project: str) -> Select[ChannelConnection]:
    return select(ChannelConnection).where(ChannelConnection.project == project)


def get_connection(session: Session, project: str, name: str) -> ChannelConnection:
    found = session.scalar(readable_connections(project).where(ChannelConnection.name == name))
    if found is None:
        raise NotFound("channels.no_channel", name=name)
    return found


def connections(session: Session, project: str, kind: str | None = None) -> list[ChannelConnection]:
    stmt = readable_connections(project)
    if kind is not None:
        stmt = stmt.where(ChannelConnection.kind == kind)
    return list(session.scalars(stmt.order_by(ChannelConnection.kind, ChannelConnection.name)))


def enabled_of_kind(session: Session, kind: str) -> list[ChannelConnection]:
    """Every project's enabled connections of a kind: what an adapter serves at start."""
    return list(session.scalars(select(ChannelConnection).where(ChannelConnection.kind == kind,
                                                                ChannelConnection.enabled.is_(True))
                                .order_by(ChannelConnection.id)))


def secret_of(connection: ChannelConnection) -> str:
    return sealed.unseal(connection.secret)


def _us(value: int | None) -> float | None:
    return value / 1e6 if value is not None else None


def as_dict(c: ChannelConnection) -> dict[str, Any]:
    """A connection as the API and the pages show it: settings, whether a secret is set
    (never the secret), and its health."""
    return {"id": c.id, "kind": c.kind, "name": c.name, "queue": c.queue, "settings": c.settings,
            "has_secret": bool(c.secret), "enabled": c.enabled, "created_by": c.created_by,
            "created_at": c.created_at_us / 1e6, "updated_at": c.updated_at_us / 1e6,
            "health": {"last_in_at": _us(c.last_in_at_us), "last_out_at": _us(c.last_out_at_us),
                       "last_error": c.last_error or None, "last_error_at": _us(c.last_error_at_us)}}


def _check_queue(queue: str, queues: Collection[str]) -> None:
    if queue not in queues:
        raise InvalidInput("channels.unknown_queue", field="queue", value=queue)


def _secret_for(kind: ChannelKind, given: str | None, *, creating: bool) -> str | None:
    """The secret to store: given (required kinds), made here (generated kinds), or None (keep)."""
    if kind.secret == "generated":
        if given:
            raise InvalidInput("channels.secret_not_taken", field="secret")
        return secrets.token_urlsafe(32) if creating else None
    if kind.secret == "required":
        if creating and not given:
            raise InvalidInput("channels.secret_needed", field="secret", what=kind.secret_label[0])
        return given or None
    return None


def connect(session: Session, actor: str, project: str, *, kind: str, name: str, queue: str,
            settings: Mapping[str, Any], queues: Collection[str],
            secret: str | None = None) -> tuple[ChannelConnection, str | None]:
    """Connect a channel. Returns it, and its secret when Dozvon made it (shown this once)."""
    get_project(session, project)
    found = get_kind(kind)
    if not NAME.match(name):
        raise InvalidInput("channels.bad_name", field="name", value=name)
    if session.scalar(readable_connections(project).where(ChannelConnection.name == name)) is not None:
        raise Conflict("channels.name_taken", field="name", value=name)
    _check_queue(queue, queues)
    checked = check_settings(found, settings)
    clear = _secret_for(found, secret, creating=True)
    now = now_us()
    connection = ChannelConnection(project=project, kind=kind, name=name, queue=queue, settings=checked,
                                   secret=sealed.seal(clear or ""), enabled=True, created_by=actor,
                                   created_at_us=now, updated_at_us=now, last_error="")
    session.add(connection)
    session.flush()
    audit(session, actor, "channel.connected", project, name, kind=kind, queue=queue, settings=checked)
    return connection, clear if found.secret == "generated" else None


def change(session: Session, actor: str, project: str, name: str, *, queues: Collection[str],
           queue: str | None = None, settings: Mapping[str, Any] | None = None, secret: str | None = None,
           enabled: bool | None = None) -> ChannelConnection:
    """Change what is given; settings are replaced whole (checked by the kind's model)."""
    connection = get_connection(session, project, name)
    kind = get_kind(connection.kind)
    changed: dict[str, Any] = {}
    if queue is not None and queue != connection.queue:
        _check_queue(queue, queues)
        connection.queue = changed["queue"] = queue
    if settings is not None:
        checked = check_settings(kind, settings)
        if checked != connection.settings:
            connection.settings = changed["settings"] = checked
    clear = _secret_for(kind, secret, creating=False) if secret is not None else None
    if clear is not None:
        connection.secret = sealed.seal(clear)
        changed["secret"] = "changed"
    if enabled is not None and enabled != connection.enabled:
        connection.enabled = changed["enabled"] = enabled
    if changed:
        connection.updated_at_us = now_us()
        audit(session, actor, "channel.changed", project, name, **changed)
    return connection


def new_secret(session: Session, actor: str, project: str, name: str) -> str:
    """A new signing secret for a kind whose secret Dozvon makes; the old one stops working."""
    connection = get_connection(session, project, name)
    if get_kind(connection.kind).secret != "generated":
        raise InvalidInput("channels.secret_needed", field="secret", what=get_kind(connection.kind).secret_label[0])
    clear = secrets.token_urlsafe(32)
    connection.secret, connection.updated_at_us = sealed.seal(clear), now_us()
    audit(session, actor, "channel.secret_renewed", project, name)
    return clear


def disconnect(session: Session, actor: str, project: str, name: str) -> None:
    """Remove the connection; conversations that came through it stay."""
    connection = get_connection(session, project, name)
    session.delete(connection)
    audit(session, actor, "channel.disconnected", project, name, kind=connection.kind)


# --------------------------------------------------------------------------- health

def mark_in(session: Session, connection_id: int, at_us: int | None = None) -> None:
    """An adapter took a message in (health: "last message in")."""
    session.execute(update(ChannelConnection).where(ChannelConnection.id == connection_id)
                    .values(last_in_at_us=at_us or now_us()))


def mark_out(session: Session, connection_id: int, at_us: int | None = None) -> None:
    session.execute(update(ChannelConnection).where(ChannelConnection.id == connection_id)
                    .values(last_out_at_us=at_us or now_us()))


def mark_error(session: Session, connection_id: int, message: str, at_us: int | None = None) -> None:
    """What went wrong last, for the admin page and the wallboard (a refused message, a
    peer that does not answer) — the adapter goes on."""
    session.execute(update(ChannelConnection).where(ChannelConnection.id == connection_id)
                    .values(last_error=message[:ERROR_LIMIT], last_error_at_us=at_us or now_us()))
