"""Configuration and runtime records of the routing engine.

Configuration (:class:`QueueConfig`, :class:`OperatorConfig`, :class:`EngineSettings`) is
what an administrator sets; runtime records (:class:`Contact`, :class:`Operator`,
:class:`Offer`) are what the engine changes. Both serialise to plain dicts so that the
storage layer can persist them and rebuild an engine after a restart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from types import MappingProxyType
from typing import Any, Final

from dozvon.core.errors import InvalidInput
from dozvon.routing.calendar import BusinessHours

#: Capacity is counted per bucket. Which bucket a channel loads is the channel registry's
#: business (``dozvon.channels``: a messenger dialogue loads an operator like a web chat,
#: a web-site form like an e-mail); the engine gets the mapping in
#: :attr:`EngineSettings.channel_buckets`, so adding a channel never edits the engine.
BUCKETS: tuple[str, ...] = ("voice", "chat", "email")
#: Without a registry (the simulator, tests of the engine alone) each bucket is a channel.
DEFAULT_CHANNEL_BUCKETS: Mapping[str, str] = MappingProxyType({b: b for b in BUCKETS})
DEFAULT_CAPACITY: dict[str, int] = {"voice": 1, "chat": 5, "email": 5}
DEFAULT_OFFER_TIMEOUT_S: dict[str, float] = {"voice": 20.0, "chat": 60.0, "email": 300.0}

#: The shared, read-only "no extra skills" of a contact.
NO_SKILLS: Mapping[str, int] = MappingProxyType({})

#: The six types of inbound contact (PRODUCT.md), required in every disposition.
CONTACT_TYPES: tuple[str, ...] = (
    "new_inquiry",
    "clarification",
    "regular",
    "complaint",
    "partner",
    "competitor",
)

STRATEGIES: tuple[str, ...] = ("round_robin", "ring_all", "longest_idle", "least_busy", "skills")

#: What may happen to a contact that waits too long, finds the queue full, or arrives out of
#: hours. ``overflow`` moves it to ``target_queue``; ``callback`` creates a callback task;
#: ``message`` plays/sends ``text`` (voicemail for calls) and ends it; ``reject`` ends it.
#: What a queue does with a contact it will not keep as usual (closed, full, waited too long):
#: send it to another queue; create a callback task; answer with a message and close it;
#: answer with a message and keep it waiting (a chat written at night waits for the
#: morning); or refuse it.
ACTIONS: tuple[str, ...] = ("overflow", "callback", "message", "wait", "reject")


def _check_non_negative(where: str, name: str, value: float | None, allow_none: bool = True) -> None:
    if value is None and allow_none:
        return
    if value is None or value < 0:
        raise InvalidInput("routing.bad_number", where=where, field=name, rule=">= 0", value=value)


@dataclass(frozen=True, slots=True)
class Action:
    """What to do with a contact: see :data:`ACTIONS`."""

    kind: str = "reject"
    target_queue: str | None = None
    text: str | None = None

    def validate(self, queue: str, field_name: str) -> None:
        if self.kind not in ACTIONS:
            raise InvalidInput("routing.bad_action", queue=queue, field=field_name,
                               value=self.kind, allowed=", ".join(ACTIONS))
        if self.kind == "overflow" and not self.target_queue:
            raise InvalidInput("routing.action_needs_queue", queue=queue, field=field_name)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Action | None:
        if data is None:
            return None
        return cls(kind=data.get("kind", "reject"), target_queue=data.get("target_queue"),
                   text=data.get("text"))


@dataclass(frozen=True, slots=True)
class QueueConfig:
    """Everything an administrator sets on a queue."""

    name: str
    strategy: str = "longest_idle"
    #: Seconds an offer rings before it goes to the next operator (RONA); None = per channel.
    offer_timeout_s: float | None = None
    target_answer_s: float = 20.0
    #: The share of contacts to answer within ``target_answer_s`` (the "80" of 80/20):
    #: the wallboard marks the queue below it.
    service_level_goal: float = 0.8
    wrap_up_s: float = 0.0
    #: Recovery time: seconds of extra wrap-up after a conversation the operator classified
    #: as a complaint, so they recover before the next customer (seed 001: personal
    #: control). Saving the disposition again ends it early ("I am ready").
    recovery_after_complaint_s: float = 0.0
    #: Base priority added to every contact of this queue.
    priority: int = 0
    #: An operator in several queues takes the higher-weight queue's contacts first.
    weight: int = 0
    #: Priority points a contact gains per minute of waiting, so that nobody starves.
    aging_per_min: float = 1.0
    #: Skills every operator must have to take this queue's contacts: {skill: minimum level}.
    required_skills: dict[str, int] = field(default_factory=dict)
    #: With ``strategy`` other than ``skills``: also prefer the highest skill level first.
    skills_first: bool = False
    max_wait_s: float | None = None
    on_max_wait: Action | None = None
    max_length: int | None = None
    on_full: Action | None = None
    hours: BusinessHours | None = None
    on_closed: Action | None = None
    #: Seconds a returning customer waits for the operator who handled them last.
    sticky_wait_s: float = 0.0
    #: How long after the last contact the customer still counts as returning.
    sticky_window_s: float = 7 * 24 * 3600.0
    #: Create a callback task when a customer abandons (hangs up while waiting).
    callback_on_abandon: bool = False
    #: Where ``escalate`` sends a contact (senior operators or supervisors).
    escalation_queue: str | None = None
    #: Multi-site / multilingual routing: a contact in language ``xx`` needs the skill
    #: ``lang_xx`` (level 1 or more). Off: language is recorded but does not restrict.
    language_routing: bool = False

    def validate(self) -> None:
        if self.strategy not in STRATEGIES:
            raise InvalidInput("routing.bad_strategy", queue=self.name, value=self.strategy,
                               allowed=", ".join(STRATEGIES))
        where = f"queue {self.name!r}"
        for name in ("offer_timeout_s", "max_wait_s", "max_length"):
            _check_non_negative(where, name, getattr(self, name))
        for name in ("target_answer_s", "wrap_up_s", "recovery_after_complaint_s", "sticky_wait_s",
                     "sticky_window_s", "aging_per_min"):
            _check_non_negative(where, name, getattr(self, name), allow_none=False)
        if not 0.0 <= self.service_level_goal <= 1.0:
            raise InvalidInput("routing.bad_service_level_goal", queue=self.name, value=self.service_level_goal)
        for field_name in ("on_max_wait", "on_full", "on_closed"):
            action = getattr(self, field_name)
            if action is not None:
                action.validate(self.name, field_name)

    def targets(self) -> set[str]:
        """The queues this one sends contacts to: overflow targets and escalation."""
        found = {a.target_queue for a in (self.on_max_wait, self.on_full, self.on_closed)
                 if a is not None and a.kind == "overflow" and a.target_queue}
        if self.escalation_queue:
            found.add(self.escalation_queue)
        return found

    def timeout_for(self, bucket: str) -> float:
        if self.offer_timeout_s is not None:
            return self.offer_timeout_s
        return DEFAULT_OFFER_TIMEOUT_S[bucket]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["hours"] = self.hours.to_dict() if self.hours else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QueueConfig:
        data = dict(data)
        for key in ("on_max_wait", "on_full", "on_closed"):
            if key in data:
                data[key] = Action.from_dict(data[key])
        if data.get("hours") is not None:
            data["hours"] = BusinessHours.from_dict(data["hours"])
        cfg = cls(**data)
        cfg.validate()
        return cfg


@dataclass(frozen=True, slots=True)
class OperatorConfig:
    """An operator's routing profile: where they work, what they know, how much they carry."""

    id: str
    queues: tuple[str, ...] = ()
    skills: dict[str, int] = field(default_factory=dict)
    capacity: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_CAPACITY))
    name: str = ""
    #: The buckets this operator can carry at all (capacity > 0), derived from ``capacity``.
    buckets: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "buckets", tuple(b for b in BUCKETS if self.capacity.get(b, 0) > 0))

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "queues": list(self.queues), "skills": dict(self.skills),
                "capacity": dict(self.capacity), "name": self.name}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OperatorConfig:
        """A given capacity lists what the operator carries (an unlisted channel: 0); no
        capacity at all means the defaults (voice 1, chat 5, e-mail 5)."""
        given = data.get("capacity")
        capacity = dict.fromkeys(BUCKETS, 0) if given else dict(DEFAULT_CAPACITY)
        capacity.update(given or {})
        for bucket, value in capacity.items():
            if not isinstance(value, int) or value < 0:
                raise InvalidInput("routing.bad_number", where=f"operator {data.get('id')!r}",
                                   field=f"capacity.{bucket}", rule="a whole number >= 0",
                                   value=value)
        return cls(id=str(data["id"]), queues=tuple(data.get("queues") or ()),
                   skills=dict(data.get("skills") or {}), capacity=capacity,
                   name=str(data.get("name") or ""))


@dataclass(frozen=True, slots=True)
class EngineSettings:
    """Center-wide routing settings."""

    #: While an operator is on a call, no new chats/e-mails are offered to them.
    voice_blocks_text: bool = True
    #: After this many offers in a row run out unanswered, the operator is set not-ready.
    max_missed_offers: int | None = None
    #: Priority bonus by customer segment: partners first, then VIP and regular customers.
    segment_priority: dict[str, int] = field(default_factory=lambda: {
        "partner": 1000, "investor": 1000, "vip": 50, "regular": 20, "new": 0})
    #: Remember which operator handled each customer, for sticky routing.
    remember_last_operator: bool = True
    #: How long a contact closed without a disposition waits for a late one (0: forget it
    #: at once — the simulator, where nobody comes back to fill it in).
    late_disposition_s: float = 24 * 3600.0
    #: Channel → capacity bucket (from the channel registry); an unknown channel is refused.
    channel_buckets: Mapping[str, str] = field(default_factory=lambda: DEFAULT_CHANNEL_BUCKETS)


#: A contact spec's fields, in order.
_SpecFields = tuple[str, str, str, int, str | None, str | None, str | None, str | None, Mapping[str, int], str | None,
                    float | None, tuple[str, ...]]


class ContactSpec:
    """An inbound contact as a channel adapter hands it to the engine.

    Immutable (its fields are ``Final``) and equal to another with the same fields. A
    plain class with ``__slots__``, not a frozen dataclass (whose constructor sets each
    field through ``object.__setattr__``) nor a NamedTuple: the simulator creates hundreds
    of thousands of them, and a compiled build (dozvon/sim/compiled.py) makes this a
    native class — built and read without CPython's generic path for a tuple subclass.
    """

    __slots__ = ("channel", "customer_id", "flags", "id", "language", "last_contact_at", "last_operator",
                 "priority", "queue", "segment", "skills", "source")

    def __init__(self, id: str, queue: str, channel: str = "voice", priority: int = 0,
                 customer_id: str | None = None, language: str | None = None, segment: str | None = None,
                 source: str | None = None, skills: Mapping[str, int] = NO_SKILLS,
                 last_operator: str | None = None, last_contact_at: float | None = None,
                 flags: tuple[str, ...] = ()) -> None:
        self.id: Final = id
        self.queue: Final = queue
        self.channel: Final = channel
        self.priority: Final = priority
        self.customer_id: Final = customer_id
        self.language: Final = language
        self.segment: Final = segment
        self.source: Final = source
        #: Skills this particular contact needs on top of the queue's: {skill: minimum level}.
        self.skills: Final = skills
        #: The operator to try first (sticky routing), if the caller knows it better than we do.
        self.last_operator: Final = last_operator
        self.last_contact_at: Final = last_contact_at
        self.flags: Final = flags

    def _values(self) -> _SpecFields:
        return (self.id, self.queue, self.channel, self.priority, self.customer_id, self.language, self.segment,
                self.source, self.skills, self.last_operator, self.last_contact_at, self.flags)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ContactSpec):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __reduce__(self) -> tuple[type[ContactSpec], _SpecFields]:
        # copy and pickle: a compiled build's native class has no other way to be rebuilt.
        return ContactSpec, self._values()

    def __repr__(self) -> str:
        return (f"ContactSpec(id={self.id!r}, queue={self.queue!r}, channel={self.channel!r},"
                f" priority={self.priority!r}, customer_id={self.customer_id!r}, language={self.language!r},"
                f" segment={self.segment!r}, source={self.source!r}, skills={self.skills!r},"
                f" last_operator={self.last_operator!r}, last_contact_at={self.last_contact_at!r},"
                f" flags={self.flags!r})")

    def bucket(self, channel_buckets: Mapping[str, str] = DEFAULT_CHANNEL_BUCKETS) -> str:
        try:
            return channel_buckets[self.channel]
        except KeyError:
            raise InvalidInput("routing.bad_channel", value=self.channel,
                               allowed=", ".join(sorted(channel_buckets))) from None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "queue": self.queue, "channel": self.channel, "priority": self.priority,
                "customer_id": self.customer_id, "language": self.language, "segment": self.segment,
                "source": self.source, "skills": dict(self.skills), "last_operator": self.last_operator,
                "last_contact_at": self.last_contact_at, "flags": list(self.flags)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ContactSpec:
        data = dict(data)
        data["flags"] = tuple(data.get("flags") or ())
        data["skills"] = dict(data.get("skills") or {})
        return cls(**data)


@dataclass(frozen=True, slots=True)
class Disposition:
    """How the operator classified a finished contact (required before wrap-up ends)."""

    contact_type: str
    resolved: bool
    notes: str = ""

    def validate(self) -> None:
        if self.contact_type not in CONTACT_TYPES:
            raise InvalidInput("routing.bad_contact_type", value=self.contact_type,
                               allowed=", ".join(CONTACT_TYPES))

    def to_dict(self) -> dict[str, Any]:
        return {"contact_type": self.contact_type, "resolved": self.resolved, "notes": self.notes}


# --- runtime records -------------------------------------------------------------------

#: Contact states. ``waiting``: in a queue (or held for a sticky operator); ``offered``: one
#: or more offers are ringing; ``connected``: an operator answered; ``wrap_up``: the
#: conversation ended and the operator is finishing the paperwork.
#: (``Final``: a compiled build inlines them instead of looking them up on every use.)
WAITING: Final = "waiting"
OFFERED: Final = "offered"
CONNECTED: Final = "connected"
WRAP_UP: Final = "wrap_up"
#: A contact that ended without a disposition stays in this state until one is given (or
#: until :attr:`EngineSettings.late_disposition_s` passes).
CLOSED: Final = "closed"

#: Operator states an operator (or supervisor) chooses. Being busy or in wrap-up is not a
#: state of its own: it follows from the contacts the operator holds.
OFFLINE: Final = "offline"
AVAILABLE: Final = "available"
BREAK: Final = "break"
OPERATOR_STATES: tuple[str, ...] = (OFFLINE, AVAILABLE, BREAK)

#: No operator excluded: every contact starts with this one (no set of its own to build and free).
NOBODY: frozenset[str] = frozenset()


@dataclass(slots=True, eq=False)
class Offer:
    id: str
    contact_id: str
    operator_id: str
    created_at: float
    deadline: float

    # Written out for a compiled build, as Contact's (one per offer made).
    def __init__(self, id: str, contact_id: str, operator_id: str, created_at: float,
                 deadline: float) -> None:
        self.id = id
        self.contact_id = contact_id
        self.operator_id = operator_id
        self.created_at = created_at
        self.deadline = deadline


@dataclass(slots=True, eq=False)
class Contact:
    spec: ContactSpec
    bucket: str
    queue: str
    priority: int
    arrived_at: float
    #: First time the contact entered any queue: the start of its wait for every KPI.
    enqueued_at: float
    #: When it entered the queue it is in now (overflow and transfers move it).
    queue_since: float
    state: str = WAITING
    #: Position token: a heap entry is valid only while it carries the contact's current token.
    token: int = 0
    offers: dict[str, Offer] = field(default_factory=dict)
    #: Operators it is not offered to (they let it ring out or declined it): a frozenset, the
    #: same empty one for the contacts nobody missed (most), replaced when one is added.
    excluded: frozenset[str] = NOBODY
    operator_id: str | None = None
    answered_at: float | None = None
    ended_at: float | None = None
    hold_started: float | None = None
    hold_s: float = 0.0
    wrap_deadline: float | None = None
    max_wait_at: float | None = None
    max_wait_due: bool = False
    sticky_operator: str | None = None
    sticky_until: float | None = None
    #: A directed offer (transfer to a named operator) goes to nobody else.
    directed_to: str | None = None
    answered_once: bool = False
    #: The operator who let it ring out (or declined) last: it never bounces straight back.
    last_missed: str | None = None
    talk_s: float = 0.0
    leg_started: float | None = None
    overflows: int = 0
    transfers: int = 0
    closed_at: float | None = None
    #: Skills an operator needs for it: the queue's requirements merged with the contact's own.
    needs: dict[str, int] = field(default_factory=dict)
    #: The disposition saved while the operator recovers after a complaint: the contact closes
    #: with it when the recovery time is over (:meth:`Conversations.close_with`).
    recovering_with: dict[str, Any] | None = None
    #: An attended transfer to a queue under way (:mod:`dozvon.routing.consult`): the
    #: operator introducing the customer (set while it lasts), the queue to go back to,
    #: the operator who answered in the queue, when it began.
    consult_by: str | None = None
    consult_back: str | None = None
    consult_with: str | None = None
    consult_at: float | None = None
    #: ``spec.id``, kept beside it (read on every step; not stored: derived from the spec).
    id: str = field(init=False, repr=False, compare=False)

    # The dataclass's own __init__, written out (dataclasses keep one a class defines): a
    # compiled build compiles it like any method, where the generated one stays interpreted
    # (a contact is created for every arrival). Same fields, order and defaults.
    def __init__(self, spec: ContactSpec, bucket: str, queue: str, priority: int, arrived_at: float,
                 enqueued_at: float, queue_since: float, state: str = WAITING, token: int = 0,
                 offers: dict[str, Offer] | None = None, excluded: frozenset[str] = NOBODY,
                 operator_id: str | None = None, answered_at: float | None = None,
                 ended_at: float | None = None, hold_started: float | None = None, hold_s: float = 0.0,
                 wrap_deadline: float | None = None, max_wait_at: float | None = None,
                 max_wait_due: bool = False, sticky_operator: str | None = None,
                 sticky_until: float | None = None, directed_to: str | None = None,
                 answered_once: bool = False, last_missed: str | None = None, talk_s: float = 0.0,
                 leg_started: float | None = None, overflows: int = 0, transfers: int = 0,
                 closed_at: float | None = None, needs: dict[str, int] | None = None,
                 recovering_with: dict[str, Any] | None = None, consult_by: str | None = None,
                 consult_back: str | None = None, consult_with: str | None = None,
                 consult_at: float | None = None) -> None:
        self.spec = spec
        self.id = spec.id
        self.bucket = bucket
        self.queue = queue
        self.priority = priority
        self.arrived_at = arrived_at
        self.enqueued_at = enqueued_at
        self.queue_since = queue_since
        self.state = state
        self.token = token
        self.offers = {} if offers is None else offers
        self.excluded = excluded
        self.operator_id = operator_id
        self.answered_at = answered_at
        self.ended_at = ended_at
        self.hold_started = hold_started
        self.hold_s = hold_s
        self.wrap_deadline = wrap_deadline
        self.max_wait_at = max_wait_at
        self.max_wait_due = max_wait_due
        self.sticky_operator = sticky_operator
        self.sticky_until = sticky_until
        self.directed_to = directed_to
        self.answered_once = answered_once
        self.last_missed = last_missed
        self.talk_s = talk_s
        self.leg_started = leg_started
        self.overflows = overflows
        self.transfers = transfers
        self.closed_at = closed_at
        self.needs = {} if needs is None else needs
        self.recovering_with = recovering_with
        self.consult_by = consult_by
        self.consult_back = consult_back
        self.consult_with = consult_with
        self.consult_at = consult_at


@dataclass(slots=True, eq=False)
class Operator:
    cfg: OperatorConfig
    order: int
    state: str = OFFLINE
    reason: str | None = None
    state_since: float = 0.0
    idle_since: float = 0.0
    missed: int = 0
    #: Slots in use per bucket: ringing offers, connected contacts and wrap-ups.
    load: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BUCKETS, 0))
    contacts: set[str] = field(default_factory=set)
    offers: set[str] = field(default_factory=set)
    #: Bumped on every change that affects routing: heap entries with an older one are stale.
    version: int = 0
    #: Freed a slot and not yet back in the queues' ready heaps (:meth:`Matcher.release
    #: <dozvon.routing.matching.Matcher.release>`): pushed there before the next contact is
    #: routed, or never if the operator takes a waiting contact first.
    released: bool = False

    @property
    def id(self) -> str:
        return self.cfg.id
