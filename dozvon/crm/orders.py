"""Orders and deals: reading one from what a shop, a CRM or a file gives, and showing it.

One flat shape serves the webhook, the JSON import and the CSV import: ``number``
(required, the shop's own), ``kind`` (order or deal), ``status``, ``amount`` with
``currency`` (ISO 4217; the project region's currency when left out), ``items`` (a list
of {name, quantity, price}, or in a CSV cell a JSON list or names separated by ``;``),
``placed_at`` and ``closed_at`` (ISO 8601; a time without a zone is the project's), and
whose it is: ``customer_id``, or ``phone`` / ``email`` / ``telegram`` with
``customer_name`` (the webhook may nest these as ``customer``: {name, phone, email,
telegram}). Any other key is kept as an attribute (delivery address, manager …).

Money is exact: an amount is read as a decimal and kept in the currency's minor units
(Babel knows each currency's), so 1234.5 RUB is 123450 kopecks on both databases and an
amount finer than the currency allows is refused rather than rounded.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from babel.numbers import get_currency_precision, get_territory_currencies, is_currency

from dozvon.core.errors import InvalidInput
from dozvon.crm.identity import EMAIL, PHONE, TELEGRAM
from dozvon.crm.models import Order

ORDER, DEAL = "order", "deal"
KINDS = (ORDER, DEAL)
NUMBER_LIMIT, STATUS_LIMIT, ITEMS_LIMIT, ITEM_NAME_LIMIT = 64, 32, 500, 300
#: Keys of the shape that are not attributes.
COLUMNS = ("number", "kind", "status", "amount", "currency", "items", "placed_at", "closed_at", "customer_id",
           "customer_name", "customer", PHONE, EMAIL, TELEGRAM)
#: Larger amounts are refused: more than any order, and within a 64-bit integer of minor units.
AMOUNT_LIMIT = Decimal(10) ** 13


@dataclass
class OrderFields:
    """An order as read, before it is matched to its customer."""

    number: str
    kind: str = ORDER
    status: str = "new"
    amount_minor: int | None = None
    currency: str | None = None
    items: list[dict[str, Any]] = field(default_factory=list)
    placed_at_us: int | None = None
    closed_at_us: int | None = None
    customer_id: str | None = None
    customer_name: str = ""
    #: (kind, value as given) — normalised by the identity step with the project's region.
    identities: list[tuple[str, str]] = field(default_factory=list)
    attributes: dict[str, Any] = field(default_factory=dict)


def region_currency(region: str | None) -> str | None:
    """The currency of the project's region (BY → BYN, RU → RUB), if it has one."""
    if not region:
        return None
    found = get_territory_currencies(region.upper())
    return found[0] if found else None


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _decimal(value: Any, where: str) -> Decimal:
    if isinstance(value, bool):
        raise InvalidInput("orders.bad_number", field=where, value=value)
    try:
        number = Decimal(str(value).strip().replace(" ", "").replace("\u00a0", "").replace(",", "."))
    except InvalidOperation:
        raise InvalidInput("orders.bad_number", field=where, value=value) from None
    if not number.is_finite() or number < 0 or number >= AMOUNT_LIMIT:
        raise InvalidInput("orders.bad_number", field=where, value=value)
    return number


def to_minor(value: Any, currency: str, where: str) -> int:
    """An amount in the currency's minor units; finer than the currency allows is refused."""
    digits = get_currency_precision(currency)
    scaled = _decimal(value, where) * (Decimal(10) ** digits)
    if scaled != scaled.to_integral_value():
        raise InvalidInput("orders.too_precise", field=where, value=value, currency=currency, digits=digits)
    return int(scaled)


def from_minor(amount: int | None, currency: str | None) -> str | None:
    """Minor units back to a decimal string ("1234.50"): exact, for JSON."""
    if amount is None or currency is None:
        return None
    digits = get_currency_precision(currency)
    return str((Decimal(amount) / (Decimal(10) ** digits)).quantize(Decimal(1).scaleb(-digits)))


def _moment(value: Any, tz: str, where: str) -> int | None:
    text = _text(value)
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput("orders.bad_time", field=where, value=text) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz))
    return int(moment.timestamp() * 1_000_000)


def _items(value: Any, currency: str | None) -> list[dict[str, Any]]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError:
                raise InvalidInput("orders.bad_items", field="items") from None
        else:
            value = [{"name": part.strip()} for part in text.split(";") if part.strip()]
    if not isinstance(value, list) or len(value) > ITEMS_LIMIT:
        raise InvalidInput("orders.bad_items", field="items")
    items = []
    for i, item in enumerate(value):
        where = f"items.{i}"
        if isinstance(item, str):
            item = {"name": item}
        if not isinstance(item, Mapping) or not _text(item.get("name")):
            raise InvalidInput("orders.bad_item", field=where)
        name = _text(item["name"])
        if len(name) > ITEM_NAME_LIMIT:
            raise InvalidInput("ingest.too_long", field=f"{where}.name", limit=ITEM_NAME_LIMIT, length=len(name))
        quantity = _decimal(item.get("quantity", 1), f"{where}.quantity")
        price = item.get("price")
        if price not in (None, "") and currency is None:
            raise InvalidInput("orders.no_currency", field=f"{where}.price")
        items.append({"name": name, "quantity": int(quantity) if quantity == quantity.to_integral_value()
                      else float(quantity),
                      "price": to_minor(price, currency, f"{where}.price")
                      if price not in (None, "") and currency is not None else None})
    return items


def read(row: Mapping[str, Any], *, region: str | None, tz: str) -> OrderFields:
    """One order from the flat shape (see the module's docstring); errors name the field."""
    nested = row.get("customer")
    if nested is not None:
        if not isinstance(nested, Mapping):
            raise InvalidInput("orders.bad_customer", field="customer")
        row = {**{k: v for k, v in row.items() if k != "customer"},
               **{("customer_name" if k == "name" else "customer_id" if k == "id" else str(k)): v
                  for k, v in nested.items()}}
    number = _text(row.get("number"))
    if not number:
        raise InvalidInput("orders.no_number", field="number")
    if len(number) > NUMBER_LIMIT:
        raise InvalidInput("ingest.too_long", field="number", limit=NUMBER_LIMIT, length=len(number))
    kind = _text(row.get("kind")).lower() or ORDER
    if kind not in KINDS:
        raise InvalidInput("orders.bad_kind", field="kind", value=kind, allowed=", ".join(KINDS))
    status = _text(row.get("status")).lower() or "new"
    if len(status) > STATUS_LIMIT:
        raise InvalidInput("ingest.too_long", field="status", limit=STATUS_LIMIT, length=len(status))
    currency = _text(row.get("currency")).upper() or None
    if currency is not None and not is_currency(currency):
        raise InvalidInput("orders.bad_currency", field="currency", value=currency)
    has_amount = row.get("amount") not in (None, "")
    prices = isinstance(row.get("items"), (list, str)) and "price" in str(row.get("items"))
    if currency is None and (has_amount or prices):
        currency = region_currency(region)
        if currency is None:
            raise InvalidInput("orders.no_currency", field="currency")
    fields = OrderFields(
        number=number, kind=kind, status=status, currency=currency,
        amount_minor=to_minor(row["amount"], currency, "amount") if has_amount and currency else None,
        items=_items(row.get("items"), currency),
        placed_at_us=_moment(row.get("placed_at"), tz, "placed_at"),
        closed_at_us=_moment(row.get("closed_at"), tz, "closed_at"),
        customer_id=_text(row.get("customer_id")) or None, customer_name=_text(row.get("customer_name")),
        attributes={str(k): v for k, v in row.items() if k not in COLUMNS and k is not None and v not in (None, "")})
    closed, placed = fields.closed_at_us, fields.placed_at_us
    if closed is not None and placed is not None and closed < placed:
        raise InvalidInput("orders.closed_before_placed", field="closed_at")
    for kind_ in (PHONE, EMAIL, TELEGRAM):
        value = row.get(kind_)
        for part in (value if isinstance(value, list) else _text(value).split(";")):
            if _text(part):
                fields.identities.append((kind_, _text(part)))
    if fields.customer_id is None and not fields.identities:
        raise InvalidInput("orders.no_customer", field="customer")
    return fields


def as_dict(order: Order) -> dict[str, Any]:
    """An order as the API and the card show it; money as exact decimal strings."""
    return {"id": order.id, "number": order.number, "kind": order.kind, "status": order.status,
            "amount": from_minor(order.amount_minor, order.currency), "currency": order.currency,
            "items": [{**item, "price": from_minor(item.get("price"), order.currency)} for item in order.items],
            "placed_at": order.placed_at_us / 1e6,
            "closed_at": order.closed_at_us / 1e6 if order.closed_at_us is not None else None,
            "customer_id": order.customer_id, "source": order.source, "attributes": order.attributes,
            "updated_at": order.updated_at_us / 1e6}
