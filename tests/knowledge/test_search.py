"""Searching the knowledge base on SQLite and PostgreSQL: Russian questions in other word
forms (and ё for е) find the right article first, English too; a promotion is found only
within its dates in the project's time zone; the index is derived — deleted, it is rebuilt
from the database with the same results — and follows writes made by another process."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dozvon.accounts.models import AuditEntry
from dozvon.core.errors import InvalidInput, NotFound
from dozvon.knowledge import actions, queries
from dozvon.knowledge.actions import ArticleIn
from dozvon.knowledge.index import KnowledgeIndex
from tests.knowledge.articles import QUESTIONS

TODAY = dt.date(2026, 3, 10)


def _titles(session: Session, index: KnowledgeIndex, project: str, query: str, on: dt.date = TODAY) -> list[str]:
    with session.begin():
        return [hit.title for hit in index.search(session, project, query, on)]


def test_reworded_questions_find_the_right_article_first(shop: Session, index: KnowledgeIndex,
                                                         project: str) -> None:
    wrong = {}
    for question, expected in QUESTIONS:
        found = _titles(shop, index, project, question)
        if not found or found[0] != expected:
            wrong[question] = found[:3]
    assert wrong == {}


def test_word_forms_and_yo_match_and_the_snippet_marks_them(shop: Session, index: KnowledgeIndex,
                                                            project: str) -> None:
    for query in ("ковёр", "ковер", "ковров", "КОВРАМИ"):
        assert "Уход за коврами" in _titles(shop, index, project, query), query
    with shop.begin():
        [hit, *_] = index.search(shop, project, "вернуть ковёр", TODAY)
    assert hit.title == "Возврат и обмен товара"
    marked = [hit.snippet.text[s:e] for s, e in hit.snippet.highlights]
    assert "вернуть" in marked and "Ковёр" in marked
    assert "".join(piece for piece, _ in hit.snippet.parts()) == hit.snippet.text
    # Words that carry no topic find nothing by themselves.
    assert _titles(shop, index, project, "как мне и что") == []


def test_a_promotion_is_found_only_within_its_dates(shop: Session, index: KnowledgeIndex, project: str) -> None:
    with shop.begin():
        for title, start, until in (("Весенняя распродажа ковров", "2026-03-01", "2026-03-31"),
                                    ("Зимняя распродажа ковров", "2026-01-10", "2026-02-28"),
                                    ("Летняя распродажа ковров", "2026-06-01", "2026-06-30")):
            actions.save_article(shop, "test", project, ArticleIn(
                title=title, body="Скидка 20% на все ковры ручной работы.", promotion=True,
                valid_from=start, valid_until=until, tags=["акция"]))
    found = _titles(shop, index, project, "распродажа ковров")
    assert "Весенняя распродажа ковров" in found
    assert "Зимняя распродажа ковров" not in found and "Летняя распродажа ковров" not in found
    assert "Летняя распродажа ковров" in _titles(shop, index, project, "распродажа", dt.date(2026, 6, 30))
    assert "Весенняя распродажа ковров" in _titles(shop, index, project, "распродажа", dt.date(2026, 3, 31))
    assert _titles(shop, index, project, "распродажа", dt.date(2026, 4, 1)) == []
    with shop.begin():
        current = [a.title for a in queries.current_promotions(shop, project, TODAY)]
    assert current == ["Весенняя распродажа ковров"]


def test_today_is_the_project_s_day_so_an_ended_promotion_is_gone_without_anyone_touching_it(
        db: Session, index: KnowledgeIndex, project: str) -> None:
    with db.begin():
        today = queries.today(db, project)
        for title, until in (("Вчерашняя акция на диваны", today - dt.timedelta(days=1)),
                             ("Сегодняшняя акция на диваны", today)):
            actions.save_article(db, "test", project, ArticleIn(title=title, body="Диваны со скидкой",
                                                                promotion=True, valid_until=until))
    with db.begin():
        found = [hit.title for hit in queries.search(db, index, project, "акция на диван")]
    assert found == ["Сегодняшняя акция на диваны"]


def test_the_index_is_rebuilt_from_the_database_with_the_same_results(shop: Session, index: KnowledgeIndex,
                                                                      project: str) -> None:
    before = {q: _titles(shop, index, project, q) for q, _ in QUESTIONS}
    shutil.rmtree(index.root)
    assert {q: _titles(shop, index, project, q) for q, _ in QUESTIONS} == before
    # Another process (another object on the same directory) sees the same.
    other = KnowledgeIndex(index.root)
    assert {q: _titles(shop, other, project, q) for q, _ in QUESTIONS} == before


def test_a_write_elsewhere_is_seen_by_the_next_search(shop: Session, index: KnowledgeIndex, project: str) -> None:
    other = KnowledgeIndex(index.root)  # another server process on the same index directory
    assert _titles(shop, index, project, "подарочный сертификат") == []
    with shop.begin():
        gift = actions.save_article(shop, "admin", project, ArticleIn(
            title="Подарочные сертификаты", body="Сертификат на 3000, 5000 или 10000 рублей действует год."))
    assert _titles(shop, other, project, "сертификаты в подарок") == ["Подарочные сертификаты"]
    assert _titles(shop, index, project, "сертификат") == ["Подарочные сертификаты"]
    with shop.begin():
        actions.save_article(shop, "admin", project, ArticleIn(title="Подарочные карты", body="Карта на 3000."),
                             gift.id)
    assert _titles(shop, index, project, "сертификат") == []
    assert _titles(shop, other, project, "подарочная карта")[0] == "Подарочные карты"
    with shop.begin():
        actions.delete_article(shop, "admin", project, gift.id)
    assert "Подарочные карты" not in _titles(shop, other, project, "подарочная карта")
    assert "Подарочные карты" not in _titles(shop, index, project, "подарочная карта")
    with shop.begin():
        with pytest.raises(NotFound):
            queries.get_article(shop, project, gift.id)
        audited = shop.scalars(select(AuditEntry.action).where(AuditEntry.project == project,
                                                               AuditEntry.target == str(gift.id))).all()
    assert sorted(audited) == ["kb_article.deleted", "kb_article.saved", "kb_article.saved"]


def test_projects_see_only_their_own_articles(shop: Session, index: KnowledgeIndex, project: str) -> None:
    from dozvon.accounts import actions as accounts

    with shop.begin():
        accounts.create_project(shop, "test", project + "b", "Other")
        actions.save_article(shop, "test", project + "b", ArticleIn(title="Секретная доставка", body="Тайна"))
    assert "Секретная доставка" not in _titles(shop, index, project, "доставка")
    assert _titles(shop, index, project + "b", "доставка") == ["Секретная доставка"]


@pytest.mark.parametrize(("given", "field"), [
    (ArticleIn(title="  "), "title"),
    (ArticleIn(title="x" * 301), "title"),
    (ArticleIn(title="Акция", valid_from="2026-03-01", valid_until="2026-02-01"), "valid_until"),
    (ArticleIn(title="Акция", valid_from="1 марта"), "valid_from"),
    (ArticleIn(title="Акция", tags=[{"a": 1}]), "tags"),
])
def test_bad_input_is_refused_naming_the_field_in_both_languages(db: Session, project: str, given: ArticleIn,
                                                                 field: str) -> None:
    with db.begin(), pytest.raises(InvalidInput) as refused:
        actions.save_article(db, "test", project, given)
    assert refused.value.params["field"] == field
    assert refused.value.message("ru") != refused.value.message("en")
    assert "{" not in refused.value.message("ru")
