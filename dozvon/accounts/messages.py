"""The accounts' own messages (projects, users, break reasons), in English and Russian.

Kept beside the actions that raise them, and imported by those actions and queries, so a
message is registered wherever it can be raised (the catalogue style of
:mod:`dozvon.core.messages`)."""

from __future__ import annotations

from dozvon.core.i18n import register

register("accounts.bad_break_code",
         "{field}: {value!r} is not a code (1–32 lowercase Latin letters, digits, '-' or '_')",
         "{field}: {value!r} — не код (1–32 строчных латинских букв, цифр, '-' или '_')")
register("accounts.break_code_twice", "{field}: the code {value!r} is already used by another reason",
         "{field}: код {value!r} уже занят другой причиной")
register("accounts.break_label_missing", "{field}: give the reason a name in Russian or English",
         "{field}: назовите причину по-русски или по-английски")
register("accounts.break_label_too_long", "{field}: at most {limit} characters",
         "{field}: не больше {limit} символов")
register("accounts.break_reasons_count", "{field}: a project has from 1 to {limit} break reasons",
         "{field}: в проекте должно быть от 1 до {limit} причин перерыва")
register("accounts.unknown_break_reason",
         "{field}: {value!r} is not a break reason of this project; choose one of {allowed}",
         "{field}: {value!r} — не причина перерыва этого проекта; выберите одну из: {allowed}")
register("accounts.empty_project_name", "{field}: the project needs a name",
         "{field}: у проекта должно быть название")
register("accounts.not_yourself", "You cannot deactivate your own account",
         "Нельзя отключить собственную учётную запись")
