"""A customer's personal data: everything about them as one JSON document (export), and
erasure on request — their personal fields, every message text and the words of their
tasks and orders' attributes removed while the KPI events keep their numbers.

What the channels keep beside the messages goes too: the mails' senders, subjects and
bodies are blanked (the rows stay, so a reply still finds its thread and a re-fetched mail
is not taken again), and their attachments, the conversations' files (Telegram photos and
documents) and the calls' recordings are deleted — rows, bytes and audio files. Copies of
the customer's events waiting in (or kept by) the webhook delivery log are rewritten like
the events, so a replay sends the blanked event. The export lists all of it, files by
their metadata (the bytes stay behind the download routes).

Erasure is the one place where stored events are rewritten: the texts (and the author
names) of the customer's messages, notes and survey comments are blanked in their
events' data; the events themselves, their times and every figure stay, so reports over
the past do not move. The customer's record stays as an empty shell under the same id
(reports count distinct customers), without identities, so the next contact from that
number is a new customer. The erasure itself is an event (``customer.erased``) and an
audit entry — who, when — without any of the erased data.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from dozvon.accounts.actions import audit
from dozvon.acd.service import RouterService
from dozvon.channels.email.models import EmailAttachment, EmailMail
from dozvon.channels.telegram.models import ChannelFile
from dozvon.conversations import queries as conversation_queries
from dozvon.conversations.models import Conversation, Message, OutboxItem
from dozvon.core.clock import now_us
from dozvon.crm import flags, orders
from dozvon.crm.identity import WEB
from dozvon.crm.models import CustomerFlag, CustomerIdentity, Order
from dozvon.crm.queries import get_customer, identities_of
from dozvon.eventlog.models import EventRecord
from dozvon.eventlog.repository import as_dict as event_dict
from dozvon.integrations.models import WebhookDelivery, WebhookSubscription
from dozvon.quality.actions import erase_texts as erase_quality_texts
from dozvon.tasks.models import Task
from dozvon.tasks.queries import task_dict
from dozvon.voice.models import Recording
from dozvon.widget.models import Visitor as WidgetVisitor

#: Keys of event data that hold what a person wrote or is called.
PERSONAL_EVENT_KEYS = ("text", "author", "comment", "customer_name")
#: Event numbers per ``IN (…)`` list when their webhook deliveries are rewritten.
CHUNK = 500

log = logging.getLogger(__name__)


def _blank(data: dict[str, Any] | None) -> dict[str, Any]:
    """Blanked, not dropped: an event keeps its shape (docs/events.md)."""
    return {k: ("" if k in PERSONAL_EVENT_KEYS and v else v) for k, v in (data or {}).items()}


def _conversations_of(project: str, customer_id: str) -> Any:
    """The customer's conversations as a subquery (no id list grows past a parameter limit)."""
    return select(Conversation.id).where(Conversation.project == project, Conversation.customer_id == customer_id)


def export_customer(session: Session, actor: str, project: str, customer_id: str) -> dict[str, Any]:
    """Everything stored about the customer (audited: who exported whom)."""
    customer = get_customer(session, project, customer_id)
    identities = identities_of(session, project, [customer_id])[customer_id]
    conversations = list(session.scalars(select(Conversation).where(
        Conversation.project == project, Conversation.customer_id == customer_id).order_by(Conversation.created_at_us)))
    visitors = [i.value for i in identities if i.kind == WEB]
    kept = _kept_with_conversations(session, project, customer_id)
    audit(session, actor, "customer.exported", project, customer_id)
    return {
        "customer": {"id": customer.id, "name": customer.name, "segment": customer.segment or customer.auto_segment,
                     "attributes": customer.attributes, "created_at": customer.created_at_us / 1e6},
        "identities": [{"kind": i.kind, "value": i.value} for i in identities],
        "flags": [flags.flag_dict(f) for f in flags.history(session, project, customer_id)],
        "conversations": [{
            **conversation_queries.conversation_dict(c, None),
            "messages": [conversation_queries.message_dict(m)
                         for m in conversation_queries.messages(session, project, c.id)],
            "notes": conversation_queries.notes(session, project, c.id),
            "csat": (c.details or {}).get("csat"),
            **{part: rows.get(c.id, []) for part, rows in kept.items()}} for c in conversations],
        "orders": [orders.as_dict(o) for o in session.scalars(
            select(Order).where(Order.project == project, Order.customer_id == customer_id)
            .order_by(Order.placed_at_us))],
        "tasks": [task_dict(t, {}) for t in session.scalars(
            select(Task).where(Task.project == project, Task.customer_id == customer_id).order_by(Task.created_at_us))],
        "widget_visitors": [{"id": v.id, "name": v.name, "phone": v.phone, "email": v.email, "source": v.source,
                             "page": v.page} for v in _visitors(session, project, visitors)],
        "webhook_deliveries": _deliveries(session, project, customer_id),
    }


def _kept_with_conversations(session: Session, project: str, customer_id: str) -> dict[str, dict[str, list[Any]]]:
    """What the channels keep beside the messages, by conversation: mails (with their
    attachments' metadata), files and recordings — metadata, never the bytes."""
    convs = _conversations_of(project, customer_id)
    found: dict[str, dict[str, list[Any]]] = {"mails": {}, "files": {}, "recordings": {}}
    attachments: dict[int, list[dict[str, Any]]] = {}
    for a in session.execute(select(EmailAttachment.id, EmailAttachment.mail_id, EmailAttachment.filename,
                                    EmailAttachment.content_type, EmailAttachment.size, EmailAttachment.refused)
                             .where(EmailAttachment.project == project, EmailAttachment.conversation_id.in_(convs))
                             .order_by(EmailAttachment.id)):
        attachments.setdefault(a.mail_id, []).append({
            "id": a.id, "filename": a.filename, "content_type": a.content_type, "size": a.size,
            "kept": not a.refused, "refused": a.refused or None})
    for m in session.scalars(select(EmailMail).where(EmailMail.project == project,
                                                     EmailMail.conversation_id.in_(convs)).order_by(EmailMail.id)):
        found["mails"].setdefault(m.conversation_id, []).append({
            "id": m.id, "mail_id": m.mail_id, "from": {"name": m.from_name, "address": m.from_address},
            "recipients": m.recipients, "subject": m.subject,
            "sent_at": m.sent_at_us / 1e6 if m.sent_at_us else None, "received_at": m.received_at_us / 1e6,
            "text": m.text, "html": m.html, "attachments": attachments.get(m.id, [])})
    for f in session.execute(select(ChannelFile.id, ChannelFile.conversation_id, ChannelFile.message_id,
                                    ChannelFile.channel, ChannelFile.direction, ChannelFile.name,
                                    ChannelFile.content_type, ChannelFile.size, ChannelFile.kind,
                                    ChannelFile.created_at_us)
                             .where(ChannelFile.project == project, ChannelFile.conversation_id.in_(convs))
                             .order_by(ChannelFile.id)):
        found["files"].setdefault(f.conversation_id, []).append({
            "id": f.id, "message_id": f.message_id, "channel": f.channel, "direction": f.direction, "name": f.name,
            "content_type": f.content_type, "size": f.size, "kind": f.kind, "created_at": f.created_at_us / 1e6})
    for r in session.scalars(select(Recording).where(Recording.project == project,
                                                     Recording.conversation_id.in_(convs)).order_by(Recording.id)):
        found["recordings"].setdefault(r.conversation_id, []).append({
            "id": r.id, "kind": r.kind, "duration_s": r.duration_s, "size": r.size_bytes,
            "created_at": r.created_at_us / 1e6, "delete_after": r.delete_after_us / 1e6})
    return found


def _deliveries(session: Session, project: str, customer_id: str) -> list[dict[str, Any]]:
    """Which of the customer's events went (or are going) to which outside system."""
    seqs = select(EventRecord.seq).where(EventRecord.project == project, or_(
        EventRecord.contact_id.in_(_conversations_of(project, customer_id)), EventRecord.customer_id == customer_id))
    rows = session.execute(select(WebhookDelivery, WebhookSubscription.url)
                           .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
                           .where(WebhookDelivery.project == project, WebhookDelivery.event_seq.in_(seqs))
                           .order_by(WebhookDelivery.id))
    return [{"id": d.id, "webhook_id": d.subscription_id, "url": url, "delivery_id": d.key,
             "event_type": d.event_type, "event_seq": d.event_seq, "status": d.status,
             "created_at": d.created_at_us / 1e6} for d, url in rows]


def _visitors(session: Session, project: str, ids: list[str]) -> list[WidgetVisitor]:
    if not ids:
        return []
    return list(session.scalars(select(WidgetVisitor).where(WidgetVisitor.project == project,
                                                            WidgetVisitor.id.in_(ids))))


def do_erase_customer(svc: RouterService, actor: str, customer_id: str, *, data_dir: Path) -> dict[str, int]:
    """Erase the customer's personal data (see the module's note). Returns what was erased.
    ``data_dir`` is where the recordings' audio files are (the server's data directory):
    they are deleted once the erasure has committed."""
    project = svc.project
    counts: dict[str, int] = {}
    audio: list[str] = []

    def erase(session: Session) -> None:
        customer = get_customer(session, project, customer_id)
        identities = identities_of(session, project, [customer_id])[customer_id]
        visitors = [i.value for i in identities if i.kind == WEB]
        conv_ids = list(session.scalars(_conversations_of(project, customer_id)))
        if conv_ids:
            counts["messages"] = session.execute(
                update(Message).where(Message.project == project, Message.conversation_id.in_(conv_ids))
                .values(text="", author="")).rowcount or 0  # type: ignore[attr-defined]
            for item in session.scalars(select(OutboxItem).where(OutboxItem.project == project,
                                                                 OutboxItem.conversation_id.in_(conv_ids))):
                item.payload = _blank(item.payload)
            for conv in session.scalars(select(Conversation).where(Conversation.id.in_(conv_ids))):
                conv.customer_name, conv.subject = "", ""
                conv.details = {k: v for k, v in (conv.details or {}).items() if k != "customer_ref"}
            counts["quality"] = erase_quality_texts(session, project, conv_ids)  # quotes in check evidence
        counts.update(_erase_events(session, project, customer_id))
        counts.update(_erase_kept(session, project, customer_id, audio))
        counts["conversations"] = len(conv_ids)
        if visitors:
            session.execute(update(WidgetVisitor).where(WidgetVisitor.project == project,
                                                        WidgetVisitor.id.in_(visitors))
                            .values(name="", phone="", email="", page=""))
        # Orders keep their numbers and amounts (the shop's figures); what may describe the
        # person (a delivery address, a recipient) goes. Tasks keep their times, not their words.
        counts["orders"] = session.execute(
            update(Order).where(Order.project == project, Order.customer_id == customer_id)
            .values(attributes={})).rowcount or 0  # type: ignore[attr-defined]
        counts["tasks"] = session.execute(
            update(Task).where(Task.project == project, Task.customer_id == customer_id)
            .values(title="—", note="", outcome="")).rowcount or 0  # type: ignore[attr-defined]
        counts["identities"] = len(identities)
        session.execute(delete(CustomerIdentity).where(CustomerIdentity.project == project,
                                                       CustomerIdentity.customer_id == customer_id))
        session.execute(delete(CustomerFlag).where(CustomerFlag.project == project,
                                                   CustomerFlag.customer_id == customer_id))
        customer.name, customer.search_name, customer.attributes = "", "", {"erased": True}
        customer.updated_at_us = now_us()
        audit(session, actor, "customer.erased", project, customer_id, **counts)

    svc.run(lambda e: e.note("customer.erased", None, customer_id=customer_id, by=actor), before=erase)
    left = _delete_files(data_dir, audio)
    if left:
        counts["recording_files_left"] = left
    return counts


def _erase_events(session: Session, project: str, customer_id: str) -> dict[str, int]:
    """Blank the personal keys of the customer's events, and of the copies of those events
    in the webhook delivery log (a delivery still pending, or replayed, sends the blank)."""
    rewritten: dict[int, EventRecord] = {}
    for event in session.scalars(select(EventRecord).where(EventRecord.project == project, or_(
            EventRecord.contact_id.in_(_conversations_of(project, customer_id)),
            EventRecord.customer_id == customer_id))):
        if any((event.data or {}).get(key) for key in PERSONAL_EVENT_KEYS):
            event.data = _blank(event.data)
            rewritten[event.seq] = event
    deliveries = 0
    seqs = sorted(rewritten)
    for start in range(0, len(seqs), CHUNK):
        for delivery in session.scalars(select(WebhookDelivery).where(
                WebhookDelivery.project == project, WebhookDelivery.event_seq.in_(seqs[start:start + CHUNK]))):
            blanked = rewritten.get(delivery.event_seq or 0)
            if blanked is not None:
                delivery.payload = {**delivery.payload, "event": event_dict(blanked)}
                deliveries += 1
    return {"events": len(rewritten), "webhook_deliveries": deliveries}


def _erase_kept(session: Session, project: str, customer_id: str, audio: list[str]) -> dict[str, int]:
    """Mails blanked (their rows keep the threading ids), attachments, files and recordings
    deleted; the recordings' audio paths are added to ``audio`` for after the commit."""
    convs = _conversations_of(project, customer_id)
    mails = session.execute(
        update(EmailMail).where(EmailMail.project == project, EmailMail.conversation_id.in_(convs))
        .values(from_address="", from_name="", recipients=[], subject="", text="", html="", html_with_images="",
                notes={}).execution_options(synchronize_session=False)).rowcount or 0  # type: ignore[attr-defined]
    attachments = session.execute(
        delete(EmailAttachment).where(EmailAttachment.project == project, EmailAttachment.conversation_id.in_(convs))
        .execution_options(synchronize_session=False)).rowcount or 0  # type: ignore[attr-defined]
    files = session.execute(
        delete(ChannelFile).where(ChannelFile.project == project, ChannelFile.conversation_id.in_(convs))
        .execution_options(synchronize_session=False)).rowcount or 0  # type: ignore[attr-defined]
    recordings = list(session.scalars(select(Recording).where(Recording.project == project,
                                                              Recording.conversation_id.in_(convs))))
    for row in recordings:
        audio.append(row.path)
        session.delete(row)
    session.flush()
    return {"mails": mails, "attachments": attachments, "files": files, "recordings": len(recordings)}


def _delete_files(data_dir: Path, paths: Sequence[str]) -> int:
    """Delete the erased recordings' audio files; returns how many could not be (logged:
    an administrator removes them by hand — their rows are already gone)."""
    root = data_dir.resolve()
    left = 0
    for path in paths:
        target = (root / path).resolve()
        if root not in target.parents:  # never outside the data directory, whatever a row says
            continue
        try:
            target.unlink(missing_ok=True)
        except OSError as error:
            left += 1
            log.error("erasure: recording %s not deleted: %r", target, error)
    return left
