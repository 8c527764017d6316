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

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from dozvon.accounts.models import Project
from dozvon.acd.service import RouterService
from dozvon.channels.registry import registry
from dozvon.conversations import outbox, survey
from dozvon.conversations import queries as q
from dozvon.conversations.ingest import IngestResult
from dozvon.conversations.models import CallbackTask, Conversation, Message
from dozvon.core import ids
from dozvon.core.clock import now_us
from dozvon.core.errors import Conflict, InvalidInput, NotFound
from dozvon.core.i18n import SUPPORTED, translate
from dozvon.eventlog.repository import to_us
from dozvon.replies.models import STANDARD_TEXT_KINDS
from dozvon.replies.queries import auto_text_cache
from dozvon.replies.render import fill, values
from dozvon.routing import events as ev
from dozvon.routing.engine import RoutingEngine
from dozvon.routing.events import Decision
from dozvon.routing.model import CONNECTED, OFFERED, WAITING, Disposition


def _conversation(svc: RouterService, conversation_id: str) -> Conversation:
    with svc.sessions() as session:
        conv = q.conversation(session, svc.project, conversation_id)
    if conv is None:
        raise NotFound("routing.unknown_contact", contact=conversation_id)
    return conv


# ----------------------------------------------------------------- offers

def do_accept_offer(svc: RouterService, offer_id: str, operator_id: str | None) -> list[Decision]:
    """The operator answers: the contact is theirs; other ringing offers are withdrawn. On
    a text channel the project's greeting, if it has one, goes out in the operator's name."""
    decisions = svc.run(lambda e: e.accept(offer_id, operator_id))
    for d in decisions:
        if d.kind == ev.CONNECT and d.contact_id is not None and d.operator_id is not None:
            try:
                do_auto_message(svc, d.contact_id, "greeting", d.operator_id)
            except Exception as error:  # the accept holds; a greeting that failed is only missing
                print(f"dozvon: the greeting of {d.contact_id!r} was not sent: {error!r}", flush=True)
    return decisions


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
                    text: str) -> str:
    """An operator's reply: the message, its ``message.sent`` event and its outbox row are
    stored together; the channel delivers it after the commit, at least once. Returns the
    message's key — the ``message_id`` its events carry, so a page that sent it can match
    the event's copy to its own whichever arrives first."""
    conv = _conversation(svc, conversation_id)
    if not registry.get(conv.channel).text:
        raise Conflict("conversations.voice_has_no_messages", contact=conversation_id)
    key = "out-" + ids.new_hex()

    def write(session: Session) -> None:
        _write_outbound(session, svc, conv, key, text, author)

    svc.run(lambda e: e.record_message(conversation_id, "out", key, text, operator_id), also=write)
    return key


def do_end(svc: RouterService, conversation_id: str, operator_id: str | None) -> list[Decision]:
    """The conversation is over; wrap-up starts. On a text channel the project's farewell,
    if it has one, goes out first, and then, on a channel with no rating of its own, the
    survey's question (:mod:`~dozvon.conversations.survey`) — in the same transaction, so
    only when the end holds."""
    autos = [a for a in (_AutoMessage.of(svc, conversation_id, "farewell"),
                         _AutoMessage.of(svc, conversation_id, "survey")) if a is not None]

    def command(engine: RoutingEngine) -> list[Decision]:
        contact = engine.contacts.get(conversation_id)
        if (autos and contact is not None and contact.state == CONNECTED
                and operator_id in (None, contact.operator_id)):
            for auto in autos:
                auto.note(engine, contact.operator_id)
        return engine.end_contact(conversation_id, operator_id=operator_id)

    def write(session: Session) -> None:
        for auto in autos:
            auto.write(session)

    return svc.run(command, also=write if autos else None)


class _AutoMessage:
    """One of the project's automatic messages on one text conversation: logged in the
    command (:meth:`note`), its message and outbox row written in the same transaction
    (:meth:`write`)."""

    def __init__(self, svc: RouterService, conv: Conversation, kind: str, template: str) -> None:
        self.svc, self.conv, self.kind, self.template = svc, conv, kind, template
        self.sent: list[tuple[str, str]] = []
        self.ids: list[int] = []
        #: Set when the project has no text of its own: the standard text's fallback language.
        self.language: str | None = None

    @classmethod
    def of(cls, svc: RouterService, conversation_id: str, kind: str) -> _AutoMessage | None:
        """None when the project has no such message, or the channel carries no text (or,
        for the survey, asks for the rating its own way)."""
        template = auto_text_cache.get(svc.sessions, svc.project).get(kind)
        if template is None or not (template or kind in STANDARD_TEXT_KINDS):
            return None
        conv = _conversation(svc, conversation_id)
        channel = registry.get(conv.channel)
        if not channel.text or (kind == "survey" and not channel.survey_by_message):
            return None
        auto = cls(svc, conv, kind, template)
        if not template:  # Dozvon's own text, in the customer's language when it is known (note)
            auto.language = _project_language(svc)
        return auto

    def note(self, engine: RoutingEngine, operator_id: str | None) -> None:
        op = engine.operators.get(operator_id or "")
        template = self.template
        if self.language is not None:
            contact = engine.contacts.get(self.conv.id)
            told = (contact.spec.language or "")[:2].lower() if contact is not None else ""
            template = translate(f"replies.{self.kind}.standard", told if told in SUPPORTED else self.language)
        text = fill(template, values(self.conv.customer_name, (op.cfg.name or operator_id) if op is not None else None))
        key = "auto-" + ids.new_hex()
        engine.note("message.sent", self.conv.id, operator_id, channel=self.conv.channel, message_id=key, text=text,
                    author=operator_id, auto=True, reason=self.kind)
        self.sent.append((key, text))

    def write(self, session: Session) -> None:
        for key, text in self.sent:
            self.ids.append(_write_outbound(session, self.svc, self.conv, key, text, "", auto=True, reason=self.kind))
        if self.kind == "survey" and self.sent:  # the next lone score answers it (survey.py)
            row = session.get(Conversation, self.conv.id)
            assert row is not None
            row.details = {**(row.details or {}), survey.ASKED: to_us(self.svc.clock.now())}


def _project_language(svc: RouterService) -> str:
    """The project's language (for a standard text when the customer's is not known)."""
    with svc.sessions() as session:
        row = session.get(Project, svc.project)
    language = row.language[:2].lower() if row is not None else "ru"
    return language if language in SUPPORTED else "ru"


def do_auto_message(svc: RouterService, conversation_id: str, kind: str,
                    operator_id: str | None = None) -> int | None:
    """Send the project's automatic message ``kind`` (welcome, greeting) on a live text
    conversation, if the project has one: the message's id, or None when nothing was sent."""
    auto = _AutoMessage.of(svc, conversation_id, kind)
    if auto is None:
        return None

    def command(engine: RoutingEngine) -> None:
        contact = engine.contacts.get(conversation_id)
        if contact is not None and contact.state in (WAITING, OFFERED, CONNECTED):
            auto.note(engine, operator_id)

    svc.run(command, also=auto.write)
    return auto.ids[0] if auto.ids else None


def do_welcome(svc: RouterService, results: Iterable[IngestResult]) -> None:
    """Each conversation these ingests opened gets the project's welcome, unless its queue
    already answered (out of hours, queue full) — the same rule for every channel's adapter.
    A welcome that failed is only missing: the conversation holds."""
    for result in results:
        if result.opened and not any(d.kind == ev.AUTO_REPLY for d in result.decisions):
            try:
                do_auto_message(svc, result.conversation_id, "welcome")
            except Exception as error:
                print(f"dozvon: the welcome of {result.conversation_id!r} was not sent: {error!r}", flush=True)


def do_add_note(svc: RouterService, conversation_id: str, author: str, text: str) -> str:
    """A private note on the conversation for colleagues (a supervisor joining, an operator
    leaving a hint): an event of the conversation, never sent to the customer."""
    conv = _conversation(svc, conversation_id)
    note_id = "note-" + ids.new_hex()
    svc.run(lambda e: e.note("note.added", conv.id, conv.operator_id if conv.id not in e.contacts
                             else e.contacts[conv.id].operator_id, queue=conv.queue, channel=conv.channel,
                             note_id=note_id, text=text, author=author))
    return note_id


#: Scores of the customer survey (CSAT counts 4 and 5 as satisfied: METRICS.md).
CSAT_SCORES = survey.SCORES


def do_rate(svc: RouterService, conversation_id: str, score: int, comment: str | None = None) -> None:
    """The customer's rating of a conversation an operator answered and ended: once."""
    if score not in CSAT_SCORES:
        raise InvalidInput("conversations.bad_score", field="score", value=score)
    with svc.lock:  # two ratings of one conversation: one wins, the other hears it was rated
        conv = _conversation(svc, conversation_id)
        if conv.answered_at_us is None or conv.operator_id is None:
            raise Conflict("conversations.not_rateable", contact=conversation_id)
        if (conv.details or {}).get("csat") is not None:
            raise Conflict("conversations.already_rated", contact=conversation_id)

        def command(engine: RoutingEngine) -> None:
            contact = engine.contacts.get(conversation_id)
            if contact is not None and contact.state in (WAITING, OFFERED, CONNECTED):
                raise Conflict("conversations.not_rateable", contact=conversation_id)
            data: dict[str, Any] = {"score": score}
            if comment:
                data["comment"] = comment
            engine.note("csat.rated", conversation_id, conv.operator_id, queue=conv.queue, channel=conv.channel,
                        **data)

        def write(session: Session) -> None:
            row = session.get(Conversation, conversation_id)
            assert row is not None
            row.details = {**(row.details or {}), "csat": score}

        svc.run(command, also=write)


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


def do_consult_queue(svc: RouterService, conversation_id: str, operator_id: str | None,
                     queue: str) -> list[Decision]:
    """An attended transfer to a queue: the customer on hold, the contact routed in
    ``queue`` to an operator who talks to the introducing one first (the engine's
    ``consult``; a closed or full queue is refused, nothing changed)."""
    return svc.run(lambda e: e.consult(conversation_id, to_queue=queue, operator_id=operator_id))


def do_complete_consult(svc: RouterService, conversation_id: str, operator_id: str | None) -> list[Decision]:
    """The introducing operator hands the customer to the colleague who answered in the
    queue: one transfer, then the colleague's answer in that queue."""
    return svc.run(lambda e: e.complete_consult(conversation_id, operator_id=operator_id))


def do_cancel_consult(svc: RouterService, conversation_id: str, operator_id: str | None) -> list[Decision]:
    """Back to the customer without a transfer: by the introducing operator (a supervisor:
    None), or by the colleague who answered, declining (``operator_id`` theirs)."""
    return svc.run(lambda e: e.cancel_consult(conversation_id, operator_id=operator_id))


def do_reassign(svc: RouterService, conversation_id: str, by: str, *, to_queue: str | None = None,
                to_operator: str | None = None) -> list[Decision]:
    """A supervisor moves a contact nobody has answered yet to another queue or operator
    (``contact.reassigned`` names who did it)."""
    return svc.run(lambda e: e.reassign(conversation_id, to_queue=to_queue, to_operator=to_operator, by=by))


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
            key = "auto-" + ids.new_hex()
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


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """A sender's report on one attempt at one outbox message."""

    item_id: int
    delivered: bool
    error: str | None = None
    permanent: bool = False
    channel_message_id: str | None = None


def do_report_delivery(svc: RouterService, item_id: int, *, delivered: bool, error: str | None = None,
                       permanent: bool = False, channel_message_id: str | None = None) -> dict[str, Any]:
    """A sender's report on one attempt (see :func:`do_report_deliveries`)."""
    return do_report_deliveries(svc, [DeliveryReport(item_id, delivered, error, permanent, channel_message_id)])[0]


def do_report_deliveries(svc: RouterService, reports: Sequence[DeliveryReport],
                         answer: bool = True) -> list[dict[str, Any]]:
    """Senders' reports on attempts, one transaction for the lot. Delivered →
    ``message.delivered``; failed → due again after a growing delay, or, permanently or
    after the last attempt, ``message.failed``. A repeated report of a finished message
    changes nothing. Runs under the project's lock throughout, so two reports of one
    message log one outcome. The server reports each batch of deliveries together: one
    commit per message was a fifth of its CPU under load (bench/bench_web.py). ``answer``:
    read each row back for the caller (an outside adapter's report over the API)."""
    finals: list[tuple[DeliveryReport, str, str, str, str | None, str | None, int]] = []
    with svc.lock:
        with svc.sessions() as session:
            items = outbox.get_many(session, svc.project, [r.item_id for r in reports])
            missing = [r.item_id for r in reports if r.item_id not in items]
            if missing:
                raise NotFound("conversations.no_outbox_item", item=missing[0])
            convs = q.conversations_by_id(session, svc.project, {i.conversation_id for i in items.values()})
            now = svc.clock.now()
            for report in reports:
                item = items[report.item_id]
                if item.status != outbox.PENDING or any(f[0].item_id == report.item_id for f in finals):
                    continue
                attempt = max(1, item.attempts)
                if not (report.delivered or report.permanent or attempt >= outbox.MAX_ATTEMPTS):
                    item.last_error = (report.error or "")[:2000]
                    item.due_at_us = to_us(now + outbox.backoff_s(attempt))
                    continue
                conv = convs.get(item.conversation_id)
                finals.append((report, item.key, item.conversation_id, item.channel,
                               conv.operator_id if conv is not None else None,
                               conv.queue if conv is not None else None, attempt))
            session.commit()

        def data_of(report: DeliveryReport, key: str, attempt: int) -> dict[str, Any]:
            data: dict[str, Any] = {"message_id": key, "key": key, "attempt": attempt}
            if report.delivered:
                if report.channel_message_id:
                    data["channel_message_id"] = report.channel_message_id
            else:
                data.update(error=(report.error or "")[:2000], permanent=report.permanent)
            return data

        def command(engine: RoutingEngine) -> None:
            for report, key, conv_id, channel, operator_id, queue, attempt in finals:
                engine.note("message.delivered" if report.delivered else "message.failed", conv_id, operator_id,
                            channel=channel, queue=queue, **data_of(report, key, attempt))

        def finish(session: Session) -> None:
            rows = outbox.get_many(session, svc.project, [f[0].item_id for f in finals])
            for report, *_ in finals:
                row = rows[report.item_id]
                row.status = outbox.DELIVERED if report.delivered else outbox.FAILED
                row.done_at_us = to_us(now)
                if not report.delivered:
                    row.last_error = (report.error or "")[:2000]

        if finals:
            svc.run(command, also=finish)
        if not answer:  # the server's own delivery loop: nobody reads the rows back
            return []
        with svc.sessions() as session:
            done = outbox.get_many(session, svc.project, [r.item_id for r in reports])
            return [q.outbox_dict(done[r.item_id]) for r in reports]
