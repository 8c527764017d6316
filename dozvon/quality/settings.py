"""A project's quality settings: which checks run, their thresholds and weights, the words
added to or removed from the default lists, and what a suspected complaint does.

Stored as one JSON document per project (``quality_settings``, as the segment rules and
the CRM policies are), validated by :class:`QualitySettings` — the same model the API's
``PUT …/quality/settings`` takes, so a bad value is refused with the field it is in.
:func:`compile_profile` turns a document into what the checks use (the lists as phrase
sets), once per distinct document.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, field_validator

from dozvon.quality import lexicon
from dozvon.quality.text import PhraseSet

#: Every check, in the order people read them.
CHECKS = ("greeting", "farewell", "politeness", "unanswered_question", "empathy", "response_time",
          "long_hold", "transfer_ping_pong", "callback_promise")
#: How much each check counts in a conversation's score (a project may change them).
DEFAULT_WEIGHTS: dict[str, int] = {"greeting": 1, "farewell": 1, "politeness": 3, "unanswered_question": 2,
                                   "empathy": 2, "response_time": 1, "long_hold": 1, "transfer_ping_pong": 1,
                                   "callback_promise": 2}
#: Channels whose replies are measured against the e-mail thresholds (the rest: chat's).
SLOW_CHANNELS = frozenset({"email", "form"})

CheckId = Literal["greeting", "farewell", "politeness", "unanswered_question", "empathy", "response_time",
                  "long_hold", "transfer_ping_pong", "callback_promise"]
ListName = Literal["greeting", "farewell", "rude", "complaint", "empathy", "question", "callback", "partner"]
Language = Literal["ru", "en"]
_ENTRY = 200
_ENTRIES = 500


def _plain(value: str) -> str:
    if "\x00" in value:
        raise ValueError("contains a NUL character (\\u0000), which cannot be stored")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReplyTimes(_Strict):
    """How soon the operator must answer: the first reply, and every later one."""

    first_reply_s: float = Field(default=60, gt=0, le=7 * 86400)
    reply_s: float = Field(default=180, gt=0, le=7 * 86400)


class WordChanges(_Strict):
    """Entries added to one default list, and default entries taken out of it."""

    add: list[str] = Field(default_factory=list, max_length=_ENTRIES)
    remove: list[str] = Field(default_factory=list, max_length=_ENTRIES)

    @field_validator("add", "remove")
    @classmethod
    def _entries(cls, values: list[str]) -> list[str]:
        for value in values:
            _plain(value)
            if not value.strip() or len(value) > _ENTRY:
                raise ValueError(f"an entry must be 1–{_ENTRY} characters: {value[:40]!r}")
        return values


class QualitySettings(_Strict):
    #: Checks switched off (missing: on).
    enabled: dict[CheckId, bool] = Field(default_factory=dict)
    #: Each check's weight in the score, 0–10 (missing: :data:`DEFAULT_WEIGHTS`).
    weights: dict[CheckId, int] = Field(default_factory=dict)
    #: Reply times on chats and messengers…
    chat: ReplyTimes = Field(default_factory=ReplyTimes)
    #: …and on e-mail and web forms.
    email: ReplyTimes = Field(default_factory=lambda: ReplyTimes(first_reply_s=4 * 3600, reply_s=24 * 3600))
    #: A hold longer than this fails ``long_hold``.
    max_hold_s: float = Field(default=120, gt=0, le=86400)
    #: language → list → words added and removed.
    words: dict[Language, dict[ListName, WordChanges]] = Field(default_factory=dict)
    #: A contact this many days after the customer's previous one is a ``clarification``.
    fcr_window_days: float = Field(default=7, gt=0, le=365)
    #: How many of the customer's first messages the contact type is suggested from.
    first_messages: int = Field(default=3, ge=1, le=20)
    #: A suspected complaint on a live contact alerts the supervisors (``quality.complaint_suspected``).
    complaint_alert: bool = True
    #: …and, when set, moves a contact still waiting into this queue (give it a higher
    #: priority or more senior operators): the "raise its priority" of a complaint.
    complaint_queue: str | None = Field(default=None, min_length=1, max_length=128)

    @field_validator("weights")
    @classmethod
    def _weights(cls, values: dict[str, int]) -> dict[str, int]:
        for check, weight in values.items():
            if not 0 <= weight <= 10:
                raise ValueError(f"the weight of {check} must be 0–10, not {weight}")
        return values

    @field_validator("complaint_queue")
    @classmethod
    def _queue(cls, value: str | None) -> str | None:
        return _plain(value) if value is not None else None

    def is_on(self, check: str) -> bool:
        return self.enabled.get(check, True)  # type: ignore[call-overload, no-any-return]

    def weight(self, check: str) -> int:
        return self.weights.get(check, DEFAULT_WEIGHTS[check])  # type: ignore[call-overload, no-any-return]

    def replies(self, channel: str) -> ReplyTimes:
        return self.email if channel in SLOW_CHANNELS else self.chat

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


@dataclass(frozen=True)
class Profile:
    """The settings as the checks use them: each list as a phrase set, per language and for
    both together (a conversation whose language is not given)."""

    settings: QualitySettings
    lists: dict[str, dict[str, PhraseSet]]

    def phrases(self, language: str | None, name: str) -> PhraseSet:
        return self.lists[language if language in self.lists else "any"][name]


def compile_profile(settings: QualitySettings | None = None) -> Profile:
    """The profile of these settings (the defaults when None); made once per distinct document."""
    settings = settings or QualitySettings()
    return _compiled(json.dumps(settings.to_dict(), sort_keys=True, ensure_ascii=False))


@lru_cache(maxsize=256)
def _compiled(document: str) -> Profile:
    settings = QualitySettings.model_validate_json(document)
    lists: dict[str, dict[str, PhraseSet]] = {}
    merged: dict[str, list[str]] = {name: [] for name in lexicon.LISTS}
    for language in lexicon.LANGUAGES:
        changes = cast(Mapping[str, Mapping[str, WordChanges]], settings.words).get(language, {})
        lists[language] = {}
        for name in lexicon.LISTS:
            change = changes.get(name) or WordChanges()
            found = lexicon.entries(language, name, tuple(change.add), tuple(change.remove))
            lists[language][name] = PhraseSet(found, _inserts(name, language))
            merged[name].extend(found)
    lists["any"] = {name: PhraseSet(entries, _inserts(name, *lexicon.LANGUAGES)) for name, entries in merged.items()}
    return Profile(settings, lists)


def _inserts(name: str, *languages: str) -> tuple[str, ...]:
    """The words that may stand inside this list's phrases (none outside the courtesy lists)."""
    if name not in lexicon.WITH_INSERTS:
        return ()
    return tuple(w for language in languages for w in lexicon.INSERTS[language])
