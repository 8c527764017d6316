"""Reads of the named people: every statement starts from ``readable``, limited to a project."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from dozvon.directory.models import NamedContact


def readable(project: str) -> Select[NamedContact]:
    return select(NamedContact).where(NamedContact.project == project)


def named_contacts(session: Session, project: str) -> list[NamedContact]:
    """The project's named people in the order the administrator listed them."""
    return list(session.scalars(readable(project).order_by(NamedContact.position, NamedContact.id)))
