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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dozvon.acd import actions as acd_actions
from dozvon.acd import queries as live
from dozvon.acd.service import RouterService
from dozvon.channels.registry import OutboundMessage, registry
from dozvon.conversations import actions
from dozvon.conversations.identity import IdentityResolver
from dozvon.conversations.ingest import Inbound, ingest
from dozvon.core import ids
from dozvon.core.errors import DozvonError
from dozvon.demo.seed import HUMAN_OPERATORS, OPERATORS
from dozvon.routing.events import Decision
from dozvon.routing.model import AVAILABLE, BREAK, CONNECTED, CONTACT_TYPES, OFFERED, OFFLINE, WAITING, WRAP_UP
from dozvon.widget.adapter import WidgetAdapter

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


#: What a bot operator writes first in a text conversation.
REPLY = "Здравствуйте! Меня зовут {name}, сейчас всё проверю."


class DemoCustomers:
    """The demo's customers as a channel adapter: they live in this process, so a reply
    to them (a bot's, yours, an auto-reply) is delivered through the outbox like on any
    channel, and they read it at once."""

    pushes = True

    def __init__(self) -> None:
        self.received: list[OutboundMessage] = []

    def carry_out(self, project: str, decision: Decision) -> None:
        return None

    def deliver(self, message: OutboundMessage) -> str | None:
        self.received.append(message)
        del self.received[:-100]  # a demo runs for hours: keep the latest only
        return f"demo-{message.id}"


def register_demo_channels() -> DemoCustomers:
    """The demo's text channels reach the demo customers (the installation's real
    adapters are not there in a demo)."""
    customers = DemoCustomers()
    for name in ("chat", "messenger", "email"):
        adapter = registry.get(name).adapter
        if isinstance(adapter, WidgetAdapter):  # the widget keeps its visitors; the rest are ours
            adapter.others = customers
        else:
            registry.register(name, registry.get(name).bucket, customers)
    return customers


@dataclass
class DemoTraffic:
    svc: RouterService
    #: Mean seconds between new customers.
    interarrival_s: float = 4.0
    seed: int | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    #: Who a demo customer is: the server's identity step (the CRM), as for real traffic.
    identity: IdentityResolver | None = None

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self._leave_at: dict[str, tuple[float, str, str]] = {}  # contact → (when, channel, external id)
        self._bot_due: dict[str, float] = {}  # offer/contact key → when the bot acts
        self._greeted: set[str] = set()  # text conversations a bot has answered

    def run(self) -> None:
        """Until stopped: new customers, impatient callers hanging up, bots working."""
        for op_id in OPERATORS:
            if op_id not in HUMAN_OPERATORS:
                self._safe(acd_actions.do_set_operator_state, self.svc, op_id, AVAILABLE)
        next_arrival = time.monotonic()
        while not self.stop.wait(0.25):
            now = time.monotonic()
            if len(self._greeted) > 10_000:
                self._greeted.clear()
            if now >= next_arrival:
                self._new_customer()
                next_arrival = now + self.rng.expovariate(1 / self.interarrival_s)
            self._impatience(now)
            self._bots(now)

    @staticmethod
    def _safe(action: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Act as a person would; if the state moved on (a customer left first), skip it."""
        with contextlib.suppress(DozvonError):
            action(*args, **kwargs)

    def _new_customer(self) -> None:
        name, lang, segment = self.rng.choice(CUSTOMERS)
        channel = self.rng.choices(["voice", "chat", "messenger", "email"], [5, 3, 2, 1])[0]
        queue = "vip" if segment == "vip" else self.rng.choice(["sales", "support", "support"])
        external_id = f"demo-{ids.new_hex()[:12]}"
        text = None if channel == "voice" else self.rng.choice(FIRST_LINES[lang])
        item = Inbound(channel=channel, external_id=external_id, queue=queue,
                                     customer_id=f"cust-{CUSTOMERS.index((name, lang, segment))}",
                                     customer_name=name, text=text, language=lang, segment=segment,
                                     source=self.rng.choice(["site", "ads", "phone-book"]),
                                     subject=text or "", as_message=channel in ("chat", "messenger"))
        try:
            result = ingest(self.svc, item, self.identity)
        except DozvonError:
            return
        if channel == "voice":  # callers are impatient; chatters and e-mailers wait
            self._leave_at[result.conversation_id] = (time.monotonic() + self.rng.expovariate(1 / 90), channel,
                                                      external_id)

    def _impatience(self, now: float) -> None:
        waiting = live.live_contacts(self.svc, self._leave_at)
        for contact_id, (when, channel, external_id) in list(self._leave_at.items()):
            contact = waiting.get(contact_id)
            if contact is None or contact.state not in (WAITING, OFFERED):
                del self._leave_at[contact_id]
            elif now >= when:
                del self._leave_at[contact_id]
                self._safe(actions.do_customer_left, self.svc, channel, external_id)

    def _due(self, key: str, now: float, low: float, high: float) -> bool:
        due = self._bot_due.setdefault(key, now + self.rng.uniform(low, high))
        if now >= due:
            del self._bot_due[key]
            return True
        return False

    def _bots(self, now: float) -> None:
        svc = self.svc
        for op in live.operators(svc)[0]:
            op_id = op["id"]
            if op_id in HUMAN_OPERATORS or op_id not in OPERATORS:
                continue
            for offer_id in op["offers"]:
                if self._due("offer:" + offer_id, now, 2, 8):
                    self._safe(actions.do_accept_offer, svc, offer_id, op_id)
            for contact_id, contact in live.live_contacts(svc, op["contacts"]).items():
                if contact.state == CONNECTED and contact.operator_id == op_id and contact.channel != "voice" \
                        and contact_id not in self._greeted and self._due("greet:" + contact_id, now, 2, 6):
                    self._greeted.add(contact_id)
                    reply = REPLY.format(name=op["name"] or op_id)
                    self._safe(actions.do_send_message, svc, contact_id, op_id, op_id, reply)
                elif contact.state == CONNECTED and contact.operator_id == op_id \
                        and self._due("talk:" + contact_id, now, 20, 90):
                    self._safe(actions.do_end, svc, contact_id, op_id)
                elif contact.state == WRAP_UP and self._due("wrap:" + contact_id, now, 3, 12):
                    kind = self.rng.choice(CONTACT_TYPES[:4])
                    self._safe(actions.do_dispose, svc, contact_id, op_id, kind, self.rng.random() < 0.85, "демо")
            if op["state"] == AVAILABLE and not op["contacts"] and self.rng.random() < 0.002:
                self._safe(acd_actions.do_set_operator_state, svc, op_id, BREAK, "coffee")
            elif (op["state"] == BREAK and self.rng.random() < 0.02) or op["state"] == OFFLINE:
                self._safe(acd_actions.do_set_operator_state, svc, op_id, AVAILABLE)
