"""The widget's "call us" button in Chromium with a fake microphone: a visitor on a shop's
page calls, the call waits in the widget's queue like a phone call, an operator answers
with the softphone (aiortc here; the desktop's is tested in test_softphone.py), both hear
each other, and the visitor hangs up."""

# ruff: noqa: F811  (the live server's fixtures are imported by name, then asked for as parameters)
from __future__ import annotations

import asyncio
import threading
from contextlib import closing
from typing import Any

import pytest

from dozvon.demo.shop import mount_shop
from tests.server.conftest import Live
from tests.voice.live import events, voice_db, voice_live, wait_for  # noqa: F401  (fixtures)
from tests.voice.test_voice_server import Softphone
from tests.web.conftest import shot
from tests.web.test_softphone import LEVEL, phone_browser  # noqa: F401  (Chromium with a fake microphone)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

@pytest.mark.parametrize("lang", ["ru", "en"])
def test_a_visitor_calls_from_the_widget_and_talks_to_an_operator(lang: str, voice_live: Live,
                                                                   phone_browser: Any) -> None:
    from playwright.sync_api import expect

    words = {"ru": ("Чат", "Позвонить оператору из браузера", "Идёт звонок", "Завершить звонок", "Звонок завершён"),
             "en": ("Chat", "Call an operator from the browser", "On the call", "Hang up", "The call is over")}[lang]
    launcher, call_us, active, hang_up, over = words
    mount_shop(voice_live.app, "alpha")
    with closing(voice_live.client("alpha-admin")) as admin:
        answer = admin.put("/api/v1/projects/alpha/widget", json={
            "queue": "sales", "title": "Магазин «Альфа»", "calls": True,
            "prechat": {"name": "off", "phone": "off", "email": "off"}})
        assert answer.status_code == 200, answer.text
    context = phone_browser.new_context(locale="ru-RU" if lang == "ru" else "en-US",
                                        viewport={"width": 1280, "height": 800}, permissions=["microphone"])
    page = context.new_page()
    page.set_default_timeout(15_000)
    softphone = Softphone()
    try:
        page.goto(f"{voice_live.url}/demo/shop?lang={lang}")
        page.get_by_role("button", name=launcher).click()
        widget = page.get_by_role("dialog")
        widget.get_by_role("button", name=call_us).click()
        offered = wait_for(lambda: events(voice_live, "alpha", "contact.queued"))
        assert offered[0].queue == "sales"

        async def operator() -> float:
            client = voice_live.client("alpha-op1")
            ready = await asyncio.to_thread(client.post, "/api/v1/projects/alpha/operators/op1/state",
                                            json={"state": "available"})
            assert ready.status_code == 200, ready.text
            offer = await asyncio.to_thread(wait_for, lambda: events(voice_live, "alpha", "offer.created"))
            taken = await asyncio.to_thread(client.post, f"/api/v1/projects/alpha/offers/{offer[0].data['offer_id']}"
                                            "/accept")
            assert taken.status_code == 200, taken.text
            await softphone.join(client, "alpha", offer[0].contact_id)
            await asyncio.sleep(3.0)
            return softphone.loudest()

        # Playwright's sync API owns this thread's loop: the operator's WebRTC runs on its own.
        loop = asyncio.new_event_loop()
        runner = threading.Thread(target=loop.run_forever, daemon=True)
        runner.start()
        try:
            heard_by_operator = asyncio.run_coroutine_threadsafe(operator(), loop).result(60)
            expect(widget.get_by_role("status").filter(has_text=active)).to_be_visible()
            widget_audio = [".callaudio", "#dozvon-widget"]
            assert wait_for(lambda: page.evaluate(LEVEL, widget_audio) > 0.01, timeout=10)  # the operator's tone
            shot(page, f"widget-call-{lang}")
            assert heard_by_operator > 500  # the visitor's microphone reached the operator
            widget.get_by_role("button", name=hang_up).click()
            expect(widget.get_by_text(over)).to_be_visible()
            ended = wait_for(lambda: events(voice_live, "alpha", "contact.ended"))
            assert ended[0].data["by"] == "customer"
            asyncio.run_coroutine_threadsafe(softphone.close(), loop).result(30)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            runner.join(10)
        arrived = events(voice_live, "alpha", "contact.arrived")
        assert arrived[0].channel == "voice" and arrived[0].data.get("source") in ("widget", "127.0.0.1")
    finally:
        context.close()
