"""SIP transactions over UDP (RFC 3261 §17): what makes an unreliable transport reliable.

Server side: a request seen again (same branch, same method) is a retransmission and is answered
with the last response we gave, never handled twice. A final response to an INVITE is resent
(T1, doubling up to T2) until the ACK comes or 64·T1 passes — for a 2xx that is the dialog's
job (§13.3.1.4), for a failure the transaction's (Timer G/H), and both use :func:`retransmit`.

Client side: a request is resent on the same timers until a response comes (Timer A/E), and
given up after 64·T1 (Timer B/F). A final response arriving again (our ACK was lost) is answered
with the same ACK.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dozvon.voice.sip.message import SipRequest, SipResponse, parse_via

MAGIC_COOKIE = "z9hG4bK"


@dataclass(frozen=True)
class Timers:
    """RFC 3261's T1 (round-trip estimate) and T2 (the longest retransmit interval). Tests shrink
    T1 to see a 64·T1 timeout in a second or two."""

    t1: float = 0.5
    t2: float = 4.0

    @property
    def timeout(self) -> float:
        return 64 * self.t1


def new_branch() -> str:
    return MAGIC_COOKIE + os.urandom(8).hex()


def new_tag() -> str:
    return os.urandom(6).hex()


def transaction_key(request: SipRequest, method: str | None = None) -> tuple[str, ...]:
    """What identifies the transaction of a request (§17.2.3): the branch and the method; for
    old peers without a magic-cookie branch, the fields that do the same job."""
    method = method or request.method
    branch = request.branch
    if branch.startswith(MAGIC_COOKIE):
        vias = request.headers.get_all("Via")
        via = parse_via(vias[0]) if vias else None
        sent_by = f"{via.host}:{via.port}" if via else ""
        return (branch, sent_by, method)
    return ("rfc2543", request.call_id, request.from_tag, str(request.cseq[0]), method)


async def retransmit(send: Callable[[], None], done: asyncio.Future[Any], timers: Timers,
                     limit: float | None = None, cap: bool = True) -> bool:
    """Call ``send`` again at T1, 2·T1, 4·T1 … (at most T2 apart when ``cap``) until ``done``
    resolves; True if it did, False when ``limit`` (64·T1) passed first. The first send is the
    caller's."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + (timers.timeout if limit is None else limit)
    interval = timers.t1
    while not done.done():
        remaining = deadline - loop.time()
        if remaining <= 0:
            return False
        await asyncio.wait([done], timeout=min(interval, remaining))
        if done.done():
            break
        if loop.time() >= deadline:
            return False
        send()
        interval = min(interval * 2, timers.t2) if cap else interval * 2
    return True


@dataclass
class ServerTransaction:
    """One request we answer: where answers go, the last one (for retransmissions), and for an
    INVITE the future its ACK resolves."""

    request: SipRequest
    addr: tuple[str, int]
    created: float
    last_response: bytes | None = None
    final_at: float | None = None
    acked: asyncio.Future[None] | None = None
    call: Any = None  # the Call an INVITE created (CANCEL looks it up here)


class ClientTransaction:
    """One request we send and its responses."""

    def __init__(self, request: SipRequest, dest: tuple[str, int], send: Callable[[bytes, tuple[str, int]], None],
                 timers: Timers, on_provisional: Callable[[SipResponse], None] | None = None) -> None:
        self.request = request
        self.dest = dest
        self._send = send
        self.timers = timers
        self.on_provisional = on_provisional
        self.is_invite = request.method == "INVITE"
        self.provisional: SipResponse | None = None
        self.final: asyncio.Future[SipResponse] = asyncio.get_running_loop().create_future()
        self.ack: bytes | None = None  # what answers a retransmitted final response
        self.data = request.serialise()

    @property
    def key(self) -> tuple[str, str]:
        return (self.request.branch, self.request.cseq[1])

    async def run(self, provisional_timeout: float | None = None) -> SipResponse:
        """Send and wait for the final response; TimeoutError after 64·T1 without any response
        (or after ``provisional_timeout`` once an INVITE is ringing, when given)."""
        self._send(self.data, self.dest)
        loop = asyncio.get_running_loop()
        start = loop.time()
        interval = self.timers.t1
        while not self.final.done():
            await asyncio.wait([self.final], timeout=interval)
            if self.final.done():
                break
            elapsed = loop.time() - start
            if self.provisional is None:
                if elapsed >= self.timers.timeout:
                    raise TimeoutError
                self._send(self.data, self.dest)
                interval = interval * 2 if self.is_invite else min(interval * 2, self.timers.t2)
            elif self.is_invite:  # ringing: no more retransmissions, wait for the answer
                if provisional_timeout is not None and elapsed >= provisional_timeout:
                    raise TimeoutError
                interval = 1.0
            else:  # a non-INVITE that got a 1xx is resent every T2 (Timer E)
                if elapsed >= self.timers.timeout:
                    raise TimeoutError
                self._send(self.data, self.dest)
                interval = self.timers.t2
        return self.final.result()

    def on_response(self, response: SipResponse) -> None:
        if response.status < 200:
            if not self.final.done():
                self.provisional = response
                if self.on_provisional is not None:
                    self.on_provisional(response)
            return
        if not self.final.done():
            self.final.set_result(response)
        elif self.ack is not None:
            self._send(self.ack, self.dest)  # the final again: our ACK was lost


@dataclass
class TransactionTable:
    """The server transactions of an agent, forgotten 64·T1 after their final response (or
    after five minutes without one, so an abandoned one cannot pile up)."""

    timers: Timers
    server: dict[tuple[str, ...], ServerTransaction] = field(default_factory=dict)
    client: dict[tuple[str, str], ClientTransaction] = field(default_factory=dict)
    client_done: dict[tuple[str, str], float] = field(default_factory=dict)

    def sweep(self, now: float) -> None:
        keep = self.timers.timeout
        stale = [key for key, txn in self.server.items()
                 if (txn.final_at is not None and now - txn.final_at > keep) or now - txn.created > 300]
        for key in stale:
            del self.server[key]
        for key in [k for k, at in self.client_done.items() if now - at > keep]:
            self.client_done.pop(key, None)
            self.client.pop(key, None)
