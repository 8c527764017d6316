"""Passwords (argon2id) and random secrets (stored only as SHA-256 digests).

Session ids and API tokens are 256-bit random values: a fast digest is enough to store
them safely (nobody can guess their way through 2^256), and it keeps every API call's
check cheap. Passwords are low-entropy, so they get argon2id, which is slow on purpose.
"""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

#: A valid hash of a random password: verifying unknown users against it costs as much as
#: verifying a real one, so that response times do not reveal which usernames exist.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))

TOKEN_PREFIX = "dzt_"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def new_api_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
