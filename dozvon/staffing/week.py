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


@dataclass(frozen=True)
class PlanRow:
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


def _servers(
    contacts: float,
    aht: float,
    target: float,
    settings: PlanSettings,
    cache: dict[tuple[float, float, float], tuple[int, float | None]],
) -> tuple[int, float | None]:
    """The smallest staff for one interval (memoised: a week repeats the same loads)."""
    if contacts <= 0:
        return 0, None
    key = (contacts, aht, target)
    known = cache.get(key)
    if known is not None:
        return known
    if settings.patience_s:
        traffic = Traffic(Fraction(contacts), Fraction(SLOT_S), Fraction(aht))
        answer = staff(
            "erlang-a", traffic, target, settings.target_sl, settings.max_occupancy, patience_s=settings.patience_s
        )
        result: tuple[int, float | None] = (answer.agents, answer.figures.service_level)
    else:
        # Erlang C in one pass; the occupancy cap as an exact bound: erlangs / n <= cap.
        erlangs = Fraction(contacts) * Fraction(aht) / SLOT_S
        by_occupancy = math.ceil(erlangs / settings.max_occupancy)
        result = erlang_c_smallest(float(erlangs), aht, target, settings.target_sl, by_occupancy)
    cache[key] = result
    return result


def plan(fc: Forecast, settings: PlanSettings) -> list[PlanRow]:
    rows = []
    cache: dict[tuple[float, float, float], tuple[int, float | None]] = {}
    for slot in range(SLOTS):
        voice = fc.contacts["voice"][slot]
        chat = fc.contacts["chat"][slot]
        voice_agents, voice_sl = _servers(
            voice, fc.aht_s["voice"][slot] or settings.voice_aht_s, settings.target_s, settings, cache
        )
        chat_servers, chat_sl = _servers(
            chat, fc.aht_s["chat"][slot] or settings.chat_aht_s, settings.chat_target_s, settings, cache
        )
        chat_agents = math.ceil(chat_servers / max(1, settings.chat_concurrency))
        agents = voice_agents + chat_agents
        rows.append(
            PlanRow(
                slot,
                slot_label(slot),
                voice,
                voice_agents,
                chat,
                chat_agents,
                agents,
                positions_for(agents, settings.shrinkage) if agents else 0,
                voice_sl,
                chat_sl,
            )
        )
    return rows
