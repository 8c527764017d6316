"""Business hours: a time zone, a weekly schedule with split hours, and holidays.

Opening hours are kept in the project's local time and turned into UTC instants per date,
so that daylight-saving changes move the instants and not the local hours. An interval
that ends at or before it starts (``22:00-02:00``) runs past midnight into the next day.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dozvon.core.errors import InvalidInput

DAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


Interval = tuple[time, time]


def _parse_time(text: str) -> time:
    hours, minutes = text.strip().split(":")
    h, m = int(hours), int(minutes)
    if h == 24 and m == 0:
        return time.max
    return time(h, m)


def parse_interval(text: str, where: str) -> Interval:
    try:
        start, end = text.split("-")
        return _parse_time(start), _parse_time(end)
    except ValueError:
        raise InvalidInput("hours.bad_interval", where=where, value=text) from None


@dataclass(frozen=True, slots=True)
class BusinessHours:
    """When a queue is open. A day missing from ``weekly`` is closed all day."""

    timezone: str = "UTC"
    weekly: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Dates (YYYY-MM-DD) with their own hours; an empty tuple means closed all day.
    holidays: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        try:
            zone = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInput("hours.bad_zone", value=self.timezone) from None
        object.__setattr__(self, "_zone", zone)
        weekly: dict[int, list[Interval]] = {}
        for day, intervals in self.weekly.items():
            if day not in DAYS:
                raise InvalidInput("hours.bad_day", value=day, allowed=", ".join(DAYS))
            weekly[DAYS.index(day)] = [parse_interval(i, day) for i in intervals]
        holidays: dict[date, list[Interval]] = {}
        for day_text, intervals in self.holidays.items():
            try:
                day_date = date.fromisoformat(day_text)
            except ValueError:
                raise InvalidInput("hours.bad_date", value=day_text) from None
            holidays[day_date] = [parse_interval(i, day_text) for i in intervals]
        object.__setattr__(self, "_weekly", weekly)
        object.__setattr__(self, "_holidays", holidays)
        object.__setattr__(self, "_cache", {})

    # Set in __post_init__ on a frozen dataclass, hence declared here for type checkers.
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _weekly: dict[int, list[Interval]] = field(init=False, repr=False, compare=False)
    _holidays: dict[date, list[Interval]] = field(init=False, repr=False, compare=False)
    _cache: dict[date, list[tuple[float, float]]] = field(init=False, repr=False, compare=False)

    def _intervals_of(self, day: date) -> list[tuple[float, float]]:
        """Open intervals (UTC epoch seconds) that start on the local date ``day``."""
        cached = self._cache.get(day)
        if cached is not None:
            return cached
        local = self._holidays.get(day)
        if local is None:
            local = self._weekly.get(day.weekday(), [])
        result = []
        for start, end in local:
            begin = datetime.combine(day, start, tzinfo=self._zone).timestamp()
            end_day = day if (end > start or end == time.max) else day + timedelta(days=1)
            finish = (datetime.combine(day + timedelta(days=1), time(0), tzinfo=self._zone)
                      if end == time.max else datetime.combine(end_day, end, tzinfo=self._zone))
            result.append((begin, finish.timestamp()))
        if len(self._cache) > 4096:
            self._cache.clear()
        self._cache[day] = result
        return result

    def _window(self, ts: float, days: int) -> list[tuple[float, float]]:
        """Merged open intervals from the day before ``ts`` to ``days`` days after it."""
        today = datetime.fromtimestamp(ts, tz=self._zone).date()
        spans: list[tuple[float, float]] = []
        for offset in range(-1, days + 1):
            spans.extend(self._intervals_of(today + timedelta(days=offset)))
        spans.sort()
        merged: list[tuple[float, float]] = []
        for begin, finish in spans:
            if merged and begin <= merged[-1][1]:
                if finish > merged[-1][1]:
                    merged[-1] = (merged[-1][0], finish)
            else:
                merged.append((begin, finish))
        return merged

    def is_open(self, ts: float) -> bool:
        return any(begin <= ts < finish for begin, finish in self._window(ts, 1))

    def next_change(self, ts: float) -> float | None:
        """The next instant after ``ts`` at which the queue opens or closes (None: never)."""
        for days in (8, 400):
            bounds = sorted({b for span in self._window(ts, days) for b in span})
            index = bisect.bisect_right(bounds, ts)
            if index < len(bounds):
                return bounds[index]
        return None

    def to_dict(self) -> dict[str, Any]:
        return {"timezone": self.timezone,
                "weekly": {d: list(v) for d, v in self.weekly.items()},
                "holidays": {d: list(v) for d, v in self.holidays.items()}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BusinessHours:
        return cls(timezone=data.get("timezone", "UTC"),
                   weekly={k: tuple(v) for k, v in (data.get("weekly") or {}).items()},
                   holidays={k: tuple(v) for k, v in (data.get("holidays") or {}).items()})
