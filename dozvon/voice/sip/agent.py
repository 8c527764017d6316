"""The SIP user agent: one UDP socket towards a trusted trunk or PBX, calls in and out.

Dozvon answers INVITEs from its allowed peers, places calls through its trunk, and leaves what a
public-facing SIP server does — registration, digest authentication, TLS, NAT traversal, media
relay — to Kamailio and rtpengine in front of it (docs/voice.md). So the agent trusts its peers
for everything but well-formedness, and distrusts everyone else cheaply: a datagram from an
address outside ``allowed_peers`` costs a dictionary look-up, is answered 403 once per address
and window, and is otherwise dropped, so that a flood cannot starve calls in progress.

Everything runs on one asyncio loop; no call blocks it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from dozvon.core.i18n import translate
from dozvon.voice.rtp import PortRange, RtpSession, Ticker
from dozvon.voice.sip import messages as _messages  # noqa: F401  (registers the agent's log texts)
from dozvon.voice.sip import sdp
from dozvon.voice.sip.call import Call, CallEnded, CallFailed
from dozvon.voice.sip.message import (
    MAX_DATAGRAM,
    Headers,
    ParseError,
    SipRequest,
    SipResponse,
    parse,
    parse_name_addr,
    response_to,
    uri_user,
)
from dozvon.voice.sip.transaction import (
    ClientTransaction,
    ServerTransaction,
    Timers,
    TransactionTable,
    new_tag,
    transaction_key,
)

__all__ = ["Call", "CallEnded", "CallFailed", "SipAgent"]

log = logging.getLogger(__name__)

ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO"
#: Methods we know and do not take: 405 (with Allow). Anything else: 501.
KNOWN_METHODS = {"REGISTER", "SUBSCRIBE", "NOTIFY", "MESSAGE", "REFER", "PRACK", "UPDATE", "PUBLISH"}
#: How long one refusal to an address stands before it is answered (and logged) again.
REFUSAL_WINDOW = 10.0


class _LogLimiter:
    """At most one log line per kind of trouble and window, with how many were left unsaid."""

    def __init__(self, window: float = REFUSAL_WINDOW) -> None:
        self.window = window
        self._seen: dict[str, tuple[float, int]] = {}

    def allow(self, key: str, now: float) -> tuple[bool, int]:
        """(log it now?, how many were suppressed since the last line)."""
        last = self._seen.get(key)
        if last is None or now - last[0] >= self.window:
            if len(self._seen) > 4096:
                self._seen.clear()
            self._seen[key] = (now, 0)
            return True, last[1] if last else 0
        self._seen[key] = (last[0], last[1] + 1)
        return False, 0


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, agent: SipAgent) -> None:
        self.agent = agent

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        try:
            self.agent.datagram_received(data, (str(addr[0]), int(addr[1])))
        except Exception:  # whatever a datagram does, the transport lives on
            log.exception("SIP datagram from %s:%s dropped after an error", addr[0], addr[1])

    def error_received(self, exc: Exception) -> None:
        log.debug("SIP socket error: %s", exc)


class SipAgent:
    """A SIP user agent for a trusted peer. See the module's docstring.

    ``on_call(call)`` is awaited in a task of its own for every new inbound call; the call logic
    answers (or rejects) it there. ``advertise`` is the address put in Via, Contact and SDP when
    the agent listens on 0.0.0.0 (default: the listen address).
    """

    def __init__(self, listen: tuple[str, int], *, allowed_peers: Iterable[str], trunk: tuple[str, int] | None = None,
                 rtp_ports: tuple[int, int] = (20000, 20999), on_call: Callable[[Call], Awaitable[Any]] | None = None,
                 user_agent: str = "Dozvon", advertise: str | None = None, t1: float = 0.5, t2: float = 4.0,
                 max_calls: int = 1000, latch_rtp: bool = True, strict_rtp: bool = True,
                 ring_timeout: float = 120.0) -> None:
        self.listen = listen
        self.allowed = [ipaddress.ip_network(peer, strict=False) for peer in allowed_peers]
        self.trunk = trunk
        self.on_call = on_call
        self.user_agent = user_agent
        self.advertised_host = advertise or listen[0]
        self.timers = Timers(t1, t2)
        self.max_calls = max_calls
        self.latch_rtp = latch_rtp
        self.strict_rtp = strict_rtp
        self.ring_timeout = ring_timeout
        self.rtp_ports = PortRange(*rtp_ports)
        self.ticker = Ticker()
        self.allow = ALLOW
        self.calls: dict[str, Call] = {}
        self.table = TransactionTable(self.timers)
        self._transport: asyncio.DatagramTransport | None = None
        self._allowed_cache: dict[str, bool] = {}
        self._refused: dict[str, float] = {}
        self._log_limit = _LogLimiter()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._sweeper: asyncio.Task[None] | None = None
        self.counters = {"received": 0, "refused": 0, "dropped_refused": 0, "malformed": 0, "oversized": 0,
                         "retransmissions": 0}

    # --- life cycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._transport, _ = await loop.create_datagram_endpoint(lambda: _Protocol(self), local_addr=self.listen)
        sockname = self._transport.get_extra_info("sockname")
        self.listen = (self.listen[0], sockname[1])  # port 0 → the one the system gave
        self._sweeper = loop.create_task(self._sweep(), name="sip-sweeper")
        log.info("%s", translate("voice.sip.listening", address=f"{self.listen[0]}:{self.listen[1]}",
                                 peers=", ".join(str(n) for n in self.allowed) or translate("voice.sip.no_peers")))

    async def stop(self) -> None:
        """Hang up every call (BYE, or the failure/CANCEL a ringing one gets), then close."""
        calls = list(self.calls.values())
        if calls:  # the BYEs go out at once; their answers are waited for a little, not for 64·T1
            hangups = [asyncio.ensure_future(call._hangup("shutdown")) for call in calls]
            _, late = await asyncio.wait(hangups, timeout=min(2.0, self.timers.timeout))
            for task in late:
                task.cancel()
        for task in list(self._tasks) + ([self._sweeper] if self._sweeper else []):
            task.cancel()
        await self.ticker.stop()
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    async def __aenter__(self) -> SipAgent:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        return self.listen[1]

    @property
    def via_host(self) -> str:
        return f"{_uri_host(self.advertised_host)}:{self.listen[1]}"

    @property
    def contact(self) -> str:
        return f"<sip:dozvon@{self.via_host}>"

    # --- sending ---------------------------------------------------------------------------------

    def send(self, data: bytes, addr: tuple[str, int]) -> None:
        if self._transport is not None:
            self._transport.sendto(data, addr)

    def respond(self, txn: ServerTransaction, status: int, reason: str | None, *, to_tag: str | None = None,
                headers: Iterable[tuple[str, str]] = (), body: bytes = b"") -> bytes:
        """Answer a server transaction and remember the answer for its retransmissions."""
        extra = [*headers, ("Server", self.user_agent)]
        if status in (405, 501) or (txn.request.method == "OPTIONS" and status == 200):
            extra.append(("Allow", self.allow))
        data = response_to(txn.request, status, reason, to_tag=to_tag, headers=extra, body=body).serialise()
        txn.last_response = data
        if status >= 200:
            txn.final_at = asyncio.get_running_loop().time()
        self.send(data, txn.addr)
        return data

    async def request(self, request: SipRequest, dest: tuple[str, int],
                      on_provisional: Callable[[SipResponse], None] | None = None,
                      ring_timeout: float | None = None) -> SipResponse:
        """Send a request as a client transaction; its final response, or TimeoutError."""
        txn = ClientTransaction(request, dest, self.send, self.timers, on_provisional)
        self.table.client[txn.key] = txn
        try:
            response = await txn.run(ring_timeout)
        finally:
            self.table.client_done[txn.key] = asyncio.get_running_loop().time()
        if request.method == "INVITE" and response.status >= 300:
            txn.ack = self._non2xx_ack(request, response)
            self.send(txn.ack, dest)
        return response

    def client_transaction(self, request: SipRequest) -> ClientTransaction | None:
        return self.table.client.get((request.branch, request.cseq[1]))

    def remember_ack(self, invite: SipRequest, ack: bytes) -> None:
        txn = self.client_transaction(invite)
        if txn is not None:
            txn.ack = ack

    @staticmethod
    def _non2xx_ack(invite: SipRequest, response: SipResponse) -> bytes:
        """The ACK of a failure (§17.1.1.3): same branch, the To of the response."""
        h = Headers()
        h.add("Via", invite.headers.get_all("Via")[0])
        for route in invite.headers.get_all("Route"):
            h.add("Route", route)
        h.add("Max-Forwards", "70")
        h.add("From", invite.headers.get("From") or "")
        h.add("To", response.headers.get("To") or "")
        h.add("Call-ID", invite.call_id)
        h.add("CSeq", f"{invite.cseq[0]} ACK")
        return SipRequest(headers=h, method="ACK", uri=invite.uri).serialise()

    async def open_media(self, call: Call) -> RtpSession:
        session = RtpSession(host=self.listen[0] if self.listen[0] not in ("", "0.0.0.0") else "0.0.0.0",
                             ports=self.rtp_ports, ticker=self.ticker, latch=self.latch_rtp, strict=self.strict_rtp,
                             on_dtmf=lambda digit: call.events.put_nowait(("dtmf", digit)))
        await session.open()
        return session

    def forget(self, call: Call) -> None:
        if self.calls.get(call.call_id) is call:
            del self.calls[call.call_id]

    def spawn(self, coro: Awaitable[Any], name: str | None = None) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        if name:
            task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # --- outbound calls ----------------------------------------------------------------------------

    async def dial(self, number: str, caller_id: str | None = None) -> Call:
        """Send an INVITE to ``number`` through the trunk; the call is returned at once, ringing
        (``await call.wait_answered()`` for the outcome)."""
        if self.trunk is None:
            raise CallFailed(503, "no trunk configured for outbound calls")
        if not number or any(c in number for c in " <>@;:\"\r\n"):
            raise ValueError(f"not a number to dial: {number!r}")
        host, port = self.trunk
        remote_uri = f"sip:{number}@{_uri_host(host)}:{port}"
        user = caller_id if caller_id and not any(c in caller_id for c in " <>@;:\"\r\n") else "dozvon"
        local_uri = f"sip:{user}@{_uri_host(self.advertised_host)}"
        call = Call(self, call_id=f"{os.urandom(10).hex()}@{self.advertised_host}", direction="outbound",
                    local_uri=local_uri, remote_uri=remote_uri, remote_target=remote_uri, remote=self.trunk,
                    local_tag=new_tag())
        call.media = await self.open_media(call)
        call.media.configure(remote=None, codec="PCMU", pt=0, dtmf_pt=sdp.DEFAULT_DTMF_PT)
        invite = call.in_dialog_request("INVITE", body=call._our_sdp("sendrecv"))
        call._invite_request = invite
        self.calls[call.call_id] = call
        self.spawn(self._run_invite(call, invite), name=f"sip-invite-{call.call_id}")
        return call

    async def place_call(self, number: str, caller_id: str | None = None, timeout: float | None = None) -> Call:
        """An outbound call through the trunk, returned once answered; :class:`CallFailed` with
        the status when it is refused or not answered in ``timeout`` (then it is cancelled)."""
        call = await self.dial(number, caller_id)
        try:
            await asyncio.wait_for(call.wait_answered(), timeout)
        except TimeoutError:
            await call._hangup("timeout")
            raise CallFailed(408, "Request Timeout") from None
        except asyncio.CancelledError:
            self.spawn(call.hangup())
            raise
        return call

    async def _run_invite(self, call: Call, invite: SipRequest) -> None:
        try:
            response = await self.request(invite, self.trunk or call.remote, call.on_provisional, self.ring_timeout)
        except TimeoutError:
            if call.state == "ringing":
                call._cancel_requested = True
                call._send_cancel()
                if not call._answered.done():
                    call._answered.set_exception(CallFailed(408, "Request Timeout"))
            call._finish("timeout")
            return
        call.on_final(invite, response)

    # --- receiving ----------------------------------------------------------------------------------

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.counters["received"] += 1
        if len(data) > MAX_DATAGRAM:
            self.counters["oversized"] += 1
            self._log_once("oversized", "voice.sip.oversized", size=len(data), address=addr[0], limit=MAX_DATAGRAM)
            return
        if not self._is_allowed(addr[0]):
            self._refuse(data, addr)
            return
        if data.strip(b"\r\n") == b"":
            return  # a keep-alive
        try:
            message = parse(data)
        except ParseError as error:
            self.counters["malformed"] += 1
            self._log_once(f"malformed:{addr[0]}", "voice.sip.malformed", address=f"{addr[0]}:{addr[1]}",
                           reason=error.reason)
            request = error.request
            if request is not None and request.method != "ACK":
                headers = [("Warning", f'399 dozvon "{_quote(error.reason)}"'), ("Server", self.user_agent)]
                self.send(response_to(request, 400, "Bad Request", headers=headers).serialise(), addr)
            return
        if isinstance(message, SipResponse):
            self._on_response(message)
        else:
            self._on_request(message, addr)

    def _is_allowed(self, host: str) -> bool:
        verdict = self._allowed_cache.get(host)
        if verdict is None:
            try:
                ip = ipaddress.ip_address(host.split("%", 1)[0])
                verdict = any(ip in net for net in self.allowed)
            except ValueError:
                verdict = False
            if len(self._allowed_cache) > 65536:
                self._allowed_cache.clear()
            self._allowed_cache[host] = verdict
        return verdict

    def _refuse(self, data: bytes, addr: tuple[str, int]) -> None:
        """403 once per address and window, then silence: a flood costs us a look-up a datagram."""
        now = time.monotonic()
        last = self._refused.get(addr[0])
        if last is not None and now - last < REFUSAL_WINDOW:
            self.counters["dropped_refused"] += 1
            return
        if len(self._refused) > 65536:
            self._refused.clear()
        self._refused[addr[0]] = now
        self.counters["refused"] += 1
        self._log_once(f"refused:{addr[0]}", "voice.sip.refused", address=f"{addr[0]}:{addr[1]}")
        try:
            message = parse(data)
        except ParseError:
            return
        if isinstance(message, SipRequest) and message.method != "ACK":
            self.send(response_to(message, 403, "Forbidden", headers=[("Server", self.user_agent)]).serialise(), addr)

    def _log_once(self, key: str, message: str, **params: Any) -> None:
        """One warning per kind of trouble and window, saying how many like it went unsaid."""
        ok, suppressed = self._log_limit.allow(key, time.monotonic())
        if ok:
            text = translate(message, **params)
            if suppressed:
                text += f" ({translate('voice.sip.suppressed', count=suppressed, seconds=int(REFUSAL_WINDOW))})"
            log.warning("%s", text)

    def _on_response(self, response: SipResponse) -> None:
        txn = self.table.client.get((response.branch, response.cseq[1]))
        if txn is not None:
            txn.on_response(response)

    def _on_request(self, request: SipRequest, addr: tuple[str, int]) -> None:
        if request.method == "ACK":
            self._on_ack(request)
            return
        key = transaction_key(request)
        known = self.table.server.get(key)
        if known is not None:  # a retransmission: the same answer again, nothing handled twice
            self.counters["retransmissions"] += 1
            if known.last_response is not None:
                self.send(known.last_response, known.addr)
            return
        txn = ServerTransaction(request, addr, asyncio.get_running_loop().time())
        self.table.server[key] = txn
        method = request.method
        if (request.headers.get("Max-Forwards") or "").strip() == "0" and method != "OPTIONS":
            self.respond(txn, 483, "Too Many Hops", to_tag=new_tag())
            return
        required = [opt for value in request.headers.get_all("Require") for opt in value.split(",") if opt.strip()]
        if required and method not in ("CANCEL", "BYE"):  # we support no extension a peer could require (§8.2.2.3)
            self.respond(txn, 420, "Bad Extension", to_tag=new_tag(),
                         headers=[("Unsupported", ", ".join(opt.strip() for opt in required))])
            return
        if method == "INVITE":
            if request.to_tag:
                self._in_dialog(txn, lambda call: call.on_reinvite(txn))
            else:
                self._new_call(txn)
        elif method == "CANCEL":
            self._on_cancel(txn)
        elif method == "BYE":
            self._in_dialog(txn, lambda call: self._answer_then(txn, call.on_bye))
        elif method == "INFO":
            self._in_dialog(txn, lambda call: self._answer_then(txn, lambda: call.on_info(request)))
        elif method == "OPTIONS":
            self.respond(txn, 200, None, to_tag=new_tag() if not request.to_tag else None,
                         headers=[("Accept", "application/sdp"), ("Contact", self.contact)])
        elif method in KNOWN_METHODS:
            self.respond(txn, 405, None, to_tag=new_tag())
        else:
            self.respond(txn, 501, None, to_tag=new_tag())

    def _in_dialog(self, txn: ServerTransaction, handle: Callable[[Call], object]) -> None:
        request = txn.request
        call = self.calls.get(request.call_id)
        foreign = call is not None and call.remote_tag and request.from_tag != call.remote_tag
        if call is None or request.to_tag != call.local_tag or foreign:
            self.respond(txn, 481, None)
            return
        if request.cseq[0] <= call.remote_cseq and request.method != "ACK":
            self.respond(txn, 500, "Server Internal Error", headers=[("Retry-After", "1")])  # out of order (§12.2.2)
            return
        call.remote_cseq = request.cseq[0]
        handle(call)

    def _answer_then(self, txn: ServerTransaction, then: Callable[[], None]) -> None:
        self.respond(txn, 200, None)
        then()

    def _on_ack(self, request: SipRequest) -> None:
        invite_txn = self.table.server.get(transaction_key(request, "INVITE"))
        if invite_txn is not None and invite_txn.acked is not None and not invite_txn.acked.done():
            invite_txn.acked.set_result(None)  # the ACK of a failure response (same branch)
            return
        call = self.calls.get(request.call_id)
        if call is not None and request.to_tag == call.local_tag:
            call.on_ack(request)

    def _on_cancel(self, txn: ServerTransaction) -> None:
        invite_txn = self.table.server.get(transaction_key(txn.request, "INVITE"))
        if invite_txn is None:
            self.respond(txn, 481, None)
            return
        self.respond(txn, 200, None, to_tag=invite_txn.call.local_tag if invite_txn.call else None)
        if invite_txn.call is not None:
            invite_txn.call.on_cancel()

    def _new_call(self, txn: ServerTransaction) -> None:
        request = txn.request
        if request.call_id in self.calls:
            self.respond(txn, 482, "Loop Detected", to_tag=new_tag())
            return
        if len(self.calls) >= self.max_calls or self.on_call is None:
            self.respond(txn, 503, "Service Unavailable", to_tag=new_tag(), headers=[("Retry-After", "5")])
            return
        offer: sdp.MediaDescription | None = None
        negotiated: sdp.Negotiated | None = None
        if request.body:
            content_type = (request.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if content_type != "application/sdp":
                self.respond(txn, 415, None, to_tag=new_tag(), headers=[("Accept", "application/sdp")])
                return
            try:
                offer = sdp.parse(request.body)
                negotiated = sdp.answer_offer(offer)
            except sdp.SdpError as error:
                self.respond(txn, error.status, None, to_tag=new_tag(),
                             headers=[("Warning", f'399 dozvon "{_quote(error.reason)}"')])
                return
        self.respond(txn, 100, None)
        _, remote_uri = parse_name_addr(request.headers.get("From") or "")
        _, local_uri = parse_name_addr(request.headers.get("To") or "")
        contact = request.headers.get("Contact")
        call = Call(self, call_id=request.call_id, direction="inbound", local_uri=local_uri, remote_uri=remote_uri,
                    remote_target=parse_name_addr(contact)[1] if contact else remote_uri, remote=txn.addr,
                    local_tag=new_tag(), remote_tag=request.from_tag)
        call.callee = uri_user(request.uri) or call.callee  # the number dialled, as the trunk routes it
        call.invite, call.invite_txn, call.offer, call.negotiated = request, txn, offer, negotiated
        call.route_set = request.headers.get_all("Record-Route")
        call.remote_cseq = request.cseq[0]
        if negotiated is not None:
            call.codec = negotiated.codec
        txn.call = call
        self.calls[call.call_id] = call
        self.spawn(self._run_on_call(call), name=f"sip-call-{call.call_id}")

    async def _run_on_call(self, call: Call) -> None:
        assert self.on_call is not None
        try:
            await call._ensure_media()  # media from the start: the call logic may play early audio
            await self.on_call(call)
        except CallEnded:
            pass
        except Exception:
            log.exception("the call logic failed on call %s", call.call_id)
            await call._hangup("failed")

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            self.table.sweep(asyncio.get_running_loop().time())


def _uri_host(host: str) -> str:
    """An address as it goes into a SIP URI or Via: IPv6 in brackets (RFC 3261 §25.1)."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', "'")[:200]

