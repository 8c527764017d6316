"""A real server (``live``) or a migrated database with one project (``db_url``), each on
SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dozvon.accounts import actions as accounts
from dozvon.core.db import get_engine, session_factory
from tests.server.conftest import Live, _fresh_database, assert_events_keep_the_contract, seeded_server


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres),
                        pytest.param("postgres-process", marks=pytest.mark.postgres)])
def live(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Live]:
    """On PostgreSQL twice: with the checks and suggestions in the server's threads, and in
    its follower process (what ``dozvon serve`` runs there: dozvon/server/followers.py)."""
    followers = "process" if request.param == "postgres-process" else "thread"
    for url in _fresh_database(request, tmp_path):
        with seeded_server(url, DOZVON_FOLLOWERS=followers) as server:
            yield server
        assert_events_keep_the_contract(server)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database with the project ``shop``."""
    for url in _fresh_database(request, tmp_path):
        with session_factory(get_engine(url)).begin() as session:
            accounts.create_project(session, "test", "shop", "Магазин")
        yield url
