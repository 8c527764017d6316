"""Calling back the callers who hung up: the lost-caller rate falls only if someone calls.

When a caller abandons on a line with ``auto_callback`` and the queue makes a callback
task for it (``callback_on_abandon``), Dozvon calls the customer back through the trunk as
soon as an operator of that queue is free and nobody else is waiting there — the customer
is dialled first, and only a customer who answers becomes a contact (high priority, so
the free operator gets it at once). A customer reached this way is an answered contact of
the same customer, which is what "recovered" counts (METRICS.md); the callback task is
marked done. Busy or no answer: tried again later, up to ``MAX_ATTEMPTS``; the task stays
open for a person after that.

A customer flagged ``do_not_call`` (the CRM's flag, :mod:`dozvon.crm.flags`) is never
dialled: the flag is the client company's promise to that person, and an automatic call
would break it without anybody deciding to. The flag is read just before each attempt
(it may be set after the caller hung up); the task stays open, so a person who reads the
card decides, and the log says why the callback was skipped.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from dozvon.conversations import actions
from dozvon.conversations.models import CallbackTask
from dozvon.core.errors import DozvonError
from dozvon.crm import flags
from dozvon.routing.engine import RoutingEngine
from dozvon.voice.calls import CallSession, Line
from dozvon.voice.sip.call import CallFailed

if TYPE_CHECKING:
    from dozvon.voice.service import VoiceService

#: Calls placed for one abandoned caller before the task is left to a person.
MAX_ATTEMPTS = 3
#: Between attempts.
RETRY_AFTER_S = 300.0
#: How long a callback waits for a free operator before it is left to a person.
GIVE_UP_AFTER_S = 4 * 3600.0
#: How long an unanswered outbound call rings.
RING_S = 30.0
#: A callback contact goes ahead of the queue (it was waiting before them all).
PRIORITY = 50


@dataclass
class Pending:
    project: str
    conversation_id: str
    line: Line
    number: str
    queue: str
    created: float
    #: The customer the CRM resolved the caller to (None: an anonymous call).
    customer_id: str | None = None
    attempts: int = 0
    not_before: float = 0.0


def _free_operators(engine: RoutingEngine, queue: str) -> int:
    """Operators of the queue ready for a call now, less the contacts already waiting there."""
    free = sum(1 for op_id, op in engine.operators.items()
               if queue in op.cfg.queues and engine.presence(op_id) == "available")
    return free - engine.waiting_by_queue().get(queue, 0)


class AutoCallbacks:
    """The pending callbacks of one server (on the voice loop)."""

    def __init__(self, voice: VoiceService) -> None:
        self.voice = voice
        self.pending: list[Pending] = []
        #: conversation id → (line, caller's number, queue) of recent calls, so that a
        #: callback task made when a caller hangs up can be matched to its line.
        self.recent: OrderedDict[str, tuple[Line, str, str]] = OrderedDict()
        self._busy: set[str] = set()

    def remember(self, session: CallSession, queue: str) -> None:
        if session.conversation_id is None:
            return
        self.recent[session.conversation_id] = (session.line, session.caller, queue)
        while len(self.recent) > 5000:
            self.recent.popitem(last=False)

    def task_created(self, project: str, conversation_id: str, reason: str, customer_id: str | None = None) -> None:
        """A ``callback.created`` event of a call (on the loop)."""
        found = self.recent.get(conversation_id)
        if reason != "abandoned" or found is None:
            return
        line, number, queue = found
        if line.settings.auto_callback and number and self.voice.trunk is not None:
            self.pending.append(Pending(project, conversation_id, line, number, queue, time.monotonic(),
                                        customer_id=customer_id))

    async def run(self, every_s: float = 1.0) -> None:
        while True:
            await asyncio.sleep(every_s)
            now = time.monotonic()
            self.pending = [p for p in self.pending if now - p.created < GIVE_UP_AFTER_S and p.attempts < MAX_ATTEMPTS]
            for item in list(self.pending):
                if item.not_before > now or item.conversation_id in self._busy:
                    continue
                try:
                    free = await asyncio.to_thread(self.voice.hub.service(item.project).read,
                                                   lambda engine, q=item.queue: _free_operators(engine, q))
                except DozvonError:
                    continue
                if free > 0:
                    self._busy.add(item.conversation_id)
                    self.voice.spawn(self._call(item))

    async def _call(self, item: Pending) -> None:
        if await asyncio.to_thread(self._do_not_call, item):
            print(f"dozvon: callback to {item.number} skipped: customer {item.customer_id} is flagged do_not_call "
                  f"(the callback task of conversation {item.conversation_id} stays open for a person)", flush=True)
            if item in self.pending:
                self.pending.remove(item)
            self._busy.discard(item.conversation_id)
            return
        item.attempts += 1
        try:
            leg = await self.voice.dial(item.number, timeout=RING_S)
        except (CallFailed, OSError, DozvonError) as failed:
            print(f"dozvon: callback to {item.number} (attempt {item.attempts}) failed: {failed}", flush=True)
            item.not_before = time.monotonic() + RETRY_AFTER_S
            self._busy.discard(item.conversation_id)
            return
        self.pending.remove(item)
        self._busy.discard(item.conversation_id)
        await asyncio.to_thread(self._done, item)
        session = CallSession(self.voice, item.line, leg, caller=item.number, external_id=leg.call.call_id,
                              answer=False, queue=item.queue, welcome="callback", priority=PRIORITY,
                              source="callback")
        self.voice.calls.add(session)
        await session.run()

    def _do_not_call(self, item: Pending) -> bool:
        """Whether the customer is flagged ``do_not_call`` now."""
        if not item.customer_id:
            return False
        with self.voice.hub.sessions() as db:
            found = flags.active(db, item.project, [item.customer_id]).get(item.customer_id, [])
        return any(flag.kind == flags.DO_NOT_CALL for flag in found)

    def _done(self, item: Pending) -> None:
        """The customer answered: their callback task is done."""
        with self.voice.hub.sessions.begin() as db:
            task = db.scalar(select(CallbackTask).where(CallbackTask.project == item.project,
                                                        CallbackTask.conversation_id == item.conversation_id,
                                                        CallbackTask.status != "done"))
            if task is not None:
                actions.do_complete_callback(db, item.project, task.id, "auto-callback")
