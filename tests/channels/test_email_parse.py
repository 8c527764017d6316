"""Reading mail without a server: what a mail is (a person's, an automatic reply, a list's,
a bounce, our own), what it answers, and HTML made safe — the rules the mailbox worker
applies to every mail, on the edge cases a real mailbox brings."""

from __future__ import annotations

import pytest

from dozvon.channels.email.parse import Refused, html_to_text, parse, sanitise

OWN = {"desk@shop.test"}
LIMIT = 1024 * 1024


def raw(headers: str, body: str = "Текст письма") -> bytes:
    return (headers.strip().replace("\n", "\r\n") + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            + body).encode()


def test_a_persons_mail_is_read_with_its_thread_and_token() -> None:
    mail = parse(raw("""
From: =?utf-8?b?0JDQvdC90LA=?= <Anna@Example.RU>
Reply-To: orders@example.ru
Subject: Re: Заказ 1042 [#1a2b3c4d]
Message-ID: <m-2@example.ru>
In-Reply-To: <out-abc@shop.test>
References: <m-1@example.ru> <out-abc@shop.test>
"""), OWN, LIMIT)
    assert (mail.from_address, mail.from_name, mail.reply_to) == ("anna@example.ru", "Анна", "orders@example.ru")
    assert mail.thread_ids == ["<out-abc@shop.test>", "<m-1@example.ru>"]
    assert mail.token == "1a2b3c4d" and mail.topic == "Заказ 1042"
    assert mail.skip is None and mail.bounce is None and mail.text == "Текст письма"


def test_a_mail_without_message_id_gets_the_same_made_up_id_every_time() -> None:
    data = raw("From: a@b.ru\nSubject: x")
    first, again = parse(data, OWN, LIMIT).mail_id, parse(data, OWN, LIMIT).mail_id
    assert first == again and first.endswith("@no-message-id.dozvon.invalid>")
    assert parse(raw("From: a@b.ru\nSubject: y"), OWN, LIMIT).mail_id != first


@pytest.mark.parametrize(("header", "code"), [
    ("Auto-Submitted: auto-replied", "email.skip_auto"),
    ("Auto-Submitted: auto-generated", "email.skip_auto"),
    ("X-Autoreply: yes", "email.skip_auto"),
    ("Precedence: auto_reply", "email.skip_auto"),
    ("Precedence: bulk", "email.skip_bulk"),
    ("Precedence: junk", "email.skip_bulk"),
    ("List-Unsubscribe: <mailto:u@list.ru>", "email.skip_bulk"),
    ("List-Id: <news.shop.ru>", "email.skip_bulk"),
])
def test_automatic_and_bulk_mail_is_told_apart(header: str, code: str) -> None:
    mail = parse(raw(f"From: robot@example.ru\nSubject: s\nMessage-ID: <a@b>\n{header}"), OWN, LIMIT)
    assert mail.skip is not None and mail.skip[0] == code


def test_auto_submitted_no_is_a_person_and_own_mail_is_a_loop() -> None:
    assert parse(raw("From: p@example.ru\nAuto-Submitted: no"), OWN, LIMIT).skip is None
    looped = parse(raw("From: Desk <DESK@shop.test>"), OWN, LIMIT)
    assert looped.skip == ("email.skip_loop", "desk@shop.test")


def test_what_cannot_be_taken_in_is_refused_saying_why() -> None:
    with pytest.raises(Refused) as no_sender:
        parse(raw("Subject: nobody\nMessage-ID: <n@x>"), OWN, LIMIT)
    assert no_sender.value.code == "email.no_sender" and no_sender.value.params["mail_id"] == "<n@x>"
    with pytest.raises(Refused) as big:
        parse(raw("From: a@b.ru", "x" * 2000), OWN, 1000)
    assert big.value.code == "email.too_big" and "over the mailbox's limit of 1000" in big.value.message("en")
    assert "больше предела ящика 1000" in big.value.message("ru")


def test_a_lying_charset_is_read_with_replacement_characters() -> None:
    data = (b"From: a@b.ru\r\nSubject: s\r\nContent-Type: text/plain; charset=no-such-charset\r\n\r\n"
            b"\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 \xff")
    assert parse(data, OWN, LIMIT).text.startswith("Привет")


def test_a_bounce_names_the_returned_mail_and_the_reason() -> None:
    data = (b"From: MAILER-DAEMON@mx.ru\r\nSubject: Undelivered\r\nAuto-Submitted: auto-replied\r\n"
            b"Content-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n"
            b"--B\r\nContent-Type: text/plain\r\n\r\nSorry.\r\n"
            b"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.ru\r\n\r\n"
            b"Final-Recipient: rfc822; x@y.ru\r\nAction: failed\r\nStatus: 5.1.1\r\n"
            b"Diagnostic-Code: smtp; 550 no such user\r\n\r\n"
            b"--B\r\nContent-Type: message/rfc822\r\n\r\nFrom: desk@shop.test\r\nMessage-ID: <out-k1@shop.test>\r\n"
            b"Subject: Re\r\n\r\nbody\r\n--B--\r\n")
    mail = parse(data, OWN, LIMIT)
    assert mail.bounce is not None and mail.bounce.original_ids == ("<out-k1@shop.test>",)
    assert mail.bounce.reason == "x@y.ru 5.1.1 550 no such user"
    assert mail.skip is None  # a bounce is handled as one, not skipped as an automatic reply


def test_html_is_made_safe_and_remote_images_counted() -> None:
    source = ('<div style="background:url(https://t.example/a.gif)" onmouseover="x()">'
              '<img src="https://t.example/p.gif" width="1"><img src="cid:logo"><iframe src="https://e.vil"></iframe>'
              '<form action="https://e.vil"><input name="card"></form><a href="https://ok.example">ok</a></div>')
    safe, blocked = sanitise(source, images=False)
    assert blocked == 1 and "t.example" not in safe and "<iframe" not in safe and "<form" not in safe
    assert "<input" not in safe and "onmouseover" not in safe and "style=" not in safe
    assert 'src="cid:logo"' in safe and 'rel="noopener noreferrer nofollow"' in safe
    shown, _ = sanitise(source, images=True)
    assert 'src="https://t.example/p.gif"' in shown and "<iframe" not in shown
    assert html_to_text("<p>Первый</p><p>Второй &amp; третий</p>") == "Первый\nВторой & третий"


def test_a_reply_is_composed_to_thread_and_an_automatic_one_says_so() -> None:
    from dozvon.channels.email.kind import MailboxSettings
    from dozvon.channels.email.outbound import compose
    from dozvon.channels.email.store import ReplyContext
    from dozvon.channels.registry import OutboundMessage

    settings = MailboxSettings(address="Desk@Shop.test", imap_host="h", smtp_host="h", signature="Магазин")
    context = ReplyContext(1, "anna@example.ru", "Заказ 1042", "<m-2@example.ru>", ["<m-1@example.ru>",
                                                                                    "<m-2@example.ru>"])
    message = OutboundMessage(id=1, project="p", channel="email", conversation_id="1a2b3c4d" + "0" * 24,
                              key="auto-k1", text="Мы получили ваше письмо.", data={"auto": True})
    mail = compose(settings, message, context)
    assert mail["Message-ID"] == "<auto-k1@shop.test>" and mail["From"] == "desk@shop.test"
    assert mail["Subject"] == "Re: Заказ 1042 [#1a2b3c4d]" and mail["Auto-Submitted"] == "auto-replied"
    assert mail["In-Reply-To"] == "<m-2@example.ru>" and mail["References"] == "<m-1@example.ru> <m-2@example.ru>"
    assert mail.get_content().replace("\r\n", "\n") == "Мы получили ваше письмо.\n\n-- \nМагазин\n"
    again = compose(settings, message, ReplyContext(1, "a@b.ru", "Заказ [#1a2b3c4d]", "<x@y>", ["<x@y>"]))
    assert again["Subject"] == "Re: Заказ [#1a2b3c4d]"  # the token is not repeated
