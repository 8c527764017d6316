"""``/auth``: logging in and out (public: outside the gated ``/api/v1``).

Failed logins are throttled per account and per address (:mod:`dozvon.accounts.throttle`)
and written to the audit log; passwords are checked in a small pool of their own.
"""

from __future__ import annotations

from typing import Any

import anyio
import anyio.to_thread
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from dozvon.accounts import actions as accounts
from dozvon.accounts import queries as account_queries
from dozvon.accounts.actions import SESSION_TTL_S
from dozvon.accounts.models import User
from dozvon.accounts.permissions import Principal
from dozvon.accounts.throttle import LoginThrottle
from dozvon.server.deps import client_address
from dozvon.server.gate import CSRF_COOKIE, SESSION_COOKIE, cookie_value

router = APIRouter(prefix="/auth", tags=["auth"])


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


def _secure(request: Request) -> bool:
    setting = request.app.state.settings.cookie_secure
    return request.url.scheme == "https" if setting == "auto" else setting == "always"


def _throttle(request: Request) -> LoginThrottle:
    """The app's login throttle (made on first use, from the app's settings)."""
    state = request.app.state
    throttle: LoginThrottle | None = getattr(state, "login_throttle", None)
    if throttle is None:
        throttle = state.login_throttle = LoginThrottle.from_settings(state.settings)
    return throttle


def _password_limiter(request: Request) -> anyio.CapacityLimiter:
    """Password checks (argon2: slow and memory-hungry on purpose) run a few at a time in
    threads of their own, so a crowd of guessers cannot take the worker threads that the
    rest of the API (ingest) runs on."""
    state = request.app.state
    limiter: anyio.CapacityLimiter | None = getattr(state, "password_limiter", None)
    if limiter is None:
        limiter = state.password_limiter = anyio.CapacityLimiter(state.settings.login_hash_threads)
    return limiter


@router.post("/login", summary="Log in with a username and password (sets the session cookie)",
             responses={401: {"description": "Wrong user name or password"},
                        429: {"description": "Too many failed logins: try again after Retry-After seconds"}})
async def login(body: LoginIn, request: Request, response: Response) -> dict[str, Any]:
    hub = request.app.state.hub
    throttle = _throttle(request)
    address = client_address(request)
    wait = throttle.admit(body.username, address)
    if wait > 0:
        raise accounts.TooManyLogins(wait)  # before any password check: refusing costs nothing
    settled = False

    def attempt() -> tuple[str, str, User, Principal | None]:
        nonlocal settled
        try:
            with hub.sessions.begin() as session:
                secret, csrf, user = accounts.login(session, body.username, body.password)
                principal = account_queries.principal_from_session(session, secret)
        except accounts.LoginRefused as refused:
            failure = throttle.failed(body.username, address)
            settled = True
            with hub.sessions.begin() as session:
                accounts.audit_failed_login(session, body.username, address, refused.reason,
                                            failures=failure.account_failures,
                                            address_failures=failure.address_failures,
                                            locked_for_s=round(failure.locked_for_s))
            raise
        throttle.succeeded(body.username)
        settled = True
        return secret, csrf, user, principal

    try:
        secret, csrf, user, principal = await anyio.to_thread.run_sync(attempt, limiter=_password_limiter(request))
    finally:
        if not settled:
            throttle.abandoned(body.username)
    secure = _secure(request)
    response.set_cookie(SESSION_COOKIE, secret, max_age=SESSION_TTL_S, httponly=True, secure=secure,
                        samesite="lax", path="/")
    # Readable by the page's script, which echoes it in X-CSRF-Token on every write.
    response.set_cookie(CSRF_COOKIE, csrf, max_age=SESSION_TTL_S, httponly=False, secure=secure,
                        samesite="strict", path="/")
    assert principal is not None
    return {"username": user.username, "display_name": user.display_name, "csrf_token": csrf,
            "superadmin": user.is_superadmin, "language": user.language,
            "projects": {p: sorted(g) for p, g in principal.grants.items()},
            "operator_ids": principal.operator_ids}


@router.post("/logout", summary="End this browser's session")
def logout(request: Request, response: Response) -> dict[str, bool]:
    secret = cookie_value(request.headers.get("cookie"), SESSION_COOKIE)
    if secret:
        with request.app.state.hub.sessions.begin() as session:
            accounts.logout(session, secret)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return {"ok": True}
