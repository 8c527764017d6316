"""The voice channel inside the server: the SIP user agent, the calls, the softphones.

Voice runs on an asyncio loop of its own, on its own thread: audio is paced every 20 ms
and must not wait behind the web requests' loop, and the engine's commits (in worker
threads) reach it with ``call_soon_threadsafe``. It plugs into the server the way every
channel does — the channel registry's adapter for ``voice`` receives the engine's
decisions after commit, and a tap on the committed events tells a call of its
operator's hold, transfer and end. A decision can arrive before the call knows its
conversation id (the ingest's commit hands it out first), so decisions and events for a
conversation not yet known wait a minute for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import threading
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select

from dozvon.acd import queries as live
from dozvon.channels import connections
from dozvon.channels.registry import DeliveryFailed, OutboundMessage, registry
from dozvon.conversations import actions
from dozvon.core import ids
from dozvon.core.errors import Forbidden, InvalidInput, NotFound
from dozvon.core.i18n import translate
from dozvon.core.settings import Settings
from dozvon.eventlog.repository import to_us
from dozvon.routing.events import Decision, RoutingEvent
from dozvon.server.hub import Hub
from dozvon.voice import prompts_store
from dozvon.voice.audio import Speech
from dozvon.voice.callbacks import AutoCallbacks
from dozvon.voice.calls import WATCHED, CallSession, Line
from dozvon.voice.legs import SipLeg, WebRtcLeg
from dozvon.voice.line import LINE, LineSettings, settings_of
from dozvon.voice.media import Recorder
from dozvon.voice.models import Recording
from dozvon.voice.sip.agent import SipAgent
from dozvon.voice.sip.call import Call, CallFailed

T = TypeVar("T")
#: Decisions and events for a conversation no call has claimed yet are kept this long.
EARLY_KEEP_S = 60.0
#: How long an operator's softphone waits for the session of a call the engine has just
#: connected to them (see VoiceService._await_session).
SESSION_WAIT_S = 3.0
#: Phone lines are read again after this many seconds (a line added on the channels page
#: answers within seconds, without a restart).
LINES_TTL_S = 2.0


def address(value: str, name: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:5060`` for IPv6) → (host, port), or a clear error."""
    host, sep, port = value.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdecimal() or not 0 < int(port) < 65536:
        raise InvalidInput("voice.bad_address", name=name, value=value)
    return host, int(port)


def port_range(value: str) -> tuple[int, int]:
    low, sep, high = value.partition("-")
    if not sep or not low.strip().isdecimal() or not high.strip().isdecimal() or not 0 < int(low) <= int(high) < 65536:
        raise InvalidInput("voice.bad_ports", name="DOZVON_RTP_PORTS", value=value)
    return int(low), int(high)


def ice_servers(value: str) -> list[dict[str, Any]]:
    try:
        found = json.loads(value or "[]")
        if not isinstance(found, list) or not all(isinstance(s, dict) and "urls" in s for s in found):
            raise ValueError("a list of objects with urls")
    except ValueError as error:
        raise InvalidInput("voice.bad_ice", reason=str(error)) from None
    return found


def allowed_peers(value: str, trunk: tuple[str, int] | None) -> list[str]:
    """The peers allowed to call in: the setting's, else the trunk and loopback."""
    peers = [p.strip() for p in value.split(",") if p.strip()]
    for peer in peers:
        try:
            ipaddress.ip_network(peer, strict=False)
        except ValueError:
            raise InvalidInput("voice.bad_peer", value=peer) from None
    if peers:
        return peers
    return ["127.0.0.0/8", "::1/128"] + ([trunk[0]] if trunk else [])


class VoiceAdapter:
    """The ``voice`` channel's adapter in the registry: decisions go to the calls. A call
    carries no text, so nothing is ever delivered through the outbox."""

    pushes = False

    def __init__(self, voice: VoiceService) -> None:
        self.voice = voice

    def carry_out(self, project: str, decision: Decision) -> None:
        self.voice.route(project, decision.contact_id, "decision", decision)

    def deliver(self, message: OutboundMessage) -> str | None:  # pragma: no cover - a call has no text
        raise DeliveryFailed("a call carries no text", permanent=True)


class VoiceService:
    """Voice for one server (see the module's docstring)."""

    def __init__(self, hub: Hub, settings: Settings) -> None:
        self.hub, self.settings = hub, settings
        self.listen = address(settings.sip_listen, "--sip-listen") if settings.sip_listen else None
        self.trunk = address(settings.sip_trunk, "--sip-trunk") if settings.sip_trunk else None
        self.peers = allowed_peers(settings.sip_allowed_peers, self.trunk)
        self.rtp_ports = port_range(settings.rtp_ports)
        self.ice = ice_servers(settings.ice_servers)
        self.speech = Speech(cache_dir=Path(settings.data_dir) / "voice" / "prompts")
        self.data_dir = Path(settings.data_dir)
        self.agent: SipAgent | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stopped: asyncio.Event | None = None
        #: conversation id → its call
        self.sessions: dict[str, CallSession] = {}
        self.calls: set[CallSession] = set()
        self._early: dict[str, list[tuple[float, str, Any]]] = {}
        self._lines: tuple[float, list[Line]] = (0.0, [])
        self._tasks: set[asyncio.Future[Any]] = set()
        self.callbacks = AutoCallbacks(self)
        #: (project, visitor id) → the visitor's call from the widget
        self._web_calls: dict[tuple[str, str], CallSession] = {}

    # ------------------------------------------------------------------ life

    def start(self) -> None:
        """Register the adapter and the tap; start the loop (and SIP when configured)."""
        registry.register("voice", "voice", VoiceAdapter(self), text=False)
        self.hub.taps.append(self._tap)
        self._thread = threading.Thread(target=self._run, name="dozvon-voice", daemon=True)
        self._thread.start()
        self._ready.wait(30)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self.loop = loop
        self._stopped = asyncio.Event()
        try:
            loop.run_until_complete(self._main())
        finally:
            loop.close()

    async def _main(self) -> None:
        try:
            if self.listen is not None:
                self.agent = SipAgent(self.listen, allowed_peers=self.peers, trunk=self.trunk,
                                      rtp_ports=self.rtp_ports, on_call=self._on_call)
                await self.agent.start()
                print("dozvon: " + translate("voice.sip_started", address=f"{self.listen[0]}:{self.agent.port}",
                                             peers=", ".join(self.peers)), flush=True)
        finally:
            self._ready.set()
        self.spawn(self.callbacks.run())
        assert self._stopped is not None
        await self._stopped.wait()
        for session in list(self.calls):
            with contextlib.suppress(Exception):
                await session.leg.hangup()
        if self.agent is not None:
            await self.agent.stop()
        # What is left (callback rounds, calls' waits, softphones' receivers) ends with the
        # loop: cancelled and awaited here, so nothing is destroyed while pending.
        rest = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in rest:
            task.cancel()
        await asyncio.gather(*rest, return_exceptions=True)

    def stop(self) -> None:
        with contextlib.suppress(ValueError):
            self.hub.taps.remove(self._tap)
        if self.loop is not None and self._stopped is not None and not self.loop.is_closed():
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(self._stopped.set)
        if self._thread is not None:
            self._thread.join(15)

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        """Run a coroutine on the voice loop from another thread and wait for its result."""
        if self.loop is None:
            coro.close()
            raise InvalidInput("voice.off")
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    @property
    def sip_port(self) -> int | None:
        return self.agent.port if self.agent is not None else None

    # ------------------------------------------------------------------ decisions and events

    def _tap(self, project: str, events: list[RoutingEvent]) -> None:
        for e in events:
            if e.channel != "voice":
                continue
            if e.type in WATCHED:
                self.route(project, e.contact_id, "event", e)
            if e.type == "consult.answered":
                try:
                    self._consult_answered(project, e)
                except Exception as error:  # the desktop's signal only: the consultation holds
                    print(f"dozvon: the consultation's colleague was not told: {error!r}", flush=True)
            elif e.type == "callback.created" and e.contact_id and self.loop is not None:
                with contextlib.suppress(RuntimeError):
                    data = e.data or {}
                    self.loop.call_soon_threadsafe(self.callbacks.task_created, project, e.contact_id,
                                                   str(data.get("reason", "")), data.get("customer_id"))

    def route(self, project: str, conversation_id: str | None, kind: str, value: Any) -> None:
        """From a committing thread: to the call of that conversation, on the loop."""
        if conversation_id is None or self.loop is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop has closed: the server is stopping
            self.loop.call_soon_threadsafe(self._deliver, conversation_id, kind, value)

    def _deliver(self, conversation_id: str, kind: str, value: Any) -> None:
        session = self.sessions.get(conversation_id)
        if session is not None:
            session.signal(kind, value)
            return
        now = time.monotonic()
        for key in [k for k, items in self._early.items() if items and now - items[-1][0] > EARLY_KEEP_S]:
            del self._early[key]
        self._early.setdefault(conversation_id, []).append((now, kind, value))

    def attach_session(self, session: CallSession) -> None:
        assert session.conversation_id is not None
        self.sessions[session.conversation_id] = session
        self.callbacks.remember(session, session.queue or session.line.queue)
        for _at, kind, value in self._early.pop(session.conversation_id, []):
            session.signal(kind, value)

    def detach_session(self, session: CallSession) -> None:
        self.calls.discard(session)
        if session.conversation_id is not None and self.sessions.get(session.conversation_id) is session:
            del self.sessions[session.conversation_id]

    # ------------------------------------------------------------------ SIP

    async def _on_call(self, call: Call) -> None:
        line = await asyncio.to_thread(self.find_line, call.callee)
        if line is None:
            print(f"dozvon: a call to {call.callee!r} from {call.caller!r}: no phone line answers that number "
                  "(add one on /settings/channels)", flush=True)
            await call.reject(404, "Not Found")
            return
        session = CallSession(self, line, SipLeg(call), caller=call.caller, external_id=call.call_id)
        self.calls.add(session)
        await session.run()

    def find_line(self, number: str) -> Line | None:
        """The enabled phone line for a dialled number: its own, else a ``*`` line."""
        at, lines = self._lines
        if time.monotonic() - at > LINES_TTL_S:
            with self.hub.sessions() as session:
                rows = connections.enabled_of_kind(session, LINE.name)
                lines = [Line(r.id, r.project, r.name, r.queue, settings_of(r)) for r in rows]
            self._lines = (time.monotonic(), lines)
        exact = [ln for ln in lines if ln.settings.number == number]
        fallback = [ln for ln in lines if ln.settings.number == "*"]
        return exact[0] if exact else fallback[0] if fallback else None

    def recorded_prompt(self, line: Line, kind: str) -> bytes | None:
        """The line's own recording of ``kind`` (greeting, menu, consent), if uploaded."""
        return prompts_store.load(self.data_dir, line.project, line.id, kind) if line.id else None

    def mark_in(self, line_id: int) -> None:
        if not line_id:  # a call from the widget: no phone line to mark
            return
        with self.hub.sessions.begin() as session:
            connections.mark_in(session, line_id)

    async def dial(self, number: str, timeout: float | None = 60.0) -> SipLeg:
        """An outbound call through the trunk, answered (for a transfer out, a callback)."""
        if self.agent is None or self.trunk is None:
            raise InvalidInput("voice.off")
        call = await self.agent.place_call(number, timeout=timeout)
        leg = SipLeg(call)
        leg.start_events()
        return leg

    # ------------------------------------------------------------------ softphones

    def _connected_session(self, project: str, conversation_id: str, operator_id: str | None) -> CallSession:
        """The call of the conversation, if ``operator_id`` is the one the engine connected
        it to (None: a supervisor acting for anyone)."""
        svc = self.hub.service(project)
        connected_to = svc.read(lambda engine: getattr(engine.contacts.get(conversation_id), "operator_id", None))
        session = self.sessions.get(conversation_id)
        if session is None or session.project != project:
            raise NotFound("voice.no_call", conversation=conversation_id)
        if operator_id is not None and connected_to != operator_id:
            raise Forbidden("voice.not_yours", conversation=conversation_id)
        return session

    def softphone(self, project: str, conversation_id: str, operator_id: str, offer_sdp: str) -> str:
        """An operator's softphone joins the call it was connected to: the browser's offer
        in, the answer out. Only the operator the engine connected may join."""
        self._await_session(project, conversation_id, operator_id)
        session = self._connected_session(project, conversation_id, operator_id)
        return self.call(self._join(session, operator_id, offer_sdp))

    def _await_session(self, project: str, conversation_id: str, operator_id: str) -> None:
        """A call is offered as soon as its contact is committed, a moment before the voice
        loop attaches its session (the ingest's thread hands the result back first): an
        operator who accepts at once on a loaded server would be told there is no call. So a
        softphone joining a call the engine has connected to this operator waits for its
        session for up to :data:`SESSION_WAIT_S` (this runs in a worker thread, never on the
        voice loop)."""
        svc = self.hub.service(project)
        deadline = time.monotonic() + SESSION_WAIT_S
        while conversation_id not in self.sessions and time.monotonic() < deadline:
            connected_to = svc.read(lambda engine: getattr(engine.contacts.get(conversation_id), "operator_id", None))
            if connected_to != operator_id:
                return  # not this operator's call: _connected_session answers why
            time.sleep(0.02)

    # An attended transfer: hold, talk to the number, then hand the caller over or go back.

    def consult_colleague(self, project: str, conversation_id: str, operator_id: str | None, colleague: str) -> None:
        """Ask a colleague at the desk: the caller on hold, the colleague's desktop told (a
        passing signal, as typing is), their softphone joining with :meth:`join_consult`."""
        session = self._connected_session(project, conversation_id, operator_id)
        svc = self.hub.service(project)
        names = live.operator_names(svc)
        if colleague not in names:
            raise NotFound("routing.unknown_operator", operator=colleague)
        actions.do_hold(svc, conversation_id, operator_id)
        try:
            self.call(session.ask_colleague(colleague))
        except Exception:
            actions.do_resume(svc, conversation_id, operator_id)
            raise
        asking = session.operator_id or ""
        self.hub.push_operator(project, colleague, {
            "kind": "consult_request", "conversation_id": conversation_id, "from": names.get(asking) or asking,
            "caller": session.caller, "queue": session.queue or session.line.queue})

    def join_consult(self, project: str, conversation_id: str, operator_id: str, offer_sdp: str) -> str:
        """The colleague's softphone answers the consultation (offer in, answer out): the
        colleague asked at the desk, or the one who accepted a queue's consultation offer
        (the engine's ``consult_with``: read here, since the event telling the call may
        still be on its way)."""
        session = self.sessions.get(conversation_id)
        if session is None or session.project != project:
            raise NotFound("voice.no_call", conversation=conversation_id)
        answered_in_queue = None
        if session.colleague != operator_id:
            svc = self.hub.service(project)
            answered_in_queue = svc.read(lambda engine: getattr(engine.contacts.get(conversation_id),
                                                                "consult_with", None))
            if answered_in_queue != operator_id:
                raise Forbidden("voice.not_yours", conversation=conversation_id)
        return self.call(self._join_colleague(session, operator_id, offer_sdp, answered_in_queue))

    async def _join_colleague(self, session: CallSession, operator_id: str, offer_sdp: str,
                              answered_in_queue: str | None = None) -> str:
        leg, answer = await self._browser_leg(operator_id, offer_sdp)
        await session.colleague_joined(leg, answered_in_queue)
        if session.consult_queue is not None:
            self.spawn(self._watch_colleague(session, operator_id, leg))
        return answer

    async def _watch_colleague(self, session: CallSession, operator_id: str, leg: WebRtcLeg) -> None:
        """The colleague of a queue's consultation hung up their softphone before the
        hand-over: they declined it, and the operator is back with the caller."""
        await leg.ended.wait()
        if session.colleague == operator_id and session.consult_queue is not None and session.state == "connected":
            with contextlib.suppress(Exception):
                await asyncio.to_thread(actions.do_cancel_consult, self.hub.service(session.project),
                                        session.conversation_id or "", operator_id)

    def consult_queue(self, project: str, conversation_id: str, operator_id: str | None, queue: str) -> None:
        """An attended transfer to a queue: the caller on hold (music), the operator hearing
        music too, while the *engine* routes the consultation in ``queue`` like any of its
        contacts (skills, strategy, ring timeout, RONA, waiting); whoever accepts its offer
        there is told to join with their softphone (:meth:`join_consult`). The call is put
        on hold before the engine moves, and back if the engine refuses (a closed or full
        queue)."""
        session = self._connected_session(project, conversation_id, operator_id)
        svc = self.hub.service(project)
        self.call(session.ask_queue(queue))
        try:
            actions.do_consult_queue(svc, conversation_id, operator_id, queue)
        except Exception:
            self.call(session.end_consult())
            raise

    def _consult_answered(self, project: str, e: RoutingEvent) -> None:
        """A colleague accepted a queue's consultation offer: their desktop joins the
        consultation at once (they said yes by accepting), the introducing operator's
        desktop is told who answered."""
        session = self.sessions.get(e.contact_id or "")
        if session is None or e.operator_id is None:
            return
        svc = self.hub.service(project)
        names = live.operator_names(svc)
        by = str((e.data or {}).get("by") or "")
        self.hub.push_operator(project, e.operator_id, {
            "kind": "consult_request", "conversation_id": e.contact_id, "from": names.get(by) or by,
            "caller": session.caller, "queue": e.queue, "accepted": True})
        if by:
            self.hub.push_operator(project, by, {
                "kind": "consult_answered", "conversation_id": e.contact_id,
                "colleague": names.get(e.operator_id) or e.operator_id})

    def consult(self, project: str, conversation_id: str, operator_id: str | None, number: str) -> None:
        session = self._connected_session(project, conversation_id, operator_id)
        svc = self.hub.service(project)
        actions.do_hold(svc, conversation_id, operator_id)  # the consultation is hold time (AHT)
        try:
            self.call(session.consult(number), timeout=60)
        except CallFailed as failed:
            actions.do_resume(svc, conversation_id, operator_id)
            raise InvalidInput("voice.consult_failed", number=number, reason=f"{failed.status} {failed.reason}") \
                from None
        except Exception:
            actions.do_resume(svc, conversation_id, operator_id)
            raise

    def complete_consult(self, project: str, conversation_id: str, operator_id: str | None) -> str:
        """The caller goes to the number the operator is talking to (the engine's transfer
        out; the consultation's call is reused, not dialled again)."""
        session = self._connected_session(project, conversation_id, operator_id)
        svc = self.hub.service(project)
        if session.consult_queue is not None:  # the engine hands the caller to whoever answered there
            queue = session.consult_queue
            actions.do_complete_consult(svc, conversation_id, operator_id)
            return queue
        if session.colleague is not None:  # the colleague takes the call: a transfer to them, accepted at once
            colleague = session.colleague
            actions.do_transfer(svc, conversation_id, operator_id, to_operator=colleague)
            return colleague
        number = session.consulting
        if number is None:
            raise InvalidInput("voice.no_consult", conversation=conversation_id)
        actions.do_transfer(svc, conversation_id, operator_id, to_external=number)
        return number

    def cancel_consult(self, project: str, conversation_id: str, operator_id: str | None) -> None:
        """Back to the caller: by the operator, or by the colleague declining."""
        session = self.sessions.get(conversation_id)
        declining = session is not None and operator_id is not None and (
            session.colleague == operator_id or (session.consult_queue is not None and self.hub.service(project).read(
                lambda engine: getattr(engine.contacts.get(conversation_id), "consult_with", None)) == operator_id))
        if not declining:
            session = self._connected_session(project, conversation_id, operator_id)
        assert session is not None
        colleague = session.colleague
        if session.consult_queue is not None:
            # The engine ends it (offers withdrawn or the colleague released, the hold over);
            # its consult.ended brings the operator back to the caller on the call.
            actions.do_cancel_consult(self.hub.service(project), conversation_id, operator_id)
            self.call(session.end_consult())
            if colleague is not None and colleague != operator_id:
                self.hub.push_operator(project, colleague, {"kind": "consult_end", "conversation_id": conversation_id})
            return
        self.call(session.end_consult())
        actions.do_resume(self.hub.service(project), conversation_id, session.operator_id)
        if colleague is not None:
            self.hub.push_operator(project, colleague, {"kind": "consult_end", "conversation_id": conversation_id})

    async def _join(self, session: CallSession, operator_id: str, offer_sdp: str) -> str:
        leg, answer = await self._browser_leg(operator_id, offer_sdp)
        old = session.operator_leg
        session.signal("operator_leg", leg)
        if old is not None:
            await old.hangup()
        self.spawn(self._watch_operator(session, leg))
        return answer

    async def _watch_operator(self, session: CallSession, leg: WebRtcLeg) -> None:
        await leg.ended.wait()
        session.signal("operator_gone", leg)

    async def _browser_leg(self, label: str, offer_sdp: str) -> tuple[WebRtcLeg, str]:
        """A browser's leg (a softphone, a visitor's call button) from its offer, with the
        answer to send back; an offer aiortc cannot take is a clear 422."""
        leg = WebRtcLeg(self.ice, label=label)
        try:
            answer = await leg.accept(offer_sdp)
        except Exception as error:
            await leg.hangup()
            raise InvalidInput("voice.bad_sdp", reason=str(error) or type(error).__name__) from None
        return leg, answer

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Run it on the voice loop, kept until done."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ------------------------------------------------------------------ calls from the widget

    def web_call(self, project: str, queue: str, visitor: Any, offer_sdp: str) -> str:
        """A visitor's call from the widget (a worker thread): answered at once (the
        browser's offer in, the answer out), then a call like any other in ``queue``."""
        return self.call(self._web_call(project, queue, visitor, offer_sdp))

    async def _web_call(self, project: str, queue: str, visitor: Any, offer_sdp: str) -> str:
        from dozvon.widget.visitors import customer_ref

        old = self._web_calls.pop((project, visitor.id), None)
        if old is not None:  # a second call from the same visitor replaces the first
            await old.leg.hangup()
        leg, answer = await self._browser_leg(f"visitor {visitor.id}", offer_sdp)
        language = (visitor.language or "ru")[:2]
        line = Line(0, project, "widget", queue, LineSettings(language="en" if language == "en" else "ru",
                                                               announce_position=True))
        session = CallSession(self, line, leg, caller=customer_ref(visitor), external_id=f"web-{ids.new_hex()}",
                              answer=False, queue=queue, source=visitor.source or "widget", name=visitor.name)
        self.calls.add(session)
        self._web_calls[(project, visitor.id)] = session
        self.spawn(self._run_web_call(project, visitor.id, session))
        return answer

    async def _run_web_call(self, project: str, visitor_id: str, session: CallSession) -> None:
        try:
            await session.run()
        finally:
            if self._web_calls.get((project, visitor_id)) is session:
                del self._web_calls[(project, visitor_id)]

    def web_hangup(self, project: str, visitor_id: str) -> bool:
        """The visitor pressed "hang up": True if a call was in progress."""
        session = self._web_calls.get((project, visitor_id))
        if session is None:
            return False
        self.call(session.leg.hangup())
        return True

    # ------------------------------------------------------------------ recordings

    def recording_path(self, project: str, conversation_id: str, kind: str) -> Path:
        month = time.strftime("%Y-%m", time.gmtime())
        safe = "".join(ch for ch in conversation_id if ch.isalnum() or ch in "-_") or "call"
        return self.data_dir / "recordings" / project / month / f"{safe}-{kind}-{int(time.time() * 1000)}.wav"

    async def keep_recording(self, session: CallSession, recorder: Recorder, kind: str) -> None:
        """The finished file becomes the conversation's recording (retention from its line)."""
        if session.conversation_id is None or recorder.frames == 0:
            with contextlib.suppress(OSError):
                recorder.path.unlink()
            return
        days = session.line.settings.retention_days
        now = to_us(time.time())
        row = Recording(project=session.project, conversation_id=session.conversation_id, kind=kind,
                        path=str(recorder.path.relative_to(self.data_dir)), duration_s=round(recorder.duration_s, 2),
                        size_bytes=recorder.path.stat().st_size, operators=" ".join(sorted(session.recorded_operators)),
                        created_at_us=now, delete_after_us=now + days * 86_400 * 10**6)

        def store() -> None:
            with self.hub.sessions.begin() as db:
                db.add(row)

        await asyncio.to_thread(store)

    async def run_retention(self, every_s: float = 3600.0) -> None:
        """Delete the recordings past their retention, hourly, for ever (on the web loop)."""
        while True:
            try:
                await asyncio.to_thread(self.delete_expired_recordings)
            except Exception as error:  # a busy database now: the next round tries again
                print(f"dozvon: expired recordings not deleted: {error!r}", flush=True)
            await asyncio.sleep(every_s)

    def delete_expired_recordings(self) -> int:
        """The maintenance round's chore: recordings past their line's retention go."""
        now = to_us(time.time())
        with self.hub.sessions.begin() as db:
            rows = list(db.scalars(select(Recording).where(Recording.delete_after_us <= now).limit(1000)))
            for row in rows:
                with contextlib.suppress(OSError):
                    (self.data_dir / row.path).unlink()
                db.delete(row)
        return len(rows)
