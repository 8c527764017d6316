"""Generated customers' first messages per contact type, in Russian, varied in words,
forms and order (deterministic by seed) — the labelled set the classifier is trained and
cross-validated on, and the conversations the benchmark stores."""

from __future__ import annotations

import random

PRODUCTS = ["диван", "кровать", "шкаф", "ковёр", "стол", "кресло", "матрас", "комод", "стул", "тумбу", "полку",
            "люстру", "зеркало", "пуф"]
PRODUCTS_GEN = ["дивана", "кровати", "шкафа", "ковра", "стола", "кресла", "матраса", "комода", "стула", "тумбы",
                "полки", "люстры", "зеркала", "пуфа"]
CITIES = ["Минск", "Москву", "Казань", "Гродно", "Брест", "Тверь", "Самару", "Пермь"]
GREETINGS = ["Здравствуйте!", "Добрый день.", "Привет.", "Доброе утро!", "", "", "Добрый вечер,"]
NAMES = ["Анна", "Игорь", "Ольга", "Сергей", "Мария", "Дмитрий", "Елена"]

NEW_INQUIRY = [
    "Сколько стоит {p}?", "Хочу купить {p}, есть в наличии?", "Подскажите цену на {p}.",
    "Какие размеры у {g}?", "Есть ли доставка в {c}?", "Интересует {p}, какие цвета бывают?",
    "Можно ли оплатить {p} картой при получении?", "Какая гарантия на {p}?", "Есть ли скидки на {p} для новых покупателей?",
    "Из какого материала {p}?", "Сколько дней доставка {g} в {c}?", "Посоветуйте {p} для маленькой комнаты.",
]
CLARIFICATION = [
    "Я уже писал вчера про {p}, так и не понял, когда доставка.", "Повторно обращаюсь по заказу {g}.",
    "Мне вчера сказали, что перезвонят насчёт {g}, но никто не перезвонил.", "Уточните ещё раз статус заказа {g}.",
    "Продолжаю вчерашний разговор про {p}.", "Вы обещали прислать счёт за {p}, я его не получила.",
    "Снова по тому же вопросу: {p} до сих пор не отгрузили?", "Пишу второй раз, уточните сроки по {g}.",
    "В прошлый раз оператор не ответил на мой вопрос про {p}.", "Так что там с моим заказом {g}, который обсуждали?",
]
REGULAR = [
    "Я ваш постоянный покупатель, хочу ещё {p}.", "Снова хочу заказать {p}, как в прошлый раз.",
    "Беру у вас уже третий раз, положена ли скидка на {p}?", "Закажу опять {p}, доставка на тот же адрес.",
    "Как постоянному клиенту, сделаете скидку на {p}?", "Мне бы повторить прошлый заказ и добавить {p}.",
    "Давно у вас покупаю, нужен ещё {p} в тот же цвет.", "По карте постоянного клиента хочу {p}.",
]
COMPLAINT = [
    "Привезли {p} с царапиной, это ужасно!", "Я крайне недовольна качеством {g}.", "Хочу оставить жалобу на курьера.",
    "Это безобразие, {p} сломался через неделю!", "Верните деньги за {p}, он бракованный.",
    "Отвратительное обслуживание, {p} до сих пор не привезли.", "Курьер нахамил, я возмущена.",
    "У меня претензия по {g}: не тот цвет.", "Какой кошмар, {p} пришёл разбитым!",
]
PARTNER = [
    "Предлагаем сотрудничество: мы производим {p}.", "Мы поставщик фурнитуры, хотим обсудить поставки.",
    "Готовы стать вашим дилером в {c}.", "Хотим предложить вам оптовые поставки {g}.",
    "Я представляю инвестиционный фонд, интересует партнёрство.", "Направляем коммерческое предложение по {g}.",
    "Мы дистрибьютор тканей, ищем партнёров.", "Приглашаем к участию в тендере на поставку {g}.",
]
COMPETITOR = [
    "А какая у вас закупочная цена на {p}?", "Кто ваш поставщик {g}, если не секрет?",
    "Сколько {g} вы продаёте в месяц?", "Какая наценка у вас на {p}?", "С какой фабрикой вы работаете по {g}?",
    "Какой у вас оборот по {g} за год?", "Дайте прайс для дилеров на {p}, я частное лицо.",
    "Сколько у вас менеджеров и какие у них оклады?",
]

TEMPLATES = {"new_inquiry": NEW_INQUIRY, "clarification": CLARIFICATION, "regular": REGULAR,
             "complaint": COMPLAINT, "partner": PARTNER, "competitor": COMPETITOR}
TAILS = ["", "", " Спасибо.", " Заранее спасибо!", " Жду ответа.", " Это срочно.", " Меня зовут {n}."]
#: Sentences any customer may write, whatever the type (they carry no signal).
NEUTRAL = ["Заказ номер {k}.", "Мой телефон 8029{k}.", "Пишу с работы.", "Ответьте, пожалуйста, побыстрее.",
           "Речь про {p}.", "Адрес доставки: {c}.", "Можно ответить в мессенджер?", "Я на связи до вечера.",
           "Как с вами лучше связаться?", "Посмотрите, пожалуйста, что с {g}."]


def first_messages(kind: str, rng: random.Random, half: int | None = None) -> list[str]:
    """One customer's first messages (one or two) of a contact of ``kind`` (``half`` 0 or 1:
    only the even or the odd templates of each type — wordings the other half never saw)."""
    templates = TEMPLATES[kind] if half is None else TEMPLATES[kind][half::2]
    def fill(template: str) -> str:
        i = rng.randrange(len(PRODUCTS))
        return template.format(p=PRODUCTS[i], g=PRODUCTS_GEN[i], c=rng.choice(CITIES), n=rng.choice(NAMES),
                               k=rng.randrange(10_000, 99_999))

    sentences = [fill(rng.choice(templates))] + [fill(rng.choice(NEUTRAL)) for _ in range(rng.randrange(3))]
    rng.shuffle(sentences)
    text = (rng.choice(GREETINGS) + " " + " ".join(sentences) + fill(rng.choice(TAILS))).strip()
    out = [text]
    if rng.random() < 0.3:
        out.append(fill(rng.choice(NEUTRAL + templates)))
    return out


def labelled(per_type: int, seed: int = 7, half: int | None = None) -> list[tuple[str, str]]:
    """(the first messages joined, the type) — ``per_type`` of each of the six types, shuffled."""
    rng = random.Random(seed)
    out = [("\n".join(first_messages(kind, rng, half)), kind) for kind in TEMPLATES for _ in range(per_type)]
    rng.shuffle(out)
    return out
