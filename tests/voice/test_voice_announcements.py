"""The expected-wait announcement, heard by a caller through the live server.

A waiting caller is told «Ожидание займёт около N минут» after their place in the queue
once the queue's average wait today (ASA) is a minute or more with at least three calls
answered. Making such a day honestly takes waiting: three contacts wait in the queue, then
an operator answers them. The server here runs on a clock that is the wall clock plus an
offset the test can move forward (the engine reads time only from its injected clock), so
the three contacts wait two minutes without the test waiting them; SIP, RTP and the
announcement's 10 s interval run on real time.
"""

# ruff: noqa: F811  (the live server's fixtures are imported by name, then asked for as parameters)
from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from dozvon.core.clock import Clock
from dozvon.eventlog.models import EventRecord
from dozvon.voice import audio, g711
from tests.server.conftest import Live, seed_world, start_server
from tests.voice.conftest import free_ports, running_agent
from tests.voice.live import add_line, events, voice_db, wait_for  # noqa: F401
from tests.voice.test_voice_caller import WaitingCaller

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

#: How long the three earlier contacts "wait" on the server's clock before they are answered.
WAITED_S = 130.0
#: The test project's time zone (``seed_world`` keeps the default): the wallboard's day,
#: which the ASA announced is read from, ends at its midnight.
ZONE = ZoneInfo("Europe/Moscow")
#: Longer than the test's day on the server's clock: the leap, and a minute or so of real time.
DAY_NEEDS_S = 900.0


class LeapingClock(Clock):
    """The wall clock, plus an offset that only grows: time passes for the engine in one
    leap while everything else (SIP timers, RTP pacing, the announcement's interval) runs
    on real time."""

    __slots__ = ("offset",)

    def __init__(self, offset: float = 0.0) -> None:
        self.offset = offset

    def now(self) -> float:
        return time.time() + self.offset

    def leap(self, seconds: float) -> None:
        self.offset += seconds


def clear_of_midnight(now: float, zone: ZoneInfo = ZONE, needs_s: float = DAY_NEEDS_S) -> float:
    """The clock's first offset: 0, or — when local midnight comes within ``needs_s`` — just
    past it. The three chats must arrive on the day their answers and the announcement are
    counted in: queued at 23:59 and answered after the leap, they are yesterday's contacts,
    and today's queue has answered none."""
    local = datetime.fromtimestamp(now, zone)
    midnight = datetime.combine(local.date() + timedelta(days=1), dt_time(), zone).timestamp()
    return midnight - now + 1.0 if midnight - now < needs_s else 0.0


@pytest.fixture
def clock() -> LeapingClock:
    return LeapingClock(clear_of_midnight(time.time()))


def test_the_clock_starts_clear_of_midnight_only_when_midnight_is_near() -> None:
    """A test's day on the server's clock never spans local midnight, and away from it the
    clock is the wall clock."""
    noon = datetime(2026, 12, 5, 12, 0, tzinfo=ZONE).timestamp()
    assert clear_of_midnight(noon) == 0.0
    late = datetime(2026, 12, 5, 23, 59, tzinfo=ZONE).timestamp()
    moved = late + clear_of_midnight(late)
    assert datetime.fromtimestamp(moved, ZONE) == datetime(2026, 12, 6, 0, 0, 1, tzinfo=ZONE)
    assert datetime.fromtimestamp(moved + DAY_NEEDS_S, ZONE).date() == datetime(2026, 12, 6).date()


@pytest.fixture
def leaping_live(voice_db: str, tmp_path: Path, clock: LeapingClock) -> Iterator[Live]:
    """What ``voice_live`` starts (a server taking calls on a free SIP port), on ``clock``."""
    sip, low = free_ports(2, step=200)
    live = start_server(voice_db, clock=clock, DOZVON_SIP_LISTEN=f"127.0.0.1:{sip}",
                        DOZVON_DATA_DIR=str(tmp_path / "data"), DOZVON_RTP_PORTS=f"{low}-{low + 98}")
    live.tokens = seed_world(live.hub)
    live.sip_port = sip  # type: ignore[attr-defined]
    try:
        yield live
    finally:
        live.stop()


def a_day_of_two_minute_waits(live: Live, clock: LeapingClock) -> dict[str, float]:
    """Three chats queued in ``sales``; two minutes later (the clock's leap) op1 answers
    all three, then goes on a break, so the caller after them waits with nobody free.
    Returns the queue's figures today as the wallboard serves them."""
    adapter = live.token_client("alpha")
    for n in range(3):
        answer = adapter.post("/api/v1/projects/alpha/ingest/contacts", json={
            "channel": "chat", "external_id": f"chat-{n}", "queue": "sales",
            "customer": {"id": f"cust-{n}"}, "text": "Здравствуйте"})
        assert answer.status_code == 201, answer.text
    clock.leap(WAITED_S)
    op1 = live.client("alpha-op1")
    assert op1.post("/api/v1/projects/alpha/operators/op1/state", json={"state": "available"}).status_code == 200
    answered: set[str] = set()
    deadline = time.monotonic() + 20
    while len(answered) < 3:
        assert time.monotonic() < deadline, f"only {len(answered)} of the chats were offered"
        for offer in [e for e in live_events(live, "offer.created") if e.contact_id not in answered]:
            accepted = op1.post(f"/api/v1/projects/alpha/offers/{offer.data['offer_id']}/accept")
            assert accepted.status_code == 200, accepted.text
            answered.add(offer.contact_id or "")
        time.sleep(0.1)
    assert op1.post("/api/v1/projects/alpha/operators/op1/state", json={"state": "break"}).status_code == 200
    board = live.client("alpha-sup").get("/api/v1/projects/alpha/wallboard")
    assert board.status_code == 200, board.text
    queues = board.json()["queues"]
    sales: dict[str, float] = queues["sales"] if isinstance(queues, dict) else \
        next(q for q in queues if q.get("name", q.get("queue")) == "sales")
    return sales


def carried(sound: bytes) -> set[bytes]:
    """The sounding 20 ms frames of ``sound`` as they reach a caller through G.711."""
    frames = audio.frames(g711.ulaw_decode(g711.ulaw_encode(sound)))
    return {f for f in frames if g711.rms(f) > 300}


def live_events(live: Live, *types: str) -> list[EventRecord]:
    """Events of every channel (``events`` of tests.voice.live reads the voice channel's)."""
    with live.hub.sessions() as session:
        query = select(EventRecord).where(EventRecord.project == "alpha", EventRecord.type.in_(types))
        return list(session.scalars(query.order_by(EventRecord.seq)))


def test_a_waiting_caller_hears_the_expected_wait_of_the_queue_in_russian(
        leaping_live: Live, clock: LeapingClock) -> None:
    """After three answers that waited about 130 s (ASA ≈ 2.2 min), a caller waiting alone
    hears «Вы следующий в очереди.» and then «Ожидание займёт около 2 минут.» word for word
    (the announcement's frames as G.711 carries them), about ``announce_every_s`` after
    being queued — and not the text for one minute or three."""
    live = leaping_live
    add_line(live, announce_position=True, announce_every_s=10, announce_wait=True)
    sales = a_day_of_two_minute_waits(live, clock)
    assert sales["answered"] == 3
    assert WAITED_S <= sales["asa_s"] < WAITED_S + 15  # the leap, plus the real seconds it took
    minutes = round(sales["asa_s"] / 60)
    assert minutes == 2
    speech = live.app.state.voice.speech
    position = speech.standard("position", "ru", n=1)
    assert audio.wait_text("ru", minutes) == "Ожидание займёт около 2 минут."

    def said(m: int) -> bytes:
        """The announcement as the call logic plays it: the place, then the wait."""
        wait = speech.wait("ru", m)
        assert wait is not None  # espeak-ng is installed where the voice tests run
        return bytes(position + wait)

    async def scenario() -> WaitingCaller:
        async with running_agent(trunk=("127.0.0.1", live.sip_port)) as phone:  # type: ignore[attr-defined]
            call = await phone.place_call("100", caller_id="+79160000001", timeout=10)
            caller = WaitingCaller(call)
            await asyncio.to_thread(wait_for, lambda: events(live, "alpha", "contact.queued"))
            await asyncio.to_thread(wait_for, lambda: caller.found(said(minutes))[0] > 0.9 or None, 30)
            await asyncio.sleep(0.5)
            await call.hangup()
            await caller.task
            return caller

    caller = asyncio.run(scenario())
    share, at = caller.found(said(minutes))
    assert share > 0.9, f"only {share:.0%} of the announcement was heard"
    queued = events(live, "alpha", "contact.queued")[0]
    # On the server's clock (leapt ahead); the caller's frames carry the wall clock.
    assert 9.5 < at - (queued.at_us / 1e6 - clock.offset) < 14
    heard = {frame for _, frame in caller.heard}
    mine = carried(said(minutes))
    for other in (minutes - 1, minutes + 1):
        only_there = carried(said(other)) - mine  # what the other figure's words sound like
        assert len(only_there & heard) < 0.1 * len(only_there), f"the wait for {other} minutes was heard"
    abandoned = wait_for(lambda: events(live, "alpha", "contact.abandoned"))
    assert abandoned[0].data["wait_s"] > 9  # a waiting caller who hung up: an abandon
