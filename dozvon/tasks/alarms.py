"""The overdue alarm: open tasks past their due time, found by one indexed query over all
projects, each marked once and announced to its owner and the supervisors.

The server runs :func:`sound` every few seconds (:meth:`dozvon.server.hub.Hub.run_task_alarms`),
so an alarm comes within seconds of the due time, not at the next maintenance round.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dozvon.acd.service import RouterService
from dozvon.tasks.actions import do_mark_overdue
from dozvon.tasks.models import OPEN, Task

#: At most this many tasks per project per round (a backlog drains over a few rounds).
BATCH = 500


def due_now(session: Session, now_us: int) -> dict[str, list[tuple[int, str, str | None, int]]]:
    """Open tasks past due and not yet announced, by project."""
    rows = session.execute(
        select(Task.project, Task.id, Task.owner, Task.conversation_id, Task.due_at_us)
        .where(Task.status == OPEN, Task.due_at_us <= now_us, Task.overdue_at_us.is_(None))
        .order_by(Task.due_at_us).limit(BATCH * 10))
    found: dict[str, list[tuple[int, str, str | None, int]]] = defaultdict(list)
    for project, task_id, owner, conversation_id, due in rows:
        if len(found[project]) < BATCH:
            found[project].append((task_id, owner, conversation_id, due))
    return found


def sound(sessions: sessionmaker[Session], service: Callable[[str], RouterService], now_us: int) -> int:
    """One round of the alarm; returns how many tasks it announced."""
    with sessions() as session:
        found = due_now(session, now_us)
    return sum(do_mark_overdue(service(project), tasks, now_us) for project, tasks in found.items())
