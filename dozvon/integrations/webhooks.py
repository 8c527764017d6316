"""Every write and read of outbound webhooks: subscriptions (create, change, new secret,
delete — audited, never with the secret), turning the event log into deliveries, taking
due deliveries for an attempt, recording attempts, replaying one.

Actions take the caller's open transaction and never commit. Reads start from
:func:`readable_subscriptions` / :func:`readable_deliveries`, limited to one project.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Select, func, select, update
from sqlalchemy import delete as delete_rows
from sqlalchemy.orm import Session

from dozvon.accounts.actions import audit
from dozvon.accounts.queries import get_project
from dozvon.channels import secrets as sealed
from dozvon.core import ids
from dozvon.core.errors import Conflict, InvalidInput, NotFound
from dozvon.eventlog import repository as eventlog
from dozvon.eventlog.catalogue import REGISTRY
from dozvon.eventlog.models import EventRecord
from dozvon.integrations.models import WebhookAttempt, WebhookDelivery, WebhookSubscription

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
STATUSES = (PENDING, DELIVERED, FAILED)
#: The type of the test delivery a person asks for (not an event of the log).
PING = "webhook.ping"
URL_LIMIT, EVENTS_LIMIT, DESCRIPTION_LIMIT = 2000, 100, 500
RESPONSE_LIMIT, ERROR_LIMIT = 500, 1000


# --------------------------------------------------------------------------- subscriptions

def readable_subscriptions(project: str) -> Select[WebhookSubscription]:
    return select(WebhookSubscription).where(WebhookSubscription.project == project)


def readable_deliveries(project: str) -> Select[WebhookDelivery]:
    return select(WebhookDelivery).where(WebhookDelivery.project == project)


def get_subscription(session: Session, project: str, webhook_id: int) -> WebhookSubscription:
    found = session.scalar(readable_subscriptions(project).where(WebhookSubscription.id == webhook_id))
    if found is None:
        raise NotFound("webhooks.no_webhook", id=webhook_id)
    return found


def subscriptions(session: Session, project: str) -> list[WebhookSubscription]:
    return list(session.scalars(readable_subscriptions(project).order_by(WebhookSubscription.id)))


def check_url(url: str) -> str:
    """An http(s) address with a host, or an error naming the field."""
    given = url.strip()
    parts = urlsplit(given)
    if len(given) > URL_LIMIT or parts.scheme not in ("http", "https") or not parts.hostname or any(
            c.isspace() for c in given):
        raise InvalidInput("webhooks.bad_url", field="url", value=url[:200])
    return given


def check_events(events: Sequence[str]) -> list[str]:
    """Known event types, families (``message.*``) or ``*``; each wrong one named."""
    if not events:
        raise InvalidInput("webhooks.no_events", field="events")
    if len(events) > EVENTS_LIMIT:
        raise InvalidInput("webhooks.too_many_events", field="events", limit=EVENTS_LIMIT)
    families = {t.split(".")[0] for t in REGISTRY}
    for i, pattern in enumerate(events):
        known = pattern == "*" or pattern in REGISTRY or (
            pattern.endswith(".*") and pattern[:-2] in families)
        if not known:
            raise InvalidInput("webhooks.bad_event", field=f"events.{i}", value=pattern,
                               families=", ".join(sorted(f + ".*" for f in families)))
    return list(dict.fromkeys(events))


def matches(patterns: Sequence[str], event_type: str) -> bool:
    return any(p == "*" or p == event_type or (p.endswith(".*") and event_type.startswith(p[:-1]))
               for p in patterns)


def last_seq(session: Session, project: str) -> int:
    """The project's last event: a new or re-enabled subscription starts after it."""
    return int(session.scalar(select(func.max(EventRecord.seq)).where(EventRecord.project == project)) or 0)


def _us() -> int:
    from dozvon.core.clock import now_us

    return now_us()


def create(session: Session, actor: str, project: str, *, url: str, events: Sequence[str], description: str = "",
           enabled: bool = True) -> tuple[WebhookSubscription, str]:
    """Subscribe a URL to event types; returns it and its signing secret (shown this once).
    Events from now on are delivered, not the log's past."""
    get_project(session, project)
    checked_url, checked_events = check_url(url), check_events(events)
    if len(description) > DESCRIPTION_LIMIT:
        raise InvalidInput("webhooks.too_long", field="description", limit=DESCRIPTION_LIMIT)
    secret, now = "whsec_" + secrets.token_urlsafe(32), _us()
    made = WebhookSubscription(project=project, url=checked_url, events=checked_events, description=description,
                               secret=sealed.seal(secret), enabled=enabled, after_seq=last_seq(session, project),
                               created_by=actor, created_at_us=now, updated_at_us=now)
    session.add(made)
    session.flush()
    audit(session, actor, "webhook.created", project, str(made.id), url=checked_url, events=checked_events)
    return made, secret


def change(session: Session, actor: str, project: str, webhook_id: int, *, url: str | None = None,
           events: Sequence[str] | None = None, description: str | None = None,
           enabled: bool | None = None) -> WebhookSubscription:
    """Change what is given. Switched back on, it starts from the log's present: what
    happened while it was off is not sent."""
    sub = get_subscription(session, project, webhook_id)
    changed: dict[str, Any] = {}
    if url is not None and check_url(url) != sub.url:
        sub.url = changed["url"] = check_url(url)
    if events is not None and check_events(events) != sub.events:
        sub.events = changed["events"] = check_events(events)
    if description is not None and description != sub.description:
        if len(description) > DESCRIPTION_LIMIT:
            raise InvalidInput("webhooks.too_long", field="description", limit=DESCRIPTION_LIMIT)
        sub.description = changed["description"] = description
    if enabled is not None and enabled != sub.enabled:
        sub.enabled = changed["enabled"] = enabled
        if enabled:
            sub.after_seq = last_seq(session, project)
    if changed:
        sub.updated_at_us = _us()
        audit(session, actor, "webhook.changed", project, str(sub.id), **changed)
    return sub


def new_secret(session: Session, actor: str, project: str, webhook_id: int) -> str:
    """A new signing secret; deliveries from now on are signed with it (shown this once)."""
    sub = get_subscription(session, project, webhook_id)
    secret = "whsec_" + secrets.token_urlsafe(32)
    sub.secret, sub.updated_at_us = sealed.seal(secret), _us()
    audit(session, actor, "webhook.secret_renewed", project, str(sub.id))
    return secret


def delete(session: Session, actor: str, project: str, webhook_id: int) -> None:
    """Remove the subscription with its deliveries and their log."""
    sub = get_subscription(session, project, webhook_id)
    session.delete(sub)
    audit(session, actor, "webhook.deleted", project, str(webhook_id), url=sub.url)


def counts(session: Session, project: str, webhook_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Deliveries by status of each subscription, in one query."""
    found: dict[int, dict[str, int]] = {i: dict.fromkeys(STATUSES, 0) for i in webhook_ids}
    if webhook_ids:
        rows = session.execute(select(WebhookDelivery.subscription_id, WebhookDelivery.status, func.count())
                               .where(WebhookDelivery.project == project,
                                      WebhookDelivery.subscription_id.in_(list(webhook_ids)))
                               .group_by(WebhookDelivery.subscription_id, WebhookDelivery.status))
        for sub_id, status, n in rows:
            found[sub_id][status] = n
    return found


def as_dict(sub: WebhookSubscription, by_status: dict[str, int] | None = None) -> dict[str, Any]:
    """A subscription as the API and the admin page show it (never the secret)."""
    return {"id": sub.id, "url": sub.url, "events": sub.events, "description": sub.description,
            "enabled": sub.enabled, "created_by": sub.created_by, "created_at": sub.created_at_us / 1e6,
            "updated_at": sub.updated_at_us / 1e6, "deliveries": by_status or dict.fromkeys(STATUSES, 0)}


# --------------------------------------------------------------------------- the log

def attempt_dict(a: WebhookAttempt) -> dict[str, Any]:
    return {"number": a.number, "at": a.at_us / 1e6, "duration_ms": a.duration_ms, "status_code": a.status_code,
            "response": a.response, "error": a.error or None}


def delivery_dict(d: WebhookDelivery, attempts: list[WebhookAttempt] | None = None) -> dict[str, Any]:
    """One delivery for the log: where it stands, its last answer, when it is tried next,
    and (when given) every attempt."""
    found: dict[str, Any] = {
        "id": d.id, "webhook_id": d.subscription_id, "delivery_id": d.key, "event_type": d.event_type,
        "event_seq": d.event_seq, "status": d.status, "attempts": d.attempts, "created_at": d.created_at_us / 1e6,
        "next_attempt_at": d.due_at_us / 1e6 if d.status == PENDING else None,
        "finished_at": d.finished_at_us / 1e6 if d.finished_at_us else None,
        "last_status_code": d.last_status_code, "last_error": d.last_error or None}
    if attempts is not None:
        found["attempt_log"] = [attempt_dict(a) for a in attempts]
    return found


def deliveries(session: Session, project: str, webhook_id: int, *, status: str | None = None,
               before: int | None = None, limit: int = 50) -> list[WebhookDelivery]:
    """A subscription's deliveries, newest first; page on with ``before`` = the last id."""
    get_subscription(session, project, webhook_id)
    stmt = readable_deliveries(project).where(WebhookDelivery.subscription_id == webhook_id)
    if status is not None:
        if status not in STATUSES:
            raise InvalidInput("webhooks.bad_status", field="status", value=status, allowed=", ".join(STATUSES))
        stmt = stmt.where(WebhookDelivery.status == status)
    if before is not None:
        stmt = stmt.where(WebhookDelivery.id < before)
    return list(session.scalars(stmt.order_by(WebhookDelivery.id.desc()).limit(limit)))


def attempts_of(session: Session, delivery_ids: Sequence[int]) -> dict[int, list[WebhookAttempt]]:
    found: dict[int, list[WebhookAttempt]] = {i: [] for i in delivery_ids}
    if delivery_ids:
        for a in session.scalars(select(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(list(delivery_ids)))
                                 .order_by(WebhookAttempt.delivery_id, WebhookAttempt.id)):
            found[a.delivery_id].append(a)
    return found


def get_delivery(session: Session, project: str, webhook_id: int, delivery_id: int) -> WebhookDelivery:
    found = session.scalar(readable_deliveries(project).where(WebhookDelivery.subscription_id == webhook_id,
                                                              WebhookDelivery.id == delivery_id))
    if found is None:
        raise NotFound("webhooks.no_delivery", id=delivery_id)
    return found


def replay(session: Session, actor: str, project: str, webhook_id: int, delivery_id: int,
           now_us: int) -> WebhookDelivery:
    """Send a delivery again, now, with a fresh round of attempts and the same
    ``X-Dozvon-Delivery`` (a receiver that has it already drops it)."""
    delivery = get_delivery(session, project, webhook_id, delivery_id)
    if delivery.status == PENDING:
        raise Conflict("webhooks.already_pending", id=delivery_id)
    delivery.status, delivery.attempts, delivery.due_at_us, delivery.finished_at_us = PENDING, 0, now_us, None
    audit(session, actor, "webhook.replayed", project, str(webhook_id), delivery=delivery.key)
    return delivery


# --------------------------------------------------------------------------- producing

def envelope(key: str, project: str, event_type: str, event: dict[str, Any]) -> dict[str, Any]:
    """The JSON body a receiver gets: the delivery's id, the event's type and project, and
    the event as ``GET …/events`` gives it."""
    return {"id": key, "type": event_type, "project": project, "event": event}


def produce(session: Session, now_us: int, limit: int = 500) -> tuple[int, set[str], bool]:
    """Turn the log's new events into deliveries for every enabled subscription, moving
    each one's cursor in the same transaction (so each event becomes one delivery per
    subscription, once). Returns how many were made, the projects watched, and whether
    more events are waiting."""
    subs = list(session.scalars(select(WebhookSubscription).where(WebhookSubscription.enabled.is_(True))
                                .order_by(WebhookSubscription.project, WebhookSubscription.id)))
    by_project: dict[str, list[WebhookSubscription]] = {}
    for sub in subs:
        by_project.setdefault(sub.project, []).append(sub)
    made, more = 0, False
    for project, group in by_project.items():
        records = eventlog.list_events(session, project, after_seq=min(s.after_seq for s in group), limit=limit)
        if not records:
            continue
        more = more or len(records) == limit
        rows = []
        for sub in group:
            for record in records:
                if record.seq > sub.after_seq and matches(sub.events, record.type):
                    key = ids.new_hex()
                    rows.append(WebhookDelivery(
                        project=project, subscription_id=sub.id, key=key, event_seq=record.seq,
                        event_type=record.type, status=PENDING, attempts=0, due_at_us=now_us, created_at_us=now_us,
                        payload=envelope(key, project, record.type, eventlog.as_dict(record)), last_error=""))
            sub.after_seq = max(sub.after_seq, records[-1].seq)
        session.add_all(rows)
        made += len(rows)
    session.flush()
    return made, set(by_project), more


def ping(session: Session, actor: str, project: str, webhook_id: int, now_us: int, lease_s: float) -> WebhookDelivery:
    """A test delivery, taken for its one attempt at once (the caller sends it)."""
    sub = get_subscription(session, project, webhook_id)
    key = ids.new_hex()
    delivery = WebhookDelivery(project=project, subscription_id=sub.id, key=key, event_seq=None, event_type=PING,
                               status=PENDING, attempts=1, due_at_us=now_us + round(lease_s * 1e6),
                               created_at_us=now_us, last_error="",
                               payload=envelope(key, project, PING, {"type": PING, "at": now_us / 1e6,
                                                                      "data": {"by": actor}}))
    session.add(delivery)
    session.flush()
    return delivery


# --------------------------------------------------------------------------- sending

@dataclass(frozen=True)
class Outgoing:
    """One attempt at one delivery, as the sender needs it (secret in clear, body as sent)."""

    delivery_id: int
    key: str
    project: str
    url: str
    secret: str
    event_type: str
    body: bytes
    attempt: int


@dataclass(frozen=True)
class Outcome:
    delivery_id: int
    attempt: int
    at_us: int
    duration_ms: int
    status_code: int | None
    response: str
    error: str

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def body_of(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def outgoing(delivery: WebhookDelivery, sub: WebhookSubscription) -> Outgoing:
    return Outgoing(delivery.id, delivery.key, delivery.project, sub.url, sealed.unseal(sub.secret),
                    delivery.event_type, body_of(delivery.payload), delivery.attempts)


def take_due(session: Session, now_us: int, lease_s: float, limit: int) -> list[Outgoing]:
    """Take up to ``limit`` due deliveries of enabled subscriptions for one attempt each:
    the attempt is counted and the row leased, so a sender that dies leaves it to come
    due again (at least once)."""
    if limit <= 0:
        return []
    stmt = (select(WebhookDelivery, WebhookSubscription)
            .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
            .where(WebhookDelivery.status == PENDING, WebhookDelivery.due_at_us <= now_us,
                   WebhookSubscription.enabled.is_(True))
            .order_by(WebhookDelivery.due_at_us, WebhookDelivery.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True, of=WebhookDelivery)  # two senders never take one row
    taken = []
    for delivery, sub in session.execute(stmt).all():
        delivery.attempts += 1
        delivery.due_at_us = now_us + round(lease_s * 1e6)
        taken.append(outgoing(delivery, sub))
    return taken


def release(session: Session, delivery_ids: Sequence[int], now_us: int) -> None:
    """Attempts cut short (the server stopping): due again now, their attempt not counted."""
    if delivery_ids:
        session.execute(update(WebhookDelivery).where(WebhookDelivery.id.in_(list(delivery_ids)),
                                                      WebhookDelivery.status == PENDING)
                        .values(due_at_us=now_us, attempts=WebhookDelivery.attempts - 1))


def prune(session: Session, before_us: int, limit: int = 1000) -> int:
    """Forget finished deliveries (and their attempts) older than ``before_us``, a batch at
    a time: the log keeps what an admin looks into, not every event of years."""
    old = list(session.scalars(select(WebhookDelivery.id).where(
        WebhookDelivery.status != PENDING, WebhookDelivery.finished_at_us < before_us).limit(limit)))
    if old:
        session.execute(delete_rows(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(old)))
        session.execute(delete_rows(WebhookDelivery).where(WebhookDelivery.id.in_(old)))
    return len(old)


def next_due_us(session: Session) -> int | None:
    return session.scalar(select(WebhookDelivery.due_at_us).join(
        WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .where(WebhookDelivery.status == PENDING, WebhookSubscription.enabled.is_(True))
        .order_by(WebhookDelivery.due_at_us).limit(1))


def backoff_s(attempts: int, base_s: float, max_s: float) -> float:
    """The wait after the n-th failed attempt: base, 2×base, 4×base … at most ``max_s``."""
    return float(min(max_s, base_s * 2.0 ** max(0, attempts - 1)))


def record(session: Session, outcomes: Sequence[Outcome], now_us: int, *, max_attempts: int, base_s: float,
           max_s: float) -> None:
    """Each attempt in the log, and its delivery done, failed for good, or due again later."""
    found = {d.id: d for d in session.scalars(select(WebhookDelivery).where(
        WebhookDelivery.id.in_([o.delivery_id for o in outcomes])))}
    for o in outcomes:
        delivery = found.get(o.delivery_id)
        if delivery is None:  # its subscription was deleted meanwhile
            continue
        session.add(WebhookAttempt(delivery_id=o.delivery_id, number=o.attempt, at_us=o.at_us,
                                   duration_ms=o.duration_ms, status_code=o.status_code,
                                   response=o.response[:RESPONSE_LIMIT], error=o.error[:ERROR_LIMIT]))
        if delivery.status != PENDING or delivery.attempts != o.attempt:
            continue  # replayed or finished meanwhile: the newer round decides
        delivery.last_status_code, delivery.last_error = o.status_code, o.error[:ERROR_LIMIT]
        if o.ok:
            delivery.status, delivery.finished_at_us = DELIVERED, now_us
        elif delivery.attempts >= max_attempts:
            delivery.status, delivery.finished_at_us = FAILED, now_us
        else:
            delivery.due_at_us = now_us + round(backoff_s(delivery.attempts, base_s, max_s) * 1e6)
