"""Alembic environment: Dozvon's metadata, the URL from the config Dozvon builds."""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

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
import dozvon.widget.models  # noqa: F401  (registers the tables on Base.metadata)
from dozvon.core.db import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = engine_from_config(config.get_section(config.config_ini_section, {}),
                                     prefix="sqlalchemy.", poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
