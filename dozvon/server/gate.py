"""The gate in front of ``/api/v1``: who is calling, and may they call this operation?

It runs before FastAPI routes the request, so an unauthenticated call gets 401 and a
forbidden one 403 *before* any lookup or input validation (pinned: other tools rely on
it, and it means an outsider learns nothing — not even whether a project or a field
exists). Each route names its permission in ``openapi_extra["x-permission"]`` (see
:func:`needs`); a route that names none is for superadmins only, so a forgotten
declaration fails closed.

Credentials: a session cookie (people) or ``Authorization: Bearer dzt_…`` (integrations).
Unsafe methods with a cookie must echo the session's CSRF token in ``X-CSRF-Token``; a
WebSocket opened with a cookie must come from our own origin.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlsplit

import anyio.to_thread
from starlette.routing import BaseRoute, WebSocketRoute, compile_path

from dozvon.accounts import actions as accounts
from dozvon.accounts import queries as account_queries
from dozvon.accounts.permissions import Principal
from dozvon.core.i18n import translate
from dozvon.server.i18n import language_of

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

API_PREFIX = "/api/v1"
SESSION_COOKIE = "dozvon_session"
CSRF_COOKIE = "dozvon_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Held by anybody with any role in the path's project.
MEMBER = "member"
#: Held by anybody logged in (routes outside a project: who am I, my projects).
AUTHENTICATED = "authenticated"


def needs(permission: str) -> dict[str, Any]:
    """Keyword arguments for a route decorator declaring the permission it requires."""
    return {"openapi_extra": {"x-permission": permission}}


def route_permission(route: BaseRoute) -> str | None:
    extra = getattr(route, "openapi_extra", None) or {}
    value = extra.get("x-permission") or getattr(getattr(route, "endpoint", None), "dozvon_permission", None)
    return str(value) if value else None


def allowed(principal: Principal, permission: str | None, project: str | None) -> bool:
    if principal.superadmin:
        return True
    if permission == AUTHENTICATED:
        return True
    if permission is None or project is None:
        return False
    if permission == MEMBER:
        return project in principal.grants
    # "a|b": either permission will do (the handler decides what each allows).
    return any(principal.can(p, project) for p in permission.split("|"))


@dataclass(frozen=True)
class GatedRoute:
    """One ``/api/v1`` operation as the gate sees it: path pattern, methods, permission."""

    regex: re.Pattern[str]
    methods: frozenset[str]  # empty for a WebSocket
    websocket: bool
    permission: str | None


def gated_routes(routers: list[tuple[str, Any]]) -> list[GatedRoute]:
    """The gate's own table of the API's routes (from the routers, with their prefix)."""
    table = []
    for prefix, router in routers:
        for route in router.routes:
            regex, _, _ = compile_path(prefix + route.path)
            websocket = isinstance(route, WebSocketRoute) or not getattr(route, "methods", None)
            table.append(GatedRoute(regex, frozenset(getattr(route, "methods", None) or ()), websocket,
                                    route_permission(route)))
    return table


class ApiGate:
    def __init__(self, app: ASGIApp, *, routes: list[GatedRoute],
                 authenticate: Authenticator) -> None:
        self.app = app
        self.routes = routes
        self.authenticate = authenticate
        self._pending: dict[tuple[str | None, str | None, int], asyncio.Future[Principal | None]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or not scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        bearer = bearer_token(headers.get("authorization"))
        cookie = None if bearer else cookie_value(headers.get("cookie"), SESSION_COOKIE)
        principal = None
        if bearer or cookie:
            known, principal = self.authenticate.remembered(bearer, cookie)
            if not known:
                principal = await self._look_up(bearer, cookie)
        if principal is None:
            await _deny(scope, send, 401, "auth.required", headers)
            return
        permission, project = self._match(scope)
        if not allowed(principal, permission, project):
            await _deny(scope, send, 403, "auth.forbidden", headers)
            return
        if cookie and scope["type"] == "http" and scope["method"] not in SAFE_METHODS \
                and headers.get(CSRF_HEADER) != principal.csrf_token:
            await _deny(scope, send, 403, "auth.csrf", headers)
            return
        if cookie and scope["type"] == "websocket" and not _same_origin(headers):
            await _deny(scope, send, 403, "auth.origin", headers)
            return
        if b"%00" in scope.get("query_string", b"") or "\x00" in scope["path"]:
            await _deny(scope, send, 422, "api.nul_character", headers)
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)

    async def _look_up(self, bearer: str | None, cookie: str | None) -> Principal | None:
        """One database look-up per credential at a time: when a remembered answer runs out
        under load, the hundred requests of that moment carrying the same token wait for
        one query instead of each sending its own from a worker thread."""
        # A look-up under way since before a logout or a revoked token is not joined: the
        # generation is part of the key.
        key = (bearer, cookie, accounts.generation)
        pending = self._pending.get(key)
        if pending is None:
            pending = self._pending[key] = asyncio.ensure_future(
                anyio.to_thread.run_sync(self.authenticate, bearer, cookie))
            pending.add_done_callback(lambda _: self._pending.pop(key, None))
        return await asyncio.shield(pending)

    def _match(self, scope: Scope) -> tuple[str | None, str | None]:
        websocket = scope["type"] == "websocket"
        partial: tuple[str | None, str | None] | None = None
        for route in self.routes:
            if route.websocket != websocket:
                continue
            found = route.regex.match(scope["path"])
            if found is None:
                continue
            result = (route.permission, found.groupdict().get("project"))
            if websocket or scope["method"] in route.methods or (scope["method"] == "HEAD" and "GET" in route.methods):
                return result
            partial = partial or result  # the path exists, not this method: 405 for those allowed
        return partial or (AUTHENTICATED, None)  # unknown path: 404 for a caller who is logged in


def bearer_token(value: str | None) -> str | None:
    """The credential of an ``Authorization: Bearer …`` header (API tokens, widget visitors)."""
    if value and value[:7].lower() == "bearer ":
        return value[7:].strip() or None
    return None


def cookie_value(value: str | None, name: str) -> str | None:
    if not value:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(value)
    except Exception:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


def _same_origin(headers: dict[str, str]) -> bool:
    origin = headers.get("origin")
    if not origin:  # not a browser: a cross-site page cannot open a socket without Origin
        return True
    return urlsplit(origin).netloc == headers.get("host")


async def _deny(scope: Scope, send: Send, status: int, code: str, asked: dict[str, str]) -> None:
    """The refusal in the caller's language — found only now: the server's own language is
    read from the environment, and a request let through never needs it."""
    lang = language_of(asked.get("accept-language"))
    body = json.dumps({"error": {"code": code, "message": translate(code, lang)}},
                      ensure_ascii=False).encode()
    headers = [(b"content-type", b"application/json; charset=utf-8"),
               (b"content-length", str(len(body)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="dozvon"'))
    if scope["type"] == "websocket":
        if "websocket.http.response" in scope.get("extensions", {}):
            await send({"type": "websocket.http.response.start", "status": status, "headers": headers})
            await send({"type": "websocket.http.response.body", "body": body})
        else:
            await send({"type": "websocket.close", "code": 4000 + status})
        return
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


#: Seconds a looked-up caller is remembered. A change made in this process (a revoked
#: token, a logout, a new role) takes effect at once; one made by another server process
#: within this many seconds.
PRINCIPAL_TTL_S = 2.0


class Authenticator:
    """Look a bearer token or a session cookie up in the database (in a worker thread),
    remembering the answer briefly: most calls then cost no query at all — and no trip to a
    worker thread either, since :meth:`remembered` answers on the event loop."""

    def __init__(self, sessions: Any) -> None:
        self.sessions = sessions
        self._cache: dict[tuple[str, str], tuple[Principal | None, float, int]] = {}

    @staticmethod
    def _key(bearer: str | None, cookie: str | None) -> tuple[str, str]:
        return ("bearer", bearer) if bearer else ("cookie", cookie or "")

    def remembered(self, bearer: str | None, cookie: str | None) -> tuple[bool, Principal | None]:
        """(True, the caller) when a fresh answer is remembered; (False, None) when only the
        database can tell. Never waits."""
        hit = self._cache.get(self._key(bearer, cookie))
        if hit is not None and hit[1] > time.monotonic() and hit[2] == accounts.generation:
            return True, hit[0]
        return False, None

    def __call__(self, bearer: str | None, cookie: str | None) -> Principal | None:
        known, principal = self.remembered(bearer, cookie)
        if known:
            return principal
        current = accounts.generation
        with self.sessions() as session:
            if bearer:
                principal = account_queries.principal_from_token(session, bearer)
            elif cookie:
                principal = account_queries.principal_from_session(session, cookie)
            else:
                return None
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[self._key(bearer, cookie)] = (principal, time.monotonic() + PRINCIPAL_TTL_S, current)
        return principal


def make_authenticator(sessions: Any) -> Authenticator:
    return Authenticator(sessions)
