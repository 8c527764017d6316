"""The reader's language for API messages, from ``Accept-Language`` (Russian or English)."""

from __future__ import annotations

from dozvon.core.i18n import current_language


def language_of(accept_language: str | None) -> str:
    """The first of ru/en the client asks for; the server's own language otherwise."""
    if accept_language:
        for part in accept_language.split(","):
            tag = part.split(";")[0].strip().lower()[:2]
            if tag in ("ru", "en"):
                return tag
    return current_language()
