"""Every write to a conversation, in one place: what operators, supervisors, channel
adapters and the delivery loop do.

REST handlers, the operators' socket, the web pages and the channel adapters all call
these functions, so each write is validated, stored with its events in one transaction
(:meth:`RouterService.run`) and announced only after the commit, whichever door it came
through. The caller has already decided *who* may act: ``operator_id`` is the operator
the action is taken as (the engine refuses another operator's contact), or None for
those allowed to act on anybody's.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from dozvon.acd.service import RouterService
from dozvon.channels.registry import registry
from dozvon.conversations import outbox
from dozvon.conversations import queries as q
from dozvon.conversations.models import CallbackTask, Conversation, Message
from dozvon.core.clock import now_us
from dozvon.core.errors import Conflict, NotFound
from dozvon.eventlog.repository import to_us
from dozvon.routing import events as ev
from dozvon.routing.engine import RoutingEngine
from dozvon.routing.events import Decision
from dozvon.routing.model import Disposition


def _conversation(svc: RouterService, conversation_id: str) -> Conversation:
    with svc.sessions() as session:
        conv = q.conversation(session, svc.project, conversation_id)
    if conv is None:
        raise NotFound("routing.unknown_contact", contact=conversation_id)
    return conv


# ----------------------------------------------------------------- offers

def do_accept_offer(svc: RouterService, offer_id: str, operator_id: str | None) -> list[Decision]:
    """The operator answers: the contact is theirs; other ringing offers are withdrawn."""
    return svc.run(lambda e: e.accept(offer_id, operator_id))


def do_decline_offer(svc: RouterService, offer_id: str, operator_id: str | None,
                     reason: str = "declined") -> list[Decision]:
    """The operator refuses: the contact goes to the next operator."""
    return svc.run(lambda e: e.decline(offer_id, operator_id, reason or "declined"))


# ----------------------------------------------------------------- the conversation

def _write_outbound(session: Session, svc: RouterService, conv: Conversation, key: str, text: str,
                    author: str, **extra: Any) -> int:
    """A message to the customer and its outbox row (in the command's transaction)."""
    at = to_us(svc.clock.now())
    msg = Message(project=svc.project, conversation_id=conv.id, channel=conv.channel, external_id=key,
                  direction="out", author=author, text=text, at_us=at)
    session.add(msg)
    session.flush()
    outbox.enqueue(session, project=svc.project, channel=conv.channel, conversation_id=conv.id,
                   message_id=msg.id, key=key, at_us=at, text=text, author=author,
                   external_id=conv.external_id, customer_id=conv.customer_id, **extra)
    return msg.id


def do_send_message(svc: RouterService, conversation_id: str, operator_id: str | None, author: str,
                    text: str) -> int:
    """An operator's reply: the message, its ``message.sent`` event and its outbox row are
    stored together; the channel delivers it after the commit, at least once."""
    conv = _conversation(svc, conversation_id)
    if not registry.get(conv.channel).text:
        raise Conflict("conversations.voice_has_no_messages", contact=conversation_id)
    key = "out-" + uuid.uuid4().hex
    ids: list[int] = []
    svc.run(lambda e: e.record_message(conversation_id, "out", key, text, operator_id),
            also=lambda session: ids.append(_write_outbound(session, svc, conv, key, text, author)))
    return ids[0]


def do_end(svc: RouterService, conversation_id: str, operator_id: str | None) -> list[Decision]:
    """The conversation is over; wrap-up starts."""
    return svc.run(lambda e: e.end_contact(conversation_id, operator_id=operator_id))


def do_hold(svc: RouterService, conversation_id: str, operator_id: str | None) -> list[Decision]:
    return svc.run(lambda e: e.hold(conversation_id, operator_id=operator_id))


def do_resume(svc: RouterService, conversation_id: str, operator_id: str | None) -> list[Decision]:
    return svc.run(lambda e: e.resume(conversation_id, operator_id=operator_id))


def do_transfer(svc: RouterService, conversation_id: str, operator_id: str | None, *,
                to_operator: str | None = None, to_queue: str | None = None, to_external: str | None = None,
                escalation: bool = False) -> list[Decision]:
    """Hand the contact to another operator, a queue (an escalation, if marked) or a number."""
    return svc.run(lambda e: e.transfer(conversation_id, to_operator=to_operator, to_queue=to_queue,
                                        to_external=to_external, operator_id=operator_id,
                                        escalation=escalation))


def do_dispose(svc: RouterService, conversation_id: str, operator_id: str | None, contact_type: str,
               resolved: bool, notes: str = "") -> list[Decision]:
    """Classify the contact (one of the six types, resolved or not): closes it, frees the slot."""
    disposition = Disposition(contact_type=contact_type, resolved=resolved, notes=notes)
    disposition.validate()
    return svc.run(lambda e: e.finish_wrap_up(conversation_id, disposition, operator_id=operator_id))


def do_customer_left(svc: RouterService, channel: str, external_id: str) -> str:
    """The caller hung up / the visitor closed the chat. Repeating it changes nothing."""
    with svc.sessions() as session:
        conv = q.by_external(session, Conversation, svc.project, channel, external_id)
    if conv is None:
        raise NotFound("conversations.unknown_external", channel=channel, external_id=external_id)
    conv_id = str(conv.id)

    def leave(engine: RoutingEngine) -> list[Decision]:
        return engine.customer_left(conv_id) if conv_id in engine.contacts else []

    svc.run(leave)
    return conv_id


def do_complete_callback(session: Session, project: str, task_id: int, actor: str) -> CallbackTask:
    """Mark a callback task done (in the caller's transaction)."""
    task = session.scalar(q.readable_callbacks(project).where(CallbackTask.id == task_id))
    if task is None:
        raise NotFound("conversations.no_callback", task=task_id)
    if task.status == "done":
        raise Conflict("conversations.callback_done", task=task_id)
    task.status, task.done_by = "done", actor
    task.done_at_us = now_us()
    return task


# ----------------------------------------------------------------- the outbox

def auto_replies(svc: RouterService) -> Callable[[RoutingEngine, list[Decision]], Callable[[Session], None] | None]:
    """The decision hook that turns the engine's auto-replies on text channels (out of
    hours, queue full) into messages: logged as ``message.sent`` (``auto: true``) and put
    in the outbox in the same transaction as the decision. Voice plays its prompt from the
    decision itself."""

    def hook(engine: RoutingEngine, decisions: list[Decision]) -> Callable[[Session], None] | None:
        replies = []
        for d in decisions:
            channel = registry.find(d.channel)
            if d.kind != ev.AUTO_REPLY or not d.text or d.contact_id is None or channel is None or not channel.text:
                continue
            key = "auto-" + uuid.uuid4().hex
            engine.note("message.sent", d.contact_id, None, channel=d.channel, message_id=key, text=d.text,
                        author=None, auto=True, reason=d.reason)
            replies.append((d.contact_id, key, d.text, d.reason))
        if not replies:
            return None

        def write(session: Session) -> None:
            for contact_id, key, text, reason in replies:
                conv = q.conversation(session, svc.project, contact_id)
                if conv is not None:
                    _write_outbound(session, svc, conv, key, text, "", auto=True, reason=reason)

        return write

    return hook


def do_report_delivery(svc: RouterService, item_id: int, *, delivered: bool, error: str | None = None,
                       permanent: bool = False, channel_message_id: str | None = None) -> dict[str, Any]:
    """A sender's report on one attempt. Delivered → ``message.delivered``; failed → due
    again after a growing delay, or, permanently or after the last attempt,
    ``message.failed``. A repeated report of a finished message changes nothing. Runs
    under the project's lock throughout, so two reports of one message log one outcome."""
    with svc.lock:
        with svc.sessions() as session:
            item = outbox.get(session, svc.project, item_id)
            if item is None:
                raise NotFound("conversations.no_outbox_item", item=item_id)
            if item.status != outbox.PENDING:
                return q.outbox_dict(item)
            conv = q.conversation(session, svc.project, item.conversation_id)
            operator_id = conv.operator_id if conv is not None else None
            queue = conv.queue if conv is not None else None
            attempt = max(1, item.attempts)
            final = delivered or permanent or attempt >= outbox.MAX_ATTEMPTS
            now = svc.clock.now()
            if not final:
                item.last_error = (error or "")[:2000]
                item.due_at_us = to_us(now + outbox.backoff_s(attempt))
                session.commit()
                return q.outbox_dict(item)
            item_key, conv_id, channel = item.key, item.conversation_id, item.channel

        data: dict[str, Any] = {"message_id": item_key, "key": item_key, "attempt": attempt}
        if delivered:
            if channel_message_id:
                data["channel_message_id"] = channel_message_id
        else:
            data.update(error=(error or "")[:2000], permanent=permanent)

        def finish(session: Session) -> None:
            row = outbox.get(session, svc.project, item_id)
            assert row is not None
            row.status = outbox.DELIVERED if delivered else outbox.FAILED
            row.done_at_us = to_us(now)
            if not delivered:
                row.last_error = data["error"]

        svc.run(lambda e: e.note("message.delivered" if delivered else "message.failed", conv_id, operator_id,
                                 channel=channel, queue=queue, **data), also=finish)
        with svc.sessions() as session:
            done = outbox.get(session, svc.project, item_id)
            assert done is not None
            return q.outbox_dict(done)
