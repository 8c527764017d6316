"""The evaluations' messages (scorecards, evaluations, disputes, calibration, examples) in
both languages, registered when a module of evaluations is imported. The checks' own
messages are in :mod:`dozvon.quality.messages`."""

from __future__ import annotations

from dozvon.core.i18n import register

# --- scorecards
register("quality.card.unknown", "No scorecard {card} in this project", "В проекте нет карты оценки {card}")
register("quality.card.no_competencies", "{field}: a scorecard needs at least one competency",
         "{field}: в карте оценки нужна хотя бы одна компетенция")
register("quality.card.no_criteria", "{field}: a competency needs at least one criterion",
         "{field}: у компетенции нужен хотя бы один критерий")
register("quality.card.too_many", "{field}: {count} items, at most {limit}",
         "{field}: {count} пунктов, допустимо не больше {limit}")
register("quality.card.not_object", "{field}: expected an object with id, text and weight",
         "{field}: ожидается объект с id, текстом и весом")
register("quality.card.bad_text", "{field}: expected a text, or texts by language ({{\"en\": …, \"ru\": …}})",
         "{field}: ожидается текст или тексты по языкам ({{\"en\": …, \"ru\": …}})")
register("quality.card.no_text", "{field}: write what it means (in English or Russian)",
         "{field}: напишите формулировку (по-русски или по-английски)")
register("quality.card.too_long", "{field}: {length} characters, at most {limit}",
         "{field}: {length} символов, допустимо не больше {limit}")
register("quality.card.bad_weight", "{field}: the weight must be a number above 0 and at most {limit}, not {value!r}",
         "{field}: вес должен быть числом больше 0 и не больше {limit}, а не {value!r}")
register("quality.card.bad_id", "{field}: {value!r} is not an id (lower-case latin letters, digits, . _ -)",
         "{field}: {value!r} — не идентификатор (строчные латинские буквы, цифры, . _ -)")
register("quality.card.twice", "{field}: the id {value!r} is used twice in the card",
         "{field}: идентификатор {value!r} встречается в карте дважды")
register("quality.card.bad_scale", "{field}: the scale is a whole number 1–{limit} (1: yes/no), not {value!r}",
         "{field}: шкала — целое число 1–{limit} (1: да/нет), а не {value!r}")
register("quality.card.bad_flag", "{field}: expected true or false, not {value!r}",
         "{field}: ожидается true или false, а не {value!r}")
register("quality.card.bad_name", "{field}: name the card (1–200 characters)",
         "{field}: назовите карту (1–200 символов)")
register("quality.card.not_current",
         "Scorecard {card} is no longer in use (version {version} of {card_key}); score on its current version",
         "Карта оценки {card} больше не используется (версия {version} карты {card_key}); "
         "оценивайте по её текущей версии")

# --- evaluations
register("quality.eval.unknown", "No evaluation {evaluation} in this project", "В проекте нет оценки {evaluation}")
register("quality.eval.unknown_criterion", "{field}: the card has no criterion {value!r}",
         "{field}: в карте нет критерия {value!r}")
register("quality.eval.unanswered", "{field}: answer this criterion (or mark it as not applicable)",
         "{field}: оцените этот критерий (или отметьте «неприменимо»)")
register("quality.eval.bad_value", "{field}: {value!r} is not on the scale 0–{scale}",
         "{field}: {value!r} — вне шкалы 0–{scale}")
register("quality.eval.nothing_applies", "{field}: every criterion is marked not applicable; nothing to score",
         "{field}: все критерии отмечены «неприменимо» — оценивать нечего")
register("quality.eval.no_conversation", "{field}: no conversation {value!r} in this project",
         "{field}: в проекте нет обращения {value!r}")
register("quality.eval.no_operator", "{field}: conversation {value!r} was not handled by an operator",
         "{field}: обращение {value!r} не обслуживал оператор")
register("quality.eval.already", "You already evaluated conversation {conversation} (evaluation {evaluation})",
         "Вы уже оценили обращение {conversation} (оценка {evaluation})")
register("quality.eval.not_yours", "Evaluation {evaluation} is of another operator's work",
         "Оценка {evaluation} относится к работе другого оператора")
register("quality.eval.wrong_step", "Evaluation {evaluation} is {status}: it cannot be {step} now",
         "Оценка {evaluation} в состоянии «{status}»: действие «{step}» сейчас недоступно")
register("quality.eval.calibration", "Evaluation {evaluation} is a calibration score: operators do not see it",
         "Оценка {evaluation} — калибровочная: оператор её не видит и не отвечает на неё")
register("quality.eval.say_why", "{field}: say why (a comment is required)",
         "{field}: объясните причину (комментарий обязателен)")
register("quality.eval.too_long", "{field}: {length} characters, at most {limit}",
         "{field}: {length} символов, допустимо не больше {limit}")
register("quality.eval.own_work", "You cannot evaluate your own conversation {conversation}",
         "Нельзя оценивать собственное обращение {conversation}")

# --- calibration and examples
register("quality.calibration.unknown", "No calibration session {calibration} in this project",
         "В проекте нет калибровки {calibration}")
register("quality.calibration.other_conversation",
         "{field}: calibration {calibration} is about conversation {expected}, not {value!r}",
         "{field}: калибровка {calibration} — по обращению {expected}, а не {value!r}")
register("quality.example.unknown", "No example {example} in this project", "В проекте нет примера {example}")
register("quality.example.bad_competency", "{field}: no competency {value!r} on the project's cards",
         "{field}: в картах проекта нет компетенции {value!r}")
register("quality.queue.bad_week", "{field}: {value!r} is not a week; expected e.g. 2026-W49",
         "{field}: {value!r} — не неделя; ожидается, например, 2026-W49")
