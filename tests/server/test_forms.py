"""Web forms and marketplace requests against a real server on SQLite and PostgreSQL: a
signed request is stored before it is answered and routed to the form's queue, a repeat is
the same conversation, an unsigned one stores nothing, a form-encoded body and a nested
marketplace body are mapped, every refusal names what and where (and lands in the form's
health), and the pinned CLI makes a form a site can post to at once."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from contextlib import closing
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import func, select

from dozvon.channels.forms.intake import sign
from dozvon.conversations.models import Conversation, Message
from dozvon.crm.models import CustomerIdentity
from tests.server.conftest import Live


def make_form(live: Live, name: str = "site", **settings: Any) -> tuple[str, str]:
    """A form in project alpha, queue sales: its URL path and its secret."""
    with closing(live.client("alpha-admin")) as admin:
        made = admin.post("/api/v1/projects/alpha/channels", json={
            "kind": "form", "name": name, "queue": "sales", "settings": settings})
        assert made.status_code == 201, made.text
        return f"/hooks/alpha/forms/{name}", made.json()["secret"]


def post(live: Live, path: str, secret: str | None, body: bytes, content_type: str = "application/json",
         **headers: str) -> httpx.Response:
    sent = {"Content-Type": content_type, **headers}
    if secret is not None:
        sent["X-Dozvon-Signature"] = sign(secret, body)
    return httpx.post(live.url + path, content=body, headers=sent, timeout=30)


def count(live: Live, model: Any) -> int:
    with live.hub.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(model.channel == "form")) or 0)


def health(live: Live, name: str = "site") -> dict[str, Any]:
    with closing(live.client("alpha-admin")) as admin:
        answer = admin.get(f"/api/v1/projects/alpha/forms/{name}")
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found


def test_a_signed_request_is_stored_before_the_answer_and_waits_in_the_forms_queue(live: Live) -> None:
    path, secret = make_form(live)
    body = json.dumps({"name": "Анна Петрова", "phone": "+375 29 123-45-67", "email": "Anna@Example.ru",
                       "text": "Перезвоните насчёт доставки", "source": "landing", "utm": "spring"}).encode()
    answer = post(live, path, secret, body)
    assert answer.status_code == 201, answer.text
    conversation_id = answer.json()["conversation_id"]
    # The answer came after the commit: the conversation and its message are there now.
    with live.hub.sessions() as session:
        conv = session.get(Conversation, conversation_id)
        assert conv is not None and conv.channel == "form" and conv.queue == "sales"
        assert conv.customer_name == "Анна Петрова" and conv.subject == "site"
        text = session.scalar(select(Message.text).where(Message.conversation_id == conversation_id))
        identities = {(i.kind, i.value) for i in session.scalars(
            select(CustomerIdentity).where(CustomerIdentity.customer_id == conv.customer_id))}
    assert text == "Перезвоните насчёт доставки\n\nutm: spring"
    assert identities == {("phone", "+375291234567"), ("email", "anna@example.ru")}
    with closing(live.client("alpha-sup")) as sup:
        assert sup.get("/api/v1/projects/alpha/queues/sales").json()["waiting"] == 1
        arrived = [e for e in sup.get("/api/v1/projects/alpha/events").json()["items"]
                   if e["type"] == "contact.arrived" and e["contact_id"] == conversation_id]
        assert arrived and arrived[0]["channel"] == "form" and arrived[0]["queue"] == "sales"
    assert health(live)["health"]["last_in_at"] is not None


def test_a_repeat_returns_the_same_conversation_by_key_by_id_field_and_by_body(live: Live) -> None:
    path, secret = make_form(live)
    body = json.dumps({"phone": "+375291234567", "text": "Заказ"}).encode()
    first = post(live, path, secret, body, **{"Idempotency-Key": "lead-1"})
    again = post(live, path, secret, body, **{"Idempotency-Key": "lead-1"})
    other = post(live, path, secret, body, **{"Idempotency-Key": "lead-2"})
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 201)
    assert again.json()["conversation_id"] == first.json()["conversation_id"] != other.json()["conversation_id"]
    plain = post(live, path, secret, b'{"phone": "+375291234567", "text": "same body"}')
    assert plain.status_code == 201
    repeat = post(live, path, secret, b'{"phone": "+375291234567", "text": "same body"}')
    assert repeat.status_code == 200 and repeat.json()["conversation_id"] == plain.json()["conversation_id"]
    assert count(live, Conversation) == 3

    market, market_secret = make_form(live, "ozon", fields={"id": "order.number", "phone": "buyer.phone",
                                                             "name": "buyer.name", "text": "comment"},
                                      title="Заказ с маркетплейса")
    order = {"order": {"number": "A-77", "items": ["чайник", "кружка"]},
             "buyer": {"name": "Олег", "phone": "+375 (29) 765-43-21"}, "comment": "Где заказ?"}
    one = post(live, market, market_secret, json.dumps(order).encode())
    order["comment"] = "Где заказ? (повтор)"  # a marketplace's retry: same order number
    two = post(live, market, market_secret, json.dumps(order).encode())
    assert (one.status_code, two.status_code) == (201, 200)
    assert one.json()["conversation_id"] == two.json()["conversation_id"]
    with live.hub.sessions() as session:
        conv = session.get(Conversation, one.json()["conversation_id"])
        assert conv is not None and conv.customer_name == "Олег" and conv.subject == "Заказ с маркетплейса"
        text = session.scalar(select(Message.text).where(Message.conversation_id == conv.id))
    assert text == "Где заказ?\n\norder.items: чайник, кружка"


def test_a_bad_or_missing_signature_is_401_and_stores_nothing(live: Live) -> None:
    path, secret = make_form(live)
    body = b'{"phone": "+375291234567", "text": "hi"}'
    for headers in ({}, {"X-Dozvon-Signature": "sha256=" + "0" * 64},
                    {"X-Dozvon-Signature": sign("not-the-secret", body)},
                    {"X-Dozvon-Signature": sign(secret, body + b" ")}):
        answer = httpx.post(live.url + path, content=body, timeout=30,
                            headers={"Content-Type": "application/json", "Accept-Language": "ru", **headers})
        assert answer.status_code == 401, answer.text
        assert "X-Dozvon-Signature" in answer.json()["error"]["message"]
    assert count(live, Conversation) == 0 and count(live, Message) == 0
    assert "X-Dozvon-Signature" in health(live)["health"]["last_error"]
    assert httpx.post(live.url + "/hooks/alpha/forms/nope", content=body).status_code == 404
    assert httpx.post(live.url + "/hooks/gamma/forms/site", content=body).status_code == 404
    # Another project's secret does not open this project's form of the same name.
    with closing(live.client("beta-admin")) as admin:
        beta_secret = admin.post("/api/v1/projects/beta/channels", json={
            "kind": "form", "name": "site", "queue": "sales"}).json()["secret"]
    assert post(live, path, beta_secret, body).status_code == 401


def test_a_form_encoded_body_is_taken_and_the_other_fields_reach_the_operator(live: Live) -> None:
    path, secret = make_form(live, fields={"name": "fio", "phone": "tel", "text": "msg"})
    body = urlencode({"fio": "Ирина", "tel": "+7 912 345-67-89", "msg": "Хочу консультацию",
                      "city": "Пермь"}).encode()
    answer = post(live, path, secret, body, "application/x-www-form-urlencoded")
    assert answer.status_code == 201, answer.text
    with live.hub.sessions() as session:
        conv = session.get(Conversation, answer.json()["conversation_id"])
        assert conv is not None and conv.customer_name == "Ирина"
        text = session.scalar(select(Message.text).where(Message.conversation_id == conv.id))
    assert text == "Хочу консультацию\n\ncity: Пермь"


def test_bad_input_is_refused_naming_what_and_where_and_lands_in_the_forms_health(live: Live) -> None:
    path, secret = make_form(live, required=["name"], max_body_bytes=2048,
                             fields={"phone": "contact.phone", "email": "contact.email"})
    cases: list[tuple[bytes, str, int, str, str]] = [
        (b'{"name": "A", "contact": {"phone": "+3752', "application/json", 422, "body", "строка 1"),
        (b'["a list"]', "application/json", 422, "body", "объектом"),
        (b'{"contact": {"phone": "+375291234567"}}', "application/json", 422, "name", "нужно"),
        (b'{"name": "A", "contact": {"phone": "12"}}', "application/json", 422, "contact.phone", "телефона"),
        (b'{"name": "A", "contact": {"email": "no-at-sign"}}', "application/json", 422, "contact.email", "e-mail"),
        (b'{"name": "A"}', "application/json", 422, "contact.phone", "ни телефона"),
        (b'{"name": {"first": "A"}, "contact": {"phone": "+375291234567"}}', "application/json", 422, "name",
         "текстом"),
        (b"<xml/>", "text/xml", 415, "", "Content-Type"),
        (b'{"name": "' + b"x" * 3000 + b'"}', "application/json", 413, "body", "2048"),
    ]
    for body, media, status, field, words in cases:
        answer = post(live, path, secret, body, media, **{"Accept-Language": "ru"})
        assert answer.status_code == status, (body[:40], answer.text)
        error = answer.json()["error"]
        assert words in error["message"], error
        if field:
            assert error["fields"][0]["field"] == field, error
        if status == 422:  # the health is in the installation's language (English here)
            assert health(live)["health"]["last_error"].startswith(field + ":")
    assert count(live, Conversation) == 0
    english = post(live, path, secret, b'{"name": "A", "contact": {"phone": "12"}}')
    assert english.json()["error"]["message"] == "contact.phone: '12' is not a phone number (region —)"


def test_every_refused_request_is_a_line_in_the_servers_log_saying_which_form_and_what_was_wrong(
        live: Live, caplog: pytest.LogCaptureFixture) -> None:
    path, secret = make_form(live, required=["name"], max_body_bytes=2048)
    with caplog.at_level(logging.WARNING, logger="dozvon.forms"):
        assert post(live, path, None, b'{"name": "A"}').status_code == 401  # unsigned
        assert post(live, path, "wrong-secret", b'{"name": "A"}').status_code == 401  # each one, not one per 10 s
        assert post(live, path, secret, b'{"name": "A", "phone": "+3752').status_code == 422
        assert post(live, path, secret, b'{"phone": "+375291234567"}').status_code == 422
        assert post(live, path, secret, b"x" * 3000).status_code == 413
        assert post(live, "/hooks/alpha/forms/nope", secret, b'{"name": "A"}').status_code == 404

    def lines() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == "dozvon.forms"]

    deadline = time.monotonic() + 10  # the server's threads log before they answer; read what came
    while len(lines()) < 6 and time.monotonic() < deadline:
        time.sleep(0.05)
    logged = lines()
    assert len(logged) == 6, logged
    assert all(line.startswith("form alpha/") and "request from 127.0.0.1 refused" in line for line in logged)
    assert [line.split(" refused ")[1].split(":")[0] for line in logged] == [
        "(401)", "(401)", "(422)", "(422)", "(413)", "(404)"]
    assert "X-Dozvon-Signature" in logged[0] and logged[0].startswith("form alpha/site:")
    assert "body: not JSON" in logged[2]
    assert "name: the form's mapping needs this field" in logged[3]
    assert "2048" in logged[4]
    assert logged[5].startswith("form alpha/nope:") and "No form 'nope' in project 'alpha'" in logged[5]
    assert count(live, Conversation) == 0


def test_the_forms_list_gives_each_forms_address_mapping_and_health(live: Live) -> None:
    make_form(live, fields={"phone": "tel"})
    with closing(live.client("alpha-admin")) as admin, closing(live.client("alpha-op1")) as op:
        forms = admin.get("/api/v1/projects/alpha/forms").json()["items"]
        assert op.get("/api/v1/projects/alpha/forms").status_code == 403
    assert [f["url"] for f in forms] == [live.url + "/hooks/alpha/forms/site"]
    assert forms[0]["fields"]["phone"] == "tel" and forms[0]["fields"]["name"] == "name"
    assert "secret" not in forms[0] and "openssl dgst -sha256 -hmac" in forms[0]["example"]
    assert set(forms[0]["health"]) == {"last_in_at", "last_out_at", "last_error", "last_error_at"}


def test_the_cli_makes_a_form_whose_printed_url_and_secret_take_a_signed_request(live: Live) -> None:
    env = {**os.environ, "DATABASE_URL": live.database_url, "DOZVON_LANG": "en"}
    run = subprocess.run([sys.executable, "-m", "dozvon", "channel", "add-form", "--project", "alpha",
                          "--name", "shop", "--queue", "sales", "--field", "text=comment", "--base-url", live.url,
                          "--json"], capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    printed = json.loads(run.stdout)
    assert set(printed) == {"url", "secret"} and printed["url"] == live.url + "/hooks/alpha/forms/shop"
    body = json.dumps({"phone": "+375291234567", "comment": "Из CLI"}).encode()
    answer = httpx.post(printed["url"], content=body, timeout=30, headers={
        "Content-Type": "application/json", "X-Dozvon-Signature": sign(printed["secret"], body)})
    assert answer.status_code == 201, answer.text
    again = subprocess.run([sys.executable, "-m", "dozvon", "channel", "add-form", "--project", "alpha",
                            "--name", "shop2", "--queue", "nowhere"], capture_output=True, text=True, env=env,
                           timeout=120)
    assert again.returncode == 2 and "queue" in again.stderr + again.stdout and "Traceback" not in again.stderr
