"""Orders and deals: the webhook a shop or an existing CRM pushes them to, and reads.

``POST /projects/{project}/orders`` takes one order (the shape of :mod:`dozvon.crm.orders`)
or a list of up to 1,000. The shop's own number is the key: pushing an order again
updates it (a new status, a delivery date), so a shop may retry whenever it is unsure.
In a list each order is stored or refused alone — one bad order never loses the others —
and the answer says which, item by item, in the caller's language.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi import Body as JsonBody
from sqlalchemy import select

from dozvon.accounts.permissions import Principal
from dozvon.accounts.queries import get_project
from dozvon.core.errors import DozvonError, InvalidInput, NotFound
from dozvon.crm import actions as crm_actions
from dozvon.crm import orders
from dozvon.crm.identity import project_region
from dozvon.crm.models import Order
from dozvon.crm.queries import get_customer
from dozvon.server.deps import CallerDep, SessionDep, page
from dozvon.server.gate import needs
from dozvon.server.i18n import language_of

router = APIRouter(tags=["orders"])
BATCH_LIMIT = 1000
Payload = Annotated[dict[str, Any] | list[Any], JsonBody(
    description="One order {number, status, amount, currency, items, placed_at, customer: {name, phone, email}, …} "
                "or a list of them")]


def readable_orders(project: str) -> Any:
    return select(Order).where(Order.project == project)


def _source(caller: Principal) -> str:
    return caller.name


@router.post("/projects/{project}/orders", summary="Push orders or deals (a shop's or a CRM's webhook)",
             **needs("orders:write"))
def push_orders(project: str, body: Payload, caller: CallerDep, session: SessionDep, request: Request,
                response: Response) -> dict[str, Any]:
    project_row = get_project(session, project)
    region = project_region(session, project)
    if isinstance(body, dict):
        outcome = crm_actions.record_order(session, _source(caller), project, body, region=region,
                                           tz=project_row.timezone)
        response.status_code = 201 if outcome.result == "created" else 200
        return {"result": outcome.result, "order": orders.as_dict(outcome.order)}
    if len(body) > BATCH_LIMIT:
        raise InvalidInput("orders.too_many", field="body", count=len(body), limit=BATCH_LIMIT)
    lang = language_of(request.headers.get("accept-language"))
    items: list[dict[str, Any]] = []
    for position, row in enumerate(body):
        try:
            with session.begin_nested():
                if not isinstance(row, dict):
                    raise InvalidInput("orders.row_not_object")
                outcome = crm_actions.record_order(session, _source(caller), project, row, region=region,
                                                   tz=project_row.timezone)
            items.append({"result": outcome.result, "order": orders.as_dict(outcome.order)})
        except DozvonError as error:
            items.append({"result": "refused", "error": {"code": error.code, "message": error.message(lang),
                                                         "index": position,
                                                         "field": error.params.get("field")}})
    return page(items)


@router.get("/projects/{project}/orders", summary="Orders and deals, newest first; of one customer with customer=",
            **needs("customers:read"))
def list_orders(project: str, session: SessionDep,
                customer: Annotated[str | None, Query(max_length=32)] = None,
                limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict[str, Any]:
    stmt = readable_orders(project)
    if customer is not None:
        stmt = stmt.where(Order.customer_id == get_customer(session, project, customer).id)
    found = session.scalars(stmt.order_by(Order.placed_at_us.desc(), Order.id.desc()).limit(limit))
    return page([orders.as_dict(o) for o in found])


@router.get("/projects/{project}/orders/{number}", summary="One order or deal by the shop's number",
            **needs("customers:read"))
def get_order(project: str, number: str, session: SessionDep) -> dict[str, Any]:
    found = session.scalar(readable_orders(project).where(Order.number == number))
    if found is None:
        raise NotFound("orders.no_order", number=number)
    return orders.as_dict(found)
