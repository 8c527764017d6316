"""The texts of the settings pages (``/settings``, :mod:`dozvon.web.admin`) in English and
Russian, under ``web.`` keys like the other pages' (:mod:`dozvon.web.messages`). Each
setting has a short help that says what it changes for the customer or the operator, in
the words a contact-center manager uses."""

from __future__ import annotations

from dozvon.core.i18n import register

# --- the frame: navigation, sections, saving
register("web.nav.settings", "Settings", "Настройки")
register("web.admin.section.project", "Project", "Проект")
register("web.admin.section.people", "People and roles", "Люди и роли")
register("web.admin.section.operators", "Operators", "Операторы")
register("web.admin.section.queues", "Queues", "Очереди")
register("web.admin.section.breaks", "Break reasons", "Причины перерыва")
register("web.admin.section.segments", "Customer segments", "Сегменты клиентов")
register("web.admin.section.directory", "Named people", "Ответственные лица")
register("web.admin.section.replies", "Quick replies", "Быстрые ответы")
register("web.admin.section.auto", "Automatic messages", "Автосообщения")
register("web.admin.section.widget", "Chat widget", "Виджет чата")
register("web.admin.section.users", "Users", "Пользователи")
register("web.admin.all_projects", "All projects", "Все проекты")
register("web.admin.save", "Save", "Сохранить")
register("web.admin.saving", "Saving…", "Сохраняем…")
register("web.admin.saved", "Saved", "Сохранено")
register("web.admin.not_saved", "Not saved: check the marked fields ({n})",
         "Не сохранено: проверьте отмеченные поля ({n})")
register("web.admin.deleted", "Deleted", "Удалено")
register("web.admin.copied", "Copied", "Скопировано")
register("web.admin.offline", "No connection to the server; nothing was saved. Try again.",
         "Нет связи с сервером, ничего не сохранено. Попробуйте ещё раз.")
register("web.admin.remove", "Remove", "Убрать")
register("web.admin.delete", "Delete", "Удалить")
register("web.admin.up", "Move up", "Выше")
register("web.admin.down", "Move down", "Ниже")
register("web.admin.none", "None", "Нет")
register("web.admin.no_limit", "no limit", "без ограничения")
register("web.admin.timezone", "Time zone", "Часовой пояс")
register("web.admin.vars", "Variables filled in when the text is sent",
         "Переменные, которые подставляются при отправке")
register("web.admin.skill", "Skill", "Навык")
register("web.admin.skill_level", "Level", "Уровень")
register("web.admin.add_skill", "+ Add a skill", "+ Добавить навык")
register("web.admin.unit.s", "s", "с")
register("web.admin.unit.contacts", "contacts", "обращ.")
register("web.admin.unit.per_min", "per min", "в мин")
register("web.admin.unit.days", "days", "дн.")

# --- messages beside a field (ours, and the framework's checks in the reader's language)
register("web.admin.v.missing", "Please fill this in", "Заполните это поле")
register("web.admin.v.number", "Enter a number", "Введите число")
register("web.admin.v.int", "Enter a whole number", "Введите целое число")
register("web.admin.v.min", "At least {min}", "Не меньше {min}")
register("web.admin.v.max", "At most {max}", "Не больше {max}")
register("web.admin.v.string_too_long", "At most {max} characters", "Не больше {max} символов")
register("web.admin.v.pattern", "This value is not allowed here", "Такое значение здесь недопустимо")
register("web.admin.v.skill_name", "Name the skill, or remove the row", "Назовите навык или уберите строку")
register("web.admin.v.twice", "This is already in the list", "Это уже есть в списке")
register("web.admin.v.choose_queue", "Choose the queue to send contacts to",
         "Выберите очередь, куда направлять обращения")
register("web.admin.v.interval_empty", "Give both the start and the end", "Укажите и начало, и конец")
register("web.admin.v.interval_same", "The start and the end are the same time", "Начало и конец совпадают")
register("web.admin.v.date", "Choose a date", "Выберите дату")
register("web.admin.v.time", "A time like 09:00 (hours and minutes)", "Время вида 09:00 (часы и минуты)")
register("web.admin.v.code", "Lowercase Latin letters, digits, '-' and '_' (for example: lunch)",
         "Строчные латинские буквы, цифры, «-» и «_» (например: lunch)")
register("web.admin.v.reason_label", "Name the reason in Russian or English",
         "Назовите причину по-русски или по-английски")
register("web.admin.v.queue_name", "No '/' and no space at the start", "Без «/» и без пробела в начале")
register("web.admin.v.username", "Latin letters, digits, '.', '_', '@' and '-'",
         "Латинские буквы, цифры, «.», «_», «@» и «-»")
register("web.admin.v.greater_than_equal", "At least {min}", "Не меньше {min}")
register("web.admin.v.less_than_equal", "At most {max}", "Не больше {max}")
register("web.admin.v.float_parsing", "Enter a number", "Введите число")
register("web.admin.v.int_parsing", "Enter a whole number", "Введите целое число")
register("web.admin.v.int_from_float", "Enter a whole number", "Введите целое число")
register("web.admin.v.string_too_short", "Please fill this in", "Заполните это поле")
register("web.admin.v.string_pattern_mismatch", "This value is not allowed here", "Такое значение здесь недопустимо")
register("web.admin.v.literal_error", "Choose one of the offered values", "Выберите одно из предложенных значений")
register("web.admin.v.date_from_datetime_parsing", "Choose a date", "Выберите дату")
register("web.admin.v.too_long", "Too many entries", "Слишком много записей")
register("web.admin.v.too_short", "Add at least one", "Добавьте хотя бы одну запись")

# --- the project
register("web.admin.p.lead", "The client company this project serves. Its id, {slug}, never changes: "
         "reports, tokens and the widget's code use it.",
         "Компания-клиент, которую обслуживает проект. Его идентификатор {slug} не меняется: "
         "его используют отчёты, токены и код виджета.")
register("web.admin.p.name", "Name", "Название")
register("web.admin.p.name.help", "What people see in the pages and what {project.name} says to customers.",
         "Так проект называется на страницах; это же подставляет переменная {project.name} в ответах клиентам.")
register("web.admin.p.timezone.help", "Where «today» starts for the wallboard and the reports (e.g. Europe/Moscow).",
         "Отсюда отсчитывается «сегодня» на табло и дни в отчётах (например, Europe/Moscow).")
register("web.admin.p.region", "Country of phone numbers", "Страна телефонных номеров")
register("web.admin.p.region.help", "Two letters (RU, BY, KZ): numbers written without a country code are read as "
         "this country's.", "Две буквы (RU, BY, KZ): номера без кода страны считаются номерами этой страны.")
register("web.admin.p.language", "Language", "Язык")
register("web.admin.p.language.help", "The project's language for automatic texts and exports.",
         "Язык проекта для автоматических текстов и выгрузок.")

# --- people and roles
register("web.admin.pe.lead", "Who works in this project and what each may do. A person has one login for every "
         "project; the role is given here.",
         "Кто работает в проекте и что может делать. У человека один логин для всех проектов, а роль задаётся здесь.")
register("web.admin.pe.members", "People in the project", "Люди в проекте")
register("web.admin.pe.roles", "Administrator: everything in the project · Supervisor: queues, operators, "
         "reports, answers · Operator: their own conversations · Viewer: reports only.",
         "Администратор — всё в проекте · Супервизор — очереди, операторы, отчёты, ответы · "
         "Оператор — свои разговоры · Наблюдатель — только отчёты.")
register("web.admin.pe.user", "Login", "Логин")
register("web.admin.pe.role", "Role", "Роль")
register("web.admin.pe.operator_id", "Operator id", "Идентификатор оператора")
register("web.admin.pe.operator_id.help", "For an operator: the id routing knows them by; empty — the login.",
         "Для оператора: под этим идентификатором его знает маршрутизация; пусто — логин.")
register("web.admin.pe.role_of", "Role of {name}", "Роль: {name}")
register("web.admin.pe.operator_id_of", "Operator id of {name}", "Идентификатор оператора: {name}")
register("web.admin.pe.remove", "Remove from project", "Убрать из проекта")
register("web.admin.pe.remove_confirm", "Click again to remove", "Нажмите ещё раз, чтобы убрать")
register("web.admin.pe.operator_help", "An operator takes contacts once they also have a profile under "
         "Operators (queues, skills, how many chats at once).",
         "Оператор начнёт получать обращения, когда у него появится профиль в разделе «Операторы» "
         "(очереди, навыки, сколько чатов одновременно).")
register("web.admin.pe.none", "Nobody has a role in this project yet.", "В проекте пока ни у кого нет роли.")
register("web.admin.pe.add", "Add a person", "Добавить человека")
register("web.admin.pe.add.lead", "The login must exist already (a superadmin creates it under Users).",
         "Логин уже должен существовать (его создаёт суперадминистратор в разделе «Пользователи»).")
register("web.admin.pe.add_button", "Add to project", "Добавить в проект")
register("web.admin.role.admin", "Administrator", "Администратор")
register("web.admin.role.supervisor", "Supervisor", "Супервизор")
register("web.admin.role.operator", "Operator", "Оператор")
register("web.admin.role.viewer", "Viewer", "Наблюдатель")

# --- users (superadmins)
register("web.admin.u.lead", "Logins of every project. A person deactivated here is logged out at once and cannot "
         "log in; their roles and history stay.",
         "Логины всех проектов. Отключённый здесь человек сразу выходит из системы и не может войти; "
         "его роли и история сохраняются.")
register("web.admin.u.new", "New user", "Новый пользователь")
register("web.admin.u.username.help", "Latin letters, digits, '.', '_', '@' and '-'.",
         "Латинские буквы, цифры, «.», «_», «@» и «-».")
register("web.admin.u.display_name", "Full name", "Имя и фамилия")
register("web.admin.u.display_name.help", "Shown to colleagues; empty — the login.", "Видят коллеги; пусто — логин.")
register("web.admin.u.password", "Password", "Пароль")
register("web.admin.u.password.help", "At least 4 characters; the person can be given a new one later.",
         "Не короче 4 символов; позже можно задать новый.")
register("web.admin.u.superadmin", "Superadministrator (every project, every user)",
         "Суперадминистратор (все проекты и все пользователи)")
register("web.admin.u.superadmin.help", "For the contact center's own IT only.",
         "Только для собственной ИТ-службы контакт-центра.")
register("web.admin.u.create", "Create user", "Создать пользователя")
register("web.admin.u.all", "All users", "Все пользователи")
register("web.admin.u.superadmin_tag", "superadmin", "суперадмин")
register("web.admin.u.active", "active", "активен")
register("web.admin.u.inactive", "deactivated", "отключён")
register("web.admin.u.new_password", "New password", "Новый пароль")
register("web.admin.u.new_password_for", "New password for {name}", "Новый пароль: {name}")
register("web.admin.u.set_password", "Set password", "Задать пароль")
register("web.admin.u.password_set", "Password set; their sessions have ended",
         "Пароль задан; сеансы пользователя завершены")
register("web.admin.u.deactivate", "Deactivate", "Отключить")
register("web.admin.u.activate", "Activate", "Включить")
register("web.admin.u.deactivate.help", "You cannot deactivate yourself.", "Себя отключить нельзя.")

# --- operators
register("web.admin.o.lead", "How routing sees each operator: the queues they serve, their skills, and how many "
         "contacts of each kind they carry at once.",
         "Как маршрутизация видит каждого оператора: какие очереди он обслуживает, его навыки и сколько "
         "обращений каждого вида он ведёт одновременно.")
register("web.admin.o.id", "Operator id", "Идентификатор")
register("web.admin.o.id.help", "As given to the person under People and roles.",
         "Тот же, что у человека в разделе «Люди и роли».")
register("web.admin.o.name", "Name customers see", "Имя для клиентов")
register("web.admin.o.name.help", "«You are talking to …» in the chat and {operator.name} in replies.",
         "«Вам отвечает …» в чате и {operator.name} в ответах.")
register("web.admin.o.queues", "Queues", "Очереди")
register("web.admin.o.capacity", "Contacts at once", "Одновременно обращений")
register("web.admin.o.capacity.help", "A call takes the operator whole; chats and messengers share one limit, "
         "e-mails and forms another.",
         "Звонок занимает оператора целиком; чаты и мессенджеры делят один лимит, письма и веб-формы — другой.")
register("web.admin.o.capacity_value", "calls {voice} · chats {chat} · e-mails {email}",
         "звонки {voice} · чаты {chat} · письма {email}")
register("web.admin.o.bucket.voice", "Calls", "Звонки")
register("web.admin.o.bucket.chat", "Chats and messengers", "Чаты и мессенджеры")
register("web.admin.o.bucket.email", "E-mails and forms", "Письма и веб-формы")
register("web.admin.o.skills", "Skills", "Навыки")
register("web.admin.o.skills.help", "A name and a level 0–100 (for example: english 3, vip 1, lang_en 1). "
         "Queues can require them.",
         "Название и уровень 0–100 (например: english 3, vip 1, lang_en 1). Очереди могут их требовать.")
register("web.admin.o.none", "No operator profiles yet.", "Профилей операторов пока нет.")
register("web.admin.o.without_profile", "Operators by role without a profile yet:",
         "Операторы по роли, у которых ещё нет профиля:")
register("web.admin.o.new", "Add or open an operator", "Добавить или открыть оператора")
register("web.admin.o.open", "Open", "Открыть")
register("web.admin.o.title", "Operator {id}", "Оператор {id}")
register("web.admin.o.new_lead", "A new profile: it is created when you save.",
         "Новый профиль: он появится после сохранения.")
register("web.admin.o.page_lead", "Changes apply to the next contact offered; contacts in progress stay.",
         "Изменения действуют со следующего предложенного обращения; текущие разговоры остаются.")
register("web.admin.o.create", "Create profile", "Создать профиль")

# --- break reasons
register("web.admin.b.lead", "What an operator can choose when they take a break. The wallboard and the reports "
         "show time on break by these reasons.",
         "Что оператор выбирает, уходя на перерыв. Табло и отчёты показывают время перерывов по этим причинам.")
register("web.admin.b.code", "Code", "Код")
register("web.admin.b.label_ru", "Name in Russian", "Название по-русски")
register("web.admin.b.label_en", "Name in English", "Название по-английски")
register("web.admin.b.help", "The code is stored with every break: change the names freely, but a new code is a new "
         "reason. The operator's desktop lists them in this order.",
         "Код сохраняется с каждым перерывом: названия можно менять свободно, а новый код — это новая причина. "
         "На рабочем столе оператора они идут в этом порядке.")
register("web.admin.b.add", "+ Add a reason", "+ Добавить причину")

# --- quick replies and automatic messages
register("web.admin.r.lead", "Ready answers an operator inserts by typing / and the keyword in a chat. Operators may "
         "also keep replies of their own («My quick replies»); one with a keyword of these takes its place for "
         "that operator only.",
         "Готовые ответы: оператор вставляет их в чат, набрав / и ключевое слово. У операторов могут быть и "
         "личные ответы («Мои быстрые ответы»); личный ответ с тем же ключевым словом заменяет здешний только "
         "для своего автора.")
register("web.admin.r.shortcut", "Keyword", "Ключевое слово")
register("web.admin.r.shortcut.help", "Letters, digits, - and _ (for example: delivery, доставка).",
         "Буквы, цифры, - и _ (например: доставка, delivery).")
register("web.admin.r.title", "Title", "Заголовок")
register("web.admin.r.text", "Text", "Текст")
register("web.admin.r.delete_confirm", "Click again to delete /{shortcut}",
         "Нажмите ещё раз, чтобы удалить /{shortcut}")
register("web.admin.r.none", "No quick replies yet.", "Быстрых ответов пока нет.")
register("web.admin.r.new", "New quick reply", "Новый быстрый ответ")
register("web.admin.r.add", "Add quick reply", "Добавить ответ")
register("web.admin.a.lead", "Texts Dozvon sends by itself in chats, messengers and by mail.",
         "Тексты, которые Дозвон отправляет сам в чатах, мессенджерах и по почте.")
register("web.admin.a.welcome", "Welcome", "Приветствие при обращении")
register("web.admin.a.welcome.help", "Sent at once when a customer writes first, before an operator answers.",
         "Уходит сразу, как только клиент написал, — ещё до ответа оператора.")
register("web.admin.a.greeting", "Greeting", "Приветствие оператора")
register("web.admin.a.greeting.help", "Sent when an operator takes the conversation.",
         "Уходит, когда оператор принимает разговор.")
register("web.admin.a.farewell", "Farewell", "Прощание")
register("web.admin.a.farewell.help", "Sent when the operator ends the conversation.",
         "Уходит, когда оператор завершает разговор.")
register("web.admin.a.survey", "Survey", "Опрос после разговора")
register("web.admin.a.survey.help",
         "Asks the customer for a score from 1 to 5 after the operator ends the conversation — by mail, in Telegram "
         "(with buttons) and on other text channels; the web chat asks with its own stars. A reply that is just a "
         "digit within 24 hours is the rating. Leave the text empty for the standard question in the customer's "
         "language.",
         "Просит клиента оценить разговор от 1 до 5, когда оператор его завершил, — по почте, в Telegram (с "
         "кнопками) и в других текстовых каналах; веб-чат спрашивает своими звёздами. Ответ одной цифрой в течение "
         "суток — это оценка. Оставьте текст пустым — уйдёт стандартный вопрос на языке клиента.")
register("web.admin.a.enabled", "Send it", "Отправлять")
register("web.admin.a.text", "Text", "Текст")
register("web.admin.a.queue_replies", "Replies out of hours, when a queue is full or a customer waits too long are "
         "each queue's own: Queues → the queue → «What happens when…».",
         "Ответы в нерабочее время, при переполненной очереди и слишком долгом ожидании у каждой очереди свои: "
         "Очереди → очередь → «Что происходит, когда…».")

# --- the chat widget
register("web.admin.w.lead", "The chat button on the client's website: which queue it feeds, how it looks, what it "
         "asks before the chat.",
         "Кнопка чата на сайте клиента: в какую очередь идут обращения, как она выглядит и что спрашивает "
         "до начала чата.")
register("web.admin.w.embed", "Code for the website", "Код для сайта")
register("web.admin.w.embed.help", "Put this line before </body> on every page of the site.",
         "Вставьте эту строку перед </body> на всех страницах сайта.")
register("web.admin.w.copy", "Copy code", "Скопировать код")
register("web.admin.w.no_queue", "Create a queue first: the widget's chats go to one.",
         "Сначала создайте очередь: чаты виджета попадают в неё.")
register("web.admin.w.settings", "Settings", "Настройки")
register("web.admin.w.enabled", "The chat is on", "Чат включён")
register("web.admin.w.enabled.help", "Off: the button disappears from the site; open chats end normally.",
         "Выключен — кнопка исчезает с сайта; начатые чаты завершатся как обычно.")
register("web.admin.w.queue", "Queue", "Очередь")
register("web.admin.w.queue.help", "Where new chats wait for an operator.",
         "Куда новые чаты встают в ожидании оператора.")
register("web.admin.w.title", "Title", "Заголовок")
register("web.admin.w.title.help", "At the top of the chat window; empty — the project's name.",
         "Вверху окна чата; пусто — название проекта.")
register("web.admin.w.color", "Colour", "Цвет")
register("web.admin.w.color.help", "The button and the visitor's messages.", "Кнопка и сообщения посетителя.")
register("web.admin.w.prechat", "Before the chat, ask for", "Перед чатом спрашивать")
register("web.admin.w.prechat.help", "Required fields must be filled before the first message.",
         "Обязательные поля нужно заполнить до первого сообщения.")
register("web.admin.w.prechat.name", "Name", "Имя")
register("web.admin.w.prechat.phone", "Phone", "Телефон")
register("web.admin.w.prechat.email", "E-mail", "Эл. почта")
register("web.admin.w.mode.off", "Do not ask", "Не спрашивать")
register("web.admin.w.mode.optional", "Optional", "По желанию")
register("web.admin.w.mode.required", "Required", "Обязательно")
register("web.admin.w.origins", "Sites allowed to show it", "Сайты, где он разрешён")
register("web.admin.w.origins.help", "One address a line, like https://shop.example; empty — any site.",
         "По одному адресу в строке, например https://shop.example; пусто — любой сайт.")

# --- queues: the list
register("web.admin.qs.lead", "Every contact waits in a queue; each queue has its own rules for who answers, "
         "how fast, and when.",
         "Каждое обращение ждёт в очереди; у каждой очереди свои правила: кто отвечает, как быстро и когда.")
register("web.admin.qs.name", "Name", "Название")
register("web.admin.qs.name.help", "Channels and the widget refer to the queue by it; it cannot be changed later.",
         "По нему на очередь ссылаются каналы и виджет; потом его не изменить.")
register("web.admin.qs.goal", "Service goal", "Цель обслуживания")
register("web.admin.qs.goal_value", "{goal}% within {target} s", "{goal}% за {target} с")
register("web.admin.qs.operators", "Operators", "Операторов")
register("web.admin.qs.waiting", "Waiting", "Ждут")
register("web.admin.qs.by_hours", "by hours ({tz})", "по графику ({tz})")
register("web.admin.qs.open", "open now", "сейчас открыта")
register("web.admin.qs.closed_now", "closed now", "сейчас закрыта")
register("web.admin.qs.always", "around the clock", "круглосуточно")
register("web.admin.qs.none", "No queues yet.", "Очередей пока нет.")
register("web.admin.qs.new", "New queue", "Новая очередь")
register("web.admin.qs.create", "Set it up", "Настроить")

# --- strategies and actions
register("web.admin.strategy.round_robin", "In turn (round robin)", "По очереди (round robin)")
register("web.admin.strategy.ring_all", "Everyone at once (ring all)", "Всем сразу (ring all)")
register("web.admin.strategy.longest_idle", "Longest idle first", "Дольше всех свободен")
register("web.admin.strategy.least_busy", "Least busy first", "Наименее загруженный")
register("web.admin.strategy.skills", "Best skill first", "Лучший по навыку")
register("web.admin.act.overflow", "Send to another queue", "Перевести в другую очередь")
register("web.admin.act.callback", "Create a callback task", "Создать задачу на перезвон")
register("web.admin.act.message", "Reply with a message and close", "Ответить сообщением и закрыть")
register("web.admin.act.wait", "Reply with a message and keep waiting", "Ответить сообщением и оставить в очереди")
register("web.admin.act.reject", "Refuse", "Отказать")


# --- one queue: every setting, grouped
register("web.admin.q.title", "Queue {name}", "Очередь {name}")
register("web.admin.q.lead", "Changes apply to the next contact at once; contacts already waiting keep their place.",
         "Изменения действуют сразу, со следующего обращения; уже ожидающие сохраняют своё место.")
register("web.admin.q.new_lead", "A new queue: it starts taking contacts once you save it.",
         "Новая очередь: она начнёт принимать обращения после сохранения.")
register("web.admin.q.save_new", "Create queue", "Создать очередь")
register("web.admin.q.routing", "Who gets the contact", "Кому достаётся обращение")
register("web.admin.q.routing.lead", "How the next free operator is chosen among those serving this queue.",
         "Как выбирается следующий оператор из тех, кто обслуживает очередь.")
register("web.admin.q.strategy", "Distribution", "Распределение")
register("web.admin.q.strategy.help", "In turn: everyone gets one before anyone gets two · Everyone at once: the first "
         "to accept takes it · Longest idle: who has waited longest · Least busy: who has the fewest contacts · "
         "Best skill: the highest level of the required skills.",
         "По очереди — никто не получит второе, пока все не получили по одному · Всем сразу — достаётся тому, "
         "кто первым примет · Дольше всех свободен — кто дольше ждёт · Наименее загруженный — у кого меньше "
         "обращений · Лучший по навыку — у кого выше уровень нужных навыков.")
register("web.admin.q.offer_timeout", "Ring an operator for", "Предлагать оператору")
register("web.admin.q.offer_timeout.help", "Unanswered in this time, the contact goes to the next operator. "
         "Empty: 20 s for calls, 60 s for chats, 5 min for e-mails.",
         "Если оператор не принял за это время, обращение уходит следующему. Пусто — 20 с для звонков, "
         "60 с для чатов, 5 мин для писем.")
register("web.admin.q.offer_timeout.auto", "by channel", "по каналу")
register("web.admin.q.required_skills", "Required skills", "Обязательные навыки")
register("web.admin.q.required_skills.help", "Only operators with at least this level get the queue's contacts.",
         "Обращения получают только операторы с уровнем навыка не ниже указанного.")
register("web.admin.q.skills_first", "Prefer higher skill levels", "Сначала — с более высоким навыком")
register("web.admin.q.skills_first.help", "Among free operators, the best at the required skills first.",
         "Среди свободных операторов первым — лучший по обязательным навыкам.")
register("web.admin.q.language_routing", "Route by the customer's language", "Учитывать язык клиента")
register("web.admin.q.language_routing.help", "A customer writing in English needs an operator with the skill lang_en.",
         "Клиенту, который пишет по-английски, нужен оператор с навыком lang_en.")
register("web.admin.q.goals", "Service goal", "Цель обслуживания")
register("web.admin.q.goals.lead", "The service level the wallboard measures the queue against (80% within 20 s is "
         "the classic).", "Уровень сервиса, по которому табло оценивает очередь (классика — 80% за 20 с).")
register("web.admin.q.target_answer", "Answer within", "Ответить за")
register("web.admin.q.target_answer.help", "A contact answered later counts as a miss.",
         "Обращение, отвеченное позже, считается пропущенным по цели.")
register("web.admin.q.sl_goal", "Share answered in time", "Доля отвеченных вовремя")
register("web.admin.q.sl_goal.help", "From 0 to 100%. Below it, the wallboard marks the queue red.",
         "От 0 до 100%. Если ниже — табло выделяет очередь красным.")
register("web.admin.q.wrap_up", "Wrap-up time", "Время на обработку")
register("web.admin.q.wrap_up.help", "After a conversation the operator gets no new contacts for this long.",
         "После разговора оператор столько времени не получает новых обращений.")
register("web.admin.q.hours", "Business hours", "Часы работы")
register("web.admin.q.hours.lead", "When operators answer this queue, and what a customer gets out of hours.",
         "Когда операторы отвечают в этой очереди и что получает клиент в нерабочее время.")
register("web.admin.q.always_open", "Open around the clock", "Круглосуточно")
register("web.admin.q.always_open.help", "Turn off to set a weekly schedule and holidays.",
         "Снимите, чтобы задать график по дням недели и праздники.")
register("web.admin.q.timezone.help", "The hours below are in this time zone.", "Часы ниже — в этом часовом поясе.")
register("web.admin.q.weekly", "Week", "Неделя")
register("web.admin.q.weekly.help", "A day without hours is closed. Several intervals make a break "
         "(09:00–13:00 and 14:00–18:00); an end before the start runs past midnight (22:00–06:00); 24:00 is midnight.",
         "День без часов — выходной. Несколько интервалов — с перерывом (09:00–13:00 и 14:00–18:00); "
         "конец раньше начала — работа через полночь (22:00–06:00); 24:00 — полночь.")
register("web.admin.q.holidays", "Holidays and special days", "Праздники и особые дни")
register("web.admin.q.holidays.help", "Closed all day, or with their own shorter hours instead of the week's.",
         "Закрыто весь день или свои, сокращённые часы вместо обычных.")
register("web.admin.day.mon", "Monday", "Понедельник")
register("web.admin.day.tue", "Tuesday", "Вторник")
register("web.admin.day.wed", "Wednesday", "Среда")
register("web.admin.day.thu", "Thursday", "Четверг")
register("web.admin.day.fri", "Friday", "Пятница")
register("web.admin.day.sat", "Saturday", "Суббота")
register("web.admin.day.sun", "Sunday", "Воскресенье")
register("web.admin.from", "from", "с")
register("web.admin.to", "to", "до")
register("web.admin.closed", "Closed", "Выходной")
register("web.admin.closed_all_day", "Closed all day", "Закрыто весь день")
register("web.admin.short_day", "+ Own hours", "+ Свои часы")
register("web.admin.add_hours", "+ Hours", "+ Часы")
register("web.admin.add_hours_for", "Add hours: {day}", "Добавить часы: {day}")
register("web.admin.remove_hours", "Remove these hours", "Убрать эти часы")
register("web.admin.holiday", "Holiday", "Праздник")
register("web.admin.holiday_date", "Holiday date", "Дата праздника")
register("web.admin.add_holiday", "+ Add a holiday", "+ Добавить праздник")
register("web.admin.q.on_closed", "When a contact arrives out of hours", "Когда обращение приходит в нерабочее время")
register("web.admin.q.on_closed.help", "«Reply and keep waiting» suits chats: the customer is told when you open, "
         "and the chat waits for the morning.",
         "Для чатов подходит «ответить и оставить в очереди»: клиент узнает, когда вы откроетесь, "
         "а чат дождётся утра.")
register("web.admin.q.on_full", "When the queue is full", "Когда очередь заполнена")
register("web.admin.q.on_full.help", "What a contact gets when the queue already holds its maximum.",
         "Что получает обращение, если в очереди уже максимум ожидающих.")
register("web.admin.q.on_max_wait", "When a customer waits too long", "Когда клиент ждёт слишком долго")
register("web.admin.q.on_max_wait.help", "What happens once the maximum wait has passed.",
         "Что происходит, когда максимальное ожидание истекло.")
register("web.admin.q.action_kind", "Action", "Действие")
register("web.admin.q.default_action", "Default: {action}", "По умолчанию: {action}")
register("web.admin.q.target_queue", "Queue to send it to", "В какую очередь")
register("web.admin.q.choose_queue", "Choose a queue…", "Выберите очередь…")
register("web.admin.q.action_text", "Message to the customer", "Сообщение клиенту")
register("web.admin.q.action_text.help", "For a call it is the recorded announcement.",
         "Для звонка — текст голосового сообщения.")
register("web.admin.q.limits", "Limits", "Ограничения")
register("web.admin.q.limits.lead", "So that nobody waits forever: how many may wait, and for how long.",
         "Чтобы никто не ждал бесконечно: сколько клиентов может ждать и как долго.")
register("web.admin.q.max_length", "At most waiting", "Не больше ожидающих")
register("web.admin.q.max_length.help", "Empty: no limit.", "Пусто — без ограничения.")
register("web.admin.q.max_wait", "Maximum wait", "Максимальное ожидание")
register("web.admin.q.max_wait.help", "Empty: no limit.", "Пусто — без ограничения.")
register("web.admin.q.priority_title", "Priority", "Приоритет")
register("web.admin.q.priority_title.lead", "Which contacts an operator serving several queues takes first.",
         "Какие обращения первыми берёт оператор, который обслуживает несколько очередей.")
register("web.admin.q.priority", "Priority", "Приоритет")
register("web.admin.q.priority.help", "Added to each contact of the queue; higher goes first.",
         "Прибавляется к каждому обращению очереди; у кого выше — того раньше.")
register("web.admin.q.weight", "Weight", "Вес очереди")
register("web.admin.q.weight.help", "Between queues: the heavier queue's contacts go first.",
         "Между очередями: обращения более «тяжёлой» очереди идут первыми.")
register("web.admin.q.aging", "Priority growth while waiting", "Рост приоритета при ожидании")
register("web.admin.q.aging.help", "Points a contact gains each minute, so that nobody is left behind.",
         "Сколько очков обращение получает каждую минуту, чтобы никто не остался позади.")
register("web.admin.q.returning", "Returning customers and escalation", "Повторные обращения и эскалация")
register("web.admin.q.returning.lead", "A customer who writes again is offered to the operator who helped them last.",
         "Клиента, который обратился снова, сначала предлагают оператору, который помогал ему в прошлый раз.")
register("web.admin.q.sticky_wait", "Wait for the same operator", "Ждать того же оператора")
register("web.admin.q.sticky_wait.help", "0: only if they are free right now.",
         "0 — только если он свободен прямо сейчас.")
register("web.admin.q.sticky_window", "Remember the operator for", "Помнить оператора")
register("web.admin.q.sticky_window.help", "After this long the customer is new again.",
         "По истечении этого срока клиент снова считается новым.")
register("web.admin.q.escalation", "Escalation queue", "Очередь эскалации")
register("web.admin.q.escalation.help", "Where an operator escalates a contact (seniors, supervisors).",
         "Куда оператор передаёт обращение при эскалации (старшие, супервизоры).")
register("web.admin.q.callback_on_abandon", "Create a callback task when a customer gives up waiting",
         "Создавать задачу на перезвон, если клиент не дождался")
register("web.admin.q.callback_on_abandon.help", "Every lost call is called back.",
         "Ни один потерянный звонок не останется без ответа.")
register("web.admin.q.delete", "Delete queue", "Удалить очередь")
register("web.admin.q.delete.lead", "Possible only when nobody waits in it and no other queue sends contacts to it.",
         "Возможно, только когда в ней никто не ждёт и другие очереди не направляют в неё обращения.")
register("web.admin.q.delete.confirm", "Click again to delete {name}", "Нажмите ещё раз, чтобы удалить {name}")

# --- named people (whom partner and complaint contacts go to)
register("web.admin.d.lead", "Whom operators hand partner, complaint and other contacts to when the matter is for a "
         "particular person. They are listed first in the desktop's «Transfer».",
         "Кому операторы передают обращения партнёров, жалобы и другие вопросы, которые решает конкретный человек. "
         "В форме «Перевести» на рабочем столе они стоят первыми.")
register("web.admin.d.name", "Name", "Имя")
register("web.admin.d.title", "Position", "Должность")
register("web.admin.d.phone", "Phone", "Телефон")
register("web.admin.d.operator", "Operator account", "Учётная запись оператора")
register("web.admin.d.no_operator", "— not in Dozvon —", "— не работает в Дозвоне —")
register("web.admin.d.topics", "Takes", "Принимает")
register("web.admin.d.help", "Give a phone, an operator account, or both: a chat can only go to someone with an "
         "operator account; a call can also go out to the phone.",
         "Укажите телефон, учётную запись оператора или и то и другое: чат можно передать только тому, у кого есть "
         "учётная запись оператора, звонок — ещё и на телефон.")
register("web.admin.d.add", "+ Add a person", "+ Добавить человека")
register("web.admin.d.none", "Nobody yet: partner and complaint contacts go to operators and queues only.",
         "Пока никого: обращения партнёров и жалобы передаются только операторам и в очереди.")
register("web.admin.v.reach", "Give a phone or an operator account", "Укажите телефон или учётную запись оператора")

# --- customer segments
register("web.admin.s.lead", "Each inbound contact gets its customer's segment: routing adds the segment's priority, "
         "reports cut by it, the operator sees it on the card. A segment given by hand (an import, the card) wins.",
         "Каждое входящее обращение получает сегмент клиента: маршрутизация добавляет приоритет сегмента, отчёты "
         "делятся по нему, оператор видит его в карточке. Сегмент, заданный вручную (импорт, карточка), важнее правил.")
register("web.admin.s.regular", "Regular and lost customers", "Постоянные и потерянные клиенты")
register("web.admin.s.regular_contacts", "Contacts", "Обращений")
register("web.admin.s.regular_contacts.help", "This many contacts, this one included…",
         "Столько обращений, считая текущее…")
register("web.admin.s.regular_days", "Within", "За")
register("web.admin.s.regular_days.help", "…within this many days make a customer regular.",
         "…за столько дней — и клиент постоянный.")
register("web.admin.s.lost_days", "Lost after", "Потерян через")
register("web.admin.s.lost_days.help", "Days without a contact: the customer becomes lost (a win-back list), and one "
         "coming back after that is marked so the operator knows.",
         "Дней без обращений: клиент считается потерянным (список для возврата), а вернувшегося после этого "
         "оператор видит помеченным.")
register("web.admin.s.days", "days", "дн.")
register("web.admin.s.custom", "The project's own segments", "Свои сегменты проекта")
register("web.admin.s.custom.help", "Checked first, in this order: a customer whose attribute (from the import) equals "
         "the value is in the segment, and their contacts get the extra priority points.",
         "Проверяются первыми, по порядку: клиент, у которого атрибут (из импорта) равен значению, попадает в "
         "сегмент, а его обращения получают дополнительные очки приоритета.")
register("web.admin.s.segment", "Segment", "Сегмент")
register("web.admin.s.attribute", "Attribute", "Атрибут")
register("web.admin.s.equals", "Equals", "Равен")
register("web.admin.s.priority", "Priority", "Приоритет")
register("web.admin.s.add", "+ Add a rule", "+ Добавить правило")

# --- what customers' flags do (/settings/flags)
register("web.admin.section.flags", "Customer flags", "Флаги клиентов")
register("web.admin.f.lead", "Operators flag a customer on the card: a suspected competitor, a blocked customer, "
         "one not to be called. What each flag does to that customer's next contacts is set here, for this project.",
         "Оператор ставит флаг на карточке клиента: подозрение на конкурента, блокировка, «не звонить». Что каждый "
         "флаг делает со следующими обращениями этого клиента — решается здесь, для этого проекта.")
register("web.admin.f.competitor.lead", "Someone who may be gathering prices and terms for a competitor.",
         "Тот, кто, возможно, выведывает цены и условия для конкурента.")
register("web.admin.f.competitor_queue", "Send their contacts to", "Направлять обращения в очередь")
register("web.admin.f.competitor_queue.help", "For example a queue of senior operators who know what not to tell. "
         "Left as is: the contact goes where it was going, marked on the card.",
         "Например, в очередь старших операторов, которые знают, чего не говорить. Если не выбрать — обращение идёт "
         "своим путём, с пометкой на карточке.")
register("web.admin.f.same_queue", "— the same queue (only mark them) —", "— в ту же очередь (только пометить) —")
register("web.admin.f.gone_queue", "{queue} (no longer exists)", "{queue} (очереди больше нет)")
register("web.admin.f.blocked.lead", "Abuse, spam, threats: someone the project no longer serves.",
         "Оскорбления, спам, угрозы: тот, кого проект больше не обслуживает.")
register("web.admin.f.blocked_refuse", "Turn a blocked customer away on arrival",
         "Отклонять обращения заблокированного клиента")
register("web.admin.f.blocked_refuse.help", "Their call or chat never reaches an operator. Unticked: they are "
         "served as usual, with the flag on the card.",
         "Звонок или чат не попадает к оператору. Если снять — клиента обслуживают как обычно, с флагом на карточке.")
register("web.admin.f.blocked_text", "What they read when turned away (text channels)",
         "Что клиент прочтёт при отказе (текстовые каналы)")
register("web.admin.f.blocked_text.help", "Sent in the chat or messenger before it is closed. Empty: nothing is sent.",
         "Отправляется в чат или мессенджер перед закрытием. Пусто — ничего не отправляется.")
register("web.admin.f.do_not_call.lead", "Never called in outbound campaigns or callbacks; their own calls are "
         "answered as usual. Nothing to set.",
         "Не звоним в исходящих обзвонах и перезвонах; входящие от клиента принимаются как обычно. Настраивать "
         "нечего.")
register("web.admin.f.who", "Operators set flags on the card with a reason; supervisors lift them there. The history "
         "(who, when, why) is kept.",
         "Операторы ставят флаги на карточке с указанием причины, руководители там же снимают. История (кто, когда, "
         "почему) сохраняется.")

# --- the discount policy (/settings/discounts)
register("web.admin.section.discounts", "Discount policy", "Скидочная политика")
register("web.admin.dc.lead", "What an operator may offer on their own, by the customer's segment. The customer's card "
         "shows the line for their segment, so a regular customer asking for a discount hears the same answer from "
         "every operator.",
         "Что оператор может предложить сам, в зависимости от сегмента клиента. Карточка клиента показывает строку "
         "его сегмента — постоянный клиент, который просит скидку, слышит один ответ от любого оператора.")
register("web.admin.dc.segment", "Segment", "Сегмент")
register("web.admin.dc.max_percent", "Up to", "Скидка до")
register("web.admin.dc.note", "Conditions", "Условия")
register("web.admin.dc.note.placeholder", "for example: from the second order, not on sale items",
         "например: со второго заказа, кроме товаров со скидкой")
register("web.admin.dc.none", "No lines: operators are not offered any discount to give.",
         "Строк нет: операторам не предлагается давать скидку.")
register("web.admin.dc.help", "One line per segment, by its code (the project's own from the segment rules too):",
         "Одна строка на сегмент, по его коду (и свои сегменты проекта из правил сегментов):")
register("web.admin.dc.add", "+ Add a line", "+ Добавить строку")
register("web.segment.investor", "investor", "инвестор")
