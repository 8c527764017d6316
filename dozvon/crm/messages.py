"""The CRM's messages about orders, in both languages, registered when :mod:`dozvon.crm`
is imported. (The customers' older messages are in :mod:`dozvon.core.messages`.)"""

from __future__ import annotations

from dozvon.core.i18n import register

register("orders.no_number", "{field}: an order needs its number", "{field}: у заказа должен быть номер")
register("orders.bad_kind", "{field}: {value!r} is neither of {allowed}", "{field}: {value!r} — не одно из: {allowed}")
register("orders.bad_number", "{field}: {value!r} is not an amount (a number, not negative)",
         "{field}: {value!r} — не сумма (нужно неотрицательное число)")
register("orders.too_precise", "{field}: {value!r} has more than {digits} decimal places, as {currency} allows",
         "{field}: {value!r} — больше {digits} знаков после запятой, чем допускает {currency}")
register("orders.bad_currency", "{field}: {value!r} is not an ISO 4217 currency code (RUB, BYN, USD …)",
         "{field}: {value!r} — не код валюты ISO 4217 (RUB, BYN, USD …)")
register("orders.no_currency", "{field}: say the currency (the project has no region to take it from)",
         "{field}: укажите валюту (у проекта нет региона, из которого её взять)")
register("orders.bad_time", "{field}: {value!r} is not a date and time (ISO 8601: 2026-12-01T14:30)",
         "{field}: {value!r} — не дата и время (ISO 8601: 2026-12-01T14:30)")
register("orders.closed_before_placed", "{field}: the order is closed before it was placed",
         "{field}: заказ закрыт раньше, чем оформлен")
register("orders.bad_items", "{field}: a list of items ({{name, quantity, price}}) or names separated by ';'",
         "{field}: список позиций ({{name, quantity, price}}) или названия через «;»")
register("orders.bad_item", "{field}: an item needs its name", "{field}: у позиции должно быть название")
register("orders.bad_customer", "{field}: an object with name, phone, email, telegram or id",
         "{field}: объект с name, phone, email, telegram или id")
register("orders.no_customer", "{field}: whose order? Give customer_id, a phone, an e-mail or a telegram id",
         "{field}: чей заказ? Укажите customer_id, телефон, e-mail или telegram")
register("orders.row_not_object", "not an object with number, phone, amount … keys",
         "не объект с ключами number, phone, amount …")
register("orders.imported", "Project {project!r}: orders created {created}, updated {updated}, refused {refused}",
         "Проект {project!r}: заказов создано {created}, обновлено {updated}, отклонено {refused}")
register("orders.too_many", "{field}: {count} orders in one request, at most {limit}",
         "{field}: {count} заказов в одном запросе, допустимо не больше {limit}")
register("orders.no_order", "No order {number!r} in this project", "В проекте нет заказа {number!r}")

# --- the card: creating and editing a customer
register("crm.empty_customer", "Give a name, a phone or an e-mail", "Укажите имя, телефон или e-mail")
register("crm.too_many_identities", "At most {limit}", "Не больше {limit}")
register("crm.phone_taken",
         "{value} already belongs to another customer, {owner}. If they are one person, merge the two",
         "{value} уже у другого клиента — {owner}. Если это один человек, объедините карточки")
register("crm.email_taken",
         "{value} already belongs to another customer, {owner}. If they are one person, merge the two",
         "{value} уже у другого клиента — {owner}. Если это один человек, объедините карточки")
register("crm.segment_not_allowed",
         "Only a supervisor sets a customer's segment (it gives priority and discounts): customers:manage",
         "Сегмент клиента задаёт супервизор (от него зависят приоритет и скидки): нужно право customers:manage")
