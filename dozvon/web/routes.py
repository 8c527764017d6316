"""The pages: ``/`` (log in), ``/desktop`` (the operator's workplace), the supervisor's
``/wallboard``, ``/reports`` and ``/supervise``, the administrator's ``/settings``
(:mod:`dozvon.web.admin`), and ``/lang/{code}`` (the reader's choice
of language, kept in a cookie). Pages are rendered here; what they
do, they do in the browser through the JSON API and the WebSocket, like any client.

Every page carries a strict Content-Security-Policy: scripts and styles only from our own
files, so text that slipped into the page as HTML still could not run."""

from __future__ import annotations

import importlib.resources
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import anyio.to_thread
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy import select

from dozvon import __version__
from dozvon.accounts import queries as account_queries
from dozvon.accounts.models import Project
from dozvon.accounts.permissions import Principal
from dozvon.core.i18n import CATALOGUE, SUPPORTED, translate
from dozvon.routing.model import CONTACT_TYPES
from dozvon.server.gate import SESSION_COOKIE, cookie_value
from dozvon.server.i18n import language_of
from dozvon.web import (
    messages,  # noqa: F401  (registers the web.* texts)
    messages_admin,  # noqa: F401  (the admin pages' web.* texts)
    messages_channels,  # noqa: F401  (the channels and webhooks pages' web.* texts)
    messages_knowledge,  # noqa: F401  (the knowledge box's and page's web.* texts)
    messages_supervisor,  # noqa: F401  (the supervisor pages' web.* texts)
)

HERE = Path(__file__).parent
LANG_COOKIE = "dozvon_lang"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self' ws: wss:; "
       "img-src 'self' data:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
SECURITY_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
                    "Referrer-Policy": "same-origin", "Cache-Control": "no-store"}

router = APIRouter(include_in_schema=False)
_templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]),
                         trim_blocks=True, lstrip_blocks=True)


def mount(app: FastAPI) -> None:
    """Add the pages and their static files to the app (outside /api/v1)."""
    from dozvon.web import admin, admin_channels, quality_pages  # they build on this module's helpers

    app.include_router(router)
    app.include_router(admin.router)
    app.include_router(admin_channels.router)
    app.include_router(quality_pages.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="web-static")


def page_language(request: Request) -> str:
    """The reader's choice (the switch's cookie), else the browser's Accept-Language."""
    chosen = request.cookies.get(LANG_COOKIE, "")
    return chosen if chosen in SUPPORTED else language_of(request.headers.get("accept-language"))


def _strings(lang: str, extra: dict[str, str] | None = None) -> Markup:
    """The ``web.`` texts for the page's scripts, as JSON safe inside a non-executable
    ``<script type="application/json">`` (CSP does not run it; ``<`` cannot close it);
    ``extra``: the project's own texts (its break reasons' labels) over the catalogue's."""
    texts = {k: v for k, v in CATALOGUE[lang].items() if k.startswith("web.")}
    texts.update(extra or {})
    return Markup(json.dumps(texts, ensure_ascii=False).replace("<", "\\u003c").replace("&", "\\u0026"))


def _render(request: Request, template: str, extra_strings: dict[str, str] | None = None,
            **context: Any) -> HTMLResponse:
    """``path`` (where the project switch and the language links lead) is this page's own
    unless the context names another (a queue's page switches to the other project's queues)."""
    lang = page_language(request)

    def t(key: str, **params: Any) -> str:
        return translate(key, lang, **params)

    context.setdefault("path", request.url.path)
    html = _templates.get_template(template).render(t=t, lang=lang, strings=_strings(lang, extra_strings),
                                                    version=__version__, **context)
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


@dataclass(frozen=True)
class NavItem:
    href: str
    label: str
    current: bool


#: The supervisor's pages: the permission each needs in a project.
PAGE_PERMISSIONS = {"/wallboard": "reports:read", "/reports": "reports:read", "/supervise": "conversations:manage",
                    "/quality": "quality:evaluate"}
#: The settings (dozvon.web.admin): any one of these in a project opens its part of them.
SETTINGS_PERMISSIONS = ("project:manage", "members:manage", "operators:manage", "queues:manage", "settings:manage")
_NAV = (("/desktop", "web.nav.desktop"), ("/my-quality", "web.nav.my_quality"), ("/wallboard", "web.nav.wallboard"),
        ("/reports", "web.nav.reports"), ("/supervise", "web.nav.supervise"), ("/quality", "web.nav.quality"),
        ("/settings", "web.nav.settings"))
KPI_PERIODS = ("15min", "hour", "day", "week", "month", "all")
KPI_CUTS = ("queue", "operator", "channel", "source", "segment")


def nav(caller: Principal, here: str) -> list[NavItem]:
    """The pages this person may open (only those): the operator's desktop where they are
    an operator, the supervisor's pages where they hold the permission in some project."""
    items = []
    for href, label in _NAV:
        if href == "/my-quality" and here == "/desktop":
            continue  # the desktop's top bar is full: its link belongs in the status bar (desktop.html)
        permission = PAGE_PERMISSIONS.get(href)
        if href == "/settings":
            allowed = caller.superadmin or any(p in granted for granted in caller.grants.values()
                                               for p in SETTINGS_PERMISSIONS)
        elif permission is None:
            allowed = bool(caller.operator_ids)
        else:
            allowed = caller.superadmin or any(permission in granted for granted in caller.grants.values())
        if allowed:
            items.append(NavItem(href, label, here == href or here.startswith(href + "/")))
    return items


async def _projects_where(request: Request, caller: Principal, permission: str) -> list[str]:
    """The projects where the caller holds ``permission`` (a superadmin: every project)."""
    if not caller.superadmin:
        return sorted(p for p, granted in caller.grants.items() if permission in granted)
    sessions = request.app.state.hub.sessions

    def every_project() -> list[str]:
        with sessions() as session:
            return list(session.scalars(select(Project.slug).order_by(Project.slug)))

    return await anyio.to_thread.run_sync(every_project)


async def _supervisor_page(request: Request, here: str, project: str | None
                           ) -> tuple[Principal, list[str], str] | Response:
    """Who may open this page, for which project — or the answer for those who may not:
    the login page for strangers, a polite refusal (403) for people without the right."""
    caller = await _caller(request)
    if caller is None:
        return RedirectResponse("/", status_code=303)
    projects = await _projects_where(request, caller, PAGE_PERMISSIONS[here])
    if not projects:
        response = _render(request, "supervisor_refused.html", user=caller.name, nav=nav(caller, here),
                           page_title=f"web.nav.{here.strip('/')}")
        response.status_code = 403
        return response
    return caller, projects, project if project in projects else projects[0]


@router.get("/wallboard")
async def wallboard_page(request: Request, project: str | None = None, tv: str | None = None) -> Response:
    allowed = await _supervisor_page(request, "/wallboard", project)
    if isinstance(allowed, Response):
        return allowed
    caller, projects, chosen = allowed
    reasons, labels = await break_reasons(request, chosen)
    return _render(request, "wallboard.html", labels, user=caller.name, nav=nav(caller, "/wallboard"),
                   projects=projects, project=chosen, tv=tv == "1", break_reasons=reasons,
                   can_manage=caller.can("operators:manage", chosen), can_stream=caller.can("events:read", chosen),
                   can_supervise=caller.can("conversations:manage", chosen))


async def break_reasons(request: Request, project: str | None) -> tuple[list[dict[str, str]], dict[str, str]]:
    """The project's break reasons for a page — ``[{code, label}]`` in the reader's language
    — and the same labels as ``web.break.<code>`` texts, so that the page's scripts name a
    reason the project made up as the project named it."""
    if project is None:
        return [], {}
    lang, sessions = page_language(request), request.app.state.hub.sessions

    def read() -> list[dict[str, str]]:
        with sessions() as session:
            return [{"code": r.code, "label": account_queries.break_reason_label(r, lang)}
                    for r in account_queries.break_reasons(session, project)]

    reasons = await anyio.to_thread.run_sync(read)
    return reasons, {f"web.break.{r['code']}": r["label"] for r in reasons}


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@router.get("/reports")
async def reports_page(request: Request, project: str | None = None, since: str | None = None,
                       to: str | None = None, period: str = "day", by: str = "") -> Response:
    allowed = await _supervisor_page(request, "/reports", project)
    if isinstance(allowed, Response):
        return allowed
    caller, projects, chosen = allowed
    sessions = request.app.state.hub.sessions

    def timezone() -> str:
        with sessions() as session:
            return account_queries.get_project(session, chosen).timezone

    tz = await anyio.to_thread.run_sync(timezone)
    today = datetime.now(ZoneInfo(tz)).date()
    last = _day(to) or today
    first = _day(since) or last - timedelta(days=6)
    if first > last:
        first, last = last, first
    return _render(request, "reports.html", user=caller.name, nav=nav(caller, "/reports"), projects=projects,
                   project=chosen, timezone=tz, since=first.isoformat(), to=last.isoformat(),
                   period=period if period in KPI_PERIODS else "day", by=by if by in KPI_CUTS else "",
                   periods=KPI_PERIODS, cuts=KPI_CUTS)


@router.get("/supervise")
async def supervise_page(request: Request, project: str | None = None, conversation: str | None = None) -> Response:
    allowed = await _supervisor_page(request, "/supervise", project)
    if isinstance(allowed, Response):
        return allowed
    caller, projects, chosen = allowed
    return _render(request, "supervise.html", user=caller.name, nav=nav(caller, "/supervise"), projects=projects,
                   project=chosen, conversation=conversation or "")


@router.get("/static/vendor/plotly.min.js")
def plotly_js() -> Response:
    """plotly.js as the pinned ``plotly`` package ships it (never a copy in the repository,
    never a CDN): the reports page draws its charts with it."""
    bundled = importlib.resources.files("plotly") / "package_data" / "plotly.min.js"
    return FileResponse(str(bundled), media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"})


def home(caller: Principal) -> str:
    """Where a person starts: the desktop for operators, else the first page they may open
    (a supervisor's wallboard), else the desktop, which explains they are not an operator."""
    if caller.operator_ids:
        return "/desktop"
    pages = nav(caller, "")
    return pages[0].href if pages else "/desktop"


@router.get("/")
async def login_page(request: Request) -> Response:
    caller = await _caller(request)
    if caller is not None:
        return RedirectResponse(home(caller), status_code=303)
    return _render(request, "login.html")


@router.get("/desktop")
async def desktop(request: Request, project: str | None = None) -> Response:
    caller = await _caller(request)
    if caller is None:
        return RedirectResponse("/", status_code=303)
    if not caller.operator_ids and home(caller) != "/desktop":
        return RedirectResponse(home(caller), status_code=303)
    projects = sorted(caller.operator_ids)
    chosen = project if project in caller.operator_ids else (projects[0] if projects else None)
    reasons, labels = await break_reasons(request, chosen)
    return _render(request, "desktop.html", labels, user=caller.name, nav=nav(caller, "/desktop"),
                   projects=projects, project=chosen, operator_id=caller.operator_ids.get(chosen) if chosen else None,
                   break_reasons=reasons, contact_types=CONTACT_TYPES,
                   can_lift=bool(chosen) and caller.can("customers:manage", chosen),
                   can_assign=bool(chosen) and caller.can("tasks:manage", chosen))


@router.get("/lang/{code}")
def choose_language(code: str, back: str = "/") -> Response:
    """Remember the reader's language for a year and go back to the page (same site only)."""
    target = back if back.startswith("/") and not back.startswith("//") else "/"
    response = RedirectResponse(target, status_code=303)
    if code in SUPPORTED:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, samesite="lax", path="/")
    return response
