"""The widget's texts for visitors, in English and Russian (sent with its config, in the
visitor's language)."""

from __future__ import annotations

from dozvon.core.i18n import register

_TEXTS = {
    "widget.ui.launcher": ("Chat", "Чат"),
    "widget.ui.close": ("Close the chat window", "Свернуть чат"),
    "widget.ui.message": ("Message", "Сообщение"),
    "widget.ui.send": ("Send", "Отправить"),
    "widget.ui.placeholder": ("Write your question…", "Напишите ваш вопрос…"),
    "widget.ui.intro": ("Ask us anything — an operator will answer here.",
                        "Задайте вопрос — оператор ответит здесь."),
    "widget.ui.offline": ("We are not at work now. Leave a message: we will answer when we are back.",
                          "Сейчас мы не работаем. Оставьте сообщение — ответим, как только начнём работу."),
    "widget.ui.waiting": ("An operator will answer soon. You are number {position} in line.",
                          "Оператор скоро ответит. Вы {position}-й в очереди."),
    "widget.ui.waiting_next": ("An operator will answer soon: you are next.", "Оператор скоро ответит: вы следующий."),
    "widget.ui.talking": ("{operator} is answering you", "Вам отвечает {operator}"),
    "widget.ui.talking_anon": ("An operator is answering you", "Вам отвечает оператор"),
    "widget.ui.typing": ("{operator} is typing…", "{operator} печатает…"),
    "widget.ui.typing_anon": ("The operator is typing…", "Оператор печатает…"),
    "widget.ui.ended": ("The conversation has ended. Write again any time.",
                        "Разговор завершён. Пишите, если появятся вопросы."),
    "widget.ui.rate": ("How did we do?", "Как мы справились?"),
    "widget.ui.rate_star": ("{n} of 5", "{n} из 5"),
    "widget.ui.rate_comment": ("What could we do better? (optional)", "Что нам улучшить? (необязательно)"),
    "widget.ui.rate_send": ("Send rating", "Оценить"),
    "widget.ui.thanks": ("Thank you for your rating!", "Спасибо за оценку!"),
    "widget.ui.prechat": ("Introduce yourself, so that we can answer you", "Представьтесь, чтобы мы могли ответить"),
    "widget.ui.name": ("Name", "Имя"),
    "widget.ui.phone": ("Phone", "Телефон"),
    "widget.ui.email": ("E-mail", "Эл. почта"),
    "widget.ui.start": ("Start the chat", "Начать чат"),
    "widget.ui.required": ("required", "обязательно"),
    "widget.ui.queued": ("Waiting for the connection", "Ждёт связи"),
    "widget.ui.sending": ("Sending…", "Отправляется…"),
    "widget.ui.sent": ("Sent", "Отправлено"),
    "widget.ui.reconnecting": ("No connection. Your messages will be sent when it is back.",
                               "Нет связи. Сообщения отправятся, когда она появится."),
    "widget.ui.failed": ("Not sent: {reason}", "Не отправлено: {reason}"),
    "widget.ui.you": ("You", "Вы"),
    "widget.ui.operator": ("Operator", "Оператор"),
    "widget.ui.auto": ("Automatic reply", "Автоответ"),
    "widget.ui.leave": ("End the chat", "Завершить чат"),
    "widget.ui.powered": ("Dozvon", "Дозвон"),
    "widget.ui.call": ("Call", "Позвонить"),
    "widget.ui.call_label": ("Call an operator from the browser", "Позвонить оператору из браузера"),
    "widget.ui.call_connecting": ("Connecting the call…", "Соединяем…"),
    "widget.ui.call_active": ("On the call", "Идёт звонок"),
    "widget.ui.call_end": ("Hang up", "Завершить звонок"),
    "widget.ui.call_over": ("The call is over", "Звонок завершён"),
    "widget.ui.call_failed": ("The call did not go through: {reason}", "Звонок не удался: {reason}"),
    "widget.ui.call_microphone": ("No access to the microphone: {reason}", "Нет доступа к микрофону: {reason}"),
}
for _key, (_en, _ru) in _TEXTS.items():
    register(_key, _en, _ru)

#: Every text the widget shows, sent with its config.
UI_KEYS: tuple[str, ...] = tuple(_TEXTS)
