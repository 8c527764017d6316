"""Evaluations by competencies through the real API, on SQLite and PostgreSQL: a supervisor
scores an operator's conversation on the default card, the operator disputes it, the
supervisor revises and then upholds; a critical criterion fails the whole evaluation; a
new card version leaves past scores alone; calibration shows the spread per criterion and
stays among supervisors; the queue's weekly sample is stable and picks up low CSAT; the
queue proposes what the checks flagged first, low CSAT next, the sample last, and leaves
out a conversation that passed every check and was not drawn; the operator's own page
compares with the team's median and names nobody."""

from __future__ import annotations

import time
from contextlib import closing
from typing import Any

import httpx

from dozvon.conversations import actions as conversation_actions
from dozvon.quality import queries as quality_queries
from dozvon.quality import sampling
from tests.server.conftest import Live, pytest_generate_tests, server_db  # noqa: F401  (the real server)
from tests.server.conftest import live as _live_server  # noqa: F401  (the fixture, by its name "live")
from tests.server.wsutil import open_stream

P = "/api/v1/projects/alpha"
#: A reply that passes every automatic check: it greets, answers, says goodbye, in time.
FLAWLESS = "Здравствуйте! Заказ 512 в пути, привезут завтра. Всего вам доброго!"


def handled(live: Live, operator: str, key: str, said: str = "Здравствуйте, у меня вопрос по заказу",
            reply: str = "Здравствуйте! Сейчас посмотрю ваш заказ.", contact_type: str = "new_inquiry",
            csat: int | None = None) -> str:
    """A chat the customer started, ``operator`` (the only one available) answered and
    classified; optionally rated by the customer. Returns the conversation id."""
    with closing(live.client(f"alpha-{operator}")) as op, closing(live.client("alpha-admin")) as admin, \
            closing(live.token_client("alpha")) as adapter:
        for other in ("op1", "op2"):
            admin.post(f"{P}/operators/{other}/state", json={"state": "available" if other == operator else "offline"})
        answer = adapter.post(f"{P}/ingest/messages", json={
            "channel": "chat", "external_id": key, "queue": "sales", "text": said,
            "customer": {"id": f"c-{key}", "name": f"Клиент {key}"}})
        assert answer.status_code == 201, answer.text
        conversation = str(answer.json()["conversation_id"])
        deadline = time.monotonic() + 10
        while not (offers := op.get(f"{P}/operators/{operator}").json()["offers"]):
            assert time.monotonic() < deadline, "no offer reached the operator"
            time.sleep(0.05)
        assert op.post(f"{P}/offers/{offers[0]}/accept").status_code == 200
        assert op.post(f"{P}/conversations/{conversation}/messages", json={"text": reply}).status_code == 201
        done = op.post(f"{P}/conversations/{conversation}/disposition",
                       json={"contact_type": contact_type, "resolved": True})
        assert done.status_code == 200, done.text
    if csat is not None:
        conversation_actions.do_rate(live.hub.service("alpha"), conversation, csat)
    # The server's checker runs after the commit, in rounds at most every half second; the
    # evaluation queue proposes what the checks flagged, so it is read once they are stored.
    deadline = time.monotonic() + 20
    while True:
        with live.hub.sessions() as session:
            if quality_queries.result_of(session, "alpha", conversation) is not None:
                break
        assert time.monotonic() < deadline, "the conversation was never checked"
        time.sleep(0.05)
    return conversation


def the_card(client: httpx.Client) -> dict[str, Any]:
    cards = client.get(f"{P}/quality/scorecards")
    assert cards.status_code == 200, cards.text
    card: dict[str, Any] = cards.json()["items"][0]
    return card


def answers_for(card: dict[str, Any], **override: int | None) -> dict[str, dict[str, Any]]:
    """Every criterion at the top of its scale, except those named (dots as double underscores)."""
    out = {c["id"]: {"value": c["scale"]} for comp in card["competencies"] for c in comp["criteria"]}
    for key, value in override.items():
        out[key.replace("__", ".")] = {"value": value}
    return out


def test_a_supervisor_scores_the_operator_disputes_and_the_supervisor_answers(live: Live) -> None:
    chat = handled(live, "op1", "q1")
    with closing(live.client("alpha-sup")) as sup, closing(live.client("alpha-op1")) as op1, \
            closing(live.client("alpha-op2")) as op2, closing(live.client("alpha-admin")) as admin, \
            open_stream(live.ws_url, op1, "alpha") as ws1, open_stream(live.ws_url, op2, "alpha") as ws2:
        russian = sup.get(f"{P}/quality/scorecards", headers={"Accept-Language": "ru"}).json()["items"]
        assert len(russian) == 1, "the default card is made on first use, once"
        card = the_card(sup)
        assert [c["id"] for c in card["competencies"]] == [
            "call_control", "negotiation", "urgency", "politeness", "product_knowledge", "empathy", "resolution"]
        assert russian[0]["competencies"][3]["label"] == "Вежливость" and card["competencies"][3]["label"] == "Politeness"
        assert any(c["critical"] for comp in card["competencies"] for c in comp["criteria"])

        assert op1.post(f"{P}/evaluations", json={"conversation_id": chat, "scorecard_id": card["id"],
                                                  "answers": answers_for(card)}).status_code == 403
        partial = answers_for(card)
        del partial["empathy.listen"]
        missing = sup.post(f"{P}/evaluations", headers={"Accept-Language": "ru"},
                           json={"conversation_id": chat, "scorecard_id": card["id"], "answers": partial})
        assert missing.status_code == 422
        assert "answers.empathy.listen" in missing.text and "оцените" in missing.json()["error"]["message"]
        off_scale = sup.post(f"{P}/evaluations", json={"conversation_id": chat, "scorecard_id": card["id"],
                                                       "answers": answers_for(card, urgency__now=3)})
        assert off_scale.status_code == 422 and "answers.urgency.now" in off_scale.text

        body = {"conversation_id": chat, "scorecard_id": card["id"], "praise": "Тепло поздоровался",
                "comment": "Не предложил альтернативу",
                "answers": {**answers_for(card, negotiation__offer=0, empathy__acknowledge=None),
                            "negotiation.offer": {"value": 0, "comment": "Можно было предложить доставку"}}}
        scored = sup.post(f"{P}/evaluations", json=body)
        assert scored.status_code == 201, scored.text
        evaluation = scored.json()
        assert evaluation["status"] == "submitted" and evaluation["operator_id"] == "op1"
        assert 85 < evaluation["score"] < 100 and not evaluation["failed_critical"]
        assert evaluation["competency_scores"]["politeness"] == 100.0
        assert evaluation["answers"]["negotiation.offer"]["comment"] == "Можно было предложить доставку"
        assert evaluation["answers"]["empathy.acknowledge"]["value"] is None, "not applicable stays so"
        told = ws1.wait("evaluation.submitted", operator_id="op1")
        assert told["data"]["evaluation_id"] == evaluation["id"] and "comment" not in told["data"]
        assert sup.post(f"{P}/evaluations", json=body).status_code == 409, "one evaluation per supervisor"

        # Only the operator whose work it is sees it.
        assert op2.get(f"{P}/evaluations/{evaluation['id']}").status_code == 403
        assert op2.get(f"{P}/evaluations").json()["items"] == []
        assert op2.get(f"{P}/evaluations", params={"operator_id": "op1"}).status_code == 403
        assert [e["id"] for e in op1.get(f"{P}/evaluations").json()["items"]] == [evaluation["id"]]
        assert op2.post(f"{P}/evaluations/{evaluation['id']}/acknowledge", json={}).status_code == 403

        # The operator disputes (saying why), the supervisor revises; disputes again, it is upheld.
        silent = op1.post(f"{P}/evaluations/{evaluation['id']}/dispute", json={"comment": " "})
        assert silent.status_code == 422 and "comment" in silent.text
        disputed = op1.post(f"{P}/evaluations/{evaluation['id']}/dispute",
                            json={"comment": "Доставка в этот город недоступна"})
        assert disputed.status_code == 200 and disputed.json()["status"] == "disputed"
        assert ws1.wait("evaluation.disputed")["data"]["by"] == "alpha-op1"
        assert sup.get(f"{P}/evaluations", params={"status": "disputed"}).json()["items"][0]["id"] == evaluation["id"]
        assert op1.post(f"{P}/evaluations/{evaluation['id']}/revise",
                        json={"comment": "x", "answers": {}}).status_code == 403
        revised = sup.post(f"{P}/evaluations/{evaluation['id']}/revise", json={
            "comment": "Верно, доставки нет — критерий не применим",
            "answers": {"negotiation.offer": {"value": None, "comment": "Доставки нет"}}})
        assert revised.status_code == 200, revised.text
        after = revised.json()
        assert after["status"] == "revised" and after["score"] > evaluation["score"]
        assert after["answers"]["negotiation.offer"] == {"value": None, "comment": "Доставки нет"}
        assert after["answers"]["call_control.greeting"]["value"] == 1, "criteria not named keep their answers"
        event = ws1.wait("evaluation.revised")["data"]
        assert (event["from_score"], event["score"]) == (evaluation["score"], after["score"])
        assert op1.post(f"{P}/evaluations/{evaluation['id']}/dispute", json={"comment": "Ещё вопрос"}).status_code == 200
        upheld = sup.post(f"{P}/evaluations/{evaluation['id']}/uphold", json={"comment": "Оценка остаётся"})
        assert upheld.status_code == 200 and upheld.json()["score"] == after["score"]
        acknowledged = op1.post(f"{P}/evaluations/{evaluation['id']}/acknowledge", json={"comment": "Спасибо"})
        assert acknowledged.status_code == 200 and acknowledged.json()["status"] == "acknowledged"
        assert op1.post(f"{P}/evaluations/{evaluation['id']}/acknowledge", json={}).status_code == 409
        steps = acknowledged.json()["steps"]
        assert [s["action"] for s in steps] == ["submitted", "disputed", "revised", "disputed", "upheld", "acknowledged"]
        assert steps[1]["comment"] == "Доставка в этот город недоступна" and steps[1]["actor"] == "alpha-op1"
        ws2.drain(0.3)
        assert not [e for e in ws2.events if e["type"].startswith("evaluation.")], "another operator is not told"

        # A critical criterion answered "no" fails the whole evaluation; the competencies keep theirs.
        rude = admin.post(f"{P}/evaluations", json={"conversation_id": chat, "scorecard_id": card["id"],
                                                    "answers": answers_for(card, politeness__no_rudeness=0)})
        assert rude.status_code == 201
        assert (rude.json()["score"], rude.json()["failed_critical"]) == (0.0, True)
        assert rude.json()["competency_scores"]["resolution"] == 100.0

        # A new version of the card: past evaluations keep their score; the old version is closed.
        changed = dict(card)
        changed["competencies"] = [{**c, "weight": 50 if c["id"] == "negotiation" else c["weight"]}
                                   for c in card["competencies"]]
        v2 = sup.post(f"{P}/quality/scorecards", json={"key": card["key"], "name": "Компетенции 2",
                                                       "competencies": changed["competencies"]})
        assert v2.status_code == 201 and v2.json()["version"] == 2
        assert sup.get(f"{P}/evaluations/{evaluation['id']}").json()["score"] == after["score"]
        assert sup.get(f"{P}/evaluations/{evaluation['id']}").json()["scorecard"]["version"] == 1
        stale = handled(live, "op1", "q2")
        late = sup.post(f"{P}/evaluations", json={"conversation_id": stale, "scorecard_id": card["id"],
                                                  "answers": answers_for(card)})
        assert late.status_code == 409 and "version" in late.json()["error"]["message"]
        assert [c["version"] for c in sup.get(f"{P}/quality/scorecards").json()["items"]] == [2]
        bad = sup.post(f"{P}/quality/scorecards", headers={"Accept-Language": "ru"}, json={
            "key": "sales", "name": "Продажи", "competencies": [
                {"id": "x", "title": "X", "criteria": [{"id": "x.a", "text": "A", "scale": 11}]}]})
        assert bad.status_code == 422 and "competencies[0].criteria[0].scale" in bad.text
        assert "шкала" in bad.json()["error"]["message"]
        assert op1.post(f"{P}/quality/scorecards", json={"name": "x", "competencies": []}).status_code == 403


def test_calibration_shows_the_spread_per_criterion_to_supervisors_only(live: Live) -> None:
    chat = handled(live, "op2", "cal1")
    with closing(live.client("alpha-sup")) as sup, closing(live.client("alpha-admin")) as admin, \
            closing(live.client("alpha-op2")) as op2, open_stream(live.ws_url, op2, "alpha") as ws2:
        card = the_card(sup)
        session = sup.post(f"{P}/calibrations", json={"conversation_id": chat, "scorecard_id": card["id"],
                                                      "title": "Калибровка недели"})
        assert session.status_code == 201, session.text
        cal = session.json()["id"]
        assert op2.get(f"{P}/calibrations/{cal}").status_code == 403
        blind = sup.get(f"{P}/calibrations/{cal}").json()
        assert blind["blind"] is True and blind["evaluations"] == [] and blind["criteria"] == []
        for client, override in ((sup, {"empathy__acknowledge": 2, "urgency__now": 1}),
                                 (admin, {"empathy__acknowledge": 0, "urgency__now": 1})):
            given = client.post(f"{P}/evaluations", json={"conversation_id": chat, "scorecard_id": card["id"],
                                                          "calibration_id": cal, "answers": answers_for(card, **override)})
            assert given.status_code == 201, given.text
        view = sup.get(f"{P}/calibrations/{cal}", headers={"Accept-Language": "ru"}).json()
        assert sorted(view["evaluators"]) == ["alpha-admin", "alpha-sup"]
        first = view["criteria"][0]
        assert (first["criterion"], first["values"], first["points"], first["share"]) == (
            "empathy.acknowledge", [2, 0], 2, 1.0), "the disagreement comes first"
        assert first["competency"] == "Эмпатия"
        agreed = next(c for c in view["criteria"] if c["criterion"] == "urgency.now")
        assert (agreed["points"], agreed["share"]) == (0, 0.0)
        assert view["score_spread"]["range"] > 0
        assert [c["id"] for c in sup.get(f"{P}/calibrations").json()["items"]] == [cal]
        # Calibration is among supervisors: the operator neither sees nor answers these scores.
        assert op2.get(f"{P}/evaluations").json()["items"] == []
        calibration_ids = [e["id"] for e in view["evaluations"]]
        assert op2.get(f"{P}/evaluations/{calibration_ids[0]}").status_code == 403
        assert op2.post(f"{P}/evaluations/{calibration_ids[0]}/dispute", json={"comment": "?"}).status_code == 409
        ws2.drain(0.3)
        assert not [e for e in ws2.events if e["type"].startswith(("calibration.", "evaluation."))]
        # Calibration scores do not block the supervisor's own evaluation of the conversation.
        own = sup.post(f"{P}/evaluations", json={"conversation_id": chat, "scorecard_id": card["id"],
                                                 "answers": answers_for(card)})
        assert own.status_code == 201


def test_the_queue_is_a_stable_weekly_sample_with_low_csat_and_the_own_page_shows_medians(live: Live) -> None:
    chats = [handled(live, "op1", f"w{n}") for n in range(4)]
    rated = handled(live, "op2", "w-low", contact_type="complaint", csat=1)
    others = [handled(live, "op2", f"v{n}") for n in range(3)]
    with closing(live.client("alpha-sup")) as sup, closing(live.client("alpha-op1")) as op1:
        first = sup.get(f"{P}/quality/queue")
        assert first.status_code == 200, first.text
        items = first.json()["items"]
        again = sup.get(f"{P}/quality/queue").json()["items"]
        assert [i["conversation_id"] for i in items] == [i["conversation_id"] for i in again], "reloads agree"
        low = next(i for i in items if i["conversation_id"] == rated)
        assert "low_csat" in low["reasons"] and low["csat"] == 1
        only_sampled = [n for n, i in enumerate(items) if i["reasons"] == ["sample"]]
        assert not only_sampled or items.index(low) < only_sampled[0], "low CSAT before the random sample"
        sampled = [i for i in items if "sample" in i["reasons"]]
        assert sum(i["operator_id"] == "op1" for i in sampled) == 2
        assert sum(i["operator_id"] == "op2" for i in sampled) == 2
        assert {i["conversation_id"] for i in sampled if i["operator_id"] == "op1"} <= set(chats)
        assert {i["conversation_id"] for i in sampled if i["operator_id"] == "op2"} <= {rated, *others}
        assert sup.get(f"{P}/quality/queue", params={"week": "2026-W99"}).status_code == 422
        assert op1.get(f"{P}/quality/queue").status_code == 403

        card = the_card(sup)
        target = sampled[0]["conversation_id"]
        scored = sup.post(f"{P}/evaluations", json={"conversation_id": target, "scorecard_id": card["id"],
                                                    "answers": answers_for(card)}).json()
        marked = sup.get(f"{P}/quality/queue").json()["items"]
        assert next(i for i in marked if i["conversation_id"] == target)["evaluation_id"] == scored["id"]
        assert {i["conversation_id"] for i in marked} == {i["conversation_id"] for i in items}, "no new picks"
        assert marked[-1]["conversation_id"] == target, "what is done goes to the end"

        # Best practice: marked with a note, found by type and competency; operators read it.
        example = sup.post(f"{P}/examples", json={"conversation_id": chats[0], "note": "Образцовое приветствие",
                                                  "competencies": ["call_control", "politeness"]})
        assert example.status_code == 201, example.text
        assert sup.post(f"{P}/examples", json={"conversation_id": chats[1],
                                               "competencies": ["dancing"]}).status_code == 422
        found = op1.get(f"{P}/examples", params={"competency": "politeness", "contact_type": "new_inquiry"})
        assert [e["conversation_id"] for e in found.json()["items"]] == [chats[0]]
        assert op1.get(f"{P}/examples", params={"competency": "empathy"}).json()["items"] == []
        assert op1.get(f"{P}/examples", params={"text": "приветствие"}).json()["items"][0]["note"] == \
            "Образцовое приветствие"
        assert op1.post(f"{P}/examples", json={"conversation_id": chats[1]}).status_code == 403

        # The operator's own page: their figures and the team's median — nobody else named.
        mine = op1.get(f"{P}/quality/me")
        assert mine.status_code == 200, mine.text
        metrics = {m["metric"]: m for m in mine.json()["metrics"]}
        assert metrics["answered"]["mine"] == 4 and metrics["answered"]["team_median"] == 4.0
        assert "op2" not in mine.text and "alpha-op2" not in mine.text
        assert sup.get(f"{P}/quality/me").status_code == 403, "supervisors are not operators here"
        summary = sup.get(f"{P}/quality/summary").json()["items"]
        assert {r["operator_id"] for r in summary} == {"op1", "op2"}
        trends = sup.get(f"{P}/quality/trends").json()
        assert trends["team"][0]["evaluations"] == 1 and "call_control" in trends["competencies"]
        assert op1.get(f"{P}/quality/trends").status_code == 403
        view = op1.get(f"{P}/quality/conversations/{chats[0]}")
        assert view.status_code == 200 and view.json()["example"]["note"] == "Образцовое приветствие"
        assert [m["direction"] for m in view.json()["messages"]] == ["in", "out"]
        assert op1.get(f"{P}/quality/conversations/{rated}").status_code == 403, "a colleague's, not an example"


def test_the_queue_proposes_flagged_first_then_low_csat_then_the_sample_and_leaves_out_the_rest(live: Live) -> None:
    """Each source of the queue on its own: op1's three flawless chats (two drawn, one not),
    op2's chat without a farewell (flagged by the checks) and op2's flawless chat rated 1."""
    calm = [handled(live, "op1", f"ok{n}", reply=FLAWLESS) for n in range(3)]
    flagged = handled(live, "op2", "no-bye", reply="Здравствуйте! Заказ 512 в пути, привезут завтра.")
    low = handled(live, "op2", "low", reply=FLAWLESS, csat=1)
    with closing(live.client("alpha-sup")) as sup:
        for conversation in (*calm, low):
            checked = sup.get(f"{P}/quality/conversations/{conversation}").json()["checks"]
            assert (checked["failed"], checked["score"]) == ([], 100), "a flawless chat passes every check"
        answer = sup.get(f"{P}/quality/queue")
        assert answer.status_code == 200, answer.text
        body = answer.json()
        items = {i["conversation_id"]: i for i in body["items"]}
        drawn = sorted(calm, key=lambda conversation: sampling.rank("alpha", body["week"], conversation))
        sampled, not_drawn = drawn[:sampling.PER_OPERATOR], drawn[sampling.PER_OPERATOR]
        assert not_drawn not in items, "passed every check, not rated low, not drawn: not proposed"
        assert set(items) == {flagged, low, *sampled}

        assert items[flagged]["reasons"] == ["checks", "sample"]
        assert items[flagged]["failed_checks"] == ["farewell"] and items[flagged]["check_score"] < 100
        assert items[low]["reasons"] == ["low_csat", "sample"] and items[low]["csat"] == 1
        assert items[low]["failed_checks"] == [] and items[low]["check_score"] is None
        assert all(items[c]["reasons"] == ["sample"] and items[c]["failed_checks"] == [] for c in sampled)
        # Flagged first, then low CSAT, then the sample (op1's, although "op1" sorts before "op2"),
        # the newest first within one reason and operator.
        newest_first = sorted(sampled, key=lambda c: -items[c]["closed_at"])
        assert [i["conversation_id"] for i in body["items"]] == [flagged, low, *newest_first]

        # With no sample drawn, the flagged and the low-rated remain, each for its own reason only.
        unsampled = sup.get(f"{P}/quality/queue", params={"per_operator": 0}).json()["items"]
        assert [(i["conversation_id"], i["reasons"]) for i in unsampled] == [(flagged, ["checks"]), (low, ["low_csat"])]
