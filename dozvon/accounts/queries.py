"""Reads of accounts: projects, members, tokens, the audit log, and who a credential is.

Every statement that lists tenant data starts from a ``readable_*`` statement, limited to
a project (or to the projects a caller may see) by construction.
"""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from dozvon.accounts import (
    messages,  # noqa: F401  (registers the accounts' own messages)
    security,
)
from dozvon.accounts.models import ApiToken, AuditEntry, BreakReason, Membership, Project, User, WebSession
from dozvon.accounts.permissions import ROLES, Principal
from dozvon.core.clock import now_us
from dozvon.core.errors import InvalidInput, NotFound


def readable_projects(principal: Principal) -> Select[Project]:
    stmt = select(Project)
    visible = principal.projects()
    return stmt if visible is None else stmt.where(Project.slug.in_(visible))


def readable_members(project: str) -> Select[Membership, User]:
    return (select(Membership, User).join(User, User.id == Membership.user_id)
            .where(Membership.project == project))


def readable_tokens(project: str) -> Select[ApiToken]:
    return select(ApiToken).where(ApiToken.project == project)


def readable_audit(project: str) -> Select[AuditEntry]:
    return select(AuditEntry).where(AuditEntry.project == project)


def get_project(session: Session, slug: str) -> Project:
    project = session.get(Project, slug)
    if project is None:
        raise NotFound("accounts.no_project", project=slug)
    return project


def user_by_name(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound("accounts.no_user", username=username)
    return user


def _user_principal(session: Session, user: User, csrf: str | None) -> Principal:
    grants: dict[str, frozenset[str]] = {}
    operator_ids: dict[str, str] = {}
    for member in session.scalars(select(Membership).where(Membership.user_id == user.id)):
        grants[member.project] = ROLES.get(member.role, frozenset())
        if member.operator_id:
            operator_ids[member.project] = member.operator_id
    return Principal(name=user.username, user_id=user.id, superadmin=user.is_superadmin,
                     grants=grants, operator_ids=operator_ids, csrf_token=csrf)


def principal_from_session(session: Session, secret: str) -> Principal | None:
    row = session.get(WebSession, security.digest(secret))
    if row is None or row.revoked or row.expires_at_us < now_us():
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    return _user_principal(session, user, row.csrf_token)


def principal_from_token(session: Session, secret: str) -> Principal | None:
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == security.digest(secret)))
    if token is None or token.revoked_at_us is not None:
        return None
    return Principal(name=f"token:{token.name}", token_id=token.id,
                     grants={token.project: frozenset(token.permissions)})


def break_reasons(session: Session, project: str) -> list[BreakReason]:
    """The project's break reasons in the order people see them."""
    return list(session.scalars(select(BreakReason).where(BreakReason.project == project)
                                .order_by(BreakReason.position, BreakReason.code)))


def break_reason_label(reason: BreakReason, lang: str) -> str:
    """The label in ``lang``, else in the other language, else the code: a reason named in
    one language only still reads as a word, never as nothing."""
    first, second = (reason.label_ru, reason.label_en) if lang == "ru" else (reason.label_en, reason.label_ru)
    return first or second or reason.code


def break_reason_dict(reason: BreakReason) -> dict[str, str]:
    return {"code": reason.code, "label_en": reason.label_en, "label_ru": reason.label_ru}


def check_break_reason(session: Session, project: str, reason: str | None) -> None:
    """A break's reason must be one of the project's (none at all is allowed: the engine and
    older clients take breaks without one)."""
    if reason is None:
        return
    codes = [r.code for r in break_reasons(session, project)]
    if reason not in codes:
        raise InvalidInput("accounts.unknown_break_reason", field="reason", value=reason[:40],
                           allowed=", ".join(codes))
