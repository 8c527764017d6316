"""A real HTTP peer for channel tests, and an in-process adapter that delivers to it.

The peer is a plain HTTP server on a free loopback port that records every request and
answers as the test tells it (accept, fail for a while, refuse), like a messenger's or a
mail gateway's API would. The adapter is a real :class:`~dozvon.channels.registry.ChannelAdapter`
that POSTs each outbound message there with its idempotency key, and records the decisions
the server hands it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from dozvon.channels.registry import DeliveryFailed, OutboundMessage, registry
from dozvon.routing.events import Decision


class Peer:
    """The outside system: ``failures[key]`` attempts fail with 503 before it accepts;
    a text starting with "refuse" is refused with 400 (permanently)."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.failures: dict[str, int] = {}
        self.fail_everything = False
        self._lock = threading.Lock()
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                key = self.headers["Idempotency-Key"]
                with peer._lock:
                    peer.received.append({"key": key, **body})
                    left = peer.failures.get(key, 0)
                    if left:
                        peer.failures[key] = left - 1
                status = 503 if left or peer.fail_everything else 400 if body["text"].startswith("refuse") else 200
                answer = json.dumps({"id": f"peer-{len(peer.received)}"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def keys(self) -> list[str]:
        with self._lock:
            return [r["key"] for r in self.received]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class HttpAdapter:
    """Delivers to a :class:`Peer`; 5xx is worth a retry, 4xx is final."""

    pushes = True

    def __init__(self, url: str) -> None:
        self.url = url
        self.decisions: list[tuple[str, Decision]] = []

    def carry_out(self, project: str, decision: Decision) -> None:
        self.decisions.append((project, decision))

    def deliver(self, message: OutboundMessage) -> str | None:
        answer = httpx.post(self.url, json={"text": message.text, "conversation": message.conversation_id},
                            headers={"Idempotency-Key": message.key}, timeout=5)
        if answer.status_code >= 500:
            raise DeliveryFailed(f"peer answered {answer.status_code}")
        if answer.status_code >= 400:
            raise DeliveryFailed(f"peer refused the message ({answer.status_code})", permanent=True)
        return str(answer.json()["id"])


@contextmanager
def channel(name: str, bucket: str = "chat", text: bool = True) -> Iterator[tuple[Peer, HttpAdapter]]:
    """Register channel ``name`` with an :class:`HttpAdapter` to a fresh :class:`Peer`."""
    peer = Peer()
    adapter = HttpAdapter(peer.url)
    registry.register(name, bucket, adapter, text=text)
    try:
        yield peer, adapter
    finally:
        registry.unregister(name)
        peer.close()
