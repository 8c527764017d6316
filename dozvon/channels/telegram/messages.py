"""The Telegram channel's messages in both languages, registered when the package is imported."""

from __future__ import annotations

from dozvon.core.i18n import register

register("telegram.public_url_needed",
         "a webhook needs the address Telegram reaches this server at (public_url, https://…)",
         "для вебхука нужен адрес, по которому Telegram достучится до сервера (public_url, https://…)")
register("telegram.bad_url", "{value!r} is not an http(s) address", "{value!r} — не адрес http(s)")
register("telegram.bot_found", "Bot @{username} ({name}) answers; updates by {mode}",
         "Бот @{username} ({name}) отвечает; обновления: {mode}")
register("telegram.token_refused", "Telegram refused the bot token: {reason}",
         "Telegram не принял токен бота: {reason}")
register("telegram.unreachable", "The Bot API at {url} does not answer: {reason}",
         "Bot API по адресу {url} не отвечает: {reason}")
register("telegram.unknown_update",
         "Update {update_id}: {kind} is not taken in (only new messages are); skipped",
         "Обновление {update_id}: {kind} не принимается (принимаются только новые сообщения); пропущено")
register("telegram.bad_update", "Update {update_id}: {reason}; skipped",
         "Обновление {update_id}: {reason}; пропущено")
register("telegram.file_too_big",
         "Message {message}: the file {name!r} ({size} bytes) is over the limit of {limit} bytes; not kept",
         "Сообщение {message}: файл {name!r} ({size} байт) больше предела в {limit} байт; не сохранён")
register("telegram.file_failed", "Message {message}: the file {name!r} could not be fetched: {reason}",
         "Сообщение {message}: файл {name!r} не удалось получить: {reason}")
register("telegram.poll_failed", "getUpdates failed: {reason}; trying again", "getUpdates не удался: {reason}; повтор")
register("telegram.webhook_failed", "setWebhook failed: {reason}", "setWebhook не удался: {reason}")
register("telegram.send_failed", "Sending to chat {chat} failed: {reason}",
         "Отправка в чат {chat} не удалась: {reason}")
register("telegram.bad_secret_token", "The webhook's secret token is wrong or missing",
         "Секретный токен вебхука неверен или отсутствует")
register("telegram.no_bot", "No Telegram bot {name!r} is connected", "Бот Telegram {name!r} не подключён")
register("telegram.not_json", "The update is not a JSON object: {reason}", "Обновление — не объект JSON: {reason}")
register("telegram.no_file", "No file {file} in this project", "В проекте нет файла {file}")
register("telegram.file_over_limit", "{field}: the file is {size} bytes, over the limit of {limit}",
         "{field}: файл размером {size} байт больше предела в {limit}")
register("telegram.empty_file", "{field}: the file is empty", "{field}: файл пуст")
register("telegram.not_telegram",
         "Conversation {contact} is not a Telegram conversation; files go out on Telegram only",
         "Разговор {contact} — не из Telegram; файлы отправляются только в Telegram")
register("telegram.bad_file_name", "{field}: {value!r} is not a file name (1–200 characters, no / or \\)",
         "{field}: {value!r} — не имя файла (1–200 символов, без / и \\)")
#: How a message the desk cannot show is named in its place (the customer did write).
LABELS = {"sticker": ("sticker", "стикер"), "voice": ("voice message", "голосовое сообщение"),
          "video": ("video", "видео"), "video_note": ("video message", "видеосообщение"),
          "audio": ("audio", "аудио"), "animation": ("animation", "анимация"),
          "location": ("location", "местоположение"), "venue": ("place", "место"),
          "contact": ("contact", "контакт"), "poll": ("poll", "опрос"), "dice": ("dice", "кубик"),
          "photo": ("photo", "фото"), "document": ("file", "файл")}
for _what, (_en, _ru) in LABELS.items():
    register(f"telegram.label.{_what}", _en, _ru)
register("telegram.no_content", "Update {update_id}: a message with nothing a person wrote ({kind}); skipped",
         "Обновление {update_id}: сообщение без текста от человека ({kind}); пропущено")
register("telegram.survey_thanks", "Thank you for your rating!", "Спасибо за оценку!")
register("telegram.survey_already", "This conversation is already rated. Thank you!",
         "Этот разговор уже оценён. Спасибо!")
register("telegram.survey_closed", "This survey is closed.", "Этот опрос уже закрыт.")
register("telegram.survey_not_this_chat",
         "A survey button from chat {chat} names conversation {conversation!r}, which is not this chat's; not counted",
         "Кнопка опроса из чата {chat} указывает на разговор {conversation!r} другого чата; не учтена")
