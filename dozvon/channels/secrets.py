"""Channels' secrets encrypted at rest: an IMAP password, a bot token, a form's signing
secret must be read back to be used (so they cannot be hashed), and must not be readable
from a database dump or a backup.

Fernet (AES-128-CBC with HMAC-SHA256, from ``cryptography``) with the installation's key:
``DOZVON_SECRET_KEY`` (a Fernet key — ``dozvon channel new-key`` prints one), which every
server process sharing a database must be given; without it, a key made once in the data
directory (``secret.key``, readable by its owner only) — right for the embedded default
on one machine. A secret that no key opens (the key was changed) reads as an error that
says so, never as a crash.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from dozvon.core.errors import DozvonError

_lock = threading.Lock()
_cached: dict[str, Fernet] = {}


def new_key() -> str:
    return Fernet.generate_key().decode()


def _key_file(data_dir: Path) -> Path:
    return data_dir / "secret.key"


def _fernet() -> Fernet:
    from dozvon.core.settings import get_settings

    configured = os.environ.get("DOZVON_SECRET_KEY", "").strip()
    cache_key = configured or str(get_settings().data_dir)
    with _lock:
        found = _cached.get(cache_key)
        if found is not None:
            return found
        if configured:
            try:
                made = Fernet(configured.encode())
            except ValueError:
                raise DozvonError("channels.bad_key") from None
        else:
            path = _key_file(get_settings().data_dir)
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(descriptor, "w") as handle:
                    handle.write(new_key())
            made = Fernet(path.read_text().strip().encode())
        _cached[cache_key] = made
        return made


def seal(secret: str) -> str:
    """The secret as stored ("" stays "")."""
    return _fernet().encrypt(secret.encode()).decode() if secret else ""


def unseal(stored: str) -> str:
    """The secret back; a stored one the key cannot open is a clear error."""
    if not stored:
        return ""
    try:
        return _fernet().decrypt(stored.encode()).decode()
    except InvalidToken:
        raise DozvonError("channels.secret_unreadable") from None
