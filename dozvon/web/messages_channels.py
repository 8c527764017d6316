"""The channels and webhooks settings pages' texts (``web.channel.*``, ``web.hook.*``) in
both languages: the labels and help of every kind's settings, by field name."""

from __future__ import annotations

from dozvon.core.i18n import register

register("web.admin.section.channels", "Channels", "Каналы")
register("web.admin.section.webhooks", "Webhooks", "Вебхуки")
register("web.channel.lead",
         "Mailboxes, Telegram bots and web forms that bring customers' messages into the project's queues. "
         "Each one's health — the last message in and out, the last error — shows here and on the wallboard.",
         "Почтовые ящики, боты Telegram и веб-формы, через которые обращения клиентов приходят в очереди проекта. "
         "Их состояние — последнее входящее и исходящее, последняя ошибка — видно здесь и на табло.")
register("web.channel.none", "No channel is connected yet: connect one below.",
         "Каналы ещё не подключены: подключите первый ниже.")
register("web.channel.connect", "Connect a channel", "Подключить канал")
register("web.channel.connect_kind", "Connect: {kind}", "Подключить: {kind}")
register("web.channel.connect_button", "Connect", "Подключить")
register("web.channel.connected", "Connected", "Подключено")
register("web.channel.name", "Name", "Имя")
register("web.channel.name.help", "Latin lower-case letters, digits, - and _: it is in a form's address.",
         "Строчные латинские буквы, цифры, - и _: оно входит в адрес формы.")
register("web.channel.name.pattern", "Use lower-case Latin letters, digits, - and _",
         "Используйте строчные латинские буквы, цифры, - и _")
register("web.channel.queue", "Queue", "Очередь")
register("web.channel.queue.help", "Where what comes in waits for an operator.", "Куда попадают входящие обращения.")
register("web.channel.enabled", "Switched on", "Включён")
register("web.channel.secret_keep", "Leave empty to keep the current one.", "Оставьте пустым, чтобы не менять.")
register("web.channel.generated_help",
         "Dozvon makes this channel's signing secret and shows it once, right after connecting.",
         "Секрет подписи Дозвон создаст сам и покажет один раз — сразу после подключения.")
register("web.channel.secret_title", "The secret — shown this once", "Секрет — показан один раз")
register("web.channel.secret_once",
         "Copy it to the site or marketplace that sends requests now: Dozvon keeps it encrypted and will not show "
         "it again (a new one can be made at any time).",
         "Скопируйте его на сайт или в маркетплейс, который отправляет заявки: Дозвон хранит его в зашифрованном "
         "виде и больше не покажет (новый можно сделать в любой момент).")
register("web.channel.copy", "Copy", "Копировать")
register("web.channel.secret_saved", "I have kept it", "Я сохранил секрет")
register("web.channel.last_in", "Last message in", "Последнее входящее")
register("web.channel.last_out", "Last message out", "Последнее исходящее")
register("web.channel.last_error", "Last error", "Последняя ошибка")
register("web.channel.never", "never", "не было")
register("web.channel.test", "Test", "Проверить")
register("web.channel.testing", "Testing…", "Проверяем…")
register("web.channel.renew", "New secret", "Новый секрет")
register("web.channel.renew_confirm", "The old one stops working — click again",
         "Старый перестанет работать — нажмите ещё раз")
register("web.channel.disconnect", "Disconnect", "Отключить")
register("web.channel.disconnect_confirm", "Disconnect {name}? Click again", "Отключить {name}? Нажмите ещё раз")
register("web.channel.change", "Settings", "Настройки")
register("web.channel.form_url", "Where the site or marketplace sends requests",
         "Куда сайт или маркетплейс отправляет заявки")
register("web.channel.form_example", "A signed example request", "Пример подписанного запроса")
register("web.channel.unit.mb", "MB", "МБ")
register("web.channel.unit.s", "s", "с")
register("web.channel.unit.kb", "KB", "КБ")
register("web.channel.kind_help.email",
         "Dozvon reads new mail over IMAP (marking it read only after it is stored) and sends operators' replies "
         "over SMTP, threaded into the customer's mail.",
         "Дозвон читает новые письма по IMAP (помечая прочитанными только после сохранения) и отправляет ответы "
         "операторов по SMTP в ту же переписку.")
register("web.channel.kind_help.telegram",
         "Create a bot with @BotFather and paste its token. Polling needs nothing else; a webhook needs this "
         "server's public https address.",
         "Создайте бота у @BotFather и вставьте его токен. Для опроса больше ничего не нужно; для вебхука нужен "
         "публичный https-адрес этого сервера.")
register("web.channel.kind_help.form",
         "A site's form or a marketplace posts requests to the form's address, signed with its secret.",
         "Форма сайта или маркетплейс отправляет заявки на адрес формы, подписывая их секретом.")

_FIELDS = {
    "address": ("Mailbox address", "Адрес ящика", "Customers write here; replies come from it.",
                "Сюда пишут клиенты; с него уходят ответы."),
    "from_name": ("Sender's name", "Имя отправителя", "Shown to customers beside the address.",
                  "Клиенты видят его рядом с адресом."),
    "imap_host": ("IMAP server", "Сервер IMAP", "", ""),
    "imap_port": ("IMAP port", "Порт IMAP", "", ""),
    "imap_security": ("IMAP encryption", "Шифрование IMAP", "", ""),
    "imap_username": ("IMAP login", "Логин IMAP", "Empty: the mailbox address.", "Пусто — адрес ящика."),
    "folder": ("Folder", "Папка", "Where new mail is read from.", "Откуда читать новые письма."),
    "after_stored": ("After a mail is stored", "После сохранения письма", "", ""),
    "handled_folder": ("Folder for handled mail", "Папка для обработанных", "When mail is moved.",
                       "Если письма перемещаются."),
    "idle": ("Wait for new mail (IDLE)", "Ждать новые письма (IDLE)", "Else the mailbox is polled.",
             "Иначе ящик опрашивается по расписанию."),
    "poll_s": ("Poll every", "Опрашивать каждые", "", ""),
    "smtp_host": ("SMTP server", "Сервер SMTP", "", ""),
    "smtp_port": ("SMTP port", "Порт SMTP", "", ""),
    "smtp_security": ("SMTP encryption", "Шифрование SMTP", "", ""),
    "smtp_username": ("SMTP login", "Логин SMTP", "Empty: the IMAP login.", "Пусто — логин IMAP."),
    "smtp_login": ("Log in to SMTP", "Входить на SMTP", "", ""),
    "signature": ("Signature", "Подпись", "Added under every reply.", "Добавляется под каждым ответом."),
    "max_attachment_bytes": ("Largest attachment kept", "Наибольшее сохраняемое вложение", "", ""),
    "max_mail_bytes": ("Largest mail taken", "Наибольшее принимаемое письмо", "", ""),
    "verify_tls": ("Check the servers' certificates", "Проверять сертификаты серверов", "", ""),
    "mode": ("How updates come", "Как приходят сообщения", "", ""),
    "public_url": ("This server's public address", "Публичный адрес этого сервера", "For a webhook: https://…",
                   "Для вебхука: https://…"),
    "api_url": ("Bot API address", "Адрес Bot API", "Telegram's, or a self-hosted Bot API server.",
                "Telegram или собственный сервер Bot API."),
    "max_file_mb": ("Largest file kept", "Наибольший сохраняемый файл", "", ""),
    "poll_timeout_s": ("One poll waits up to", "Один опрос ждёт до", "", ""),
    "fields": ("Which request field is which", "Какое поле заявки чем является",
               "A dotted path (contact.phone) reaches into a marketplace's nested JSON; empty: the form has none.",
               "Путь через точку (contact.phone) достаёт поле из вложенного JSON маркетплейса; "
               "пусто — такого поля нет."),
    "required": ("Required fields", "Обязательные поля", "A request without them is refused, saying which.",
                 "Заявка без них отклоняется с указанием поля."),
    "require_contact": ("A phone or an e-mail is required", "Нужен телефон или e-mail", "", ""),
    "title": ("Conversation title", "Тема обращения", "Empty: the form's name.", "Пусто — имя формы."),
    "show_other_fields": ("Show the other fields to the operator", "Показывать оператору остальные поля", "", ""),
    "max_body_bytes": ("Largest request", "Наибольшая заявка", "", ""),
}
for _name, (_en, _ru, _help_en, _help_ru) in _FIELDS.items():
    register(f"web.channel.field.{_name}", _en, _ru)
    if _help_en:
        register(f"web.channel.help.{_name}", _help_en, _help_ru)
for _name, _en, _ru in (("name", "name", "имя"), ("phone", "phone", "телефон"), ("email", "e-mail", "e-mail"),
                        ("text", "text", "текст"), ("source", "source", "источник"), ("id", "request id", "id заявки")):
    register(f"web.channel.map.{_name}", _en, _ru)
for _choice, _en, _ru in (("ssl", "SSL/TLS", "SSL/TLS"), ("starttls", "STARTTLS", "STARTTLS"), ("none", "none", "нет"),
                          ("seen", "mark it read", "пометить прочитанным"), ("move", "move it", "переместить"),
                          ("polling", "polling (getUpdates)", "опрос (getUpdates)"),
                          ("webhook", "webhook (Telegram posts them)", "вебхук (Telegram присылает сам)")):
    register(f"web.channel.choice.{_choice}", _en, _ru)

# --- outbound webhooks
register("web.hook.lead",
         "Dozvon sends the project's events to your systems (a CRM, a data warehouse) as signed JSON, at least "
         "once, retrying with growing pauses; every attempt is in the log.",
         "Дозвон отправляет события проекта в ваши системы (CRM, хранилище данных) подписанным JSON, как минимум "
         "один раз, повторяя с растущими паузами; каждая попытка — в журнале.")
register("web.hook.none", "No webhook yet.", "Вебхуков пока нет.")
register("web.hook.new", "Add a webhook", "Добавить вебхук")
register("web.hook.create", "Add", "Добавить")
register("web.hook.created", "Added", "Добавлено")
register("web.hook.url", "Address (URL)", "Адрес (URL)")
register("web.hook.url.help", "Where Dozvon POSTs each event.", "Куда Дозвон отправляет каждое событие (POST).")
register("web.hook.description", "What it is for", "Назначение")
register("web.hook.events", "Events", "События")
register("web.hook.events.help", "All of them, or whole families; only events from now on are sent.",
         "Все или целые группы; отправляются только события с этого момента.")
register("web.hook.all_events", "all events", "все события")
register("web.hook.enabled.help", "Switched back on, it starts from the present.",
         "Если включить снова, отправка начнётся с текущего момента.")
register("web.hook.on", "sending", "отправляет")
register("web.hook.counts", "waiting {pending} · delivered {delivered} · failed {failed}",
         "в очереди {pending} · доставлено {delivered} · не доставлено {failed}")
register("web.hook.ping", "Send a test", "Отправить тест")
register("web.hook.pinged", "Answered {status} in {ms} ms", "Ответ {status} за {ms} мс")
register("web.hook.ping_failed", "Not delivered: {error}", "Не доставлено: {error}")
register("web.hook.log", "Delivery log", "Журнал доставки")
register("web.hook.log_empty", "Nothing was sent yet.", "Ещё ничего не отправлялось.")
register("web.hook.replay", "Send again", "Отправить снова")
register("web.hook.replayed", "Sent again", "Отправлено снова")
register("web.hook.delete_confirm", "Delete it with its log? Click again", "Удалить вместе с журналом? Нажмите ещё раз")
register("web.hook.secret_once",
         "Your system checks each request's X-Dozvon-Signature with it. Dozvon keeps it encrypted and will not show "
         "it again (a new one can be made at any time).",
         "Ваша система проверяет им подпись X-Dozvon-Signature каждого запроса. Дозвон хранит его в зашифрованном "
         "виде и больше не покажет (новый можно сделать в любой момент).")
register("web.hook.verify_note",
         "Each request carries X-Dozvon-Signature: sha256=<HMAC-SHA256 of the body with the secret> and "
         "X-Dozvon-Delivery (the same on a retry: drop repeats by it). See docs/channels.md.",
         "Каждый запрос несёт X-Dozvon-Signature: sha256=<HMAC-SHA256 тела с секретом> и X-Dozvon-Delivery "
         "(тот же при повторе — по нему отбрасывайте дубли). Подробнее — docs/channels.md.")
register("web.hook.col.when", "When", "Когда")
register("web.hook.col.event", "Event", "Событие")
register("web.hook.col.status", "Status", "Статус")
register("web.hook.col.attempts", "Attempts", "Попыток")
register("web.hook.col.answer", "Last answer", "Последний ответ")
for _status, _en, _ru in (("pending", "waiting", "в очереди"), ("delivered", "delivered", "доставлено"),
                          ("failed", "failed", "не доставлено")):
    register(f"web.hook.status.{_status}", _en, _ru)
for _family, _en, _ru in (("contact", "contacts: arrived, answered, ended …",
                           "обращения: поступило, принято, завершено …"),
                          ("message", "messages", "сообщения"),
                          ("offer", "offers to operators", "предложения операторам"),
                          ("operator", "operators' states", "состояния операторов"), ("queue", "queues", "очереди"),
                          ("task", "tasks with deadlines", "задачи со сроком"), ("customer", "customers", "клиенты"),
                          ("csat", "ratings", "оценки"), ("note", "notes", "заметки"),
                          ("callback", "callbacks", "обратные звонки")):
    register(f"web.hook.family.{_family}", _en, _ru)
