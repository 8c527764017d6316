"""A small synchronous WebSocket client for tests: real sockets, cookie authentication."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect


class Stream:
    """An operator's or supervisor's stream: events are kept in arrival order, replies by id."""

    def __init__(self, opening: Any) -> None:
        self.ws: ClientConnection = opening.__enter__()
        self.events: list[dict[str, Any]] = []
        self.replies: dict[Any, dict[str, Any]] = {}
        #: The stream's first message: {"kind": "hello", "seq": the last committed event}.
        self.hello: dict[str, Any] | None = None
        #: Passing signals (the customer is typing), in arrival order.
        self.signals: list[dict[str, Any]] = []
        self._taken: set[int] = set()
        self._next_id = 0

    def __enter__(self) -> Stream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.ws.close()

    def _read(self, timeout: float) -> None:
        message = json.loads(self.ws.recv(timeout=timeout))
        if message.get("kind") == "reply":
            self.replies[message.get("reply_to")] = message
        elif message.get("kind") == "hello":
            self.hello = message
        elif message.get("kind") == "typing":  # a passing signal, not an event
            self.signals.append(message)
        else:
            self.events.append(message)

    def wait(self, type_: str, timeout: float = 10.0, **match: Any) -> dict[str, Any]:
        """The first event of ``type_`` (and ``match``ing fields) not returned before."""
        deadline = time.monotonic() + timeout
        while True:
            for e in self.events:
                if e["type"] == type_ and e["seq"] not in self._taken \
                        and all(e.get(k) == v for k, v in match.items()):
                    self._taken.add(e["seq"])
                    return e
            left = deadline - time.monotonic()
            assert left > 0, f"no {type_} within {timeout} s; got {[e['type'] for e in self.events]}"
            self._read(left)

    def drain(self, quiet_s: float = 0.5) -> None:
        """Read until nothing arrives for ``quiet_s``."""
        try:
            while True:
                self._read(quiet_s)
        except TimeoutError:
            pass

    def command(self, **body: Any) -> dict[str, Any]:
        """Send a command and wait for its reply."""
        self._next_id += 1
        body["id"] = self._next_id
        self.ws.send(json.dumps(body))
        deadline = time.monotonic() + 10
        while body["id"] not in self.replies:
            self._read(max(0.01, deadline - time.monotonic()))
        return self.replies.pop(body["id"])


def open_stream(ws_url: str, client: httpx.Client, project: str, after: int | None = 0) -> Stream:
    """A stream replaying the log after ``after`` (None: live events from now on)."""
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    query = "" if after is None else f"?after={after}"
    return Stream(connect(f"{ws_url}/api/v1/projects/{project}/stream{query}",
                          additional_headers={"Cookie": cookie}, open_timeout=10))
