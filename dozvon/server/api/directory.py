"""The project's named people — whom partner and complaint contacts are transferred to:
operators read the list from the transfer form, administrators replace it."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import Field

from dozvon.acd import queries as live
from dozvon.directory import actions
from dozvon.directory import queries as directory
from dozvon.routing.model import CONTACT_TYPES
from dozvon.server.deps import Body, CallerDep, HubDep, SessionDep, page
from dozvon.server.gate import needs

router = APIRouter(tags=["directory"])


class NamedIn(Body):
    name: str = Field(min_length=1, max_length=200)
    title: str = Field(default="", max_length=200)
    topics: list[Literal[CONTACT_TYPES]] = Field(default_factory=list, max_length=len(CONTACT_TYPES))  # type: ignore[valid-type]
    phone: str | None = Field(default=None, max_length=64)
    operator_id: str | None = Field(default=None, max_length=128)


class DirectoryIn(Body):
    people: list[NamedIn] = Field(max_length=actions.MAX_NAMED)


@router.get("/projects/{project}/directory",
            summary="Named people (whom partner and complaint contacts go to), in the administrator's order",
            **needs("conversations:read|settings:manage"))
def list_named(project: str, session: SessionDep) -> dict[str, Any]:
    return page([p.as_dict() for p in directory.named_contacts(session, project)])


@router.put("/projects/{project}/directory", summary="Replace the project's named people (in this order)",
            **needs("settings:manage"))
def set_named(project: str, body: DirectoryIn, caller: CallerDep, session: SessionDep,
              hub: HubDep) -> dict[str, Any]:
    rows = actions.set_named_contacts(
        session, caller.name, project,
        [actions.NamedIn(p.name, p.title, tuple(p.topics), p.phone, p.operator_id) for p in body.people],
        live.operator_ids(hub.service(project)))
    return page([r.as_dict() for r in rows])
