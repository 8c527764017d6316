"""One inbound call, from the first ring to the hang-up: the caller's side of the voice
channel.

The call is answered and greeted, a menu digit may choose its queue, and then it is a
contact like any other: stored and routed by the engine (``hub.ingest``), waiting with
music and position announcements, offered to operators by the engine's decisions, and
bridged to the operator's softphone when one accepts. From then on the operator's
actions — hold, transfer, end — arrive as committed events and are carried out on the
audio; the caller's hang-up at any moment goes back to the engine as
``customer_left`` (an abandon with the wait it had, or the end of the conversation).

Everything here runs on the voice loop (:mod:`dozvon.voice.service`); the engine and
the database are reached from worker threads, never on the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dozvon.acd import queries as live
from dozvon.conversations import actions
from dozvon.conversations.ingest import Inbound
from dozvon.core.errors import DozvonError, InvalidInput
from dozvon.routing import events as ev
from dozvon.routing.events import Decision, RoutingEvent
from dozvon.voice import audio
from dozvon.voice.legs import Leg
from dozvon.voice.line import LineSettings, MenuChoice
from dozvon.voice.media import Bridge, Recorder, music, play
from dozvon.voice.sip.call import CallEnded

if TYPE_CHECKING:
    from dozvon.voice.service import VoiceService

#: The events of its own conversation a call acts on (the rest is for people).
WATCHED = frozenset({"contact.held", "contact.resumed", "contact.transferred", "contact.ended", "contact.closed",
                     "contact.queued", "consult.answered", "consult.ended"})


@dataclass(frozen=True)
class Line:
    """The phone line a call came in on (a channel connection of kind ``phone``)."""

    id: int
    project: str
    name: str
    queue: str
    settings: LineSettings


class CallSession:
    """A caller's call through Dozvon (see the module's docstring)."""

    def __init__(self, voice: VoiceService, line: Line, leg: Leg, *, caller: str, external_id: str,
                 answer: bool = True, queue: str | None = None, welcome: str | None = None, priority: int = 0,
                 source: str | None = None, name: str = "") -> None:
        self.voice, self.line, self.leg = voice, line, leg
        self.project = line.project
        self.caller, self.external_id = caller, external_id
        self.language = line.settings.language
        self.conversation_id: str | None = None
        self.operator_id: str | None = None
        self.operator_leg: Leg | None = None
        self.bridge: Bridge | None = None
        self.recorder: Recorder | None = None
        self.recorded_operators: set[str] = set()
        self.state = "arriving"  # arriving | queued | connected | transferred_out | finishing | ended
        self.arrived_at = time.time()
        self._answer = answer
        #: A call placed by Dozvon (a callback) knows its queue and its own first words.
        self.queue = queue
        self._welcome_key = welcome
        self._priority = priority
        self._source = source or f"phone:{line.name}"
        self._name = name
        self._signals: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self._background: asyncio.Event | None = None
        self._outside: Leg | None = None
        #: An attended transfer under way: the number, its leg, the operator talking to it.
        self._consult: tuple[str, Leg, Bridge] | None = None
        #: …or to a colleague at the desk: their operator id, and their softphone once they answer.
        self.colleague: str | None = None
        self._colleague_leg: Leg | None = None
        self._colleague_talk: Bridge | None = None
        #: …or to a queue, routed by the engine (the colleague is whoever answers there).
        self.consult_queue: str | None = None
        #: Music for the operator while the queue is searched (set: it stops).
        self._operator_music: asyncio.Event | None = None
        self._music: asyncio.Future[None] | None = None

    # ------------------------------------------------------------------ the story of a call

    async def run(self) -> None:
        try:
            if self._answer:
                await self.leg.answer()  # type: ignore[attr-defined]
            self.queue = await self._welcome()
            self.conversation_id = await self._ingest(self.queue)
            # Attached before anything else is awaited: the engine may already have offered the
            # call, and an operator who accepts at once joins it through this session.
            self.voice.attach_session(self)
            await asyncio.to_thread(self.voice.mark_in, self.line.id)
            if self.leg.ended.is_set():
                await self._caller_left()
                return
            self.state = "queued"
            self._start_waiting_music()
            await self._follow()
        except CallEnded:
            pass  # cancelled before the answer: no contact was made
        except Exception as error:  # a bug must not leave a caller in silence for ever
            print(f"dozvon: voice call {self.external_id} failed: {error!r}", flush=True)
            with contextlib.suppress(Exception):
                await self.leg.hangup()
            if self.conversation_id is not None:
                with contextlib.suppress(Exception):
                    await self._caller_left()
        finally:
            await self._close()

    async def _welcome(self) -> str:
        """Consent notice, greeting and menu; the queue the call goes to."""
        s = self.line.settings
        if s.record:
            await play(self.leg, await self._prompt("consent", s.consent_prompt))
        if self._welcome_key is not None:
            await play(self.leg, await asyncio.to_thread(self.voice.speech.standard, self._welcome_key, self.language))
        else:
            await play(self.leg, await self._prompt("greeting", s.greeting))
        if self.queue is not None:
            return self.queue
        choices = s.choices()
        menu = await self._prompt("menu", s.menu_prompt, required=True)
        if not menu or not choices or self.leg.ended.is_set():
            return self.line.queue
        return await self._menu(choices, menu)

    async def _prompt(self, kind: str, text: str, required: bool = False) -> bytes:
        """The line's recording of ``kind``; else its text spoken; else the standard prompt
        (b"" for a menu with neither: no menu)."""
        recorded = await asyncio.to_thread(self.voice.recorded_prompt, self.line, kind)
        if recorded:
            return recorded
        if text:
            return await asyncio.to_thread(self.voice.speech.say, text, self.language, kind)
        return b"" if required else await asyncio.to_thread(self.voice.speech.standard, kind, self.language)

    async def _menu(self, choices: list[MenuChoice], prompt: bytes) -> str:
        """The menu's prompt, then a digit (pressed during the prompt counts too)."""
        s = self.line.settings
        by_digit = {c.digit: c.queue for c in choices}
        for attempt in range(2):
            # A digit pressed during the greeting counts (callers who know the menu type ahead);
            # a wrong one is forgotten before the menu is said again.
            while attempt and not self.leg.digits.empty():
                self.leg.digits.get_nowait()
            pressed = asyncio.ensure_future(self.leg.digits.get())
            playing = asyncio.ensure_future(play(self.leg, prompt))
            await asyncio.wait({pressed, playing}, return_when=asyncio.FIRST_COMPLETED)
            if not pressed.done():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(pressed), s.menu_timeout_s)
            playing.cancel()
            self.leg.clear()
            if self.leg.ended.is_set():
                pressed.cancel()
                break
            if not pressed.done():
                pressed.cancel()
                break  # no digit: the line's queue
            digit = pressed.result()
            if digit in by_digit:
                chosen = by_digit[digit]
                exists = await asyncio.to_thread(live.has_queue, self.voice.hub.service(self.project), chosen)
                if exists:
                    return chosen
                print(f"dozvon: phone line {self.line.name!r}: menu digit {digit} names no queue {chosen!r}; "
                      f"the call goes to {self.line.queue!r}", flush=True)
                break
        return self.line.queue

    async def _ingest(self, queue: str) -> str:
        item = Inbound(channel="voice", external_id=self.external_id, queue=queue, customer_id=self.caller or None,
                       customer_name=self._name, subject=self.caller, language=self.language, source=self._source,
                       priority=self._priority)
        result = await asyncio.to_thread(self.voice.hub.ingest, self.project, item)
        return result.conversation_id

    async def _follow(self) -> None:
        """Act on the engine's decisions and the operators' events until the call is over."""
        caller_gone = asyncio.ensure_future(self.leg.ended.wait())
        announcing = asyncio.ensure_future(self._announce())
        try:
            while self.state != "ended":
                signal = asyncio.ensure_future(self._signals.get())
                done, _ = await asyncio.wait({signal, caller_gone}, return_when=asyncio.FIRST_COMPLETED)
                if caller_gone in done:
                    signal.cancel()
                    await self._caller_left()
                    return
                kind, value = signal.result()
                if kind == "decision":
                    await self._decision(value)
                elif kind == "event":
                    await self._event(value)
                elif kind == "operator_leg":
                    await self._operator_joined(value)
                elif kind == "operator_gone":
                    await self._operator_gone(value)
                elif kind == "finish":
                    await self._finish(voicemail=bool(value))
        finally:
            announcing.cancel()
            caller_gone.cancel()

    # ------------------------------------------------------------------ signals

    def signal(self, kind: str, value: Any) -> None:
        """From the voice service (on the loop): a decision, an event, the operator's leg."""
        self._signals.put_nowait((kind, value))

    async def _decision(self, d: Decision) -> None:
        if d.kind == ev.CONNECT:
            self.operator_id = d.operator_id
            self.state = "connected"
            if d.operator_id == self.colleague:
                self.colleague = None  # the consultation became the call
            self._stop_background()  # silence until the softphone joins (about a second)
            if self.operator_leg is not None:  # it joined before the decision reached us
                await self._operator_joined(self.operator_leg)
        elif d.kind == ev.AUTO_REPLY and d.text:
            self._stop_background()
            sound = await asyncio.to_thread(self.voice.speech.say, d.text, self.language)
            await play(self.leg, sound)
            if self.state == "queued":
                self._start_waiting_music()
        elif d.kind == ev.OFFER and d.operator_id is not None and d.operator_id == self.colleague and d.offer_id:
            # The colleague already talks to the operator about this call: the transfer's
            # offer is theirs at once (they said yes by answering the consultation).
            with contextlib.suppress(DozvonError):
                await asyncio.to_thread(actions.do_accept_offer, self.voice.hub.service(self.project), d.offer_id,
                                        d.operator_id)
        elif d.kind == ev.DISCONNECT:
            await self._finish(voicemail=d.reason == "closed")
        elif d.kind == ev.TRANSFER_OUT and d.target:
            await self._transfer_out(d.target)

    async def _event(self, e: RoutingEvent) -> None:
        data = e.data or {}
        if e.type == "consult.answered" and self.consult_queue is not None:
            self.colleague = e.operator_id  # their softphone joins with colleague_joined
        elif e.type == "consult.ended" and data.get("outcome") != "completed":
            await self.end_consult()  # called off, declined or the caller left: back to the caller
        elif e.type == "contact.held" and self.bridge is not None:
            self.bridge.hold()
        elif e.type == "contact.resumed" and self.bridge is not None:
            self.bridge.resume()
        elif (e.type == "contact.resumed" and self.bridge is None and self._consult is None
              and self.colleague is None and self.operator_leg is not None and self.state == "connected"):
            self._stop_background()  # back from a consultation: caller and operator again
            self.bridge = Bridge(self.leg, self.operator_leg, self.recorder)
        elif (e.type == "contact.transferred" and self.colleague is not None and self._colleague_leg is not None
              and (data.get("to_operator") == self.colleague or self.consult_queue is not None)):
            # An attended transfer to the colleague (at the desk, or who answered in the
            # queue): the first operator leaves, the colleague's softphone stays and is
            # bridged to the caller when the engine connects them.
            self.consult_queue = None
            self._stop_operator_music()
            if self._colleague_talk is not None:
                await self._colleague_talk.stop()
                self._colleague_talk = None
            if self.bridge is not None:
                await self.bridge.stop()
                self.bridge = None
            first, self.operator_leg = self.operator_leg, self._colleague_leg
            self._colleague_leg = None
            if first is not None:
                await first.hangup()
            self.operator_id = None
            self.state = "queued"
            self._start_waiting_music()
        elif e.type == "contact.transferred" and not data.get("to_external"):
            self.consult_queue = None
            self._stop_operator_music()
            await self._drop_operator()
            self.state = "queued"
            self._start_waiting_music()
        elif e.type == "contact.ended" and data.get("by") != "customer":
            await self._drop_operator()
            await play(self.leg, await asyncio.to_thread(self.voice.speech.standard, "goodbye", self.language))
            await self._hang_up()
        elif e.type == "contact.closed" and self.state in ("queued", "arriving"):
            # Turned away without an operator (a callback or a message out of hours, a full
            # queue): after what the engine says in the same commit (queued behind this), a
            # voice message if the line takes one, then goodbye.
            self.signal("finish", data.get("outcome") in ("callback", "message") and data.get("reason") == "closed")

    async def _operator_joined(self, leg: Leg) -> None:
        """The operator's softphone is up: caller and operator hear each other."""
        self.operator_leg = leg
        if self.state != "connected":
            return  # joined early; bridged when the connect decision comes
        if self._consult is not None or self.colleague is not None or self.consult_queue is not None:
            await self._rejoin_consultation(leg)  # a reloaded page mid-consultation: the caller stays on hold
            return
        self._stop_background()
        if self.bridge is not None:
            await self.bridge.stop()
        if self.line.settings.record and self.recorder is None:
            self.recorder = Recorder(self.voice.recording_path(self.project, self.conversation_id or "", "call"))
        if self.operator_id:
            self.recorded_operators.add(self.operator_id)
        self.leg.clear()
        self.bridge = Bridge(self.leg, leg, self.recorder)

    async def _rejoin_consultation(self, leg: Leg) -> None:
        """The operator's softphone joined again during an attended transfer: it takes the
        old one's place in the consultation (with the number, the colleague, or the music
        while the queue is searched), not beside the caller."""
        if self._consult is not None:
            number, outside, talk = self._consult
            await talk.stop()
            self._consult = (number, outside, Bridge(leg, outside))
        elif self._colleague_leg is not None:
            if self._colleague_talk is not None:
                await self._colleague_talk.stop()
            self._colleague_talk = Bridge(leg, self._colleague_leg)
        elif self.consult_queue is not None:
            self._stop_operator_music()
            self._operator_music = asyncio.Event()
            self.voice.spawn(music(leg, self._operator_music))

    async def _operator_gone(self, leg: Leg) -> None:
        """The softphone dropped (page closed, network): the call stays; music until the
        operator's page joins again or the operator ends the call."""
        if leg is not self.operator_leg:
            return
        self.operator_leg = None
        if self.bridge is not None:
            await self.bridge.stop()
            self.bridge = None
        if self.state == "connected":
            self._start_waiting_music()

    async def _drop_operator(self) -> None:
        if self.bridge is not None:
            await self.bridge.stop()
            self.bridge = None
        leg, self.operator_leg = self.operator_leg, None
        if leg is not None:
            await leg.hangup()
        self.operator_id = None

    # ------------------------------------------------------------------ waiting

    def _start_waiting_music(self) -> None:
        self._stop_background()
        self._background = asyncio.Event()
        self._music = asyncio.ensure_future(music(self.leg, self._background))

    def _stop_background(self) -> None:
        if self._background is not None:
            self._background.set()
            self._background = None
            self.leg.clear()

    async def _announce(self) -> None:
        """The caller's place in the queue, every ``announce_every_s`` while waiting."""
        s = self.line.settings
        if not s.announce_position:
            return
        while True:
            await asyncio.sleep(s.announce_every_s)
            if self.state != "queued" or self._background is None or self.conversation_id is None:
                continue
            place = await asyncio.to_thread(live.place_in_line, self.voice.hub.service(self.project),
                                            self.conversation_id)
            if place is None or place.state != "waiting" or self.state != "queued":
                continue
            sound = await asyncio.to_thread(self.voice.speech.standard, "position", self.language,
                                            n=max(1, place.position))
            if s.announce_wait:
                today = await asyncio.to_thread(self.voice.hub.queue_today, self.project, self.queue or "")
                asa = today.get("asa_s")
                if asa is not None and today.get("answered", 0) >= 3 and asa >= 60:
                    wait = await asyncio.to_thread(self.voice.speech.wait, self.language, round(asa / 60))
                    sound += wait or b""
            self._stop_background()
            await play(self.leg, sound)
            if self.state == "queued":
                self._start_waiting_music()

    # ------------------------------------------------------------------ endings

    async def _finish(self, voicemail: bool) -> None:
        """Turned away: a voice message when the line takes one, then goodbye."""
        if self.state in ("finishing", "ended"):
            return
        self.state = "finishing"
        self._stop_background()
        if voicemail and self.line.settings.voicemail and not self.leg.ended.is_set():
            await self._voicemail()
        if not self.leg.ended.is_set():
            await play(self.leg, await asyncio.to_thread(self.voice.speech.standard, "goodbye", self.language))
        await self._hang_up()

    async def _voicemail(self) -> None:
        s = self.line.settings
        await play(self.leg, await asyncio.to_thread(self.voice.speech.standard, "voicemail", self.language))
        await play(self.leg, audio.tone(1000, 400))
        self.leg.discard_received()  # what the caller said over the prompts is not the message
        recorder = Recorder(self.voice.recording_path(self.project, self.conversation_id or "", "voicemail"))
        deadline = time.monotonic() + s.voicemail_max_s
        try:
            while time.monotonic() < deadline and not self.leg.ended.is_set():
                if not self.leg.digits.empty() and self.leg.digits.get_nowait() == "#":
                    break
                with contextlib.suppress(TimeoutError):
                    frame = await asyncio.wait_for(self.leg.read(), 0.5)
                    if not frame:
                        break
                    recorder.caller(frame)
        finally:
            recorder.close()
        await self.voice.keep_recording(self, recorder, "voicemail")

    # ------------------------------------------------------------------ attended transfer

    @property
    def consulting(self) -> str | None:
        """The number the operator is talking to before a transfer, if any."""
        return self._consult[0] if self._consult is not None else None

    async def ask_colleague(self, operator_id: str) -> None:
        """An attended transfer to a colleague: the caller hears music (the operator's hold)
        while the colleague is asked; their softphone joins with :meth:`colleague_joined`."""
        if (self.state != "connected" or self.operator_leg is None or self._consult is not None
                or self.colleague is not None or operator_id == self.operator_id):
            raise InvalidInput("voice.no_consult", conversation=self.conversation_id)
        if self.bridge is not None:
            await self.bridge.stop()
            self.bridge = None
        self._start_waiting_music()
        self.colleague = operator_id

    async def ask_queue(self, queue: str) -> None:
        """An attended transfer to a queue: the caller hears music (the operator's hold) and
        so does the operator while the engine looks for a colleague in ``queue``; whoever
        answers there joins with :meth:`colleague_joined`."""
        if (self.state != "connected" or self.operator_leg is None or self._consult is not None
                or self.colleague is not None or self.consult_queue is not None):
            raise InvalidInput("voice.no_consult", conversation=self.conversation_id)
        if self.bridge is not None:
            await self.bridge.stop()
            self.bridge = None
        self._start_waiting_music()
        self.consult_queue = queue
        self._operator_music = asyncio.Event()
        self.voice.spawn(music(self.operator_leg, self._operator_music))

    def _stop_operator_music(self) -> None:
        if self._operator_music is not None:
            self._operator_music.set()
            self._operator_music = None
            if self.operator_leg is not None:
                self.operator_leg.clear()

    async def colleague_joined(self, leg: Leg, colleague: str | None = None) -> None:
        """The colleague answered: the operator and the colleague hear each other.
        ``colleague``: who answered a consultation in a queue (the engine said so; the
        event telling this call may still be on its way)."""
        if colleague is not None and self.consult_queue is not None and self.colleague is None:
            self.colleague = colleague
        if self.colleague is None or self.operator_leg is None or self.state != "connected":
            await leg.hangup()
            raise InvalidInput("voice.no_consult", conversation=self.conversation_id)
        self._stop_operator_music()
        if self._colleague_talk is not None:
            await self._colleague_talk.stop()
        if self._colleague_leg is not None:
            await self._colleague_leg.hangup()
        self._colleague_leg = leg
        self._colleague_talk = Bridge(self.operator_leg, leg)

    async def consult(self, number: str) -> None:
        """An attended transfer's first half: the caller hears music (the operator's hold,
        logged by the caller of this) while the operator talks to ``number`` through the
        trunk. Raises what the dial raised (busy, no answer) after putting things back."""
        if self.state != "connected" or self.operator_leg is None or self._consult is not None:
            raise InvalidInput("voice.no_consult", conversation=self.conversation_id)
        if self.bridge is not None:
            await self.bridge.stop()
            self.bridge = None
        self._start_waiting_music()
        try:
            outside = await self.voice.dial(number, timeout=45.0)
        except Exception:
            if self.operator_leg is not None and self.state == "connected":
                self._stop_background()
                self.bridge = Bridge(self.leg, self.operator_leg, self.recorder)
            raise
        self._consult = (number, outside, Bridge(self.operator_leg, outside))

    async def end_consult(self) -> None:
        """Back to the caller without transferring: the outside call is hung up (the
        operator's resume, logged by the caller of this, bridges caller and operator again)."""
        consult, self._consult = self._consult, None
        self._stop_operator_music()
        if consult is not None:
            _number, outside, talk = consult
            await talk.stop()
            await outside.hangup()
        elif self.colleague is not None or self.consult_queue is not None:
            self.consult_queue = None
            self.colleague = None
            if self._colleague_talk is not None:
                await self._colleague_talk.stop()
                self._colleague_talk = None
            leg, self._colleague_leg = self._colleague_leg, None
            if leg is not None:
                await leg.hangup()
        else:
            return
        if self.operator_leg is not None and self.state == "connected" and self.bridge is None:
            self._stop_background()
            self.bridge = Bridge(self.leg, self.operator_leg, self.recorder)

    async def _transfer_out(self, number: str) -> None:
        """The operator sent the caller to an outside number: a call through the trunk (or
        the consultation's, already talking), bridged to the caller until either hangs up."""
        consult, self._consult = self._consult, None
        reuse = None
        if consult is not None:
            await consult[2].stop()
            if consult[0] == number and not consult[1].ended.is_set():
                reuse = consult[1]
            else:
                await consult[1].hangup()
        await self._drop_operator()
        self.state = "transferred_out"
        self._start_waiting_music()
        try:
            outside = reuse if reuse is not None else await self.voice.dial(number)
        except Exception as error:
            print(f"dozvon: transfer of {self.external_id} to {number} failed: {error!r}", flush=True)
            self._stop_background()
            await play(self.leg, await asyncio.to_thread(self.voice.speech.standard, "goodbye", self.language))
            await self._hang_up()
            return
        self._stop_background()
        self._outside = outside
        self.bridge = Bridge(self.leg, outside)
        gone = {asyncio.ensure_future(self.leg.ended.wait()), asyncio.ensure_future(outside.ended.wait())}
        await asyncio.wait(gone, return_when=asyncio.FIRST_COMPLETED)
        for waiting in gone:
            waiting.cancel()
        await self._hang_up()

    async def _caller_left(self) -> None:
        """The caller hung up: the engine hears it now (an abandon with its wait, or the end
        of the conversation by the customer)."""
        self.state = "ended"
        with contextlib.suppress(DozvonError):
            await asyncio.to_thread(actions.do_customer_left, self.voice.hub.service(self.project), "voice",
                                    self.external_id)

    async def _hang_up(self) -> None:
        self.state = "ended"
        with contextlib.suppress(Exception):
            await self.leg.hangup()

    async def _close(self) -> None:
        self.state = "ended"
        self._stop_background()
        self._stop_operator_music()
        if self.bridge is not None:
            await self.bridge.stop()
        if self._consult is not None:
            await self._consult[2].stop()
        if self._colleague_talk is not None:
            await self._colleague_talk.stop()
        for leg in (self.operator_leg, self._outside, self._consult[1] if self._consult else None,
                    self._colleague_leg):
            if leg is not None:
                with contextlib.suppress(Exception):
                    await leg.hangup()
        if not self.leg.ended.is_set():
            with contextlib.suppress(Exception):
                await self.leg.hangup()
        if self.recorder is not None:
            self.recorder.close()
            with contextlib.suppress(Exception):
                await self.voice.keep_recording(self, self.recorder, "call")
        self.voice.detach_session(self)
