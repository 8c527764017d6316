"""Wiring the Telegram channel into the server: the ``telegram`` channel and its adapter in
the registry, the webhook route, and the service that keeps every bot fed."""

from __future__ import annotations

from fastapi import FastAPI

from dozvon.channels.registry import registry
from dozvon.channels.telegram import hook
from dozvon.channels.telegram.adapter import TelegramAdapter
from dozvon.channels.telegram.service import TelegramService
from dozvon.server.hub import Hub


def mount(app: FastAPI, hub: Hub) -> TelegramService:
    """Register the channel (a chat-bucket text channel) and the hook; the caller starts and
    stops the returned service with the server."""
    registry.register("telegram", "chat", TelegramAdapter(hub), text=True)
    app.include_router(hook.router)
    service = TelegramService(hub)
    app.state.telegram = service
    return service
