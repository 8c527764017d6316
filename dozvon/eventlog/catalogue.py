"""The event catalogue as code: one typed class per event type, in :data:`REGISTRY`.

docs/events.md says in prose what each event means; this module is the same contract in a
form a program checks. Each class names its ``type``, its ``version``, and the fields of its
``data`` with their Python types: a field without a default is required (``str | None``
without a default: always present, may be null); a field with a default may be left out.
:func:`parse` checks one event's data strictly — unknown type, missing field, unknown
field, wrong type — so a renamed key or a new value in an emitter fails a test instead of
quietly changing a KPI (tests/routing/test_event_contract.py drives the engine through a
busy day and parses every event it emits; tests/test_docs.py keeps this module and
docs/events.md in step).

Small frozen dataclasses with slots, checked by precomputed per-field tests rather than a
validation library: ``parse`` is a dictionary walk and a few ``isinstance`` calls.

Only the standard library and :mod:`dozvon.core` are imported here, so that anything —
the server, the simulator, an importer, a test — can use the catalogue without pulling in
web or database code.

A data key that is a Python keyword (``from``, ``while``) is declared as the keyword with
a trailing underscore (``from_``, ``while_``).
"""

from __future__ import annotations

import dataclasses
import keyword
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Protocol, TypeVar

from dozvon.core.errors import InvalidInput

__all__ = [
    "REGISTRY",
    "Event",
    "EventLike",
    "allowed_values",
    "data_keys",
    "parse",
    "parse_event",
    "version_of",
]

_E = TypeVar("_E", bound="Event")


@dataclass(frozen=True, slots=True)
class _Field:
    key: str                          # the key in ``data``
    attr: str                         # the attribute of the class
    required: bool                    # must be present in ``data``
    nullable: bool                    # may be null
    check: Callable[[object], bool]   # for a value that is not null
    expected: str                     # for the error message
    values: frozenset[str] | None     # a closed set of values (a Literal), or None


#: Every event type: ``type`` string → its class (leaf classes only).
REGISTRY: dict[str, type[Event]] = {}
_FIELDS: dict[str, dict[str, _Field]] = {}
_REQUIRED: dict[str, tuple[str, ...]] = {}


@typing.dataclass_transform(frozen_default=True, kw_only_default=True)
def _event(cls: type[_E]) -> type[_E]:
    """Make ``cls`` a frozen, slotted, keyword-only dataclass; register it if it names a type."""
    made = dataclass(frozen=True, slots=True, kw_only=True)(cls)
    if "type" in cls.__dict__:
        if made.type in REGISTRY:
            raise RuntimeError(f"event type {made.type!r} declared twice")
        fields = _compile(made)
        REGISTRY[made.type] = made
        _FIELDS[made.type] = {f.key: f for f in fields}
        _REQUIRED[made.type] = tuple(f.key for f in fields if f.required)
    return made


def _compile(cls: type[Event]) -> list[_Field]:
    hints = typing.get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        key = f.name[:-1] if f.name.endswith("_") and keyword.iskeyword(f.name[:-1]) else f.name
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        out.append(_Field(key, f.name, required, *_checker(hints[f.name])))
    return out


def _checker(hint: Any) -> tuple[bool, Callable[[object], bool], str, frozenset[str] | None]:
    """For one declared type: whether null is allowed, a test of a value, what it expects
    (in words), and its closed set of values (a ``Literal``; None: any value of the type)."""
    nullable = False
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        nullable = len(args) < len(typing.get_args(hint))
        if len(args) != 1:
            raise TypeError(f"event fields take one type (or it | None), not {hint!r}")
        hint = args[0]
    origin = typing.get_origin(hint)
    if hint is str:
        return nullable, (lambda v: isinstance(v, str)), "a string", None
    if hint is bool:
        return nullable, (lambda v: v is True or v is False), "true or false", None
    if hint is int:
        return nullable, (lambda v: isinstance(v, int) and not isinstance(v, bool)), "a whole number", None
    if hint is float:
        return nullable, (lambda v: isinstance(v, int | float) and not isinstance(v, bool)), "a number", None
    if origin is Literal:
        allowed = frozenset(typing.get_args(hint))
        words = ", ".join(sorted(allowed))
        return nullable, (lambda v: isinstance(v, str) and v in allowed), f"one of {words}", allowed
    if origin is list and typing.get_args(hint) == (str,):
        return (nullable, (lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v)),
                "a list of strings", None)
    if origin is dict and typing.get_args(hint)[0] is str:
        return nullable, (lambda v: isinstance(v, dict) and all(isinstance(k, str) for k in v)), "an object", None
    raise TypeError(f"unsupported event field type {hint!r}")


@_event
class Event:
    """Base of every event type: what all of them may carry in ``data``."""

    #: The event's ``type`` (set by each registered class).
    type: ClassVar[str]
    #: Bumped when the meaning or the data of this type changes (docs/events.md, "Versions").
    version: ClassVar[int] = 1
    #: Common fields (besides ``seq``, ``type``, ``at``) an event of this type always has set.
    needs: ClassVar[tuple[str, ...]] = ()
    #: Whether the operator named in the event (``operator_id``) receives it on their
    #: socket; the project's supervisors receive every event (dozvon/eventlog/recipients.py).
    operator_receives: ClassVar[bool] = True

    #: Where an imported event came from (``asterisk_queue_log``); absent on live events.
    source: str | None = None

    def to_data(self) -> dict[str, Any]:
        """The ``data`` dictionary of this event (optional fields left out when unset)."""
        out: dict[str, Any] = {}
        for f in _FIELDS[self.type].values():
            value = getattr(self, f.attr)
            if f.required or value is not None:
                out[f.key] = value
        return out


class EventLike(Protocol):
    """What :func:`parse_event` reads: a RoutingEvent or a stored EventRecord both fit."""

    @property
    def type(self) -> str: ...
    @property
    def contact_id(self) -> str | None: ...
    @property
    def operator_id(self) -> str | None: ...
    @property
    def queue(self) -> str | None: ...
    @property
    def data(self) -> Mapping[str, Any]: ...


def parse(type_: str, data: Mapping[str, Any], *, version: int | None = None) -> Event:
    """The typed event for ``type_`` with ``data``, checked strictly.

    Raises :class:`~dozvon.core.errors.InvalidInput` on an unknown type, a version other
    than the type's current one (when ``version`` is given), an unknown field, a missing
    required field, or a value of the wrong type (null only where the type allows it).
    """
    cls = REGISTRY.get(type_)
    if cls is None:
        raise InvalidInput("events.unknown_type", type=type_)
    if version is not None and version != cls.version:
        raise InvalidInput("events.bad_version", type=type_, version=version, current=cls.version)
    fields = _FIELDS[type_]
    values: dict[str, Any] = {}
    for key, value in data.items():
        f = fields.get(key)
        if f is None:
            raise InvalidInput("events.unknown_field", type=type_, field=key,
                               allowed=", ".join(fields) or "—")
        if value is None:
            if not f.nullable:
                raise InvalidInput("events.wrong_type", type=type_, field=key, expected=f.expected,
                                   value=value)
        elif not f.check(value):
            raise InvalidInput("events.wrong_type", type=type_, field=key, expected=f.expected, value=value)
        values[f.attr] = value
    for key in _REQUIRED[type_]:
        if key not in data:
            raise InvalidInput("events.missing_field", type=type_, field=key)
    return cls(**values)


def parse_event(event: EventLike, *, version: int | None = None) -> Event:
    """:func:`parse` of ``event.data``, and a check that the common fields its type always
    has (``contact_id``, ``operator_id``, ``queue``: the class's ``needs``) are set."""
    parsed = parse(event.type, event.data, version=version)
    for name in parsed.needs:
        if not getattr(event, name):
            raise InvalidInput("events.missing_field", type=event.type, field=name)
    return parsed


def version_of(type_: str) -> int:
    """The current version of an event type (1 for a type the catalogue does not know)."""
    cls = REGISTRY.get(type_)
    return cls.version if cls is not None else 1


def data_keys(type_: str) -> tuple[str, ...]:
    """The keys an event of this type may have in ``data``, in declaration order."""
    return tuple(_FIELDS[type_])


def allowed_values(type_: str, key: str) -> frozenset[str] | None:
    """The closed set of values of one data field (``contact.closed`` → ``outcome``), or
    None where any value of its type is allowed."""
    return _FIELDS[type_][key].values


# ---------------------------------------------------------------------------- contacts

_CONTACT = ("contact_id", "queue")
_OFFER = ("contact_id", "operator_id", "queue")


@_event
class ContactArrived(Event):
    """An inbound contact reached the engine (it was stored before this)."""

    type = "contact.arrived"
    needs = _CONTACT
    #: Effective priority (contact + queue + segment).
    priority: int
    customer_id: str | None = None
    segment: str | None = None
    language: str | None = None
    flags: list[str] | None = None


@_event
class ContactQueued(Event):
    """The contact entered a queue — the start of *offered*."""

    type = "contact.queued"
    needs = _CONTACT
    reason: Literal["arrival", "overflow", "transfer", "escalation", "reassign", "consult"]
    priority: int
    #: The queue's service-level target at that moment (absent on imported history).
    target_answer_s: float | None = None
    #: Waiting for the operator who served the customer last.
    sticky_operator: str | None = None
    #: A transfer to a named operator.
    directed_to: str | None = None


@_event
class ContactStickyExpired(Event):
    """The sticky wait ran out; the queue's strategy takes over."""

    type = "contact.sticky_expired"
    needs = _CONTACT


@_event
class ContactOverflowed(Event):
    """The contact left ``queue`` for another."""

    type = "contact.overflowed"
    needs = _CONTACT
    reason: Literal["max_wait", "queue_full", "closed"]
    to_queue: str


@_event
class ContactReassigned(Event):
    """A supervisor moved the contact before anyone answered it: to another queue or to a
    named operator (exactly one is set); ``queue`` is the one it left."""

    type = "contact.reassigned"
    needs = _CONTACT
    to_queue: str | None = None
    to_operator: str | None = None
    #: Who moved it (a username).
    by: str | None = None


@_event
class ContactAnswered(Event):
    """An operator accepted the contact."""

    type = "contact.answered"
    needs = _OFFER
    wait_s: float
    queue_wait_s: float
    ring_s: float
    first: bool
    customer_id: str | None = None


@_event
class ContactHeld(Event):
    """The operator put the contact on hold."""

    type = "contact.held"
    needs = _CONTACT


@_event
class ContactResumed(Event):
    """The hold ended."""

    type = "contact.resumed"
    needs = _CONTACT
    hold_s: float


@_event
class ContactTransferred(Event):
    """The operator handed the contact on (exactly one target is set)."""

    type = "contact.transferred"
    needs = _CONTACT
    to_operator: str | None
    to_queue: str | None
    to_external: str | None
    escalation: bool
    leg_talk_s: float


@_event
class ConsultStarted(Event):
    """An attended transfer to a queue began: ``operator_id`` (who keeps the customer, on
    hold, and their slot) asked for ``to_queue``; the contact is routed there (its
    ``contact.queued`` with reason ``consult`` follows) to talk to them first."""

    type = "consult.started"
    needs = ("contact_id", "operator_id", "queue")
    to_queue: str


@_event
class ConsultAnswered(Event):
    """``operator_id`` accepted the consultation's offer and talks to ``by``, the operator
    introducing the customer (who stays on hold). Not an answer of the contact: that is the
    ``contact.answered`` after ``consult.ended`` ``completed``."""

    type = "consult.answered"
    needs = _OFFER
    offer_id: str
    ring_s: float
    #: Since the consultation entered the queue.
    wait_s: float
    by: str | None


@_event
class ConsultEnded(Event):
    """The consultation is over (``operator_id``: the operator who introduced): the customer
    handed over (``completed``: ``contact.transferred`` and the colleague's ``contact.answered``
    follow), or back with them (``cancelled`` by them, ``declined`` by the colleague), or the
    customer hung up (``customer_left``: ``contact.ended`` by the customer follows)."""

    type = "consult.ended"
    needs = _CONTACT
    outcome: Literal["completed", "cancelled", "declined", "customer_left"]
    #: Who answered in the queue (null: nobody had yet).
    colleague: str | None
    consult_s: float
    to_queue: str


@_event
class ContactAbandoned(Event):
    """The customer left before an answer."""

    type = "contact.abandoned"
    needs = _CONTACT
    wait_s: float
    queue_wait_s: float
    while_: Literal["waiting", "offered"]


@_event
class ContactEnded(Event):
    """The conversation ended; wrap-up starts."""

    type = "contact.ended"
    needs = _CONTACT
    by: Literal["operator", "customer"]
    talk_s: float
    hold_s: float
    #: The queue's wrap-up limit.
    wrap_up_s: float


@_event
class ContactDisposition(Event):
    """The operator classified the contact (``late``: after its wrap-up ended)."""

    type = "contact.disposition"
    needs = _CONTACT
    contact_type: Literal["new_inquiry", "clarification", "regular", "complaint", "partner", "competitor"]
    resolved: bool
    notes: str
    late: bool


@_event
class ContactWrapUpEnded(Event):
    """The operator finished the paperwork, or the wrap-up limit ran out."""

    type = "contact.wrap_up_ended"
    needs = _CONTACT
    wrap_s: float
    timed_out: bool


@_event
class ContactClosed(Event):
    """The last event of every contact, exactly once."""

    type = "contact.closed"
    needs = _CONTACT
    outcome: Literal["handled", "abandoned", "callback", "message", "rejected", "transferred_external",
                     "exited", "unknown"]
    answered: bool
    reason: Literal["closed", "queue_full", "max_wait", "wrap_up_timeout", "waiting", "offered",
                    "queue_empty", "exit_key", "log_ended", "blocked"] | None = None
    talk_s: float | None = None
    hold_s: float | None = None
    wrap_s: float | None = None
    disposition_missing: bool | None = None


@_event
class ContactDispositionWindowClosed(Event):
    """A contact closed without a disposition got none within ``late_disposition_s``."""

    type = "contact.disposition_window_closed"
    needs = _CONTACT


@_event
class CallbackCreated(Event):
    """A callback task was created for the customer."""

    type = "callback.created"
    needs = _CONTACT
    reason: Literal["abandoned", "max_wait", "closed", "queue_full"]
    customer_id: str | None


# ---------------------------------------------------------------------------- offers


@_event
class OfferCreated(Event):
    """The contact rings / shows for ``operator_id`` until ``deadline`` (epoch seconds)."""

    type = "offer.created"
    needs = _OFFER
    offer_id: str
    deadline: float
    directed: bool
    sticky: bool
    #: An attended transfer to a queue: the operator introducing the customer (the one who
    #: answers talks to them first, the customer on hold).
    consult_by: str | None = None


@_event
class OfferAccepted(Event):
    """The operator answered the offer."""

    type = "offer.accepted"
    needs = _OFFER
    offer_id: str
    ring_s: float


@_event
class OfferDeclined(Event):
    """The operator said no (with the reason they gave, if any)."""

    type = "offer.declined"
    needs = _OFFER
    offer_id: str
    ring_s: float
    reason: str | None = None


@_event
class OfferTimedOut(Event):
    """No answer before the deadline — a RONA."""

    type = "offer.timed_out"
    needs = _OFFER
    offer_id: str
    ring_s: float
    reason: Literal["no_answer"]


@_event
class OfferWithdrawn(Event):
    """The offer stopped ringing for another reason."""

    type = "offer.withdrawn"
    needs = _OFFER
    offer_id: str
    ring_s: float
    reason: Literal["answered_elsewhere", "abandoned", "operator_unavailable", "reassigned", "consult_ended"]


# ---------------------------------------------------------------------------- messages


@_event
class MessageReceived(Event):
    """The customer wrote; ``operator_id`` is the contact's operator, if any."""

    type = "message.received"
    needs = _CONTACT
    #: The channel's id for the message.
    message_id: str
    text: str
    author: str | None


@_event
class MessageSent(Event):
    """The operator replied (only on a connected contact, only its operator), or the
    queue's auto-reply went out (``auto``: out of hours, queue full, waited too long)."""

    type = "message.sent"
    needs = ("contact_id",)
    #: Ours: ``out-…`` (an operator's), ``auto-…`` (an auto-reply); the outbox's key.
    message_id: str
    text: str
    author: str | None
    #: True for an auto-reply (absent for an operator's reply).
    auto: bool | None = None
    #: Why an automatic message was sent: the queue's (``closed``, ``queue_full``,
    #: ``max_wait``) or the project's (``welcome``, ``greeting``, ``farewell``, ``survey``).
    reason: Literal["closed", "queue_full", "max_wait", "welcome", "greeting", "farewell", "survey",
                    "blocked"] | None = None


@_event
class MessageDelivered(Event):
    """The outbox handed a message to its channel (at least once: ``key`` deduplicates)."""

    type = "message.delivered"
    needs = ("contact_id",)
    message_id: str
    #: The idempotency key of the outbox item.
    key: str
    #: 1 for the first try.
    attempt: int
    #: The channel's own id for the delivered message, when it gives one.
    channel_message_id: str | None = None


@_event
class MessageFailed(Event):
    """A delivery attempt of the outbox failed (``permanent``: it will not be retried)."""

    type = "message.failed"
    needs = ("contact_id",)
    message_id: str
    key: str
    attempt: int
    error: str
    permanent: bool


@_event
class NoteAdded(Event):
    """A private note on a conversation, for colleagues: never sent to the customer."""

    type = "note.added"
    needs = ("contact_id",)
    #: Ours: ``note-…``.
    note_id: str
    text: str
    #: The user who wrote it (their login).
    author: str


@_event
class CsatRated(Event):
    """The customer rated the conversation after it ended (1–5); ``operator_id`` is the
    operator who answered it."""

    type = "csat.rated"
    needs = ("contact_id",)
    score: int
    comment: str | None = None


# ---------------------------------------------------------------------------- operators

_OPERATOR = ("operator_id",)
_OPERATOR_STATE = Literal["available", "break", "offline"]


@_event
class OperatorConfigured(Event):
    """An operator was added, or their queues, skills or capacity changed."""

    type = "operator.configured"
    needs = _OPERATOR
    config: dict[str, Any]


@_event
class OperatorLoggedIn(Event):
    """The operator came online."""

    type = "operator.logged_in"
    needs = _OPERATOR


@_event
class OperatorLoggedOut(Event):
    """The operator went offline."""

    type = "operator.logged_out"
    needs = _OPERATOR


@_event
class OperatorStateChanged(Event):
    """Available, break (with ``reason``) or offline, incl. the automatic not-ready."""

    type = "operator.state_changed"
    needs = _OPERATOR
    from_: _OPERATOR_STATE
    to: _OPERATOR_STATE
    reason: str | None


# ---------------------------------------------------------------------------- queues

_QUEUE = ("queue",)


@_event
class QueueConfigured(Event):
    """A queue was created or changed."""

    type = "queue.configured"
    needs = _QUEUE
    operator_receives = False
    config: dict[str, Any]


@_event
class CustomerMerged(Event):
    """Two customer records were one person: ``merged`` was folded into ``customer_id``
    (its identities, conversations and flags follow; routing remembers the later of their
    last operators). Earlier events keep the id they were written with: this one maps it."""

    type = "customer.merged"
    customer_id: str
    merged: str
    #: Who merged them (a username).
    by: str | None = None


@_event
class CustomerErased(Event):
    """The customer's personal data was erased on request: their fields, identities and
    every message text (also in earlier events' data); the figures stay."""

    type = "customer.erased"
    customer_id: str
    by: str | None = None


# ---------------------------------------------------------------------------- tasks

@_event
class TaskCreated(Event):
    """A task with a deadline (call back, send an offer) was given to ``operator_id``, its
    owner; ``contact_id`` is the conversation it came from, if any. Never the task's words."""

    type = "task.created"
    needs = _OPERATOR
    task_id: int
    kind: Literal["callback", "offer", "other"]
    due_at: float
    customer_id: str | None = None
    #: Who created it (a login).
    by: str | None = None


@_event
class TaskReassigned(Event):
    """An open task was given to another operator (``operator_id``, the new owner)."""

    type = "task.reassigned"
    needs = _OPERATOR
    task_id: int
    #: The previous owner.
    from_: str
    due_at: float
    by: str | None = None


@_event
class TaskReleased(Event):
    """An open task was given away: ``operator_id``, its previous owner, no longer has it
    (logged with ``task.reassigned``, so each of the two is told)."""

    type = "task.released"
    needs = _OPERATOR
    task_id: int
    #: The new owner.
    to: str
    by: str | None = None


@_event
class TaskRescheduled(Event):
    """An open task's due time moved (the customer asked for another day); it may alarm again."""

    type = "task.rescheduled"
    needs = _OPERATOR
    task_id: int
    from_due: float
    due_at: float
    by: str | None = None


@_event
class TaskOverdue(Event):
    """An open task ran past its due time: its owner and the supervisors are alerted."""

    type = "task.overdue"
    needs = _OPERATOR
    task_id: int
    due_at: float


@_event
class TaskDone(Event):
    """A task was done; ``late`` when after its due time. With its creation and due times,
    so the KPIs (time to done, done late) need no other row."""

    type = "task.done"
    needs = _OPERATOR
    task_id: int
    created_at: float
    due_at: float
    late: bool
    by: str | None = None


@_event
class TaskCancelled(Event):
    """A task was dropped (no longer wanted, a duplicate)."""

    type = "task.cancelled"
    needs = _OPERATOR
    task_id: int
    created_at: float
    due_at: float
    by: str | None = None


@_event
class QueueRemoved(Event):
    """A queue was deleted (it held no contact and no queue sent contacts to it)."""

    type = "queue.removed"
    needs = _QUEUE
    operator_receives = False


@_event
class QueueOpened(Event):
    """Business hours began (also when noticed at a restart)."""

    type = "queue.opened"
    needs = _QUEUE
    operator_receives = False


@_event
class QueueClosed(Event):
    """Business hours ended (also when noticed at a restart)."""

    type = "queue.closed"
    needs = _QUEUE
    operator_receives = False


# The evaluations' and the automatic checks' events are declared in their own modules (they
# import this one's base); importing them here registers them, so every user of the catalogue
# sees the same REGISTRY.
from dozvon.eventlog import catalogue_checks as _checks  # noqa: E402,F401
from dozvon.eventlog import catalogue_quality as _quality  # noqa: E402,F401
