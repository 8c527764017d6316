"""A live Dozvon taking calls (``DOZVON_SIP_LISTEN`` on a free port) on SQLite and
PostgreSQL, a phone line for it, and reading what the calls left in the event log — for
the voice tests here and the softphone's browser test (tests/web/test_softphone.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from dozvon.channels import connections
from dozvon.eventlog.models import EventRecord
from tests.server.conftest import Live, _fresh_database, seed_world, start_server
from tests.voice.conftest import free_ports

#: A short greeting, so the tests wait little before the call is queued.
LINE = {"number": "*", "language": "ru", "greeting": "Здравствуйте.", "announce_position": False}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def voice_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from _fresh_database(request, tmp_path)


@pytest.fixture
def voice_live(voice_db: str, tmp_path: Path) -> Iterator[Live]:
    sip, low, trunk = free_ports(3, step=200)
    server = start_server(voice_db, DOZVON_SIP_LISTEN=f"127.0.0.1:{sip}", DOZVON_DATA_DIR=str(tmp_path / "data"),
                          DOZVON_RTP_PORTS=f"{low}-{low + 98}", DOZVON_SIP_TRUNK=f"127.0.0.1:{trunk}")
    server.tokens = seed_world(server.hub)
    server.sip_port = sip  # type: ignore[attr-defined]
    # Where SIPp plays the trunk: callbacks, transfers out.
    server.trunk_port = trunk  # type: ignore[attr-defined]
    try:
        yield server
    finally:
        server.stop()


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


