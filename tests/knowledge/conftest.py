"""A project with the shop's articles on a real database (SQLite and PostgreSQL), and its
index in the test's own directory; or a real server (``live``) on either database, with
the index in the test's own directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from dozvon.accounts import actions as accounts
from dozvon.core.db import get_engine, session_factory, upgrade
from dozvon.knowledge import actions
from dozvon.knowledge.index import KnowledgeIndex
from tests.knowledge.articles import ARTICLES
from tests.server.conftest import Live, _fresh_database, seeded_server


@pytest.fixture
def db(database_url: str, project: str) -> Session:
    upgrade(database_url)
    session = session_factory(get_engine(database_url))()
    with session.begin():
        accounts.create_project(session, "test", project, "Ковры и мебель", timezone="Europe/Moscow")
    return session


@pytest.fixture
def index(tmp_path: Path) -> KnowledgeIndex:
    return KnowledgeIndex(tmp_path / "kb-index")


@pytest.fixture
def shop(db: Session, project: str) -> Session:
    with db.begin():
        report = actions.import_articles(db, "test", project, list(enumerate(ARTICLES, start=1)))
    assert (report.created, report.refused) == (len(ARTICLES), [])
    return db


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def live(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Live]:
    monkeypatch.setenv("DOZVON_KB_INDEX_DIR", str(tmp_path / "kb-index"))
    for url in _fresh_database(request, tmp_path):
        with seeded_server(url) as server:
            yield server
