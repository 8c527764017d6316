"""Messages of quick replies that are not in the core catalogue: an operator's own replies."""

from __future__ import annotations

from dozvon.core.i18n import register

register("replies.own_shortcut_taken", "{field}: you already have a quick reply /{value}",
         "{field}: у вас уже есть быстрый ответ /{value}")
register("replies.personal_needs_person",
         "Only a person has quick replies of their own; an API token may change the project's replies only",
         "Личные быстрые ответы бывают только у человека; токен API может менять лишь ответы проекта")
register("replies.survey.standard",
         "Please rate how we helped you: reply with one digit from 1 (bad) to 5 (excellent).",
         "Пожалуйста, оцените, как мы вам помогли: ответьте одной цифрой от 1 (плохо) до 5 (отлично).")
