"""The quality pages in a real browser, in Russian and English, on SQLite and PostgreSQL:
a supervisor scores a conversation beside its transcript, the operator disputes it from
"My quality", the supervisor upholds it and the operator acknowledges; a calibration
session shows where two supervisors disagree; a conversation marked as an example is found
in the library; the scorecard editor saves a new version and says what is wrong beside the
field; the operator's page compares with the team's median and names nobody.

With DOZVON_SAVE_SCREENS=1 every screen is saved to docs/screens/ in both languages."""

from __future__ import annotations

import re
import time
from contextlib import closing
from typing import Any

from playwright.sync_api import expect

from tests.quality.test_evaluations_api import P, answers_for, handled, the_card
from tests.server.conftest import Live
from tests.web.conftest import shot
from tests.web.test_admin import sign_in

SAID = "Здравствуйте! Заказ 1042 пришёл не тот, я очень недоволен."
REPLY = "Здравствуйте, Анна! Понимаю, как это неприятно. Сейчас оформлю обмен — курьер привезёт завтра до 14:00."


def choose_everything(form: Any, *, except_: dict[str, str] | None = None) -> None:
    """The top answer in every criterion's group, and the named ones as given.

    Waits for the card to be on the page first: a locator's count() does not wait, so
    right after a link to the card is clicked it could count the old page's none."""
    groups = form.get_by_role("radiogroup")
    expect(groups.first).to_be_visible()
    for n in range(groups.count()):
        groups.nth(n).get_by_role("radio").first.check()
    for name, answer in (except_ or {}).items():
        form.get_by_role("radiogroup", name=name).get_by_role("radio", name=answer, exact=True).check()


def in_english(page: Any, live: Live) -> None:
    page.goto(f"{live.url}/lang/en?back={page.url.removeprefix(live.url)}")


def in_russian(page: Any, live: Live) -> None:
    page.goto(f"{live.url}/lang/ru?back={page.url.removeprefix(live.url)}")


def test_a_supervisor_scores_the_operator_disputes_and_the_supervisor_answers(live: Live, new_page: Any) -> None:
    chat = handled(live, "op1", "b1", said=SAID, reply=REPLY, contact_type="complaint", csat=2)
    sup = new_page("ru")
    sign_in(sup, live, "alpha-sup", "ru")
    sup.get_by_role("navigation", name="Разделы").get_by_role("link", name="Качество").click()
    expect(sup.get_by_role("heading", name="Очередь оценки", level=1)).to_be_visible()
    row = sup.get_by_role("row").filter(has_text="Клиент b1")
    expect(row).to_contain_text("Низкая оценка клиента: 2")
    shot(sup, "quality-queue-ru")
    in_english(sup, live)
    expect(sup.get_by_role("heading", name="Evaluation queue", level=1)).to_be_visible()
    shot(sup, "quality-queue-en")
    in_russian(sup, live)

    sup.get_by_role("link", name="Оценить разговор с клиентом Клиент b1").click()
    expect(sup.get_by_role("heading", name="Переписка")).to_be_visible()
    expect(sup.get_by_role("list", name="Переписка")).to_contain_text("курьер привезёт завтра")
    form = sup.get_by_role("form", name="Карта оценки")
    # Nothing chosen: every criterion says so beside itself, nothing is sent.
    form.get_by_role("button", name="Отправить оценку").click()
    expect(form.get_by_text("Выберите ответ (или «Неприменимо»)").first).to_be_visible()
    choose_everything(form, except_={"Предложил подходящее решение или альтернативу (скидку в рамках политики, "
                                     "другой товар)": "0"})
    expect(form.locator("output")).to_have_text(re.compile(r"\d+ из 100"))
    form.get_by_label("Комментарий к критерию «Выяснил, что на самом деле нужно клиенту»").fill(
        "Сразу понял, что нужен обмен")
    form.get_by_label("Что получилось хорошо").fill("Признал неудобство и сразу предложил обмен")
    form.get_by_label("Над чем поработать").fill("Предложить компенсацию доставки")
    sup.evaluate("window.scrollTo(0, 0)")
    shot(sup, "quality-evaluate-ru")
    form.get_by_role("button", name="Отправить оценку").click()
    expect(sup.get_by_role("status").filter(has_text="Оценка сохранена")).to_be_visible()
    article = sup.get_by_role("article").filter(has_text="Оценка: alpha-sup")
    expect(article).to_contain_text("Признал неудобство")
    expect(article.get_by_text("Новая", exact=True)).to_be_visible()
    shot(sup, "quality-evaluated-ru")
    in_english(sup, live)
    expect(sup.get_by_role("article").filter(has_text="Evaluation by alpha-sup")).to_be_visible()
    shot(sup, "quality-evaluated-en")

    # The operator, in English, finds it on "My quality" and disputes it, saying why.
    op = new_page("en")
    sign_in(op, live, "alpha-op1", "en")
    op.goto(f"{live.url}/my-quality")  # the desktop links to it from its status bar (desktop.html)
    expect(op.get_by_role("heading", name="My quality", level=1)).to_be_visible()
    op.get_by_role("link", name=re.compile("Conversation of")).click()
    mine = op.get_by_role("article").filter(has_text="Evaluation by alpha-sup")
    mine.get_by_role("button", name="Dispute").click()
    expect(mine.get_by_text("Please fill this in")).to_be_visible()
    mine.get_by_label("Why you disagree").fill("A discount on delivery is not ours to give")
    mine.get_by_role("button", name="Dispute").click()
    expect(op.get_by_role("article").get_by_text("Disputed", exact=True)).to_be_visible()
    shot(op, "quality-disputed-en")

    # Back with the supervisor: the dispute is first in the queue; they uphold it with a comment.
    in_russian(sup, live)
    sup.goto(f"{live.url}/quality")
    disputes = sup.get_by_role("region", name="Оспоренные оценки (1)")
    expect(disputes).to_contain_text("A discount on delivery is not ours to give")
    disputes.get_by_role("link").first.click()
    sup.get_by_label("Почему оценка остаётся").fill("Компенсацию можно было предложить через старшего")
    sup.get_by_role("button", name="Оставить оценку").click()
    expect(sup.get_by_role("article").get_by_text("Оставлена", exact=True)).to_be_visible()
    shot(sup, "quality-upheld-ru")

    op.reload()
    answered = op.get_by_role("article").filter(has_text="Evaluation by alpha-sup")
    expect(answered).to_contain_text("Компенсацию можно было предложить через старшего")
    answered.get_by_role("button", name="Acknowledge").click()
    expect(op.get_by_role("article").get_by_text("Acknowledged", exact=True)).to_be_visible()
    expect(op.get_by_role("button", name="Dispute")).to_have_count(0)
    with closing(live.client("alpha-sup")) as api:
        steps = api.get(f"{P}/evaluations", params={"conversation_id": chat}).json()["items"][0]["steps"]
    assert [s["action"] for s in steps] == ["submitted", "disputed", "upheld", "acknowledged"]


def test_calibration_examples_and_the_scorecard_editor(live: Live, new_page: Any) -> None:
    chat = handled(live, "op2", "b2", said=SAID, reply=REPLY, contact_type="complaint")
    sup = new_page("en")
    sign_in(sup, live, "alpha-sup", "en")
    sup.goto(f"{live.url}/quality/calibrations")
    new = sup.get_by_role("form", name="Start a session")
    new.get_by_label("Title").fill("Complaints, week 49")
    new.get_by_label("Conversation id").fill(chat)
    new.get_by_role("button", name="Start").click()
    expect(sup.get_by_role("heading", name="Complaints, week 49", level=1)).to_be_visible()
    expect(sup.get_by_text("They and the spread show once you have scored")).to_be_visible()  # blind scoring
    expect(sup.get_by_role("heading", name="Spread per criterion")).to_have_count(0)
    sup.get_by_role("link", name="Score it now").click()
    form = sup.get_by_role("form", name="Scorecard")
    choose_everything(form, except_={"Acknowledged the customer's feelings when they were upset": "2"})
    form.get_by_role("button", name="Submit my calibration score").click()
    expect(sup.get_by_role("status").filter(has_text="Evaluation saved")).to_be_visible()
    with closing(live.client("alpha-admin")) as admin:
        card = the_card(admin)
        cal = admin.get(f"{P}/calibrations").json()["items"][0]["id"]
        assert admin.post(f"{P}/evaluations", json={
            "conversation_id": chat, "scorecard_id": card["id"], "calibration_id": cal,
            "answers": answers_for(card, empathy__acknowledge=0, resolution__resolved=1)}).status_code == 201
    sup.goto(f"{live.url}/quality/calibrations/{cal}")
    spread = sup.get_by_role("table")
    expect(spread.get_by_role("row").nth(1)).to_contain_text("Acknowledged the customer's feelings")
    expect(spread.get_by_role("row").nth(1)).to_contain_text("2 of 2")
    expect(spread.get_by_role("row").filter(has_text="Greeted the customer")).to_contain_text("agreed")
    shot(sup, "quality-calibration-en")
    in_russian(sup, live)
    expect(sup.get_by_role("heading", name="Разброс по критериям")).to_be_visible()
    shot(sup, "quality-calibration-ru")

    # A best practice: marked on the conversation, found in the library by competency.
    sup.goto(f"{live.url}/quality/conversations/{chat}")
    marking = sup.get_by_role("region", name="Лучшая практика")
    marking.get_by_label("Чем этот разговор хорош как пример").fill("Эмпатия и обмен без лишних вопросов")
    marking.get_by_role("checkbox", name="Эмпатия").check()
    marking.get_by_role("button", name="Отметить как пример").click()
    expect(sup.get_by_text("Пример для обучения, отметил(а) alpha-sup")).to_be_visible()
    sup.goto(f"{live.url}/quality/examples")
    search = sup.get_by_role("search", name="Поиск примеров")
    search.get_by_label("Компетенция").select_option(label="Эмпатия")
    search.get_by_role("button", name="Найти").click()
    expect(sup.get_by_role("listitem").filter(has_text="Эмпатия и обмен без лишних вопросов")).to_be_visible()
    shot(sup, "quality-examples-ru")
    search = sup.get_by_role("search", name="Поиск примеров")
    search.get_by_label("Компетенция").select_option(label="Вежливость")
    search.get_by_role("button", name="Найти").click()
    expect(sup.get_by_text("Примеров пока нет.")).to_be_visible()
    in_english(sup, live)
    sup.goto(f"{live.url}/quality/examples")
    expect(sup.get_by_role("listitem").filter(has_text="Эмпатия и обмен без лишних вопросов")).to_contain_text(
        "Empathy")
    shot(sup, "quality-examples-en")

    # The scorecard editor: a problem is shown beside its field; a good change is version 2.
    sup.goto(f"{live.url}/quality/scorecards")
    editor = sup.get_by_role("form", name="Competencies")
    shot(sup, "quality-scorecards-en")
    first = editor.get_by_role("group", name="Competency").first
    first.get_by_label("Title in English").fill("")
    first.get_by_label("Title in Russian").fill("")
    editor.get_by_role("button", name="Save as a new version").click()
    expect(first.get_by_text("write what it means (in English or Russian)")).to_be_visible()
    first.get_by_label("Title in English").fill("Leading the call")
    first.get_by_label("Title in Russian").fill("Ведение разговора")
    editor.get_by_role("button", name="Save as a new version").click()
    expect(sup.get_by_role("status").filter(has_text="Saved as version 2")).to_be_visible()
    expect(sup.get_by_role("group", name="Competency").first.get_by_label("Title in English")).to_have_value(
        "Leading the call")
    in_russian(sup, live)
    expect(sup.get_by_role("heading", name="Карты оценки", level=1)).to_be_visible()
    shot(sup, "quality-scorecards-ru")


def test_the_operators_page_shows_the_team_median_and_names_nobody(live: Live, new_page: Any) -> None:
    ones = [handled(live, "op1", f"m{n}") for n in range(2)]
    twos = [handled(live, "op2", f"n{n}") for n in range(2)]
    with closing(live.client("alpha-sup")) as sup:
        card = the_card(sup)
        for chat, override in ((ones[0], {}), (ones[1], {"negotiation__offer": 0}),
                               (twos[0], {"politeness__no_rudeness": 0}), (twos[1], {})):
            assert sup.post(f"{P}/evaluations", json={"conversation_id": chat, "scorecard_id": card["id"],
                                                      "answers": answers_for(card, **override)}).status_code == 201
        mine = sup.get(f"{P}/evaluations", params={"operator_id": "op1"}).json()["items"]
        theirs = sup.get(f"{P}/evaluations", params={"operator_id": "op2"}).json()["items"]
    own = sum(e["score"] for e in mine) / 2
    team = (own + sum(e["score"] for e in theirs) / 2) / 2  # the median of two is their mean
    page = new_page("ru")
    sign_in(page, live, "alpha-op1", "ru")
    page.goto(f"{live.url}/my-quality")
    figures = page.get_by_role("table").first
    score_row = figures.get_by_role("row").filter(has_text="Балл оценки качества")
    expect(score_row.get_by_role("cell").nth(0)).to_have_text(f"{own:.0f}")
    expect(score_row.get_by_role("cell").nth(1)).to_have_text(f"{team:.0f}")
    expect(figures.get_by_role("columnheader", name="Медиана команды")).to_be_visible()
    expect(page.get_by_text("Здесь нет рейтинга")).to_be_visible()
    text = page.locator("main").inner_text()
    assert "op2" not in text and "alpha-op2" not in text, "no colleague is named on the operator's page"
    assert not re.search(r"(место|рейтинг:|rank)\s*\d", text, re.I), "no ranks"
    shot(page, "quality-mine-ru")
    in_english(page, live)
    expect(page.get_by_role("columnheader", name="Team median").first).to_be_visible()
    shot(page, "quality-mine-en")
    # Nor may the operator open the supervisor's pages.
    page.goto(f"{live.url}/quality")
    expect(page.get_by_role("heading", name="Not available to you")).to_be_visible()

    # The reports page: evaluation scores beside the KPIs and CSAT, per operator.
    boss = new_page("en")
    sign_in(boss, live, "alpha-sup", "en")
    boss.goto(f"{live.url}/reports")
    quality = boss.get_by_role("region", name="Quality by operator")
    expect(quality).to_be_visible(timeout=20_000)
    first = quality.get_by_role("row").filter(has_text="op1")
    expect(first.get_by_role("cell").nth(0)).to_have_text("2")
    expect(first.get_by_role("cell").nth(1)).to_have_text(f"{own:.0f}")
    expect(quality.get_by_role("img", name="Evaluation scores by week: the team and each competency")
           .locator(".main-svg").first).to_be_attached()
    quality.scroll_into_view_if_needed()
    shot(boss, "quality-reports-en")
    boss.goto(f"{live.url}/reports?by=operator")  # cut by operator: each operator's line in the trend
    per_operator = boss.get_by_role("img", name="Evaluation scores by week: the team and each operator")
    expect(per_operator.locator(".legendtext").filter(has_text="op2")).to_have_count(1)


def test_the_wrap_up_form_takes_the_suggested_type_and_the_history_shows_the_checks(live: Live,
                                                                                     new_page: Any) -> None:
    from tests.web.test_desktop import RU, go_available, log_in

    def write(key: str, text: str) -> str:
        with closing(live.token_client("alpha")) as adapter:
            answer = adapter.post(f"{P}/ingest/messages", json={
                "channel": "chat", "external_id": key, "queue": "sales", "text": text,
                "customer": {"id": "cust-angry", "name": "Анна Петрова"}})
        assert answer.status_code == 201, answer.text
        return str(answer.json()["conversation_id"])

    page = new_page("ru")
    log_in(page, live, "alpha-op1", RU)
    go_available(page, RU)
    first = write("angry-1", "Это безобразие! Пишу жалобу: заказ опять задержали, я очень недовольна.")
    page.locator("[data-offer]").filter(has_text="Анна Петрова").get_by_role("button", name=RU["accept"]).click()
    pane = page.locator(f"[data-conversation='{first}']")
    pane.get_by_label(RU["message"]).fill("Здравствуйте, Анна! Понимаю ваше недовольство, приносим извинения.")
    pane.get_by_label(RU["message"]).press("Enter")
    pane.get_by_role("button", name=RU["end"], exact=True).click()
    expect(pane.get_by_text("Предложено: Жалоба")).to_be_visible()
    expect(pane.get_by_label("Жалоба")).to_be_checked()
    shot(page, "quality-wrapup-suggested-ru")
    pane.get_by_role("button", name="Сохранить и закрыть").click()
    expect(pane).to_have_count(0)
    with closing(live.client("alpha-sup")) as api:
        deadline = time.monotonic() + 30
        while not api.get(f"{P}/conversations/{first}/quality").json().get("checked"):
            assert time.monotonic() < deadline, "the closed conversation was never checked"
            time.sleep(0.2)

    # The same customer writes again: the history beside the new conversation has the checks.
    write("angry-2", "И ещё вопрос по заказу")
    page.locator("[data-offer]").filter(has_text="Анна Петрова").get_by_role("button", name=RU["accept"]).click()
    past = page.locator(f"[data-past='{first}']")
    past.get_by_text("Автоматические проверки").click()
    expect(past).to_contain_text(re.compile(r"\d+ из 100"))
    expect(past.get_by_role("listitem")).to_contain_text("Прощание — «Здравствуйте, Анна!")
    past.locator(".past__checks-body").scroll_into_view_if_needed()
    shot(page, "quality-desktop-history-ru")
