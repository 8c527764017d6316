"""A phone line: the channel connection a call arrives on.

A project connects one line per number its trunk delivers (``number``: the dialled
number, the user part of the INVITE's request URI; ``*`` takes any number no other line
claims). The line says what a caller hears before an operator answers — the greeting, an
optional menu of digits choosing a queue, the position announcements — and whether the
call is recorded. Its ``queue`` (the connection's) is where calls go without a menu.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field, field_validator

from dozvon.channels.kinds import ChannelKind, KindSettings, register_kind
from dozvon.core.i18n import translate
from dozvon.voice import messages as _messages  # noqa: F401  (the texts it says)

_MENU_LINE = re.compile(r"^\s*([0-9*#])\s+([A-Za-z0-9_.\-]{1,128})\s*(.*)$")


@dataclass(frozen=True)
class MenuChoice:
    digit: str
    queue: str
    label: str


class LineSettings(KindSettings):
    """What a caller of this line hears and where the call goes."""

    #: The dialled number this line answers (digits, ``+``); ``*``: any number.
    number: str = Field(default="*", min_length=1, max_length=32, pattern=r"^(\*|\+?[0-9A-Za-z_.\-]{1,31})$")
    #: The language of the prompts (the synthesised voice and the bundled recordings).
    language: Literal["ru", "en"] = "ru"
    #: Said as soon as the call is answered; empty: the bundled greeting of the language.
    greeting: str = Field(default="", max_length=500)
    #: Said before the menu's digits are awaited (``Нажмите 1 …``); empty: no menu.
    menu_prompt: str = Field(default="", max_length=500)
    #: One choice per line: ``DIGIT QUEUE words for people`` (``1 sales Отдел продаж``).
    menu: list[str] = Field(default_factory=list, max_length=12)
    #: How long a digit is awaited before the call goes to the line's queue.
    menu_timeout_s: int = Field(default=6, ge=1, le=30)
    #: Tell the waiting caller their place in the queue …
    announce_position: bool = True
    #: … every this many seconds.
    announce_every_s: int = Field(default=30, ge=10, le=600)
    #: Also tell them the queue's average wait today, when it is a minute or more (as
    #: Asterisk's announce-holdtime does).
    announce_wait: bool = True
    #: Record both sides of the conversation with the operator.
    record: bool = False
    #: Said before the greeting when calls are recorded; empty: the bundled consent notice.
    consent_prompt: str = Field(default="", max_length=500)
    #: Recordings are deleted after this many days.
    retention_days: int = Field(default=90, ge=1, le=3650)
    #: When the queue is closed: take a voice message after the announcement (else only the
    #: callback task the engine creates).
    voicemail: bool = True
    #: The longest voice message, in seconds.
    voicemail_max_s: int = Field(default=60, ge=5, le=300)
    #: Call back a caller who hung up while waiting (when the queue makes callback tasks),
    #: through the trunk, as soon as an operator of the queue is free.
    auto_callback: bool = False

    @field_validator("menu")
    @classmethod
    def _menu(cls, value: list[str]) -> list[str]:
        digits: set[str] = set()
        kept = []
        for i, line in enumerate(value):
            if not line.strip():
                continue
            found = _MENU_LINE.match(line)
            if found is None:
                raise ValueError(translate("voice.bad_menu_line", n=i + 1, line=line))
            if found.group(1) in digits:
                raise ValueError(translate("voice.menu_digit_twice", digit=found.group(1)))
            digits.add(found.group(1))
            kept.append(line.strip())
        return kept

    def choices(self) -> list[MenuChoice]:
        out = []
        for line in self.menu:
            found = _MENU_LINE.match(line)
            if found is not None:
                out.append(MenuChoice(found.group(1), found.group(2), found.group(3).strip()))
        return out


def settings_of(connection: Any) -> LineSettings:
    return LineSettings.model_validate(connection.settings or {})


LINE = register_kind(ChannelKind(name="phone", channel="voice", settings=LineSettings, secret="none",
                                 title=("Phone line", "Телефонная линия")))
