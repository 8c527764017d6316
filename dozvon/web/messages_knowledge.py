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

# --- call scripts (/settings/scripts)
register("web.admin.section.scripts", "Call scripts", "Скрипты разговора")
register("web.admin.sc.lead", "Step-by-step guides operators see beside a conversation, ticking off each step. Write "
         "one for a queue, for a type of contact, or a general one; the promotions valid today go where the script "
         "has its promotions step — an ended promotion disappears by itself.",
         "Пошаговые подсказки, которые оператор видит рядом с разговором и отмечает по ходу. Скрипт пишется для "
         "очереди, для типа обращения или общий; действующие сегодня акции попадают в шаг «акции» — закончившаяся "
         "акция исчезает сама.")
register("web.admin.sc.new", "New script", "Новый скрипт")
register("web.admin.sc.edit", "Edit «{title}»", "Изменить «{title}»")
register("web.admin.sc.delete", "Delete «{title}»", "Удалить «{title}»")
register("web.admin.sc.confirm_delete", "Click again to delete «{title}»", "Нажмите ещё раз, чтобы удалить «{title}»")
register("web.admin.sc.count", "{n} script(s)", "Скриптов: {n}")
register("web.admin.sc.none", "No scripts yet: operators see only the knowledge base beside a conversation.",
         "Скриптов пока нет: рядом с разговором оператор видит только базу знаний.")
register("web.admin.sc.order", "Which one an operator sees: the script for the conversation's queue and type; else the "
         "one for its type; else the one for its queue; else the general one. The operator can switch the type.",
         "Какой скрипт видит оператор: для очереди и типа обращения; иначе для типа; иначе для очереди; иначе общий. "
         "Тип обращения оператор может сменить.")
register("web.admin.sc.title", "Title", "Название")
register("web.admin.sc.title.help", "What operators see above the steps.", "Что оператор видит над шагами.")
register("web.admin.sc.queue", "Queue", "Очередь")
register("web.admin.sc.queue.help", "The conversations of this queue.", "Для разговоров этой очереди.")
register("web.admin.sc.any_queue", "any queue", "любая очередь")
register("web.admin.sc.type", "Type of contact", "Тип обращения")
register("web.admin.sc.type.help", "Told from the customer base (regular, partner, competitor, a repeat) or chosen by "
         "the operator (a complaint).",
         "Определяется по базе клиентов (постоянный, партнёр, конкурент, повторное) или выбирается оператором "
         "(жалоба).")
register("web.admin.sc.any_type", "any type", "любой тип")
register("web.admin.sc.steps", "Steps", "Шаги")
register("web.admin.sc.steps.help", "In the order of the conversation. Variables such as {customer.first_name} are "
         "filled in for each customer.",
         "В порядке разговора. Переменные вроде {customer.first_name} подставляются для каждого клиента.")
register("web.admin.sc.step_title", "Step title", "Заголовок шага")
register("web.admin.sc.step_text", "What the operator says or does", "Что оператор говорит или делает")
register("web.admin.sc.step_text.placeholder", "What the operator says or does", "Что оператор говорит или делает")
register("web.admin.sc.promotions_here", "Here the operator sees the promotions valid on the day of the conversation. "
         "Today:", "Здесь оператор увидит акции, действующие в день разговора. Сегодня:")
register("web.admin.sc.no_promotions", "no promotion is valid today (the operator will read «no promotions now»).",
         "сегодня ни одна акция не действует (оператор увидит «сейчас акций нет»).")
register("web.admin.sc.add_step", "+ Add a step", "+ Добавить шаг")
register("web.admin.sc.add_promotions", "+ Place for promotions", "+ Место для акций")
register("web.admin.sc.col_title", "Script", "Скрипт")
register("web.admin.sc.col_steps", "Steps", "Шагов")
register("web.admin.sc.with_promotions", "with promotions", "с акциями")
register("web.admin.sc.starter.greeting", "Greeting", "Приветствие")
register("web.admin.sc.starter.greeting.text",
         "Good afternoon, {customer.first_name}! My name is {operator.first_name}, {project.name}. How can I help you?",
         "Добрый день, {customer.first_name}! Меня зовут {operator.first_name}, компания {project.name}. Чем могу "
         "помочь?")
register("web.admin.sc.starter.need", "Find out what they need", "Выясните потребность")
register("web.admin.sc.starter.need.text",
         "Ask what exactly they are looking for, for whom and by when; repeat it back in your own words.",
         "Спросите, что именно нужно, для кого и к какому сроку; повторите своими словами.")
register("web.admin.sc.starter.promotions", "Offer a current promotion", "Предложите действующую акцию")
register("web.admin.sc.starter.close", "Close", "Завершение")
register("web.admin.sc.starter.close.text", "Sum up what was agreed and ask if there is anything else. Thank you for "
         "contacting {project.name}!",
         "Подведите итог договорённостей и спросите, чем ещё помочь. Спасибо, что обратились в {project.name}!")

# --- one's own quick replies (/settings/my-replies)
register("web.admin.section.my-replies", "My quick replies", "Мои быстрые ответы")
register("web.admin.my.lead", "Your own ready answers: only you see them, in the chat with / and in the suggestions. "
         "One with the keyword of a project reply takes its place for you.",
         "Ваши собственные готовые ответы: их видите только вы — в чате через / и в подсказках. Ответ с ключевым "
         "словом ответа проекта заменяет его для вас.")
register("web.admin.my.new", "New reply of my own", "Новый личный ответ")
register("web.admin.my.shortcut.help", "Letters, digits, - and _; type / and the word in a chat.",
         "Буквы, цифры, - и _; в чате наберите / и это слово.")
register("web.admin.my.none", "You have no replies of your own yet.", "Личных ответов пока нет.")
register("web.admin.my.overrides", "Replaces the project's reply for you", "Заменяет для вас ответ проекта")
register("web.admin.my.replaced", "replaced by yours", "заменён вашим")
register("web.admin.my.shared", "The project's replies ({n})", "Ответы проекта ({n})")
register("web.admin.my.shared.lead", "Everyone's; a supervisor writes them in the settings.",
         "Общие для всех; их пишет руководитель в настройках.")
register("web.admin.my.no_person", "Replies of one's own belong to a person; sign in as one.",
         "Личные ответы бывают только у человека; войдите под своей учётной записью.")

# --- the desktop's call script (a tab beside the knowledge base)
register("web.script.helpers", "Helpers for the conversation", "Подсказки к разговору")
register("web.script.tab", "Script", "Скрипт")
register("web.script.idle", "The call script for the conversation you open shows here.",
         "Здесь появится скрипт к открытому разговору.")
register("web.script.type", "Type of contact", "Тип обращения")
register("web.script.from.chosen", "you chose it", "выбран вами")
register("web.script.from.disposition", "as recorded at the end", "как записано при завершении")
register("web.script.from.flag", "the customer is flagged as a suspected competitor",
         "клиент отмечен как возможный конкурент")
register("web.script.from.segment", "by the customer's segment", "по сегменту клиента")
register("web.script.from.repeat", "they contacted us in the last 7 days", "клиент обращался в последние 7 дней")
register("web.script.from.default", "by default: change it if it is not", "по умолчанию — смените, если это не так")
register("web.script.none_title", "No script", "Скрипта нет")
register("web.script.none", "No call script for this queue and type of contact.",
         "Для этой очереди и типа обращения скрипта нет.")
register("web.script.none_but", "No script for this type here; there is one for: {types}.",
         "Для этого типа скрипта нет; есть для: {types}.")
register("web.script.progress", "Step {n} of {total}", "Шаг {n} из {total}")
register("web.script.all_done", "All steps done", "Все шаги пройдены")
register("web.script.no_promotions", "No promotions today: do not promise any.",
         "Сегодня акций нет — не обещайте их.")
register("web.script.my_replies", "My quick replies", "Мои быстрые ответы")
register("web.chat.personal", "mine", "мой")
register("web.chat.shared", "project", "общий")
register("web.admin.my.to_desktop", "← To the desktop", "← На рабочее место")
register("web.admin.sc.vars", "Variables, filled in for each conversation",
         "Переменные — подставляются в каждом разговоре")
register("web.script.suggested", "Suggestions for the customer's message: {n}", "Подсказок к сообщению клиента: {n}")
