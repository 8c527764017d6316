"""Outbound webhooks' messages in both languages."""

from __future__ import annotations

from dozvon.core.i18n import register

register("webhooks.no_webhook", "No webhook {id} in this project", "В проекте нет вебхука {id}")
register("webhooks.no_delivery", "No delivery {id} of this webhook", "У этого вебхука нет доставки {id}")
register("webhooks.bad_url", "{field}: {value!r} is not an http:// or https:// address",
         "{field}: {value!r} — не адрес http:// или https://")
register("webhooks.no_events", "{field}: name at least one event type, or \"*\" for all",
         "{field}: укажите хотя бы один тип событий или \"*\" — все")
register("webhooks.too_many_events", "{field}: at most {limit} event types", "{field}: не больше {limit} типов событий")
register("webhooks.bad_event",
         "{field}: no event type {value!r}; name a type from docs/events.md, a family ({families}) or \"*\"",
         "{field}: нет типа событий {value!r}; укажите тип из docs/events.md, семейство ({families}) или \"*\"")
register("webhooks.too_long", "{field}: at most {limit} characters", "{field}: не больше {limit} символов")
register("webhooks.bad_status", "{field}: {value!r} is not a delivery status ({allowed})",
         "{field}: {value!r} — не состояние доставки ({allowed})")
register("webhooks.already_pending", "Delivery {id} is still being delivered; a replay is for a finished one",
         "Доставка {id} ещё выполняется; повторить можно завершённую")
