"""Outbound webhooks against a real receiver (a small HTTP server on a loopback port) and a
real server on SQLite and PostgreSQL: deliveries are signed so that the receiver can
verify them, carry only the subscribed types of the subscribing project, come again with
backoff until the receiver takes them (and it can drop a repeat by its delivery id), are
resumed by a restarted server, can be replayed and pinged, and every attempt is in the log."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from dozvon.accounts.models import AuditEntry
from dozvon.channels import secrets as sealed
from dozvon.integrations import webhooks
from dozvon.integrations.models import WebhookSubscription
from tests.server.conftest import Live, free_port, seed_world, seeded_server, start_server


class Receiver:
    """The other system: verifies nothing itself (the tests do), records every request,
    answers ``fail_first`` requests of each delivery with 500 (after having processed the
    first: its answer was lost), and processes each delivery id once."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.processed: dict[str, int] = {}
        self.fail_first = 0
        self.status = 200
        self._seen: dict[str, int] = {}
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                delivery = self.headers.get("X-Dozvon-Delivery", "")
                with receiver._lock:
                    receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                    seen = receiver._seen[delivery] = receiver._seen.get(delivery, 0) + 1
                    if delivery not in receiver.processed:  # a repeat of a processed one is dropped
                        receiver.processed[delivery] = 0
                    if seen == 1:
                        receiver.processed[delivery] += 1
                    status = 500 if seen <= receiver.fail_first else receiver.status
                answer = json.dumps({"seen": seen}).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/dozvon"

    def bodies(self) -> list[dict[str, Any]]:
        with self._lock:
            return [json.loads(body) for _, body in self.requests]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """What a receiver does (docs/channels.md): HMAC-SHA256 of the raw body, compared in constant time."""
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers.get("x-dozvon-signature", ""))


def wait_for(check: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("not within the time")


@pytest.fixture
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries in tenths of a second rather than the production's ten seconds."""
    for name, value in (("DOZVON_WEBHOOK_BACKOFF_S", "0.2"), ("DOZVON_WEBHOOK_BACKOFF_MAX_S", "1"),
                        ("DOZVON_WEBHOOK_MAX_ATTEMPTS", "4"), ("DOZVON_WEBHOOK_TIMEOUT_S", "3")):
        monkeypatch.setenv(name, value)


@pytest.fixture
def hooked(fast: None, server_db: str) -> Iterator[Live]:
    with seeded_server(server_db) as server:
        yield server


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    try:
        yield made
    finally:
        made.close()


def subscribe(live: Live, url: str, events: list[str], project: str = "alpha") -> tuple[int, str]:
    with closing(live.client(f"{project}-admin")) as admin:
        made = admin.post(f"/api/v1/projects/{project}/webhooks", json={"url": url, "events": events,
                                                                        "description": "CRM"})
        assert made.status_code == 201, made.text
        return made.json()["id"], made.json()["secret"]


def arrive(live: Live, external_id: str, project: str = "alpha") -> str:
    with live.token_client(project) as adapter:
        answer = adapter.post(f"/api/v1/projects/{project}/ingest/contacts", json={
            "channel": "voice", "external_id": external_id, "queue": "sales", "customer": {"id": "+375291234567"}})
        assert answer.status_code in (200, 201), answer.text
        conversation_id: str = answer.json()["conversation_id"]
        return conversation_id


def log(live: Live, webhook_id: int, **query: Any) -> list[dict[str, Any]]:
    with closing(live.client("alpha-admin")) as admin:
        answer = admin.get(f"/api/v1/projects/alpha/webhooks/{webhook_id}/deliveries", params=query)
        assert answer.status_code == 200, answer.text
        items: list[dict[str, Any]] = answer.json()["items"]
        return items


def test_deliveries_are_signed_and_carry_only_the_subscribed_types_of_the_project(
        hooked: Live, receiver: Receiver) -> None:
    webhook_id, secret = subscribe(hooked, receiver.url, ["contact.arrived"])
    subscribe(hooked, receiver.url + "/beta", ["*"], project="beta")
    conversation_id = arrive(hooked, "call-1")
    wait_for(lambda: any(b["type"] == "contact.arrived" for b in receiver.bodies()))
    time.sleep(0.5)  # anything else that was coming has come
    alpha = [(h, b) for h, b in receiver.requests if json.loads(b)["project"] != "beta"]
    assert len(alpha) == 1 and not any(json.loads(b)["project"] == "beta" for _, b in receiver.requests)
    headers, body = alpha[0]
    assert verify(secret, headers, body)
    assert not verify(secret + "x", headers, body)
    sent = json.loads(body)
    assert sent["id"] == headers["x-dozvon-delivery"] and headers["x-dozvon-event"] == "contact.arrived"
    assert sent["type"] == "contact.arrived" and sent["project"] == "alpha"
    assert sent["event"]["contact_id"] == conversation_id and sent["event"]["queue"] == "sales"
    with closing(hooked.client("alpha-admin")) as admin, closing(hooked.client("alpha-sup")) as sup:
        listed = admin.get("/api/v1/projects/alpha/webhooks").json()["items"]
        assert [w["id"] for w in listed] == [webhook_id] and "secret" not in listed[0]
        assert listed[0]["deliveries"] == {"pending": 0, "delivered": 1, "failed": 0}
        assert sup.get("/api/v1/projects/alpha/webhooks").status_code == 403
        bad = admin.post("/api/v1/projects/alpha/webhooks", headers={"Accept-Language": "ru"},
                         json={"url": "ftp://crm.example.ru", "events": ["*"]})
        assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "url"
        assert "http" in bad.json()["error"]["message"]
        bad = admin.post("/api/v1/projects/alpha/webhooks", json={"url": receiver.url,
                                                                  "events": ["contact.arrived", "contact.nope"]})
        assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "events.1"
        assert "contact.*" in admin.get("/api/v1/projects/alpha/webhook-events").json()["families"]
    entry = log(hooked, webhook_id)[0]
    assert entry["status"] == "delivered" and entry["delivery_id"] == sent["id"]
    assert [a["status_code"] for a in entry["attempt_log"]] == [200] and entry["next_attempt_at"] is None
    with hooked.hub.sessions.begin() as session:  # what the loop does with deliveries past DOZVON_WEBHOOK_KEEP_DAYS
        assert webhooks.prune(session, before_us=round(entry["finished_at"] * 1e6) - 1) == 0
        assert webhooks.prune(session, before_us=round(entry["finished_at"] * 1e6) + 1) == 1
    assert log(hooked, webhook_id) == []


def test_a_failing_receiver_gets_the_delivery_later_and_processes_it_once(hooked: Live, receiver: Receiver) -> None:
    receiver.fail_first = 2  # processed the first, but its answer was a 500; then another 500
    webhook_id, secret = subscribe(hooked, receiver.url, ["contact.*"])
    arrive(hooked, "call-2")
    done = wait_for(lambda: [d for d in log(hooked, webhook_id) if d["status"] == "delivered"
                             and d["event_type"] == "contact.arrived"])
    attempts = done[0]["attempt_log"]
    assert [a["status_code"] for a in attempts] == [500, 500, 200]
    assert attempts[0]["error"] == "HTTP 500" and attempts[0]["response"] == '{"seen": 1}'
    gaps = [b["at"] - a["at"] for a, b in itertools.pairwise(attempts)]
    assert gaps[0] >= 0.2 and gaps[1] >= 0.4  # backoff: 0.2 s, then twice that
    assert all(verify(secret, h, b) for h, b in receiver.requests)
    assert set(receiver.processed.values()) == {1}  # three requests, one processing per delivery id
    keys = [h["x-dozvon-delivery"] for h, b in receiver.requests if json.loads(b)["type"] == "contact.arrived"]
    assert len(keys) == 3 and len(set(keys)) == 1


def test_a_restarted_server_resumes_the_deliveries_it_had_not_made(fast: None, server_db: str) -> None:
    port = free_port()  # nothing listens there yet
    first = start_server(server_db)
    first.tokens = seed_world(first.hub)
    try:
        webhook_id, secret = subscribe(first, f"http://127.0.0.1:{port}/hooks/dozvon", ["contact.arrived"])
        arrive(first, "call-3")
        wait_for(lambda: [d for d in log(first, webhook_id) if d["attempts"] >= 1 and d["attempt_log"]])
    finally:
        first.stop()
    receiver = Receiver(port)
    second = start_server(server_db)
    try:
        delivered = wait_for(lambda: [d for d in log(second, webhook_id) if d["status"] == "delivered"], 60)
        assert delivered[0]["attempt_log"][0]["status_code"] is None  # refused while nobody listened
        assert delivered[0]["attempt_log"][0]["error"]
        assert delivered[0]["attempt_log"][-1]["status_code"] == 200
        assert len(receiver.processed) == 1 and all(verify(secret, h, b) for h, b in receiver.requests)
    finally:
        second.stop()
        receiver.close()


def test_a_failed_delivery_is_replayed_and_a_ping_says_how_the_receiver_answered(
        hooked: Live, receiver: Receiver) -> None:
    receiver.status = 410
    webhook_id, secret = subscribe(hooked, receiver.url, ["contact.arrived"])
    arrive(hooked, "call-4")
    failed = wait_for(lambda: log(hooked, webhook_id, status="failed"))[0]
    assert failed["attempts"] == 4 and [a["status_code"] for a in failed["attempt_log"]] == [410] * 4
    assert failed["last_error"] == "HTTP 410" and failed["next_attempt_at"] is None
    path = f"/api/v1/projects/alpha/webhooks/{webhook_id}"
    with closing(hooked.client("alpha-admin")) as admin:
        receiver.status = 200
        replayed = admin.post(f"{path}/deliveries/{failed['id']}/replay")
        assert replayed.status_code == 200 and replayed.json()["status"] == "pending"
        delivered = wait_for(lambda: log(hooked, webhook_id, status="delivered"))[0]
        assert delivered["id"] == failed["id"] and delivered["attempt_log"][-1]["status_code"] == 200
        assert len({h["x-dozvon-delivery"] for h, _ in receiver.requests}) == 1  # the same delivery id
        one = admin.get(f"{path}/deliveries/{failed['id']}").json()
        assert one["payload"]["event"]["type"] == "contact.arrived" and len(one["attempt_log"]) == 5
        assert admin.post(f"{path}/deliveries/999999/replay").status_code == 404

        pinged = admin.post(f"{path}/ping").json()
        assert pinged["ok"] is True and pinged["status_code"] == 200
        headers, body = receiver.requests[-1]
        assert json.loads(body)["type"] == "webhook.ping" and verify(secret, headers, body)
        renewed = admin.post(f"{path}/secret").json()["secret"]
        assert admin.post(f"{path}/ping").json()["ok"] is True
        assert verify(renewed, *receiver.requests[-1]) and not verify(secret, *receiver.requests[-1])

        assert admin.patch(path, json={"url": f"http://127.0.0.1:{free_port()}/gone"}).status_code == 200
        dead = admin.post(f"{path}/ping").json()
        assert dead["ok"] is False and dead["status_code"] is None and dead["error"]
        assert dead["delivery"]["status"] == "failed"

        assert admin.patch(path, json={"url": receiver.url, "enabled": False}).json()["enabled"] is False
        before = len(receiver.requests)
        arrive(hooked, "call-5")
        time.sleep(1.5)
        assert len(receiver.requests) == before  # switched off: nothing made, nothing sent
        assert admin.patch(path, json={"enabled": True}).status_code == 200
        conversation_id = arrive(hooked, "call-6")
        wait_for(lambda: any(json.loads(b)["event"].get("contact_id") == conversation_id
                             for _, b in receiver.requests[before:]))
        assert len(receiver.requests) == before + 1  # only what came after it was switched on
        assert admin.delete(path).status_code == 204
        assert admin.get(path).status_code == 404


def test_a_webhooks_secret_is_stored_sealed_and_shown_only_when_it_is_made_or_renewed(hooked: Live) -> None:
    webhook_id, secret = subscribe(hooked, "http://127.0.0.1:9/hooks/dozvon", ["contact.arrived"])

    def at_rest() -> str:
        with hooked.hub.sessions() as session:
            row = session.get(WebhookSubscription, webhook_id)
            assert row is not None
            return str(row.secret)

    def nowhere_in_the_database_in_clear(plain: str) -> None:
        stored = at_rest()
        assert stored and plain not in stored and plain.removeprefix("whsec_") not in stored
        assert sealed.unseal(stored) == plain  # the installation's key opens it: how the sender signs
        with hooked.hub.sessions() as session:
            audited = [json.dumps(e.details, ensure_ascii=False) + e.target
                       for e in session.scalars(select(AuditEntry).where(AuditEntry.action.like("webhook.%")))]
        assert audited and not any(plain in line for line in audited)

    assert secret.startswith("whsec_") and len(secret) > 40
    nowhere_in_the_database_in_clear(secret)
    first_at_rest = at_rest()
    with closing(hooked.client("alpha-admin")) as admin:
        path = f"/api/v1/projects/alpha/webhooks/{webhook_id}"
        for read in (admin.get(path), admin.get("/api/v1/projects/alpha/webhooks")):  # never shown again
            assert read.status_code == 200 and secret not in read.text and '"secret"' not in read.text
        renewed = admin.post(f"{path}/secret").json()["secret"]
        assert renewed != secret and secret not in admin.get(path).text and renewed not in admin.get(path).text
    nowhere_in_the_database_in_clear(renewed)
    assert at_rest() != first_at_rest
