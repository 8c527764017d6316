"""Each automatic check on Russian and English conversations that pass and that fail —
with word forms the lexicon does not list literally («грубите» for «грубить»,
«перезвоню» for «перезвонить», "apologizing" for "apologize", "idiots" for "idiot") and
with words addressing the customer inside a phrase («хорошего вам вечера», «сами вы
виноваты», "thank you so much for contacting us")."""

from __future__ import annotations

from typing import Any

import pytest

from dozvon.quality.checks import Ev, Msg, run_checks
from dozvon.quality.lexicon import DEFAULTS
from dozvon.quality.settings import QualitySettings, WordChanges, compile_profile


def c(text: str, at: float) -> Msg:
    return Msg("customer", text, at)


def o(text: str, at: float, auto: str | None = None) -> Msg:
    return Msg("operator", text, at, auto)


def check(messages: list[Msg], name: str, events: list[Ev] | None = None, **kw: Any) -> Any:
    return run_checks(messages, events, **kw).checks[name]


def not_literally(word: str, language: str, name: str) -> None:
    """The form the test uses is not itself an entry of the default list."""
    assert word.lower() not in DEFAULTS[language][name], word


# ---------------------------------------------------------------------------- greeting

def test_greeting_in_the_first_message_passes_in_any_form_ru_and_en() -> None:
    not_literally("доброго дня", "ru", "greeting")
    ru = check([c("Где заказ?", 0), o("Доброго дня! Сейчас посмотрю.", 10)], "greeting")
    assert ru.passed and ru.evidence[0]["words"] == ["добрый день"] and ru.evidence[0]["found"] == ["Доброго дня"]
    en = check([c("Where is my order?", 0), o("Good morning! Let me check.", 10)], "greeting")
    assert en.passed and en.evidence[0]["message"] == 1


@pytest.mark.parametrize(("text", "entry", "found"), [
    ("Thanks so much for reaching out! Let me check.", "thanks for reaching out", "Thanks so much for reaching out"),
    ("Thank you very much for contacting us.", "thank you for contacting", "Thank you very much for contacting"),
    ("Welcoming you to Shop support!", "welcome", "Welcoming"),
])
def test_an_english_greeting_in_forms_the_lexicon_does_not_list_passes(text: str, entry: str, found: str) -> None:
    not_literally(found, "en", "greeting")
    result = check([c("Where is my order?", 0), o(text, 10)], "greeting", language="en")
    assert result.passed and result.evidence[0]["words"] == [entry] and result.evidence[0]["found"] == [found]


def test_no_greeting_in_the_first_message_fails_even_if_it_comes_later() -> None:
    ru = check([c("Где заказ?", 0), o("Номер заказа?", 10), o("Здравствуйте", 20)], "greeting")
    assert not ru.passed and ru.evidence[0]["message"] == 1 and ru.score == 0
    en = check([c("Where is my order?", 0), o("Order number?", 10)], "greeting", language="en")
    assert not en.passed
    later = check([c("Good morning! Thanks so much", 0), o("Order number?", 10),
                   o("Thank you very much for contacting us.", 20)], "greeting", language="en")
    assert not later.passed and later.evidence[0]["message"] == 1, "the customer's greeting is not the operator's"


def test_the_projects_greeting_in_the_operators_name_counts_but_a_queue_auto_reply_does_not() -> None:
    assert check([c("Привет", 0), o("Здравствуйте, Анна!", 1, auto="greeting"), o("Чем помочь?", 5)],
                 "greeting").passed
    assert not check([c("Привет", 0), o("Здравствуйте, мы закрыты", 1, auto="closed"), o("Чем помочь?", 5)],
                     "greeting").passed


# ---------------------------------------------------------------------------- farewell

def test_a_polite_farewell_at_the_end_passes_ru_and_en() -> None:
    ru = check([c("Спасибо", 0), o("Хорошего дня!", 5)], "farewell")
    assert ru.passed and ru.evidence[0]["found"] == ["Хорошего дня"]
    en = check([c("Thanks", 0), o("You're welcome. Have a great day!", 5)], "farewell")
    assert en.passed


def test_ending_without_a_farewell_fails_ru_and_en() -> None:
    ru = check([c("Спасибо", 0), o("Заказ отправлен.", 5)], "farewell")
    assert not ru.passed and ru.evidence[0]["message"] == 1
    en = check([c("Thanks", 0), o("Your order has shipped.", 5)], "farewell")
    assert not en.passed


@pytest.mark.parametrize(("text", "entry", "found"), [
    ("Всего вам самого доброго!", "всего вам доброго", "Всего вам самого доброго"),
    ("До скорого свиданья!", "до скорого свидания", "До скорого свиданья"),
    ("Хорошего вам вечера!", "хорошего вечера", "Хорошего вам вечера"),
    ("Удачного вам дня.", "удачного дня", "Удачного вам дня"),
    ("Спасибо вам большое за ваше обращение.", "спасибо за обращение", "Спасибо вам большое за ваше обращение"),
    ("Будем ждать, до скорых встреч!", "до скорой встречи", "до скорых встреч"),
])
def test_a_farewell_in_forms_the_lexicon_does_not_list_passes_ru(text: str, entry: str, found: str) -> None:
    not_literally(found, "ru", "farewell")
    result = check([c("Спасибо, всё понятно", 0), o("Заказ оформлен, номер 512.", 5), o(text, 8)], "farewell")
    assert result.passed and result.evidence[0]["message"] == 2
    assert result.evidence[0]["words"] == [entry] and result.evidence[0]["found"] == [found]


@pytest.mark.parametrize(("text", "entry", "found"), [
    ("Wishing you a very nice day!", "wish you a nice day", "Wishing you a very nice day"),
    ("Good-bye, and thanks!", "goodbye", "Good-bye"),
    ("Thank you so much for contacting us.", "thank you for contacting", "Thank you so much for contacting"),
    ("Have a really great day!", "have a great day", "Have a really great day"),
    ("Enjoy the rest of your days off.", "enjoy the rest of your day", "Enjoy the rest of your days"),
])
def test_a_farewell_in_forms_the_lexicon_does_not_list_passes_en(text: str, entry: str, found: str) -> None:
    not_literally(found, "en", "farewell")
    result = check([c("Thanks, that's clear", 0), o("Your order number is 512.", 5), o(text, 8)], "farewell",
                   language="en")
    assert result.passed and result.evidence[0]["words"] == [entry] and result.evidence[0]["found"] == [found]


def test_a_farewell_said_only_by_the_customer_too_early_or_negated_fails_ru_and_en() -> None:
    customers = check([c("Всего вам самого доброго!", 0), o("Заказ оформлен.", 5)], "farewell")
    assert not customers.passed and customers.evidence[0]["message"] == 1, "the customer's farewell is not the operator's"
    early = [c("Где заказ?", 0), o("Спасибо вам большое за ваше обращение!", 5), o("Номер заказа?", 10),
             c("512", 20), o("Он в пути.", 25), o("Приедет завтра.", 26)]
    assert not check(early, "farewell").passed, "only the operator's last two messages count"
    en_customers = check([c("Wishing you a very nice day!", 0), o("Your refund is processed.", 5)], "farewell",
                         language="en")
    assert not en_customers.passed
    negated = check([c("Bye then", 0), o("Not good-bye yet: what is your order number?", 5)], "farewell",
                    language="en")
    assert not negated.passed


# ---------------------------------------------------------------------------- politeness

@pytest.mark.parametrize(("text", "entry"), [
    ("Не грубите мне, пожалуйста.", "грубить"),
    ("Это, знаете, не вашего дела касается.", "не ваше дело"),
    ("Вы что, читать не умеете?", "читать не уметь"),
    ("Сами виноваты, надо было читать условия.", "сами виноваты"),
    ("Сами вы виноваты.", "сами виноваты"),
    ("Ничем не могу вам помочь.", "ничем не могу помочь"),
    ("Я же вам сказала: ждите.", "я же сказал"),
])
def test_rude_wording_in_any_form_fails_politeness_ru(text: str, entry: str) -> None:
    result = check([c("Где заказ?", 0), o("Здравствуйте!", 5), o(text, 10)], "politeness")
    assert not result.passed
    assert result.evidence[0]["words"] == [entry] and result.evidence[0]["message"] == 2


@pytest.mark.parametrize(("text", "entry"), [
    ("That's none of your business.", "none of your business"),
    ("Can't you read the page?", "can't you read"),
    ("Stop being stupid.", "stupid"),
])
def test_rude_wording_fails_politeness_en(text: str, entry: str) -> None:
    result = check([c("Where is it?", 0), o(text, 10)], "politeness")
    assert not result.passed and result.evidence[0]["words"] == [entry]


@pytest.mark.parametrize(("text", "entry"), [
    ("You people are idiots.", "idiot"),
    ("I'd already told you that.", "i already told you"),
    ("That was your problem, not ours.", "your problem not ours"),
    ("He stopped bothering us, so should you.", "stop bothering"),
    ("I really don't care.", "i don't care"),
])
def test_rude_wording_in_another_number_tense_or_with_a_word_inserted_fails_politeness_en(
        text: str, entry: str) -> None:
    result = check([c("Where is it?", 0), o(text, 10)], "politeness", language="en")
    assert not result.passed and result.evidence[0]["words"] == [entry]
    not_literally(result.evidence[0]["found"][0], "en", "rude")


def test_helping_with_the_customers_problem_or_taking_the_blame_is_not_rude_ru_and_en() -> None:
    """«ваши проблемы» and "your fault" are rude only as a brush-off («это ваши проблемы»,
    "it's your fault"): an operator who solves the customer's problem is not."""
    for text in ("Мы решим ваши проблемы с доставкой сегодня.", "Понимаю ваши проблемы, сейчас помогу."):
        assert check([c("Где заказ?", 0), o(text, 10)], "politeness").passed, text
    for text in ("We'll fix your problems with the delivery today.", "It's not your fault, we're sorry.",
                 "Sorry, it was our fault, not your fault."):
        assert check([c("Where is it?", 0), o(text, 10)], "politeness", language="en").passed, text
    rude = check([c("Where is it?", 0), o("That's your problem, not mine.", 10)], "politeness", language="en")
    assert rude.evidence[0]["words"] == ["that's your problem", "your problem not mine"]


def test_polite_operators_pass_and_a_customers_rudeness_is_not_the_operators() -> None:
    assert check([c("Вы что, читать не умеете?! Идиоты", 0), o("Понимаю вас, давайте разберёмся.", 10)],
                 "politeness").passed
    assert check([c("You idiots!", 0), o("I understand, let me help.", 10)], "politeness").passed


def test_a_project_adds_and_removes_rude_words_and_forms_of_them_count() -> None:
    profile = compile_profile(QualitySettings(words={"ru": {"rude": WordChanges(add=["халтурить"],
                                                                              remove=["грубить"])}}))
    talk = [c("Где заказ?", 0), o("Не халтурьте. И не грубите.", 10)]
    result = run_checks(talk, profile=profile).checks["politeness"]
    assert not result.passed and result.evidence[0]["words"] == ["халтурить"]


# ---------------------------------------------------------------------------- unanswered question

def test_a_question_answered_later_passes_ru_and_en() -> None:
    assert check([c("Сколько стоит доставка?", 0), o("Доставка бесплатна.", 20)], "unanswered_question").passed
    assert check([c("How much is delivery", 0), o("It's free.", 20)], "unanswered_question").passed


def test_a_last_question_with_no_reply_fails_with_the_question_as_evidence() -> None:
    ru = check([c("Где заказ?", 0), o("В пути.", 20), c("А когда привезут", 40)], "unanswered_question")
    assert not ru.passed and ru.evidence == [{"message": 2, "from": "customer", "at": 40, "text": "А когда привезут"}]
    en = check([c("Where's my order?", 0), o("On its way.", 20), c("When will it arrive?", 40)],
               "unanswered_question")
    assert not en.passed and en.evidence[0]["message"] == 2


def test_no_question_means_the_check_does_not_apply() -> None:
    result = check([c("Спасибо, всё получил.", 0), o("Рады помочь!", 5)], "unanswered_question")
    assert result.passed and not result.applies


# ---------------------------------------------------------------------------- empathy

def test_a_complaint_acknowledged_passes_in_any_form_ru_and_en() -> None:
    not_literally("сожалеем", "ru", "empathy")
    ru = check([c("Это просто безобразие, заказ опять опоздал!", 0), o("Очень сожалеем, сейчас всё выясню.", 10)],
               "empathy")
    assert ru.passed and [e["message"] for e in ru.evidence] == [0, 1]
    assert ru.evidence[1]["words"] == ["сожалеть"]
    not_literally("apologizing", "en", "empathy")
    en = check([c("This is terrible service!", 0), o("I'm apologizing for the delay.", 10)], "empathy")
    assert en.passed and en.evidence[1]["found"] == ["apologizing"]


def test_an_acknowledgement_with_words_addressing_the_customer_inside_passes_ru_and_en() -> None:
    ru = check([c("Безобразие, опять опоздали!", 0), o("Приносим вам свои извинения за задержку.", 10)], "empathy")
    assert ru.passed and ru.evidence[1]["words"] == ["приносить извинения"]
    assert ru.evidence[1]["found"] == ["Приносим вам свои извинения"]
    en = check([c("This is unacceptable!", 0), o("Thank you so much for your patience.", 10)], "empathy",
               language="en")
    assert en.passed and en.evidence[1]["found"] == ["Thank you so much for your patience"]
    # Only the listed inserts: any other word between a phrase's words keeps it from matching.
    assert not check([c("Безобразие!", 0), o("Приносим завтра извинения.", 10)], "empathy").passed


def test_a_complaint_with_no_acknowledgement_fails_naming_the_complaint() -> None:
    not_literally("недовольна", "ru", "complaint")
    ru = check([c("Я очень недовольна доставкой", 0), o("Номер заказа?", 10)], "empathy")
    assert not ru.passed and ru.evidence[0]["words"] == ["недоволен"] and ru.evidence[0]["found"] == ["недовольна"]
    en = check([c("I'm really disappointed", 0), o("Order number?", 10)], "empathy")
    assert not en.passed


def test_empathy_does_not_apply_without_a_complaint() -> None:
    result = check([c("Сколько стоит доставка?", 0), o("Бесплатно.", 10)], "empathy")
    assert result.passed and not result.applies


# ---------------------------------------------------------------------------- response time

def test_replies_within_the_limits_pass_and_late_ones_fail_with_their_waits() -> None:
    assert check([c("Привет", 0), o("Здравствуйте", 30), c("Где заказ?", 40), o("В пути", 100)],
                 "response_time").passed
    late = check([c("Привет", 0), o("Здравствуйте", 30), c("Где заказ?", 40), o("В пути", 400)], "response_time")
    assert not late.passed and late.score == 50
    assert late.evidence == [{"message": 3, "after": 2, "at": 400, "wait_s": 360.0, "limit_s": 180.0,
                              "first": False, "late": True}]
    first = check([c("Hello", 0), o("Hi!", 90)], "response_time")
    assert not first.passed and first.evidence[0]["first"] and first.evidence[0]["limit_s"] == 60.0


def test_the_wait_counts_from_when_the_operator_took_the_conversation_and_email_has_its_own_limits() -> None:
    talk = [c("Где заказ?", 0), o("Добрый день!", 130)]
    answered = [Ev("contact.answered", 100.0, "op1", "sales", {}, 5)]
    assert check(talk, "response_time", answered).passed  # 30 s after the answer, not 130 s after the question
    assert check([c("Где заказ?", 0), o("Добрый день!", 3600)], "response_time", channel="email").passed


def test_an_automatic_message_is_not_a_reply() -> None:
    result = check([c("Где заказ?", 0), o("Здравствуйте!", 1, auto="greeting"), o("В пути", 300)], "response_time")
    assert not result.passed and result.evidence[0]["wait_s"] == 300.0


# ---------------------------------------------------------------------------- events

def test_a_long_hold_fails_and_a_short_one_passes() -> None:
    events = [Ev("contact.answered", 0, "op1", "sales", {}, 1), Ev("contact.held", 10, "op1", "sales", {}, 2),
              Ev("contact.resumed", 250, "op1", "sales", {"hold_s": 240.0}, 3)]
    result = check([], "long_hold", events)
    assert not result.passed
    assert result.evidence[0] == {"event": "contact.held", "at": 10, "seq": 2, "operator_id": "op1", "until": 250,
                                  "hold_s": 240.0, "limit_s": 120.0, "ended_by": "contact.resumed"}
    short = [*events[:2], Ev("contact.resumed", 40, "op1", "sales", {"hold_s": 30.0}, 3)]
    assert check([], "long_hold", short).passed


def test_transfer_ping_pong_between_two_operators_fails() -> None:
    events = [Ev("contact.answered", 0, "op1", "sales", {}, 1),
              Ev("contact.transferred", 30, "op1", "sales", {"to_operator": "op2"}, 2),
              Ev("contact.answered", 35, "op2", "sales", {}, 3),
              Ev("contact.transferred", 60, "op2", "sales", {"to_operator": "op1"}, 4),
              Ev("contact.answered", 65, "op1", "sales", {}, 5)]
    result = check([], "transfer_ping_pong", events)
    assert not result.passed and [e["to"] for e in result.evidence] == ["op1", "op2", "op1"]
    assert check([], "transfer_ping_pong", events[:3]).passed


def test_a_promise_to_call_back_needs_a_task_ru_and_en() -> None:
    not_literally("перезвоню", "ru", "callback")
    talk = [c("Когда привезут?", 0), o("Уточню на складе и перезвоню вам.", 10)]
    answered = [Ev("contact.answered", 0, "op1", "sales", {}, 1)]
    broken = check(talk, "callback_promise", answered)
    assert not broken.passed and broken.evidence[0]["found"] == ["перезвоню"]
    task = Ev("task.created", 20, "op1", None, {"task_id": 7, "kind": "callback", "due_at": 99.0}, 2)
    kept = check(talk, "callback_promise", [*answered, task])
    assert kept.passed and kept.evidence[-1]["task_id"] == 7
    en = check([c("When?", 0), o("I'll get back to you tomorrow.", 10)], "callback_promise", answered)
    assert not en.passed
    assert not check(talk, "callback_promise").applies  # no events given: it cannot be told


# ---------------------------------------------------------------------------- the score

def test_the_score_is_the_weighted_mean_of_the_applicable_checks_and_off_checks_are_left_out() -> None:
    talk = [c("Сколько стоит доставка?", 0), o("Бесплатно.", 10)]
    report = run_checks(talk)
    # greeting (1) and farewell (1) fail; politeness (3), unanswered (2), response time (1) pass.
    assert report.failed == ["greeting", "farewell"] and report.score == round(100 * 6 / 8)
    quiet = run_checks(talk, profile=compile_profile(QualitySettings(enabled={"greeting": False, "farewell": False})))
    assert "greeting" not in quiet.checks and quiet.score == 100


def test_evidence_reads_as_a_line_in_russian_and_english() -> None:
    from dozvon.quality.explain import check_name, evidence_line

    rude = check([c("Где заказ?", 0), o("Не грубите.", 12)], "politeness").evidence[0]
    assert evidence_line(rude, "ru") == "#2 оператор @ 12s: «грубите»"
    assert evidence_line(rude, "en") == "#2 operator @ 12s: «грубите»"
    assert check_name("unanswered_question", "ru") == "Вопрос без ответа"
    assert evidence_line({"note": "no_complaint"}, "en") == "the customer did not complain"


def test_a_negated_cue_is_not_one() -> None:
    talk = [c("Это безобразие!", 0), o("Не понимаю, о чём вы.", 10)]
    assert not check(talk, "empathy").passed
    assert check([c("This is terrible!", 0), o("I understand, sorry.", 10)], "empathy").passed
    assert not check([c("This is terrible!", 0), o("I'm not sorry.", 10)], "empathy").passed
