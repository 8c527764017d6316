"""The demo project: users, queues and operators a newcomer can play with.

Users ``admin`` (superadmin), ``supervisor`` and ``operator1`` … ``operator10``, all with
the password ``demo`` — demo only. Safe to run again: what exists is left alone.
"""

from __future__ import annotations

from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from dozvon.accounts import actions as accounts
from dozvon.accounts import security
from dozvon.accounts.models import Project, User
from dozvon.knowledge.demo import seed_articles, seed_scripts
from dozvon.replies import actions as replies
from dozvon.replies import queries as reply_queries
from dozvon.routing.engine import RoutingEngine
from dozvon.routing.model import OperatorConfig, QueueConfig
from dozvon.server.hub import Hub
from dozvon.widget import visitors as widget

PROJECT = "demo"
PASSWORD = "demo"
OPERATORS = [f"operator{i}" for i in range(1, 11)]
#: operator1 and operator2 are left to people; the rest are played by bots.
HUMAN_OPERATORS = OPERATORS[:2]

QUEUES = [
    QueueConfig(name="sales", strategy="longest_idle", target_answer_s=20, wrap_up_s=30, weight=2,
                max_wait_s=300),
    QueueConfig(name="support", strategy="round_robin", target_answer_s=30, wrap_up_s=30,
                callback_on_abandon=True, escalation_queue="vip"),
    QueueConfig(name="vip", strategy="skills", target_answer_s=10, priority=100, wrap_up_s=30,
                required_skills={"vip": 1}),
]

_NAMES = {
    "operator1": "Анна Смирнова", "operator2": "Иван Петров", "operator3": "Мария Кузнецова",
    "operator4": "Олег Соколов", "operator5": "Екатерина Попова", "operator6": "Дмитрий Волков",
    "operator7": "Ольга Морозова", "operator8": "Сергей Новиков", "operator9": "Emily Clark",
    "operator10": "James Walker",
}


def _operator(op_id: str, index: int) -> OperatorConfig:
    # operator1–2 are people's; operator3–4 are the bots who also serve VIP customers.
    queues = ("sales", "support", "vip") if index <= 4 else (("sales", "support") if index <= 7 else ("support",))
    skills = {"vip": 2} if index <= 4 else {}
    if index >= 9:
        skills["lang_en"] = 1
    skills["lang_ru"] = 1
    return OperatorConfig.from_dict({"id": op_id, "name": _NAMES[op_id], "queues": list(queues), "skills": skills,
                                     "capacity": {"voice": 1, "chat": 3, "email": 5}})


#: The demo shop's automatic messages and quick replies (in Russian, like its customers).
AUTO_TEXTS = {
    "welcome": "Здравствуйте! Это магазин «Ромашка». Оператор ответит в течение пары минут.",
    "greeting": "Здравствуйте, {customer.first_name}! Меня зовут {operator.first_name}, чем могу помочь?",
    "farewell": "Спасибо, что написали нам! Хорошего дня.",
}
QUICK_REPLIES = [
    ("доставка", "Сроки доставки",
     "{customer.first_name}, доставка по Москве — на следующий день, по России — 2–5 дней."),
    ("возврат", "Возврат товара",
     "Вернуть товар можно в течение 14 дней: оформите возврат в личном кабинете, курьер заберёт его бесплатно."),
    ("оплата", "Способы оплаты", "Оплатить можно картой на сайте, через СБП или курьеру при получении."),
    ("спасибо", "Благодарность", "Спасибо за обращение, {customer.first_name}! Меня зовут {operator.name}."),
]


def seed_demo(hub: Hub) -> bool:
    """Create the demo project and its people once; True if anything was created. The
    widget, automatic messages and quick replies are added to a demo made before them."""
    with hub.sessions.begin() as session:
        if session.get(Project, PROJECT) is not None:
            _seed_chat(session)
            return False
        accounts.create_project(session, "demo", PROJECT, "Демо: интернет-магазин «Ромашка»", "ru", "Europe/Moscow")
        password_hash = security.hash_password(PASSWORD)  # one hash for all: argon2 is slow on purpose
        existing = set(session.scalars(select(User.username)))
        for username, superadmin in [("admin", True), ("supervisor", False)] + [(o, False) for o in OPERATORS]:
            if username not in existing:
                accounts.create_user(session, "demo", username, PASSWORD, password_hash=password_hash,
                                     superadmin=superadmin, display_name=_NAMES.get(username, username))
        accounts.set_membership(session, "demo", PROJECT, "admin", "admin")
        accounts.set_membership(session, "demo", PROJECT, "supervisor", "supervisor")
        for op_id in OPERATORS:
            accounts.set_membership(session, "demo", PROJECT, op_id, "operator", op_id)
        _seed_chat(session)
    svc = hub.service(PROJECT)
    for queue in QUEUES:
        svc.run(partial(RoutingEngine.add_queue, cfg=queue))
    for index, op_id in enumerate(OPERATORS, start=1):
        svc.run(partial(RoutingEngine.add_operator, cfg=_operator(op_id, index)))
    return True


def _seed_chat(session: Session) -> None:
    """The demo shop's widget (to the sales queue), automatic messages, quick replies and articles."""
    if widget.settings_of(session, PROJECT) is None:
        widget.save_settings(session, "demo", PROJECT, queue="sales", title="Магазин «Ромашка»", color="#0f766e",
                             prechat={"name": "optional", "phone": "off", "email": "off"})
    if not any(v["text"] for v in reply_queries.auto_texts(session, PROJECT).values()):
        for kind, text in AUTO_TEXTS.items():
            replies.save_auto_text(session, "demo", PROJECT, kind, text, enabled=True)
    if not reply_queries.quick_replies(session, PROJECT):
        for shortcut, title, text in QUICK_REPLIES:
            replies.save_quick_reply(session, "demo", PROJECT, shortcut, text, title)
    seed_articles(session, PROJECT)
    seed_scripts(session, PROJECT)
    _seed_phone_line(session)


#: The demo's phone line: any number dialled at `dozvon demo --sip-listen` is answered here.
PHONE_LINE = {"number": "*", "language": "ru",
              "greeting": "Здравствуйте! Вы позвонили в магазин «Ромашка». Пожалуйста, оставайтесь на линии.",
              "menu_prompt": "Отдел продаж — нажмите 1. Поддержка — нажмите 2.",
              "menu": ["1 sales Отдел продаж", "2 support Поддержка"], "menu_timeout_s": 4}


def _seed_phone_line(session: Session) -> None:
    from dozvon.channels import connections
    from dozvon.voice.line import LINE

    if not connections.connections(session, PROJECT, kind=LINE.name):
        connections.connect(session, "demo", PROJECT, kind=LINE.name, name="main-line", queue="sales",
                            settings=PHONE_LINE, queues=[q.name for q in QUEUES])
