"""Tasks with deadlines over HTTP: an operator's own list, giving and closing tasks.

Operators (``conversations:handle``) see and change only their own tasks and give tasks
only to themselves; those with ``tasks:manage`` (supervisors) see everybody's, give tasks
to anyone, reassign and close them. A time without a zone is the project's local time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from pydantic import Field

from dozvon.accounts.permissions import Principal
from dozvon.accounts.queries import get_project
from dozvon.acd import queries as live
from dozvon.core.errors import Forbidden
from dozvon.server.deps import Body, CallerDep, HubDep, RowId, SessionDep, acting_operator, page
from dozvon.server.gate import needs
from dozvon.tasks import actions, queries
from dozvon.tasks.models import KINDS, STATUSES

router = APIRouter(tags=["tasks"])
HANDLE = "conversations:handle|tasks:manage"
MANAGE = "tasks:manage"
Kind = Literal["callback", "offer", "other"]
assert set(KINDS) == {"callback", "offer", "other"}


class TaskIn(Body):
    title: str = Field(min_length=1, max_length=actions.TITLE_LIMIT)
    #: When it must be done: ISO 8601 (without a zone: the project's local time) or Unix seconds.
    due_at: datetime
    kind: Kind = "other"
    note: str = Field(default="", max_length=actions.NOTE_LIMIT)
    #: The owner's operator id; yourself when left out (only supervisors name another).
    owner: str | None = Field(default=None, min_length=1, max_length=128)
    customer_id: str | None = Field(default=None, min_length=1, max_length=32)
    conversation_id: str | None = Field(default=None, min_length=1, max_length=64)


class TaskChange(Body):
    owner: str | None = Field(default=None, min_length=1, max_length=128)
    due_at: datetime | None = None
    title: str | None = Field(default=None, min_length=1, max_length=actions.TITLE_LIMIT)
    note: str | None = Field(default=None, max_length=actions.NOTE_LIMIT)


class TaskClose(Body):
    #: What came of it (done), or why it is dropped (cancel).
    outcome: str = Field(default="", max_length=actions.OUTCOME_LIMIT)


def _us(moment: datetime, tz: str) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz))
    return int(moment.timestamp() * 1_000_000)


def _answer(hub: Any, project: str, task: Any) -> dict[str, Any]:
    names = live.operator_names(hub.service(project))
    return queries.task_dict(task, names, int(hub.clock.now() * 1_000_000))


@router.get("/projects/{project}/tasks",
            summary="Tasks, most urgent first: your own, or (tasks:manage) anybody's", **needs(HANDLE))
def list_tasks(project: str, caller: CallerDep, session: SessionDep, hub: HubDep,
               owner: Annotated[str | None, Query(max_length=128)] = None,
               status: Annotated[Literal["open", "done", "cancelled", "all"], Query()] = "open",
               customer: Annotated[str | None, Query(max_length=32)] = None,
               overdue: Annotated[bool, Query(description="only open tasks past their due time")] = False,
               limit: Annotated[int, Query(ge=1, le=500)] = 200) -> dict[str, Any]:
    mine = acting_operator(caller, project, MANAGE)
    if mine is not None and owner not in (None, mine):
        raise Forbidden("tasks.for_others", value=owner)
    now = int(hub.clock.now() * 1_000_000)
    assert status == "all" or status in STATUSES
    found = queries.list_tasks(session, project, owner=mine or owner, status=None if status == "all" else status,
                               customer_id=customer, overdue_before_us=now if overdue else None, limit=limit)
    names = live.operator_names(hub.service(project))
    return page([queries.task_dict(t, names, now) for t in found])


@router.post("/projects/{project}/tasks", status_code=201,
             summary="Give a task with a due time (call back, send an offer)", **needs(HANDLE))
def create_task(project: str, body: TaskIn, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    svc = hub.service(project)
    with hub.sessions() as session:
        tz = get_project(session, project).timezone
    task = actions.do_create_task(
        svc, caller.name, actions.TaskIn(title=body.title, due_at_us=_us(body.due_at, tz), kind=body.kind,
                                         note=body.note, owner=body.owner, customer_id=body.customer_id,
                                         conversation_id=body.conversation_id),
        as_operator=_as(caller, project))
    return _answer(hub, project, task)


def _as(caller: Principal, project: str) -> str | None:
    return acting_operator(caller, project, MANAGE)


@router.get("/projects/{project}/tasks/{task_id}", summary="One task", **needs(HANDLE))
def get_task(project: str, task_id: RowId, caller: CallerDep, session: SessionDep, hub: HubDep) -> dict[str, Any]:
    task = queries.get_task(session, project, task_id)
    mine = _as(caller, project)
    if mine is not None and task.owner != mine:
        raise Forbidden("tasks.not_yours", task=task.id, owner=task.owner)
    return _answer(hub, project, task)


@router.patch("/projects/{project}/tasks/{task_id}",
              summary="Reassign (tasks:manage), move the due time or reword an open task", **needs(HANDLE))
def change_task(project: str, task_id: RowId, body: TaskChange, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    with hub.sessions() as session:
        tz = get_project(session, project).timezone
    task = actions.do_change_task(hub.service(project), caller.name, task_id, as_operator=_as(caller, project),
                                  owner=body.owner, title=body.title, note=body.note,
                                  due_at_us=_us(body.due_at, tz) if body.due_at is not None else None)
    return _answer(hub, project, task)


@router.post("/projects/{project}/tasks/{task_id}/done", summary="Mark a task done, saying what came of it",
             **needs(HANDLE))
def done(project: str, task_id: RowId, body: TaskClose, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    task = actions.do_close_task(hub.service(project), caller.name, task_id, done=True, outcome=body.outcome,
                                 as_operator=_as(caller, project))
    return _answer(hub, project, task)


@router.post("/projects/{project}/tasks/{task_id}/cancel", summary="Drop a task, saying why", **needs(HANDLE))
def cancel(project: str, task_id: RowId, body: TaskClose, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    task = actions.do_close_task(hub.service(project), caller.name, task_id, done=False, outcome=body.outcome,
                                 as_operator=_as(caller, project))
    return _answer(hub, project, task)



