"""Every write to routing configuration and operators' states, in one place.

Called alike by the REST API, the operators' socket, the admin pages and the CLI: each
validates what it can before the engine moves, writes its events (and the audit entry of
an administrative change) in one transaction through :meth:`RouterService.run`, and
returns the engine's decisions, which reach the channels after the commit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from dozvon.accounts import actions as accounts
from dozvon.accounts import queries as account_queries
from dozvon.acd import queries as live
from dozvon.acd.service import RouterService
from dozvon.core.errors import InvalidInput, NotFound
from dozvon.routing.events import Decision
from dozvon.routing.model import OperatorConfig, QueueConfig

#: The settings of a queue that name another queue.
_ACTION_FIELDS = ("on_max_wait", "on_full", "on_closed")


def check_queue_references(cfg: QueueConfig, existing: set[str]) -> None:
    """Every queue a queue's settings send contacts to must exist, and not be itself:
    an overflow to nowhere would close the contact as rejected long after the mistake."""
    for field_name in _ACTION_FIELDS:
        action = getattr(cfg, field_name)
        if action is not None and action.kind == "overflow" and action.target_queue:
            _check_target(cfg.name, f"{field_name}.target_queue", action.target_queue, existing)
    if cfg.escalation_queue:
        _check_target(cfg.name, "escalation_queue", cfg.escalation_queue, existing)


def _check_target(queue: str, field: str, target: str, existing: set[str]) -> None:
    if target == queue:
        raise InvalidInput("routing.target_is_itself", queue=queue, field=field)
    if target not in existing:
        raise InvalidInput("routing.unknown_target_queue", queue=queue, field=field, target=target,
                           allowed=", ".join(sorted(existing - {queue})) or "—")


def do_configure_queue(svc: RouterService, actor: str, cfg: QueueConfig, given: dict[str, Any]) -> list[Decision]:
    """Create or change a queue; audited with the settings as given."""
    cfg.validate()
    check_queue_references(cfg, live.queue_names(svc))
    return svc.run(lambda e: e.add_queue(cfg),
                   also=lambda s: accounts.audit(s, actor, "queue.configured", svc.project, cfg.name, config=given))


def do_remove_queue(svc: RouterService, actor: str, name: str) -> list[Decision]:
    """Delete a queue: refused while it holds contacts or another queue sends contacts to
    it (the engine checks both under the lock, naming them); its operators stop serving
    it. Audited."""
    return svc.run(lambda e: e.remove_queue(name),
                   also=lambda s: accounts.audit(s, actor, "queue.removed", svc.project, name))


def do_configure_operator(svc: RouterService, actor: str, cfg: OperatorConfig) -> list[Decision]:
    """Add an operator or change their queues, skills and capacity; audited."""
    known = live.queue_names(svc)
    for queue in cfg.queues:
        if queue not in known:
            raise NotFound("routing.unknown_queue", queue=queue)
    return svc.run(lambda e: e.add_operator(cfg),
                   also=lambda s: accounts.audit(s, actor, "operator.configured", svc.project, cfg.id,
                                                 config=cfg.to_dict()))


def do_set_operator_state(svc: RouterService, operator_id: str, state: str,
                          reason: str | None = None) -> list[Decision]:
    """Available, a break (with its reason) or offline — the operator's own choice or a
    supervisor's. A break's reason must be one of the project's (checked here, so that the
    REST call, the operators' socket and the wallboard are refused alike, before the engine
    moves)."""
    def check(session: Session) -> None:
        account_queries.check_break_reason(session, svc.project, reason)

    return svc.run(lambda e: e.set_state(operator_id, state, reason),
                   before=check if state == "break" and reason is not None else None)
