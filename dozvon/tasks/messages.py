"""The tasks' messages in both languages, registered when :mod:`dozvon.tasks` is imported."""

from __future__ import annotations

from dozvon.core.i18n import register

register("tasks.no_task", "No task {task} in this project", "В проекте нет задачи {task}")
register("tasks.bad_kind", "{field}: {value!r} is not a kind of task; expected one of {allowed}",
         "{field}: {value!r} — не вид задачи; допустимы: {allowed}")
register("tasks.no_title", "{field}: say what is to be done", "{field}: напишите, что нужно сделать")
register("tasks.too_long", "{field}: {length} characters, at most {limit}",
         "{field}: {length} символов, допустимо не больше {limit}")
register("tasks.due_passed", "{field}: the due time {due} has already passed",
         "{field}: срок {due} уже прошёл")
register("tasks.due_too_far", "{field}: the due time is more than a year away",
         "{field}: срок дальше чем через год")
register("tasks.unknown_owner", "{field}: no operator {value!r} in this project",
         "{field}: в проекте нет оператора {value!r}")
register("tasks.not_yours", "Task {task} is {owner}'s; only they or a supervisor may change it",
         "Задача {task} принадлежит {owner}; менять её может только он или супервизор")
register("tasks.for_others", "Only a supervisor may give a task to another operator ({value!r})",
         "Поручить задачу другому оператору ({value!r}) может только супервизор")
register("tasks.closed", "Task {task} is already {status}", "Задача {task} уже {status}")
register("tasks.no_conversation", "{field}: no conversation {value!r} in this project",
         "{field}: в проекте нет обращения {value!r}")
