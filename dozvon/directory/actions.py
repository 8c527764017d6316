"""The one write of the named people: the administrator replaces the list (audited)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from dozvon.accounts.actions import audit
from dozvon.accounts.queries import get_project
from dozvon.core.clock import now_us
from dozvon.core.errors import InvalidInput
from dozvon.crm.identity import normalise_phone
from dozvon.directory.models import NamedContact
from dozvon.directory.queries import named_contacts
from dozvon.routing.model import CONTACT_TYPES

MAX_NAMED = 100


@dataclass(frozen=True)
class NamedIn:
    name: str
    title: str = ""
    topics: tuple[str, ...] = field(default_factory=tuple)
    phone: str | None = None
    operator_id: str | None = None


def set_named_contacts(session: Session, actor: str, project: str, people: Iterable[NamedIn],
                       operators: Collection[str]) -> list[NamedContact]:
    """Replace the project's named people by ``people``, in this order. Each needs a name
    and a way to reach them: an operator of the project (``operators``: its routing
    operator ids) or a phone, written in any format (the project's region applies)."""
    project_row = get_project(session, project)
    wanted = list(people)
    if len(wanted) > MAX_NAMED:
        raise InvalidInput("directory.too_many", field="people", limit=MAX_NAMED)
    rows = []
    now = now_us()
    for i, person in enumerate(wanted):
        where = f"people.{i}"
        name = person.name.strip()
        if not name:
            raise InvalidInput("directory.no_name", field=f"{where}.name")
        unknown = [t for t in person.topics if t not in CONTACT_TYPES]
        if unknown:
            raise InvalidInput("directory.bad_topic", field=f"{where}.topics", value=unknown[0],
                               allowed=", ".join(CONTACT_TYPES))
        operator_id = (person.operator_id or "").strip() or None
        if operator_id is not None and operator_id not in operators:
            raise InvalidInput("directory.unknown_operator", field=f"{where}.operator_id", value=operator_id)
        phone = None
        if person.phone and person.phone.strip():
            try:
                phone = normalise_phone(person.phone, project_row.region)
            except InvalidInput as error:
                raise InvalidInput("directory.bad_phone", field=f"{where}.phone", value=person.phone) from error
        if phone is None and operator_id is None:
            raise InvalidInput("directory.unreachable", field=f"{where}.phone", name=name)
        rows.append(NamedContact(project=project, name=name, title=person.title.strip(),
                                 topics=list(dict.fromkeys(person.topics)), phone=phone, operator_id=operator_id,
                                 position=i, updated_at_us=now))
    for row in named_contacts(session, project):
        session.delete(row)
    session.flush()
    session.add_all(rows)
    session.flush()
    audit(session, actor, "directory.set", project, "", people=[r.name for r in rows])
    return rows
