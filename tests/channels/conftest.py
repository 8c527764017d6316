"""The e-mail channel's peers — a Dovecot of our own and an SMTP capture — and the live
server (SQLite and PostgreSQL) of tests/server, with a mailbox connected through the API."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from typing import Any

import pytest

from dozvon.routing.model import OperatorConfig
from tests.channels.mailservers import PASSWORD, Dovecot, SmtpCapture, dovecot_missing
from tests.channels.telegram_peer import peer  # noqa: F401  (a fake Bot API for a test)
from tests.server.conftest import Live, live, pytest_generate_tests, server_db  # noqa: F401  (the live server)

ADDRESS = "desk@shop.test"


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    missing = dovecot_missing()
    if missing is not None:
        pytest.skip(missing)
    server = Dovecot(users=(ADDRESS, "other@shop.test")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp() -> Iterator[SmtpCapture]:
    capture = SmtpCapture().start()
    try:
        yield capture
    finally:
        capture.stop()


def mailbox_settings(dovecot: Dovecot, smtp: SmtpCapture, **extra: Any) -> dict[str, Any]:
    return {"address": ADDRESS, "from_name": "Shop support", "imap_host": "127.0.0.1", "imap_port": dovecot.port,
            "imap_security": "none", "smtp_host": "127.0.0.1", "smtp_port": smtp.port, "smtp_security": "none",
            "signature": "Shop support, +7 495 000-00-00", **extra}


@dataclass
class Desk:
    """The live server with a mailbox ``support`` of project alpha connected to the test
    Dovecot and the SMTP capture."""

    live: Live
    dovecot: Dovecot
    smtp: SmtpCapture

    def api(self, user: str = "alpha-sup") -> Any:
        return closing(self.live.client(user))

    def conversations(self) -> list[dict[str, Any]]:
        with self.api() as sup:
            items: list[dict[str, Any]] = sup.get("/api/v1/projects/alpha/conversations").json()["items"]
            return items

    def conversation(self, conversation_id: str) -> dict[str, Any]:
        with self.api() as sup:
            found: dict[str, Any] = sup.get(f"/api/v1/projects/alpha/conversations/{conversation_id}").json()
            return found

    def mails(self, conversation_id: str) -> list[dict[str, Any]]:
        with self.api() as sup:
            answer = sup.get(f"/api/v1/projects/alpha/conversations/{conversation_id}/email")
            assert answer.status_code == 200, answer.text
            items: list[dict[str, Any]] = answer.json()["items"]
            return items

    def health(self) -> dict[str, Any]:
        with self.api("alpha-admin") as admin:
            found: dict[str, Any] = admin.get("/api/v1/projects/alpha/channels/support").json()["health"]
            return found


def until(check: Callable[[], Any], timeout: float = 20.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what or check}"
        time.sleep(0.05)


@pytest.fixture
def desk(live: Live, dovecot: Dovecot, smtp: SmtpCapture) -> Desk:  # noqa: F811  (the fixture)
    svc = live.hub.service("alpha")
    for op in ("op1", "op2"):  # the shared world's operators take chats and calls: mail too
        svc.run(lambda e, o=op: e.add_operator(OperatorConfig.from_dict(
            {"id": o, "queues": ["sales"], "capacity": {"voice": 1, "chat": 3, "email": 5}})))
    with closing(live.client("alpha-admin")) as admin:
        made = admin.post("/api/v1/projects/alpha/channels", json={
            "kind": "email", "name": "support", "queue": "sales", "secret": PASSWORD,
            "settings": mailbox_settings(dovecot, smtp, max_attachment_bytes=64 * 1024)})
        assert made.status_code == 201, made.text
    return Desk(live, dovecot, smtp)
