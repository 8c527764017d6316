"""The demo shop's knowledge base (``dozvon demo``): delivery, returns, payment, care, a
current promotion and one that has ended — so the desktop's box has something to suggest
when a demo customer asks about delivery or a return; and its call scripts (a general
one with the promotions of the day, one for regular customers, one for complaints)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from dozvon.knowledge import actions, queries, scripts


def _articles(today: dt.date) -> list[dict[str, object]]:
    return [
        {"title": "Доставка по Москве", "category": "Доставка", "tags": ["доставка", "курьер"],
         "body": "Курьер привозит заказ на следующий день с 9:00 до 21:00, за час до приезда звонит.\n"
                 "Доставка бесплатна при заказе от 5000 ₽, иначе — 390 ₽. За МКАД — 30 ₽ за километр.\n"
                 "Перенести доставку можно до 18:00 накануне."},
        {"title": "Доставка в другие города", "category": "Доставка", "tags": ["доставка", "СДЭК", "почта"],
         "body": "Отправляем СДЭК и Почтой России. Срок — от 2 до 7 дней, стоимость считается при оформлении.\n"
                 "Трек-номер приходит в SMS в день отправки."},
        {"title": "Возврат и обмен", "category": "Возврат", "tags": ["возврат", "обмен", "деньги"],
         "body": "Если товар не подошёл по размеру, цвету или просто не понравился, его можно вернуть или обменять "
                 "в течение 14 дней, если сохранены вид, упаковка и чек.\n"
                 "Деньги возвращаем тем же способом, которым платили, за 10 рабочих дней.\n"
                 "Брак меняем или возвращаем деньги в течение гарантийного срока; курьер заберёт товар бесплатно."},
        {"title": "Способы оплаты", "category": "Оплата", "tags": ["оплата", "карта", "рассрочка", "СБП"],
         "body": "Принимаем банковские карты, СБП, наличные и карту курьеру. Юрлицам — оплата по счёту.\n"
                 "Рассрочка на 6 месяцев без переплаты — через банк-партнёр, решение за 5 минут."},
        {"title": "Бонусы и скидки постоянным покупателям", "category": "Скидки", "tags": ["скидка", "бонусы"],
         "body": "С каждой покупки начисляем 5% бонусами; бонусами можно оплатить до 30% заказа.\n"
                 "Скидки по акциям с бонусами не суммируются."},
        {"title": "Весенняя распродажа: −20% на текстиль", "category": "Акции", "tags": ["акция", "распродажа"],
         "promotion": True, "valid_from": today - dt.timedelta(days=5), "valid_until": today + dt.timedelta(days=25),
         "body": "Скидка 20% на пледы, подушки и постельное бельё по промокоду ВЕСНА20.\n"
                 "Действует на сайте и в магазинах, не суммируется с бонусами."},
        {"title": "Чёрная пятница: −50% на посуду", "category": "Акции", "tags": ["акция", "распродажа"],
         "promotion": True, "valid_from": today - dt.timedelta(days=40), "valid_until": today - dt.timedelta(days=10),
         "body": "Скидка 50% на посуду по промокоду BLACK50."},
    ]


def seed_articles(session: Session, project: str) -> None:
    """Once: a project with articles keeps its own."""
    if queries.count(session, project):
        return
    items = list(enumerate(_articles(queries.today(session, project)), start=1))
    actions.import_articles(session, "demo", project, items)


_GREETING = {"title": "Приветствие",
             "text": "Добрый день, {customer.first_name}! Меня зовут {operator.first_name}, магазин {project.name}. "
                     "Чем могу помочь?"}
_PROMOTIONS = {"kind": "promotions", "title": "Предложите действующую акцию"}
_CLOSE = {"title": "Завершение", "text": "Подведите итог: что и к какому сроку сделаем. Спросите, чем ещё помочь.\n"
                                         "Спасибо, что обратились в {project.name}!"}
SCRIPTS: list[scripts.ScriptIn] = [
    scripts.ScriptIn(title="Новый покупатель", steps=[
        _GREETING,
        {"title": "Выясните потребность", "text": "Что ищет, для какой комнаты, размер, бюджет, к какому сроку. "
                                                  "Повторите своими словами."},
        {"title": "Предложите товар", "text": "Два-три варианта из наличия; цена, доставка и сроки — по базе знаний."},
        _PROMOTIONS, _CLOSE]),
    scripts.ScriptIn(title="Постоянный покупатель", contact_type="regular", steps=[
        {"title": "Узнайте клиента", "text": "{customer.first_name}, рады снова вас слышать! Вижу ваш прошлый заказ."},
        {"title": "Скидка", "text": "Если просит скидку — предложите не больше, чем указано на карточке клиента, "
                                    "и назовите условия."},
        _PROMOTIONS, _CLOSE]),
    scripts.ScriptIn(title="Жалоба", contact_type="complaint", steps=[
        {"title": "Выслушайте", "text": "Не перебивайте. Покажите, что понимаете: «Понимаю, как это неприятно»."},
        {"title": "Извинитесь и запишите", "text": "Извинитесь от имени магазина. Запишите номер заказа и суть "
                                                  "проблемы в заметке к разговору."},
        {"title": "Решение", "text": "Обмен, возврат или скидка на следующий заказ — по статье «Возврат и обмен». "
                                     "Не решается — переведите на руководителя по качеству."},
        {"title": "Завершение", "text": "Назовите срок решения и создайте задачу, чтобы перезвонить."}]),
]


def seed_scripts(session: Session, project: str) -> None:
    """Once: a project with scripts keeps its own."""
    if scripts.scripts(session, project):
        return
    for script in SCRIPTS:
        scripts.save_script(session, "demo", project, script)
