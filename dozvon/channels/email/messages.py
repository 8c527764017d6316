"""The e-mail channel's messages in both languages, registered when the package is imported."""

from __future__ import annotations

from dozvon.core.i18n import register

register("email.imap_failed", "IMAP {host}:{port}: {reason}", "IMAP {host}:{port}: {reason}")
register("email.smtp_failed", "SMTP {host}:{port}: {reason}", "SMTP {host}:{port}: {reason}")
register("email.tested", "IMAP: logged in as {imap_user}, folder {folder}: {total} mails, {unseen} unread "
         "(IDLE {idle}). SMTP: {smtp}",
         "IMAP: вход как {imap_user}, папка {folder}: писем {total}, непрочитанных {unseen} "
         "(IDLE {idle}). SMTP: {smtp}")
register("email.smtp_ok", "logged in as {user} at {host}:{port} ({security})",
         "вход как {user} на {host}:{port} ({security})")
register("email.smtp_ok_anonymous", "{host}:{port} answers ({security}, no login)",
         "{host}:{port} отвечает ({security}, без входа)")
register("email.yes", "yes", "есть")
register("email.no", "no", "нет")
register("email.refused", "Mail {mail_id} from {sender} refused: {reason}",
         "Письмо {mail_id} от {sender} не принято: {reason}")
register("email.no_sender", "it has no sender address (From)", "в нём нет адреса отправителя (From)")
register("email.too_big", "it is {size} bytes, over the mailbox's limit of {limit}",
         "его размер {size} байт, больше предела ящика {limit}")
register("email.unreadable", "it cannot be read: {reason}", "его не удалось прочитать: {reason}")
register("email.attachment_too_big", "{filename}: {size} bytes, over the mailbox's limit of {limit} per file",
         "{filename}: {size} байт, больше предела ящика {limit} на файл")
register("email.skipped", "Mail {mail_id} from {sender} not taken as a contact: {reason}",
         "Письмо {mail_id} от {sender} не принято как обращение: {reason}")
register("email.skip_auto", "an automatic reply ({header})", "автоматический ответ ({header})")
register("email.skip_bulk", "bulk or list mail ({header})", "массовая рассылка ({header})")
register("email.skip_loop", "it comes from this mailbox itself ({address})",
         "оно отправлено самим этим ящиком ({address})")
register("email.bounced", "Reply {reply} bounced: {reason}", "Ответ {reply} не доставлен (возврат): {reason}")
register("email.bounce_unmatched", "A bounce for a mail Dozvon did not send ({original})",
         "Возврат письма, которое Дозвон не отправлял ({original})")
register("email.no_mailbox", "conversation {conversation} did not come through a connected mailbox",
         "обращение {conversation} пришло не через подключённый почтовый ящик")
register("email.no_address", "the customer of conversation {conversation} has no e-mail address",
         "у клиента обращения {conversation} нет адреса почты")
register("email.own_address", "the reply would go to the mailbox's own address {address}",
         "ответ ушёл бы на адрес самого ящика {address}")
register("email.mailbox_disabled", "mailbox {name!r} is switched off", "ящик {name!r} выключен")
register("email.no_attachment", "No attachment {attachment} in this project", "В проекте нет вложения {attachment}")
register("email.attachment_not_kept", "Attachment {attachment} was not kept: {reason}",
         "Вложение {attachment} не сохранено: {reason}")
register("email.no_mail_of_conversation", "Conversation {conversation} has no mail",
         "В обращении {conversation} нет писем")
register("email.details_pending", "The mail that opened conversation {conversation} is still being kept; "
         "the reply waits for it", "Письмо, открывшее разговор {conversation}, ещё сохраняется; ответ ждёт его")
