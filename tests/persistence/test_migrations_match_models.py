"""The migrations build exactly the schema the models describe, on SQLite and on
PostgreSQL: a table or column added to a model without its migration (or the other way
round) fails here rather than on a customer's first upgrade."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import dozvon.accounts.models
import dozvon.acd.models
import dozvon.analytics.models
import dozvon.channels.email.models
import dozvon.channels.models
import dozvon.channels.telegram.models
import dozvon.conversations.models
import dozvon.crm.models
import dozvon.directory.models
import dozvon.eventlog.models
import dozvon.integrations.models
import dozvon.knowledge.models
import dozvon.quality.evaluation_models
import dozvon.quality.models
import dozvon.replies.models
import dozvon.tasks.models
import dozvon.voice.models
import dozvon.widget.models  # every model, as dozvon/migrations/env.py imports them
from dozvon.core.db import Base, get_engine, upgrade
from tests.conftest import _postgres_available, new_postgres_database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/schema.db"
        return
    problem = _postgres_available()
    if problem is not None:
        request.getfixturevalue("postgres_server_url")  # fails or skips as the other PostgreSQL tests do
    with new_postgres_database("dozvon_schema") as url:
        yield url


def test_the_migrated_schema_is_the_models_schema(fresh_url: str) -> None:
    upgrade(fresh_url)
    with get_engine(fresh_url).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        differences = compare_metadata(context, Base.metadata)
    assert differences == [], differences


def test_every_models_module_is_known_to_the_migrations() -> None:
    from pathlib import Path

    root = Path(dozvon.accounts.models.__file__).resolve().parent.parent
    env = (root / "migrations" / "env.py").read_text(encoding="utf-8")
    for models in sorted(root.glob("*/models.py")):
        name = f"dozvon.{models.parent.name}.models"
        assert f"import {name}" in env, f"{name} is missing from dozvon/migrations/env.py"
        assert name in __import__("sys").modules, f"{name} is missing from this test's imports"
