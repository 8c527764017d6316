"""Failed-login throttling: a few wrong passwords lock an account (and an address) out for a while.

Kept in the server process's memory, not in the database. Dozvon serves from one process,
so this is the whole picture; a check costs no query and no argon2 hash, so a locked-out
guesser is refused for almost nothing (which is the point: every guess it is allowed costs
argon2 time). The price: a restart forgets the counts (an attacker gains one more round of
``max_failures`` guesses per restart), and several server processes would each count on
their own. The audit log, which is in the database, still records every failure.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: Keys remembered at most (accounts and addresses together); beyond it the least recently
#: failed are forgotten, so that guessers with random user names cannot fill the memory.
MAX_KEYS = 100_000


@dataclass
class _Record:
    failures: list[float] = field(default_factory=list)  # times of failures within the window
    pending: int = 0  # attempts being checked right now (accounts only)
    locked_until: float = 0.0


@dataclass(frozen=True)
class Failure:
    """What one more failure did: the failures counted and the lock-out it started (0: none)."""

    account_failures: int
    address_failures: int
    locked_for_s: float


class LoginThrottle:
    """Counts failed logins per account and per client address within a sliding window.

    After ``max_failures`` failures of one account (``address_max_failures`` from one
    address) within ``window_s``, attempts are refused for ``lockout_s`` after the last
    failure, doubling with each failure beyond the limit (capped at the window) — a correct
    password too: a locked attempt is refused before it is checked. A successful login
    clears the account's count (not the address's). Attempts in flight count against an
    account, so a burst of parallel guesses cannot overshoot the limit.

    Unknown user names are counted like real ones, so the answers do not tell whether an
    account exists. Thread-safe; ``clock`` (seconds, monotonic) is injectable for tests.
    """

    def __init__(self, *, max_failures: int = 5, address_max_failures: int = 50, window_s: float = 900.0,
                 lockout_s: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_failures = max_failures
        self.address_max_failures = address_max_failures
        self.window_s = window_s
        self.lockout_s = lockout_s
        self.clock = clock
        self._records: dict[str, _Record] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Any, clock: Callable[[], float] = time.monotonic) -> LoginThrottle:
        return cls(max_failures=settings.login_max_failures,
                   address_max_failures=settings.login_address_max_failures,
                   window_s=settings.login_window_s, lockout_s=settings.login_lockout_s, clock=clock)

    # ------------------------------------------------------------------ the protocol

    def admit(self, username: str, address: str) -> float:
        """0 if an attempt may go ahead (it is then in flight until :meth:`failed`,
        :meth:`succeeded` or :meth:`abandoned`), else the seconds to wait before the next one."""
        with self._lock:
            now = self.clock()
            account = self._get(_account(username), now)
            wait = max(_wait(account, now), _wait(self._get(_address(address), now), now))
            if wait == 0 and account is not None and account.pending \
                    and len(account.failures) + account.pending >= self.max_failures:
                wait = 1.0  # the attempts in flight may reach the limit: wait for their outcome
            if wait > 0:
                return wait
            self._record(_account(username), now).pending += 1
            return 0.0

    def failed(self, username: str, address: str) -> Failure:
        """Count a failed attempt admitted before; returns the counts and any lock-out begun."""
        with self._lock:
            now = self.clock()
            account = self._record(_account(username), now)
            account.pending = max(0, account.pending - 1)
            place = self._record(_address(address), now)
            locked = max(self._fail(account, self.max_failures, now), self._fail(place, self.address_max_failures, now))
            return Failure(len(account.failures), len(place.failures), locked)

    def succeeded(self, username: str) -> None:
        """An admitted attempt succeeded: the account's failures are forgiven."""
        with self._lock:
            self._records.pop(_account(username), None)

    def abandoned(self, username: str) -> None:
        """An admitted attempt ended without an answer (the database was down): not counted."""
        with self._lock:
            record = self._records.get(_account(username))
            if record is not None:
                record.pending = max(0, record.pending - 1)

    # ------------------------------------------------------------------ inside

    def _fail(self, record: _Record, limit: int, now: float) -> float:
        """Count a failure; the lock-out it starts, if any."""
        record.failures.append(now)
        if len(record.failures) < limit:
            return 0.0
        lockout = min(self.lockout_s * 2.0 ** min(len(record.failures) - limit, 32), self.window_s)
        record.locked_until = max(record.locked_until, now + lockout)
        return lockout

    def _get(self, key: str, now: float) -> _Record | None:
        record = self._records.get(key)
        if record is not None:
            horizon = now - self.window_s
            if record.failures and record.failures[0] <= horizon:
                record.failures = [t for t in record.failures if t > horizon]
            if not record.failures and not record.pending and record.locked_until <= now:
                del self._records[key]
                return None
        return record

    def _record(self, key: str, now: float) -> _Record:
        record = self._get(key, now) or _Record()
        self._records.pop(key, None)
        self._records[key] = record  # most recently touched last: the oldest are forgotten first
        if len(self._records) > MAX_KEYS:
            for stale in list(self._records)[: MAX_KEYS // 10]:
                del self._records[stale]
        return record


def _wait(record: _Record | None, now: float) -> float:
    return 0.0 if record is None else max(0.0, record.locked_until - now)


def _account(username: str) -> str:
    return "user:" + username.casefold()


def _address(address: str) -> str:
    return "addr:" + address


def retry_after_header(seconds: float) -> str:
    """Whole seconds, rounded up, for the ``Retry-After`` header (at least 1)."""
    return str(max(1, math.ceil(seconds)))
