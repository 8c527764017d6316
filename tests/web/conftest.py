"""Browser tests: Playwright driving Debian's Chromium (``apt-get install -y chromium``;
never ``playwright install``) against the real server of tests/server (``live``: uvicorn
on SQLite and on PostgreSQL). One browser per module, a fresh context (cookies) per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.channels.telegram_peer import peer  # noqa: F401  (a fake Bot API for a test)
from tests.server.conftest import live, pytest_generate_tests, server_db  # noqa: F401  (the real server)

CHROMIUM = Path(os.environ.get("DOZVON_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
#: Where the screenshots go: docs/screens/ when DOZVON_SAVE_SCREENS=1 (to refresh the ones in
#: the repository), else a temporary folder — a test run leaves the working tree alone.
SCREENS = Path(__file__).resolve().parents[2] / "docs" / "screens"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"chromium is not installed at {CHROMIUM} (Debian: apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright (the dev extra) is missing, so chromium cannot be driven")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def new_page(browser: Any) -> Iterator[Any]:
    """``new_page(lang)``: a page in a fresh context whose browser asks for ``lang``, at
    1280×800; every page fails the test if a dialog (an injected script) ever opens."""
    contexts: list[Any] = []
    dialogs: list[str] = []

    def make(lang: str = "ru") -> Any:
        context = browser.new_context(locale="ru-RU" if lang == "ru" else "en-US",
                                      viewport={"width": 1280, "height": 800})
        contexts.append(context)
        page = context.new_page()
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.set_default_timeout(10_000)
        return page

    yield make
    for context in contexts:
        context.close()
    assert not dialogs, f"a script ran from injected text: {dialogs}"


def shot(page: Any, name: str) -> None:
    """Save the page as docs/screens/<name>.png when DOZVON_SAVE_SCREENS=1 (a person looks
    at them, listed in docs/screens.md); otherwise nothing, so a test run stays quick."""
    if os.environ.get("DOZVON_SAVE_SCREENS") == "1":
        SCREENS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENS / f"{name}.png"))
