"""The quality domain's messages in both languages, registered when the domain is imported
(:mod:`dozvon.quality` imports this module)."""

from __future__ import annotations

from dozvon.core.i18n import register

# --- the conversation file of ``dozvon qa check``
register("qa.no_file", "There is no file {path}", "Файла {path} нет")
register("qa.unreadable", "The file {path} cannot be read: {reason}", "Файл {path} не читается: {reason}")
register("qa.bad_file", "{path}, at {where}: {reason}", "{path}, место {where}: {reason}")
register("qa.not_json", "not JSON ({reason})", "это не JSON ({reason})")
register("qa.expected", "expected {what}", "ожидается {what}")
register("qa.too_many", "{count} items, at most {limit}", "{count} элементов, не больше {limit}")

# --- what people read of the checks (the CLI's table, the API's labels)
_CHECK_NAMES = {
    "greeting": ("Greeting", "Приветствие"),
    "farewell": ("Farewell", "Прощание"),
    "politeness": ("Politeness", "Вежливость"),
    "unanswered_question": ("Every question answered", "Вопрос без ответа"),
    "empathy": ("Empathy", "Сочувствие"),
    "response_time": ("Response time", "Время ответа"),
    "long_hold": ("Long hold", "Долгое удержание"),
    "transfer_ping_pong": ("Transfer ping-pong", "Перевод туда-обратно"),
    "callback_promise": ("Promised callback has a task", "Обещал перезвонить — есть задача"),
}
for _name, (_en, _ru) in _CHECK_NAMES.items():
    register(f"qa.check.{_name}", _en, _ru)
_NOTES = {
    "no_operator_message": ("the operator wrote nothing", "оператор ничего не написал"),
    "no_question": ("the customer asked no question", "клиент не задавал вопросов"),
    "no_complaint": ("the customer did not complain", "клиент не жаловался"),
    "no_reply": ("nothing to reply to", "отвечать было не на что"),
    "no_hold": ("no hold", "удержаний не было"),
    "no_transfer": ("no transfer", "переводов не было"),
    "no_promise": ("no promise to call back", "обещаний перезвонить не было"),
    "no_events": ("the events are not known", "события неизвестны"),
}
for _name, (_en, _ru) in _NOTES.items():
    register(f"qa.note.{_name}", _en, _ru)
register("qa.from.customer", "customer", "клиент")
register("qa.from.operator", "operator", "оператор")
register("qa.evidence.wait", "reply #{message} after {wait} s (limit {limit} s)",
         "ответ №{message} через {wait} с (предел {limit} с)")

# --- the classifier
register("qa.train_too_few",
         "Too few conversations with a disposition to train on: {samples} of {types} types "
         "(at least {minimum}, of two types or more)",
         "Слишком мало разговоров с указанным типом для обучения: {samples}, типов {types} "
         "(нужно не меньше {minimum} и хотя бы два типа)")
register("qa.unknown_queue", "There is no queue {queue} in this project", "В проекте нет очереди {queue}")
register("qa.trained", "Project {project!r}: trained on {samples} conversations; cross-validated accuracy {accuracy} "
         "({folds} folds)",
         "Проект {project!r}: обучено на {samples} разговорах; точность на перекрёстной проверке {accuracy} "
         "({folds} блоков)")
register("qa.not_trained", "Project {project!r} has no trained classifier yet (dozvon qa train)",
         "У проекта {project!r} ещё нет обученного классификатора (dozvon qa train)")
register("qa.status", "Project {project!r}: trained on {samples} conversations; cross-validated accuracy {accuracy}",
         "Проект {project!r}: обучено на {samples} разговорах; точность на перекрёстной проверке {accuracy}")
register("qa.ran", "Project {project!r}: {checked} conversations checked, {failed} failed at least one check",
         "Проект {project!r}: проверено разговоров — {checked}, хотя бы одну проверку не прошли — {failed}")
