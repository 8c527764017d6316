"""A project's outbound webhooks: subscribe a URL to event types, see every delivery and
its attempts, replay a failed one, send a test ping.

The signing secret is made by Dozvon and answered once (on create and on renewal); it is
stored encrypted. The shapes are the admin page's: a subscription carries its counts by
delivery status, a delivery its next attempt and (one by one) its attempt log.
"""

from __future__ import annotations

from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Query, Request, Response
from pydantic import Field

from dozvon.eventlog.catalogue import REGISTRY
from dozvon.eventlog.repository import to_us
from dozvon.integrations import sender, webhooks
from dozvon.integrations.sender import WebhookSender
from dozvon.server.deps import Body, CallerDep, HubDep, RowId, SessionDep, page
from dozvon.server.gate import needs

router = APIRouter(tags=["webhooks"])
MANAGE = "channels:manage"


class WebhookIn(Body):
    url: str = Field(min_length=1, max_length=webhooks.URL_LIMIT)
    events: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(min_length=1,
                                                                            max_length=webhooks.EVENTS_LIMIT)
    description: str = Field(default="", max_length=webhooks.DESCRIPTION_LIMIT)
    enabled: bool = True


class WebhookChangeIn(Body):
    url: str | None = Field(default=None, min_length=1, max_length=webhooks.URL_LIMIT)
    events: list[Annotated[str, Field(min_length=1, max_length=64)]] | None = Field(
        default=None, min_length=1, max_length=webhooks.EVENTS_LIMIT)
    description: str | None = Field(default=None, max_length=webhooks.DESCRIPTION_LIMIT)
    enabled: bool | None = None


def _one(session: Any, project: str, sub: Any) -> dict[str, Any]:
    return webhooks.as_dict(sub, webhooks.counts(session, project, [sub.id])[sub.id])


@router.get("/projects/{project}/webhook-events", summary="What a webhook can subscribe to: event types and families",
            **needs(MANAGE))
def webhook_events(project: str) -> dict[str, Any]:
    families = sorted({t.split(".")[0] + ".*" for t in REGISTRY})
    return {"types": sorted(REGISTRY), "families": families, "all": "*"}


@router.get("/projects/{project}/webhooks", summary="The project's webhooks with their deliveries by status",
            **needs(MANAGE))
def list_webhooks(project: str, session: SessionDep) -> dict[str, Any]:
    subs = webhooks.subscriptions(session, project)
    by_status = webhooks.counts(session, project, [s.id for s in subs])
    return page([webhooks.as_dict(s, by_status[s.id]) for s in subs])


@router.post("/projects/{project}/webhooks", status_code=201,
             summary="Subscribe a URL to event types; its signing secret is answered this once", **needs(MANAGE))
def create_webhook(project: str, body: WebhookIn, caller: CallerDep, session: SessionDep) -> dict[str, Any]:
    made, secret = webhooks.create(session, caller.name, project, url=body.url, events=body.events,
                                   description=body.description, enabled=body.enabled)
    return {**_one(session, project, made), "secret": secret}


@router.get("/projects/{project}/webhooks/{webhook_id}", summary="One webhook", **needs(MANAGE))
def get_webhook(project: str, webhook_id: RowId, session: SessionDep) -> dict[str, Any]:
    return _one(session, project, webhooks.get_subscription(session, project, webhook_id))


@router.patch("/projects/{project}/webhooks/{webhook_id}",
              summary="Change its URL, event types, description, or switch it off and on", **needs(MANAGE))
def change_webhook(project: str, webhook_id: RowId, body: WebhookChangeIn, caller: CallerDep,
                   session: SessionDep) -> dict[str, Any]:
    changed = webhooks.change(session, caller.name, project, webhook_id, url=body.url, events=body.events,
                              description=body.description, enabled=body.enabled)
    return _one(session, project, changed)


@router.post("/projects/{project}/webhooks/{webhook_id}/secret",
             summary="A new signing secret (the old one stops at once); answered once", **needs(MANAGE))
def renew_webhook_secret(project: str, webhook_id: RowId, caller: CallerDep, session: SessionDep) -> dict[str, Any]:
    return {"secret": webhooks.new_secret(session, caller.name, project, webhook_id)}


@router.delete("/projects/{project}/webhooks/{webhook_id}", status_code=204,
               summary="Remove it with its deliveries", **needs(MANAGE))
def delete_webhook(project: str, webhook_id: RowId, caller: CallerDep, session: SessionDep) -> Response:
    webhooks.delete(session, caller.name, project, webhook_id)
    return Response(status_code=204)


@router.get("/projects/{project}/webhooks/{webhook_id}/deliveries",
            summary="Its delivery log, newest first: status, attempts, last answer, next attempt", **needs(MANAGE))
def list_deliveries(project: str, webhook_id: RowId, session: SessionDep,
                    status: Annotated[str | None, Query(max_length=16)] = None,
                    before: Annotated[int | None, Query(ge=1)] = None,
                    limit: Annotated[int, Query(ge=1, le=200)] = 50) -> dict[str, Any]:
    found = webhooks.deliveries(session, project, webhook_id, status=status, before=before, limit=limit)
    attempts = webhooks.attempts_of(session, [d.id for d in found])
    return page([webhooks.delivery_dict(d, attempts[d.id]) for d in found],
                next_before=found[-1].id if len(found) == limit else None)


@router.get("/projects/{project}/webhooks/{webhook_id}/deliveries/{delivery_id}",
            summary="One delivery with its attempts and the body sent", **needs(MANAGE))
def get_delivery(project: str, webhook_id: RowId, delivery_id: RowId, session: SessionDep) -> dict[str, Any]:
    found = webhooks.get_delivery(session, project, webhook_id, delivery_id)
    return {**webhooks.delivery_dict(found, webhooks.attempts_of(session, [found.id])[found.id]),
            "payload": found.payload}


@router.post("/projects/{project}/webhooks/{webhook_id}/deliveries/{delivery_id}/replay",
             summary="Send a finished delivery again, now (the same X-Dozvon-Delivery)", **needs(MANAGE))
def replay_delivery(project: str, webhook_id: RowId, delivery_id: RowId, caller: CallerDep,
                    hub: HubDep) -> dict[str, Any]:
    with hub.sessions.begin() as session:  # committed before the loop is woken to send it
        found = webhooks.replay(session, caller.name, project, webhook_id, delivery_id, to_us(hub.clock.now()))
        answer = webhooks.delivery_dict(found)
    sender.nudge()
    return answer


@router.post("/projects/{project}/webhooks/{webhook_id}/ping",
             summary="Send a test delivery now and say how the receiver answered", **needs(MANAGE))
async def ping_webhook(project: str, webhook_id: RowId, caller: CallerDep, request: Request) -> dict[str, Any]:
    loop: WebhookSender = request.app.state.webhooks
    result: dict[str, Any] = await anyio.to_thread.run_sync(loop.ping, caller.name, project, webhook_id)
    return result
