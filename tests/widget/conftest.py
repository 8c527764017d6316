"""The widget's tests run against the real server of tests/server (uvicorn, SQLite and
PostgreSQL), as a visitor's browser would talk to it: plain HTTP and a WebSocket."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from tests.server.conftest import Live, live, pytest_generate_tests, server_db  # noqa: F401


class Visitor:
    """A widget visitor: its credential, its HTTP calls, its socket's frames."""

    def __init__(self, server: Live, project: str = "alpha", **answers: str) -> None:
        self.live = server
        self.project = project
        self.http = httpx.Client(base_url=server.url, timeout=30, headers={"Accept-Language": "ru"})
        made = self.http.post(f"/widget/{project}/visitors", json=answers)
        assert made.status_code == 201, made.text
        self.id = made.json()["visitor_id"]
        self.token = made.json()["token"]
        self.http.headers["Authorization"] = f"Bearer {self.token}"
        self.sent = 0

    def say(self, text: str, client_id: str | None = None) -> httpx.Response:
        self.sent += 1
        return self.http.post(f"/widget/{self.project}/messages",
                              json={"client_id": client_id or f"msg{self.sent:05d}", "text": text})

    def conversation(self) -> dict[str, Any]:
        answer = self.http.get(f"/widget/{self.project}/conversation")
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    @contextmanager
    def socket(self, after: int | None = None) -> Iterator[VisitorSocket]:
        query = f"token={self.token}" + (f"&after={after}" if after is not None else "")
        with connect(f"{self.live.ws_url}/widget/{self.project}/stream?{query}") as ws:
            yield VisitorSocket(ws)


class VisitorSocket:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.frames: list[dict[str, Any]] = []
        self.hello = json.loads(ws.recv(timeout=10))
        assert self.hello["kind"] == "hello"

    def wait(self, check: Any, timeout: float = 10.0) -> dict[str, Any]:
        """The first frame (from the start) for which ``check(frame)`` holds."""
        deadline = time.monotonic() + timeout
        while True:
            for frame in self.frames:
                if check(frame):
                    return frame
            left = deadline - time.monotonic()
            assert left > 0, f"no such frame within {timeout} s; got {self.frames}"
            try:
                self.frames.append(json.loads(self.ws.recv(timeout=left)))
            except TimeoutError:
                continue

    def drain(self, quiet_s: float = 0.5) -> None:
        try:
            while True:
                self.frames.append(json.loads(self.ws.recv(timeout=quiet_s)))
        except TimeoutError:
            pass

    def send(self, **frame: Any) -> None:
        self.ws.send(json.dumps(frame))

    def messages(self) -> list[dict[str, Any]]:
        return [f["message"] for f in self.frames if f.get("type") == "message"]


@pytest.fixture
def shop(live: Live) -> Live:  # noqa: F811  (the fixture imported above)
    """``live`` with the chat widget of project alpha on the sales queue, and its texts."""
    admin = live.client("alpha-admin")
    assert admin.put("/api/v1/projects/alpha/widget", json={"queue": "sales", "title": "Alpha"}).status_code == 200
    for kind, text in (("welcome", "Здравствуйте! Оператор скоро ответит."),
                       ("greeting", "Здравствуйте, {customer.first_name}! Меня зовут {operator.name}."),
                       ("farewell", "Спасибо за обращение!")):
        assert admin.put(f"/api/v1/projects/alpha/auto-texts/{kind}", json={"text": text}).status_code == 200
    return live
