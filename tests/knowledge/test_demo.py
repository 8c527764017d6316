"""The demo shop's articles: once per project, and a demo customer's questions find them —
the current promotion, not the ended one."""

from __future__ import annotations

from sqlalchemy.orm import Session

from dozvon.conversations.models import Conversation
from dozvon.core.clock import now_us
from dozvon.knowledge import queries, scripts
from dozvon.knowledge.demo import seed_articles, seed_scripts
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


def test_the_demo_scripts_greet_by_name_and_offer_today_s_promotion(db: Session, project: str) -> None:
    with db.begin():
        seed_articles(db, project)
        seed_scripts(db, project)
        seed_scripts(db, project)
        assert [s.title for s in scripts.scripts(db, project)] == ["Новый покупатель", "Жалоба",
                                                                   "Постоянный покупатель"]
        conversation = Conversation(id="demo-1", project=project, channel="chat", queue="sales", external_id="d1",
                                    customer_name="Ольга Смирнова", created_at_us=now_us())
        db.add(conversation)
        db.flush()
        shown = scripts.for_conversation(db, project, conversation, operator_name="Анна Белова")
        assert shown["contact_type"] == "new_inquiry" and shown["script"]["title"] == "Новый покупатель"
        steps = shown["script"]["steps"]
        assert steps[0]["text"].startswith("Добрый день, Ольга! Меня зовут Анна, магазин Ковры и мебель.")
        assert [p["title"] for p in steps[3]["promotions"]] == ["Весенняя распродажа: −20% на текстиль"]
        complaint = scripts.for_conversation(db, project, conversation, chosen="complaint")
        assert complaint["script"]["title"] == "Жалоба"
