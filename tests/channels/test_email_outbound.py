"""Replies by mail, against the SMTP capture and Dovecot on loopback: an operator's reply
arrives exactly once with the headers that thread it in the customer's mail client, even
when the SMTP server refuses the first attempt; the customer's answer to it joins the same
conversation; a bounce of a delivered reply marks its delivery failed."""

from __future__ import annotations

from contextlib import closing
from typing import Any

from sqlalchemy import select

from dozvon.channels.email.models import EmailMail
from dozvon.conversations.models import OutboxItem
from dozvon.eventlog.models import EventRecord
from tests.channels.conftest import ADDRESS, Desk, until
from tests.channels.test_email_inbound import mail
from tests.server.wsutil import Stream, open_stream


def _offered_to_op1(desk: Desk, ws: Stream, mail_id: str) -> str:
    """The mail's conversation, offered to op1 and accepted — once the mail's details are
    kept. They commit just after the message (inbound.py), and a reply taken from the
    outbox before then is put off as "details pending", which counts as an attempt: a
    person reads the mail first, the test would answer within milliseconds and, on a busy
    machine, see its reply delivered on attempt 3 instead of 2."""
    assert ws.command(action="state", state="available")["ok"]
    desk.dovecot.append(mail(mail_id, References="<older@example.ru>"))
    offer = ws.wait("offer.created", timeout=20)
    assert ws.command(action="accept", offer_id=offer["data"]["offer_id"])["ok"]
    conv_id = str(offer["contact_id"])
    until(lambda: _kept(desk, conv_id), what="the mail's details")
    return conv_id


def _kept(desk: Desk, conv_id: str) -> bool:
    with desk.live.hub.sessions() as session:
        return session.scalar(select(EmailMail.id).where(EmailMail.conversation_id == conv_id)) is not None


def _delivered(desk: Desk, ws: Stream, conv_id: str) -> dict[str, Any]:
    try:
        return ws.wait("message.delivered", contact_id=conv_id, timeout=30)
    except (AssertionError, TimeoutError):
        with desk.live.hub.sessions() as session:  # say what the outbox knows
            rows = [(r.status, r.attempts, r.last_error) for r in session.scalars(select(OutboxItem))]
        raise AssertionError(f"not delivered; outbox: {rows}") from None


def _events(desk: Desk, type_: str) -> list[EventRecord]:
    with desk.live.hub.sessions() as session:
        return list(session.scalars(select(EventRecord).where(EventRecord.project == "alpha",
                                                              EventRecord.type == type_)))


def test_a_reply_arrives_once_threaded_even_when_the_first_attempt_fails_and_the_answer_joins(desk: Desk) -> None:
    desk.smtp.refuse_next = 1  # the relay is busy at first: 451
    with closing(desk.live.client("alpha-op1")) as op1, open_stream(desk.live.ws_url, op1, "alpha", after=None) as ws:
        conv_id = _offered_to_op1(desk, ws, "<ask-1@example.ru>")
        assert ws.command(action="send", conversation_id=conv_id, text="Заказ 1042 приедет в субботу.")["ok"]
        key = ws.wait("message.sent", contact_id=conv_id)["data"]["message_id"]
        delivered = _delivered(desk, ws, conv_id)
        assert delivered["data"]["attempt"] == 2 and delivered["data"]["channel_message_id"] == f"<{key}@shop.test>"
    assert desk.smtp.refused == 1
    [sent] = desk.smtp.wait_for(1)
    reply: Any = sent.mail
    assert sent.rcpt_tos == ["anna@example.ru"] and sent.mail_from == ADDRESS
    assert reply["Message-ID"] == f"<{key}@shop.test>"
    assert reply["In-Reply-To"] == "<ask-1@example.ru>"
    assert reply["References"] == "<ask-1@example.ru>"
    assert reply["Subject"] == f"Re: Заказ 1042 [#{conv_id[:8]}]"
    assert str(reply["From"]) == f"Shop support <{ADDRESS}>"
    assert "Auto-Submitted" not in reply
    body = reply.get_content().replace("\r\n", "\n")
    assert body.startswith("Заказ 1042 приедет в субботу.") and "\n-- \nShop support, +7 495 000-00-00" in body
    desk.smtp.wait_for(2, timeout=3)  # nothing more comes: exactly once
    assert len(desk.smtp.received) == 1
    # The customer answers the reply: it joins the conversation.
    desk.dovecot.append(mail("<ask-2@example.ru>", text="Спасибо!", subject=f"Re: {reply['Subject']}",
                             In_Reply_To=reply["Message-ID"],
                             References=f"<ask-1@example.ru> {reply['Message-ID']}"))
    until(lambda: [m["text"] for m in desk.conversation(conv_id)["messages"]][-1:] == ["Спасибо!"], what="join")
    assert len(desk.conversations()) == 1
    messages = desk.conversation(conv_id)["messages"]
    assert [(m["direction"], m.get("delivery")) for m in messages] == [("in", None), ("out", "delivered"),
                                                                        ("in", None)]


def _bounce_of(message_id: str) -> bytes:
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.ru>\r\n"
        f"To: {ADDRESS}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <bounce-1@mx.example.ru>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.ru\r\n\r\n"
        "Final-Recipient: rfc822; anna@example.ru\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 <anna@example.ru>: mailbox unavailable\r\n\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: {ADDRESS}\r\nTo: anna@example.ru\r\nMessage-ID: {message_id}\r\nSubject: Re: Заказ\r\n\r\n"
        "--B--\r\n").encode()


def test_a_bounce_marks_the_delivered_reply_failed(desk: Desk) -> None:
    with closing(desk.live.client("alpha-op1")) as op1, open_stream(desk.live.ws_url, op1, "alpha", after=None) as ws:
        conv_id = _offered_to_op1(desk, ws, "<b-1@example.ru>")
        assert ws.command(action="send", conversation_id=conv_id, text="Ответ, который вернётся")["ok"]
        key = ws.wait("message.sent", contact_id=conv_id)["data"]["message_id"]
        _delivered(desk, ws, conv_id)
        desk.dovecot.append(_bounce_of(f"<{key}@shop.test>"))
        failed = ws.wait("message.failed", contact_id=conv_id, timeout=20)
    assert failed["data"]["key"] == key and failed["data"]["permanent"] is True
    assert "5.1.1" in failed["data"]["error"] and "mailbox unavailable" in failed["data"]["error"]
    with desk.live.hub.sessions() as session:
        row = session.scalar(select(OutboxItem).where(OutboxItem.key == key))
        assert row is not None and row.status == "failed"
    assert [m.get("delivery") for m in desk.conversation(conv_id)["messages"]] == [None, "failed"]
    assert len(desk.conversations()) == 1  # the bounce is not a customer's contact
    assert "bounced" in desk.health()["last_error"]


def test_a_reply_on_a_conversation_without_a_mailbox_fails_saying_why(desk: Desk) -> None:
    answer = desk.live.token_client("alpha").post("/api/v1/projects/alpha/ingest/contacts", json={
        "channel": "email", "external_id": "<api-1@example.ru>", "queue": "sales",
        "customer": {"id": "boris@example.ru", "name": "Борис"}, "text": "Через API"})
    assert answer.status_code == 201, answer.text
    conv_id = answer.json()["conversation_id"]
    with closing(desk.live.client("alpha-op1")) as op1, open_stream(desk.live.ws_url, op1, "alpha", after=None) as ws:
        assert ws.command(action="state", state="available")["ok"]
        offer = ws.wait("offer.created", contact_id=conv_id, timeout=20)
        assert ws.command(action="accept", offer_id=offer["data"]["offer_id"])["ok"]
        assert ws.command(action="send", conversation_id=conv_id, text="Ответ")["ok"]
    failed = until(lambda: [e for e in _events(desk, "message.failed") if e.contact_id == conv_id])
    assert failed[0].data["permanent"] is True and "did not come through a connected mailbox" in failed[0].data["error"]
