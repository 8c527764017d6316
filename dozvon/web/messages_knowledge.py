"""The knowledge base's texts on the pages — the desktop's knowledge box and the settings
page of articles — in English and Russian, under ``web.`` keys like the other pages'."""

from __future__ import annotations

from dozvon.core.i18n import register

# --- the desktop's knowledge box
register("web.kb.title", "Knowledge base", "База знаний")
register("web.kb.search", "Search the knowledge base", "Поиск по базе знаний")
register("web.kb.search_button", "Find", "Найти")
register("web.kb.placeholder", "delivery, returns, payment…", "доставка, возврат, оплата…")
register("web.kb.suggested", "For the customer's last message", "К последнему сообщению клиента")
register("web.kb.found", "Found: {n}", "Найдено: {n}")
register("web.kb.nothing", "Nothing found for «{query}».", "По запросу «{query}» ничего не найдено.")
register("web.kb.idle", "Suggestions for the customer's message show here; or search.",
         "Здесь появятся подсказки к сообщению клиента; или воспользуйтесь поиском.")
register("web.kb.none_suggested", "No articles match the customer's last message.",
         "К последнему сообщению клиента статей не нашлось.")
register("web.kb.replies", "Quick replies", "Быстрые ответы")
register("web.kb.insert", "Insert", "Вставить")
register("web.kb.insert_named", "Insert «{name}»", "Вставить «{name}»")
register("web.kb.back", "Back to the list", "Назад к списку")
register("web.kb.promotion", "Promotion", "Акция")
register("web.kb.until", "until {date}", "до {date}")
register("web.kb.from", "from {date}", "с {date}")
register("web.kb.loading", "Searching…", "Ищем…")

# --- the settings page (/settings/knowledge)
register("web.admin.section.knowledge", "Knowledge base", "База знаний")
register("web.admin.kb.intro",
         "Articles operators find by any word form and get suggested for the customer's last message. "
         "A promotion is shown only between its dates (the project's time zone) and disappears by itself.",
         "Статьи, которые операторы находят по любой форме слова и получают в подсказках к последнему "
         "сообщению клиента. Акция показывается только в свои даты (по часовому поясу проекта) и исчезает сама.")
register("web.admin.kb.filter", "Find articles", "Найти статьи")
register("web.admin.kb.category_filter", "Category", "Категория")
register("web.admin.kb.all_categories", "All categories", "Все категории")
register("web.admin.kb.new", "New article", "Новая статья")
register("web.admin.kb.edit", "Edit «{title}»", "Изменить «{title}»")
register("web.admin.kb.delete", "Delete «{title}»", "Удалить «{title}»")
register("web.admin.kb.confirm_delete", "Delete the article «{title}»?", "Удалить статью «{title}»?")
register("web.admin.kb.count", "{n} article(s)", "Статей: {n}")
register("web.admin.kb.none", "No articles yet: add the first one, or load many with `dozvon kb import`.",
         "Статей пока нет: добавьте первую или загрузите много командой `dozvon kb import`.")
register("web.admin.kb.col_title", "Title", "Заголовок")
register("web.admin.kb.col_category", "Category", "Категория")
register("web.admin.kb.col_dates", "Valid", "Действует")
register("web.admin.kb.col_updated", "Changed by", "Изменил")
register("web.admin.kb.always", "always", "всегда")
register("web.admin.kb.expired", "ended", "закончилась")
register("web.admin.kb.upcoming", "not yet", "ещё не началась")
register("web.admin.kb.field.title", "Title", "Заголовок")
register("web.admin.kb.field.title_help", "What operators see first in search results.",
         "Что оператор видит первым в результатах поиска.")
register("web.admin.kb.field.body", "Text", "Текст")
register("web.admin.kb.field.body_help", "Plain text or Markdown; shown to operators as text.",
         "Обычный текст или Markdown; операторы видят его как текст.")
register("web.admin.kb.field.category", "Category", "Категория")
register("web.admin.kb.field.tags", "Tags", "Теги")
register("web.admin.kb.field.tags_help", "Words separated by commas; they weigh more than the text.",
         "Слова через запятую; весят больше, чем текст.")
register("web.admin.kb.field.promotion", "A promotion (goes into call scripts while valid)",
         "Акция (попадает в скрипты разговора, пока действует)")
register("web.admin.kb.field.valid_from", "Valid from", "Действует с")
register("web.admin.kb.field.valid_until", "Valid until (inclusive)", "Действует по (включительно)")
register("web.admin.kb.field.dates_help",
         "Empty: always. Outside the dates the article is neither found nor suggested.",
         "Пусто — всегда. Вне этих дат статья не находится и не подсказывается.")
register("web.admin.kb.cancel", "Cancel", "Отмена")
