"""Every write to accounts, in one place: projects, users, roles, sessions, tokens.

Each action takes the caller's open transaction and writes its audit entry in it, so an
administrative change and its record are committed together or not at all. Reads live in
:mod:`dozvon.accounts.queries`.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dozvon.accounts import (
    messages,  # noqa: F401  (registers the accounts' own messages)
    security,
)
from dozvon.accounts.models import ApiToken, AuditEntry, BreakReason, Membership, Project, User, WebSession
from dozvon.accounts.permissions import PERMISSIONS, ROLES
from dozvon.accounts.queries import break_reasons, get_project, readable_tokens, user_by_name
from dozvon.accounts.throttle import retry_after_header
from dozvon.core.clock import now_us
from dozvon.core.errors import Conflict, DozvonError, InvalidInput, NotFound, Unauthorized

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
SESSION_TTL_S = 12 * 3600  # one working shift and a bit
BREAK_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
MAX_BREAK_REASONS = 30
MAX_BREAK_LABEL = 100
#: Every new project starts with these (code, English, Russian): the desktop's four of old.
DEFAULT_BREAK_REASONS = (("lunch", "Lunch", "Обед"), ("coffee", "Short break", "Короткий перерыв"),
                         ("training", "Training", "Обучение"), ("meeting", "Meeting", "Совещание"))


#: Bumped by every change that can take rights away (revoked token, logout, new role,
#: new password): cached principals of an older generation are looked up again.
_generation = itertools.count(1)
generation = next(_generation)


def credentials_changed() -> None:
    global generation
    generation = next(_generation)


def audit(session: Session, actor: str, action: str, project: str | None, target: str = "",
          **details: Any) -> None:
    session.add(AuditEntry(project=project, actor=actor, action=action, target=target,
                           details=details, at_us=now_us()))


# ----------------------------------------------------------------- projects and users

def create_project(session: Session, actor: str, slug: str, name: str, language: str = "ru",
                   timezone: str = "Europe/Moscow", region: str | None = None) -> Project:
    if not SLUG.match(slug):
        raise InvalidInput("accounts.bad_slug", value=slug)
    if region is not None:
        region = check_region(region)
    check_timezone(timezone)
    if session.get(Project, slug) is not None:
        raise Conflict("accounts.project_exists", project=slug)
    project = Project(slug=slug, name=name, language=language, timezone=timezone, region=region,
                      created_at_us=now_us())
    session.add(project)
    session.flush()
    for position, (code, en, ru) in enumerate(DEFAULT_BREAK_REASONS):
        session.add(BreakReason(project=slug, code=code, position=position, label_en=en, label_ru=ru))
    audit(session, actor, "project.created", slug, slug, name=name, region=region, timezone=timezone)
    return project


def check_timezone(timezone: str) -> str:
    try:
        ZoneInfo(timezone)
    except (ValueError, ZoneInfoNotFoundError):
        raise InvalidInput("report.bad_zone", field="timezone", value=timezone) from None
    return timezone


def update_project(session: Session, actor: str, slug: str, *, name: str, timezone: str, language: str,
                   region: str | None) -> Project:
    """Rename a project or change its time zone, region and language. The slug never
    changes: every event, conversation and token names the project by it."""
    project = get_project(session, slug)
    name = name.strip()
    if not name:
        raise InvalidInput("accounts.empty_project_name", field="name")
    check_timezone(timezone)
    if region:
        try:
            region = check_region(region)
        except InvalidInput as error:
            raise InvalidInput("accounts.bad_region", field="region", value=region) from error
    before = {"name": project.name, "timezone": project.timezone, "language": project.language,
              "region": project.region}
    project.name, project.timezone, project.language, project.region = name, timezone, language, region or None
    after = {"name": project.name, "timezone": project.timezone, "language": project.language,
             "region": project.region}
    changed = {k: v for k, v in after.items() if before[k] != v}
    if changed:
        audit(session, actor, "project.changed", slug, slug, **changed)
    return project


def set_break_reasons(session: Session, actor: str, project: str,
                      reasons: Iterable[tuple[str, str, str]]) -> list[BreakReason]:
    """Replace the project's break reasons by ``(code, English label, Russian label)`` in
    this order. A code removed here only stops being offered: breaks already taken keep it
    in the event log."""
    get_project(session, project)
    wanted = list(reasons)
    if not 1 <= len(wanted) <= MAX_BREAK_REASONS:
        raise InvalidInput("accounts.break_reasons_count", field="reasons", limit=MAX_BREAK_REASONS)
    seen: set[str] = set()
    cleaned = []
    for i, (code, en, ru) in enumerate(wanted):
        code, en, ru = code.strip().lower(), en.strip(), ru.strip()
        if not BREAK_CODE.match(code):
            raise InvalidInput("accounts.bad_break_code", field=f"reasons.{i}.code", value=code[:40])
        if code in seen:
            raise InvalidInput("accounts.break_code_twice", field=f"reasons.{i}.code", value=code)
        seen.add(code)
        if not en and not ru:
            raise InvalidInput("accounts.break_label_missing", field=f"reasons.{i}.label_ru")
        for key, label in (("label_en", en), ("label_ru", ru)):
            if len(label) > MAX_BREAK_LABEL:
                raise InvalidInput("accounts.break_label_too_long", field=f"reasons.{i}.{key}", limit=MAX_BREAK_LABEL)
        cleaned.append((code, en, ru))
    for row in break_reasons(session, project):
        session.delete(row)
    session.flush()
    rows = [BreakReason(project=project, code=code, position=i, label_en=en, label_ru=ru)
            for i, (code, en, ru) in enumerate(cleaned)]
    session.add_all(rows)
    session.flush()
    audit(session, actor, "break_reasons.set", project, project,
          reasons=[{"code": c, "en": en, "ru": ru} for c, en, ru in cleaned])
    return rows


def check_region(region: str) -> str:
    """An ISO 3166 alpha-2 code that phone numbering knows (BY, RU), upper case."""
    import phonenumbers

    code = region.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidInput("accounts.bad_region", value=region)
    return code


def create_user(session: Session, actor: str, username: str, password: str, *, display_name: str = "",
                superadmin: bool = False, language: str = "ru", password_hash: str | None = None) -> User:
    """``password_hash`` lets bulk set-ups (demo, benches) hash one password once."""
    if not USERNAME.match(username):
        raise InvalidInput("accounts.bad_username", value=username)
    if len(password) < 4 and password_hash is None:
        raise InvalidInput("accounts.short_password")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict("accounts.user_exists", username=username)
    user = User(username=username, display_name=display_name or username,
                password_hash=password_hash or security.hash_password(password),
                is_superadmin=superadmin, language=language, created_at_us=now_us())
    session.add(user)
    session.flush()
    audit(session, actor, "user.created", None, username, superadmin=superadmin)
    return user


def set_password(session: Session, actor: str, username: str, password: str) -> None:
    if len(password) < 4:
        raise InvalidInput("accounts.short_password")
    user = user_by_name(session, username)
    user.password_hash = security.hash_password(password)
    session.execute(update(WebSession).where(WebSession.user_id == user.id).values(revoked=True))
    audit(session, actor, "user.password_set", None, username)
    credentials_changed()


def update_user(session: Session, actor: str, username: str, *, display_name: str | None = None,
                language: str | None = None, active: bool | None = None) -> User:
    """Change a user's name or language, or (de)activate them. A deactivated user is logged
    out everywhere at once and cannot log in; their history and roles stay, so turning them
    back on restores everything. Nobody deactivates themselves (the last superadmin could
    lock everybody out)."""
    user = user_by_name(session, username)
    changed: dict[str, Any] = {}
    if display_name is not None and display_name.strip() != user.display_name:
        user.display_name = changed["display_name"] = display_name.strip() or username
    if language is not None and language != user.language:
        user.language = changed["language"] = language
    if active is not None and active != user.is_active:
        if not active and username == actor:
            raise Conflict("accounts.not_yourself", field="active")
        user.is_active = changed["active"] = active
        if not active:
            session.execute(update(WebSession).where(WebSession.user_id == user.id).values(revoked=True))
            credentials_changed()
    if changed:
        audit(session, actor, "user.changed", None, username, **changed)
    return user


def set_membership(session: Session, actor: str, project: str, username: str, role: str,
                   operator_id: str | None = None) -> Membership:
    if role not in ROLES:
        raise InvalidInput("accounts.bad_role", value=role, allowed=", ".join(ROLES))
    get_project(session, project)
    user = user_by_name(session, username)
    if role == "operator" and not operator_id:
        operator_id = username
    if operator_id:
        taken = session.scalar(select(Membership.user_id).where(
            Membership.project == project, Membership.operator_id == operator_id,
            Membership.user_id != user.id))
        if taken is not None:
            raise Conflict("accounts.operator_taken", operator=operator_id, project=project)
    member = session.get(Membership, (user.id, project))
    if member is None:
        member = Membership(user_id=user.id, project=project, role=role, operator_id=operator_id)
        session.add(member)
    else:
        member.role, member.operator_id = role, operator_id
    audit(session, actor, "member.set", project, username, role=role, operator_id=operator_id)
    credentials_changed()
    return member


def remove_membership(session: Session, actor: str, project: str, username: str) -> None:
    user = user_by_name(session, username)
    member = session.get(Membership, (user.id, project))
    if member is None:
        raise NotFound("accounts.no_member", username=username, project=project)
    session.delete(member)
    audit(session, actor, "member.removed", project, username)
    credentials_changed()


# ----------------------------------------------------------------- sessions

class LoginRefused(Unauthorized):
    """Wrong user name or password. ``reason`` (``unknown_user``, ``bad_password``,
    ``inactive``) is for the audit log only: the answer is the same for all three."""

    def __init__(self, reason: str) -> None:
        super().__init__("auth.bad_credentials")
        self.reason = reason


class TooManyLogins(DozvonError):
    """Too many failed logins for this account or from this address: wait ``retry_after`` s."""

    status_code = 429

    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        self.headers = {"Retry-After": retry_after_header(retry_after)}
        super().__init__("auth.too_many_logins", seconds=int(self.headers["Retry-After"]))


def login(session: Session, username: str, password: str) -> tuple[str, str, User]:
    """Check a password; on success open a web session. Returns (secret, csrf token, user).

    Raises :class:`LoginRefused`. An unknown user costs an argon2 check all the same, so
    the time taken does not tell whether the name exists."""
    user = session.scalar(select(User).where(User.username == username))
    ok = security.verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.is_active:
        raise LoginRefused("unknown_user" if user is None else "bad_password" if not ok else "inactive")
    secret, csrf = open_session(session, user)
    return secret, csrf, user


def audit_failed_login(session: Session, username: str, address: str, reason: str, **details: Any) -> None:
    """A failed login in the audit log (no project: users are global); ``username`` as typed."""
    audit(session, "anonymous", "login.failed", None, username[:200], address=address, reason=reason, **details)


def open_session(session: Session, user: User) -> tuple[str, str]:
    """A new web session for a user whose identity is established; (secret, CSRF token)."""
    secret, csrf = security.new_secret(), security.new_secret()
    now = now_us()
    session.add(WebSession(id_hash=security.digest(secret), user_id=user.id, csrf_token=csrf,
                           created_at_us=now, expires_at_us=now + SESSION_TTL_S * 1_000_000))
    session.flush()
    return secret, csrf


def logout(session: Session, secret: str) -> None:
    session.execute(update(WebSession).where(WebSession.id_hash == security.digest(secret))
                    .values(revoked=True))
    credentials_changed()


# ----------------------------------------------------------------- API tokens

def create_token(session: Session, actor: str, project: str, name: str,
                 permissions: Iterable[str]) -> tuple[str, ApiToken]:
    """A new token; the secret is returned once and stored only as a digest."""
    wanted = sorted(set(permissions))
    unknown = [p for p in wanted if p not in PERMISSIONS]
    if unknown or not wanted:
        raise InvalidInput("accounts.bad_permissions", value=", ".join(unknown) or "[]",
                           allowed=", ".join(PERMISSIONS))
    get_project(session, project)
    secret = security.new_api_token()
    token = ApiToken(project=project, name=name, prefix=secret[:10], token_hash=security.digest(secret),
                     permissions=wanted, created_by=actor, created_at_us=now_us())
    session.add(token)
    session.flush()
    audit(session, actor, "token.created", project, name, token_id=token.id, permissions=wanted)
    return secret, token


def revoke_token(session: Session, actor: str, project: str, token_id: int) -> None:
    token = session.scalar(readable_tokens(project).where(ApiToken.id == token_id))
    if token is None:
        raise NotFound("accounts.no_token", token=token_id)
    if token.revoked_at_us is None:
        token.revoked_at_us = now_us()
        audit(session, actor, "token.revoked", project, token.name, token_id=token_id)
        credentials_changed()

