"""Mail in, against a real Dovecot on loopback: a mailbox connected through the API is
tested by logging in, its mail becomes conversations stored before the mail is marked
\\Seen, a re-fetched mail is never a second message, a reply joins its conversation, HTML
is sanitised with remote images blocked, attachments are kept and downloadable (one over
the limit refused with a reason), automatic and bulk mail is not taken as a contact, and a
malformed mail is refused into the channel's health while the good ones go on."""

from __future__ import annotations

import time
from contextlib import closing
from email.message import EmailMessage
from typing import Any

from sqlalchemy import func, select

from dozvon.channels.email.models import EmailMail
from dozvon.conversations.models import Message
from dozvon.crm.models import CustomerIdentity
from tests.channels.conftest import ADDRESS, Desk, until
from tests.channels.mailservers import PASSWORD, Dovecot, SmtpCapture
from tests.server.conftest import Live


def mail(mail_id: str, text: str = "Здравствуйте! Где мой заказ 1042?", subject: str = "Заказ 1042",
         sender: str = "Анна Петрова <anna@example.ru>", **headers: str) -> EmailMessage:
    m = EmailMessage()
    m["From"] = sender
    m["To"] = ADDRESS
    m["Subject"] = subject
    m["Message-ID"] = mail_id
    m["Date"] = "Wed, 02 Dec 2026 08:00:00 +0300"
    for name, value in headers.items():
        m[name.replace("_", "-")] = value
    m.set_content(text)
    return m


def _one_conversation(desk: Desk) -> dict[str, Any]:
    items = until(desk.conversations, what="a conversation")
    assert len(items) == 1, items
    return items[0]


def test_the_test_logs_in_to_both_servers_and_says_what_it_found(desk: Desk) -> None:
    desk.dovecot.append(mail("<t-1@example.ru>"), flags=("\\Seen",))
    with desk.api("alpha-admin") as admin:
        answer = admin.post("/api/v1/projects/alpha/channels/support/test")
        assert answer.status_code == 200, answer.text
        said = answer.json()["message"]
        assert f"logged in as {ADDRESS}" in said and "1 mails, 0 unread" in said and "IDLE yes" in said, said
        assert desk.smtp.logins == [ADDRESS]
        wrong = admin.patch("/api/v1/projects/alpha/channels/support", json={"secret": "wrong"})
        assert wrong.status_code == 200, wrong.text
        failed = admin.post("/api/v1/projects/alpha/channels/support/test").json()
        assert failed["ok"] is False and failed["code"] == "email.imap_failed", failed
        assert f"IMAP 127.0.0.1:{desk.dovecot.port}" in failed["message"] and "AUTHENTICATIONFAILED" in failed["message"]
    assert "AUTHENTICATIONFAILED" in desk.health()["last_error"]


def test_a_mail_becomes_a_conversation_and_is_marked_seen_only_after_it_is_stored(desk: Desk) -> None:
    svc = desk.live.hub.service("alpha")
    with svc.lock:  # the ingest cannot commit while we hold the project's routing lock
        desk.dovecot.append(mail("<order-1@example.ru>"))
        time.sleep(1.5)  # the worker has fetched it by now (IDLE) and waits for the commit
        assert desk.dovecot.flags()["<order-1@example.ru>"] == set()
        with desk.live.hub.sessions() as session:
            assert session.scalar(select(func.count()).select_from(Message)) == 0
    until(lambda: "\\Seen" in desk.dovecot.flags()["<order-1@example.ru>"], what="\\Seen")
    conv = _one_conversation(desk)
    assert conv["channel"] == "email" and conv["queue"] == "sales" and conv["subject"] == "Заказ 1042"
    assert conv["customer_name"] == "Анна Петрова"
    with desk.live.hub.sessions() as session:  # the sender's address is the customer's identity
        identity = session.scalar(select(CustomerIdentity).where(CustomerIdentity.value == "anna@example.ru"))
        assert identity is not None and identity.kind == "email" and identity.customer_id == conv["customer_id"]
    messages = desk.conversation(conv["id"])["messages"]
    assert [(m["direction"], m["text"], m["external_id"]) for m in messages] == [
        ("in", "Здравствуйте! Где мой заказ 1042?", "<order-1@example.ru>")]
    assert desk.health()["last_in_at"] is not None and desk.health()["last_error"] is None


def test_a_refetched_or_repeated_mail_is_never_a_second_message(desk: Desk) -> None:
    desk.dovecot.append(mail("<dup-1@example.ru>"))
    conv = _one_conversation(desk)
    until(lambda: "\\Seen" in desk.dovecot.flags()["<dup-1@example.ru>"])
    # As after a crash between the commit and \Seen: the mail is unseen again, and the
    # same mail arrives a second time (a relay's retry).
    with desk.dovecot.mailbox() as box:
        box.flag(box.uids("ALL"), "\\Seen", False)
    desk.dovecot.append(mail("<dup-1@example.ru>"))
    until(lambda: all("\\Seen" in f for f in [desk.dovecot.flags()["<dup-1@example.ru>"]]) and
          _all_seen(desk.dovecot), what="both copies seen")
    with desk.live.hub.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Message)) == 1
        assert session.scalar(select(func.count()).select_from(EmailMail)) == 1
    assert [c["id"] for c in desk.conversations()] == [conv["id"]]


def _all_seen(dovecot: Dovecot) -> bool:
    with dovecot.mailbox() as box:
        return not box.uids("UNSEEN")


def test_a_reply_joins_its_conversation_by_its_headers_or_the_subject_token(desk: Desk) -> None:
    desk.dovecot.append(mail("<q-1@example.ru>"))
    conv = _one_conversation(desk)
    desk.dovecot.append(mail("<q-2@example.ru>", text="И ещё: доставка в субботу?", subject="Re: Заказ 1042",
                             In_Reply_To="<q-1@example.ru>", References="<q-1@example.ru>"))
    desk.dovecot.append(mail("<q-3@example.ru>", text="Третье письмо без заголовков",
                             subject=f"Re: Заказ 1042 [#{conv['id'][:8]}]"))
    desk.dovecot.append(mail("<new-1@example.ru>", text="Совсем другой вопрос", subject="Возврат"))
    until(lambda: len(desk.conversations()) == 2 and _all_seen(desk.dovecot), what="four mails taken")
    texts = [m["text"] for m in desk.conversation(conv["id"])["messages"]]
    assert texts == ["Здравствуйте! Где мой заказ 1042?", "И ещё: доставка в субботу?", "Третье письмо без заголовков"]
    other = next(c for c in desk.conversations() if c["id"] != conv["id"])
    assert other["subject"] == "Возврат" and other["customer_id"] == conv["customer_id"]


def _html_mail() -> EmailMessage:
    m = mail("<html-1@example.ru>", text="")
    m.set_content("Текст для простых клиентов")
    m.add_alternative('<p onclick="steal()">Смотрите <b>фото</b><img src="https://tracker.example/pixel.gif">'
                      '<img src="cid:photo1"><script>alert(1)</script>'
                      '<a href="javascript:alert(2)">ссылка</a><a href="https://shop.example/">магазин</a></p>',
                      subtype="html")
    html_part = m.get_payload()[1]
    html_part.make_related()
    html_part.add_related(b"\x89PNG\r\n\x1a\nfake-png", maintype="image", subtype="png", cid="<photo1>",
                          filename="photo.png")
    m.make_mixed()
    m.add_attachment(b"%PDF-1.4 invoice", maintype="application", subtype="pdf", filename="счёт.pdf")
    m.add_attachment(b"x" * (100 * 1024), maintype="application", subtype="zip", filename="big.zip")
    return m


def test_html_is_sanitised_remote_images_blocked_and_attachments_downloadable(desk: Desk) -> None:
    desk.dovecot.append(_html_mail())
    conv = _one_conversation(desk)
    until(lambda: desk.mails(conv["id"]), what="the mail's details")
    [got] = desk.mails(conv["id"])
    assert got["text"] == "Текст для простых клиентов"
    html = got["html"]
    for bad in ("onclick", "<script", "javascript:", "tracker.example"):
        assert bad not in html, (bad, html)
    assert got["remote_images_blocked"] == 1 and "tracker.example/pixel.gif" in got["html_with_images"]
    assert "<script" not in got["html_with_images"] and 'href="https://shop.example/"' in html
    files = {a["filename"]: a for a in got["attachments"]}
    assert set(files) == {"photo.png", "счёт.pdf", "big.zip"}
    assert files["photo.png"]["inline"] and f'src="{files["photo.png"]["url"]}"' in html  # cid: → its download
    assert files["big.zip"]["kept"] is False and files["big.zip"]["url"] is None
    assert "over the mailbox's limit of 65536" in files["big.zip"]["refused"]
    with desk.api("alpha-op1") as op:
        pdf = op.get(files["счёт.pdf"]["url"])
        assert pdf.status_code == 200 and pdf.content == b"%PDF-1.4 invoice"
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.headers["content-disposition"].startswith("attachment;")
        assert pdf.headers["x-content-type-options"] == "nosniff"
        gone = op.get(f"/api/v1/projects/alpha/email/attachments/{files['big.zip']['id']}")
        assert gone.status_code == 404 and "not kept" in gone.json()["error"]["message"]
    with desk.api("beta-admin") as stranger:  # another project's people cannot download it
        assert stranger.get(files["счёт.pdf"]["url"]).status_code == 403
        assert stranger.get(f"/api/v1/projects/beta/email/attachments/{files['счёт.pdf']['id']}").status_code == 404
    with desk.api() as anonymous_after_logout:
        anonymous_after_logout.cookies.clear()
        assert anonymous_after_logout.get(files["счёт.pdf"]["url"]).status_code == 401


def test_automatic_bulk_and_own_mail_is_not_taken_as_a_contact(desk: Desk) -> None:
    desk.dovecot.append(mail("<ooo@example.ru>", subject="Out of office", Auto_Submitted="auto-replied"))
    desk.dovecot.append(mail("<news@example.ru>", subject="Скидки недели", Precedence="bulk"))
    desk.dovecot.append(mail("<list@example.ru>", subject="[list] digest", List_Id="<shop.lists.example>"))
    desk.dovecot.append(mail("<loop@shop.test>", subject="Re: loop", sender=ADDRESS))
    desk.dovecot.append(mail("<real@example.ru>", subject="Вопрос"))
    until(lambda: _all_seen(desk.dovecot), what="all five handled")
    assert [c["subject"] for c in desk.conversations()] == ["Вопрос"]


def test_a_malformed_mail_is_refused_into_the_health_and_the_next_one_is_taken(desk: Desk) -> None:
    broken = b"Subject: no sender at all\r\nMessage-ID: <broken-1@x>\r\n\r\nwho sent me?\r\n"
    desk.dovecot.append(broken)
    health = until(lambda: (h := desk.health())["last_error"] and h, what="the refusal in the health")
    assert "<broken-1@x>" in health["last_error"] and "no sender address" in health["last_error"]
    desk.dovecot.append(mail("<after-broken@example.ru>"))
    until(lambda: len(desk.conversations()) == 1, what="the good mail after the broken one")
    flags = desk.dovecot.flags()
    assert flags["<broken-1@x>"] == {"$DozvonRefused"}  # left unread for a person, not tried again
    assert "\\Seen" in flags["<after-broken@example.ru>"]


def test_a_mailbox_connected_while_running_is_served_and_one_disconnected_is_left(
        live: Live, dovecot: Dovecot, smtp: SmtpCapture) -> None:
    from tests.channels.conftest import mailbox_settings

    with closing(live.client("alpha-admin")) as admin, closing(live.client("alpha-sup")) as sup:
        assert admin.post("/api/v1/projects/alpha/channels", json={
            "kind": "email", "name": "other", "queue": "sales", "secret": PASSWORD,
            "settings": {**mailbox_settings(dovecot, smtp), "address": "other@shop.test"}}).status_code == 201
        dovecot.append(mail("<o-1@example.ru>"), user="other@shop.test")
        until(lambda: sup.get("/api/v1/projects/alpha/conversations").json()["items"])
        assert admin.delete("/api/v1/projects/alpha/channels/other").status_code == 204
        time.sleep(3)  # the supervisor has seen it go
        dovecot.append(mail("<o-2@example.ru>"), user="other@shop.test")
        time.sleep(2)
        with dovecot.mailbox("other@shop.test") as box:
            assert len(box.uids("UNSEEN")) == 1  # nobody takes it any more


def test_without_idle_the_mailbox_is_polled_and_handled_mail_can_be_moved(
        live: Live, dovecot: Dovecot, smtp: SmtpCapture) -> None:
    from tests.channels.conftest import mailbox_settings

    with dovecot.mailbox() as box:
        box.folder.create("Handled")
    settings = {**mailbox_settings(dovecot, smtp), "idle": False, "poll_s": 1, "after_stored": "move",
                "handled_folder": "Handled"}
    with closing(live.client("alpha-admin")) as admin, closing(live.client("alpha-sup")) as sup:
        assert admin.post("/api/v1/projects/alpha/channels", json={
            "kind": "email", "name": "polled", "queue": "sales", "secret": PASSWORD,
            "settings": settings}).status_code == 201
        dovecot.append(mail("<p-1@example.ru>"))
        until(lambda: sup.get("/api/v1/projects/alpha/conversations").json()["items"], what="the polled mail")
    with dovecot.mailbox() as box:
        until(lambda: not box.uids("ALL"), what="the mail moved out of INBOX")
        box.folder.set("Handled")
        assert len(box.uids("ALL")) == 1
