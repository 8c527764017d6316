"""The kinds of channel a project connects (a mailbox, a Telegram bot, a web form …):
what each needs in its settings, whether it has a secret, and how it is tested.

An adapter registers its kind when its package is imported (:func:`register_kind`); the
connections' actions, API and admin page work from this table alone, so a new kind of
channel adds a module, never an edit here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from dozvon.core.errors import InvalidInput

#: ``none``: no secret; ``required``: the person gives it (a password, a bot token);
#: ``generated``: Dozvon makes it and shows it once (a form's signing secret).
SecretRule = Literal["none", "required", "generated"]


class KindSettings(BaseModel):
    """Base of a kind's settings: unknown keys are refused, naming the field."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class ChannelKind:
    name: str
    #: The channel (in :mod:`dozvon.channels.registry`) its contacts arrive on.
    channel: str
    settings: type[KindSettings]
    secret: SecretRule = "none"
    #: What the secret is called for people (``password``, ``bot token``), both languages.
    secret_label: tuple[str, str] = ("secret", "секрет")
    title: tuple[str, str] = ("", "")
    #: Checks the connection against its peer: returns what it found, in words, or raises
    #: a DozvonError saying what is wrong. (connection row, the secret in clear) → text.
    test: Callable[[Any, str], str] | None = None


KINDS: dict[str, ChannelKind] = {}
_guard = threading.Lock()


def register_kind(kind: ChannelKind) -> ChannelKind:
    with _guard:
        KINDS[kind.name] = kind
    return kind


def get_kind(name: str) -> ChannelKind:
    found = KINDS.get(name)
    if found is None:
        raise InvalidInput("channels.bad_kind", field="kind", value=name, allowed=", ".join(sorted(KINDS)) or "—")
    return found


def check_settings(kind: ChannelKind, given: Mapping[str, Any]) -> dict[str, Any]:
    """The settings as the kind's model reads them (defaults filled), or the first wrong
    field as ``settings.<field>`` with pydantic's reason."""
    try:
        return kind.settings.model_validate(dict(given)).model_dump(mode="json")
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        # A kind's own check says what is wrong in words already (in the reader's language):
        # without pydantic's "Value error, " before it.
        own = first.get("ctx", {}).get("error") if first["type"] == "value_error" else None
        raise InvalidInput("channels.bad_setting", field=f"settings.{where}",
                           reason=str(own) if own is not None else first["msg"]) from None
