"""The voice channel's messages in both languages, registered when the package is imported:
errors, the phone line's settings on the channels page, and what the caller hears."""

from __future__ import annotations

from dozvon.core.i18n import register

register("voice.bad_menu_line", "menu line {n} ({line!r}) is not 'DIGIT QUEUE words' (1 sales Sales department)",
         "строка меню {n} ({line!r}) не в виде «ЦИФРА ОЧЕРЕДЬ слова» (1 sales Отдел продаж)")
register("voice.menu_digit_twice", "the digit {digit} is in the menu twice", "цифра {digit} в меню дважды")
register("voice.bad_address", "{name}: {value!r} is not HOST:PORT", "{name}: {value!r} — не в виде АДРЕС:ПОРТ")
register("voice.bad_ports", "{name}: {value!r} is not FIRST-LAST (two port numbers)",
         "{name}: {value!r} — не в виде ПЕРВЫЙ-ПОСЛЕДНИЙ (два номера порта)")
register("voice.bad_ice", "DOZVON_ICE_SERVERS is not a JSON list of {{\"urls\": …}}: {reason}",
         "DOZVON_ICE_SERVERS — не список JSON из {{\"urls\": …}}: {reason}")
register("voice.bad_peer", "{value!r} in the allowed SIP peers is not an address or a network",
         "{value!r} среди разрешённых SIP-узлов — не адрес и не сеть")
register("voice.no_call", "conversation {conversation} has no call on this server",
         "у обращения {conversation} нет звонка на этом сервере")
register("voice.not_yours", "the call of conversation {conversation} is connected to another operator",
         "звонок обращения {conversation} соединён с другим оператором")
register("voice.bad_sdp", "the softphone's offer was refused: {reason}", "предложение софтфона отклонено: {reason}")
register("voice.off", "voice is off on this server (start it with --sip-listen)",
         "голос на этом сервере выключен (запустите с --sip-listen)")
register("voice.no_consult", "conversation {conversation} is not a call talking to an operator without a "
         "consultation already under way", "обращение {conversation} — не звонок с оператором без начатой консультации")
register("voice.consult_failed", "the call to {number} did not go through: {reason}",
         "звонок на {number} не удался: {reason}")
register("voice.bad_prompt_kind", "{value!r} is not a prompt a line records ({allowed})",
         "{value!r} — не подсказка, которую записывают для линии ({allowed})")
register("voice.prompt_too_big", "the recording is {size} bytes; at most {limit}",
         "запись — {size} байт; не больше {limit}")
register("voice.bad_wav", "not a 16-bit WAV file: {reason}", "не 16-битный файл WAV: {reason}")
register("voice.prompt_length", "the recording lasts {seconds} s; from 0.2 to {limit} s",
         "запись длится {seconds} с; нужно от 0,2 до {limit} с")
register("voice.no_prompt", "the line has no recorded {kind}", "у линии нет записи «{kind}»")
register("voice.not_a_line", "{name!r} is not a phone line", "{name!r} — не телефонная линия")
register("voice.no_recording", "conversation {conversation} has no recording", "у обращения {conversation} нет записи")
register("voice.sip_started", "SIP: listening on {address} (udp); allowed peers: {peers}",
         "SIP: слушаю {address} (udp); разрешённые узлы: {peers}")

# What callers hear (the bundled prompts say the same; a line's own texts replace them).
register("voice.say.greeting", "Hello! You have reached the contact center. Please stay on the line.",
         "Здравствуйте! Вы позвонили в контакт-центр. Пожалуйста, оставайтесь на линии.")
register("voice.say.consent", "This call may be recorded to improve our service.",
         "Разговор может быть записан для улучшения качества обслуживания.")
register("voice.say.position", "You are number {n} in the queue.", "Вы {n}-й в очереди.")
register("voice.say.next", "You are next in the queue.", "Вы следующий в очереди.")
register("voice.say.wait", "The wait is about {n} {minutes}.", "Ожидание займёт около {n} {minutes}.")
register("voice.say.voicemail", "Please leave a message after the tone. We will call you back.",
         "Оставьте, пожалуйста, сообщение после сигнала. Мы вам перезвоним.")
register("voice.say.callback", "Hello! You called us a little earlier. Connecting you to an operator.",
         "Здравствуйте! Вы звонили нам недавно. Соединяем вас с оператором.")
register("voice.say.goodbye", "Thank you for calling. Goodbye!", "Спасибо за звонок. До свидания!")

# The phone line on the channels page.
register("web.channel.kind_help.phone",
         "Calls from your SIP trunk or PBX (started with --sip-listen). A line answers one dialled number "
         "(* any), greets the caller, offers an optional menu of digits and queues the call.",
         "Звонки с вашего SIP-транка или АТС (сервер запущен с --sip-listen). Линия отвечает на один набранный "
         "номер (* — на любой), приветствует звонящего, предлагает меню цифр и ставит звонок в очередь.")
_FIELDS = {
    "number": ("Dialled number", "Набранный номер", "* answers any number no other line takes.",
               "* — любой номер, который не взяла другая линия."),
    "language": ("Prompts' language", "Язык подсказок", "", ""),
    "greeting": ("Greeting", "Приветствие", "Empty: the standard greeting.", "Пусто — стандартное приветствие."),
    "menu_prompt": ("Menu prompt", "Подсказка меню", "Said before a digit is awaited; empty: no menu.",
                    "Звучит перед ожиданием цифры; пусто — без меню."),
    "menu": ("Menu choices", "Пункты меню", "One per line: DIGIT QUEUE words (1 sales Sales department).",
             "По одному в строке: ЦИФРА ОЧЕРЕДЬ слова (1 sales Отдел продаж)."),
    "menu_timeout_s": ("Wait for a digit", "Ждать цифру", "", ""),
    "announce_position": ("Tell callers their place in the queue", "Сообщать место в очереди", "", ""),
    "announce_every_s": ("Repeat every", "Повторять каждые", "", ""),
    "announce_wait": ("Tell callers the expected wait", "Сообщать ожидаемое время",
                      "The queue's average wait today, when it is a minute or more.",
                      "Среднее ожидание в очереди за сегодня, если оно от минуты."),
    "record": ("Record calls", "Записывать разговоры", "Both sides, kept with the conversation.",
               "Обе стороны, хранятся с обращением."),
    "consent_prompt": ("Recording notice", "Предупреждение о записи", "Empty: the standard notice.",
                       "Пусто — стандартное предупреждение."),
    "retention_days": ("Keep recordings for (days)", "Хранить записи (дней)", "", ""),
    "voicemail": ("Voicemail when closed", "Голосовая почта в нерабочее время", "", ""),
    "voicemail_max_s": ("Longest voice message", "Самое длинное сообщение", "", ""),
    "auto_callback": ("Call back callers who hung up", "Перезванивать не дождавшимся",
                      "When the queue makes callback tasks: through the trunk, as soon as an operator is free.",
                      "Если очередь создаёт задачи на перезвон: через транк, как только освободится оператор."),
}
for _name, (_en, _ru, _help_en, _help_ru) in _FIELDS.items():
    register(f"web.channel.field.{_name}", _en, _ru)
    if _help_en:
        register(f"web.channel.help.{_name}", _help_en, _help_ru)
register("server.demo_sip", "Calls: SIP on {address} (udp) — any number dialled there is answered, greeted and queued",
         "Звонки: SIP на {address} (udp) — любой набранный там номер отвечает, приветствует и ставит в очередь")

# The softphone in the operator's desktop.
register("web.desktop.on_call", "on a call", "на звонке")
register("web.transfer.consult", "Talk to them first (the caller waits on hold)",
         "Сначала поговорить самому (клиент ждёт на удержании)")
register("web.offer.introduced", "Introduced by {name}", "Передаёт {name}")
for _key, _en, _ru in (
        ("title", "Call", "Звонок"),
        ("connecting", "Connecting the call…", "Соединяем звонок…"),
        ("talking", "On the call", "Разговор"),
        ("talking_muted", "On the call — your microphone is off", "Разговор — ваш микрофон выключен"),
        ("held", "On hold — the caller hears music", "На удержании — клиент слышит музыку"),
        ("over", "The call is over", "Звонок завершён"),
        ("failed", "No audio: {reason}", "Нет звука: {reason}"),
        ("no_microphone", "No access to the microphone: {reason}", "Нет доступа к микрофону: {reason}"),
        ("hold", "Hold", "Удержание"),
        ("mute", "Mute", "Выключить микрофон"),
        ("recordings", "Recordings", "Записи"),
        ("consulting", "Talking to {number} — the caller is on hold", "Разговор с {number} — клиент на удержании"),
        ("consulting_queue", "Looking for a colleague in {queue} — the caller is on hold",
         "Ищем коллегу в очереди {queue} — клиент на удержании"),
        ("consulting_answered", "Talking to {name} ({queue}) — the caller is on hold",
         "Разговор с {name} ({queue}) — клиент на удержании"),
        ("introduced", "{name} introduces a call from {caller} ({queue}); the caller waits on hold. Talk first, "
         "then {name} hands the caller over.", "{name} передаёт вам звонок {caller} ({queue}); клиент ждёт на "
         "удержании. Сначала поговорите, затем {name} соединит вас с клиентом."),
        ("consult_complete", "Hand the caller over", "Соединить с клиентом"),
        ("consult_cancel", "Back to the caller", "Вернуться к клиенту"),
        ("asked_title", "A colleague asks about a call", "Коллега просит помочь со звонком"),
        ("asked", "{name} asks about a call from {caller} ({queue}); the caller waits on hold.",
         "{name} просит помочь со звонком {caller} ({queue}); клиент ждёт на удержании."),
        ("asked_answer", "Answer", "Ответить"),
        ("asked_decline", "Decline", "Отклонить"),
        ("asked_end", "End the consultation", "Завершить консультацию"),
        ("asked_talking", "Talking to your colleague", "Разговор с коллегой"),
        ("recording.call", "Recording of the call, {duration}", "Запись разговора, {duration}"),
        ("recording.voicemail", "Voice message, {duration}", "Голосовое сообщение, {duration}")):
    register(f"web.call.{_key}", _en, _ru)

# The widget's "call us" button on the widget's settings page.
register("web.admin.w.calls", "A “Call” button", "Кнопка «Позвонить»")
register("web.admin.w.calls.help",
         "Visitors call an operator from the browser (microphone). Needs voice on the server; the call goes to the "
         "widget's queue like a phone call.",
         "Посетитель звонит оператору из браузера (микрофон). Нужен голос на сервере; звонок идёт в очередь виджета, "
         "как телефонный.")
register("voice.no_web_call", "this visitor has no call in progress", "у этого посетителя нет идущего звонка")
register("widget.calls_off", "calls are not enabled on this site's widget", "звонки в виджете этого сайта не включены")

# A phone line's recorded prompts on the channels page.
for _key, _en, _ru in (
        ("prompts", "Recorded prompts", "Записанные подсказки"),
        ("prompts_help", "A person's recording (WAV, 16-bit, up to 2 minutes) plays instead of the spoken text.",
         "Запись человеческим голосом (WAV, 16 бит, до 2 минут) звучит вместо синтезированного текста."),
        ("prompt.greeting", "Greeting", "Приветствие"),
        ("prompt.menu", "Menu", "Меню"),
        ("prompt.consent", "Recording notice", "Предупреждение о записи"),
        ("prompt_spoken", "spoken from the text", "звучит текст"),
        ("prompt_recorded", "recording, {seconds} s", "запись, {seconds} с"),
        ("prompt_upload", "Upload WAV…", "Загрузить WAV…"),
        ("prompt_upload_named", "Upload a recording: {name}", "Загрузить запись: {name}"),
        ("prompt_delete", "Use the text", "Вернуть текст"),
        ("prompt_delete_named", "Use the text instead of the recording: {name}",
         "Вернуть текст вместо записи: {name}")):
    register(f"web.channel.{_key}", _en, _ru)
