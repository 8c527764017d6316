"""The demo shop's articles: once per project, and a demo customer's questions find them —
the current promotion, not the ended one."""

from __future__ import annotations

from sqlalchemy.orm import Session

from dozvon.knowledge import queries
from dozvon.knowledge.demo import seed_articles
from dozvon.knowledge.index import KnowledgeIndex


def test_the_demo_articles_answer_its_customers(db: Session, index: KnowledgeIndex, project: str) -> None:
    with db.begin():
        seed_articles(db, project)
        seed_articles(db, project)
        assert queries.count(db, project) == 7
    with db.begin():
        def first(question: str) -> str:
            return queries.search(db, index, project, question)[0].title

        assert first("Здравствуйте, хочу вернуть плед, он не подошёл") == "Возврат и обмен"
        assert first("сколько стоит доставка по Москве?") == "Доставка по Москве"
        assert first("можно оплатить в рассрочку?") == "Способы оплаты"
        sales = [h.title for h in queries.search(db, index, project, "распродажа акция")]
        assert sales[0] == "Весенняя распродажа: −20% на текстиль"
        assert "Чёрная пятница: −50% на посуду" not in sales  # it has ended
        assert [a.title for a in queries.current_promotions(db, project)] == ["Весенняя распродажа: −20% на текстиль"]
