"""A live Dozvon taking calls (``DOZVON_SIP_LISTEN`` on a free port) on SQLite and
PostgreSQL, a phone line for it, and reading what the calls left in the event log — for
the voice tests here and the softphone's browser test (tests/web/test_softphone.py)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from dozvon.channels import connections
from dozvon.eventlog.models import EventRecord
from dozvon.voice import audio, g711
from tests.server.conftest import Live, _fresh_database, seeded_server
from tests.voice.conftest import free_ports

#: A short greeting, so the tests wait little before the call is queued.
LINE = {"number": "*", "language": "ru", "greeting": "Здравствуйте.", "announce_position": False}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def voice_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from _fresh_database(request, tmp_path)


@pytest.fixture
def voice_live(voice_db: str, tmp_path: Path) -> Iterator[Live]:
    sip, low, trunk = free_ports(3, step=200)
    with seeded_server(voice_db, DOZVON_SIP_LISTEN=f"127.0.0.1:{sip}", DOZVON_DATA_DIR=str(tmp_path / "data"),
                       DOZVON_RTP_PORTS=f"{low}-{low + 98}", DOZVON_SIP_TRUNK=f"127.0.0.1:{trunk}") as server:
        server.sip_port = sip  # type: ignore[attr-defined]
        # Where SIPp plays the trunk: callbacks, transfers out.
        server.trunk_port = trunk  # type: ignore[attr-defined]
        yield server


def add_line(live: Live, project: str = "alpha", **settings: Any) -> None:
    with live.hub.sessions.begin() as session:
        connections.connect(session, "test", project, kind="phone", name="main", queue="sales",
                            settings={**LINE, **settings}, queues=["sales"])


def events(live: Live, project: str, *types: str) -> list[EventRecord]:
    with live.hub.sessions() as session:
        query = select(EventRecord).where(EventRecord.project == project, EventRecord.channel == "voice")
        if types:
            query = query.where(EventRecord.type.in_(types))
        return list(session.scalars(query.order_by(EventRecord.seq)))


def wait_for(check: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


class Softphone:
    """What the desktop's softphone does, in aiortc: join the call with a microphone that
    plays a 440 Hz tone, and keep every 20 ms frame heard."""

    def __init__(self) -> None:
        self.frames: list[bytes] = []
        self.pc: Any = None
        self.pump: asyncio.Future[None] | None = None

    async def join(self, client: Any, project: str, conversation_id: str, path: str = "softphone") -> None:
        from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
        from aiortc.rtcrtpsender import RTCRtpSender

        from dozvon.voice.legs import WebRtcLeg

        self.pc = pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        tone = WebRtcLeg()  # a leg's outgoing track, fed with a tone
        tone.write(audio.tone(440, 20_000, level=0.2))
        from dozvon.voice.legs import _feed_track

        pc.addTrack(_feed_track()(tone))
        for transceiver in pc.getTransceivers():
            transceiver.setCodecPreferences([c for c in RTCRtpSender.getCapabilities("audio").codecs
                                             if c.mimeType == "audio/PCMU"])

        @pc.on("track")
        def on_track(track: Any) -> None:
            async def pump() -> None:
                while True:
                    try:
                        frame = await track.recv()
                    except Exception:
                        return
                    self.frames.append(frame.to_ndarray().tobytes())
            self.pump = asyncio.ensure_future(pump())

        await pc.setLocalDescription(await pc.createOffer())
        answer = await asyncio.to_thread(
            client.post, f"/api/v1/projects/{project}/voice/calls/{conversation_id}/{path}",
            json={"sdp": pc.localDescription.sdp})
        assert answer.status_code == 200, answer.text
        await pc.setRemoteDescription(RTCSessionDescription(**answer.json()))

    def loudest(self, last: int = 100) -> float:
        return max((g711.rms(f) for f in self.frames[-last:]), default=0.0)

    async def close(self) -> None:
        if self.pc is not None:
            await self.pc.close()


async def answer_as_op1(live: Live, sipp_call: Any, softphone: Softphone, listen_s: float) -> Any:
    """op1 is available, takes the call's offer and joins with the softphone; listens."""
    client = live.client("alpha-op1")
    ready = await asyncio.to_thread(client.post, "/api/v1/projects/alpha/operators/op1/state",
                                    json={"state": "available"})
    assert ready.status_code == 200, ready.text
    caller = asyncio.ensure_future(sipp_call)
    offered = await asyncio.to_thread(wait_for, lambda: events(live, "alpha", "offer.created"))
    accepted = await asyncio.to_thread(client.post, f"/api/v1/projects/alpha/offers/{offered[0].data['offer_id']}"
                                       "/accept")
    assert accepted.status_code == 200, accepted.text
    await softphone.join(client, "alpha", offered[0].contact_id)
    await asyncio.sleep(listen_s)
    return caller, client, offered[0].contact_id
