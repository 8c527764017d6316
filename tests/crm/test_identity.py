"""Normalisation: one person is one identity however the number or address is written."""

from __future__ import annotations

import pytest

from dozvon.channels.registry import registry
from dozvon.core.errors import InvalidInput
from dozvon.crm.identity import channel_key, kinds_written, normalise, normalise_phone


@pytest.mark.parametrize("written", ["8 (029) 123-45-67", "+375291234567", "375 29 1234567"])
def test_a_belarusian_number_in_three_formats_is_one_e164_number(written: str) -> None:
    assert normalise_phone(written, "BY") == "+375291234567"


@pytest.mark.parametrize("written", ["+7 912 345-67-89", "8 912 345 67 89", "89123456789", "7 (912) 345-67-89"])
def test_a_russian_number_with_region_ru_is_one_e164_number(written: str) -> None:
    assert normalise_phone(written, "RU") == "+79123456789"


def test_a_number_with_a_country_code_needs_no_region() -> None:
    assert normalise_phone("+375 29 123-45-67") == "+375291234567"
    assert normalise_phone("375291234567") == "+375291234567"


def test_a_bad_phone_is_refused_naming_the_value_in_both_languages() -> None:
    with pytest.raises(InvalidInput) as error:
        normalise("phone", "12-34", "BY")
    assert "'12-34'" in error.value.message("en") and "не номер телефона" in error.value.message("ru")


def test_e_mail_is_case_insensitive_and_stored_lower_case() -> None:
    assert normalise("email", " Anna.Petrova@Example.BY ") == "anna.petrova@example.by"
    with pytest.raises(InvalidInput):
        normalise("email", "anna at example")


def test_telegram_user_names_ignore_case_and_the_at_sign() -> None:
    assert normalise("telegram", "@Anna_P") == normalise("telegram", "anna_p") == "@anna_p"
    assert normalise("telegram", "123456789") == "123456789"


def test_the_channel_decides_the_kind_and_an_unparsable_id_is_kept_as_the_channels() -> None:
    assert channel_key("voice", "8 029 123 45 67", "BY") == ("phone", "+375291234567")
    assert channel_key("email", "Anna@Example.BY", None) == ("email", "anna@example.by")
    assert channel_key("form", "not-an-address", None) == ("channel:form", "not-an-address")
    assert channel_key("voice", "anonymous", "BY") == ("channel:voice", "anonymous")
    assert channel_key("chat", "visitor-42", None) == ("web", "visitor-42")
    assert channel_key("messenger", "wa:+7000", None) == ("messenger", "wa:+7000")
    assert channel_key("pigeon", "p-1", None) == ("channel:pigeon", "p-1")


def test_every_kind_a_channel_s_ids_may_take_is_among_the_kinds_written() -> None:
    """The server's planner statistics keeper looks for the kinds in ``kinds_written``: an
    identity kind the ingest stores and the keeper never looks for would be planned as one
    row after it came into use (a voice line's first anonymous callers)."""
    channels = registry.names()
    written = set(kinds_written(channels))
    ids = ["8 029 123 45 67", "+375 29 123-45-67", "Anna@Example.BY", "@Anna_P", "123456789", "wa:+7000",
           "visitor-42", "anonymous"]
    taken = {channel_key(channel, external_id, "BY")[0] for channel in channels for external_id in ids}
    assert {"channel:voice", "channel:email", "phone", "email", "web"} <= taken
    assert taken <= written


def test_an_address_or_a_plus_number_is_the_persons_e_mail_or_phone_on_any_channel() -> None:
    assert channel_key("chat", "+375 29 123-45-67", "BY") == ("phone", "+375291234567")
    assert channel_key("messenger", "Anna@Example.BY", None) == ("email", "anna@example.by")
    assert channel_key("form", "8 029 123 45 67", "BY") == ("phone", "+375291234567")
    assert channel_key("telegram", "@Anna_P", None) == ("telegram", "@anna_p")
