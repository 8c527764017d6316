"""A call: one SIP dialog (RFC 3261 §12) and its audio, as the call logic sees it.

The call logic answers, rejects, hangs up, holds and resumes; it reads and writes audio through
``call.media`` and learns what the peer did from ``call.events`` — ("ringing", status),
("dtmf", digit), ("hold", True/False), ("ended", reason) — and ``call.ended``. Everything
about transactions and timers stays below, in the agent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING, Any, Literal

from dozvon.core.i18n import translate
from dozvon.voice.rtp import RtpSession
from dozvon.voice.sip import sdp
from dozvon.voice.sip.message import (
    Headers,
    SipRequest,
    SipResponse,
    parse_name_addr,
    uri_user,
)
from dozvon.voice.sip.transaction import ServerTransaction, new_branch, retransmit

if TYPE_CHECKING:
    from dozvon.voice.sip.agent import SipAgent

log = logging.getLogger(__name__)

EndReason = Literal["remote_bye", "cancelled", "local_hangup", "no_ack", "rejected", "timeout", "shutdown",
                    "failed"]
#: Codecs we offer, in our order of preference, and where telephone-event goes in our offers.
OFFER = [("PCMU", 0), ("PCMA", 8)]


class CallEnded(Exception):
    """The call ended before what was asked could happen (the caller hung up during answer)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CallFailed(Exception):
    """An outbound call, or our re-INVITE, was refused (``status`` 408 when nobody answered)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"{status} {reason}")
        self.status = status
        self.reason = reason


class Call:
    """One call. Inbound calls are made by the agent from an INVITE; outbound by
    :meth:`SipAgent.dial`."""

    def __init__(self, agent: SipAgent, *, call_id: str, direction: Literal["inbound", "outbound"],
                 local_uri: str, remote_uri: str, remote_target: str, remote: tuple[str, int],
                 local_tag: str, remote_tag: str = "") -> None:
        self.agent = agent
        self.call_id = call_id
        self.direction = direction
        self.local_uri, self.remote_uri, self.remote_target = local_uri, remote_uri, remote_target
        self.remote = remote
        self.local_tag, self.remote_tag = local_tag, remote_tag
        self.caller = uri_user(remote_uri if direction == "inbound" else local_uri)
        self.callee = uri_user(local_uri if direction == "inbound" else remote_uri)
        self.started_at = time.time()
        self.answered_at: float | None = None
        self.state: Literal["ringing", "answering", "confirmed", "ended"] = "ringing"
        self.route_set: list[str] = []
        self.local_cseq = 0
        self.remote_cseq = 0
        self.codec = "PCMU"
        self.negotiated: sdp.Negotiated | None = None
        self.media: RtpSession = None  # type: ignore[assignment]  # set before the call logic can see it
        self.on_hold = False  # the peer holds us (its re-INVITE said sendonly/inactive)
        self.held_by_us = False
        self.events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self.ended = asyncio.Event()
        self.end_reason = ""
        self.origin = sdp.SdpOrigin()
        # inbound: the INVITE we answer and its transaction
        self.invite: SipRequest | None = None
        self.invite_txn: ServerTransaction | None = None
        self.offer: sdp.MediaDescription | None = None
        # the ACK of the INVITE we answered with 2xx (or of a re-INVITE): (CSeq number, future)
        self._ack_wait: tuple[int, asyncio.Future[None]] | None = None
        self._reinvite_pending = False
        # outbound
        self._answered: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._answered.add_done_callback(lambda f: f.exception() if not f.cancelled() else None)
        self._cancel_requested = False
        self._cancel_sent = False
        self._early_media = False
        self._invite_request: SipRequest | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    def __repr__(self) -> str:
        return f"<Call {self.direction} {self.caller}→{self.callee} {self.state} {self.call_id}>"

    # --- what the call logic does -------------------------------------------------------------

    async def ring(self) -> None:
        """180 Ringing to the caller (inbound, before answer)."""
        if self.direction == "inbound" and self.state == "ringing":
            self._respond_invite(180)

    async def early_media(self) -> None:
        """183 Session Progress with our SDP: the caller hears what is written to ``media``
        before the answer (ringback, an announcement) — inbound, while it rings."""
        if self.direction != "inbound" or self.state != "ringing" or self.offer is None:
            return
        await self._ensure_media()
        if self.state != "ringing":
            return
        self._early_media = True
        body = self._our_sdp(sdp.mirror(self.offer.direction))
        self.origin.version -= 1  # the 200 repeats this SDP unchanged (RFC 3264 §8)
        self._respond_invite(183, body=body)
        await self._ensure_media()

    async def answer(self) -> None:
        """200 OK with our SDP; returns once the caller's ACK came. Raises :class:`CallEnded`
        when the caller cancelled first or never acknowledged (the call then ends ``no_ack``)."""
        if self.direction != "inbound":
            raise RuntimeError("only an inbound call is answered")
        if self.state == "ended":
            raise CallEnded(self.end_reason)
        if self.state != "ringing":
            return
        await self._ensure_media()
        if self.ended.is_set():  # cancelled while the port was opened
            raise CallEnded(self.end_reason)
        self.state = "answering"
        await self._ensure_media()  # sending from now on
        body = self._our_sdp(sdp.mirror(self.offer.direction) if self.offer else "sendrecv")
        assert self.invite is not None
        acked = self._expect_ack(self.invite.cseq[0])
        data = self._respond_invite(200, body=body)
        ok = await retransmit(lambda: self.agent.send(data, self.remote), acked, self.agent.timers)
        if self.ended.is_set():
            raise CallEnded(self.end_reason)
        if not ok:
            log.warning("%s", translate("voice.sip.no_ack", call=self.call_id, seconds=self.agent.timers.timeout))
            await self._bye("no_ack")
            raise CallEnded("no_ack")
        self.state = "confirmed"
        self.answered_at = time.time()

    async def reject(self, status: int = 486, reason: str | None = None) -> None:
        """A final failure response to an inbound call not answered yet."""
        if self.direction != "inbound" or self.state != "ringing":
            return
        if not 300 <= status <= 699:
            raise ValueError(f"a rejection is a final failure status (300-699), not {status}")
        self._fail_invite(status, reason)
        self._finish("rejected")

    async def hangup(self) -> None:
        """End the call from our side: BYE when it is up, CANCEL while an outbound call rings,
        480 to an inbound call not answered yet."""
        await self._hangup("local_hangup")

    async def hold(self) -> None:
        """Put the peer on hold: our re-INVITE offering ``sendonly`` (music still flows to it)."""
        await self._reinvite("sendonly")
        self.held_by_us = True

    async def resume(self) -> None:
        await self._reinvite("sendrecv")
        self.held_by_us = False

    async def wait_answered(self) -> None:
        """For an outbound call: returns once the callee answered; :class:`CallFailed` otherwise."""
        await asyncio.shield(self._answered)

    # --- below the call logic -----------------------------------------------------------------

    async def _hangup(self, reason: str) -> None:
        if self.state == "ended":
            return
        if self.direction == "inbound" and self.state == "ringing":
            self._fail_invite(480, "Temporarily Unavailable")
            self._finish(reason)
        elif self.direction == "outbound" and self.state == "ringing":
            self._cancel_requested = True
            self._send_cancel()
            if not self._answered.done():
                self._answered.set_exception(CallFailed(487, "Request Terminated"))
            self._finish(reason)
        else:
            await self._bye(reason)

    async def _ensure_media(self) -> None:
        if self.media is None:
            self.media = await self.agent.open_media(self)
        if self.negotiated is not None:
            n = self.negotiated
            self.codec = n.codec
            self.media.configure(remote=(n.remote.address, n.remote.port), codec=n.codec, pt=n.pt, dtmf_pt=n.dtmf_pt)
            # Nothing goes to an inbound caller before the answer (or 183 with early media): the
            # peer has not heard our SDP yet.
            heard = self.direction == "outbound" or self.state != "ringing" or self._early_media
            self.media.sending = heard and not n.remote.on_hold

    def _our_sdp(self, direction: str) -> bytes:
        assert self.media is not None
        self.origin.version += 1
        if self.negotiated is not None:  # an answer, or an offer in a confirmed dialog: one codec
            codecs = [(self.negotiated.codec, self.negotiated.pt)]
            dtmf = self.negotiated.dtmf_pt
        else:
            codecs, dtmf = OFFER, sdp.DEFAULT_DTMF_PT
        return sdp.build(self.agent.advertised_host, self.media.local_port, codecs, dtmf, direction, self.origin,
                         self.agent.user_agent)

    def _expect_ack(self, cseq: int) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._ack_wait = (cseq, future)
        return future

    def _respond_invite(self, status: int, reason: str | None = None, body: bytes = b"") -> bytes:
        assert self.invite is not None and self.invite_txn is not None
        headers = [("Contact", self.agent.contact)]
        if status < 300:
            headers += [(n, v) for n, v in ((n, v) for n, v in self.invite.headers if n == "Record-Route")]
            headers.append(("Allow", self.agent.allow))
        if body:
            headers.append(("Content-Type", "application/sdp"))
        return self.agent.respond(self.invite_txn, status, reason, to_tag=self.local_tag, headers=headers, body=body)

    def _fail_invite(self, status: int, reason: str | None) -> None:
        """A final failure to our INVITE transaction, resent until the peer's ACK (Timer G/H)."""
        txn = self.invite_txn
        assert txn is not None
        data = self._respond_invite(status, reason)
        txn.acked = asyncio.get_running_loop().create_future()
        acked = txn.acked
        self.spawn(retransmit(lambda: self.agent.send(data, txn.addr), acked, self.agent.timers))

    def _finish(self, reason: str) -> None:
        """The call is over: audio stops, the call logic hears it, the agent forgets the dialog."""
        if self.state == "ended":
            return
        self.state = "ended"
        self.end_reason = reason
        if self.media is not None:
            self.media.close()
        if self._ack_wait is not None and not self._ack_wait[1].done():
            self._ack_wait[1].cancel()
        if not self._answered.done():
            self._answered.set_exception(CallFailed(487 if reason == "cancelled" else 480, reason))
        self.events.put_nowait(("ended", reason))
        self.ended.set()
        self.agent.forget(self)
        log.info("%s", translate("voice.sip.ended", call=self.call_id, direction=self.direction, caller=self.caller,
                                 callee=self.callee, reason=reason))

    def spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- requests we send in the dialog ----------------------------------------------------------

    def in_dialog_request(self, method: str, body: bytes = b"", headers: list[tuple[str, str]] | None = None,
                          cseq: int | None = None) -> SipRequest:
        if cseq is None:
            self.local_cseq += 1
            cseq = self.local_cseq
        h = Headers()
        h.add("Via", f"SIP/2.0/UDP {self.agent.via_host};branch={new_branch()};rport")
        h.add("Max-Forwards", "70")
        for route in self.route_set:
            h.add("Route", route)
        h.add("From", f"<{self.local_uri}>;tag={self.local_tag}")
        h.add("To", f"<{self.remote_uri}>" + (f";tag={self.remote_tag}" if self.remote_tag else ""))
        h.add("Call-ID", self.call_id)
        h.add("CSeq", f"{cseq} {method}")
        if method in ("INVITE", "ACK") or method == "BYE":
            h.add("Contact", self.agent.contact)
        h.add("User-Agent", self.agent.user_agent)
        for name, value in headers or []:
            h.add(name, value)
        if body:
            h.add("Content-Type", "application/sdp")
        return SipRequest(headers=h, body=body, method=method, uri=self.remote_target)

    async def _bye(self, reason: str) -> None:
        if self.state == "ended":
            return
        request = self.in_dialog_request("BYE")
        self._finish(reason)
        try:
            await self.agent.request(request, self.remote)
        except TimeoutError:
            log.info("call %s: no answer to our BYE", self.call_id)

    async def _reinvite(self, direction: str) -> None:
        if self.state != "confirmed":
            raise CallEnded(self.end_reason or self.state)
        if self._reinvite_pending:
            raise CallFailed(491, "Request Pending")
        self._reinvite_pending = True
        try:
            request = self.in_dialog_request("INVITE", body=self._our_sdp(direction))
            try:
                response = await self.agent.request(request, self.remote)
            except TimeoutError:
                await self._bye("timeout")
                raise CallFailed(408, "Request Timeout") from None
            if response.status >= 300:
                if response.status in (408, 481):  # the dialog is gone on the other side (§14.1)
                    await self._bye("failed")
                raise CallFailed(response.status, response.reason)
            self._send_ack(request, response)
            self._read_answer(response)
        finally:
            self._reinvite_pending = False

    def _send_ack(self, invite: SipRequest, response: SipResponse) -> None:
        ack = self.in_dialog_request("ACK", cseq=invite.cseq[0])
        data = ack.serialise()
        self.agent.send(data, self.remote)
        self.agent.remember_ack(invite, data)

    def _read_answer(self, response: SipResponse) -> None:
        if not response.body:
            return
        try:
            remote = sdp.parse(response.body)
            self.negotiated = sdp.read_answer(remote, [name for name, _ in OFFER])
        except sdp.SdpError as error:
            log.warning("call %s: unusable SDP answer: %s", self.call_id, error.reason)
            return
        n = self.negotiated
        self.codec = n.codec
        if self.media is not None:
            self.media.configure(remote=(remote.address, remote.port), codec=n.codec, pt=n.pt, dtmf_pt=n.dtmf_pt)
            self.media.sending = remote.direction in ("sendrecv", "recvonly") and remote.address not in ("0.0.0.0",)

    def _send_cancel(self) -> None:
        """CANCEL our INVITE (§9.1): only once the peer sent a provisional response; otherwise
        it goes as soon as one arrives (see :meth:`on_provisional`)."""
        invite = self._invite_request
        if invite is None or self.agent.client_transaction(invite) is None:
            return
        txn = self.agent.client_transaction(invite)
        if txn is None or txn.provisional is None or self._cancel_sent:
            return
        self._cancel_sent = True
        h = Headers()
        h.add("Via", invite.headers.get_all("Via")[0])
        for name in ("Max-Forwards", "From", "To", "Call-ID"):
            h.add(name, invite.headers.get(name) or "")
        for route in invite.headers.get_all("Route"):
            h.add("Route", route)
        h.add("CSeq", f"{invite.cseq[0]} CANCEL")
        cancel = SipRequest(headers=h, method="CANCEL", uri=invite.uri)
        self.spawn(self._quiet(self.agent.request(cancel, self.remote)))

    @staticmethod
    async def _quiet(coro: Any) -> None:
        with contextlib.suppress(TimeoutError):
            await coro

    # --- requests the peer sends in the dialog -----------------------------------------------------

    def on_ack(self, request: SipRequest) -> None:
        if self._ack_wait is None or request.cseq[0] != self._ack_wait[0]:
            return
        if request.body and self.negotiated is None:  # a delayed offer: our offer, their answer in the ACK
            try:
                remote = sdp.parse(request.body)
                self.negotiated = sdp.read_answer(remote, [name for name, _ in OFFER])
                self.spawn(self._ensure_media())
            except sdp.SdpError as error:
                log.warning("call %s: unusable SDP in the ACK: %s", self.call_id, error.reason)
        if not self._ack_wait[1].done():
            self._ack_wait[1].set_result(None)

    def on_cancel(self) -> None:
        """The caller gave up before we answered: 487 to its INVITE."""
        if self.direction == "inbound" and self.state == "ringing":
            self._fail_invite(487, None)
            self._finish("cancelled")

    def on_bye(self) -> None:
        self._finish("remote_bye")

    def on_reinvite(self, txn: ServerTransaction) -> None:
        """The peer's new offer in the dialog: hold (sendonly/inactive), resume, a new address."""
        request = txn.request
        if self._reinvite_pending or (self._ack_wait is not None and not self._ack_wait[1].done()):
            self.agent.respond(txn, 491, None, to_tag=self.local_tag)
            return
        offer: sdp.MediaDescription | None = None
        if request.body:
            try:
                offer = sdp.parse(request.body)
                negotiated = sdp.answer_offer(offer)
            except sdp.SdpError as error:
                self.agent.respond(txn, error.status, None, to_tag=self.local_tag,
                                   headers=[("Warning", f'399 dozvon "{error.reason}"')])
                return
            self.negotiated = negotiated
            self.codec = negotiated.codec
            self.media.configure(remote=(offer.address, offer.port), codec=negotiated.codec, pt=negotiated.pt,
                                 dtmf_pt=negotiated.dtmf_pt)
            ours = sdp.mirror(offer.direction)
            self.media.sending = ours in ("sendrecv", "sendonly") and offer.address not in ("0.0.0.0", "::")
            if offer.on_hold != self.on_hold:
                self.on_hold = offer.on_hold
                self.events.put_nowait(("hold", self.on_hold))
            body = self._our_sdp(ours)
        else:  # no offer: ours goes in the 200, their answer in the ACK
            body = self._our_sdp("sendrecv")
        headers = [("Contact", self.agent.contact), ("Content-Type", "application/sdp")]
        acked = self._expect_ack(request.cseq[0])
        data = self.agent.respond(txn, 200, None, to_tag=self.local_tag, headers=headers, body=body)
        self.spawn(self._await_reinvite_ack(data, acked, txn.addr))

    async def _await_reinvite_ack(self, data: bytes, acked: asyncio.Future[None], addr: tuple[str, int]) -> None:
        acked_in_time = await retransmit(lambda: self.agent.send(data, addr), acked, self.agent.timers)
        if not acked_in_time and self.state != "ended":
                await self._bye("no_ack")

    def on_info(self, request: SipRequest) -> None:
        """DTMF by SIP INFO (application/dtmf-relay), which some PBXs send instead of RFC 4733."""
        if "dtmf" not in (request.headers.get("Content-Type") or "").lower():
            return
        for line in request.body.decode("utf-8", "replace").splitlines():
            key, _, value = line.partition("=")
            if key.strip().lower() == "signal" and len(value.strip()) == 1:
                self.events.put_nowait(("dtmf", value.strip().upper()))

    # --- the outbound INVITE's responses -------------------------------------------------------

    def on_provisional(self, response: SipResponse) -> None:
        if self._cancel_requested:
            self._send_cancel()
            return
        if self.state != "ringing":
            return
        if response.to_tag and not self.remote_tag:
            self.remote_tag = response.to_tag  # early dialog
        if response.status > 100:
            self.events.put_nowait(("ringing", response.status))

    def on_final(self, invite: SipRequest, response: SipResponse) -> None:
        """The outcome of our INVITE: a 2xx confirms the dialog (ACKed from here); a failure
        ends the call (the transaction ACKs it)."""
        if response.status >= 300:
            if not self._answered.done():
                self._answered.set_exception(CallFailed(response.status, response.reason))
            self._finish("local_hangup" if self._cancel_requested else "rejected")
            return
        self.remote_tag = response.to_tag
        contact = response.headers.get("Contact")
        if contact:
            self.remote_target = parse_name_addr(contact)[1]
        self.route_set = list(reversed(response.headers.get_all("Record-Route")))
        self._send_ack(invite, response)
        if self.state == "ended" or self._cancel_requested:  # answered just as we cancelled: BYE
            self.spawn(self._quiet(self.agent.request(self.in_dialog_request("BYE"), self.remote)))
            self._finish("local_hangup")
            return
        self._read_answer(response)
        self.state = "confirmed"
        self.answered_at = time.time()
        if not self._answered.done():
            self._answered.set_result(None)
