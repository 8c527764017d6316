"""The ``form`` kind of channel connection: what a form's settings are (its field mapping,
which fields it requires, its size limit) and its test.

A form's secret is made by Dozvon (``secret="generated"``) and shown once: the site or the
marketplace signs every request's body with it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dozvon.channels.forms import messages as _messages  # noqa: F401  (registers the messages)
from dozvon.channels.kinds import ChannelKind, KindSettings, register_kind
from dozvon.core.i18n import translate

#: The parts of a request a form maps.
Role = Literal["name", "phone", "email", "text", "source", "id"]
ROLES: tuple[Role, ...] = ("name", "phone", "email", "text", "source", "id")


class FieldMap(BaseModel):
    """Which field of the request is each part; ``null`` when the form has none. The
    defaults fit a plain site form (``name``, ``phone``, ``email``, ``text``, ``source``); a
    dotted path (``contact.phone``) reaches into a marketplace's nested JSON."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default="name", min_length=1, max_length=200)
    phone: str | None = Field(default="phone", min_length=1, max_length=200)
    email: str | None = Field(default="email", min_length=1, max_length=200)
    text: str | None = Field(default="text", min_length=1, max_length=200)
    source: str | None = Field(default="source", min_length=1, max_length=200)
    #: The request's own id (a marketplace's order or lead number): a repeat with the same
    #: id is the same request. None: the ``Idempotency-Key`` header, else the body's hash.
    id: str | None = Field(default=None, min_length=1, max_length=200)


class FormSettings(KindSettings):
    fields: FieldMap = Field(default_factory=FieldMap)
    #: Parts a request must have (refused otherwise, naming the field).
    required: list[Role] = Field(default_factory=list)
    #: A request must give a phone or an e-mail — whom to answer (the customer is found by it).
    require_contact: bool = True
    #: The subject of the conversations the form opens ("" — the form's name).
    title: str = Field(default="", max_length=200)
    #: Fields not mapped are shown to the operator under the text ("field: value").
    show_other_fields: bool = True
    #: The largest body taken, in bytes.
    max_body_bytes: int = Field(default=64 * 1024, ge=1024, le=1024 * 1024)


def form_settings(settings: dict[str, Any]) -> FormSettings:
    return FormSettings.model_validate(settings)


def _test(connection: Any, secret: str) -> str:
    """Nothing to dial: a form is tested by its peer posting to it. Says where its requests
    go and when the last one came (the health shows the last refusal)."""
    last = connection.last_in_at_us
    when = datetime.fromtimestamp(last / 1e6, UTC).isoformat(timespec="seconds") if last else translate("forms.never")
    return translate("forms.ready", queue=connection.queue, last=when)


FORM = register_kind(ChannelKind(name="form", channel="form", settings=FormSettings, secret="generated",
                                 secret_label=("signing secret", "секрет подписи"),
                                 title=("Web form or marketplace", "Веб-форма или маркетплейс"), test=_test))
