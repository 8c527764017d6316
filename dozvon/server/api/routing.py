"""Queues (every routing setting, business hours) and operators (profile and state).
Handlers parse, authorise, call the action in :mod:`dozvon.acd.actions` and answer with
the live view from :mod:`dozvon.acd.queries`."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Response
from pydantic import Field

from dozvon.acd import actions
from dozvon.acd import queries as live
from dozvon.core.errors import Forbidden, NotFound
from dozvon.routing.model import OperatorConfig, QueueConfig
from dozvon.server.deps import Body, CallerDep, HubDep, page
from dozvon.server.gate import needs

router = APIRouter(tags=["routing"])

Seconds = Annotated[float, Field(ge=0, le=10 * 365 * 86400)]
Interval = Annotated[str, Field(pattern=r"^([01]?\d|2[0-4]):[0-5]\d-([01]?\d|2[0-4]):[0-5]\d$")]
Name = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[^/\s][^/]*$")]


class ActionIn(Body):
    kind: Literal["overflow", "callback", "message", "wait", "reject"] = "reject"
    target_queue: str | None = Field(default=None, max_length=128)
    text: str | None = Field(default=None, max_length=2000)


class HoursIn(Body):
    """Weekly opening hours in the queue's time zone; holidays by date (closed, or shorter)."""

    timezone: str = Field(default="Europe/Moscow", max_length=64)
    #: {"mon": ["09:00-13:00", "14:00-18:00"], …}; "22:00-06:00" runs past midnight.
    weekly: dict[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], list[Interval]] = Field(default_factory=dict)
    #: {"2026-01-01": []} closed that day; or that day's own intervals.
    holidays: dict[date, list[Interval]] = Field(default_factory=dict)


class QueueIn(Body):
    """Every routing setting of a queue (see docs/events.md and the routing engine)."""

    strategy: Literal["round_robin", "ring_all", "longest_idle", "least_busy", "skills"] = "longest_idle"
    offer_timeout_s: Seconds | None = None
    target_answer_s: Seconds = 20.0
    #: The share answered within ``target_answer_s`` the queue aims for (0.8 = 80 %).
    service_level_goal: float = Field(default=0.8, ge=0, le=1)
    wrap_up_s: Seconds = 0.0
    #: Extra wrap-up after a conversation classified as a complaint (the operator's recovery).
    recovery_after_complaint_s: Seconds = 0.0
    priority: int = Field(default=0, ge=-10**6, le=10**6)
    weight: int = Field(default=0, ge=-10**6, le=10**6)
    aging_per_min: float = Field(default=1.0, ge=0, le=10**6)
    required_skills: dict[str, Annotated[int, Field(ge=0, le=100)]] = Field(default_factory=dict)
    skills_first: bool = False
    max_wait_s: Seconds | None = None
    on_max_wait: ActionIn | None = None
    max_length: int | None = Field(default=None, ge=0, le=10**7)
    on_full: ActionIn | None = None
    hours: HoursIn | None = None
    on_closed: ActionIn | None = None
    sticky_wait_s: Seconds = 0.0
    sticky_window_s: Seconds = 7 * 24 * 3600.0
    callback_on_abandon: bool = False
    escalation_queue: str | None = Field(default=None, max_length=128)
    language_routing: bool = False


class OperatorIn(Body):
    name: str = Field(default="", max_length=200)
    queues: list[Name] = Field(default_factory=list)
    skills: dict[str, Annotated[int, Field(ge=0, le=100)]] = Field(default_factory=dict)
    #: Per channel bucket: voice, chat (chats and messengers), email (e-mail and forms).
    capacity: dict[Literal["voice", "chat", "email"], Annotated[int, Field(ge=0, le=100)]] | None = None


class StateIn(Body):
    state: Literal["available", "break", "offline"]
    reason: str | None = Field(default=None, max_length=200)


@router.get("/projects/{project}/queues", summary="Queues with their settings", **needs("queues:read"))
def list_queues(project: str, hub: HubDep) -> dict[str, Any]:
    items, seq = live.queues(hub.service(project))
    return page(items, seq=seq)


@router.get("/projects/{project}/queues/{name}", summary="One queue", **needs("queues:read"))
def get_queue(project: str, name: str, hub: HubDep) -> dict[str, Any]:
    items, seq = live.queues(hub.service(project), [name])
    return {**items[0], "seq": seq}


@router.put("/projects/{project}/queues/{name}", summary="Create or change a queue",
            **needs("queues:manage"))
def put_queue(project: str, name: Name, body: QueueIn, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    data = body.model_dump(mode="json")
    svc = hub.service(project)
    actions.do_configure_queue(svc, caller.name, QueueConfig.from_dict({"name": name, **data}), data)
    return get_queue(project, name, hub)


@router.delete("/projects/{project}/queues/{name}", status_code=204,
               summary="Delete a queue (refused while it holds contacts or others send contacts to it)",
               **needs("queues:manage"))
def delete_queue(project: str, name: str, caller: CallerDep, hub: HubDep) -> Response:
    actions.do_remove_queue(hub.service(project), caller.name, name)
    return Response(status_code=204)


@router.get("/projects/{project}/operators", summary="Operators with their profile and state",
            **needs("operators:read"))
def list_operators(project: str, hub: HubDep) -> dict[str, Any]:
    items, seq = live.operators(hub.service(project))
    return page(items, seq=seq)


@router.get("/projects/{project}/operators/{operator_id}", summary="One operator", **needs("operators:read"))
def get_operator(project: str, operator_id: str, hub: HubDep) -> dict[str, Any]:
    return live.operator(hub.service(project), operator_id)


@router.put("/projects/{project}/operators/{operator_id}",
            summary="Add an operator or change their queues, skills and capacity", **needs("operators:manage"))
def put_operator(project: str, operator_id: Name, body: OperatorIn, caller: CallerDep,
                 hub: HubDep) -> dict[str, Any]:
    data = body.model_dump()
    if data["capacity"] is None:
        del data["capacity"]
    svc = hub.service(project)
    actions.do_configure_operator(svc, caller.name, OperatorConfig.from_dict({"id": operator_id, **data}))
    return live.operator(svc, operator_id)


@router.get("/projects/{project}/operators/{operator_id}/today",
            summary="An operator's day so far: answered, handled, average handle time, CSAT, time in state "
                    "(one's own with operators:self, anyone's with reports:read)",
            **needs("operators:self|reports:read"))
def operator_today(project: str, operator_id: str, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    if caller.operator_ids.get(project) != operator_id and not caller.can("reports:read", project):
        raise Forbidden("auth.not_yours", project=project)
    if operator_id not in live.operator_ids(hub.service(project)):
        raise NotFound("routing.unknown_operator", operator=operator_id)
    return hub.operator_today(project, operator_id)


#: Either permission lets a caller through the gate; the handler then checks whose state.
STATE_PERMISSION = "operators:self|operators:manage"


@router.post("/projects/{project}/operators/{operator_id}/state",
             summary="Set an operator available, on a break or offline (one's own with operators:self, "
                     "anyone's with operators:manage)", **needs(STATE_PERMISSION))
def set_state(project: str, operator_id: str, body: StateIn, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    if caller.operator_ids.get(project) != operator_id and not caller.can("operators:manage", project):
        raise Forbidden("auth.not_yours", project=project)
    svc = hub.service(project)
    actions.do_set_operator_state(svc, operator_id, body.state, body.reason)
    return live.operator(svc, operator_id)
