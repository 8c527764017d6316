"""``/auth``: logging in and out (public: outside the gated ``/api/v1``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from dozvon.accounts import service as accounts
from dozvon.accounts.service import SESSION_TTL_S
from dozvon.server.gate import CSRF_COOKIE, SESSION_COOKIE, cookie_value

router = APIRouter(prefix="/auth", tags=["auth"])


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


def _secure(request: Request) -> bool:
    setting = request.app.state.settings.cookie_secure
    return request.url.scheme == "https" if setting == "auto" else setting == "always"


@router.post("/login", summary="Log in with a username and password (sets the session cookie)")
def login(body: LoginIn, request: Request, response: Response) -> dict[str, Any]:
    hub = request.app.state.hub
    with hub.sessions.begin() as session:
        secret, csrf, user = accounts.login(session, body.username, body.password)
        principal = accounts.principal_from_session(session, secret)
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
