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
