"""The ASGI application: routers, the gate, error answers, health, metrics, lifespan.

FastAPI on Starlette/uvicorn: typed request bodies validated by Pydantic (field-level
errors for free), OpenAPI generated from the same types, WebSockets in the same app,
and synchronous handlers in a thread pool — the routing engine and SQLAlchemy stay
synchronous and simple.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from http import HTTPStatus
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from dozvon import __version__
from dozvon.analytics import facts as kpi_facts
from dozvon.channels import email as email_channel
from dozvon.channels.telegram.mount import mount as mount_telegram
from dozvon.core.clock import Clock
from dozvon.core.db import get_engine
from dozvon.core.errors import DozvonError
from dozvon.core.i18n import translate
from dozvon.core.settings import Settings, get_settings
from dozvon.integrations.sender import WebhookSender
from dozvon.quality.worker import QualityWorker
from dozvon.server import followers
from dozvon.server.api import (
    accounts,
    auth,
    channels,
    conversations,
    customers,
    directory,
    email,
    evaluations,
    files,
    forms,
    hooks,
    ingest,
    knowledge,
    observe,
    orders,
    outbox,
    quality,
    replies,
    routing,
    segments,
    stream,
    tasks,
    voice,
    webhooks,
)
from dozvon.server.fastpath import IngestFastPath
from dozvon.server.gate import API_PREFIX, ApiGate, gated_routes, make_authenticator
from dozvon.server.hub import Hub
from dozvon.server.i18n import language_of
from dozvon.voice.service import VoiceService
from dozvon.web.routes import mount as mount_web
from dozvon.widget.mount import mount as mount_widget


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None,
           **extra: Any) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, **extra}}, status_code=status,
                        headers=headers)


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    return ".".join(parts[1:] if parts and parts[0] in ("body", "query", "path") else parts) or "body"


class _RefusedWebSocketFilter(logging.Filter):
    """uvicorn's sans-I/O WebSocket protocol logs an error when an app refuses a handshake
    with an HTTP response (the ASGI denial-response extension, which the gate uses for 401
    and 403) — a refusal is not an error, so that line is dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "returned without completing handshake" not in record.getMessage()


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or get_settings()
    db = get_engine(settings.resolved_database_url(), echo=settings.sql_echo)
    hub = Hub(db, clock)
    mailboxes = email_channel.start(hub)  # the e-mail channel: replies over SMTP, a worker per mailbox
    phones = VoiceService(hub, settings)  # calls: SIP (with --sip-listen), softphones, recordings
    webhook_sender = WebhookSender(db, hub.sessions, hub.clock, settings)
    uvicorn_log = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _RefusedWebSocketFilter) for f in uvicorn_log.filters):
        uvicorn_log.addFilter(_RefusedWebSocketFilter())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await anyio.to_thread.run_sync(hub.load_all)
        telegram.start()  # the bots: long polling, webhooks
        await anyio.to_thread.run_sync(phones.start)
        gc.collect()
        gc.freeze()  # the loaded state is long-lived: keep the cyclic GC from rescanning it
        loops = [asyncio.create_task(hub.run_timers()), asyncio.create_task(hub.run_outbox()),
                 asyncio.create_task(hub.run_maintenance()), asyncio.create_task(hub.run_task_alarms()),
                 asyncio.create_task(webhook_sender.run(hub.taps))]
        loops.append(asyncio.create_task(mailboxes.run()))  # the mailbox workers
        loops.append(asyncio.create_task(phones.run_retention()))  # recordings past their line's retention
        if hub.db.dialect.name == "postgresql":  # the ingest's look-ups planned on current statistics
            loops.append(asyncio.create_task(hub.run_planner_statistics()))
        # The log's followers that need no engine: the checks of closed conversations, the
        # contact types suggested, the KPI projection folded after commit.
        if followers.wanted(settings.followers, hub.db.dialect.name, clock is not None):
            app.state.followers = followers.FollowerProcess(hub, settings.resolved_database_url())
            loops.append(asyncio.create_task(app.state.followers.run()))
        else:
            loops.append(asyncio.create_task(QualityWorker(hub).run()))
            loops.append(asyncio.create_task(kpi_facts.run(hub.db)))
        try:
            yield
        finally:
            telegram.stop()
            await anyio.to_thread.run_sync(phones.stop)
            for loop in loops:
                loop.cancel()
            for loop in loops:
                with suppress(asyncio.CancelledError):
                    await loop

    # FastAPI's own OpenTelemetry hooks are off: Dozvon exports Prometheus metrics (/metrics),
    # and asking OpenTelemetry whether it is configured cost 5 % of the server's CPU at load.
    app = FastAPI(title="Dozvon", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  telemetry={"tracing": False, "metrics": False, "logs": False},
                  description="Omnichannel contact center API. Everything under /api/v1 needs a "
                              "session cookie (POST /auth/login) or an API token (Authorization: Bearer).")
    app.state.hub = hub
    app.state.settings = settings
    app.state.webhooks = webhook_sender
    app.state.voice = phones
    app.state.followers = None  # the follower process, when the server runs one (server.followers)
    # The ingest first: a request is matched against the routes in order, and the ingest is
    # what arrives by the thousand a second (its paths are its own: it shadows nothing).
    modules = (ingest, accounts, routing, conversations, customers, orders, tasks, segments, directory, replies,
               knowledge, channels, email, files, forms, webhooks, outbox, observe, stream, voice, evaluations, quality)
    api = [(API_PREFIX, module.router) for module in modules]
    for prefix, router in api:
        app.include_router(router, prefix=prefix)
    app.include_router(auth.router)
    app.include_router(hooks.router)  # forms' requests: signed by the form's secret, outside the gate
    mount_web(app)  # the pages: / (log in), /desktop; their files under /static
    app.add_middleware(IngestFastPath)  # inside the gate: the caller is already authorised
    app.add_middleware(ApiGate, routes=gated_routes(api), authenticate=make_authenticator(hub.sessions))

    install_error_answers(app)
    mount_widget(app, hub)  # /widget.js and the widget's public API under /widget
    telegram = mount_telegram(app, hub)  # the telegram channel, its adapter and /hooks/telegram/{bot}
    _serve_docs(app)

    @app.get("/healthz", tags=["ops"], summary="Alive")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["ops"], summary="Database reachable and every engine loaded")
    def readyz() -> Response:
        try:
            with db.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as error:
            return _error(503, "ops.database_unreachable", str(error).splitlines()[0])
        if not hub.loaded:
            return _error(503, "ops.loading", "engines are loading")
        return JSONResponse({"status": "ready", "projects": hub.project_count()})

    @app.get("/metrics", tags=["ops"], summary="Prometheus metrics")
    def metrics() -> Response:
        return Response(hub.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")

    return app


def install_error_answers(app: FastAPI) -> None:
    """Every error as ``{"error": {code, message, …}}`` in the caller's language, never a
    stack trace (the main app and the widget's public sub-app alike)."""

    @app.exception_handler(DozvonError)
    async def dozvon_error(request: Request, error: DozvonError) -> JSONResponse:
        lang = language_of(request.headers.get("accept-language"))
        message = error.message(lang)
        extra: dict[str, Any] = {"params": _plain(error.params)}
        if isinstance(error.params.get("field"), str):  # the same shape as a validation error's
            extra["fields"] = [{"field": error.params["field"], "message": message, "type": error.code}]
        return _error(error.status_code, error.code, message, headers=getattr(error, "headers", None), **extra)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        lang = language_of(request.headers.get("accept-language"))
        fields = [_field_error(e, error.body, lang) for e in error.errors()]
        summary = "; ".join(f"{f['field']}: {f['message']}" for f in fields[:5])
        return _error(422, "api.invalid_input", translate("api.invalid_input", lang, details=summary),
                      fields=fields)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        # Starlette's and FastAPI's own errors (no such path, method not allowed, a body
        # that cannot be read) in our shape and language instead of {"detail": "Not Found"}.
        return _http_error(request, error, language_of(request.headers.get("accept-language")))

    @app.exception_handler(DataError)
    async def unstorable(request: Request, error: DataError) -> JSONResponse:
        # The database refused a value the schema let through (a NUL character, a number
        # out of its range): the transaction was rolled back, nothing was written.
        lang = language_of(request.headers.get("accept-language"))
        reason = str(error.orig).splitlines()[0] if error.orig else ""
        return _error(422, "api.unstorable", translate("api.unstorable", lang, reason=reason))

    @app.exception_handler(OperationalError)
    async def database_down(request: Request, error: OperationalError) -> JSONResponse:
        # The database is unreachable or refused the connection: nothing was stored, and
        # the caller (an adapter) should retry — ingest is idempotent.
        lang = language_of(request.headers.get("accept-language"))
        reason = str(error.orig).splitlines()[0] if error.orig else ""
        return _error(503, "api.database_unavailable", translate("api.database_unavailable", lang, reason=reason))


#: Python's JSON parser's complaints, by message key (so that they can be read in Russian).
_JSON_REASONS = {
    "Expecting value": "json.expecting_value",
    "Expecting ',' delimiter": "json.expecting_comma",
    "Expecting ':' delimiter": "json.expecting_colon",
    "Expecting property name enclosed in double quotes": "json.expecting_name",
    "Extra data": "json.extra_data",
    "Unterminated string starting at": "json.unterminated_string",
    "Invalid control character at": "json.control_character",
    "Invalid \\escape": "json.bad_escape",
}


def _field_error(error: Any, body: Any, lang: str) -> dict[str, Any]:
    """One entry of a 422's ``fields``; malformed JSON names its line and column (FastAPI
    gives the character offset), not a field."""
    loc = tuple(error.get("loc", ()))
    if error.get("type") == "json_invalid" and loc and isinstance(loc[-1], int) and isinstance(body, str):
        offset = min(loc[-1], len(body))
        line = body.count("\n", 0, offset) + 1
        column = offset - body.rfind("\n", 0, offset)
        reason = str((error.get("ctx") or {}).get("error", ""))
        reason = translate(_JSON_REASONS[reason], lang) if reason in _JSON_REASONS else reason
        return {"field": "body", "type": "json_invalid", "line": line, "column": column,
                "message": translate("api.malformed_json", lang, line=line, column=column, reason=reason)}
    return {"field": _field(loc), "message": error.get("msg", ""), "type": error.get("type")}


def _http_error(request: Request, error: StarletteHTTPException, lang: str) -> JSONResponse:
    status, method, path = error.status_code, request.method, request.url.path
    headers = dict(error.headers or {})
    params: dict[str, Any]
    if status == 404:
        code, params = "api.not_found", {"method": method, "path": path}
    elif status == 405:
        allowed = headers.get("Allow") or headers.get("allow") or "—"
        code, params = "api.method_not_allowed", {"method": method, "path": path, "allowed": allowed}
    elif status == 400 and isinstance(error.__cause__, UnicodeDecodeError):  # FastAPI could not read the body
        cause = error.__cause__
        code, params = "api.body_not_utf8", {"byte": cause.object[cause.start:cause.start + 1].hex(),
                                             "position": cause.start}
    elif status == 400 and error.__cause__ is not None:
        reason = str(error.__cause__).splitlines()[0] if str(error.__cause__) else type(error.__cause__).__name__
        code, params = "api.bad_body", {"reason": reason}
    else:
        phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
        detail = f": {error.detail}" if error.detail and error.detail != phrase else ""
        code, params = "api.http_error", {"status": status, "phrase": phrase, "detail": detail}
    return _error(status, code, translate(code, lang, **params), headers=headers or None)


#: Where /docs and /redoc load their scripts and styles from: files of the fastapi-offline
#: package (Swagger UI 5 and ReDoc), served by us — no CDN, so the pages work offline.
DOCS_ASSETS = "/docs/assets"


def _serve_docs(app: FastAPI) -> None:
    app.mount(DOCS_ASSETS, StaticFiles(packages=[("fastapi_offline", "static")]), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(openapi_url=root + openapi_url, title=f"{app.title} — API",
                                   swagger_js_url=f"{root}{DOCS_ASSETS}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{root}{DOCS_ASSETS}/swagger-ui.css",
                                   swagger_favicon_url=f"{root}{DOCS_ASSETS}/favicon.png",
                                   swagger_ui_parameters={"validatorUrl": None})

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(openapi_url=root + openapi_url, title=f"{app.title} — API",
                              redoc_js_url=f"{root}{DOCS_ASSETS}/redoc.standalone.js",
                              redoc_favicon_url=f"{root}{DOCS_ASSETS}/favicon.png", with_google_fonts=False)


def _plain(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v if isinstance(v, (str, int, float, bool, type(None))) else str(v) for k, v in params.items()}
