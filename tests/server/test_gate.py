"""The /api/v1 gate: 401 without credentials and 403 without permission on every
operation, before any lookup or validation; tenants see nothing of each other; CSRF."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.server.conftest import Live

JUNK_BODY = {"definitely": ["not", "valid"]}


def operations(live: Live) -> Iterator[tuple[str, str]]:
    schema = live.client().get("/openapi.json").json()
    for path, item in schema["paths"].items():
        if path.startswith("/api/v1"):
            for method in item:
                yield method.upper(), path


def fill(path: str, **values: Any) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), "x")), path)


def call(client: Any, method: str, path: str) -> Any:
    body = JUNK_BODY if method in ("POST", "PUT", "PATCH") else None
    return client.request(method, path, json=body)


def test_every_operation_answers_401_without_credentials(live: Live) -> None:
    ops = list(operations(live))
    assert len(ops) >= 30
    anonymous = live.client()
    forged = live.client(headers={"Authorization": "Bearer dzt_forged"})
    forged_cookie = live.client(cookies={"dozvon_session": "forged"})
    for method, path in ops:
        for client in (anonymous, forged, forged_cookie):
            answer = call(client, method, fill(path, project="alpha"))
            assert answer.status_code == 401, (method, path, answer.status_code, answer.text)
            assert answer.json()["error"]["code"] == "auth.required"
    # Unknown paths under /api/v1 too: an outsider cannot even probe what exists.
    assert anonymous.get("/api/v1/no/such/thing").status_code == 401
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{live.ws_url}/api/v1/projects/alpha/stream", open_timeout=5).__enter__()
    assert refused.value.response.status_code == 401


def test_forbidden_is_answered_before_validation(live: Live) -> None:
    operator = live.client("alpha-op1")
    viewer = live.client("alpha-viewer")
    answer = operator.put("/api/v1/projects/alpha/queues/new", json=JUNK_BODY)
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "auth.forbidden"
    # The refusal speaks the caller's language (read only when refusing).
    russian = operator.put("/api/v1/projects/alpha/queues/new", json=JUNK_BODY, headers={"Accept-Language": "ru"})
    assert russian.json()["error"]["message"] == "У вас нет прав на это действие здесь"
    english = operator.put("/api/v1/projects/alpha/queues/new", json=JUNK_BODY, headers={"Accept-Language": "en-GB"})
    assert english.json()["error"]["message"] == "You are not allowed to do this here"
    assert viewer.post("/api/v1/projects/alpha/ingest/contacts", json=JUNK_BODY).status_code == 403
    assert viewer.get("/api/v1/projects/alpha/conversations/no-such-id").status_code == 403
    # …while a caller who may do it gets the field-level validation error.
    admin = live.client("alpha-admin")
    invalid = admin.put("/api/v1/projects/alpha/queues/new", json={"strategy": "fastest", "wrap_up_s": -1})
    assert invalid.status_code == 422
    fields = {f["field"] for f in invalid.json()["error"]["fields"]}
    assert {"strategy", "wrap_up_s"} <= fields


def _beta_objects(live: Live) -> dict[str, Any]:
    """Real objects of project beta, to be used as ids in calls into project alpha."""
    adapter = live.token_client("beta")
    conv = adapter.post("/api/v1/projects/beta/ingest/messages", json={
        "channel": "chat", "external_id": "beta-secret-1", "queue": "sales",
        "customer": {"id": "beta-customer", "name": "Beta Secret Customer"}, "text": "beta secret text"}).json()
    beta_admin = live.client("beta-admin")
    token = beta_admin.post("/api/v1/projects/beta/tokens", json={"name": "beta-only", "permissions": ["ingest"]})
    return {"conversation_id": conv["conversation_id"], "token_id": token.json()["id"], "username": "beta-sup",
            "task_id": 1, "offer_id": "1", "name": "sales", "operator_id": "op1"}


def test_two_projects_see_nothing_of_each_other_on_every_path(live: Live) -> None:
    beta = _beta_objects(live)
    # What beta's data contains (never in any answer) and beta's ids (echoed only in "not found").
    secret_markers = ("Beta Secret Customer", "beta secret text", "beta-only", "beta-customer")
    beta_events_before = live.client("beta-admin").get("/api/v1/projects/beta/events").json()["items"]
    for username in ("alpha-admin", "alpha-sup", "alpha-op1", "alpha-viewer"):
        client = live.client(username)
        for method, path in operations(live):
            if "{project}" in path:
                # Into the other project: forbidden whatever the rest of the request.
                answer = call(client, method, fill(path, project="beta", **beta))
                assert answer.status_code == 403, (username, method, path, answer.status_code, answer.text)
            # Into one's own project, naming the other project's objects: never found, never shown.
            answer = call(client, method, fill(path, project="alpha", **beta))
            assert answer.status_code != 500, (username, method, path, answer.text)
            for marker in secret_markers:
                assert marker not in answer.text, (username, method, path, marker)
            if answer.status_code < 400:
                assert beta["conversation_id"] not in answer.text, (username, method, path)
            if method == "GET" and path.endswith("{conversation_id}") and answer.status_code != 403:
                assert answer.status_code == 404, (username, path, answer.status_code)
    projects = live.client("alpha-admin").get("/api/v1/projects").json()["items"]
    assert [p["slug"] for p in projects] == ["alpha"]
    assert live.client("alpha-admin").get("/api/v1/users").status_code == 403
    beta_events_after = live.client("beta-admin").get("/api/v1/projects/beta/events").json()["items"]
    assert beta_events_after == beta_events_before  # nothing of beta changed by alpha's calls
    with pytest.raises(InvalidStatus) as refused:
        cookie = "; ".join(f"{k}={v}" for k, v in live.client("alpha-op1").cookies.items())
        connect(f"{live.ws_url}/api/v1/projects/beta/stream", additional_headers={"Cookie": cookie},
                open_timeout=5).__enter__()
    assert refused.value.response.status_code == 403


def test_cookie_writes_need_the_csrf_token(live: Live) -> None:
    admin = live.client("alpha-admin")
    token = admin.headers.pop("X-CSRF-Token")
    body = {"strategy": "ring_all"}
    refused = admin.put("/api/v1/projects/alpha/queues/csrf", json=body)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "auth.csrf"
    wrong = admin.put("/api/v1/projects/alpha/queues/csrf", json=body, headers={"X-CSRF-Token": "guess"})
    assert wrong.status_code == 403
    assert admin.get("/api/v1/projects/alpha/queues/sales").status_code == 200  # reads need no token
    ok = admin.put("/api/v1/projects/alpha/queues/csrf", json=body, headers={"X-CSRF-Token": token})
    assert ok.status_code == 200 and ok.json()["strategy"] == "ring_all"


def test_tokens_are_scoped_revocable_and_audited(live: Live) -> None:
    admin = live.client("alpha-admin")
    created = admin.post("/api/v1/projects/alpha/tokens", json={"name": "crm", "permissions": ["reports:read"]})
    assert created.status_code == 201, created.text
    secret, token_id = created.json()["token"], created.json()["id"]
    assert all("token" not in t for t in admin.get("/api/v1/projects/alpha/tokens").json()["items"])
    crm = live.client(headers={"Authorization": f"Bearer {secret}"})
    assert crm.get("/api/v1/projects/alpha/wallboard").status_code == 200
    assert crm.get("/api/v1/projects/alpha/conversations").status_code == 403  # not in its permissions
    assert crm.get("/api/v1/projects/beta/wallboard").status_code == 403  # not its project
    assert admin.delete(f"/api/v1/projects/alpha/tokens/{token_id}").status_code == 204
    assert crm.get("/api/v1/projects/alpha/wallboard").status_code == 401
    actions = [a["action"] for a in admin.get("/api/v1/projects/alpha/audit").json()["items"]]
    assert actions[:2] == ["token.revoked", "token.created"]
    bad = admin.post("/api/v1/projects/alpha/tokens", json={"name": "x", "permissions": ["rule:everything"]})
    assert bad.status_code == 422 and "rule:everything" in bad.json()["error"]["message"]


def test_logout_revokes_the_session_and_messages_speak_russian(live: Live) -> None:
    op = live.client("alpha-op1")
    assert op.get("/api/v1/me").json()["operator_ids"] == {"alpha": "op1"}
    assert op.post("/auth/logout").status_code == 200
    stale = live.client(cookies={"dozvon_session": "x"})
    answer = stale.get("/api/v1/me", headers={"Accept-Language": "ru"})
    assert answer.status_code == 401 and "Войдите" in answer.json()["error"]["message"]
    wrong = live.client().post("/auth/login", json={"username": "alpha-op1", "password": "nope"},
                               headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert wrong.status_code == 401 and wrong.json()["error"]["message"] == "Неверное имя пользователя или пароль"
