"""Who am I, projects (tenants), users, members and their roles, API tokens, the audit log."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import select

from dozvon.accounts import actions as accounts
from dozvon.accounts import queries as account_queries
from dozvon.accounts.models import ApiToken, AuditEntry, Membership, Project, User
from dozvon.accounts.permissions import GLOBAL_PERMISSIONS, PERMISSIONS, ROLES
from dozvon.server.deps import Body, CallerDep, HubDep, RowId, SessionDep, page
from dozvon.server.gate import AUTHENTICATED, MEMBER, needs

router = APIRouter(tags=["accounts"])

Role = Literal["admin", "supervisor", "operator", "viewer"]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")]


def project_out(p: Project) -> dict[str, Any]:
    return {"slug": p.slug, "name": p.name, "language": p.language, "timezone": p.timezone, "region": p.region}


@router.get("/me", summary="The caller: name, projects and permissions there", **needs(AUTHENTICATED))
def me(caller: CallerDep) -> dict[str, Any]:
    return {"name": caller.name, "superadmin": caller.superadmin,
            "projects": {p: sorted(g) for p, g in caller.grants.items()},
            "operator_ids": caller.operator_ids}


@router.get("/permissions", summary="Every permission and role", **needs(AUTHENTICATED))
def permissions() -> dict[str, Any]:
    return {"permissions": PERMISSIONS, "global_permissions": GLOBAL_PERMISSIONS,
            "roles": {role: sorted(perms) for role, perms in ROLES.items()}}


@router.get("/projects", summary="The projects the caller may see", **needs(AUTHENTICATED))
def list_projects(caller: CallerDep, session: SessionDep) -> dict[str, Any]:
    rows = session.scalars(account_queries.readable_projects(caller).order_by(Project.slug))
    return page([project_out(p) for p in rows])


class ProjectIn(BaseModel):
    slug: Slug
    name: str = Field(min_length=1, max_length=200)
    language: Literal["ru", "en"] = "ru"
    timezone: str = Field(default="Europe/Moscow", max_length=64)


@router.post("/projects", status_code=201, summary="Create a project (superadmins)",
             **needs("projects:create"))
def create_project(body: ProjectIn, caller: CallerDep, hub: HubDep, session: SessionDep) -> dict[str, Any]:
    project = accounts.create_project(session, caller.name, body.slug, body.name, body.language, body.timezone)
    session.commit()
    hub.service(project.slug)
    return project_out(project)


@router.get("/projects/{project}", summary="One project", **needs(MEMBER))
def get_project(project: str, session: SessionDep) -> dict[str, Any]:
    return project_out(account_queries.get_project(session, project))


class ProjectChangeIn(Body):
    name: str = Field(min_length=1, max_length=200)
    language: Literal["ru", "en"] = "ru"
    timezone: str = Field(default="Europe/Moscow", min_length=1, max_length=64)
    #: ISO 3166 alpha-2 (BY, RU): the country of phone numbers written without a code; "" or null: none.
    region: str | None = Field(default=None, max_length=8)


@router.put("/projects/{project}", summary="Rename a project, change its time zone, region and language",
            **needs("project:manage"))
def change_project(project: str, body: ProjectChangeIn, caller: CallerDep, session: SessionDep) -> dict[str, Any]:
    changed = accounts.update_project(session, caller.name, project, name=body.name, timezone=body.timezone,
                                      language=body.language, region=body.region)
    return project_out(changed)


class BreakReasonIn(Body):
    code: str = Field(min_length=1, max_length=32)
    label_en: str = Field(default="", max_length=100)
    label_ru: str = Field(default="", max_length=100)


class BreakReasonsIn(Body):
    reasons: list[BreakReasonIn] = Field(min_length=1, max_length=accounts.MAX_BREAK_REASONS)


@router.get("/projects/{project}/break-reasons", summary="The reasons an operator may give for a break",
            **needs(MEMBER))
def list_break_reasons(project: str, session: SessionDep) -> dict[str, Any]:
    account_queries.get_project(session, project)
    return page([account_queries.break_reason_dict(r) for r in account_queries.break_reasons(session, project)])


@router.put("/projects/{project}/break-reasons", summary="Replace the project's break reasons (in this order)",
            **needs("settings:manage"))
def set_break_reasons(project: str, body: BreakReasonsIn, caller: CallerDep, session: SessionDep) -> dict[str, Any]:
    rows = accounts.set_break_reasons(session, caller.name, project,
                                      [(r.code, r.label_en, r.label_ru) for r in body.reasons])
    return page([account_queries.break_reason_dict(r) for r in rows])


# ----------------------------------------------------------------- users (superadmins)

class UserIn(BaseModel):
    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]*$")
    password: str = Field(min_length=4, max_length=1024)
    display_name: str = Field(default="", max_length=200)
    superadmin: bool = False
    language: Literal["ru", "en"] = "ru"


def user_out(u: User) -> dict[str, Any]:
    return {"username": u.username, "display_name": u.display_name, "superadmin": u.is_superadmin,
            "active": u.is_active, "language": u.language}


@router.get("/users", summary="Every user (superadmins)", **needs("users:manage"))
def list_users(session: SessionDep) -> dict[str, Any]:
    return page([user_out(u) for u in session.scalars(select(User).order_by(User.username))])


@router.post("/users", status_code=201, summary="Create a user (superadmins)", **needs("users:manage"))
def create_user(body: UserIn, caller: CallerDep, session: SessionDep) -> dict[str, Any]:
    user = accounts.create_user(session, caller.name, body.username, body.password,
                                display_name=body.display_name, superadmin=body.superadmin,
                                language=body.language)
    return user_out(user)


class UserChangeIn(Body):
    display_name: str | None = Field(default=None, max_length=200)
    language: Literal["ru", "en"] | None = None
    #: false: logged out everywhere and cannot log in (roles and history stay).
    active: bool | None = None


@router.put("/users/{username}", summary="Change a user's name or language, or (de)activate them (superadmins)",
            **needs("users:manage"))
def change_user(username: str, body: UserChangeIn, caller: CallerDep, session: SessionDep) -> dict[str, Any]:
    user = accounts.update_user(session, caller.name, username, display_name=body.display_name,
                                language=body.language, active=body.active)
    return user_out(user)


class PasswordIn(Body):
    password: str = Field(min_length=4, max_length=1024)


@router.put("/users/{username}/password", status_code=204,
            summary="Set a user's new password; their sessions end (superadmins)", **needs("users:manage"))
def reset_password(username: str, body: PasswordIn, caller: CallerDep, session: SessionDep) -> None:
    accounts.set_password(session, caller.name, username, body.password)


# ----------------------------------------------------------------- members

class MemberIn(BaseModel):
    role: Role
    operator_id: str | None = Field(default=None, min_length=1, max_length=128)


def member_out(m: Membership, u: User) -> dict[str, Any]:
    return {"username": u.username, "display_name": u.display_name, "role": m.role,
            "operator_id": m.operator_id}


@router.get("/projects/{project}/members", summary="People with a role in the project",
            **needs("members:manage"))
def list_members(project: str, session: SessionDep) -> dict[str, Any]:
    rows = session.execute(account_queries.readable_members(project).order_by(User.username))
    return page([member_out(m, u) for m, u in rows])


@router.put("/projects/{project}/members/{username}", summary="Give a user a role in the project",
            **needs("members:manage"))
def set_member(project: str, username: str, body: MemberIn, caller: CallerDep,
               session: SessionDep) -> dict[str, Any]:
    member = accounts.set_membership(session, caller.name, project, username, body.role, body.operator_id)
    return member_out(member, account_queries.user_by_name(session, username))


@router.delete("/projects/{project}/members/{username}", status_code=204,
               summary="Take a user's role in the project away", **needs("members:manage"))
def remove_member(project: str, username: str, caller: CallerDep, session: SessionDep) -> None:
    accounts.remove_membership(session, caller.name, project, username)


# ----------------------------------------------------------------- API tokens

class TokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    permissions: list[str] = Field(min_length=1)


def token_out(t: ApiToken) -> dict[str, Any]:
    return {"id": t.id, "name": t.name, "prefix": t.prefix, "permissions": t.permissions,
            "created_by": t.created_by, "created_at": t.created_at_us / 1e6,
            "revoked": t.revoked_at_us is not None}


@router.get("/projects/{project}/tokens", summary="The project's API tokens (never their secrets)",
            **needs("tokens:manage"))
def list_tokens(project: str, session: SessionDep) -> dict[str, Any]:
    tokens = session.scalars(account_queries.readable_tokens(project).order_by(ApiToken.id))
    return page([token_out(t) for t in tokens])


@router.post("/projects/{project}/tokens", status_code=201,
             summary="Create an API token; its secret is shown only in this answer", **needs("tokens:manage"))
def create_token(project: str, body: TokenIn, caller: CallerDep, session: SessionDep) -> dict[str, Any]:
    secret, token = accounts.create_token(session, caller.name, project, body.name, body.permissions)
    return {**token_out(token), "token": secret}


@router.delete("/projects/{project}/tokens/{token_id}", status_code=204, summary="Revoke an API token",
               **needs("tokens:manage"))
def revoke_token(project: str, token_id: RowId, caller: CallerDep,
                 session: SessionDep) -> None:
    accounts.revoke_token(session, caller.name, project, token_id)


# ----------------------------------------------------------------- audit

@router.get("/projects/{project}/audit", summary="Administrative actions, newest first",
            **needs("audit:read"))
def audit_log(project: str, session: SessionDep,
              before_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
              limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
    stmt = account_queries.readable_audit(project)
    if before_id is not None:
        stmt = stmt.where(AuditEntry.id < before_id)
    rows = list(session.scalars(stmt.order_by(AuditEntry.id.desc()).limit(limit)))
    items = [{"id": a.id, "actor": a.actor, "action": a.action, "target": a.target, "details": a.details,
              "at": a.at_us / 1e6} for a in rows]
    return page(items, next_before_id=rows[-1].id if len(rows) == limit else None)
