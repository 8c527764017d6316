"""The knowledge base's messages in both languages, registered when the domain is imported
(:mod:`dozvon.knowledge` imports this module), so every error it raises has its text."""

from __future__ import annotations

from dozvon.core.i18n import register

register("kb.no_article", "No article {article} in this project", "В этом проекте нет статьи {article}")
register("kb.empty", "The {field} is empty", "Поле {field} не заполнено")
register("kb.too_long", "The {field} is too long: {length} characters, at most {limit}",
         "Поле {field} слишком длинное: {length} симв., не больше {limit}")
register("kb.too_many_tags", "Too many tags: {count}, at most {limit}",
         "Слишком много тегов: {count}, не больше {limit}")
register("kb.bad_date", "The {field} {value!r} is not a date like 2026-03-31",
         "Поле {field}: {value!r} — не дата вида 2026-03-31")
register("kb.bad_dates", "The promotion ends ({until}) before it starts ({start})",
         "Акция заканчивается ({until}) раньше, чем начинается ({start})")
register("kb.row_not_object", "Not an object with title, body and tags", "Не объект с полями title, body и tags")
register("kb.bad_tags", "The tags must be a list of words or one string separated by commas",
         "Теги — список слов или одна строка через запятую")
register("kb.unreadable", "Cannot read {path}: {reason}", "Не удаётся прочитать {path}: {reason}")
register("kb.imported", "Project {project!r}: {created} article(s) created, {updated} updated, {refused} refused",
         "Проект {project!r}: создано статей: {created}, обновлено: {updated}, отклонено: {refused}")
register("kb.refused_item", "item {item}: {reason}", "запись {item}: {reason}")
register("kb.nothing_found", "Nothing found for {query!r}", "По запросу {query!r} ничего не найдено")

# --- call scripts
register("scripts.no_script", "No call script {script} in this project", "В этом проекте нет скрипта {script}")
register("scripts.empty_title", "Give the script a title", "Дайте скрипту название")
register("scripts.too_long", "Too long: {length} characters, at most {limit}",
         "Слишком длинно: {length} симв., не больше {limit}")
register("scripts.unknown_queue", "There is no queue {value!r} in this project",
         "В проекте нет очереди {value!r}")
register("scripts.bad_contact_type", "Unknown type of contact {value!r}; expected one of {allowed}",
         "Неизвестный тип обращения {value!r}; допустимы: {allowed}")
register("scripts.no_steps", "A script needs at least one step", "В скрипте должен быть хотя бы один шаг")
register("scripts.too_many_steps", "Too many steps: {count}, at most {limit}",
         "Слишком много шагов: {count}, не больше {limit}")
register("scripts.step_not_object", "Step {step} is not an object with kind, title and text",
         "Шаг {step} — не объект с полями kind, title и text")
register("scripts.bad_step_kind", "Step {step}: unknown kind {value!r} (text or promotions)",
         "Шаг {step}: неизвестный вид {value!r} (text или promotions)")
register("scripts.promotions_twice", "Step {step}: the promotions are already in an earlier step",
         "Шаг {step}: акции уже есть в одном из предыдущих шагов")
register("scripts.empty_step_title", "Step {step}: give the step a title", "Шаг {step}: дайте шагу заголовок")
register("scripts.empty_step_text", "Step {step}: write what the operator says or does",
         "Шаг {step}: напишите, что оператор говорит или делает")
register("scripts.unknown_variable", "Step {step}: unknown variable {value}; known: {allowed}",
         "Шаг {step}: неизвестная переменная {value}; доступны: {allowed}")
register("scripts.taken", "This queue and type of contact already have a script: «{title}»",
         "Для этой очереди и типа обращения уже есть скрипт: «{title}»")
