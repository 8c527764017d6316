"""Every message a person reads, in English and Russian: one catalogue, loaded with i18n.

Kept in one place (like a gettext catalogue) so that a message is available wherever it is
raised, whichever modules happen to be imported. Grouped by the module that uses them.
"""

from __future__ import annotations

from dozvon.core.i18n import register

# --- dozvon/analytics/cli.py
register("report.unreadable", "Cannot read {path}: {reason}", "Не удаётся прочитать {path}: {reason}")
register("report.malformed", "{count} malformed line(s) skipped:", "Пропущено некорректных строк: {count}:")
register("report.imported", "Imported {contacts} calls ({events} events) into project {project!r}",
         "Импортировано звонков: {contacts} (событий: {events}) в проект {project!r}")
register("report.bad_zone", "Unknown time zone {value!r} (use a name like Europe/Moscow)",
         "Неизвестный часовой пояс {value!r} (укажите имя вида Europe/Moscow)")
register("report.bad_time", "{value!r} is not a date/time like 2026-01-05 or 2026-01-05T09:00",
         "{value!r} — не дата/время вида 2026-01-05 или 2026-01-05T09:00")
register("report.no_events", "Project {project!r} has no events in this period",
         "В проекте {project!r} нет событий за этот период")

# --- dozvon/analytics/queue_log_import.py
register("import.already",
         "Project {project!r} already holds calls from this log (e.g. {contact!r}); nothing was imported",
         "В проекте {project!r} уже есть звонки из этого журнала (например, {contact!r}); ничего не импортировано")

# --- dozvon/analytics/sql_kpi.py
register("kpi.bad_period", "Unknown period {value!r}; expected one of {allowed}",
         "Неизвестный период {value!r}; допустимы: {allowed}")
register("kpi.bad_cut", "Unknown cut {value!r}; expected any of {allowed}",
         "Неизвестный разрез {value!r}; допустимы: {allowed}")
register("kpi.too_many_periods", "{count} periods requested; at most {limit} — choose a longer period",
         "Запрошено периодов: {count}; не больше {limit} — выберите период длиннее")

# --- dozvon/cli.py
register("cli.db_error", "Database error: {reason}", "Ошибка базы данных: {reason}")
register("cli.bad_settings", "A setting is not valid — {details}", "Настройка задана неверно — {details}")
register("cli.migrated", "Database is up to date: {url}", "База данных обновлена: {url}")
register("cli.no_schema", "The database {url} has no Dozvon tables yet: run `dozvon db upgrade` first",
         "В базе данных {url} ещё нет таблиц Дозвона: сначала выполните `dozvon db upgrade`")

# --- dozvon/core/db.py
register("db.bad_url",
         "DATABASE_URL {url!r} is not understood: use sqlite:///PATH or postgresql://user@host/db",
         "DATABASE_URL {url!r} не распознан: используйте sqlite:///ПУТЬ или postgresql://user@host/db")

# --- dozvon/routing/calendar.py
register("hours.bad_zone", "Business hours: unknown time zone {value!r}",
         "Часы работы: неизвестный часовой пояс {value!r}")
register("hours.bad_interval",
         "Business hours {where}: {value!r} is not an interval like '09:00-18:00'",
         "Часы работы {where}: {value!r} — не интервал вида '09:00-18:00'")
register("hours.bad_day", "Business hours: unknown day {value!r}; expected one of {allowed}",
         "Часы работы: неизвестный день {value!r}; допустимы: {allowed}")
register("hours.bad_date", "Business hours: holiday {value!r} is not a date like 2026-01-01",
         "Часы работы: праздник {value!r} — не дата вида 2026-01-01")

# --- dozvon/routing/engine.py and its parts
register("routing.unknown_queue", "Unknown queue {queue!r}", "Неизвестная очередь {queue!r}")
register("routing.unknown_operator", "Unknown operator {operator!r}",
         "Неизвестный оператор {operator!r}")
register("routing.unknown_contact", "Unknown or finished contact {contact!r}",
         "Неизвестное или завершённое обращение {contact!r}")
register("routing.duplicate_contact", "Contact {contact!r} is already in the system",
         "Обращение {contact!r} уже есть в системе")
register("routing.unknown_offer", "Offer {offer!r} is no longer open (answered, withdrawn or expired)",
         "Предложение {offer!r} уже неактуально (принято, отозвано или истекло)")
register("routing.wrong_operator", "Offer {offer!r} was made to another operator",
         "Предложение {offer!r} адресовано другому оператору")
register("routing.bad_state", "Contact {contact!r} is {state}; this needs it to be {needed}",
         "Обращение {contact!r} в состоянии {state}; для этого нужно состояние {needed}")
register("routing.bad_operator_state", "Unknown operator state {value!r}; expected one of {allowed}",
         "Неизвестное состояние оператора {value!r}; допустимы: {allowed}")
register("routing.operator_busy", "Operator {operator!r} cannot take this contact now",
         "Оператор {operator!r} сейчас не может принять это обращение")
register("routing.no_escalation", "Queue {queue!r} has no escalation queue configured",
         "Для очереди {queue!r} не задана очередь эскалации")
register("routing.transfer_target", "A transfer needs exactly one target: operator, queue or external number",
         "Для перевода нужна ровно одна цель: оператор, очередь или внешний номер")
register("routing.reassign_target", "Moving a waiting contact needs exactly one target: a queue or an operator",
         "Для переназначения нужна ровно одна цель: очередь или оператор")
register("routing.already_there", "Contact {contact!r} is already in queue {queue!r}",
         "Обращение {contact!r} уже в очереди {queue!r}")
register("routing.queue_closed", "Queue {queue!r} is closed now (out of its hours)",
         "Очередь {queue!r} сейчас закрыта (нерабочее время)")
register("routing.conversation_ended", "Conversation {contact!r} has ended: the message was not sent",
         "Обращение {contact!r} завершено: сообщение не отправлено")
register("routing.not_your_contact", "Contact {contact!r} is handled by another operator",
         "Обращение {contact!r} обслуживает другой оператор")

# --- dozvon/routing/model.py
register("routing.bad_channel", "Unknown channel {value!r}; expected one of {allowed}",
         "Неизвестный канал {value!r}; допустимы: {allowed}")
register("routing.bad_strategy", "Queue {queue!r}: unknown strategy {value!r}; expected one of {allowed}",
         "Очередь {queue!r}: неизвестная стратегия {value!r}; допустимы: {allowed}")
register("routing.bad_service_level_goal",
         "Queue {queue!r}: the service-level goal {value!r} is a share between 0 and 1 (0.8 = 80%)",
         "Очередь {queue!r}: цель уровня обслуживания {value!r} — доля от 0 до 1 (0.8 = 80%)")
register("routing.bad_action",
         "Queue {queue!r}: {field} has unknown action {value!r}; expected one of {allowed}",
         "Очередь {queue!r}: в поле {field} неизвестное действие {value!r}; допустимы: {allowed}")
register("routing.action_needs_queue", "Queue {queue!r}: {field} is 'overflow' but names no target queue",
         "Очередь {queue!r}: {field} = 'overflow', но целевая очередь не указана")
register("routing.bad_number", "{where}: {field} must be {rule}, got {value!r}",
         "{where}: поле {field} должно быть {rule}, получено {value!r}")
register("routing.bad_contact_type", "Disposition: unknown contact type {value!r}; expected one of {allowed}",
         "Итог обращения: неизвестный тип {value!r}; допустимы: {allowed}")

# --- dozvon/sim/scenario.py
register("scenario.unreadable", "Scenario {path}: cannot read the file ({reason})",
         "Сценарий {path}: не удаётся прочитать файл ({reason})")
register("scenario.syntax", "Scenario {path}: not valid YAML/JSON: {reason}",
         "Сценарий {path}: некорректный YAML/JSON: {reason}")
register("scenario.invalid", "Scenario {path} is invalid:\n{problems}",
         "Сценарий {path} содержит ошибки:\n{problems}")

# --- dozvon/staffing/cli.py
register(
    "staffing.needs_target",
    "Give either --agents N (figures for that staff) or --target-sl (the staff for a target)",
    "Укажите либо --agents N (показатели для этого штата), либо --target-sl (штат под цель)",
)
register(
    "staffing.bad_value",
    "{option} must be {rule}, got {value}",
    "{option} должно быть {rule}, получено {value}",
)
register(
    "staffing.unstable",
    "Unstable queue: {agents} agents cannot carry {traffic:.2f} Erlangs; the queue grows without bound",
    "Очередь неустойчива: {agents} операторов не справятся с нагрузкой {traffic:.2f} Эрл; "
    "очередь растёт без предела",
)
# --- dozvon/staffing/cli.py (week plan)
register("week.no_source", "Give the history: --history FILE.csv or --project NAME (the event log)",
         "Укажите историю: --history ФАЙЛ.csv или --project ИМЯ (журнал событий)")
register("week.csv_header", "{path}: the header must name the columns 'start' and 'contacts' (found: {found})",
         "{path}: в заголовке должны быть столбцы 'start' и 'contacts' (найдено: {found})")
register("week.csv_value", "{path}, line {line}: {column} {value!r} is not {rule}",
         "{path}, строка {line}: {column} {value!r} — не {rule}")
register("week.empty", "No history to forecast from", "Нет истории для прогноза")

# --- dozvon/accounts/actions.py
register("accounts.bad_slug", "Project id {value!r} must be 1–63 lowercase letters, digits, '-' or '_'",
         "Идентификатор проекта {value!r}: 1–63 строчных латинских букв, цифр, '-' или '_'")
register("accounts.project_exists", "Project {project!r} already exists", "Проект {project!r} уже существует")
register("accounts.no_project", "No project {project!r}", "Нет проекта {project!r}")
register("accounts.bad_username", "User name {value!r} must be 1–64 letters, digits, '.', '_', '@' or '-'",
         "Имя пользователя {value!r}: 1–64 латинских букв, цифр, '.', '_', '@' или '-'")
register("accounts.short_password", "The password must be at least 4 characters long",
         "Пароль должен быть не короче 4 символов")
register("accounts.user_exists", "User {username!r} already exists", "Пользователь {username!r} уже существует")
register("accounts.no_user", "No user {username!r}", "Нет пользователя {username!r}")
register("accounts.bad_role", "Unknown role {value!r}; expected one of {allowed}",
         "Неизвестная роль {value!r}; допустимы: {allowed}")
register("accounts.operator_taken", "Operator id {operator!r} already belongs to another user in {project!r}",
         "Оператор {operator!r} в проекте {project!r} уже закреплён за другим пользователем")
register("accounts.no_member", "{username!r} has no role in project {project!r}",
         "У {username!r} нет роли в проекте {project!r}")
register("accounts.bad_permissions", "Unknown or no permissions: {value}; choose from {allowed}",
         "Неизвестные или пустые права: {value}; выберите из: {allowed}")
register("accounts.no_token", "No API token {token} in this project", "В проекте нет API-токена {token}")

# --- dozvon/server/gate.py and handlers
register("auth.bad_credentials", "Wrong user name or password", "Неверное имя пользователя или пароль")
register("auth.required", "Log in (POST /auth/login) or send an API token (Authorization: Bearer …)",
         "Войдите (POST /auth/login) или передайте API-токен (Authorization: Bearer …)")
register("auth.forbidden", "You are not allowed to do this here", "У вас нет прав на это действие здесь")
register("auth.csrf", "Missing or wrong X-CSRF-Token header (it is returned at login and in the dozvon_csrf cookie)",
         "Нет или неверен заголовок X-CSRF-Token (он выдаётся при входе и в cookie dozvon_csrf)")
register("auth.origin", "This connection comes from another site", "Подключение пришло с другого сайта")
register("auth.not_an_operator", "You are not an operator in project {project!r}",
         "Вы не оператор в проекте {project!r}")
register("auth.not_yours", "You may change only your own state in project {project!r}",
         "В проекте {project!r} вы можете менять только свой статус")
register("api.invalid_input", "Invalid input: {details}", "Некорректные данные: {details}")
register("api.bad_command", "Not a valid command: {reason}", "Некорректная команда: {reason}")
register("api.missing_field", "Field {field!r} is required", "Поле {field!r} обязательно")
register("api.unknown_action", "Unknown action {value!r}; expected one of {allowed}",
         "Неизвестное действие {value!r}; допустимы: {allowed}")
register("report.bad_range", "The period {since} … {until} is empty or longer than ten years",
         "Период {since} … {until} пуст или длиннее десяти лет")

# --- dozvon/conversations/service.py
register("conversations.unknown_external", "No {channel} contact with id {external_id!r}",
         "Нет обращения канала {channel} с идентификатором {external_id!r}")
register("conversations.voice_has_no_messages", "{contact!r} is a call: it has no text messages",
         "{contact!r} — звонок, в нём нет текстовых сообщений")
register("conversations.no_callback", "No callback task {task}", "Нет задачи на перезвон {task}")
register("conversations.callback_done", "Callback task {task} is already done",
         "Задача на перезвон {task} уже выполнена")

# --- dozvon/server/cli.py
register("server.initialised", "Database {url} is ready; administrator {admin!r} created",
         "База данных {url} готова; администратор {admin!r} создан")
register("server.no_start", "The server could not start on {host}:{port} (is the port taken?)",
         "Сервер не запустился на {host}:{port} (порт занят?)")
register("server.demo_urls",
         "API and docs: {api}\nWallboard (log in as supervisor / demo): {wallboard}\nMetrics: {metrics}",
         "API и документация: {api}\nТабло (вход: supervisor / demo): {wallboard}\nМетрики: {metrics}")
register("server.demo_users",
         "Users: admin, supervisor, operator1 … operator10 — password: demo (operator1 and operator2 are yours; "
         "the others are bots)",
         "Пользователи: admin, supervisor, operator1 … operator10 — пароль: demo (operator1 и operator2 — ваши, "
         "остальные — боты)")
register("server.demo_db", "Database: {url}", "База данных: {url}")
register("server.demo_shop", "Demo shop with the chat widget (play the customer): {url}",
         "Демо-магазин с виджетом чата (сыграйте клиента): {url}")
register("server.demo_desktop", "Operator desktop (log in as operator1 / demo): {url}",
         "Рабочий стол оператора (вход: operator1 / demo): {url}")
register("server.demo_users_no_bots",
         "Users: admin, supervisor, operator1 … operator10 — password: demo. No bots and no generated customers: "
         "operator1 serves every queue; send contacts through the API",
         "Пользователи: admin, supervisor, operator1 … operator10 — пароль: demo. Без ботов и сгенерированных "
         "клиентов: operator1 обслуживает все очереди; обращения отправляйте через API")
register("server.demo_created", "The demo project was created.", "Демо-проект создан.")
register("api.unstorable", "A value cannot be stored ({reason}); nothing was changed",
         "Значение нельзя сохранить ({reason}); ничего не изменено")
register("api.nul_character", "NUL characters are not allowed in the address or its parameters",
         "Символ NUL недопустим в адресе и его параметрах")
register("api.database_unavailable", "The database is unavailable ({reason}); nothing was stored — retry later",
         "База данных недоступна ({reason}); ничего не сохранено — повторите позже")

# --- dozvon/channels/registry.py
register("channels.bad_bucket", "Channel {channel!r}: unknown capacity bucket {value!r}; expected one of {allowed}",
         "Канал {channel!r}: неизвестная группа нагрузки {value!r}; допустимы: {allowed}")

# --- dozvon/eventlog/catalogue.py
register("events.unknown_type", "Unknown event type {type!r} (not in the catalogue, docs/events.md)",
         "Неизвестный тип события {type!r} (его нет в каталоге, docs/events.md)")
register("events.bad_version", "Event {type!r}: version {version} is not the current one ({current})",
         "Событие {type!r}: версия {version} не совпадает с текущей ({current})")
register("events.unknown_field", "Event {type!r}: unknown field {field!r}; expected any of {allowed}",
         "Событие {type!r}: неизвестное поле {field!r}; допустимы: {allowed}")
register("events.missing_field", "Event {type!r}: field {field!r} is required",
         "Событие {type!r}: поле {field!r} обязательно")
register("events.wrong_type", "Event {type!r}: field {field!r} must be {expected}, not {value!r}",
         "Событие {type!r}: поле {field!r} должно быть: {expected}, а не {value!r}")

# --- dozvon/conversations/ingest.py, actions.py, outbox
register("ingest.nul_character", "{field}: contains a NUL character (\\u0000), which cannot be stored",
         "{field}: содержит символ NUL (\\u0000), который нельзя сохранить")
register("ingest.too_long", "{field}: {length} characters; at most {limit}",
         "{field}: символов {length}; допустимо не больше {limit}")
register("ingest.out_of_range", "{field}: {value} is out of range {low}…{high}",
         "{field}: значение {value} вне диапазона {low}…{high}")
register("conversations.no_outbox_item", "No outgoing message {item} in this project",
         "В этом проекте нет исходящего сообщения {item}")
register("routing.unknown_target_queue",
         "Queue {queue!r}, {field}: there is no queue {target!r} (queues: {allowed})",
         "Очередь {queue!r}, {field}: нет очереди {target!r} (есть: {allowed})")
register("routing.target_is_itself", "Queue {queue!r}, {field}: a queue cannot send contacts to itself",
         "Очередь {queue!r}, {field}: очередь не может направлять обращения сама в себя")

# --- dozvon/server/api/auth.py, dozvon/accounts/actions.py (login throttling)
register("auth.too_many_logins", "Too many failed logins; try again in {seconds} s",
         "Слишком много неудачных попыток входа; повторите через {seconds} с")

# --- dozvon/server/app.py (errors of the web framework itself)
register("api.not_found", "Nothing at {method} {path}; the API's operations are listed at /docs",
         "По адресу {method} {path} ничего нет; операции API перечислены на /docs")
register("api.method_not_allowed", "{method} is not allowed at {path}; allowed: {allowed}",
         "Метод {method} недопустим для {path}; допустимы: {allowed}")
register("api.body_not_utf8", "The request body is not UTF-8 text: byte 0x{byte} at position {position}",
         "Тело запроса — не текст в UTF-8: байт 0x{byte} в позиции {position}")
register("api.bad_body", "The request body cannot be read: {reason}", "Не удаётся прочитать тело запроса: {reason}")
register("api.http_error", "{status} {phrase}{detail}", "Ошибка {status} ({phrase}){detail}")
register("api.malformed_json", "malformed JSON at line {line}, column {column}: {reason}",
         "некорректный JSON в строке {line}, столбце {column}: {reason}")
register("json.expecting_value", "Expecting value", "ожидалось значение")
register("json.expecting_comma", "Expecting ','", "ожидалась запятая ','")
register("json.expecting_colon", "Expecting ':'", "ожидалось двоеточие ':'")
register("json.expecting_name", "Expecting a property name in double quotes",
         "ожидалось имя поля в двойных кавычках")
register("json.extra_data", "Extra data after the JSON value", "лишние данные после значения JSON")
register("json.unterminated_string", "Unterminated string", "незакрытая строка")
register("json.control_character", "Invalid control character in a string",
         "недопустимый управляющий символ в строке")
register("json.bad_escape", "Invalid \\escape in a string", "недопустимая escape-последовательность в строке")

# --- dozvon/server/api/stream.py
register("stream.bad_after", "after={value!r}: expected the seq of an event (a whole number >= 0)",
         "after={value!r}: ожидается номер события seq (целое число >= 0)")
register("stream.frame_too_large", "The command is {size} characters long; at most {limit}",
         "Команда длиной {size} символов; допустимо не больше {limit}")
register("stream.too_deep", "The command nests more than {limit} levels deep",
         "Команда вложена глубже {limit} уровней")
register("stream.bad_json", "Malformed JSON at line {line}, column {column}: {reason}",
         "Некорректный JSON в строке {line}, столбце {column}: {reason}")
register("stream.not_an_object", "A command is a JSON object such as {{\"action\": \"accept\", \"offer_id\": \"of1\"}}",
         "Команда — это JSON-объект, например {{\"action\": \"accept\", \"offer_id\": \"of1\"}}")
register("outbox.delivered_by_server", "Channel {channel!r} is delivered by the server itself; nothing to take",
         "Канал {channel!r} доставляет сам сервер; забирать нечего")
register("routing.queue_in_use", "Queue {queue!r} still holds {count} contact(s); it can be deleted once they are done",
         "В очереди {queue!r} ещё обращений: {count}; удалить её можно, когда они завершатся")
register("routing.queue_referenced",
         "Queue {queue!r} receives contacts from {by} (overflow or escalation); change those first",
         "В очередь {queue!r} направляют обращения очереди {by} (переполнение или эскалация); сначала измените их")

# --- dozvon/crm
register("accounts.bad_region",
         "Unknown region {value!r}: use a two-letter ISO 3166 country code like BY or RU",
         "Неизвестный регион {value!r}: укажите двухбуквенный код страны ISO 3166, например BY или RU")
register("crm.bad_phone",
         "{value!r} is not a phone number (default region: {region}; write it with a country code, +375…)",
         "{value!r} — не номер телефона (регион по умолчанию: {region}; укажите код страны, +375…)")
register("crm.bad_email", "{value!r} is not an e-mail address", "{value!r} — не адрес электронной почты")
register("crm.bad_identity", "{value!r} is not a valid {kind} identity",
         "{value!r} — недопустимый идентификатор вида {kind}")
register("crm.bad_kind", "Unknown identity kind {value!r}; expected one of {allowed}",
         "Неизвестный вид идентификатора {value!r}; допустимы: {allowed}")
register("crm.no_customer", "No customer {customer!r} in this project", "В проекте нет клиента {customer!r}")
register("crm.identity_taken", "{kind} {value!r} already belongs to another customer ({customer})",
         "{kind} {value!r} уже принадлежит другому клиенту ({customer})")
register("crm.row_matches_several", "the row's phones and e-mails belong to different customers ({customers})",
         "телефоны и адреса строки принадлежат разным клиентам ({customers})")
register("crm.empty_row", "no name, phone, e-mail or telegram", "нет ни имени, ни телефона, ни e-mail, ни telegram")
register("crm.row_not_object", "not an object with name, phone, email … keys",
         "не объект с ключами name, phone, email …")
register("crm.unreadable", "Cannot read {path}: {reason}", "Не удаётся прочитать {path}: {reason}")
register("crm.imported", "Project {project!r}: created {created}, updated {updated}, refused {refused}",
         "Проект {project!r}: создано {created}, обновлено {updated}, отклонено {refused}")
register("crm.bad_rule_number", "{field}: {value!r} is out of range ({low} to {limit})",
         "{field}: {value!r} вне допустимого (от {low} до {limit})")
register("crm.too_many_rules", "At most {limit} custom segment rules", "Не больше {limit} своих правил сегментов")
register("crm.bad_rule_text", "{field}: give a value of at most 200 characters (a segment: 32)",
         "{field}: укажите значение не длиннее 200 символов (сегмент — 32)")
register("crm.bad_flag", "Unknown flag {value!r}; expected one of {allowed}",
         "Неизвестная пометка {value!r}; допустимы: {allowed}")
register("crm.merge_itself", "A customer cannot be merged into themselves ({customer!r})",
         "Клиента нельзя объединить с самим собой ({customer!r})")
register("crm.discount_twice", "The segment {segment!r} has two lines in the discount policy",
         "У сегмента {segment!r} две строки в политике скидок")
register("crm.no_flag", "Customer {customer!r} has no flag {kind!r} in force",
         "У клиента {customer!r} нет действующей пометки {kind!r}")
register("crm.unknown_queue", "No queue {value!r} in this project", "В проекте нет очереди {value!r}")
register("crm.refused_row", "row {row}: {reason}", "строка {row}: {reason}")
register("crm.project_created", "Project {project!r} created (region {region}, time zone {tz})",
         "Проект {project!r} создан (регион {region}, часовой пояс {tz})")

# --- dozvon/replies
register("replies.empty_text", "{field}: the text is empty", "{field}: пустой текст")
register("replies.text_too_long", "{field}: {length} characters, at most {limit}",
         "{field}: {length} символов, допустимо не больше {limit}")
register("replies.unknown_variable", "{field}: unknown variable {value}; known: {allowed}",
         "{field}: неизвестная переменная {value}; доступны: {allowed}")
register("replies.bad_shortcut", "{field}: {value!r} is not a keyword (letters, digits, - and _, up to 64)",
         "{field}: {value!r} — не ключевое слово (буквы, цифры, - и _, до 64 символов)")
register("replies.shortcut_taken", "{field}: the keyword {value!r} is already used by another quick reply",
         "{field}: ключевое слово {value!r} уже занято другим быстрым ответом")
register("replies.no_reply", "No quick reply {reply} in this project", "В проекте нет быстрого ответа {reply}")
register("replies.bad_kind", "{field}: unknown automatic message {value!r}; expected one of {allowed}",
         "{field}: неизвестное автосообщение {value!r}; допустимы: {allowed}")

# --- dozvon/widget
register("widget.too_many", "Too many requests; try again in {seconds} s",
         "Слишком много запросов; повторите через {seconds} с")
register("widget.no_visitor", "The chat's session is unknown or has expired; the chat starts anew",
         "Сеанс чата не найден или устарел; чат начнётся заново")
register("widget.not_enabled", "The chat is not available on this site", "Чат на этом сайте недоступен")
register("widget.origin_refused", "The chat of {project!r} is not allowed on {origin}",
         "Чат проекта {project!r} не разрешён на {origin}")
register("widget.field_required", "{field}: please fill this in", "{field}: заполните это поле")
register("widget.name_too_long", "{field}: at most {limit} characters", "{field}: не больше {limit} символов")
register("widget.bad_phone", "{field}: {value!r} is not a phone number", "{field}: {value!r} — не номер телефона")
register("widget.bad_email", "{field}: {value!r} is not an e-mail address",
         "{field}: {value!r} — не адрес электронной почты")
register("widget.bad_color", "{field}: {value!r} is not a colour like #2563eb",
         "{field}: {value!r} — не цвет вида #2563eb")
register("widget.bad_prechat_field", "{field}: unknown field {value!r}; expected one of {allowed}",
         "{field}: неизвестное поле {value!r}; допустимы: {allowed}")
register("widget.bad_prechat_mode", "{field}: {value!r} — expected one of {allowed}",
         "{field}: {value!r} — допустимы: {allowed}")
register("widget.bad_origin", "{field}: {value!r} is not a site address like https://shop.example",
         "{field}: {value!r} — не адрес сайта вида https://shop.example")
register("widget.too_many_origins", "{field}: at most {limit} sites", "{field}: не больше {limit} сайтов")
register("widget.title_too_long", "{field}: at most {limit} characters", "{field}: не больше {limit} символов")
register("widget.not_yours", "This conversation is not yours", "Это не ваш разговор")
register("widget.nothing_to_rate", "There is no finished conversation to rate",
         "Нет завершённого разговора для оценки")
register("widget.already_rated", "This conversation has already been rated", "Этот разговор уже оценён")
register("conversations.bad_score", "{field}: {value!r} — a rating is 1 to 5", "{field}: {value!r} — оценка от 1 до 5")
register("conversations.not_rateable",
         "Conversation {contact!r} cannot be rated: no operator has answered and ended it",
         "Разговор {contact!r} нельзя оценить: оператор его не принял и не завершил")
register("conversations.already_rated", "Conversation {contact!r} has already been rated",
         "Разговор {contact!r} уже оценён")
register("widget.unknown_queue", "{field}: there is no queue {value!r} in this project",
         "{field}: в проекте нет очереди {value!r}")

# --- named people (whom partner and complaint contacts go to)
register("directory.too_many", "At most {limit} named people per project",
         "Не больше {limit} ответственных лиц в проекте")
register("directory.no_name", "A named person needs a name", "Укажите имя ответственного лица")
register("directory.bad_topic", "Unknown contact type {value!r}; expected one of {allowed}",
         "Неизвестный тип обращения {value!r}; допустимы: {allowed}")
register("directory.unknown_operator", "No operator {value!r} in this project", "В проекте нет оператора {value!r}")
register("directory.bad_phone", "{value!r} is not a phone number", "{value!r} — не номер телефона")
register("directory.unreachable", "{name}: give a phone or an operator to reach them by",
         "{name}: укажите телефон или оператора, через которого с ним связаться")
