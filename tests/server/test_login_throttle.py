"""Failed logins are throttled per account and per address (429 + Retry-After), audited,
and checked in a small pool of their own that cannot starve the threads the API runs on."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from dozvon.accounts import security
from dozvon.accounts.models import AuditEntry
from dozvon.accounts.throttle import LoginThrottle
from dozvon.core.settings import Settings
from tests.server.conftest import PASSWORD, Live


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def login(client: httpx.Client, username: str, password: str, lang: str = "en") -> httpx.Response:
    return client.post("/auth/login", json={"username": username, "password": password},
                       headers={"Accept-Language": lang})


def failed_logins(live: Live) -> list[AuditEntry]:
    with live.hub.sessions() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == "login.failed")
                                    .order_by(AuditEntry.id)))


def test_six_wrong_passwords_answer_429_with_retry_after_even_for_the_right_one(live: Live) -> None:
    anonymous = live.client()
    for _ in range(5):  # the defaults: 5 failures per account
        assert login(anonymous, "alpha-op1", "wrong").status_code == 401
    locked = login(anonymous, "alpha-op1", "wrong")
    assert locked.status_code == 429, locked.text
    assert 1 <= int(locked.headers["Retry-After"]) <= 60
    error = locked.json()["error"]
    assert error["code"] == "auth.too_many_logins"
    assert error["message"] == f"Too many failed logins; try again in {locked.headers['Retry-After']} s"
    right = login(anonymous, "alpha-op1", PASSWORD, lang="ru")
    assert right.status_code == 429 and "dozvon_session" not in right.cookies
    assert right.json()["error"]["message"].startswith("Слишком много неудачных попыток входа")
    # Another account from the same address is not locked.
    assert login(anonymous, "alpha-op2", PASSWORD).status_code == 200
    audited = failed_logins(live)
    assert [(a.target, a.actor, a.project) for a in audited] == [("alpha-op1", "anonymous", None)] * 5
    assert {a.details["reason"] for a in audited} == {"bad_password"}
    assert audited[-1].details["address"] == "127.0.0.1" and audited[-1].details["locked_for_s"] == 60


def test_the_address_limit_unknown_users_audit_expiry_and_reset(live: Live) -> None:
    clock = FakeClock()
    live.app.state.login_throttle = LoginThrottle(max_failures=3, address_max_failures=5, window_s=600,
                                                  lockout_s=10, clock=clock)
    anonymous = live.client()
    assert [login(anonymous, "alpha-op1", "wrong").status_code for _ in range(4)] == [401, 401, 401, 429]
    assert login(anonymous, "alpha-op2", PASSWORD).status_code == 200  # other accounts: until the address limit
    # Unknown user names get the same answer as wrong passwords and count the same.
    unknown = login(anonymous, "no-such-user", "wrong")
    assert unknown.status_code == 401
    assert unknown.json()["error"] == login(anonymous, "alpha-op2", "wrong").json()["error"]
    # 5 failures from this address now: everybody from it waits, even with the right password.
    refused = login(anonymous, "alpha-viewer", PASSWORD)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "10"
    audited = failed_logins(live)
    assert [(a.target, a.details["reason"]) for a in audited] == [
        ("alpha-op1", "bad_password")] * 3 + [("no-such-user", "unknown_user"), ("alpha-op2", "bad_password")]
    assert [a.details["locked_for_s"] for a in audited] == [0, 0, 10, 0, 10]
    assert all(a.details["address"] == "127.0.0.1" for a in audited)

    clock.now += 9
    assert login(anonymous, "alpha-viewer", PASSWORD).status_code == 429
    clock.now += 2  # the lock-outs are over
    assert login(anonymous, "alpha-viewer", PASSWORD).status_code == 200
    assert login(anonymous, "alpha-op1", PASSWORD).status_code == 200  # …and resets alpha-op1's count
    assert login(anonymous, "alpha-op1", "wrong").status_code == 401
    assert failed_logins(live)[-1].details["failures"] == 1


def test_the_lockout_grows_with_each_failure_and_the_window_forgets() -> None:
    clock = FakeClock()
    throttle = LoginThrottle.from_settings(
        Settings(DOZVON_LOGIN_MAX_FAILURES=2, DOZVON_LOGIN_ADDRESS_MAX_FAILURES=100,  # type: ignore[call-arg]
                 DOZVON_LOGIN_WINDOW_S=100, DOZVON_LOGIN_LOCKOUT_S=5), clock=clock)
    waits = []
    for _ in range(6):
        assert throttle.admit("Anna", "10.0.0.1") == 0
        waits.append(throttle.failed("Anna", "10.0.0.1").locked_for_s)
        if waits[-1]:
            assert throttle.admit("anna", "10.0.0.2") == waits[-1]  # the same account from anywhere, any case
            clock.now += waits[-1] - 0.5
            assert throttle.admit("anna", "10.0.0.2") == 0.5
            clock.now += 0.5
    assert waits == [0, 5, 10, 20, 40, 80]
    # Now 155 s after the first failure: only the last one is still in the 100 s window.
    assert throttle.admit("anna", "10.0.0.3") == 0
    assert throttle.failed("anna", "10.0.0.3").locked_for_s == 5
    clock.now += 5
    assert throttle.admit("anna", "10.0.0.3") == 0
    throttle.succeeded("anna")
    # Attempts in flight count: a burst of parallel guesses cannot overshoot the limit.
    assert throttle.admit("boris", "10.0.0.4") == 0
    assert throttle.admit("boris", "10.0.0.4") == 0
    assert throttle.admit("boris", "10.0.0.4") > 0
    throttle.abandoned("boris")
    assert throttle.admit("boris", "10.0.0.4") == 0


def test_password_checks_run_two_at_a_time_beside_the_api_threads(live: Live, monkeypatch: Any) -> None:
    """Before: login was a sync endpoint, so 40+ concurrent guessers took every worker thread."""
    inside, most, release = 0, 0, threading.Event()
    lock = threading.Lock()
    real = security.verify_password

    def slow_verify(password_hash: str | None, password: str) -> bool:
        nonlocal inside, most
        with lock:
            inside += 1
            most = max(most, inside)
        release.wait(30)
        with lock:
            inside -= 1
        return real(password_hash, password)

    monkeypatch.setattr(security, "verify_password", slow_verify)
    guessers = 45  # more than anyio's 40 worker threads
    client = httpx.Client(base_url=live.url, timeout=60, limits=httpx.Limits(max_connections=100))
    adapter = live.token_client("alpha")
    with ThreadPoolExecutor(guessers) as pool:
        answers = [pool.submit(login, client, f"guesser{i}", "wrong") for i in range(guessers)]
        deadline = time.monotonic() + 20
        while most < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        started = time.monotonic()
        ingest = adapter.post("/api/v1/projects/alpha/ingest/contacts", json={
            "channel": "chat", "external_id": "during-the-guessing", "queue": "sales",
            "customer": {"id": "c1"}, "text": "hello"})
        health = client.get("/healthz")
        quick = time.monotonic() - started
        assert most == 2 and inside == 2  # DOZVON_LOGIN_HASH_THREADS
        release.set()
        statuses = sorted(f.result().status_code for f in answers)
    assert ingest.status_code == 201 and health.status_code == 200
    assert quick < 10
    assert statuses == [401] * guessers


@pytest.mark.parametrize("threads", [1, 3])
def test_the_pool_size_is_a_setting(threads: int) -> None:
    assert Settings(DOZVON_LOGIN_HASH_THREADS=threads).login_hash_threads == threads  # type: ignore[call-arg]
