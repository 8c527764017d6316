"""kill -9 under load: nothing acknowledged is lost, nothing is stored twice.

A real ``dozvon serve`` process takes contacts from eight concurrent clients and is killed
with SIGKILL in the middle of it (no shutdown, no flush: what a power cut or the OOM killer
does). A new server starts on the same database and the clients send again everything
they were not sure of — and some of what was acknowledged, as an adapter that retries
does. Every contact must then be stored exactly once, each acknowledged one under the
conversation its answer named, and the routing engine the new server loaded must know
every one of them (the engine's rows commit with the contact, or not at all).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from typing import Any

import httpx
from sqlalchemy import func, select

from dozvon.acd.models import ContactRow
from dozvon.conversations.models import Conversation
from dozvon.core.db import dispose_all, get_engine, session_factory
from dozvon.eventlog.models import EventRecord
from dozvon.server.hub import Hub
from tests.server.conftest import free_port, seed_world

CLIENTS = 8
CONTACTS = 600
#: The server is killed once this many contacts were acknowledged.
KILL_AFTER = 200


def serve(url: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": url, "DOZVON_LOG_LEVEL": "warning"}
    process = subprocess.Popen([sys.executable, "-m", "dozvon", "serve", "--port", str(port)], env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited while starting"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.kill()
    raise AssertionError("the server did not become ready")


async def send(port: int, token: str, ids: list[str], acknowledged: dict[str, str], unsure: set[str],
               kill_at: int | None, process: subprocess.Popen[bytes]) -> None:
    """Each client sends its share of ``ids``; an answer is an acknowledgement, an error
    leaves the id unsure. With ``kill_at``, the server is killed by SIGKILL once that many
    were acknowledged."""
    queue = list(ids)

    async def client() -> None:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10,
                                     headers={"Authorization": f"Bearer {token}"}) as http:
            while queue:
                external_id = queue.pop()
                try:
                    answer = await http.post("/api/v1/projects/alpha/ingest/contacts", json={
                        "channel": "email", "external_id": external_id, "queue": "sales",
                        "customer": {"id": f"{external_id}@example.com"}, "text": "hello"})
                except httpx.HTTPError:
                    unsure.add(external_id)
                    continue
                assert answer.status_code in (200, 201), answer.text
                conversation_id = answer.json()["conversation_id"]
                assert acknowledged.setdefault(external_id, conversation_id) == conversation_id
                unsure.discard(external_id)
                if kill_at is not None and len(acknowledged) >= kill_at and process.poll() is None:
                    os.kill(process.pid, signal.SIGKILL)

    await asyncio.gather(*(client() for _ in range(CLIENTS)))


def test_a_server_killed_under_load_loses_and_duplicates_nothing(server_db: str) -> None:
    hub = Hub(get_engine(server_db))
    token = seed_world(hub)["alpha"]
    dispose_all()
    ids = [f"k9-{i}" for i in range(CONTACTS)]
    acknowledged: dict[str, str] = {}
    unsure: set[str] = set()

    port = free_port()
    first = serve(server_db, port)
    try:
        asyncio.run(send(port, token, ids, acknowledged, unsure, KILL_AFTER, first))
        assert first.wait(10) == -signal.SIGKILL  # it really was killed, not shut down
    finally:
        if first.poll() is None:
            first.kill()
    assert KILL_AFTER <= len(acknowledged) < CONTACTS  # killed in the middle of the load

    second = serve(server_db, port)
    try:
        # Everything not acknowledged again, and every tenth acknowledged one (a retry).
        again = sorted(set(ids) - acknowledged.keys()) + sorted(acknowledged)[::10]
        before = dict(acknowledged)
        asyncio.run(send(port, token, again, acknowledged, unsure, None, second))
    finally:
        second.terminate()
        second.wait(30)
    assert not unsure
    assert set(acknowledged) == set(ids)
    assert all(acknowledged[k] == v for k, v in before.items())  # a retry answers the same conversation

    sessions = session_factory(get_engine(server_db))
    with sessions() as session:
        stored = dict(session.execute(select(Conversation.external_id, Conversation.id)
                                      .where(Conversation.project == "alpha")).all())
        arrived = session.execute(select(EventRecord.contact_id, func.count()).where(
            EventRecord.project == "alpha", EventRecord.type == "contact.arrived").group_by(EventRecord.contact_id)).all()
        engine_rows = set(session.scalars(select(ContactRow.id).where(ContactRow.project == "alpha")))
    assert stored == acknowledged  # each once, under the conversation its answer named
    counts: dict[str, Any] = dict(arrived)
    assert set(counts) == set(stored.values()) and set(counts.values()) == {1}
    assert engine_rows == set(stored.values())  # the engine knows every stored contact
    dispose_all()
