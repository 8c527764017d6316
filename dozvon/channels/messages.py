"""The channels' messages in both languages, registered when :mod:`dozvon.channels` is imported."""

from __future__ import annotations

from dozvon.core.i18n import register

register("channels.bad_kind", "{field}: no kind of channel {value!r}; known: {allowed}",
         "{field}: нет такого вида канала {value!r}; доступны: {allowed}")
register("channels.bad_name", "{field}: {value!r} is not a name (lower-case letters, digits, - and _, up to 64)",
         "{field}: {value!r} — не имя (строчные латинские буквы, цифры, - и _, до 64 символов)")
register("channels.name_taken", "{field}: the project already has a channel {value!r}",
         "{field}: в проекте уже есть канал {value!r}")
register("channels.no_channel", "No channel {name!r} in this project", "В проекте нет канала {name!r}")
register("channels.unknown_queue", "{field}: no queue {value!r} in this project",
         "{field}: в проекте нет очереди {value!r}")
register("channels.bad_setting", "{field}: {reason}", "{field}: {reason}")
register("channels.secret_needed", "{field}: this channel needs its {what}", "{field}: каналу нужен {what}")
register("channels.secret_not_taken", "{field}: Dozvon makes this channel's secret itself; ask for a new one instead",
         "{field}: секрет этого канала создаёт сам Дозвон; вместо этого запросите новый")
register("channels.bad_key", "DOZVON_SECRET_KEY is not a valid key; 'dozvon channel new-key' prints one",
         "DOZVON_SECRET_KEY — недопустимый ключ; «dozvon channel new-key» выдаст подходящий")
register("channels.secret_unreadable",
         "A stored channel secret cannot be read with this installation's key (was DOZVON_SECRET_KEY changed?); "
         "enter the secret again",
         "Сохранённый секрет канала не читается ключом этой установки (не менялся ли DOZVON_SECRET_KEY?); "
         "введите секрет заново")
register("channels.no_test", "Channel {name!r} has no test", "У канала {name!r} нет проверки")
