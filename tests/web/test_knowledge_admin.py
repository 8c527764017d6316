"""The knowledge base's settings page in a real browser (in English here; the desktop's
box is tested in Russian): a supervisor adds a promotion, is told beside the field when it
ends before it starts, saves, finds it by another word form, sees the ended ones marked,
and deletes one — the operator's search follows."""

from __future__ import annotations

import datetime as dt
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.knowledge.articles import ARTICLES
from tests.server.conftest import Live
from tests.web.conftest import shot
from tests.web.test_admin import error_beside, sign_in


def test_a_supervisor_keeps_the_articles_and_promotions(live: Live, new_page: Any, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOZVON_KB_INDEX_DIR", str(tmp_path / "kb-index"))
    with closing(live.client("alpha-sup")) as sup:
        for article in ARTICLES[:6]:
            assert sup.post("/api/v1/projects/alpha/kb/articles", json=article).status_code == 201
        assert sup.post("/api/v1/projects/alpha/kb/articles", json={
            "title": "Winter sale", "body": "Carpets 30% off.", "category": "Promotions", "promotion": True,
            "valid_from": "2020-01-01", "valid_until": "2020-02-01"}).status_code == 201
    page = new_page("en")
    sign_in(page, live, "alpha-sup", "en")
    page.goto(f"{live.url}/settings/knowledge?project=alpha")
    expect(page.get_by_role("heading", name="Knowledge base", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="7 article(s)")).to_be_visible()
    expect(page.get_by_role("row", name="Winter sale")).to_contain_text("ended")

    page.get_by_role("link", name="New article").click()
    form = page.get_by_role("form", name="New article")
    form.get_by_label("Title").fill("Весенняя распродажа ковров")
    form.get_by_label("Text").fill("Скидка 20% на все шерстяные ковры.\nТолько в магазинах, не на сайте.")
    form.get_by_label("Category").fill("Promotions")
    form.get_by_label("Tags").fill("акция, ковры")
    form.get_by_label("A promotion").check()
    today = dt.date.today()
    until = form.get_by_label("Valid until")
    form.get_by_label("Valid from").fill(today.isoformat())
    until.fill((today - dt.timedelta(days=3)).isoformat())
    form.get_by_role("button", name="Save").click()
    expect(until).to_have_attribute("aria-invalid", "true")  # when the server has answered
    expect(error_beside(page, until)).to_contain_text("ends")  # the server's message, beside the field
    until.fill((today + dt.timedelta(days=30)).isoformat())
    form.get_by_role("button", name="Save").click()
    editing = page.get_by_role("form", name="Edit «Весенняя распродажа ковров»")
    expect(editing).to_be_visible()
    expect(editing.get_by_label("Tags")).to_have_value("акция, ковры")
    expect(editing.get_by_label("A promotion")).to_be_checked()

    page.get_by_label("Find articles").fill("ковёр")
    page.get_by_role("search").get_by_role("button", name="Find").click()
    table = page.get_by_role("table")
    expect(table.get_by_role("link", name="Весенняя распродажа ковров")).to_be_visible()
    expect(table.get_by_role("link", name="Уход за коврами")).to_be_visible()
    expect(table.get_by_role("link", name="Способы оплаты")).to_have_count(0)
    page.get_by_label("Find articles").fill("")
    page.get_by_label("Category", exact=True).select_option("Promotions")
    page.get_by_role("search").get_by_role("button", name="Find").click()
    expect(table.locator("tbody tr")).to_have_count(2)
    shot(page, "admin-knowledge-en")

    with closing(live.client("alpha-op1")) as op:
        found = op.get("/api/v1/projects/alpha/kb/articles", params={"q": "распродажа"}).json()["items"]
        assert [a["title"] for a in found] == ["Весенняя распродажа ковров"]  # the winter one has ended
    table.get_by_role("link", name="Весенняя распродажа ковров").click()
    delete = page.get_by_role("button", name="Delete «Весенняя распродажа ковров»")
    delete.click()
    delete.click()  # the second click deletes
    expect(page.get_by_role("heading", name="7 article(s)")).to_be_visible()
    with closing(live.client("alpha-op1")) as op:
        assert op.get("/api/v1/projects/alpha/kb/articles", params={"q": "распродажа"}).json()["items"] == []

    ru = new_page("ru")
    sign_in(ru, live, "alpha-sup")
    ru.goto(f"{live.url}/settings/knowledge?project=alpha&article=new")
    expect(ru.get_by_role("form", name="Новая статья")).to_be_visible()
    shot(ru, "admin-knowledge-ru")
    with closing(live.client("alpha-op1")) as op:
        assert op.get(f"{live.url}/settings/knowledge?project=alpha", follow_redirects=False).status_code == 403
