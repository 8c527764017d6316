"""A personal-data request through the real API: the export holds everything about the
customer; the erasure removes their fields, identities and every message text (also
from the event log's data) while the KPI report's numbers do not move, and the next
contact from the same number is a new customer."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from dozvon.core.clock import now_us
from dozvon.voice import prompts_store
from dozvon.voice.audio import silence
from dozvon.voice.models import Recording
from tests.channels.mailservers import PASSWORD as MAIL_PASSWORD
from tests.channels.mailservers import Dovecot, SmtpCapture, dovecot_missing
from tests.channels.telegram_peer import TOKEN as BOT_TOKEN
from tests.channels.telegram_peer import FakeBotApi, peer  # noqa: F401  (the fake Bot API fixture)
from tests.server.conftest import Live, seeded_server
from tests.server.test_webhooks import Receiver
from tests.server.wsutil import open_stream

DESK = "desk@shop.test"


def test_export_then_erase_keeps_the_figures(live: Live) -> None:
    secret = "Мой адрес: Минск, ул. Ленина 5, кв. 12"
    with closing(live.client("alpha-op1")) as op, closing(live.client("alpha-admin")) as admin, \
            closing(live.token_client("alpha")) as adapter, open_stream(live.ws_url, op, "alpha") as ws:
        assert ws.command(action="state", state="available")["ok"]
        conv = adapter.post("/api/v1/projects/alpha/ingest/messages", json={
            "channel": "messenger", "external_id": "pd-1", "queue": "sales",
            "customer": {"id": "+79031112233", "name": "Пётр Сидоров"}, "text": secret}).json()["conversation_id"]
        offer = ws.wait("offer.created", contact_id=conv)
        assert ws.command(action="accept", offer_id=offer["data"]["offer_id"])["ok"]
        assert ws.command(action="send", conversation_id=conv, text="Пётр, курьер приедет на Ленина 5")["ok"]
        assert op.post(f"/api/v1/projects/alpha/conversations/{conv}/notes", json={"text": "живёт на Ленина"}
                       ).status_code == 201
        assert ws.command(action="end", conversation_id=conv)["ok"]
        assert op.post(f"/api/v1/projects/alpha/conversations/{conv}/disposition",
                       json={"contact_type": "new_inquiry", "resolved": True}).status_code == 200
        customer = op.get(f"/api/v1/projects/alpha/conversations/{conv}").json()["customer_id"]
        before = admin.get("/api/v1/projects/alpha/reports/kpi", params={"period": "all"}).json()["rows"]

        assert op.get(f"/api/v1/projects/alpha/customers/{customer}/export").status_code == 403
        exported = admin.get(f"/api/v1/projects/alpha/customers/{customer}/export").json()
        assert exported["customer"]["name"] == "Пётр Сидоров"
        assert {"kind": "phone", "value": "+79031112233"} in exported["identities"]
        [had] = exported["conversations"]
        assert [m["text"] for m in had["messages"]] == [secret, "Пётр, курьер приедет на Ленина 5"]
        assert [n["text"] for n in had["notes"]] == ["живёт на Ленина"]

        erased = admin.post(f"/api/v1/projects/alpha/customers/{customer}/erase")
        assert erased.status_code == 200, erased.text
        assert erased.json()["messages"] == 2 and erased.json()["identities"] == 1
        card = admin.get(f"/api/v1/projects/alpha/customers/{customer}").json()
        assert (card["name"], card["phones"], card["identities"]) == ("", [], [])
        stored = admin.get(f"/api/v1/projects/alpha/conversations/{conv}").json()
        assert [m["text"] for m in stored["messages"]] == ["", ""] and stored["customer_name"] == ""
        events = admin.get("/api/v1/projects/alpha/events", params={"contact_id": conv}).json()["items"]
        assert "Ленина" not in json.dumps(events, ensure_ascii=False) and "Пётр" not in json.dumps(events, ensure_ascii=False)
        assert admin.get("/api/v1/projects/alpha/reports/kpi", params={"period": "all"}).json()["rows"] == before
        audit = admin.get("/api/v1/projects/alpha/audit").json()["items"]
        assert [a["action"] for a in audit[:2]] == ["customer.erased", "customer.exported"]
        logged = admin.get("/api/v1/projects/alpha/events", params={"type": "customer.erased"}).json()["items"]
        assert [(e["data"]["customer_id"], e["data"]["by"]) for e in logged] == [(customer, "alpha-admin")]

        again = adapter.post("/api/v1/projects/alpha/ingest/messages", json={
            "channel": "messenger", "external_id": "pd-2", "queue": "sales",
            "customer": {"id": "+79031112233"}, "text": "Здравствуйте"}).json()["conversation_id"]
        assert op.get(f"/api/v1/projects/alpha/conversations/{again}").json()["customer_id"] != customer


# --------------------------------------------------------------------------- beyond the messages

@pytest.fixture
def keeper(server_db: str, tmp_path: Path) -> Iterator[Live]:
    """The live server with its data directory (the recordings' audio files) in the test's folder."""
    with seeded_server(server_db, DOZVON_DATA_DIR=str(tmp_path / "data")) as server:
        yield server


@pytest.fixture
def mail_servers() -> Iterator[tuple[Dovecot, SmtpCapture]]:
    missing = dovecot_missing()
    if missing is not None:
        pytest.skip(missing)
    dovecot = Dovecot(users=(DESK,)).start()
    smtp = SmtpCapture().start()
    try:
        yield dovecot, smtp
    finally:
        smtp.stop()
        dovecot.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    try:
        yield made
    finally:
        made.close()


def until(check: Callable[[], Any], what: str, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_erasure_reaches_mails_attachments_files_recordings_and_webhook_copies(
        keeper: Live, mail_servers: tuple[Dovecot, SmtpCapture], peer: FakeBotApi, receiver: Receiver,  # noqa: F811
        tmp_path: Path) -> None:
    """One person wrote a mail with an attachment, sent a photo on Telegram and called; a
    webhook carried their messages out. The export lists all of it (files by metadata);
    the erasure blanks the mail, deletes the attachment, the photo and the recording (its
    audio file too), rewrites the webhook copies — a replay sends the blank — and the
    KPI report does not move."""
    live, (dovecot, smtp) = keeper, mail_servers
    pdf, jpeg = b"%PDF-1.4 passport " + bytes(range(256)) * 8, b"\xff\xd8\xff\xe0" + b"face" * 300
    address = "Минск, ул. Ленина 5"
    with closing(live.client("alpha-admin")) as admin, closing(live.token_client("alpha")) as adapter:
        hook = admin.post("/api/v1/projects/alpha/webhooks", json={"url": receiver.url, "events": ["message.*"]})
        assert hook.status_code == 201, hook.text
        webhook_id = hook.json()["id"]
        for kind, name, secret, settings in (
                ("email", "support", MAIL_PASSWORD, {
                    "address": DESK, "imap_host": "127.0.0.1", "imap_port": dovecot.port, "imap_security": "none",
                    "smtp_host": "127.0.0.1", "smtp_port": smtp.port, "smtp_security": "none"}),
                ("telegram", "shopbot", BOT_TOKEN, {"api_url": peer.url, "poll_timeout_s": 1})):
            made = admin.post("/api/v1/projects/alpha/channels", json={
                "kind": kind, "name": name, "queue": "sales", "secret": secret, "settings": settings})
            assert made.status_code == 201, made.text

        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = "Анна Петрова <anna@example.ru>", DESK, "Возврат ковра"
        mail["Message-ID"] = "<pd-mail-1@example.ru>"
        mail.set_content(f"Заберите ковёр по адресу {address}")
        mail.add_attachment(pdf, maintype="application", subtype="pdf", filename="паспорт.pdf")
        dovecot.append(mail)
        peer.send_file(5550001, jpeg, photo=True, caption=f"Ковёр, {address}")
        call = adapter.post("/api/v1/projects/alpha/ingest/contacts", json={
            "channel": "voice", "external_id": "pd-call-1", "queue": "sales", "customer": {"id": "+375291234567"}})
        assert call.status_code in (200, 201), call.text
        call_id = call.json()["conversation_id"]

        def by_channel() -> dict[str, dict[str, Any]]:
            items = admin.get("/api/v1/projects/alpha/conversations").json()["items"]
            return {c["channel"]: c for c in items}
        convs = until(lambda: (lambda c: c if {"email", "telegram"} <= set(c) else None)(by_channel()),
                      "the mail and the Telegram photo")
        anna = convs["email"]["customer_id"]
        for other in (convs["telegram"]["customer_id"], convs["voice"]["customer_id"]):  # one person
            merged = admin.post(f"/api/v1/projects/alpha/customers/{anna}/merge", json={"merged": other})
            assert merged.status_code == 200, merged.text

        audio = tmp_path / "data" / "recordings" / "alpha" / "2026-12" / f"{call_id}-call.wav"
        audio.parent.mkdir(parents=True)
        audio.write_bytes(prompts_store.as_wav(silence(500)))
        with live.hub.sessions.begin() as session:  # what the voice service keeps after a recorded call
            session.add(Recording(project="alpha", conversation_id=call_id, kind="call",
                                  path=str(audio.relative_to(tmp_path / "data")), duration_s=0.5,
                                  size_bytes=audio.stat().st_size, operators="op1", created_at_us=now_us(),
                                  delete_after_us=now_us() + 86_400 * 10**6))

        sent = until(lambda: [b for b in receiver.bodies() if b["type"] == "message.received"
                              and "Ленина" in b["event"]["data"]["text"]], "the webhook copies", timeout=30)
        assert len(sent) == 2  # the mail and the photo's caption went out
        until(lambda: all(d["status"] == "delivered" for d in admin.get(
            f"/api/v1/projects/alpha/webhooks/{webhook_id}/deliveries").json()["items"]), "the deliveries done")
        mail_view = admin.get(f"/api/v1/projects/alpha/conversations/{convs['email']['id']}/email").json()["items"]
        [attachment] = mail_view[0]["attachments"]
        [photo] = admin.get(f"/api/v1/projects/alpha/conversations/{convs['telegram']['id']}/files").json()["items"]
        [recording] = admin.get(f"/api/v1/projects/alpha/conversations/{call_id}/recordings").json()["items"]
        downloads = (attachment["url"], photo["download_url"], recording["url"])
        assert [admin.get(url).status_code for url in downloads] == [200, 200, 200]
        before = admin.get("/api/v1/projects/alpha/reports/kpi", params={"period": "all"}).json()["rows"]

        exported = admin.get(f"/api/v1/projects/alpha/customers/{anna}/export")
        assert exported.status_code == 200, exported.text
        doc = {c["channel"]: c for c in exported.json()["conversations"]}
        [mailed] = doc["email"]["mails"]
        assert (mailed["from"], mailed["subject"]) == ({"name": "Анна Петрова", "address": "anna@example.ru"},
                                                       "Возврат ковра")
        assert address in mailed["text"]
        assert mailed["attachments"] == [{"id": attachment["id"], "filename": "паспорт.pdf",
                                          "content_type": "application/pdf", "size": len(pdf), "kept": True,
                                          "refused": None}]
        assert [(f["id"], f["kind"], f["direction"], f["size"]) for f in doc["telegram"]["files"]] == [
            (photo["id"], "photo", "in", len(jpeg))]
        assert [(r["id"], r["kind"], r["duration_s"]) for r in doc["voice"]["recordings"]] == [
            (recording["id"], "call", 0.5)]
        listed = exported.json()["webhook_deliveries"]
        assert {(d["url"], d["event_type"], d["status"]) for d in listed} == {
            (receiver.url, "message.received", "delivered")} and len(listed) == 2
        assert "JVBER" not in exported.text and "passport" not in exported.text  # metadata, never the bytes

        erased = admin.post(f"/api/v1/projects/alpha/customers/{anna}/erase")
        assert erased.status_code == 200, erased.text
        counts = erased.json()
        assert (counts["mails"], counts["attachments"], counts["files"], counts["recordings"],
                counts["webhook_deliveries"]) == (1, 1, 1, 1, 2), counts
        assert "recording_files_left" not in counts and not audio.exists()

        [blank] = admin.get(f"/api/v1/projects/alpha/conversations/{convs['email']['id']}/email").json()["items"]
        assert (blank["from"], blank["subject"], blank["text"], blank["html"], blank["recipients"],
                blank["attachments"]) == ({"name": "", "address": ""}, "", "", "", [], [])
        assert [admin.get(url).status_code for url in downloads] == [404, 404, 404]
        assert admin.get(f"/api/v1/projects/alpha/conversations/{convs['telegram']['id']}/files").json()["items"] == []
        assert admin.get(f"/api/v1/projects/alpha/conversations/{call_id}/recordings").json()["items"] == []
        deliveries = admin.get(f"/api/v1/projects/alpha/webhooks/{webhook_id}/deliveries").json()["items"]
        bodies = [admin.get(f"/api/v1/projects/alpha/webhooks/{webhook_id}/deliveries/{d['id']}").json()["payload"]
                  for d in deliveries]
        text = json.dumps(bodies, ensure_ascii=False)
        assert "Ленина" not in text and "Анна" not in text and "Ковёр" not in text
        [mailed_out] = [d for d in deliveries if d["delivery_id"] == sent[0]["id"]]
        heard = len(receiver.bodies())
        again = admin.post(f"/api/v1/projects/alpha/webhooks/{webhook_id}/deliveries/{mailed_out['id']}/replay")
        assert again.status_code == 200, again.text
        replayed = until(lambda: receiver.bodies()[heard:], "the replay")
        assert [(b["id"], b["event"]["data"]["text"]) for b in replayed] == [(sent[0]["id"], "")]

        assert admin.get("/api/v1/projects/alpha/reports/kpi", params={"period": "all"}).json()["rows"] == before
        [entry] = [a for a in admin.get("/api/v1/projects/alpha/audit").json()["items"]
                   if a["action"] == "customer.erased"]
        assert {k: entry["details"][k] for k in ("mails", "attachments", "files", "recordings")} == {
            "mails": 1, "attachments": 1, "files": 1, "recordings": 1}
        after = {c["channel"]: c for c in admin.get(
            f"/api/v1/projects/alpha/customers/{anna}/export").json()["conversations"]}
        assert (after["email"]["mails"][0]["attachments"], after["telegram"]["files"], after["voice"]["recordings"]
                ) == ([], [], [])
