"""Wiring the widget into the server: its script at ``/widget.js`` (pinned), its public API
as a sub-application under ``/widget`` (its own CORS and error answers, outside the staff
API's login gate), the chat channel's adapter, and the hub's tap to visitors."""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import Response

from dozvon import __version__
from dozvon.channels.registry import registry
from dozvon.server.hub import Hub
from dozvon.widget import api, calls, stream
from dozvon.widget.adapter import WidgetAdapter
from dozvon.widget.ratelimits import Limits

#: The widget's script, read once: it is served on every page view of every site using it.
_SCRIPT = (resources.files("dozvon.widget") / "static" / "widget.js").read_bytes()


def use_widget_for_chat() -> WidgetAdapter:
    """Make the widget the chat channel's adapter (keeping an in-process adapter that was
    there, for chat conversations the widget did not start)."""
    current = registry.get("chat").adapter
    if isinstance(current, WidgetAdapter):
        return current
    adapter = WidgetAdapter(others=current if current.pushes else None)
    registry.register("chat", registry.get("chat").bucket, adapter)
    return adapter


def mount(app: FastAPI, hub: Hub) -> None:
    from dozvon.server.app import install_error_answers  # the app imports this module

    public = FastAPI(title="Dozvon widget", version=__version__, docs_url=None, redoc_url=None,
                     openapi_url=None)
    public.state.hub = hub
    public.state.voice = getattr(app.state, "voice", None)  # the "call us" button's calls
    public.state.limits = Limits()
    public.include_router(api.router)
    public.include_router(stream.router)
    public.include_router(calls.router)
    # Any site may call it (unless the project lists its sites: checked per request);
    # no cookies are read, so no credentials are allowed.
    public.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "POST"],
                          allow_headers=["authorization", "content-type", "accept-language"], max_age=600)
    install_error_answers(public)
    app.mount("/widget", public, name="widget")
    hub.taps.append(stream.tap(hub))
    use_widget_for_chat()

    @app.get("/widget.js", include_in_schema=False)
    def widget_script() -> Response:
        return Response(_SCRIPT, media_type="text/javascript; charset=utf-8",
                        headers={"cache-control": "public, max-age=300", "x-dozvon-version": __version__,
                                 "access-control-allow-origin": "*"})
