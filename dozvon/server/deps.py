"""What route handlers share: the caller, the hub, a database session, the acting operator."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from pydantic import BaseModel, ConfigDict, field_validator
from sqlalchemy.orm import Session
from starlette.requests import HTTPConnection

from dozvon.accounts.permissions import Principal
from dozvon.core.errors import Forbidden
from dozvon.server.hub import Hub

# The two below are ``async`` although they do not wait: FastAPI runs a plain ``def``
# dependency in a worker thread, and these are asked for by nearly every request.

async def get_principal(conn: HTTPConnection) -> Principal:
    principal: Principal = conn.state.principal  # set by the gate for every /api/v1 call
    return principal


def client_address(conn: HTTPConnection) -> str:
    """The caller's address, for per-address limits (the proxy's, unless uvicorn trusts its headers)."""
    return conn.client.host if conn.client else "unknown"


async def get_hub(conn: HTTPConnection) -> Hub:
    hub: Hub = conn.app.state.hub
    return hub


def get_session(request: Request) -> Iterator[Session]:
    """A session whose transaction commits when the handler returns without an error."""
    hub: Hub = request.app.state.hub
    with hub.sessions.begin() as session:
        yield session


CallerDep = Annotated[Principal, Depends(get_principal)]
#: A row's id in a path: a positive integer the databases can hold (a larger one is a 422
#: naming the parameter, never an overflow deep in the driver).
RowId = Annotated[int, Path(ge=1, le=2**62)]
HubDep = Annotated[Hub, Depends(get_hub)]
#: Commits when the handler returns (before the answer is sent), rolls back on an error.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def acting_operator(caller: Principal, project: str, manage_permission: str) -> str | None:
    """The operator id an action is taken as: None (anyone's contact) for those allowed to
    manage, else the caller's own operator id — the engine then refuses others' contacts."""
    if caller.can(manage_permission, project):
        return None
    operator_id = caller.operator_ids.get(project)
    if operator_id is None:
        raise Forbidden("auth.not_an_operator", project=project)
    return operator_id


def page(items: list[Any], **cursor: Any) -> dict[str, Any]:
    return {"items": items, **cursor}


def _no_nul(value: Any) -> Any:
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("contains a NUL character (\\u0000), which cannot be stored")
    elif isinstance(value, dict):
        for key, item in value.items():
            _no_nul(key)
            _no_nul(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _no_nul(item)
    return value


class Body(BaseModel):
    """A request body: unknown fields are refused, and so is a NUL character anywhere
    (no database column can store it) — each with the field it was found in."""

    model_config = ConfigDict(extra="forbid")

    _refuse_nul = field_validator("*", mode="after")(_no_nul)
