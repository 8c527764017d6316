"""An attended transfer of a call to a queue between two desktops, in Chromium with fake
microphones (issue 12), in Russian and in English: op1 picks the queue ``billing`` in the
transfer form with "talk to them first"; the engine offers the consultation to op2 (the
only one there), whose offer card says op1 introduces it; op2 accepts and their softphone
joins the consultation at once; op1's panel names who answered and lets them hand the
caller over; the call then opens on op2's desktop with the caller's voice."""

# ruff: noqa: F811  (the live server's fixtures are imported by name, then asked for as parameters)
from __future__ import annotations

import asyncio
import re
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

from dozvon.core.i18n import translate
from tests.server.conftest import Live
from tests.voice.conftest import SippRun, run_sipp, sipp, speech  # noqa: F401  (the fixtures)
from tests.voice.live import add_line, events, voice_db, voice_live, wait_for  # noqa: F401  (fixtures)
from tests.web.conftest import shot
from tests.web.test_desktop import EN, RU, go_available, log_in
from tests.web.test_softphone import CALL_AUDIO, LEVEL, phone_browser  # noqa: F401  (the fixture)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_an_attended_transfer_to_a_queue_between_two_desktops(voice_live: Live, sipp: str, phone_browser: Any,
                                                              tmp_path: Path, speech: dict[str, Path],
                                                              lang: str) -> None:
    from playwright.sync_api import expect

    from dozvon.routing.model import OperatorConfig, QueueConfig

    def say(key: str, **params: Any) -> str:
        return translate(key, lang, **params)

    names = RU if lang == "ru" else EN
    svc = voice_live.hub.service("alpha")
    svc.run(lambda e: e.add_queue(QueueConfig(name="billing", offer_timeout_s=30, required_skills={"billing": 1})))
    svc.run(lambda e: e.add_operator(OperatorConfig.from_dict(
        {"id": "op2", "queues": ["billing"], "skills": {"billing": 1}, "capacity": {"voice": 1, "chat": 3}})))
    # op1 has a name: the colleague's offer card says who introduces the call by it, not by the id.
    svc.run(lambda e: e.add_operator(OperatorConfig.from_dict(
        {"id": "op1", "name": "Анна Смирнова", "queues": ["sales"], "capacity": {"voice": 1, "chat": 3}})))
    add_line(voice_live)
    talk = tmp_path / "long-speech.wav"
    subprocess.run(["sox", *[str(speech["ulaw"])] * 10, str(talk)], check=True)
    caller: list[SippRun] = []
    calling = threading.Thread(target=lambda: caller.append(asyncio.run(run_sipp(
        sipp, tmp_path, voice_live.sip_port, scenario="uac_speech.xml",  # type: ignore[attr-defined]
        replace={"SPEECH_FILE": str(talk), "CALL_MS": "30000"}, timeout=60))), daemon=True)
    locale = "ru-RU" if lang == "ru" else "en-US"
    contexts = [phone_browser.new_context(locale=locale, viewport={"width": 1280, "height": 800},
                                          permissions=["microphone"]) for _ in range(2)]
    first, second = (context.new_page() for context in contexts)
    for page in (first, second):
        page.set_default_timeout(15_000)
    try:
        log_in(first, voice_live, "alpha-op1", names)
        log_in(second, voice_live, "alpha-op2", names)
        go_available(first, names)
        calling.start()
        first.locator("[data-offer]").get_by_role("button", name=names["accept"]).click()
        panel = first.get_by_role("region", name=say("web.call.title"))
        expect(panel.get_by_role("status")).to_have_text(say("web.call.talking"))
        go_available(second, names)
        first.get_by_role("button", name=say("web.transfer.open")).click()
        form = first.locator("[data-slot=transferform]")
        form.get_by_label(say("web.transfer.to")).select_option(value="queue:billing")
        form.get_by_label(say("web.transfer.consult")).check()
        form.get_by_role("button", name=say("web.transfer.do")).click()
        expect(panel.locator("[data-slot=consultwho]")).to_have_text(say("web.call.consulting_queue", queue="billing"))
        hand_over = panel.get_by_role("button", name=say("web.call.consult_complete"))
        expect(hand_over).to_be_disabled()  # nobody has answered in billing yet

        card = second.locator("[data-offer]")
        expect(card).to_contain_text(say("web.offer.introduced", name="Анна Смирнова"))
        expect(card).to_contain_text("billing")
        card.evaluate("e => Promise.all(e.getAnimations().map((a) => a.finished))")  # (for the screenshot)
        shot(second, f"desktop-call-introduced-{lang}")
        card.get_by_role("button", name=names["accept"]).click()
        asked = second.get_by_role("alertdialog", name=say("web.call.asked_title"))
        expect(asked).to_contain_text("+79161234567")
        expect(asked.get_by_role("status")).to_have_text(say("web.call.asked_talking"))
        expect(panel.locator("[data-slot=consultwho]")).to_have_text(re.compile(r"\(billing\)"))
        expect(hand_over).to_be_enabled()
        assert wait_for(lambda: first.evaluate(LEVEL, CALL_AUDIO) > 0.01, timeout=10)  # op2's voice
        shot(first, f"desktop-call-consult-queue-{lang}")
        hand_over.click()
        expect(first.locator("[data-conversation]")).to_have_count(0)
        theirs = second.get_by_role("region", name=say("web.call.title"))
        expect(theirs.get_by_role("status")).to_have_text(say("web.call.talking"))
        expect(asked).to_have_count(0)
        assert wait_for(lambda: second.evaluate(LEVEL, CALL_AUDIO) > 0.01, timeout=10)  # the caller
        transferred = events(voice_live, "alpha", "contact.transferred")
        assert [(e.operator_id, e.data["to_queue"]) for e in transferred] == [("op1", "billing")]
        ended = [e.data["outcome"] for e in events(voice_live, "alpha", "consult.ended")]
        assert ended == ["completed"]
    finally:
        for context in contexts:
            context.close()
