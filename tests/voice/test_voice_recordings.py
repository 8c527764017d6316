"""Recordings go when their line's retention ends: the file and its row, while a newer
recording stays. Two voice messages are left by SIPp callers out of hours (the real path
that stores a recording); one of them is then made 31 days old — its timestamps moved back,
as the passing of time would leave them — and the server's retention round runs."""

# ruff: noqa: F811  (the live server's fixtures are imported by name, then asked for as parameters)
from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest
from sqlalchemy import select, update

from dozvon.channels import connections
from dozvon.voice.models import Recording
from tests.server.conftest import Live
from tests.voice.conftest import run_sipp
from tests.voice.live import LINE, events, voice_db, voice_live, wait_for  # noqa: F401  (fixtures)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

DAY_US = 86_400 * 10**6


def _recordings(live: Live) -> list[Recording]:
    with live.hub.sessions() as session:
        return list(session.scalars(select(Recording).order_by(Recording.id)))


def test_a_recording_past_its_lines_retention_is_deleted_file_and_row_and_a_newer_one_kept(
        voice_live: Live, sipp: str, tmp_path: Path) -> None:
    from dozvon.routing.calendar import BusinessHours
    from dozvon.routing.model import Action, QueueConfig

    voice_live.hub.service("alpha").run(lambda e: e.add_queue(QueueConfig(
        "night", hours=BusinessHours("UTC", {}), on_closed=Action("callback", text="Мы закрыты."))))
    with voice_live.hub.sessions.begin() as session:
        connections.connect(session, "test", "alpha", kind="phone", name="night-line", queue="night",
                            settings={**LINE, "voicemail_max_s": 5, "retention_days": 30}, queues=["night"])
    run = asyncio.run(run_sipp(sipp, tmp_path, voice_live.sip_port,  # type: ignore[attr-defined]
                               scenario="uac_wait_bye.xml", extra=["-rtp_echo", "-l", "2"], calls=2, timeout=60))
    assert run.returncode == 0, run.explain()
    both = wait_for(lambda: len(_recordings(voice_live)) == 2 and _recordings(voice_live))
    data = Path(voice_live.app.state.voice.data_dir)
    old, new = both
    assert all((data / r.path).is_file() for r in both)
    assert all(r.delete_after_us - r.created_at_us == 30 * DAY_US for r in both)  # the line's retention
    with voice_live.hub.sessions.begin() as session:  # 31 days pass for the first one
        session.execute(update(Recording).where(Recording.id == old.id).values(
            created_at_us=Recording.created_at_us - 31 * DAY_US, delete_after_us=Recording.delete_after_us - 31 * DAY_US))

    async def one_round() -> None:
        """The server's hourly retention loop (it ran once at the start, before these
        recordings existed): started, and stopped once it has done its round."""
        task = asyncio.ensure_future(voice_live.app.state.voice.run_retention(every_s=3600))
        try:
            await asyncio.to_thread(wait_for, lambda: len(_recordings(voice_live)) < 2)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    asyncio.run(one_round())
    kept = _recordings(voice_live)
    assert [r.id for r in kept] == [new.id]
    assert not (data / old.path).exists() and (data / new.path).is_file()
    sup = voice_live.client("alpha-sup")
    listed = {c: sup.get(f"/api/v1/projects/alpha/conversations/{c}/recordings").json()["items"]
              for c in (old.conversation_id, new.conversation_id)}
    assert listed[old.conversation_id] == [] and len(listed[new.conversation_id]) == 1
    assert voice_live.app.state.voice.delete_expired_recordings() == 0  # nothing else is due
    assert len(events(voice_live, "alpha", "contact.closed")) == 2
