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
    #: Where the followers of the event log that need no engine (the KPI fold, the quality
    #: checks and contact-type suggestions) run: ``process`` — a process of their own, started
    #: and watched by the server; ``thread`` — the server's own threads; ``auto`` — a process
    #: on PostgreSQL, threads on SQLite (whose one write lock a second writer would wait for).
    followers: Literal["auto", "thread", "process"] = Field(default="auto", validation_alias="DOZVON_FOLLOWERS")
    #: Echo SQL statements (debugging).
    sql_echo: bool = Field(default=False, validation_alias="DOZVON_SQL_ECHO")
    #: Failed logins: after this many for one account within the window, its logins are
    #: refused (429) for ``login_lockout_s``, doubling with each further failure.
    login_max_failures: int = Field(default=5, ge=1, validation_alias="DOZVON_LOGIN_MAX_FAILURES")
    #: …and after this many from one client address (to any accounts).
    login_address_max_failures: int = Field(default=50, ge=1, validation_alias="DOZVON_LOGIN_ADDRESS_MAX_FAILURES")
    #: The window in which failed logins are counted, in seconds (also the longest lock-out).
    login_window_s: float = Field(default=900.0, gt=0, validation_alias="DOZVON_LOGIN_WINDOW_S")
    #: The first lock-out, in seconds.
    login_lockout_s: float = Field(default=60.0, gt=0, validation_alias="DOZVON_LOGIN_LOCKOUT_S")
    #: Threads that check passwords (argon2, slow on purpose), apart from the pool the API uses.
    login_hash_threads: int = Field(default=2, ge=1, le=64, validation_alias="DOZVON_LOGIN_HASH_THREADS")

    #: Outbound webhooks: a receiver's answer is awaited this long (seconds)…
    webhook_timeout_s: float = Field(default=10.0, gt=0, le=120, validation_alias="DOZVON_WEBHOOK_TIMEOUT_S")
    #: …a failed delivery is tried again after this, doubling each time up to the maximum…
    webhook_backoff_s: float = Field(default=10.0, gt=0, validation_alias="DOZVON_WEBHOOK_BACKOFF_S")
    webhook_backoff_max_s: float = Field(default=3600.0, gt=0, validation_alias="DOZVON_WEBHOOK_BACKOFF_MAX_S")
    #: …until this many attempts (then it is failed; it can be replayed).
    webhook_max_attempts: int = Field(default=12, ge=1, le=100, validation_alias="DOZVON_WEBHOOK_MAX_ATTEMPTS")
    #: Deliveries under way at once.
    webhook_concurrency: int = Field(default=8, ge=1, le=256, validation_alias="DOZVON_WEBHOOK_CONCURRENCY")
    #: Finished deliveries stay in the webhooks' delivery log this many days.
    webhook_keep_days: float = Field(default=30.0, gt=0, validation_alias="DOZVON_WEBHOOK_KEEP_DAYS")

    #: Voice: where the SIP user agent listens (``HOST:PORT``); empty = no SIP. Only the
    #: trunk/PBX in ``sip_allowed_peers`` may call in (others are answered 403).
    sip_listen: str = Field(default="", validation_alias="DOZVON_SIP_LISTEN")
    #: Voice: the trunk or PBX outbound calls (callbacks, transfers out) go through (``HOST:PORT``).
    sip_trunk: str = Field(default="", validation_alias="DOZVON_SIP_TRUNK")
    #: Voice: the addresses or networks allowed to send SIP requests, comma-separated;
    #: empty = the trunk's address and loopback.
    sip_allowed_peers: str = Field(default="", validation_alias="DOZVON_SIP_ALLOWED_PEERS")
    #: Voice: the UDP ports the calls' RTP uses (``FIRST-LAST``).
    rtp_ports: str = Field(default="20000-20999", validation_alias="DOZVON_RTP_PORTS")
    #: Voice: the softphones' ICE servers as JSON (``[{"urls": "stun:…"}]``); empty on a LAN.
    ice_servers: str = Field(default="[]", validation_alias="DOZVON_ICE_SERVERS")

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'dozvon.db'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
