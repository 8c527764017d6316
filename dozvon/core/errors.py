"""Errors that reach people: a stable code, parameters, and a message in their language.

An error carries its HTTP status so that the API layer can answer without a mapping
table, and its code so that programs can react without parsing prose.
"""

from __future__ import annotations

from typing import Any

from dozvon.core.i18n import translate


class DozvonError(Exception):
    """Base of every error Dozvon reports to a person or a program."""

    status_code = 400

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str | None = None) -> str:
        return translate(self.code, lang, **self.params)


class NotFound(DozvonError):
    status_code = 404


class Conflict(DozvonError):
    """The request is valid but the current state does not allow it."""

    status_code = 409


class InvalidInput(DozvonError):
    status_code = 422


class Unauthorized(DozvonError):
    """No valid credentials: log in, or send an API token."""

    status_code = 401


class Forbidden(DozvonError):
    """Valid credentials, but not allowed here."""

    status_code = 403
