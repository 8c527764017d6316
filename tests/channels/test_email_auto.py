"""What Dozvon says by itself by mail, against Dovecot and the SMTP capture on loopback: the
welcome, the greeting, the farewell and the survey's question go out over SMTP, threaded
and marked ``Auto-Submitted: auto-replied``; so does a closed queue's reply (instead of the
welcome). A mail that is itself automatic is never answered. The customer's reply that is
only a score is the conversation's rating (``csat.rated``, the KPI report's CSAT), counted
once; a reply in words opens a new conversation."""

from __future__ import annotations

from contextlib import closing
from typing import Any

from sqlalchemy import select

from dozvon.conversations.models import Conversation
from dozvon.eventlog.models import EventRecord
from tests.channels.conftest import ADDRESS, Desk, until
from tests.channels.mailservers import Captured
from tests.channels.test_email_inbound import mail
from tests.server.wsutil import open_stream

WELCOME = "Здравствуйте! Мы получили ваше письмо и скоро ответим."
GREETING = "Здравствуйте, {customer.first_name}! Меня зовут {operator.name}, занимаюсь вашим вопросом."
FAREWELL = "Спасибо, что написали нам!"
QUESTION_RU = "Пожалуйста, оцените, как мы вам помогли: ответьте одной цифрой от 1 (плохо) до 5 (отлично)."
CLOSED = "Мы работаем с 9:00 до 18:00 и ответим утром."


def _auto_texts(desk: Desk, **texts: str) -> None:
    with desk.api("alpha-admin") as admin:
        for kind, text in texts.items():
            answer = admin.put(f"/api/v1/projects/alpha/auto-texts/{kind}", json={"text": text, "enabled": True})
            assert answer.status_code == 200, answer.text


def _body(sent: Captured) -> str:
    text: str = sent.mail.get_content().replace("\r\n", "\n")
    return text.split("\n-- \n")[0].strip()  # without the mailbox's signature


def _rated(desk: Desk) -> list[EventRecord]:
    with desk.live.hub.sessions() as session:
        return list(session.scalars(select(EventRecord).where(EventRecord.type == "csat.rated")))


def _conversation_ids(desk: Desk) -> list[str]:
    with desk.live.hub.sessions() as session:
        return list(session.scalars(select(Conversation.id).order_by(Conversation.created_at_us)))


def test_the_welcome_greeting_farewell_and_survey_go_out_by_smtp_and_a_lone_4_is_the_rating(desk: Desk) -> None:
    _auto_texts(desk, welcome=WELCOME, greeting=GREETING, farewell=FAREWELL, survey="")
    with closing(desk.live.client("alpha-op1")) as op1, open_stream(desk.live.ws_url, op1, "alpha", after=None) as ws:
        assert ws.command(action="state", state="available")["ok"]
        desk.dovecot.append(mail("<s-1@example.ru>"))
        offer = ws.wait("offer.created", timeout=20)
        conv_id = str(offer["contact_id"])
        assert [_body(s) for s in desk.smtp.wait_for(1)] == [WELCOME]  # before anybody answers
        assert ws.command(action="accept", offer_id=offer["data"]["offer_id"])["ok"]
        desk.smtp.wait_for(2)
        assert ws.command(action="end", conversation_id=conv_id)["ok"]
        sent = desk.smtp.wait_for(4)
        assert [_body(s) for s in sent] == [WELCOME, "Здравствуйте, Анна! Меня зовут op1, занимаюсь вашим вопросом.",
                                            FAREWELL, QUESTION_RU]
        for one in sent:
            reply: Any = one.mail
            assert one.rcpt_tos == ["anna@example.ru"] and one.mail_from == ADDRESS
            assert reply["Auto-Submitted"] == "auto-replied"  # the customer's robot must not answer it
            assert reply["In-Reply-To"] == "<s-1@example.ru>"
            assert reply["Subject"] == f"Re: Заказ 1042 [#{conv_id[:8]}]"
        question: Any = sent[3].mail

        # The customer answers the question from their mail client: "4" above the quoted text.
        desk.dovecot.append(mail("<s-2@example.ru>", subject=f"Re: {question['Subject']}",
                                 text=f"4\n\nOn Wed, 2 Dec 2026 at 10:00, Shop support <{ADDRESS}> wrote:\n"
                                      f"> {QUESTION_RU}\n> \n> -- \n> Shop support\n",
                                 In_Reply_To=question["Message-ID"],
                                 References=f"<s-1@example.ru> {question['Message-ID']}"))
        rated = ws.wait("csat.rated", contact_id=conv_id, timeout=20)
        assert rated["data"] == {"score": 4} and rated["operator_id"] == "op1"
        desk.dovecot.append(mail("<s-3@example.ru>", text="5", subject=f"Re: {question['Subject']}",
                                 In_Reply_To=question["Message-ID"]))  # a second answer: kept, not counted
        until(lambda: len(desk.conversation(conv_id)["messages"]) == 7, what="the second answer kept")
        assert ws.command(action="dispose", conversation_id=conv_id, contact_type="clarification",
                          resolved=True)["ok"]

    texts = [(m["direction"], m["text"].split("\n")[0]) for m in desk.conversation(conv_id)["messages"]]
    assert texts[-2:] == [("in", "4"), ("in", "5")]
    assert [(e.contact_id, e.data) for e in _rated(desk)] == [(conv_id, {"score": 4})]
    assert _conversation_ids(desk) == [conv_id]  # neither answer opened a conversation
    assert [m["mail_id"] for m in desk.mails(conv_id)][-2:] == ["<s-2@example.ru>", "<s-3@example.ru>"]
    with desk.api("alpha-sup") as sup:
        row = until(lambda: (lambda rows: rows[0] if rows and rows[0]["csat_answers"] else None)(
            sup.get("/api/v1/projects/alpha/reports/kpi", params={"period": "all"}).json()["rows"]))
    assert row["csat"] == 1.0 and row["csat_answers"] == 1

    # A reply in words to the same question is a new conversation, as any mail after the end.
    desk.dovecot.append(mail("<s-4@example.ru>", text="И ещё: можно доставку в субботу?",
                             subject=f"Re: {question['Subject']}", In_Reply_To=question["Message-ID"]))
    until(lambda: len(_conversation_ids(desk)) == 2, what="a new conversation")
    assert len(_rated(desk)) == 1


def test_a_closed_queue_answers_by_mail_instead_of_the_welcome_and_an_automatic_mail_gets_no_answer(
        desk: Desk) -> None:
    _auto_texts(desk, welcome=WELCOME)
    with desk.api("alpha-admin") as admin:
        closed = admin.put("/api/v1/projects/alpha/queues/sales", json={
            "hours": {"timezone": "Europe/Moscow", "weekly": {}},  # no open day: closed now
            "on_closed": {"kind": "message", "text": CLOSED}})
        assert closed.status_code == 200, closed.text
    desk.dovecot.append(mail("<n-1@example.ru>"))
    [sent] = desk.smtp.wait_for(1)
    reply: Any = sent.mail
    assert _body(sent) == CLOSED and sent.rcpt_tos == ["anna@example.ru"]
    assert reply["Auto-Submitted"] == "auto-replied" and reply["In-Reply-To"] == "<n-1@example.ru>"
    # The customer's own robot answers that: it is not a contact, and nothing answers it.
    desk.dovecot.append(mail("<n-2@example.ru>", subject=f"Auto: {reply['Subject']}", text="I am away until Monday.",
                             Auto_Submitted="auto-replied", In_Reply_To=reply["Message-ID"]))
    until(lambda: all("\\Seen" in f for f in desk.dovecot.flags().values()) and len(desk.dovecot.flags()) == 2,
          what="both mails handled")
    assert len(desk.smtp.wait_for(2, timeout=3)) == 1  # the closed reply only: no welcome, no answer to a robot
    assert len(_conversation_ids(desk)) == 1
