"""An attended transfer of a call to a queue through the live server (issue 12), on SQLite
and PostgreSQL: op1 talks to a caller (SIPp speaking Russian), asks the queue ``billing``
for a colleague and talks to whoever answers there before handing the caller over.

The consultation is routed by the engine like any contact of ``billing``: the queue's
skill keeps op1 (and anyone without it) out, its ring timeout runs out at the first
operator (op3, who never answers: a RONA) and the offer moves to op2. op2 accepts and
their softphone joins the consultation: op1 and op2 hear each other while the caller
waits on hold. op1 completes: the server lets op1's softphone go, op2's is bridged to the
caller and hears their speech. Before that, a consultation called off while nobody was
free brings op1 back to the caller at once. The events and the KPI report (SQL) count one
inbound contact, one answer in each queue, one transfer, no abandon.

The operators are the HTTP API plus aiortc softphones (tests/voice/live.py) — the
desktop's own buttons are tested in Chromium in tests/web/test_softphone.py.
"""

# ruff: noqa: F811  (the live server's fixtures are imported by name, then asked for as parameters)
from __future__ import annotations

import asyncio
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from tests.server.conftest import Live
from tests.voice.conftest import run_sipp
from tests.voice.live import Softphone, add_line, answer_as_op1, events, voice_db, voice_live, wait_for  # noqa: F401

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_an_attended_transfer_to_a_queue_is_routed_there_and_hands_the_caller_to_who_answered(
        voice_live: Live, sipp: str, speech: dict[str, Path], tmp_path: Path) -> None:
    from dozvon.routing.model import OperatorConfig, QueueConfig

    svc = voice_live.hub.service("alpha")
    svc.run(lambda e: e.add_queue(QueueConfig(name="billing", strategy="longest_idle", offer_timeout_s=3,
                                              required_skills={"billing": 1})))
    for op, skills in (("op2", {"billing": 2}), ("op3", {"billing": 1}), ("op4", {})):
        svc.run(lambda e, o=op, s=skills: e.add_operator(OperatorConfig.from_dict(
            {"id": o, "queues": ["billing"], "skills": s, "capacity": {"voice": 1, "chat": 3}})))
    add_line(voice_live)
    talk = tmp_path / "long-speech.wav"  # the caller talks on through the consultation
    subprocess.run(["sox", *[str(speech["ulaw"])] * 9, str(talk)], check=True)
    first, second = Softphone(), Softphone()

    async def scenario() -> dict[str, float | str | None]:
        call = run_sipp(sipp, tmp_path, voice_live.sip_port,  # type: ignore[attr-defined]
                        scenario="uac_speech.xml", replace={"SPEECH_FILE": str(talk), "CALL_MS": "28000"},
                        timeout=60)
        caller, op1, conversation = await answer_as_op1(voice_live, call, first, 2.0)
        found: dict[str, float | str | None] = {"talking": first.loudest()}
        base = f"/api/v1/projects/alpha/voice/calls/{conversation}/consult"
        post = op1.post
        # Bad requests: said why, nothing changed.
        both = await asyncio.to_thread(post, base, json={"queue": "billing", "number": "+74950001122"})
        assert both.status_code == 422, both.text
        unknown = await asyncio.to_thread(post, base, json={"queue": "nowhere"}, headers={"Accept-Language": "ru"})
        assert unknown.status_code == 404 and "nowhere" in unknown.json()["error"]["message"], unknown.text
        same = await asyncio.to_thread(post, base, json={"queue": "sales"})
        assert same.status_code == 409, same.text
        assert not events(voice_live, "alpha", "contact.held")

        # First thoughts: nobody in billing is free; op1 gives up and is back with the caller.
        waiting = await asyncio.to_thread(post, base, json={"queue": "billing"})
        assert waiting.status_code == 200 and waiting.json() == {"consulting": "billing"}, waiting.text
        await asyncio.sleep(1.0)
        back = await asyncio.to_thread(post, base + "/cancel")
        assert back.status_code == 200, back.text
        first.frames.clear()
        await asyncio.sleep(2.0)
        found["caller_again"] = first.loudest()

        # Then for real: op3 (who will not answer) and op2 are free; op4 lacks the skill.
        svc.run(lambda e: e.set_state("op4", "available"))
        svc.run(lambda e: e.set_state("op3", "available"))
        op2 = voice_live.client("alpha-op2")
        ready = await asyncio.to_thread(op2.post, "/api/v1/projects/alpha/operators/op2/state",
                                        json={"state": "available"})
        assert ready.status_code == 200, ready.text
        consulting = await asyncio.to_thread(post, base, json={"queue": "billing"})
        assert consulting.status_code == 200, consulting.text
        offers = await asyncio.to_thread(wait_for, lambda: [e for e in events(voice_live, "alpha", "offer.created")
                                                            if e.operator_id == "op2"], 15.0)
        assert offers[0].queue == "billing" and offers[0].data["consult_by"] == "op1"
        busy = await asyncio.to_thread(op1.post, f"/api/v1/projects/alpha/offers/{offers[0].data['offer_id']}/accept")
        assert busy.status_code in (403, 409), busy.text  # op1 cannot answer op2's offer
        accepted = await asyncio.to_thread(op2.post, f"/api/v1/projects/alpha/offers/{offers[0].data['offer_id']}"
                                           "/accept")
        assert accepted.status_code == 200, accepted.text
        await second.join(op2, "alpha", conversation, path="consult/join")
        first.frames.clear()
        await asyncio.sleep(2.5)
        found["op1_hears_op2"], found["op2_hears_op1"] = first.loudest(), second.loudest()
        not_yet = await asyncio.to_thread(op2.post, base + "/complete")
        assert not_yet.status_code in (403, 409), not_yet.text  # only op1 hands the caller over
        done = await asyncio.to_thread(post, base + "/complete")
        assert done.status_code == 200 and done.json() == {"transferred_to": "billing"}, done.text
        await asyncio.to_thread(wait_for, lambda: first.pc.connectionState in ("closed", "failed") or None)
        found["first_state"] = first.pc.connectionState
        second.frames.clear()
        await asyncio.sleep(3.0)
        found["op2_hears_caller"] = second.loudest()
        run = await caller
        await first.close()
        await second.close()
        assert run.returncode == 0, run.explain()
        found["conversation"] = conversation
        return found

    found = asyncio.run(scenario())
    assert found["talking"] > 500 and found["caller_again"] > 500  # type: ignore[operator]
    assert found["op1_hears_op2"] > 500 and found["op2_hears_op1"] > 500  # type: ignore[operator]
    assert found["op2_hears_caller"] > 500  # type: ignore[operator]
    assert found["first_state"] in ("closed", "failed")
    conversation = found["conversation"]

    ended = wait_for(lambda: events(voice_live, "alpha", "contact.ended"))
    assert (ended[0].operator_id, ended[0].data["by"]) == ("op2", "customer")
    wait_for(lambda: events(voice_live, "alpha", "contact.closed"))
    log = events(voice_live, "alpha")
    assert {e.contact_id for e in log if e.contact_id is not None} == {conversation}
    mine = [e for e in log if e.contact_id == conversation]
    outcomes = [e.data["outcome"] for e in mine if e.type == "consult.ended"]
    assert outcomes == ["cancelled", "completed"]
    # Routed by the engine: op3 rang first (longest idle) and ran out; op4 (no skill) and
    # op1 (introducing) never rang.
    rang = [(e.operator_id, e.type) for e in mine if e.type in ("offer.created", "offer.timed_out")][1:]
    assert rang == [("op3", "offer.created"), ("op3", "offer.timed_out"), ("op2", "offer.created")]
    assert [(e.operator_id, e.queue, e.data["first"]) for e in mine if e.type == "contact.answered"] == [
        ("op1", "sales", True), ("op2", "billing", False)]
    transferred = [e for e in mine if e.type == "contact.transferred"]
    assert [(e.operator_id, e.queue, e.data["to_queue"]) for e in transferred] == [("op1", "sales", "billing")]
    counts = Counter(e.type for e in mine)
    assert counts["contact.arrived"] == 1 and counts["contact.abandoned"] == 0 and counts["contact.closed"] == 1
    assert counts["contact.held"] == 2 and counts["contact.resumed"] == 1  # the cancelled one's hold ended
    closed = next(e for e in mine if e.type == "contact.closed")
    assert closed.data["answered"] and closed.data["hold_s"] > 2  # the consultations were hold time

    report = voice_live.client("alpha-sup").get("/api/v1/projects/alpha/reports/kpi",
                                                 params={"period": "all", "by": "queue"})
    assert report.status_code == 200, report.text
    rows = {row["queue"]: row for row in report.json()["rows"]}
    assert rows["sales"]["inbound"] == 1 and rows["sales"]["offered"] == 1 and rows["sales"]["answered"] == 1
    assert rows["sales"]["abandoned"] == 0
    assert rows.get("billing", {}).get("inbound", 0) == 0 and rows.get("billing", {}).get("offered", 0) == 0


def test_the_colleague_declining_returns_the_operator_and_the_caller_hanging_up_frees_both(
        voice_live: Live, sipp: str, speech: dict[str, Path], tmp_path: Path) -> None:
    """op2 answers the consultation; op1's page reloads meanwhile (a new softphone joins the
    call): it takes the old one's place in the consultation, hearing op2, the caller still
    on hold. op2 declines (their desktop's button): op1 is back with the caller, who is heard
    again on the new softphone. op1 asks again, op2 answers again, and the caller
    hangs up while the two talk: the consultation ends ``customer_left``, the conversation
    ends by the customer with op1, both operators are free, and nothing is an abandon."""
    from dozvon.routing.model import OperatorConfig, QueueConfig

    svc = voice_live.hub.service("alpha")
    svc.run(lambda e: e.add_queue(QueueConfig(name="billing", offer_timeout_s=30)))
    svc.run(lambda e: e.add_operator(OperatorConfig.from_dict(
        {"id": "op2", "queues": ["billing"], "capacity": {"voice": 1, "chat": 3}})))
    add_line(voice_live)
    talk = tmp_path / "long-speech.wav"
    subprocess.run(["sox", *[str(speech["ulaw"])] * 5, str(talk)], check=True)
    first, second, third, again = Softphone(), Softphone(), Softphone(), Softphone()

    async def consult_and_answer(op1: object, op2: object, base: str, conversation: str, phone: Softphone) -> None:
        asked = await asyncio.to_thread(op1.post, base, json={"queue": "billing"})  # type: ignore[attr-defined]
        assert asked.status_code == 200, asked.text
        seen = len(events(voice_live, "alpha", "consult.answered"))
        offer = await asyncio.to_thread(wait_for, lambda: [e for e in events(voice_live, "alpha", "offer.created")
                                                           if e.operator_id == "op2"][seen:])
        accepted = await asyncio.to_thread(op2.post,  # type: ignore[attr-defined]
                                           f"/api/v1/projects/alpha/offers/{offer[0].data['offer_id']}/accept")
        assert accepted.status_code == 200, accepted.text
        await phone.join(op2, "alpha", conversation, path="consult/join")
        await asyncio.sleep(2.0)

    async def scenario() -> dict[str, float]:
        call = run_sipp(sipp, tmp_path, voice_live.sip_port,  # type: ignore[attr-defined]
                        scenario="uac_speech.xml", replace={"SPEECH_FILE": str(talk), "CALL_MS": "20000"},
                        timeout=45)
        caller, op1, conversation = await answer_as_op1(voice_live, call, first, 1.5)
        op2 = voice_live.client("alpha-op2")
        ready = await asyncio.to_thread(op2.post, "/api/v1/projects/alpha/operators/op2/state",
                                        json={"state": "available"})
        assert ready.status_code == 200, ready.text
        base = f"/api/v1/projects/alpha/voice/calls/{conversation}/consult"
        await consult_and_answer(op1, op2, base, conversation, second)
        heard = {"op2_hears_op1": second.loudest()}
        await again.join(op1, "alpha", conversation)  # op1's page reloaded: a new softphone
        await asyncio.to_thread(wait_for, lambda: first.pc.connectionState in ("closed", "failed") or None)
        second.frames.clear()
        await asyncio.sleep(2.0)
        heard["op1_rejoined_hears_op2"], heard["op2_hears_op1_rejoined"] = again.loudest(), second.loudest()
        declined = await asyncio.to_thread(op2.post, base + "/cancel")
        assert declined.status_code == 200, declined.text
        await asyncio.to_thread(wait_for, lambda: second.pc.connectionState in ("closed", "failed") or None)
        again.frames.clear()
        await asyncio.sleep(2.0)
        heard["op1_hears_caller_again"] = again.loudest()
        await consult_and_answer(op1, op2, base, conversation, third)
        run = await caller  # the caller hangs up while op1 and op2 talk
        assert run.returncode == 0, run.explain()
        await asyncio.to_thread(wait_for, lambda: third.pc.connectionState in ("closed", "failed") or None)
        for phone in (first, second, third, again):
            await phone.close()
        return heard

    heard = asyncio.run(scenario())
    assert heard["op2_hears_op1"] > 500 and heard["op1_hears_caller_again"] > 500
    assert heard["op1_rejoined_hears_op2"] > 500 and heard["op2_hears_op1_rejoined"] > 500
    ended = wait_for(lambda: events(voice_live, "alpha", "contact.ended"))
    assert (ended[0].operator_id, ended[0].data["by"]) == ("op1", "customer")
    outcomes = [e.data["outcome"] for e in events(voice_live, "alpha", "consult.ended")]
    assert outcomes == ["declined", "customer_left"]
    log = Counter(e.type for e in events(voice_live, "alpha"))  # (closed after op1's wrap-up in sales)
    assert log["contact.transferred"] == 0 and log["contact.abandoned"] == 0 and log["contact.arrived"] == 1
    loads = svc.read(lambda e: {o: (e.operators[o].load["voice"], sorted(e.operators[o].contacts))
                                for o in ("op1", "op2")})
    assert loads["op2"] == (0, [])  # op2 is free; op1 has only the call's wrap-up, if any
    assert svc.read(lambda e: e.presence("op2")) == "available"
