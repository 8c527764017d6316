"""Files where the operator works, in a real browser: a Telegram customer's document and
photo show under their messages (a preview for the photo, the name and size as a link
that downloads it), and the operator sends a file back from the composer — it reaches the
customer's chat through the fake Bot API (tests/channels/telegram_peer.py)."""

from __future__ import annotations

import time
from contextlib import closing
from typing import Any

from playwright.sync_api import expect

from tests.channels.telegram_peer import TOKEN, FakeBotApi
from tests.server.conftest import Live
from tests.web.conftest import shot
from tests.web.test_desktop import RU, go_available, log_in

CHAT = 7770001
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005"
                    "0001ffa65cdb8c0000000049454e44ae426082")


def test_the_operator_sees_a_customers_files_and_sends_one_back(live: Live, new_page: Any, peer: FakeBotApi,
                                                                  tmp_path: Any) -> None:
    with closing(live.client("alpha-admin")) as admin:
        made = admin.post("/api/v1/projects/alpha/channels", json={
            "kind": "telegram", "name": "shopbot", "queue": "sales", "secret": TOKEN,
            "settings": {"api_url": peer.url, "poll_timeout_s": 1}})
        assert made.status_code == 201, made.text
    page = new_page("ru")
    log_in(page, live, "alpha-op1", RU)
    go_available(page, RU)
    peer.write(CHAT, "Здравствуйте, пришлю счёт и фото ковра")
    page.locator("[data-offer]").get_by_role("button", name=RU["accept"]).click(timeout=20_000)
    pane = page.locator("[data-conversation]")
    expect(pane).to_contain_text("пришлю счёт")
    peer.send_file(CHAT, b"%PDF-1.4 " + b"invoice " * 300, name="счёт 1042.pdf", caption="Вот счёт")
    peer.send_file(CHAT, PNG, photo=True, mime="image/png")
    link = pane.get_by_role("link", name="счёт 1042.pdf")
    expect(link).to_be_visible(timeout=20_000)
    expect(pane.locator(".msg__file-size").first).to_contain_text("КБ")
    preview = pane.locator("img.msg__preview")
    expect(preview).to_be_visible()
    assert preview.evaluate("img => img.complete && img.naturalWidth > 0")
    shot(page, "desktop-files-ru")

    attach = pane.locator("[data-slot=attach]")
    expect(attach).to_be_visible()
    price = tmp_path / "прайс.pdf"
    price.write_bytes(b"%PDF-1.4 price list")
    attach.locator("input[type=file]").set_input_files(str(price))
    expect(page.locator(".banner")).to_contain_text("Файл отправлен: прайс.pdf")
    deadline = time.monotonic() + 20
    while not [s for s in peer.sent if s["method"] == "sendDocument"]:
        assert time.monotonic() < deadline, "the file did not reach the chat"
        time.sleep(0.1)
    sent = [s for s in peer.sent if s["method"] == "sendDocument"]
    assert len(sent) == 1 and sent[0]["name"] == "прайс.pdf" and sent[0]["data"] == b"%PDF-1.4 price list"
    expect(pane.get_by_role("link", name="прайс.pdf")).to_be_visible(timeout=10_000)
