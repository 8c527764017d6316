"""Week plan: forecast contacts per 15-minute interval of the week, then operators needed.

The forecast is the mean of each interval of the week (Monday 00:00–00:15 … Sunday
23:45–24:00, 672 in all) over the weeks of history; handle time is the contact-weighted
mean of the same interval. Staffing per interval uses Erlang C (or Erlang A with a
patience) through :func:`dozvon.staffing.plan.staff`. Voice and text are planned apart:
a chat operator carries ``chat_concurrency`` chats at once, so the chats need
⌈servers ÷ concurrency⌉ operators, where servers is the Erlang answer for the chats.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from typing import NamedTuple
from zoneinfo import ZoneInfo

from dozvon.staffing.erlang import erlang_c_smallest
from dozvon.staffing.plan import Traffic, positions_for, staff

SLOTS_PER_DAY = 96
SLOTS = 7 * SLOTS_PER_DAY
SLOT_S = 900
GROUPS = ("voice", "chat")
#: Which planning group each channel belongs to (e-mail and forms are backlog work, planned
#: by volume per day, not per 15 minutes).
GROUP_OF_CHANNEL = {"voice": "voice", "chat": "chat", "messenger": "chat"}


def slot_of(moment: datetime, zone: ZoneInfo) -> int:
    local = moment.astimezone(zone)
    return local.weekday() * SLOTS_PER_DAY + local.hour * 4 + local.minute // 15


def _label(slot: int) -> str:
    day, rest = divmod(slot, SLOTS_PER_DAY)
    hours, quarter = divmod(rest, 4)
    return f"{('Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun')[day]} {hours:02d}:{quarter * 15:02d}"


LABELS = tuple(_label(slot) for slot in range(SLOTS))


def slot_label(slot: int) -> str:
    return LABELS[slot]


@dataclass
class Forecast:
    """Mean contacts and handle time per interval of the week, per group."""

    contacts: dict[str, list[float]] = field(default_factory=lambda: {g: [0.0] * SLOTS for g in GROUPS})
    aht_s: dict[str, list[float | None]] = field(default_factory=lambda: {g: [None] * SLOTS for g in GROUPS})
    weeks: float = 1.0


@dataclass(frozen=True)
class HistoryRow:
    start: datetime
    channel: str
    contacts: float
    aht_s: float | None = None


def forecast(history: Iterable[HistoryRow], tz: str, weeks: float | None = None) -> Forecast:
    """Average the history over its weeks (``weeks`` given, or from the span of the rows)."""
    zone = ZoneInfo(tz)
    totals = {g: [0.0] * SLOTS for g in GROUPS}
    handle = {g: [0.0] * SLOTS for g in GROUPS}
    timed = {g: [0.0] * SLOTS for g in GROUPS}
    first: datetime | None = None
    last: datetime | None = None
    for row in history:
        group = GROUP_OF_CHANNEL.get(row.channel)
        if group is None:
            continue
        slot = slot_of(row.start, zone)
        totals[group][slot] += row.contacts
        if row.aht_s is not None and row.contacts > 0:
            handle[group][slot] += row.aht_s * row.contacts
            timed[group][slot] += row.contacts
        first = row.start if first is None or row.start < first else first
        last = row.start if last is None or row.start > last else last
    if weeks is None:
        span_days = ((last - first).total_seconds() / 86400 + 1 / SLOTS_PER_DAY) if first and last else 7.0
        weeks = max(1.0, math.ceil(span_days / 7 - 1e-9))
    result = Forecast(weeks=weeks)
    for group in GROUPS:
        result.contacts[group] = [total / weeks for total in totals[group]]
        result.aht_s[group] = [handle[group][s] / timed[group][s] if timed[group][s] else None for s in range(SLOTS)]
    return result


class PlanRow(NamedTuple):
    """One interval of the week plan (a NamedTuple: immutable, and 672 of them are built
    in a fraction of what frozen dataclasses cost)."""

    slot: int
    label: str
    voice_contacts: float
    voice_agents: int
    chat_contacts: float
    chat_agents: int
    agents: int
    positions: int
    voice_service_level: float | None
    chat_service_level: float | None


@dataclass(frozen=True)
class PlanSettings:
    target_s: float = 20.0
    target_sl: float = 0.8
    max_occupancy: Fraction = Fraction(1)
    shrinkage: Fraction = Fraction(0)
    voice_aht_s: float = 180.0
    chat_aht_s: float = 600.0
    chat_target_s: float = 60.0
    chat_concurrency: int = 3
    patience_s: float | None = None


def _fewest_servers(contacts: float, aht: float, cap: Fraction) -> int:
    """The fewest servers Erlang C may answer with: more than the offered load (else the
    queue is unstable), and with load ÷ n ≤ cap. Computed exactly in integers — the floats
    are exact binary fractions and the cap the user's exact decimal — so 17 Erlangs at a
    cap of 0.85 is 20, never 21, and a load of exactly 16 Erlangs needs 17."""
    cn, cd = contacts.as_integer_ratio()
    an, ad = aht.as_integer_ratio()
    load, per = cn * an, cd * ad * SLOT_S  # erlangs = load / per
    stable = load // per + 1
    by_occupancy = -(-(load * cap.denominator) // (per * cap.numerator))
    return max(stable, by_occupancy)


def _servers(
    contacts: float,
    aht: float,
    target: float,
    settings: PlanSettings,
    cache: dict[tuple[float, float, float], tuple[int, float | None]],
) -> tuple[int, float | None]:
    """The smallest staff for a load the plan has not met yet (``plan`` looks in the cache
    first: a week repeats the same loads), remembered in ``cache``."""
    if contacts <= 0:
        result: tuple[int, float | None] = (0, None)
    elif settings.patience_s:
        traffic = Traffic(Fraction(contacts), Fraction(SLOT_S), Fraction(aht))
        answer = staff(
            "erlang-a", traffic, target, settings.target_sl, settings.max_occupancy, patience_s=settings.patience_s
        )
        result = (answer.agents, answer.figures.service_level)
    else:
        # Erlang C in one pass, from the exact lower bound up.
        fewest = _fewest_servers(contacts, aht, settings.max_occupancy)
        result = erlang_c_smallest(contacts * aht / SLOT_S, aht, target, settings.target_sl, fewest)
    cache[(contacts, aht, target)] = result
    return result


def plan(fc: Forecast, settings: PlanSettings) -> list[PlanRow]:
    """Operators per interval of the week: voice and chat apart, then positions after
    shrinkage. Identical loads (a night of zeros, repeated weekdays) are computed once."""
    positions_for(0, settings.shrinkage)  # refuses a shrinkage outside [0, 1) once, up front
    lost, kept = settings.shrinkage.numerator, settings.shrinkage.denominator
    remaining = kept - lost
    concurrency = max(1, settings.chat_concurrency)
    cache: dict[tuple[float, float, float], tuple[int, float | None]] = {}
    voice_calls, chat_calls = fc.contacts["voice"], fc.contacts["chat"]
    voice_aht, chat_aht = fc.aht_s["voice"], fc.aht_s["chat"]
    voice_default, chat_default = settings.voice_aht_s, settings.chat_aht_s
    voice_target, chat_target = settings.target_s, settings.chat_target_s
    rows = []
    # The voice and chat halves below are the same steps written out twice on purpose: a
    # helper call per group and interval costs more than the whole plan's budget.
    for slot in range(SLOTS):
        voice = voice_calls[slot]
        if voice > 0:
            key = (voice, voice_aht[slot] or voice_default, voice_target)
            found = cache.get(key)
            voice_agents, voice_sl = found if found is not None else _servers(*key, settings, cache)
        else:
            voice_agents, voice_sl = 0, None
        chat = chat_calls[slot]
        if chat > 0:
            key = (chat, chat_aht[slot] or chat_default, chat_target)
            found = cache.get(key)
            chat_servers, chat_sl = found if found is not None else _servers(*key, settings, cache)
        else:
            chat_servers, chat_sl = 0, None
        chat_agents = -(-chat_servers // concurrency)
        agents = voice_agents + chat_agents
        # ⌈agents ÷ (1 − shrinkage)⌉ in integers, as positions_for does.
        positions = -(-agents * kept // remaining)
        rows.append(PlanRow(slot, LABELS[slot], voice, voice_agents, chat, chat_agents, agents, positions,
                            voice_sl, chat_sl))
    return rows
