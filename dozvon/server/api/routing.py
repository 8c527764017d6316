"""Queues (every routing setting, business hours) and operators (profile and state)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from dozvon.accounts import service as accounts
from dozvon.core.errors import Forbidden, NotFound
from dozvon.routing.model import OPERATOR_STATES, OperatorConfig, QueueConfig
from dozvon.server.deps import CallerDep, HubDep, page
from dozvon.server.gate import needs

router = APIRouter(tags=["routing"])

Seconds = Annotated[float, Field(ge=0, le=10 * 365 * 86400)]
Interval = Annotated[str, Field(pattern=r"^([01]?\d|2[0-4]):[0-5]\d-([01]?\d|2[0-4]):[0-5]\d$")]
Name = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[^/\s][^/]*$")]


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["overflow", "callback", "message", "reject"] = "reject"
    target_queue: str | None = Field(default=None, max_length=128)
    text: str | None = Field(default=None, max_length=2000)


class HoursIn(BaseModel):
    """Weekly opening hours in the queue's time zone; holidays by date (closed, or shorter)."""

    model_config = ConfigDict(extra="forbid")
    timezone: str = Field(default="Europe/Moscow", max_length=64)
    #: {"mon": ["09:00-13:00", "14:00-18:00"], …}; "22:00-06:00" runs past midnight.
    weekly: dict[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], list[Interval]] = {}
    #: {"2026-01-01": []} closed that day; or that day's own intervals.
    holidays: dict[date, list[Interval]] = {}


class QueueIn(BaseModel):
    """Every routing setting of a queue (see docs/events.md and the routing engine)."""

    model_config = ConfigDict(extra="forbid")
    strategy: Literal["round_robin", "ring_all", "longest_idle", "least_busy", "skills"] = "longest_idle"
    offer_timeout_s: Seconds | None = None
    target_answer_s: Seconds = 20.0
    wrap_up_s: Seconds = 0.0
    priority: int = Field(default=0, ge=-10**6, le=10**6)
    weight: int = Field(default=0, ge=-10**6, le=10**6)
    aging_per_min: float = Field(default=1.0, ge=0, le=10**6)
    required_skills: dict[str, Annotated[int, Field(ge=0, le=100)]] = {}
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


class OperatorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(default="", max_length=200)
    queues: list[Name] = []
    skills: dict[str, Annotated[int, Field(ge=0, le=100)]] = {}
    #: Per channel bucket: voice, chat (chats and messengers), email (e-mail and forms).
    capacity: dict[Literal["voice", "chat", "email"], Annotated[int, Field(ge=0, le=100)]] | None = None


class StateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    state: Literal["available", "break", "offline"]
    reason: str | None = Field(default=None, max_length=200)


def queues_out(hub: Any, project: str, names: list[str] | None = None) -> list[dict[str, Any]]:
    """The named queues (all, if None) with their settings and contacts waiting now."""
    svc = hub.service(project)
    with svc.lock:
        engine = svc.engine
        waiting = engine.waiting_by_queue()
        for name in names or ():
            if name not in engine.queues:
                raise NotFound("routing.unknown_queue", queue=name)
        chosen = [engine.queues[n] for n in (names if names is not None else sorted(engine.queues))]
        return [{**state.cfg.to_dict(), "open": state.open, "members": sorted(state.members),
                 "waiting": waiting[state.cfg.name]} for state in chosen]


@router.get("/projects/{project}/queues", summary="Queues with their settings", **needs("queues:read"))
def list_queues(project: str, hub: HubDep) -> dict[str, Any]:
    return page(queues_out(hub, project))


@router.get("/projects/{project}/queues/{name}", summary="One queue", **needs("queues:read"))
def get_queue(project: str, name: str, hub: HubDep) -> dict[str, Any]:
    return queues_out(hub, project, [name])[0]


@router.put("/projects/{project}/queues/{name}", summary="Create or change a queue",
            **needs("queues:manage"))
def put_queue(project: str, name: Name, body: QueueIn, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    data = body.model_dump(mode="json")
    cfg = QueueConfig.from_dict({"name": name, **data})
    svc = hub.service(project)
    svc.run(lambda e: e.add_queue(cfg),
            also=lambda s: accounts.audit(s, caller.name, "queue.configured", project, name, config=data))
    return queues_out(hub, project, [name])[0]


def operator_out(hub: Any, project: str, operator_id: str) -> dict[str, Any]:
    svc = hub.service(project)
    with svc.lock:
        op = svc.engine.operators.get(operator_id)
        if op is None:
            raise NotFound("routing.unknown_operator", operator=operator_id)
        return {**op.cfg.to_dict(), "state": op.state, "reason": op.reason, "state_since": op.state_since,
                "presence": svc.engine.presence(operator_id), "contacts": sorted(op.contacts),
                "offers": sorted(op.offers)}


@router.get("/projects/{project}/operators", summary="Operators with their profile and state",
            **needs("operators:read"))
def list_operators(project: str, hub: HubDep) -> dict[str, Any]:
    ids = sorted(hub.service(project).engine.operators)
    return page([operator_out(hub, project, o) for o in ids])


@router.get("/projects/{project}/operators/{operator_id}", summary="One operator", **needs("operators:read"))
def get_operator(project: str, operator_id: str, hub: HubDep) -> dict[str, Any]:
    return operator_out(hub, project, operator_id)


@router.put("/projects/{project}/operators/{operator_id}",
            summary="Add an operator or change their queues, skills and capacity", **needs("operators:manage"))
def put_operator(project: str, operator_id: Name, body: OperatorIn, caller: CallerDep,
                 hub: HubDep) -> dict[str, Any]:
    data = body.model_dump()
    if data["capacity"] is None:
        del data["capacity"]
    cfg = OperatorConfig.from_dict({"id": operator_id, **data})
    svc = hub.service(project)
    for queue in cfg.queues:
        if queue not in svc.engine.queues:
            raise NotFound("routing.unknown_queue", queue=queue)
    svc.run(lambda e: e.add_operator(cfg),
            also=lambda s: accounts.audit(s, caller.name, "operator.configured", project, operator_id,
                                          config=cfg.to_dict()))
    return operator_out(hub, project, operator_id)


@router.post("/projects/{project}/operators/{operator_id}/state",
             summary="Set an operator available, on a break or offline (one's own, or anyone's for supervisors)",
             **needs("operators:self"))
def set_state(project: str, operator_id: str, body: StateIn, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    if caller.operator_ids.get(project) != operator_id and not caller.can("operators:manage", project):
        raise Forbidden("auth.not_yours", project=project)
    assert body.state in OPERATOR_STATES
    hub.service(project).run(lambda e: e.set_state(operator_id, body.state, body.reason))
    return operator_out(hub, project, operator_id)
