"""Every write to tasks: create, change (owner, due time, words), done, cancel — and the
alarm's mark that a task ran past its due time.

Each runs through the project's :class:`~dozvon.acd.service.RouterService`: the row is
written first (``before``), then the engine logs the task's event with the project's next
``seq``, and all of it commits together; the event reaches the owner's and the
supervisors' sockets after the commit. The events carry ids, kinds and times only — never
the task's words, which may name the customer (an erasure must not have to rewrite them).
``as_operator`` is the caller's operator id when they act as an operator (their own tasks
only); None for those who manage tasks (``tasks:manage``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from dozvon.accounts.actions import audit
from dozvon.acd.service import RouterService
from dozvon.conversations.models import Conversation
from dozvon.core.errors import Conflict, Forbidden, InvalidInput
from dozvon.crm.queries import get_customer
from dozvon.tasks.models import CANCELLED, DONE, KINDS, OPEN, Task
from dozvon.tasks.queries import get_task

TITLE_LIMIT, NOTE_LIMIT, OUTCOME_LIMIT = 200, 4000, 500
#: A due time a little in the past is a slow form, not a mistake.
PAST_GRACE_US = 5 * 60 * 1_000_000
YEAR_US = 366 * 86_400 * 1_000_000


@dataclass(frozen=True)
class TaskIn:
    title: str
    due_at_us: int
    kind: str = "other"
    note: str = ""
    owner: str | None = None
    customer_id: str | None = None
    conversation_id: str | None = None


def _now_us(svc: RouterService) -> int:
    return int(svc.read(lambda e: e.clock.now()) * 1_000_000)


def _check_text(value: str, field: str, limit: int) -> str:
    value = value.strip()
    if len(value) > limit:
        raise InvalidInput("tasks.too_long", field=field, length=len(value), limit=limit)
    return value


def _check_due(due_at_us: int, now: int) -> None:
    if due_at_us < now - PAST_GRACE_US:
        from datetime import UTC, datetime
        raise InvalidInput("tasks.due_passed", field="due_at",
                           due=datetime.fromtimestamp(due_at_us / 1e6, UTC).isoformat(timespec="minutes"))
    if due_at_us > now + YEAR_US:
        raise InvalidInput("tasks.due_too_far", field="due_at")


def _check_owner(svc: RouterService, owner: str) -> None:
    if not svc.read(lambda e: owner in e.operators):
        raise InvalidInput("tasks.unknown_owner", field="owner", value=owner)


def _mine(task: Task, as_operator: str | None) -> None:
    if as_operator is not None and task.owner != as_operator:
        raise Forbidden("tasks.not_yours", task=task.id, owner=task.owner)


def _open(task: Task) -> None:
    if task.status != OPEN:
        raise Conflict("tasks.closed", task=task.id, status=task.status)


def do_create_task(svc: RouterService, actor: str, wanted: TaskIn, *, as_operator: str | None) -> Task:
    """A task for ``wanted.owner`` (an operator may give one only to themselves), about a
    customer or a conversation (the conversation's customer when none is named)."""
    if wanted.kind not in KINDS:
        raise InvalidInput("tasks.bad_kind", field="kind", value=wanted.kind, allowed=", ".join(KINDS))
    title = _check_text(wanted.title, "title", TITLE_LIMIT)
    if not title:
        raise InvalidInput("tasks.no_title", field="title")
    note = _check_text(wanted.note, "note", NOTE_LIMIT)
    owner = wanted.owner or as_operator
    if owner is None:
        raise InvalidInput("tasks.unknown_owner", field="owner", value="")
    if as_operator is not None and owner != as_operator:
        raise Forbidden("tasks.for_others", value=owner)
    _check_owner(svc, owner)
    now = _now_us(svc)
    _check_due(wanted.due_at_us, now)
    made: list[Task] = []

    def write(session: Session) -> None:
        customer_id = wanted.customer_id
        if wanted.conversation_id is not None:
            conv = session.get(Conversation, wanted.conversation_id)
            if conv is None or conv.project != svc.project:
                raise InvalidInput("tasks.no_conversation", field="conversation_id", value=wanted.conversation_id)
            customer_id = customer_id or conv.customer_id
        if customer_id is not None:
            customer_id = get_customer(session, svc.project, customer_id).id
        task = Task(project=svc.project, kind=wanted.kind, title=title, note=note, customer_id=customer_id,
                    conversation_id=wanted.conversation_id, owner=owner, due_at_us=wanted.due_at_us, status=OPEN,
                    created_by=actor, created_at_us=now, updated_at_us=now, outcome="")
        session.add(task)
        session.flush()
        audit(session, actor, "task.created", svc.project, str(task.id), owner=owner, kind=wanted.kind,
              due_at_us=wanted.due_at_us, customer=customer_id)
        made.append(task)

    svc.run(lambda e: e.note("task.created", wanted.conversation_id, owner, task_id=made[0].id, kind=wanted.kind,
                             due_at=wanted.due_at_us / 1e6, customer_id=made[0].customer_id, by=actor),
            before=write)
    return made[0]


def do_change_task(svc: RouterService, actor: str, task_id: int, *, as_operator: str | None,
                   owner: str | None = None, due_at_us: int | None = None, title: str | None = None,
                   note: str | None = None) -> Task:
    """Give an open task to another operator (those who manage tasks), move its due time
    (the customer asked to be called tomorrow), or reword it. A task moved past its due
    time into the future may alarm again."""
    if owner is not None:
        if as_operator is not None and owner != as_operator:
            raise Forbidden("tasks.for_others", value=owner)
        _check_owner(svc, owner)
    now = _now_us(svc)
    if due_at_us is not None:
        _check_due(due_at_us, now)
    changed: dict[str, Any] = {}
    events: list[tuple[str, str, dict[str, Any]]] = []
    found: list[Task] = []

    def write(session: Session) -> None:
        task = get_task(session, svc.project, task_id)
        _mine(task, as_operator)
        _open(task)
        if title is not None and title.strip() != task.title:
            task.title = changed["title"] = _check_text(title, "title", TITLE_LIMIT) or task.title
        if note is not None and note.strip() != task.note:
            task.note = changed["note"] = _check_text(note, "note", NOTE_LIMIT)
        if due_at_us is not None and due_at_us != task.due_at_us:
            events.append(("task.rescheduled", task.owner, {"from_due": task.due_at_us / 1e6,
                                                             "due_at": due_at_us / 1e6}))
            task.due_at_us = changed["due_at_us"] = due_at_us
            task.overdue_at_us = None
        if owner is not None and owner != task.owner:
            # Both are told: the new owner gains it, the previous one sees it leave their list.
            events.append(("task.reassigned", owner, {"from": task.owner, "due_at": task.due_at_us / 1e6}))
            events.append(("task.released", task.owner, {"to": owner}))
            task.owner = changed["owner"] = owner
        if changed:
            task.updated_at_us = now
            audit(session, actor, "task.changed", svc.project, str(task.id), **{k: v for k, v in changed.items()
                                                                                 if k != "note"})
        found.append(task)

    def log(e: Any) -> None:
        for type_, operator, data in events:
            e.note(type_, found[0].conversation_id, operator, task_id=task_id, by=actor, **data)

    svc.run(log, before=write)
    return found[0]


def do_close_task(svc: RouterService, actor: str, task_id: int, *, done: bool, outcome: str = "",
                  as_operator: str | None) -> Task:
    """Done (with what came of it), or cancelled (saying why). ``task.done`` carries the
    times the KPIs need: when it was created, when it was due, whether it was late."""
    outcome = _check_text(outcome, "outcome", OUTCOME_LIMIT)
    now = _now_us(svc)
    found: list[Task] = []

    def write(session: Session) -> None:
        task = get_task(session, svc.project, task_id)
        _mine(task, as_operator)
        _open(task)
        task.status = DONE if done else CANCELLED
        task.done_at_us, task.done_by, task.outcome, task.updated_at_us = now, actor, outcome, now
        audit(session, actor, f"task.{task.status}", svc.project, str(task.id), outcome=outcome)
        found.append(task)

    def log(e: Any) -> None:
        task = found[0]
        data: dict[str, Any] = {"task_id": task.id, "by": actor, "created_at": task.created_at_us / 1e6,
                                "due_at": task.due_at_us / 1e6}
        if done:
            data["late"] = now > task.due_at_us
        e.note("task.done" if done else "task.cancelled", task.conversation_id, task.owner, **data)

    svc.run(log, before=write)
    return found[0]


def do_mark_overdue(svc: RouterService, tasks: list[tuple[int, str, str | None, int]], now_us: int) -> int:
    """The alarm: these open tasks (id, owner, conversation, due) ran past their due time.
    Each is marked once (a second server finding it too marks nothing) and logs
    ``task.overdue`` for its owner and the supervisors. Returns how many were marked."""
    marked: list[tuple[int, str, str | None, int]] = []

    def write(session: Session) -> None:
        for task_id, owner, conversation_id, due in tasks:
            result = session.execute(update(Task).where(Task.id == task_id, Task.status == OPEN,
                                                        Task.overdue_at_us.is_(None), Task.due_at_us == due)
                                     .values(overdue_at_us=now_us))
            if result.rowcount:  # type: ignore[attr-defined]
                marked.append((task_id, owner, conversation_id, due))

    def log(e: Any) -> None:
        for task_id, owner, conversation_id, due in marked:
            e.note("task.overdue", conversation_id, owner, task_id=task_id, due_at=due / 1e6)

    svc.run(log, before=write)
    return len(marked)
