"""The softphone in the operator's desktop, in Chromium with a fake microphone: a call from
SIPp (which echoes back everything it hears) is offered, accepted, and talked on — what the
browser's microphone says crosses WebRTC, the server's bridge and the SIP leg, and comes back
to the browser's speaker; hold silences it (the caller hears music), resume brings it back,
and the operator's end hangs the caller up with a BYE. In Russian and in English."""

# ruff: noqa: F811  (the live server's fixtures are imported by name, then asked for as parameters)
from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.server.conftest import Live
from tests.voice.conftest import SippRun, run_sipp, sipp, speech  # noqa: F401  (the fixtures)
from tests.voice.live import add_line, events, voice_db, voice_live, wait_for  # noqa: F401  (fixtures)
from tests.web.conftest import ARGS, CHROMIUM, shot
from tests.web.test_desktop import EN, RU, go_available, log_in

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WEBRTC = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", "--allow-loopback-in-peer-connection",
          "--disable-features=WebRtcHideLocalIpsWithMdns", "--autoplay-policy=no-user-gesture-required"]

#: The desktop's call <audio> for LEVEL.
CALL_AUDIO = ["[data-slot=callaudio]", None]
#: How loud the page hears its call, over half a second (Web Audio on the <audio>'s stream):
#: ``[selector, host]`` — the <audio>, inside ``host``'s shadow root when given (the widget).
LEVEL = """async ([selector, host]) => {
  const audio = (host ? document.querySelector(host).shadowRoot : document).querySelector(selector);
  if (!audio || !audio.srcObject) return 0;
  const ctx = new AudioContext();
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 2048;
  ctx.createMediaStreamSource(audio.srcObject).connect(analyser);
  const data = new Float32Array(analyser.fftSize);
  let loudest = 0;
  for (let i = 0; i < 10; i++) {
    await new Promise((r) => setTimeout(r, 50));
    analyser.getFloatTimeDomainData(data);
    loudest = Math.max(loudest, Math.sqrt(data.reduce((s, v) => s + v * v, 0) / data.length));
  }
  await ctx.close();
  return loudest;
}"""


@pytest.fixture(scope="module")
def phone_browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"chromium is not installed at {CHROMIUM} (Debian: apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS + WEBRTC)
        try:
            yield browser
        finally:
            browser.close()


def _caller(sipp: str, tmp_path: Path, port: int) -> tuple[threading.Thread, list[SippRun]]:
    """SIPp calling in the background: it echoes what it hears and waits for Dozvon's BYE."""
    result: list[SippRun] = []
    thread = threading.Thread(target=lambda: result.append(asyncio.run(run_sipp(
        sipp, tmp_path, port, scenario="uac_wait_bye.xml", extra=["-rtp_echo"], timeout=60))), daemon=True)
    thread.start()
    return thread, result


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_the_operator_talks_on_a_call_holds_it_and_hangs_up_in_the_browser(
        lang: str, voice_live: Live, sipp: str, phone_browser: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    names = RU if lang == "ru" else EN
    call_words = {"ru": ("Звонок", "Разговор", "Удержание", "На удержании", "Звонок завершён", "Завершить"),
                  "en": ("Call", "On the call", "Hold", "On hold", "The call is over", "End")}[lang]
    panel_name, talking, hold, held, over, end = call_words
    add_line(voice_live)
    context = phone_browser.new_context(locale="ru-RU" if lang == "ru" else "en-US",
                                        viewport={"width": 1280, "height": 800}, permissions=["microphone"])
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        log_in(page, voice_live, "alpha-op1", names)
        go_available(page, names)
        thread, result = _caller(sipp, tmp_path, voice_live.sip_port)  # type: ignore[attr-defined]
        card = page.locator("[data-offer]")
        card.get_by_role("button", name=names["accept"]).click()
        panel = page.get_by_role("region", name=panel_name)
        expect(panel.get_by_role("status")).to_have_text(talking)
        audio = "[data-slot=callaudio]"
        heard = wait_for(lambda: page.evaluate(LEVEL, [audio, None]) > 0.01, timeout=10)
        assert heard  # the fake microphone's beeps went to the caller and came back
        shot(page, f"desktop-call-{lang}")

        panel.get_by_role("button", name=hold).click()
        expect(panel.get_by_role("button", name=hold)).to_have_attribute("aria-pressed", "true")
        expect(panel.get_by_role("status")).to_have_text(re.compile(held))
        page.wait_for_timeout(600)
        assert page.evaluate(LEVEL, [audio, None]) < 0.005  # on hold: the operator hears nothing
        assert events(voice_live, "alpha", "contact.held")
        panel.get_by_role("button", name=hold).click()
        expect(panel.get_by_role("status")).to_have_text(talking)
        assert wait_for(lambda: page.evaluate(LEVEL, [audio, None]) > 0.01, timeout=10)

        page.get_by_role("button", name=end, exact=True).click()
        expect(panel.get_by_role("status")).to_have_text(over)
        thread.join(30)
        assert result and result[0].returncode == 0, result[0].explain() if result else "sipp did not finish"
        ended = events(voice_live, "alpha", "contact.ended")
        assert ended and ended[0].data["by"] == "operator" and ended[0].data["hold_s"] > 0
    finally:
        context.close()


def test_an_attended_transfer_from_the_desktop(voice_live: Live, sipp: str, phone_browser: Any, tmp_path: Path,
                                               speech: dict[str, Path]) -> None:
    """The operator picks "another number" and "talk to them first": the caller waits on hold,
    the operator hears the colleague (SIPp as the trunk, echoing the browser's microphone),
    then hands the caller over; the conversation leaves the desktop."""
    from playwright.sync_api import expect

    add_line(voice_live)
    colleague: list[SippRun] = []
    trunk = threading.Thread(target=lambda: colleague.append(asyncio.run(run_sipp(
        sipp, tmp_path, None, builtin="uas", local_port=voice_live.trunk_port,  # type: ignore[attr-defined]
        extra=["-rtp_echo"], timeout=60))), daemon=True)
    trunk.start()
    caller: list[SippRun] = []
    calling = threading.Thread(target=lambda: caller.append(asyncio.run(run_sipp(
        sipp, tmp_path, voice_live.sip_port, scenario="uac_speech.xml",  # type: ignore[attr-defined]
        replace={"SPEECH_FILE": str(speech["ulaw"]), "CALL_MS": "20000"}, timeout=60))), daemon=True)
    context = phone_browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 800},
                                        permissions=["microphone"])
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        log_in(page, voice_live, "alpha-op1", RU)
        go_available(page, RU)
        calling.start()
        page.locator("[data-offer]").get_by_role("button", name=RU["accept"]).click()
        panel = page.get_by_role("region", name="Звонок")
        expect(panel.get_by_role("status")).to_have_text("Разговор")
        page.get_by_role("button", name="Перевести").click()
        form = page.locator("[data-slot=transferform]")
        form.get_by_label("Кому передать").select_option(label="Другой номер…")
        form.get_by_role("textbox", name="Номер").fill("+74950001122")
        form.get_by_label("Сначала поговорить самому (клиент ждёт на удержании)").check()
        form.get_by_role("button", name="Передать").click()
        expect(panel).to_contain_text("Разговор с +74950001122 — клиент на удержании")
        expect(panel.get_by_role("status")).to_have_text(re.compile("На удержании"))
        assert wait_for(lambda: page.evaluate(LEVEL, CALL_AUDIO) > 0.01, timeout=10)  # the colleague
        shot(page, "desktop-call-consult-ru")
        panel.get_by_role("button", name="Соединить с клиентом").click()
        expect(page.locator("[data-conversation]")).to_have_count(0)  # handed over: off the desktop
        calling.join(40)
        trunk.join(30)
        assert caller and caller[0].returncode == 0, caller[0].explain() if caller else "the caller did not finish"
        assert colleague and colleague[0].returncode == 0, colleague[0].explain() if colleague else "no colleague"
        assert events(voice_live, "alpha", "contact.transferred")[0].data["to_external"] == "+74950001122"
    finally:
        context.close()


def test_an_attended_transfer_to_a_colleague_between_two_desktops(voice_live: Live, sipp: str, phone_browser: Any,
                                                                  tmp_path: Path, speech: dict[str, Path]) -> None:
    """op1 asks op2 about the call from the transfer form; op2's desktop shows the request,
    op2 answers and they talk; op1 hands the call over and it opens on op2's desktop, with
    the caller's voice."""
    import subprocess

    from playwright.sync_api import expect

    add_line(voice_live)
    talk = tmp_path / "long-speech.wav"
    subprocess.run(["sox", *[str(speech["ulaw"])] * 10, str(talk)], check=True)
    caller: list[SippRun] = []
    calling = threading.Thread(target=lambda: caller.append(asyncio.run(run_sipp(
        sipp, tmp_path, voice_live.sip_port, scenario="uac_speech.xml",  # type: ignore[attr-defined]
        replace={"SPEECH_FILE": str(talk), "CALL_MS": "30000"}, timeout=60))), daemon=True)
    contexts = [phone_browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 800},
                                          permissions=["microphone"]) for _ in range(2)]
    first, second = (context.new_page() for context in contexts)
    for page in (first, second):
        page.set_default_timeout(15_000)
    try:
        log_in(first, voice_live, "alpha-op1", RU)
        log_in(second, voice_live, "alpha-op2", RU)
        go_available(first, RU)
        calling.start()
        first.locator("[data-offer]").get_by_role("button", name=RU["accept"]).click()
        panel = first.get_by_role("region", name="Звонок")
        expect(panel.get_by_role("status")).to_have_text("Разговор")
        go_available(second, RU)
        first.get_by_role("button", name="Перевести").click()
        form = first.locator("[data-slot=transferform]")
        form.get_by_label("Кому передать").select_option(value="operator:op2")
        form.get_by_label("Сначала поговорить самому (клиент ждёт на удержании)").check()
        form.get_by_role("button", name="Передать").click()
        asked = second.get_by_role("alertdialog", name="Коллега просит помочь со звонком")
        expect(asked).to_contain_text("+79161234567")
        asked.get_by_role("button", name="Ответить").click()
        expect(asked.get_by_role("status")).to_have_text("Разговор с коллегой")
        assert wait_for(lambda: first.evaluate(LEVEL, CALL_AUDIO) > 0.01, timeout=10)  # op2's voice
        shot(second, "desktop-call-asked-ru")
        panel.get_by_role("button", name="Соединить с клиентом").click()
        expect(first.locator("[data-conversation]")).to_have_count(0)
        theirs = second.get_by_role("region", name="Звонок")
        expect(theirs.get_by_role("status")).to_have_text("Разговор")
        expect(asked).to_have_count(0)
        assert wait_for(lambda: second.evaluate(LEVEL, CALL_AUDIO) > 0.01, timeout=10)  # the caller
        transferred = events(voice_live, "alpha", "contact.transferred")
        assert transferred[0].data["to_operator"] == "op2"
    finally:
        for context in contexts:
            context.close()


def _loudest(page: Any, seconds: float) -> float:
    """The loudest the page hears its call over ``seconds`` (half-second windows): long
    enough to catch the fake microphone's beeps coming back, if they do."""
    return max(float(page.evaluate(LEVEL, CALL_AUDIO)) for _ in range(max(1, round(seconds / 0.5))))


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_mute_stops_the_operators_voice_reaching_the_caller_and_unmute_brings_it_back(
        lang: str, voice_live: Live, sipp: str, phone_browser: Any, tmp_path: Path) -> None:
    """The caller (SIPp) sends back everything it hears, so what the page hears is what
    reached the caller: the fake microphone's beeps, then — muted — nothing while the call
    goes on, then the beeps again. The button says it is pressed, the status says the
    microphone is off; the engine knows nothing of it (no hold)."""
    from playwright.sync_api import expect

    names = RU if lang == "ru" else EN
    panel_name, talking, muted_text, mute = {
        "ru": ("Звонок", "Разговор", "Разговор — ваш микрофон выключен", "Выключить микрофон"),
        "en": ("Call", "On the call", "On the call — your microphone is off", "Mute")}[lang]
    add_line(voice_live)
    context = phone_browser.new_context(locale="ru-RU" if lang == "ru" else "en-US",
                                        viewport={"width": 1280, "height": 800}, permissions=["microphone"])
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        log_in(page, voice_live, "alpha-op1", names)
        go_available(page, names)
        thread, result = _caller(sipp, tmp_path, voice_live.sip_port)  # type: ignore[attr-defined]
        page.locator("[data-offer]").get_by_role("button", name=names["accept"]).click()
        panel = page.get_by_role("region", name=panel_name)
        expect(panel.get_by_role("status")).to_have_text(talking)
        assert wait_for(lambda: page.evaluate(LEVEL, CALL_AUDIO) > 0.01, timeout=10)  # the beeps came back

        button = panel.get_by_role("button", name=mute)
        button.click()
        expect(button).to_have_attribute("aria-pressed", "true")
        expect(panel.get_by_role("status")).to_have_text(muted_text)
        page.wait_for_timeout(600)  # what was already on its way back
        assert _loudest(page, 3.0) < 0.005  # muted: nothing reached the caller to come back

        button.click()
        expect(button).to_have_attribute("aria-pressed", "false")
        expect(panel.get_by_role("status")).to_have_text(talking)
        assert wait_for(lambda: page.evaluate(LEVEL, CALL_AUDIO) > 0.01, timeout=10)  # heard again

        page.get_by_role("button", name=names["end"], exact=True).click()
        thread.join(30)
        assert result and result[0].returncode == 0, result[0].explain() if result else "sipp did not finish"
        assert events(voice_live, "alpha", "contact.held") == []  # mute is not hold
    finally:
        context.close()
