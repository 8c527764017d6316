"""The form channel's messages in both languages (what a site's developer and an admin read)."""

from __future__ import annotations

from dozvon.core.i18n import register

register("forms.no_form", "No form {form!r} in project {project!r}", "В проекте {project!r} нет формы {form!r}")
register("forms.switched_off", "Form {form!r} is switched off; it takes no requests",
         "Форма {form!r} выключена и заявок не принимает")
register("forms.bad_signature",
         "The request's X-Dozvon-Signature header is missing or does not match its body (expected "
         "sha256=<hex HMAC-SHA256 of the raw body with the form's secret>)",
         "Заголовок X-Dozvon-Signature отсутствует или не соответствует телу запроса (нужно "
         "sha256=<HMAC-SHA256 сырого тела с секретом формы, в hex>)")
register("forms.too_large", "body: {size} bytes is over this form's limit of {limit} bytes",
         "body: {size} байт — больше предела формы ({limit} байт)")
register("forms.bad_content_type",
         "Content-Type {value!r} is not taken; send application/json or application/x-www-form-urlencoded",
         "Content-Type {value!r} не принимается; отправьте application/json или application/x-www-form-urlencoded")
register("forms.not_utf8", "body: not UTF-8 (byte {position})", "body: не UTF-8 (байт {position})")
register("forms.bad_json", "body: not JSON — line {line}, column {column}: {reason}",
         "body: не JSON — строка {line}, столбец {column}: {reason}")
register("forms.not_object", "body: the JSON must be an object ({{\"field\": value, …}}), not {found}",
         "body: JSON должен быть объектом ({{\"поле\": значение, …}}), а не {found}")
register("forms.missing_field", "{field}: the form's mapping needs this field (the {role}) and the request has none",
         "{field}: это поле нужно по настройке формы ({role}), а в заявке его нет")
register("forms.no_contact", "{field}: the request has neither a phone nor an e-mail (fields {phone!r}, {email!r})",
         "{field}: в заявке нет ни телефона, ни e-mail (поля {phone!r}, {email!r})")
register("forms.bad_phone", "{field}: {value!r} is not a phone number (region {region})",
         "{field}: {value!r} — не номер телефона (регион {region})")
register("forms.bad_email", "{field}: {value!r} is not an e-mail address", "{field}: {value!r} — не адрес e-mail")
register("forms.not_text", "{field}: must be text or a number, not {found}",
         "{field}: должно быть текстом или числом, а не {found}")
register("forms.too_long", "{field}: {length} characters, at most {limit}",
         "{field}: {length} символов, не больше {limit}")
register("forms.nul", "{field}: contains a NUL character (\\u0000)", "{field}: содержит символ NUL (\\u0000)")
register("forms.bad_key", "Idempotency-Key: empty or longer than {limit} characters",
         "Idempotency-Key: пустой или длиннее {limit} символов")
register("forms.ready", "Takes signed requests into queue {queue!r}; last request: {last}",
         "Принимает подписанные заявки в очередь {queue!r}; последняя заявка: {last}")
register("forms.never", "none yet", "ещё не было")
register("forms.role.name", "name", "имя")
register("forms.role.phone", "phone", "телефон")
register("forms.role.email", "e-mail", "e-mail")
register("forms.role.text", "text", "текст")
register("forms.role.source", "source", "источник")
register("forms.role.id", "request id", "номер заявки")
register("forms.created", "Form {name!r} created in project {project!r}.\nURL:    {url}\nSecret: {secret}\n"
         "(the secret is shown this once; sign each request's body with it: X-Dozvon-Signature: sha256=<hex>)",
         "Форма {name!r} создана в проекте {project!r}.\nАдрес:  {url}\nСекрет: {secret}\n"
         "(секрет показан один раз; подписывайте им тело каждой заявки: X-Dozvon-Signature: sha256=<hex>)")
