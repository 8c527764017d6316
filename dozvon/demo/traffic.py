"""Demo customers and bot operators, so that a newcomer sees contacts arrive and get routed.

The customers go through the same ingest as a channel adapter; the bots act through the
same commands as a person's desktop. A bot answers an offer after a few seconds, talks
or chats for a while, ends the contact and classifies it; now and then it takes a break.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from dozvon.acd.service import RouterService
from dozvon.conversations import actions
from dozvon.conversations.ingest import Inbound, ingest
from dozvon.core.errors import DozvonError
from dozvon.demo.seed import HUMAN_OPERATORS, OPERATORS
from dozvon.routing.model import AVAILABLE, BREAK, CONNECTED, CONTACT_TYPES, OFFLINE, WRAP_UP, Disposition

CUSTOMERS = [
    ("Алексей Иванов", "ru", None), ("Светлана Орлова", "ru", "vip"), ("Николай Фёдоров", "ru", None),
    ("Татьяна Белова", "ru", "regular"), ("ООО «Вектор»", "ru", "partner"), ("Павел Егоров", "ru", None),
    ("Юлия Захарова", "ru", "regular"), ("John Smith", "en", None), ("Laura Green", "en", "vip"),
    ("Григорий Лебедев", "ru", "new"), ("Ирина Козлова", "ru", None), ("Марат Хабибуллин", "ru", "regular"),
]
FIRST_LINES = {
    "ru": ["Здравствуйте! Где мой заказ?", "Хочу вернуть товар", "Подскажите, есть ли доставка в Казань?",
           "Не проходит оплата картой", "Можно изменить адрес доставки?"],
    "en": ["Hello! Where is my order?", "I'd like to return an item", "Do you ship to Kazan?"],
}


@dataclass
class DemoTraffic:
    svc: RouterService
    #: Mean seconds between new customers.
    interarrival_s: float = 4.0
    seed: int | None = None
    stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self._leave_at: dict[str, tuple[float, str, str]] = {}  # contact → (when, channel, external id)
        self._bot_due: dict[str, float] = {}  # offer/contact key → when the bot acts

    def run(self) -> None:
        """Until stopped: new customers, impatient callers hanging up, bots working."""
        for op_id in OPERATORS:
            if op_id not in HUMAN_OPERATORS:
                self._safe("login", op_id)
        next_arrival = time.monotonic()
        while not self.stop.wait(0.25):
            now = time.monotonic()
            if now >= next_arrival:
                self._new_customer()
                next_arrival = now + self.rng.expovariate(1 / self.interarrival_s)
            with self.svc.lock:  # read the engine's state while no command changes it
                self._impatience(now)
                self._bots(now)

    def _safe(self, command: str, *args: Any, **kwargs: Any) -> None:
        """Run an engine command; if the state moved on (a customer left first), skip it."""
        with contextlib.suppress(DozvonError):
            self.svc.run(lambda engine: getattr(engine, command)(*args, **kwargs))

    def _new_customer(self) -> None:
        name, lang, segment = self.rng.choice(CUSTOMERS)
        channel = self.rng.choices(["voice", "chat", "messenger", "email"], [5, 3, 2, 1])[0]
        queue = "vip" if segment == "vip" else self.rng.choice(["sales", "support", "support"])
        external_id = f"demo-{uuid.uuid4().hex[:12]}"
        text = None if channel == "voice" else self.rng.choice(FIRST_LINES[lang])
        item = Inbound(channel=channel, external_id=external_id, queue=queue,
                                     customer_id=f"cust-{CUSTOMERS.index((name, lang, segment))}",
                                     customer_name=name, text=text, language=lang, segment=segment,
                                     source=self.rng.choice(["site", "ads", "phone-book"]),
                                     subject=text or "", as_message=channel in ("chat", "messenger"))
        try:
            result = ingest(self.svc, item)
        except DozvonError:
            return
        if channel == "voice":  # callers are impatient; chatters and e-mailers wait
            self._leave_at[result.conversation_id] = (time.monotonic() + self.rng.expovariate(1 / 90), channel,
                                                      external_id)

    def _impatience(self, now: float) -> None:
        for contact_id, (when, channel, external_id) in list(self._leave_at.items()):
            contact = self.svc.engine.contacts.get(contact_id)
            if contact is None or contact.answered_once:
                del self._leave_at[contact_id]
            elif now >= when:
                del self._leave_at[contact_id]
                with contextlib.suppress(DozvonError):
                    actions.do_customer_left(self.svc, channel, external_id)

    def _due(self, key: str, now: float, low: float, high: float) -> bool:
        due = self._bot_due.setdefault(key, now + self.rng.uniform(low, high))
        if now >= due:
            del self._bot_due[key]
            return True
        return False

    def _bots(self, now: float) -> None:
        engine = self.svc.engine
        for op_id in OPERATORS:
            if op_id in HUMAN_OPERATORS or op_id not in engine.operators:
                continue
            op = engine.operators[op_id]
            for offer_id in sorted(op.offers):
                if self._due("offer:" + offer_id, now, 2, 8):
                    self._safe("accept", offer_id, op_id)
            for contact_id in sorted(op.contacts):
                contact = engine.contacts.get(contact_id)
                if contact is None:
                    continue
                if contact.state == CONNECTED and contact.operator_id == op_id \
                        and self._due("talk:" + contact_id, now, 20, 90):
                    self._safe("end_contact", contact_id, operator_id=op_id)
                elif contact.state == WRAP_UP and self._due("wrap:" + contact_id, now, 3, 12):
                    kind = self.rng.choice(CONTACT_TYPES[:4])
                    done = Disposition(kind, self.rng.random() < 0.85, "демо")
                    self._safe("finish_wrap_up", contact_id, done, operator_id=op_id)
            if op.state == AVAILABLE and not op.contacts and self.rng.random() < 0.002:
                self._safe("set_state", op_id, BREAK, "coffee")
            elif op.state == BREAK and self.rng.random() < 0.02:
                self._safe("set_state", op_id, AVAILABLE)
            elif op.state == OFFLINE:
                self._safe("login", op_id)
