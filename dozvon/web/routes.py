"""The pages: ``/`` (log in), ``/desktop`` (the operator's workplace) and ``/lang/{code}``
(the reader's choice of language, kept in a cookie). Pages are rendered here; what they
do, they do in the browser through the JSON API and the WebSocket, like any client.

Every page carries a strict Content-Security-Policy: scripts and styles only from our own
files, so text that slipped into the page as HTML still could not run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from dozvon import __version__
from dozvon.accounts import queries as account_queries
from dozvon.accounts.permissions import Principal
from dozvon.core.i18n import CATALOGUE, SUPPORTED, translate
from dozvon.routing.model import CONTACT_TYPES
from dozvon.server.gate import SESSION_COOKIE, cookie_value
from dozvon.server.i18n import language_of
from dozvon.web import messages  # noqa: F401  (registers the web.* texts)

HERE = Path(__file__).parent
LANG_COOKIE = "dozvon_lang"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self' ws: wss:; "
       "img-src 'self' data:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
SECURITY_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
                    "Referrer-Policy": "same-origin", "Cache-Control": "no-store"}
BREAK_REASONS = ("lunch", "coffee", "training", "meeting")

router = APIRouter(include_in_schema=False)
_templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]),
                         trim_blocks=True, lstrip_blocks=True)


def mount(app: FastAPI) -> None:
    """Add the pages and their static files to the app (outside /api/v1)."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="web-static")


def page_language(request: Request) -> str:
    """The reader's choice (the switch's cookie), else the browser's Accept-Language."""
    chosen = request.cookies.get(LANG_COOKIE, "")
    return chosen if chosen in SUPPORTED else language_of(request.headers.get("accept-language"))


def _strings(lang: str) -> Markup:
    """The ``web.`` texts for the page's scripts, as JSON safe inside a non-executable
    ``<script type="application/json">`` (CSP does not run it; ``<`` cannot close it)."""
    texts = {k: v for k, v in CATALOGUE[lang].items() if k.startswith("web.")}
    return Markup(json.dumps(texts, ensure_ascii=False).replace("<", "\\u003c").replace("&", "\\u0026"))


def _render(request: Request, template: str, **context: Any) -> HTMLResponse:
    lang = page_language(request)

    def t(key: str, **params: Any) -> str:
        return translate(key, lang, **params)

    html = _templates.get_template(template).render(t=t, lang=lang, strings=_strings(lang), version=__version__,
                                                    path=request.url.path, **context)
    return HTMLResponse(html, headers=SECURITY_HEADERS)


async def _caller(request: Request) -> Principal | None:
    secret = cookie_value(request.headers.get("cookie"), SESSION_COOKIE)
    if not secret:
        return None
    sessions = request.app.state.hub.sessions

    def look_up() -> Principal | None:
        with sessions() as session:
            return account_queries.principal_from_session(session, secret)

    return await anyio.to_thread.run_sync(look_up)


@router.get("/")
async def login_page(request: Request) -> Response:
    if await _caller(request) is not None:
        return RedirectResponse("/desktop", status_code=303)
    return _render(request, "login.html")


@router.get("/desktop")
async def desktop(request: Request, project: str | None = None) -> Response:
    caller = await _caller(request)
    if caller is None:
        return RedirectResponse("/", status_code=303)
    projects = sorted(caller.operator_ids)
    chosen = project if project in caller.operator_ids else (projects[0] if projects else None)
    return _render(request, "desktop.html", user=caller.name, projects=projects, project=chosen,
                   operator_id=caller.operator_ids.get(chosen) if chosen else None,
                   break_reasons=BREAK_REASONS, contact_types=CONTACT_TYPES)


@router.get("/lang/{code}")
def choose_language(code: str, back: str = "/") -> Response:
    """Remember the reader's language for a year and go back to the page (same site only)."""
    target = back if back.startswith("/") and not back.startswith("//") else "/"
    response = RedirectResponse(target, status_code=303)
    if code in SUPPORTED:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, samesite="lax", path="/")
    return response
