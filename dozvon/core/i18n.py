"""Russian and English messages for people.

Every message a person reads (CLI output, errors) is looked up here by key, in the
language chosen by ``DOZVON_LANG`` or the locale (``LANG``), defaulting to English.
The catalogues are plain dictionaries so that the pure engine can raise translated
errors without any I/O.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

SUPPORTED = ("en", "ru")

CATALOGUE: dict[str, dict[str, str]] = {
    "en": {},
    "ru": {},
}


def register(key: str, en: str, ru: str) -> None:
    """Add one message in both languages (modules register their own at import)."""
    CATALOGUE["en"][key] = en
    CATALOGUE["ru"][key] = ru


#: The reader's language while the server answers one request for them (see :func:`reading`).
_reader: ContextVar[str | None] = ContextVar("dozvon_reader_language", default=None)


@contextmanager
def reading(lang: str) -> Iterator[None]:
    """Within the block, messages without an explicit language are in ``lang``: code deep
    under a request (a channel's test) can say what it found in the caller's language."""
    token = _reader.set(lang if lang in SUPPORTED else None)
    try:
        yield
    finally:
        _reader.reset(token)


def current_language() -> str:
    """The language for people: the reader's (:func:`reading`), else DOZVON_LANG, else the
    locale, else English."""
    reader = _reader.get()
    if reader is not None:
        return reader
    explicit = os.environ.get("DOZVON_LANG", "").strip().lower()[:2]
    if explicit in SUPPORTED:
        return explicit
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "").strip().lower()[:2]
        if value in SUPPORTED:
            return value
    return "en"


def h(en: str, ru: str) -> str:
    """Inline text in the reader's language (CLI help, table titles): short strings that
    belong next to the code that prints them rather than in the message catalogue."""
    return ru if current_language() == "ru" else en


def translate(key: str, lang: str | None = None, **params: Any) -> str:
    """The message for ``key`` with ``params`` filled in; the key itself if unknown."""
    lang = lang or current_language()
    template = CATALOGUE.get(lang, {}).get(key) or CATALOGUE["en"].get(key) or key
    try:
        return template.format(**params)
    except (KeyError, IndexError):
        return template


def _load_catalogue() -> None:
    from dozvon.core import messages  # noqa: F401  (registers every message)


_load_catalogue()
