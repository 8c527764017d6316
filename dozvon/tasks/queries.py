"""Reading tasks: every statement starts from :func:`readable_tasks`, limited to a project."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from dozvon.core.errors import NotFound
from dozvon.tasks.models import OPEN, Task


def readable_tasks(project: str) -> Select[Task]:
    return select(Task).where(Task.project == project)


def get_task(session: Session, project: str, task_id: int) -> Task:
    task = session.scalar(readable_tasks(project).where(Task.id == task_id))
    if task is None:
        raise NotFound("tasks.no_task", task=task_id)
    return task


def task_dict(task: Task, names: dict[str, str], now_us: int | None = None) -> dict[str, Any]:
    """A task as the API and the pages show it; ``overdue`` — open and past due (by
    ``now_us``, else as the alarm last found it)."""
    past_due = task.due_at_us <= now_us if now_us is not None else task.overdue_at_us is not None
    return {"id": task.id, "kind": task.kind, "title": task.title, "note": task.note, "status": task.status,
            "owner": task.owner, "owner_name": names.get(task.owner, task.owner),
            "customer_id": task.customer_id, "conversation_id": task.conversation_id,
            "due_at": task.due_at_us / 1e6, "overdue": task.status == OPEN and past_due,
            "created_by": task.created_by, "created_at": task.created_at_us / 1e6,
            "done_at": task.done_at_us / 1e6 if task.done_at_us is not None else None,
            "done_by": task.done_by, "outcome": task.outcome}


def list_tasks(session: Session, project: str, *, owner: str | None = None, status: str | None = OPEN,
               customer_id: str | None = None, overdue_before_us: int | None = None,
               limit: int = 200) -> list[Task]:
    """Tasks, the most urgent first: open ones by due time; closed ones newest first."""
    stmt = readable_tasks(project)
    if owner is not None:
        stmt = stmt.where(Task.owner == owner)
    if status is not None:
        stmt = stmt.where(Task.status == status)
    if customer_id is not None:
        stmt = stmt.where(Task.customer_id == customer_id)
    if overdue_before_us is not None:
        stmt = stmt.where(Task.status == OPEN, Task.due_at_us <= overdue_before_us)
    order = [Task.due_at_us, Task.id] if status == OPEN else [Task.updated_at_us.desc(), Task.id.desc()]
    return list(session.scalars(stmt.order_by(*order).limit(limit)))


def counts(session: Session, project: str, now_us: int) -> dict[str, int]:
    """Open tasks and how many of them are past due — for the wallboard."""
    row = session.execute(
        select(func.count(), func.sum(case((Task.due_at_us <= now_us, 1), else_=0)))
        .where(Task.project == project, Task.status == OPEN)).one()
    return {"open": int(row[0] or 0), "overdue": int(row[1] or 0)}
