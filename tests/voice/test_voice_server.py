"""Calls through the whole server: SIPp calls a live Dozvon (``--sip-listen``), the call
becomes a contact the engine routes, and what happens to the call is in the event log.

The caller is SIPp (a real SIP peer, with Russian speech from espeak-ng); the operator is
the real HTTP API plus a WebRTC peer (aiortc) standing in for the desktop's softphone —
the desktop itself in Chromium is tested in tests/web/test_softphone.py.
"""

# ruff: noqa: F811  (the live server's fixtures are imported by name, then asked for as parameters)
from __future__ import annotations

import asyncio
import io
import subprocess
import threading
import time
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dozvon.channels import connections
from tests.server.conftest import Live
from tests.voice.conftest import run_sipp
from tests.voice.live import LINE, Softphone, add_line, answer_as_op1, events, voice_db, voice_live, wait_for  # noqa: F401  (fixtures)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_a_caller_who_hangs_up_while_queued_is_an_abandon_with_the_wait_they_had(
        voice_live: Live, sipp: str, speech: dict[str, Path], tmp_path: Path) -> None:
    add_line(voice_live)
    called_at = time.time()
    run = asyncio.run(run_sipp(sipp, tmp_path, voice_live.sip_port,  # type: ignore[attr-defined]
                               scenario="uac_speech.xml", replace={"SPEECH_FILE": str(speech["ulaw"]),
                                                                   "CALL_MS": "6000"}))
    hung_up_at = time.time()  # SIPp exits right after its BYE is answered
    assert run.returncode == 0, run.explain()
    arrived = wait_for(lambda: events(voice_live, "alpha", "contact.arrived"))
    abandoned = wait_for(lambda: events(voice_live, "alpha", "contact.abandoned"))
    assert len(arrived) == 1 and len(abandoned) == 1
    wait = abandoned[0].data["wait_s"]
    queued_at = arrived[0].at_us / 1e6
    assert abs(wait - (abandoned[0].at_us / 1e6 - queued_at)) < 0.05  # from the queue's start to the hang-up
    # The greeting («Здравствуйте.», about a second) was said before the call was queued, and
    # is not in the wait; everything after it until the hang-up is. Measured against the wall
    # clock rather than as fixed figures, because how long the greeting takes to synthesise
    # depends on how busy the machine is.
    assert queued_at - called_at > 0.7
    assert abs(wait - (hung_up_at - queued_at)) < 0.5
    closed = wait_for(lambda: events(voice_live, "alpha", "contact.closed"))
    assert closed[0].data["outcome"] == "abandoned"


def test_the_operator_who_answers_hears_the_caller_and_the_talk_is_recorded(
        voice_live: Live, sipp: str, speech: dict[str, Path], tmp_path: Path) -> None:
    add_line(voice_live, record=True, consent_prompt="Запись.")
    softphone = Softphone()

    async def scenario() -> tuple[Any, str]:
        call = run_sipp(sipp, tmp_path, voice_live.sip_port,  # type: ignore[attr-defined]
                        scenario="uac_speech.xml", replace={"SPEECH_FILE": str(speech["ulaw"]), "CALL_MS": "9000"})
        caller, _client, conversation = await answer_as_op1(voice_live, call, softphone, 3.0)
        heard = softphone.loudest()
        run = await caller
        await softphone.close()
        assert run.returncode == 0, run.explain()
        return heard, conversation

    heard, conversation = asyncio.run(scenario())
    assert heard > 500  # the caller's Russian speech reached the operator
    ended = wait_for(lambda: events(voice_live, "alpha", "contact.ended"))
    assert ended[0].data["by"] == "customer"  # the caller hung up first
    answered = events(voice_live, "alpha", "contact.answered")
    assert answered and answered[0].operator_id == "op1"
    recordings = wait_for(lambda: voice_live.client("alpha-sup").get(
        f"/api/v1/projects/alpha/conversations/{conversation}/recordings").json()["items"])
    assert recordings[0]["kind"] == "call" and recordings[0]["duration_s"] > 2
    sound = voice_live.client("alpha-sup").get(recordings[0]["url"])
    assert sound.status_code == 200 and sound.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(sound.content)) as w:
        assert w.getnchannels() == 2 and w.getframerate() == 8000
        both = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, 2).astype(float)
    caller_level, operator_level = np.sqrt((both ** 2).mean(axis=0))
    assert caller_level > 300 and operator_level > 300  # both sides are in it, each on its own channel
    # A supervisor evaluating the call hears it beside the transcript and the scorecard.
    page = voice_live.client("alpha-sup").get(f"/quality/conversations/{conversation}?project=alpha")
    assert page.status_code == 200 and f'src="{recordings[0]["url"]}"' in page.text


def test_what_the_operator_says_reaches_the_caller(voice_live: Live, sipp: str, tmp_path: Path) -> None:
    """SIPp echoes what it hears (-rtp_echo): the operator's tone, sent over WebRTC, bridged
    onto the SIP leg, comes back to the operator only if the caller really got it."""
    add_line(voice_live)
    softphone = Softphone()

    async def scenario() -> float:
        call = run_sipp(sipp, tmp_path, voice_live.sip_port,  # type: ignore[attr-defined]
                        scenario="uac_echo.xml", replace={"CALL_MS": "8000"}, extra=["-rtp_echo"])
        caller, _client, _conversation = await answer_as_op1(voice_live, call, softphone, 3.0)
        heard = softphone.loudest()
        run = await caller
        await softphone.close()
        assert run.returncode == 0, run.explain()
        return heard

    assert asyncio.run(scenario()) > 500


def test_a_digit_pressed_in_the_menu_chooses_the_queue(voice_live: Live, sipp: str, tmp_path: Path) -> None:
    from dozvon.routing.model import QueueConfig

    voice_live.hub.service("alpha").run(lambda e: e.add_queue(QueueConfig(name="support", strategy="round_robin")))
    add_line(voice_live, menu_prompt="Продажи — один. Поддержка — два.", menu=["1 sales Продажи", "2 support Поддержка"],
             menu_timeout_s=5)
    run = asyncio.run(run_sipp(sipp, tmp_path, voice_live.sip_port,  # type: ignore[attr-defined]
                               scenario="uac_menu.xml", replace={"WAIT_MS": "1500", "DIGIT": "2", "CALL_MS": "2500"}))
    assert run.returncode == 0, run.explain()
    arrived = wait_for(lambda: events(voice_live, "alpha", "contact.arrived"))
    assert arrived[0].queue == "support"
    assert wait_for(lambda: events(voice_live, "alpha", "contact.abandoned"))[0].queue == "support"


def test_no_digit_leaves_the_call_in_the_lines_queue(voice_live: Live, sipp: str, speech: dict[str, Path],
                                                     tmp_path: Path) -> None:
    add_line(voice_live, menu_prompt="Поддержка — два.", menu=["2 support Поддержка"], menu_timeout_s=1)
    run = asyncio.run(run_sipp(sipp, tmp_path, voice_live.sip_port,  # type: ignore[attr-defined]
                               scenario="uac_speech.xml", replace={"SPEECH_FILE": str(speech["ulaw"]),
                                                                   "CALL_MS": "6000"}))
    assert run.returncode == 0, run.explain()
    assert wait_for(lambda: events(voice_live, "alpha", "contact.arrived"))[0].queue == "sales"


def test_a_call_transferred_to_another_operator_is_bridged_to_their_softphone(
        voice_live: Live, sipp: str, speech: dict[str, Path], tmp_path: Path) -> None:
    add_line(voice_live)
    first, second = Softphone(), Softphone()
    talk = tmp_path / "long-speech.wav"  # the caller talks on through the transfer
    subprocess.run(["sox", *[str(speech["ulaw"])] * 6, str(talk)], check=True)

    async def scenario() -> tuple[float, float]:
        call = run_sipp(sipp, tmp_path, voice_live.sip_port,  # type: ignore[attr-defined]
                        scenario="uac_speech.xml", replace={"SPEECH_FILE": str(talk), "CALL_MS": "14000"})
        caller, op1, conversation = await answer_as_op1(voice_live, call, first, 2.0)
        heard_by_first = first.loudest()
        op2 = voice_live.client("alpha-op2")
        ready = await asyncio.to_thread(op2.post, "/api/v1/projects/alpha/operators/op2/state",
                                        json={"state": "available"})
        assert ready.status_code == 200, ready.text
        moved = await asyncio.to_thread(op1.post, f"/api/v1/projects/alpha/conversations/{conversation}/transfer",
                                        json={"to_operator": "op2"})
        assert moved.status_code == 200, moved.text
        offered = await asyncio.to_thread(wait_for, lambda: [e for e in events(voice_live, "alpha", "offer.created")
                                                             if e.operator_id == "op2"])
        accepted = await asyncio.to_thread(op2.post, f"/api/v1/projects/alpha/offers/{offered[0].data['offer_id']}"
                                           "/accept")
        assert accepted.status_code == 200, accepted.text
        refused = await asyncio.to_thread(op1.post, f"/api/v1/projects/alpha/voice/calls/{conversation}/softphone",
                                          json={"sdp": "v=0 not the first operator's any more"})
        assert refused.status_code == 403  # only the operator the call is connected to may join it
        await second.join(op2, "alpha", conversation)
        await asyncio.sleep(3.0)
        heard_by_second = second.loudest()
        run = await caller
        await first.close()
        await second.close()
        assert run.returncode == 0, run.explain()
        return heard_by_first, heard_by_second

    heard_by_first, heard_by_second = asyncio.run(scenario())
    assert heard_by_first > 500 and heard_by_second > 500
    transferred = events(voice_live, "alpha", "contact.transferred")
    assert transferred[0].data["to_operator"] == "op2"
    answered = events(voice_live, "alpha", "contact.answered")
    assert [e.operator_id for e in answered] == ["op1", "op2"]


def test_out_of_hours_the_caller_hears_why_and_leaves_a_voice_message(voice_live: Live, sipp: str,
                                                                       tmp_path: Path) -> None:
    """SIPp echoes what it hears, so the voice message has sound; Dozvon hangs up after it."""
    from dozvon.routing.calendar import BusinessHours
    from dozvon.routing.model import Action, QueueConfig

    closed_all_week = BusinessHours("UTC", {})
    voice_live.hub.service("alpha").run(lambda e: e.add_queue(QueueConfig(
        "night", hours=closed_all_week, on_closed=Action("callback", text="Мы закрыты."))))
    with voice_live.hub.sessions.begin() as session:
        connections.connect(session, "test", "alpha", kind="phone", name="night-line", queue="night",
                            settings={**LINE, "voicemail_max_s": 5}, queues=["night"])
    run = asyncio.run(run_sipp(sipp, tmp_path, voice_live.sip_port,  # type: ignore[attr-defined]
                               scenario="uac_wait_bye.xml", extra=["-rtp_echo"], timeout=40))
    assert run.returncode == 0, run.explain()  # Dozvon hung up after the message
    closed = wait_for(lambda: events(voice_live, "alpha", "contact.closed"))
    assert closed[0].data["outcome"] == "callback"
    conversation = closed[0].contact_id
    recordings = wait_for(lambda: voice_live.client("alpha-sup").get(
        f"/api/v1/projects/alpha/conversations/{conversation}/recordings").json()["items"])
    assert recordings[0]["kind"] == "voicemail" and 3 < recordings[0]["duration_s"] <= 5.5
    tasks = voice_live.client("alpha-sup").get("/api/v1/projects/alpha/callbacks").json()["items"]
    assert [t["conversation_id"] for t in tasks] == [conversation]


def test_a_caller_who_hung_up_is_called_back_when_an_operator_is_free_and_counts_as_recovered(
        voice_live: Live, sipp: str, speech: dict[str, Path], tmp_path: Path) -> None:
    """The caller abandons; when op1 becomes available, Dozvon dials the customer through the
    trunk (SIPp as the trunk, echoing), and only then offers the call to op1, who talks to them."""
    from dozvon.routing.model import QueueConfig

    voice_live.hub.service("alpha").run(lambda e: e.add_queue(QueueConfig(
        name="sales", strategy="round_robin", offer_timeout_s=30, wrap_up_s=60, callback_on_abandon=True)))
    add_line(voice_live, auto_callback=True)
    customer: list[Any] = []
    trunk = threading.Thread(target=lambda: customer.append(asyncio.run(run_sipp(
        sipp, tmp_path, None, builtin="uas", local_port=voice_live.trunk_port,  # type: ignore[attr-defined]
        extra=["-rtp_echo"], timeout=60))), daemon=True)
    trunk.start()
    first = asyncio.run(run_sipp(sipp, tmp_path, voice_live.sip_port,  # type: ignore[attr-defined]
                                 scenario="uac_speech.xml", replace={"SPEECH_FILE": str(speech["ulaw"]),
                                                                     "CALL_MS": "3000"}))
    assert first.returncode == 0, first.explain()
    wait_for(lambda: events(voice_live, "alpha", "callback.created"))
    softphone = Softphone()

    async def called_back() -> float:
        client = voice_live.client("alpha-op1")
        ready = await asyncio.to_thread(client.post, "/api/v1/projects/alpha/operators/op1/state",
                                        json={"state": "available"})
        assert ready.status_code == 200, ready.text
        offered = await asyncio.to_thread(wait_for, lambda: events(voice_live, "alpha", "offer.created"), 30)
        accepted = await asyncio.to_thread(client.post, f"/api/v1/projects/alpha/offers/{offered[0].data['offer_id']}"
                                           "/accept")
        assert accepted.status_code == 200, accepted.text
        await softphone.join(client, "alpha", offered[0].contact_id)
        await asyncio.sleep(3.0)
        heard = softphone.loudest()
        ended = await asyncio.to_thread(client.post, f"/api/v1/projects/alpha/conversations/{offered[0].contact_id}"
                                        "/end")
        assert ended.status_code == 200, ended.text
        await softphone.close()
        return heard

    assert asyncio.run(called_back()) > 500  # op1's voice went to the customer and came back
    trunk.join(30)
    assert customer and customer[0].returncode == 0, customer[0].explain() if customer else "no callback came"
    arrived = events(voice_live, "alpha", "contact.arrived")
    assert len(arrived) == 2 and arrived[1].data.get("source") == "callback"
    assert arrived[0].customer_id == arrived[1].customer_id  # the same customer, reached
    sup = voice_live.client("alpha-sup")
    tasks = sup.get("/api/v1/projects/alpha/callbacks", params={"status": "done"}).json()["items"]
    assert [(t["conversation_id"], t["done_by"]) for t in tasks] == [(arrived[0].contact_id, "auto-callback")]
    report = sup.get("/api/v1/projects/alpha/reports/kpi", params={"period": "all", "by": "channel"}).json()
    voice = next(row for row in report["rows"] if row.get("channel") == "voice")
    assert voice["abandoned"] == 1 and voice["recovered"] == 1.0


def test_thirty_calls_ten_at_a_time_through_the_server_are_each_a_contact_and_none_is_lost(
        voice_live: Live, sipp: str, speech: dict[str, Path], tmp_path: Path) -> None:
    """A bounded load on loopback: every call is answered, greeted, stored and routed, and
    its hang-up closes its contact — thirty calls, thirty contacts, each closed once."""
    add_line(voice_live)
    run = asyncio.run(run_sipp(sipp, tmp_path, voice_live.sip_port,  # type: ignore[attr-defined]
                               scenario="uac_speech.xml", calls=30, extra=["-l", "10", "-r", "5"], timeout=120,
                               replace={"SPEECH_FILE": str(speech["ulaw"]), "CALL_MS": "3000"}))
    assert run.returncode == 0, run.explain()
    assert run.counter("Successful call") == 30 and run.counter("Failed call") == 0, run.explain()
    closed = wait_for(lambda: len(events(voice_live, "alpha", "contact.closed")) == 30 or None, timeout=30)
    assert closed
    arrived = events(voice_live, "alpha", "contact.arrived")
    assert len({e.contact_id for e in arrived}) == 30
    outcomes = [e.data["outcome"] for e in events(voice_live, "alpha", "contact.closed")]
    assert outcomes == ["abandoned"] * 30
    assert not voice_live.app.state.voice.calls  # every call's session is gone


def test_an_attended_transfer_talks_to_the_number_first_then_hands_the_caller_over(
        voice_live: Live, sipp: str, speech: dict[str, Path], tmp_path: Path) -> None:
    """op1 holds the caller and calls a colleague outside (SIPp as the trunk, echoing): op1
    hears the colleague; then the caller is handed over on that same call, op1 is free, and
    the caller's hang-up ends the colleague's call too."""
    add_line(voice_live)
    talk = tmp_path / "long-speech.wav"
    subprocess.run(["sox", *[str(speech["ulaw"])] * 6, str(talk)], check=True)
    colleague: list[Any] = []
    trunk = threading.Thread(target=lambda: colleague.append(asyncio.run(run_sipp(
        sipp, tmp_path, None, builtin="uas", local_port=voice_live.trunk_port,  # type: ignore[attr-defined]
        extra=["-rtp_echo"], calls=2, timeout=60))), daemon=True)
    trunk.start()
    softphone = Softphone()

    async def scenario() -> tuple[float, float]:
        call = run_sipp(sipp, tmp_path, voice_live.sip_port,  # type: ignore[attr-defined]
                        scenario="uac_speech.xml", replace={"SPEECH_FILE": str(talk), "CALL_MS": "18000"})
        caller, op1, conversation = await answer_as_op1(voice_live, call, softphone, 2.0)
        base = f"/api/v1/projects/alpha/voice/calls/{conversation}/consult"
        bad = await asyncio.to_thread(op1.post, base, json={"number": "+7 916 not a number"})
        assert bad.status_code == 422
        # First thoughts: call the colleague, then go back to the caller instead.
        assert (await asyncio.to_thread(op1.post, base, json={"number": "+74950001122"})).status_code == 200
        back = await asyncio.to_thread(op1.post, base + "/cancel")
        assert back.status_code == 200, back.text
        softphone.frames.clear()
        await asyncio.sleep(2.0)
        heard_caller_again = softphone.loudest()
        # Then for real: talk to the colleague and hand the caller over.
        consulting = await asyncio.to_thread(op1.post, base, json={"number": "+74950001122"})
        assert consulting.status_code == 200, consulting.text
        softphone.frames.clear()
        await asyncio.sleep(2.5)
        heard_colleague = softphone.loudest()  # op1's own tone, echoed by the colleague's phone
        done = await asyncio.to_thread(op1.post, base + "/complete")
        assert done.status_code == 200, done.text
        assert done.json() == {"transferred_to": "+74950001122"}
        run = await caller
        await softphone.close()
        assert run.returncode == 0, run.explain()
        return heard_colleague, heard_caller_again

    heard_colleague, heard_caller_again = asyncio.run(scenario())
    assert heard_colleague > 500 and heard_caller_again > 500
    trunk.join(30)
    assert colleague and colleague[0].returncode == 0, colleague[0].explain() if colleague else "no consultation"
    # Two calls to the colleague (the one given up, the one handed over): reused, never dialled again.
    assert colleague[0].counter("Successful call") == 2, colleague[0].explain()
    held = events(voice_live, "alpha", "contact.held")
    assert len(held) == 2 and len(events(voice_live, "alpha", "contact.resumed")) == 1
    transferred = events(voice_live, "alpha", "contact.transferred")
    assert held and transferred[0].data["to_external"] == "+74950001122"
    closed = events(voice_live, "alpha", "contact.closed")
    assert closed[0].data["outcome"] == "transferred_external"


def test_a_line_plays_its_own_recorded_menu(voice_live: Live, sipp: str, speech: dict[str, Path],
                                             tmp_path: Path) -> None:
    """An administrator uploads a WAV for the line's menu (no menu text at all): calls hear
    it and choose from it; a bad file is refused saying why, and nothing is stored."""
    from dozvon.routing.model import QueueConfig

    voice_live.hub.service("alpha").run(lambda e: e.add_queue(QueueConfig(name="support", strategy="round_robin")))
    add_line(voice_live, menu=["1 sales Продажи", "2 support Поддержка"], menu_timeout_s=5)
    admin = voice_live.client("alpha-admin")
    prompts = "/api/v1/projects/alpha/voice/lines/main/prompts"
    refused = admin.put(f"{prompts}/menu", content=speech["ulaw"].read_bytes(),  # 8-bit μ-law: not 16-bit PCM
                        headers={"Content-Type": "audio/wav", "Accept-Language": "ru"})
    assert refused.status_code == 422 and "16-битный" in refused.json()["error"]["message"]
    assert admin.get(prompts).json()["items"] == []
    menu = tmp_path / "menu.wav"  # a person's recording: 16-bit, 22 kHz, as a studio sends it
    subprocess.run(["sox", str(speech["ulaw"]), "-r", "22050", "-e", "signed", "-b", "16", str(menu)], check=True)
    stored = admin.put(f"{prompts}/menu", content=menu.read_bytes(), headers={"Content-Type": "audio/wav"})
    assert stored.status_code == 200, stored.text
    listed = admin.get(prompts).json()["items"]
    assert [item["kind"] for item in listed] == ["menu"] and listed[0]["duration_s"] == stored.json()["duration_s"]
    played = admin.get(listed[0]["url"])
    assert played.status_code == 200 and played.headers["content-type"] == "audio/wav"
    assert admin.put(f"{prompts}/jingle", content=menu.read_bytes()).status_code == 422
    assert voice_live.client("alpha-op1").get(prompts).status_code == 403  # the line's settings are admins'
    run = asyncio.run(run_sipp(sipp, tmp_path, voice_live.sip_port,  # type: ignore[attr-defined]
                               scenario="uac_menu.xml", replace={"WAIT_MS": "2500", "DIGIT": "2", "CALL_MS": "2000"}))
    assert run.returncode == 0, run.explain()
    assert wait_for(lambda: events(voice_live, "alpha", "contact.arrived"))[0].queue == "support"
    assert admin.delete(f"{prompts}/menu").json()["items"] == []


def test_an_attended_transfer_to_a_colleague_at_the_desk(voice_live: Live, sipp: str, speech: dict[str, Path],
                                                          tmp_path: Path) -> None:
    """op1 asks op2 about the call: the caller waits with music, op1 and op2 talk softphone to
    softphone, then op1 hands the call over — op2's softphone is the caller's at once (the
    transfer's offer accepted for them), and op1 is free."""
    add_line(voice_live)
    talk = tmp_path / "long-speech.wav"
    subprocess.run(["sox", *[str(speech["ulaw"])] * 8, str(talk)], check=True)
    first, second = Softphone(), Softphone()

    async def scenario() -> tuple[float, float, float]:
        call = run_sipp(sipp, tmp_path, voice_live.sip_port,  # type: ignore[attr-defined]
                        scenario="uac_speech.xml", replace={"SPEECH_FILE": str(talk), "CALL_MS": "18000"})
        caller, op1, conversation = await answer_as_op1(voice_live, call, first, 1.0)
        op2 = voice_live.client("alpha-op2")
        ready = await asyncio.to_thread(op2.post, "/api/v1/projects/alpha/operators/op2/state",
                                        json={"state": "available"})
        assert ready.status_code == 200, ready.text
        base = f"/api/v1/projects/alpha/voice/calls/{conversation}/consult"
        both = await asyncio.to_thread(op1.post, base, json={"number": "+7495", "operator": "op2"})
        assert both.status_code == 422
        asked = await asyncio.to_thread(op1.post, base, json={"operator": "op2"})
        assert asked.status_code == 200, asked.text
        stranger = await asyncio.to_thread(voice_live.client("alpha-op1").post, base + "/join",
                                           json={"sdp": "v=0 only the colleague asked may answer"})
        assert stranger.status_code == 403
        await second.join(op2, "alpha", conversation, path="consult/join")
        first.frames.clear()
        await asyncio.sleep(2.5)
        op1_heard_op2, op2_heard_op1 = first.loudest(), second.loudest()
        done = await asyncio.to_thread(op1.post, base + "/complete")
        assert done.status_code == 200 and done.json() == {"transferred_to": "op2"}, done.text
        await asyncio.to_thread(wait_for, lambda: [e for e in events(voice_live, "alpha", "contact.answered")
                                                   if e.operator_id == "op2"])
        second.frames.clear()
        await asyncio.sleep(2.5)
        op2_heard_caller = second.loudest()
        run = await caller
        await first.close()
        await second.close()
        assert run.returncode == 0, run.explain()
        return op1_heard_op2, op2_heard_op1, op2_heard_caller

    op1_heard_op2, op2_heard_op1, op2_heard_caller = asyncio.run(scenario())
    assert op1_heard_op2 > 500 and op2_heard_op1 > 500  # the two operators talked
    assert op2_heard_caller > 500  # then the caller was op2's
    transferred = events(voice_live, "alpha", "contact.transferred")
    assert transferred[0].data["to_operator"] == "op2" and transferred[0].operator_id == "op1"
    ended = wait_for(lambda: events(voice_live, "alpha", "contact.ended"))
    assert ended[0].operator_id == "op2" and ended[0].data["by"] == "customer"


def test_a_softphone_that_joins_before_the_call_is_attached_waits_for_it(
        voice_live: Live, sipp: str, speech: dict[str, Path], tmp_path: Path) -> None:
    """The engine offers a call as soon as its contact is committed, a moment before the
    voice loop attaches the call's session. On a loaded server an operator who accepted at
    once was told "no call" (404) — bench_voice.py saw it in up to 18 of 20 calls. Here the
    session is held back after the accept, exactly that interleaving: the join waits for it."""
    add_line(voice_live)
    voice = voice_live.app.state.voice
    softphone = Softphone()

    async def scenario() -> float:
        client = voice_live.client("alpha-op1")
        ready = await asyncio.to_thread(client.post, "/api/v1/projects/alpha/operators/op1/state",
                                        json={"state": "available"})
        assert ready.status_code == 200, ready.text
        caller = asyncio.ensure_future(run_sipp(sipp, tmp_path, voice_live.sip_port,  # type: ignore[attr-defined]
                                                scenario="uac_speech.xml",
                                                replace={"SPEECH_FILE": str(speech["ulaw"]), "CALL_MS": "8000"}))
        offered = await asyncio.to_thread(wait_for, lambda: events(voice_live, "alpha", "offer.created"))
        conversation = offered[0].contact_id
        session = await asyncio.to_thread(wait_for, lambda: voice.sessions.get(conversation))
        del voice.sessions[conversation]  # as if the voice loop had not attached it yet
        accepted = await asyncio.to_thread(
            client.post, f"/api/v1/projects/alpha/offers/{offered[0].data['offer_id']}/accept")
        assert accepted.status_code == 200, accepted.text

        async def attach() -> None:  # on the voice loop, as the call's own story does it
            voice.attach_session(session)  # with the decisions that came meanwhile

        async def attach_later() -> None:
            await asyncio.sleep(0.7)
            await asyncio.to_thread(voice.call, attach())

        attaching = asyncio.ensure_future(attach_later())
        await softphone.join(client, "alpha", conversation)  # asserts a 200, not voice.no_call
        await attaching
        await asyncio.sleep(2.5)
        heard = softphone.loudest()
        run = await caller
        await softphone.close()
        assert run.returncode == 0, run.explain()
        return heard

    assert asyncio.run(scenario()) > 500  # joined the caller, whose speech is heard
