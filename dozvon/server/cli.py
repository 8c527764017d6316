"""``dozvon serve``, ``dozvon init`` and ``dozvon demo``."""

from __future__ import annotations

import gc
import os
import signal
import sys
import threading
import time
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dozvon.core.i18n import h, translate

if TYPE_CHECKING:
    import uvicorn

    from dozvon.core.settings import Settings

HostOption = Annotated[str | None, typer.Option("--host", help=h(
    "Address to listen on (default: DOZVON_HOST or 127.0.0.1).",
    "Адрес для приёма подключений (по умолчанию DOZVON_HOST или 127.0.0.1)."))]
PortOption = Annotated[int | None, typer.Option("--port", min=1, max=65535, help=h(
    "Port (default: DOZVON_PORT or 8000).", "Порт (по умолчанию DOZVON_PORT или 8000)."))]

SipListenOption = Annotated[str | None, typer.Option("--sip-listen", metavar="HOST:PORT", help=h(
    "Take calls over SIP (UDP) on this address (default: DOZVON_SIP_LISTEN; empty: no SIP).",
    "Принимать звонки по SIP (UDP) на этом адресе (по умолчанию DOZVON_SIP_LISTEN; пусто — без SIP)."))]
SipTrunkOption = Annotated[str | None, typer.Option("--sip-trunk", metavar="HOST:PORT", help=h(
    "The SIP trunk or PBX outbound calls go through (default: DOZVON_SIP_TRUNK).",
    "SIP-транк или АТС для исходящих звонков (по умолчанию DOZVON_SIP_TRUNK)."))]
SipAllowOption = Annotated[str | None, typer.Option("--sip-allow", metavar="ADDRESSES", help=h(
    "Addresses or networks allowed to send SIP, comma-separated (default: DOZVON_SIP_ALLOWED_PEERS, "
    "else the trunk and loopback); others are answered 403.",
    "Адреса или сети, которым можно слать SIP, через запятую (по умолчанию DOZVON_SIP_ALLOWED_PEERS, "
    "иначе транк и loopback); остальным — 403."))]


def _settings(host: str | None = None, port: int | None = None, sip_listen: str | None = None,
              sip_trunk: str | None = None, sip_allow: str | None = None) -> Settings:
    """Settings from the environment and .env, with the command line's options on top."""
    from dozvon.core.settings import Settings

    settings = Settings()
    if host:
        settings.host = host
    if port:
        settings.port = port
    if sip_listen is not None:
        settings.sip_listen = sip_listen
    if sip_trunk is not None:
        settings.sip_trunk = sip_trunk
    if sip_allow is not None:
        settings.sip_allowed_peers = sip_allow
    return settings


def _uvicorn(app: Any, host: str, port: int, log_level: str = "info") -> uvicorn.Server:
    import uvicorn

    config = uvicorn.Config(app, host=host, port=port, log_level=log_level,
                            access_log=log_level in ("debug", "info"), proxy_headers=True,
                            ws="websockets-sansio", lifespan="on")
    return uvicorn.Server(config)


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


#: The cyclic garbage collector's thresholds in a serving process (CPython's: 700, 10, 10).
SERVE_GC_THRESHOLD = (50_000, 20, 20)


def _tune_collector() -> None:
    """A server keeps a large, long-lived heap (the engines' contacts, caches, sockets) and
    makes many short-lived objects per request. With CPython's default thresholds the full
    collection ran every second or two under load, walking the whole heap for 70–110 ms at a
    time with every thread stopped, and mostly found nothing to free (bench_server.py at
    500 contacts/s: 19 full collections, 1.5 s, in half a minute; with these thresholds one).
    Rarer young collections make full ones rare. Reference counting still frees at once
    whatever is not in a cycle. (``gc.freeze()`` was tried and made full collections more
    frequent: frozen objects no longer count towards the quarter of the heap that must be
    new before a full collection runs.)"""
    gc.set_threshold(*SERVE_GC_THRESHOLD)


#: Seconds a thread waiting for the interpreter's lock lets the holder run before asking
#: for it (CPython's default is 5 ms).
SERVE_SWITCH_INTERVAL_S = 0.001


def _tune_switching() -> None:
    """The server's event loop and its ingest thread share the interpreter's lock: after each
    of a batch's round trips to the database the ingest thread waits for it while the loop
    parses requests and writes answers, up to the switch interval when the loop does not
    let go first. Measured by alternating the interval every 1.5 s within one run of
    ``bench_server.py`` (64 connections of new contacts, each window's rate from the
    server's trace): at 1 ms against 5, 6 % more contacts a second on average, faster in 15
    of 25 pairs of windows (two runs); at 0.5 ms, 4 %, faster in 11 of 15. It made no clear
    difference at 256 connections (+1 %, faster in 4 of 10), in the chat phase (+5 % on
    average, faster in only 8 of 14), at 500 contacts/s (the server's part of ingest →
    offer: p50 7.5 ms both, p99 18.5 against 17.7 ms) or on SQLite. 0.2 ms, measured
    earlier, was slower: the threads then hand the lock over more often than they need it."""
    sys.setswitchinterval(SERVE_SWITCH_INTERVAL_S)


def serve(host: HostOption = None, port: PortOption = None, sip_listen: SipListenOption = None,
          sip_trunk: SipTrunkOption = None, sip_allow: SipAllowOption = None) -> None:
    """Run the server (HTTP API, WebSocket, metrics, and calls with --sip-listen) on DATABASE_URL."""
    from dozvon.cli import reported_errors
    from dozvon.core.db import upgrade
    from dozvon.server.app import create_app

    with reported_errors():
        settings = _settings(host=host, port=port, sip_listen=sip_listen, sip_trunk=sip_trunk, sip_allow=sip_allow)
        upgrade(settings.resolved_database_url())
        app = create_app(settings)
    _tune_collector()
    _tune_switching()
    _uvicorn(app, settings.host, settings.port, settings.log_level).run()


def init(
    admin: Annotated[str | None, typer.Option("--admin", help=h("First administrator's user name.",
                                                                "Имя первого администратора."))] = None,
    password: Annotated[str | None, typer.Option("--password", envvar="DOZVON_ADMIN_PASSWORD", help=h(
        "Their password (asked for when omitted).", "Его пароль (будет запрошен, если не указан)."))] = None,
    project: Annotated[str | None, typer.Option("--project", help=h(
        "Also create this project (tenant) with the admin in it.",
        "Также создать этот проект (клиента) с администратором в нём."))] = None,
    project_name: Annotated[str | None, typer.Option("--project-name", help=h("Its display name.",
                                                                              "Его название."))] = None,
) -> None:
    """Create the database and the first administrator (interactively or by flags)."""
    from dozvon.accounts import actions as accounts
    from dozvon.cli import console, reported_errors
    from dozvon.core.db import get_engine, session_factory, upgrade

    settings = _settings()
    url = settings.resolved_database_url()
    if admin is None:
        admin = typer.prompt(h("Administrator's user name", "Имя администратора"), default="admin")
    if password is None:
        password = typer.prompt(h("Password", "Пароль"), hide_input=True, confirmation_prompt=True)
    with reported_errors():
        upgrade(url)
        with session_factory(get_engine(url)).begin() as session:
            accounts.create_user(session, "init", admin, password, superadmin=True)
            if project:
                accounts.create_project(session, admin, project, project_name or project)
                accounts.set_membership(session, admin, project, admin, "admin")
    console.print(translate("server.initialised", url=url, admin=admin))


def demo(host: HostOption = None, port: PortOption = None,
         duration: Annotated[float | None, typer.Option("--duration", min=1, help=h(
             "Stop after this many seconds (default: run until Ctrl+C).",
             "Остановиться через столько секунд (по умолчанию — до Ctrl+C)."))] = None,
         rate: Annotated[float, typer.Option("--every", min=0.05, help=h(
             "Mean seconds between demo customers.", "Среднее число секунд между демо-клиентами."))] = 4.0,
         no_bots: Annotated[bool, typer.Option("--no-bots", help=h(
             "Neither bot operators nor generated customers: people (or a test) play every role.",
             "Без ботов-операторов и сгенерированных клиентов: все роли играют люди (или тест)."))] = False,
         sip_listen: SipListenOption = None, sip_trunk: SipTrunkOption = None,
         sip_allow: SipAllowOption = None) -> None:
    """The server with a demo project and demo customers, and a live wallboard in the terminal."""
    from rich.live import Live

    from dozvon.cli import console, reported_errors
    from dozvon.core.db import upgrade
    from dozvon.demo.seed import PROJECT, seed_demo
    from dozvon.demo.shop import mount_shop
    from dozvon.demo.traffic import DemoTraffic, register_demo_channels
    from dozvon.demo.wallboard import render, summary_line
    from dozvon.server.app import create_app

    with reported_errors():
        settings = _settings(host=host, port=port, sip_listen=sip_listen, sip_trunk=sip_trunk, sip_allow=sip_allow)
        if not settings.database_url:
            settings.database_url = f"sqlite:///{settings.data_dir / 'demo.db'}"
        upgrade(settings.resolved_database_url())
        app = create_app(settings)
        mount_shop(app)  # /demo/shop: a made-up store with the widget on it
        hub = app.state.hub
        created = seed_demo(hub)
    server = _uvicorn(app, settings.host, settings.port, "warning")
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            console.print(translate("server.no_start", host=settings.host, port=settings.port))
            raise typer.Exit(2)
        time.sleep(0.05)
    base = f"http://{settings.host}:{settings.port}"
    urls = [translate("server.demo_desktop", url=f"{base}/"),
            translate("server.demo_shop", url=f"{base}/demo/shop"),
            translate("server.demo_urls", api=f"{base}/docs", metrics=f"{base}/metrics",
                      wallboard=f"{base}/wallboard"),
            translate("server.demo_users_no_bots" if no_bots else "server.demo_users"),
            translate("server.demo_db", url=settings.resolved_database_url())]
    if app.state.voice.sip_port is not None:
        urls.append(translate("server.demo_sip", address=f"{app.state.voice.listen[0]}:{app.state.voice.sip_port}"))
    if created:
        urls.append(translate("server.demo_created"))
    register_demo_channels()
    traffic = DemoTraffic(hub.service(PROJECT), interarrival_s=rate, identity=hub.identity)
    worker = threading.Thread(target=traffic.run, name="demo-traffic", daemon=True)
    if not no_bots:
        worker.start()
    deadline = time.monotonic() + duration if duration else None
    signal.signal(signal.SIGTERM, _stop_on_sigterm)  # `kill`/systemd: stop as cleanly as Ctrl+C
    try:
        if sys.stdout.isatty() and not os.environ.get("DOZVON_PLAIN"):
            with Live(render(hub, PROJECT, urls), console=console, refresh_per_second=2, screen=False) as live:
                while deadline is None or time.monotonic() < deadline:
                    time.sleep(1)
                    live.update(render(hub, PROJECT, urls))
        else:
            for line in urls:
                console.print(line)
            last = 0.0
            while deadline is None or time.monotonic() < deadline:
                time.sleep(0.5)
                if time.monotonic() - last >= 10:
                    console.print(summary_line(hub, PROJECT))
                    last = time.monotonic()
            console.print(summary_line(hub, PROJECT))
    except KeyboardInterrupt:
        pass
    finally:
        traffic.stop.set()
        if worker.is_alive():
            worker.join(5)
        server.should_exit = True
        thread.join(10)
