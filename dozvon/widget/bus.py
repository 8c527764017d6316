"""Live connections of widget visitors, by visitor and by the conversations they watch.

The server pushes a visitor what concerns their conversations: committed events
(messages both ways, an operator joining, the end) and passing signals (the operator is
typing). Conversation ids are random (uuid4), so one process-wide bus serves every
project and every app in the process without mixing anybody up.

The widget's channel adapter asks the bus whether a visitor is connected: a message is
*delivered* when it is handed to one of the visitor's live sockets.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass(eq=False)
class VisitorSocket:
    visitor_id: str
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)

    def push(self, payload: dict[str, Any]) -> None:
        self.loop.call_soon_threadsafe(self.queue.put_nowait, payload)


class VisitorBus:
    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._sockets: dict[str, set[VisitorSocket]] = {}
        #: conversation id → the visitor watching it (only while the visitor is connected)
        self._watcher: dict[str, str] = {}
        self._watched: dict[str, set[str]] = {}

    def connect(self, visitor_id: str, conversation_ids: list[str]) -> VisitorSocket:
        socket = VisitorSocket(visitor_id, asyncio.get_running_loop())
        with self._guard:
            self._sockets.setdefault(visitor_id, set()).add(socket)
        self.watch(visitor_id, *conversation_ids)
        return socket

    def disconnect(self, socket: VisitorSocket) -> None:
        with self._guard:
            sockets = self._sockets.get(socket.visitor_id, set())
            sockets.discard(socket)
            if not sockets:
                self._sockets.pop(socket.visitor_id, None)
                for conversation_id in self._watched.pop(socket.visitor_id, set()):
                    self._watcher.pop(conversation_id, None)

    def watch(self, visitor_id: str, *conversation_ids: str) -> None:
        """The visitor's connections also carry these conversations (a new one started)."""
        with self._guard:
            if visitor_id not in self._sockets:
                return
            for conversation_id in conversation_ids:
                self._watcher[conversation_id] = visitor_id
                self._watched.setdefault(visitor_id, set()).add(conversation_id)

    def online(self, conversation_id: str) -> bool:
        """Whether the visitor of this conversation has a live connection."""
        return conversation_id in self._watcher

    def push(self, conversation_id: str, payload: dict[str, Any]) -> int:
        """To every connection of the conversation's visitor; how many got it."""
        with self._guard:
            visitor_id = self._watcher.get(conversation_id)
            sockets = list(self._sockets.get(visitor_id, ())) if visitor_id else []
        for socket in sockets:
            socket.push(payload)
        return len(sockets)


#: The process's bus (see the module's docstring).
visitor_bus = VisitorBus()
