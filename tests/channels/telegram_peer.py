"""A fake Telegram Bot API on a loopback port: the methods Dozvon's bots use, answered as
https://core.telegram.org/bots/api documents them — and nothing of Dozvon's code.

``POST /bot<token>/<method>`` takes JSON, form-encoded or multipart parameters (complex
values JSON-encoded, as the Bot API allows) and answers ``{"ok": true, "result": …}`` or
``{"ok": false, "error_code": …, "description": …, "parameters": …}``; files are served at
``GET /file/bot<token>/<file_path>``. Implemented: getMe, getUpdates (long polling: an
update is forgotten once a later offset is asked for; no getUpdates while a webhook is
set — 409), setWebhook, deleteWebhook, getWebhookInfo, sendMessage (with an inline
keyboard), sendPhoto, sendDocument, getFile, answerCallbackQuery.

A test makes customers write (:meth:`FakeBotApi.write`, :meth:`FakeBotApi.send_file`), press
an inline button under a message the bot sent (:meth:`FakeBotApi.press`), queues
raw updates, scripts failures (``fail_next``: 429 with retry_after, 500), blocks the bot
in a chat (403) or makes a chat unknown (400), and reads what the bot sent.
"""

from __future__ import annotations

import itertools
import json
import sys
import threading
import time
from collections.abc import Iterator
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote

import pytest

TOKEN = "123456:ABC-fake-token_for-tests"
BOT = {"id": 123456, "is_bot": True, "first_name": "Shop", "username": "shop_help_bot",
       "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}


class _QuietServer(ThreadingHTTPServer):
    """A client that went away mid-answer (a server stopped during a long poll) is normal here."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


class FakeBotApi:
    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.updates: list[dict[str, Any]] = []
        self.offsets: list[int] = []  # every getUpdates offset asked for
        self.webhook: dict[str, Any] = {}
        self.sent: list[dict[str, Any]] = []  # accepted sendMessage/sendPhoto/sendDocument
        self.attempts: list[dict[str, Any]] = []  # every send attempt, accepted or not
        self.fail_next: list[tuple[int, int | None]] = []  # (status, retry_after) for the next sends
        self.blocked: set[int] = set()
        self.unknown_chats: set[int] = set()
        self.files: dict[str, tuple[str, bytes]] = {}  # file_id → (file_path, bytes)
        self.calls: list[str] = []
        self.callback_answers: list[dict[str, Any]] = []  # answerCallbackQuery, in order
        self._ids = itertools.count(1)
        self._update_ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self._changed = threading.Condition()
        peer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                params, uploads = _parse(self.headers.get("Content-Type", ""), body)
                parts = self.path.strip("/").split("/")
                if len(parts) != 2 or not parts[0].startswith("bot"):
                    return self._answer(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                status, answer = peer.handle(parts[0][3:], parts[1], params, uploads)
                self._answer(status, answer)

            def do_GET(self) -> None:
                if not self.path.startswith("/file/bot"):
                    return self.do_POST()
                token, _, path = unquote(self.path)[len("/file/bot"):].partition("/")  # the library quotes ':'
                found = [data for (p, data) in peer.files.values() if p == path]
                if token != peer.token or not found:
                    return self._answer(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                return self._answer(200, None, raw=found[0])

            def _answer(self, status: int, answer: Any, raw: bytes | None = None) -> None:
                data = raw if raw is not None else json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/octet-stream" if raw is not None else "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                return

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        with self._changed:
            self._changed.notify_all()
        self.server.shutdown()
        self.server.server_close()

    # ------------------------------------------------------------------ the customers' side

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue a raw update (it gets the next update_id unless it has one)."""
        update = {"update_id": next(self._update_ids), **update}
        with self._changed:
            self.updates.append(update)
            self._changed.notify_all()
        return update

    def message(self, chat_id: int, text: str | None = None, *, first_name: str = "Анна", last_name: str = "К.",
                **extra: Any) -> dict[str, Any]:
        """A private chat's message as Telegram shapes it (chat id = the user's id)."""
        user = {"id": chat_id, "is_bot": False, "first_name": first_name, "last_name": last_name,
                "username": f"user{chat_id}", "language_code": "ru"}
        message: dict[str, Any] = {"message_id": next(self._message_ids), "from": user,
                                   "chat": {"id": chat_id, "type": "private", "first_name": first_name},
                                   "date": int(time.time()), **extra}
        if text is not None:
            message["text"] = text
        return {"message": message}

    def write(self, chat_id: int, text: str, **kw: Any) -> dict[str, Any]:
        return self.push(self.message(chat_id, text, **kw))

    def press(self, chat_id: int, sent: dict[str, Any], data: str, *, language: str = "ru") -> dict[str, Any]:
        """The customer of private chat ``chat_id`` presses an inline button with callback
        ``data`` under a message like ``sent`` (one of :attr:`sent`) — queued as a
        ``callback_query`` update. A ``chat_id`` other than the message's is a client that
        forged the data of a button it was never sent."""
        user = {"id": chat_id, "is_bot": False, "first_name": "Анна", "language_code": language}
        message = {"message_id": sent["message_id"], "date": int(time.time()),
                   "chat": {"id": chat_id, "type": "private"}, "from": BOT, "text": sent.get("text", "")}
        return self.push({"callback_query": {"id": f"cb{next(self._ids)}", "from": user, "message": message,
                                             "chat_instance": f"ci{chat_id}", "data": data}})

    def add_file(self, data: bytes, path: str) -> dict[str, Any]:
        n = next(self._ids)
        file_id = f"FILE{n:04d}"
        self.files[file_id] = (path, data)
        return {"file_id": file_id, "file_unique_id": f"U{n:04d}", "file_size": len(data)}

    def send_file(self, chat_id: int, data: bytes, *, name: str | None = None, mime: str = "application/pdf",
                  caption: str | None = None, photo: bool = False, declared_size: int | None = None) -> dict[str, Any]:
        """A customer sends a document (or a photo) — queued as an update."""
        ref = self.add_file(data, f"{'photos' if photo else 'documents'}/file_{len(self.files)}"
                                  f"{'.jpg' if photo else '.bin'}")
        if declared_size is not None:
            ref["file_size"] = declared_size
        extra: dict[str, Any] = {}
        if photo:
            small = self.add_file(data[:10], "photos/thumb.jpg")
            extra["photo"] = [{**small, "width": 90, "height": 90}, {**ref, "width": 800, "height": 600}]
        else:
            extra["document"] = {**ref, "file_name": name or "file.bin", "mime_type": mime}
        if caption:
            extra["caption"] = caption
        return self.push(self.message(chat_id, **extra))

    # ------------------------------------------------------------------ the Bot API

    def handle(self, token: str, method: str, params: dict[str, Any],
               uploads: dict[str, tuple[str, bytes]]) -> tuple[int, dict[str, Any]]:
        self.calls.append(method)
        if token != self.token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
        result: tuple[int, dict[str, Any]] = handler(params, uploads)
        return result

    @staticmethod
    def _ok(result: Any) -> tuple[int, dict[str, Any]]:
        return 200, {"ok": True, "result": result}

    @staticmethod
    def _error(status: int, description: str, **parameters: Any) -> tuple[int, dict[str, Any]]:
        answer: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if parameters:
            answer["parameters"] = parameters
        return status, answer

    def _m_getMe(self, params: dict[str, Any], uploads: Any) -> tuple[int, dict[str, Any]]:
        return self._ok(BOT)

    def _m_setWebhook(self, params: dict[str, Any], uploads: Any) -> tuple[int, dict[str, Any]]:
        self.webhook = {"url": params["url"], "secret_token": params.get("secret_token"),
                        "allowed_updates": params.get("allowed_updates")}
        return self._ok(True)

    def _m_deleteWebhook(self, params: dict[str, Any], uploads: Any) -> tuple[int, dict[str, Any]]:
        self.webhook = {}
        return self._ok(True)

    def _m_getWebhookInfo(self, params: dict[str, Any], uploads: Any) -> tuple[int, dict[str, Any]]:
        return self._ok({"url": self.webhook.get("url", ""), "has_custom_certificate": False,
                         "pending_update_count": len(self.updates)})

    def _m_getUpdates(self, params: dict[str, Any], uploads: Any) -> tuple[int, dict[str, Any]]:
        if self.webhook:
            return self._error(409, "Conflict: can't use getUpdates method while webhook is active; "
                                    "use deleteWebhook to delete the webhook first")
        offset = int(params.get("offset", 0))
        limit = int(params.get("limit", 100))
        deadline = time.monotonic() + float(params.get("timeout", 0))
        with self._changed:
            self.offsets.append(offset)
            if offset:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]  # confirmed: forgotten
            while True:
                ready = [u for u in self.updates if u["update_id"] >= offset][:limit]
                left = deadline - time.monotonic()
                if ready or left <= 0:
                    return self._ok(ready)
                self._changed.wait(min(left, 0.5))

    def _send(self, kind: str, params: dict[str, Any], extra: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        chat_id = int(params["chat_id"])
        self.attempts.append({"method": kind, "chat_id": chat_id, **extra})
        if self.fail_next:
            status, retry_after = self.fail_next.pop(0)
            if status == 429:
                return self._error(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)
            return self._error(status, "Internal Server Error")
        if chat_id in self.blocked:
            return self._error(403, "Forbidden: bot was blocked by the user")
        if chat_id in self.unknown_chats:
            return self._error(400, "Bad Request: chat not found")
        message_id = next(self._message_ids)
        self.sent.append({"method": kind, "chat_id": chat_id, "message_id": message_id, **extra})
        result = {"message_id": message_id, "from": BOT, "chat": {"id": chat_id, "type": "private"},
                  "date": int(time.time())}
        if "text" in extra:
            result["text"] = extra["text"]
        return self._ok(result)

    def _m_sendMessage(self, params: dict[str, Any], uploads: Any) -> tuple[int, dict[str, Any]]:
        if not params.get("text"):
            return self._error(400, "Bad Request: message text is empty")
        extra: dict[str, Any] = {"text": params["text"]}
        if params.get("reply_markup") is not None:
            extra["reply_markup"] = params["reply_markup"]
        return self._send("sendMessage", params, extra)

    def _upload(self, field: str, params: dict[str, Any],
                uploads: dict[str, tuple[str, bytes]]) -> tuple[str, bytes] | None:
        value = params.get(field)
        if isinstance(value, str) and value.startswith("attach://"):
            return uploads.get(value[len("attach://"):])
        return uploads.get(field)

    def _m_sendDocument(self, params: dict[str, Any], uploads: Any) -> tuple[int, dict[str, Any]]:
        found = self._upload("document", params, uploads)
        if found is None:
            return self._error(400, "Bad Request: there is no document in the request")
        return self._send("sendDocument", params, {"name": found[0], "data": found[1],
                                                   "caption": params.get("caption")})

    def _m_sendPhoto(self, params: dict[str, Any], uploads: Any) -> tuple[int, dict[str, Any]]:
        found = self._upload("photo", params, uploads)
        if found is None:
            return self._error(400, "Bad Request: there is no photo in the request")
        return self._send("sendPhoto", params, {"name": found[0], "data": found[1], "caption": params.get("caption")})

    def _m_answerCallbackQuery(self, params: dict[str, Any], uploads: Any) -> tuple[int, dict[str, Any]]:
        if not params.get("callback_query_id"):
            return self._error(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        self.callback_answers.append({"id": params["callback_query_id"], "text": params.get("text")})
        return self._ok(True)

    def _m_getFile(self, params: dict[str, Any], uploads: Any) -> tuple[int, dict[str, Any]]:
        found = self.files.get(str(params.get("file_id")))
        if found is None:
            return self._error(400, "Bad Request: invalid file_id")
        path, data = found
        return self._ok({"file_id": params["file_id"], "file_unique_id": "U" + params["file_id"],
                         "file_size": len(data), "file_path": path})

    # ------------------------------------------------------------------ reading what was sent

    def texts(self, chat_id: int) -> list[str]:
        return [s["text"] for s in self.sent if s["chat_id"] == chat_id and s["method"] == "sendMessage"]


def _value(raw: str) -> Any:
    """The Bot API takes complex values JSON-encoded in form fields."""
    if raw[:1] in "[{":
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def _parse(content_type: str, body: bytes) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
    """Parameters and uploaded files of a request, in any of the three encodings Telegram takes."""
    kind = content_type.split(";")[0].strip().lower()
    if not body:
        return {}, {}
    if kind == "application/json":
        return dict(json.loads(body)), {}
    if kind == "multipart/form-data":
        message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
        params: dict[str, Any] = {}
        uploads: dict[str, tuple[str, bytes]] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            filename = part.get_filename()
            payload = part.get_payload(decode=True) or b""
            if filename is not None:
                uploads[str(name)] = (filename, payload)
            else:
                params[str(name)] = _value(payload.decode())
        return params, uploads
    return {k: _value(v) for k, v in parse_qsl(body.decode())}, {}


@pytest.fixture
def peer() -> Iterator[FakeBotApi]:
    """A fake Bot API on loopback for one test (import the fixture where it is used)."""
    api = FakeBotApi()
    try:
        yield api
    finally:
        api.close()
