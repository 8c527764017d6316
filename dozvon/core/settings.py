"""Configuration from the environment, a ``.env`` file or ``dozvon.toml``-free defaults.

All settings live here, with their defaults, so that one page documents them
(docs/configuration.md is generated from this class's fields by hand, kept beside it).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "dozvon"


class Settings(BaseSettings):
    """Dozvon's settings. Environment variables win over ``.env``; both over defaults."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    #: ``sqlite:///PATH`` or ``postgresql://user:pass@host/db``; empty = SQLite in data_dir.
    database_url: str = Field(default="", validation_alias="DATABASE_URL")
    #: Where the embedded SQLite database and other files live.
    data_dir: Path = Field(default_factory=default_data_dir, validation_alias="DOZVON_DATA_DIR")
    #: The project (tenant) whose routing this process runs.
    project: str = Field(default="default", validation_alias="DOZVON_PROJECT")
    #: Where ``dozvon serve`` listens.
    host: str = Field(default="127.0.0.1", validation_alias="DOZVON_HOST")
    port: int = Field(default=8000, ge=1, le=65535, validation_alias="DOZVON_PORT")
    #: Session cookies' Secure flag: ``auto`` (when the request came over HTTPS, also behind
    #: a proxy that says so), ``always`` or ``never``.
    cookie_secure: Literal["auto", "always", "never"] = Field(default="auto", validation_alias="DOZVON_COOKIE_SECURE")
    #: The server's log level (``warning`` also turns the per-request access log off).
    log_level: Literal["debug", "info", "warning", "error"] = Field(default="info", validation_alias="DOZVON_LOG_LEVEL")
    #: Echo SQL statements (debugging).
    sql_echo: bool = Field(default=False, validation_alias="DOZVON_SQL_ECHO")

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'dozvon.db'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
