"""Every error answers {"error": {"code", "message", …}} in the caller's language — also
the web framework's own: no such path, method not allowed, a body that cannot be read,
malformed JSON (by line and column, not by byte offset)."""

from __future__ import annotations

import httpx

from tests.server.conftest import Live

RU = {"Accept-Language": "ru"}
EN = {"Accept-Language": "en"}


def error_of(answer: httpx.Response, status: int, code: str) -> str:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    assert "detail" not in body and body["error"]["code"] == code, body
    message: str = body["error"]["message"]
    return message


def test_unknown_paths_answer_404_in_our_shape(live: Live) -> None:
    anonymous = live.client()
    assert error_of(anonymous.get("/no/such/page", headers=EN), 404, "api.not_found") == \
        "Nothing at GET /no/such/page; the API's operations are listed at /docs"
    assert error_of(anonymous.get("/no/such/page", headers=RU), 404, "api.not_found") == \
        "По адресу GET /no/such/page ничего нет; операции API перечислены на /docs"
    admin = live.client("alpha-admin")  # under /api/v1 the gate lets a logged-in caller see the 404
    assert "/api/v1/no/such/thing" in error_of(admin.get("/api/v1/no/such/thing", headers=EN), 404, "api.not_found")
    assert "ничего нет" in error_of(admin.get("/api/v1/no/such/thing", headers=RU), 404, "api.not_found")
    assert error_of(anonymous.get("/docs/assets/nothing.js"), 404, "api.not_found")


def test_a_method_not_allowed_answers_405_naming_the_allowed_ones(live: Live) -> None:
    anonymous = live.client()
    answer = anonymous.delete("/healthz", headers=EN)
    assert error_of(answer, 405, "api.method_not_allowed") == "DELETE is not allowed at /healthz; allowed: GET"
    assert answer.headers["allow"] == "GET"
    assert error_of(anonymous.get("/auth/login", headers=RU), 405, "api.method_not_allowed") == \
        "Метод GET недопустим для /auth/login; допустимы: POST"
    admin = live.client("alpha-admin")
    message = error_of(admin.delete("/api/v1/me", headers=EN), 405, "api.method_not_allowed")
    assert message.startswith("DELETE is not allowed at /api/v1/me")


def test_malformed_json_is_located_by_line_and_column(live: Live) -> None:
    adapter = live.token_client("alpha")
    body = '{\n  "channel": "chat",\n  "external_id": "x"\n  "queue": "sales"\n}'
    answer = adapter.post("/api/v1/projects/alpha/ingest/contacts", content=body,
                          headers={"Content-Type": "application/json", **EN})
    message = error_of(answer, 422, "api.invalid_input")
    assert message == "Invalid input: body: malformed JSON at line 4, column 3: Expecting ','"
    assert answer.json()["error"]["fields"] == [{
        "field": "body", "type": "json_invalid", "line": 4, "column": 3,
        "message": "malformed JSON at line 4, column 3: Expecting ','"}]
    russian = adapter.post("/api/v1/projects/alpha/ingest/contacts", content=body,
                           headers={"Content-Type": "application/json", **RU})
    assert error_of(russian, 422, "api.invalid_input") == \
        "Некорректные данные: body: некорректный JSON в строке 4, столбце 3: ожидалась запятая ','"
    # The login form too (outside /api/v1), and a value the parser does not expect.
    login = live.client().post("/auth/login", content='{"username": ', headers={"Content-Type": "application/json"})
    assert error_of(login, 422, "api.invalid_input").endswith("line 1, column 14: Expecting value")


def test_a_body_that_is_not_utf8_answers_400_naming_the_byte(live: Live) -> None:
    adapter = live.token_client("alpha")
    raw = b'{"channel": "chat", "text": "\xff"}'
    for lang, text in ((EN, "The request body is not UTF-8 text: byte 0xff at position 29"),
                       (RU, "Тело запроса — не текст в UTF-8: байт 0xff в позиции 29")):
        answer = adapter.post("/api/v1/projects/alpha/ingest/messages", content=raw,
                              headers={"Content-Type": "application/json", **lang})
        assert error_of(answer, 400, "api.body_not_utf8") == text
