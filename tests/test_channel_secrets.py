"""Channels' secrets at rest: sealed with the installation's key — DOZVON_SECRET_KEY, or a
key made once in the data directory, readable by its owner only — and a secret the key
cannot open is a clear error, not a crash."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from dozvon.channels import secrets
from dozvon.core.errors import DozvonError
from dozvon.core.settings import get_settings


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("DOZVON_SECRET_KEY", raising=False)
    monkeypatch.setenv("DOZVON_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_without_a_configured_key_one_is_made_once_in_the_data_directory(data_dir: Path) -> None:
    sealed = secrets.seal("пароль от ящика")
    assert "пароль" not in sealed and secrets.unseal(sealed) == "пароль от ящика"
    key = data_dir / "secret.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    made = key.read_text()
    secrets.seal("again")
    assert key.read_text() == made
    assert secrets.seal("") == "" and secrets.unseal("") == ""


def test_a_configured_key_wins_and_a_secret_it_cannot_open_says_so(data_dir: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    by_file = secrets.seal("token")
    monkeypatch.setenv("DOZVON_SECRET_KEY", secrets.new_key())
    by_env = secrets.seal("token")
    assert secrets.unseal(by_env) == "token"
    with pytest.raises(DozvonError) as caught:
        secrets.unseal(by_file)
    assert caught.value.code == "channels.secret_unreadable"
    monkeypatch.setenv("DOZVON_SECRET_KEY", "not a key")
    with pytest.raises(DozvonError) as bad:
        secrets.seal("x")
    assert bad.value.code == "channels.bad_key" and "DOZVON_SECRET_KEY" in bad.value.message("en")


def test_a_readers_language_holds_inside_a_request_only() -> None:
    from dozvon.core.i18n import current_language, reading, translate

    outside = current_language()
    with reading("ru"):
        assert translate("channels.no_test", name="x").startswith("У канала")
    with reading("en"):
        assert translate("channels.no_test", name="x").startswith("Channel")
    assert current_language() == outside
