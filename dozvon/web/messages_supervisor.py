"""The texts of the supervisor's pages — wallboard, reports, conversations — in English and
Russian (the catalogue style of :mod:`dozvon.web.messages`, under ``web.`` keys)."""

from __future__ import annotations

from dozvon.core.i18n import register

# --- navigation between the pages, and a page refused
register("web.nav.label", "Pages", "Разделы")
register("web.nav.desktop", "Desktop", "Рабочий стол")
register("web.nav.wallboard", "Wallboard", "Табло")
register("web.nav.reports", "Reports", "Отчёты")
register("web.nav.supervise", "Conversations", "Разговоры")
register("web.refused.title", "Not available to you", "Раздел вам недоступен")
register("web.refused.text",
         "Your account may not open this page in any project. A supervisor or an administrator of the project can "
         "give you the access.",
         "Вашей учётной записи эта страница недоступна ни в одном проекте. Доступ может дать супервизор или "
         "администратор проекта.")
register("web.refused.back", "Back to your desktop", "Вернуться на рабочий стол")

# --- the wallboard
register("web.board.title", "Wallboard", "Табло")
register("web.board.today", "Today", "Сегодня")
register("web.board.tv", "TV mode", "Режим ТВ")
register("web.board.tv_exit", "Exit TV mode", "Выйти из режима ТВ")
register("web.board.waiting", "Waiting now", "Ждут сейчас")
register("web.board.longest", "Longest wait", "Дольше всех ждёт")
register("web.board.offered", "Offered", "Поступило")
register("web.board.answered", "Answered", "Отвечено")
register("web.board.abandoned", "Abandoned", "Потеряно")
register("web.board.sl", "Service level", "Уровень сервиса")
register("web.board.asa", "ASA", "ASA")
register("web.board.car", "CAR", "CAR")
register("web.board.lcr", "LCR", "LCR")
register("web.board.on_line", "Free operators", "Свободных операторов")
register("web.board.on_line_of", "of {n} logged in", "из {n} в сети")
register("web.board.queues", "Queues", "Очереди")
register("web.board.queue", "Queue", "Очередь")
register("web.board.no_queues", "No queues yet.", "Очередей пока нет.")
register("web.board.sl_goal", "goal {goal} in {target}", "цель {goal} за {target}")
register("web.board.below", "Below goal", "Ниже цели")
register("web.board.no_sl", "no answers yet", "ответов ещё нет")
register("web.board.operators", "Operators", "Операторы")
register("web.board.no_operators", "No operators in this project yet.", "В проекте пока нет операторов.")
register("web.board.in_state", "In state", "В состоянии")
register("web.board.load", "Load", "Загрузка")
register("web.board.load_of", "{n} of {c}", "{n} из {c}")
register("web.board.ringing", "ringing {n}", "звонит {n}")
register("web.board.set_state", "Change the state of {name}", "Изменить состояние: {name}")
register("web.board.set_state_placeholder", "Change state…", "Сменить состояние…")
register("web.board.state_changed", "{name}: {state}", "{name}: {state}")
register("web.board.updated", "Updated {time}", "Обновлено {time}")
register("web.board.polling", "Refreshed every few seconds", "Обновляется каждые несколько секунд")
register("web.board.legend", "By state", "По состояниям")
register("web.board.read", "Conversations", "Разговоры")
register("web.board.glossary",
         "SL: answered within the queue's target time ÷ decided contacts · ASA: average speed of answer · "
         "CAR: lost before an answer ÷ inbound · LCR: abandoned in the queue ÷ offered",
         "SL — отвечено в пределах целевого времени очереди ÷ решённые обращения · ASA — среднее время ответа · "
         "CAR — потеряно до ответа ÷ входящие · LCR — брошено в очереди ÷ поступило в очередь")

# --- the reports page
register("web.reports.title", "Reports", "Отчёты")
register("web.reports.since", "From", "С")
register("web.reports.to", "To (inclusive)", "По (включительно)")
register("web.reports.period", "Granularity", "Шаг")
register("web.reports.period.15min", "15 minutes", "15 минут")
register("web.reports.period.hour", "Hour", "Час")
register("web.reports.period.day", "Day", "День")
register("web.reports.period.week", "Week", "Неделя")
register("web.reports.period.month", "Month", "Месяц")
register("web.reports.period.all", "Whole range", "Весь период")
register("web.reports.by", "Cut by", "Разрез")
register("web.reports.by.none", "No cut (totals)", "Без разреза (итоги)")
register("web.reports.by.queue", "Queue", "Очередь")
register("web.reports.by.operator", "Operator", "Оператор")
register("web.reports.by.channel", "Channel", "Канал")
register("web.reports.by.source", "Source", "Источник")
register("web.reports.by.segment", "Customer segment", "Сегмент клиента")
register("web.reports.show", "Show", "Показать")
register("web.reports.download", "Download", "Скачать")
register("web.reports.csv", "CSV", "CSV")
register("web.reports.xlsx", "Excel (XLSX)", "Excel (XLSX)")
register("web.reports.table", "KPI table", "Таблица показателей")
register("web.reports.loading", "Loading…", "Загрузка…")
register("web.reports.empty", "No contacts in this period.", "За этот период обращений нет.")
register("web.reports.total", "Total", "Итого")
register("web.reports.col.period", "Period", "Период")
register("web.reports.col.offered", "Offered", "Поступило")
register("web.reports.col.answered", "Answered", "Отвечено")
register("web.reports.col.abandoned", "Abandoned", "Потеряно")
register("web.reports.col.sl", "SL", "SL")
register("web.reports.col.asa", "ASA", "ASA")
register("web.reports.col.aht", "AHT", "AHT")
register("web.reports.col.car", "CAR", "CAR")
register("web.reports.col.lcr", "LCR", "LCR")
register("web.reports.col.fcr", "FCR", "FCR")
register("web.reports.col.occupancy", "Occupancy", "Занятость")
register("web.reports.col.csat", "CSAT", "CSAT")
register("web.reports.chart.shares", "Service level, CAR and LCR", "Уровень сервиса, CAR и LCR")
register("web.reports.chart.times", "ASA and AHT, seconds", "ASA и AHT, секунды")
register("web.reports.chart.heat", "Hot hours: offered contacts by weekday and hour",
         "Горячие часы: поступившие обращения по дням недели и часам")
register("web.reports.chart.heat_too_long", "The hot-hours map covers at most 200 days; choose a shorter range.",
         "Карта горячих часов строится не больше чем за 200 дней — выберите период короче.")
register("web.reports.weekdays", "Mon,Tue,Wed,Thu,Fri,Sat,Sun", "Пн,Вт,Ср,Чт,Пт,Сб,Вс")
register("web.reports.contacts", "contacts", "обращений")
register("web.reports.seconds", "s", "с")
register("web.reports.error", "The report could not be built: {message}", "Отчёт не построен: {message}")
register("web.reports.timezone", "Times in {tz}", "Время: {tz}")

# --- the conversations of a project, read by a supervisor
register("web.supervise.title", "Conversations", "Разговоры")
register("web.supervise.list", "Conversations of the project", "Разговоры проекта")
register("web.supervise.open_only", "Only open ones", "Только открытые")
register("web.supervise.empty", "No conversations.", "Разговоров нет.")
register("web.supervise.pick", "Choose a conversation to read it.", "Выберите разговор, чтобы его прочитать.")
register("web.supervise.read_only", "The operator answers the customer; your notes only colleagues see.",
         "Клиенту отвечает оператор; ваши заметки видят только коллеги.")
register("web.supervise.waiting_hint",
         "Nobody has answered yet: move the contact to another queue or to an operator with room.",
         "Пока никто не ответил: переназначьте обращение в другую очередь или оператору со свободным местом.")
register("web.supervise.move_to", "Move it to", "Куда переназначить")
register("web.supervise.move", "Reassign", "Переназначить")
register("web.supervise.queues", "Queues", "Очереди")
register("web.supervise.operators", "Operators", "Операторы")
register("web.supervise.queue_option", "Queue «{name}» · {waiting} waiting", "Очередь «{name}» · ждут: {waiting}")
register("web.supervise.operator_option", "{name} · {state}", "{name} · {state}")
register("web.supervise.moved", "Reassigned: {target}.", "Переназначено: {target}.")
register("web.supervise.note_label", "Note for the operator (the customer does not see it)",
         "Заметка оператору (клиент её не видит)")
register("web.supervise.add_note", "Add note", "Добавить заметку")
register("web.supervise.note_added", "Note added: the operator sees it in the conversation.",
         "Заметка добавлена: оператор видит её в разговоре.")
register("web.supervise.operator", "Operator", "Оператор")
register("web.supervise.nobody", "nobody yet", "пока никто")
register("web.supervise.no_messages", "No messages yet.", "Сообщений пока нет.")
register("web.conv.waiting", "Waiting", "Ждёт")
register("web.conv.offered", "Offered", "Предложен")
register("web.conv.connected", "In progress", "Идёт")
register("web.conv.wrap_up", "Wrap-up", "Обработка")
register("web.conv.closed", "Closed", "Закрыт")

# --- tasks on the wallboard
register("web.board.tasks_overdue", "Tasks overdue", "Просрочено задач")
register("web.board.tasks_open", "{n} open", "открыто: {n}")
register("web.board.late_tasks", "Overdue tasks", "Просроченные задачи")
register("web.reports.tasks", "Tasks with deadlines", "Задачи со сроком")
register("web.reports.tasks.created", "Given", "Поставлено")
register("web.reports.tasks.done", "Done", "Выполнено")
register("web.reports.tasks.done_late", "Done late", "С опозданием")
register("web.reports.tasks.done_on_time", "On time", "В срок")
register("web.reports.tasks.cancelled", "Dropped", "Отменено")
register("web.reports.tasks.overdue", "Overdue", "Просрочено")
register("web.reports.tasks.time_to_done_s", "Time to done", "Время до выполнения")
register("web.reports.tasks_glossary",
         "Overdue — tasks whose due time passed while open (each once per period); on time — done by the due "
         "time ÷ done; time to done — mean from given to done.",
         "Просрочено — задачи, чей срок прошёл, пока они были открыты (каждая один раз за период); в срок — "
         "выполнено до срока ÷ выполнено; время до выполнения — в среднем от постановки до выполнения.")
register("web.board.hand_over", "Give to…", "Передать…")
register("web.board.hand_over_label", "Give the task «{title}» to another operator",
         "Передать задачу «{title}» другому оператору")

# --- channels' health on the wallboard
register("web.board.channels", "Channels", "Каналы")
register("web.board.channel_ok", "working", "работает")
register("web.board.channel_failing", "failing", "ошибка")
register("web.board.channel_off", "switched off", "выключен")
register("web.board.channel_last_in", "last message in {when}", "последнее входящее {when}")
register("web.board.channel_nothing_yet", "nothing came in yet", "входящих ещё не было")
register("web.board.channel_error", "{when}: {error}", "{when}: {error}")
for _kind, _en, _ru in (("email", "Mailbox", "Почтовый ящик"), ("telegram", "Telegram bot", "Бот Telegram"),
                        ("form", "Web form", "Веб-форма")):
    register(f"web.channel.kind.{_kind}", _en, _ru)
