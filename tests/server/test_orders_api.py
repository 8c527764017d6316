"""Orders and deals through the real API and the real command line: a shop's webhook
(one order, or a list where a bad order fails alone), the same number pushed again
updates, money exact in the currency's minor units, the order matched to its customer by
a phone in any format (or a new customer made), shown on the card and in the timeline,
counted for the 'regular' segment, following a merge, and gone from the export's
attributes after an erasure."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import httpx

from dozvon.accounts import actions as accounts
from dozvon.accounts.models import Project
from dozvon.crm import actions as crm
from dozvon.crm.identity import PHONE
from tests.server.conftest import Live


def _shop(live: Live) -> httpx.Client:
    with live.hub.sessions.begin() as session:
        session.get(Project, "alpha").region = "BY"  # type: ignore[union-attr]
        secret, _ = accounts.create_token(session, "test", "alpha", "shop", ["orders:write"])
    return httpx.Client(base_url=live.url, timeout=30, headers={"Authorization": f"Bearer {secret}"})


def test_a_shop_pushes_orders_and_the_operator_sees_them_on_the_card(live: Live) -> None:
    with live.hub.sessions.begin() as session:
        anna = crm.create_customer(session, "test", "alpha", "Анна Ковалёва", identities=[(PHONE, "+375291234567")]).id
    with closing(_shop(live)) as shop, closing(live.client("alpha-op1")) as op, \
            closing(live.token_client("alpha")) as adapter:
        assert adapter.post("/api/v1/projects/alpha/orders", json={"number": "X"}).status_code == 403
        first = shop.post("/api/v1/projects/alpha/orders", json={
            "number": "A-1001", "status": "Paid", "amount": "1234.50", "placed_at": "2026-11-20T12:00",
            "items": [{"name": "Ковёр 2×3", "quantity": 1, "price": 1200}, {"name": "Доставка", "price": "34.5"}],
            "customer": {"phone": "8 (029) 123-45-67"}, "address": "Минск, ул. Ленина, 1"})
        assert first.status_code == 201, first.text
        order = first.json()["order"]
        assert first.json()["result"] == "created"
        assert (order["customer_id"], order["amount"], order["currency"], order["status"]) == (
            anna, "1234.50", "BYN", "paid")  # the region's currency; the shop's word in lower case
        assert [i["price"] for i in order["items"]] == ["1200.00", "34.50"]
        assert order["attributes"] == {"address": "Минск, ул. Ленина, 1"}

        same = shop.post("/api/v1/projects/alpha/orders", json={
            "number": "A-1001", "status": "paid", "amount": 1234.5, "placed_at": "2026-11-20T12:00",
            "items": [{"name": "Ковёр 2×3", "quantity": 1, "price": 1200}, {"name": "Доставка", "price": "34.5"}],
            "customer": {"phone": "+375 29 123 45 67"}, "address": "Минск, ул. Ленина, 1"})
        assert (same.status_code, same.json()["result"]) == (200, "unchanged")
        shipped = shop.post("/api/v1/projects/alpha/orders", json={
            "number": "A-1001", "status": "delivered", "amount": "1234.50", "closed_at": "2026-11-22T18:00",
            "phone": "375291234567"})
        assert shipped.json()["result"] == "updated" and shipped.json()["order"]["status"] == "delivered"

        batch = shop.post("/api/v1/projects/alpha/orders", headers={"Accept-Language": "ru"}, json=[
            {"number": "A-1002", "amount": "99.999", "phone": "+375291234567"},
            {"number": "D-7", "kind": "deal", "status": "quote", "amount": 500000, "currency": "RUB",
             "customer": {"name": "ООО Ромашка", "email": "Buy@Romashka.RU"}},
            "not an order",
            {"number": "A-1003", "amount": 10, "currency": "ZZZ", "phone": "+375291234567"},
            {"number": "A-1004", "amount": "15", "phone": "+375291234567"}])
        assert batch.status_code == 200, batch.text
        results = [(i["result"], (i.get("error") or {}).get("field")) for i in batch.json()["items"]]
        assert results == [("refused", "amount"), ("created", None), ("refused", None), ("refused", "currency"),
                           ("created", None)]
        assert "знаков после запятой" in batch.json()["items"][0]["error"]["message"]
        romashka = batch.json()["items"][1]["order"]["customer_id"]
        assert op.get("/api/v1/projects/alpha/customers", params={"q": "buy@romashka.ru"}).json()["items"][0][
            "id"] == romashka
        assert op.get("/api/v1/projects/alpha/orders/A-1003").status_code == 404

        card = op.get(f"/api/v1/projects/alpha/customers/{anna}").json()
        assert [(o["number"], o["amount"]) for o in card["orders"]] == [("A-1004", "15.00"), ("A-1001", "1234.50")]
        kinds = [(e["type"], e.get("number")) for e in card["timeline"]["items"]]
        assert kinds == [("order", "A-1004"), ("order", "A-1001")]
        assert op.get("/api/v1/projects/alpha/orders", params={"customer": anna}).json()["items"][1][
            "number"] == "A-1001"

        # Two orders and one call in the window make her regular (the rule: 3 contacts or orders).
        call = adapter.post("/api/v1/projects/alpha/ingest/contacts", json={
            "channel": "voice", "external_id": "order-call", "queue": "sales",
            "customer": {"id": "+375291234567"}}).json()["conversation_id"]
        assert op.get(f"/api/v1/projects/alpha/customers/{anna}").json()["segment"] == "regular"
        timeline = op.get(f"/api/v1/projects/alpha/customers/{anna}/timeline", params={"limit": 2}).json()
        assert [e["type"] for e in timeline["items"]] == ["call", "order"]
        assert timeline["items"][0]["id"] == call
        rest = op.get(f"/api/v1/projects/alpha/customers/{anna}/timeline",
                      params={"before_us": timeline["next_before_us"]}).json()
        assert [e["number"] for e in rest["items"]] == ["A-1001"] and rest["next_before_us"] is None


def test_orders_follow_a_merge_and_lose_their_personal_attributes_on_erasure(live: Live) -> None:
    with live.hub.sessions.begin() as session:
        keep = crm.create_customer(session, "test", "alpha", "Олег", identities=[(PHONE, "+79161112233")]).id
        other = crm.create_customer(session, "test", "alpha", "О.", identities=[("email", "oleg@example.ru")]).id
    with closing(_shop(live)) as shop, closing(live.client("alpha-sup")) as sup:
        assert shop.post("/api/v1/projects/alpha/orders", json={
            "number": "M-1", "amount": 5, "currency": "RUB", "email": "OLEG@example.ru",
            "address": "Москва"}).status_code == 201
        assert sup.post(f"/api/v1/projects/alpha/customers/{keep}/merge", json={"merged": other}).status_code == 200
        assert [o["number"] for o in sup.get(f"/api/v1/projects/alpha/customers/{keep}").json()["orders"]] == ["M-1"]
        assert sup.get(f"/api/v1/projects/alpha/customers/{keep}/export").json()["orders"][0]["attributes"] == {
            "address": "Москва"}
        erased = sup.post(f"/api/v1/projects/alpha/customers/{keep}/erase")
        assert erased.status_code == 200 and erased.json()["orders"] == 1
        after = sup.get(f"/api/v1/projects/alpha/customers/{keep}/export").json()["orders"][0]
        assert (after["number"], after["amount"], after["attributes"]) == ("M-1", "5.00", {})


def test_dozvon_orders_import_reports_each_refused_row_and_updates_known_numbers(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path}/orders.db", DOZVON_LANG="en")

    def dozvon(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "dozvon", *args], env=env, capture_output=True, text=True,
                              timeout=120)

    assert dozvon("project", "create", "shop", "--region", "RU").returncode == 0
    (tmp_path / "o.csv").write_text(
        "number,status,amount,currency,items,placed_at,phone,email,customer_name,address\n"
        "A-1,paid,\"1 234,50\",,Ковёр; Доставка,2026-11-20T12:00,8 (916) 123-45-67,,Анна,Москва\n"
        "A-2,new,10,ZZZ,,,+79161234567,,,\n"
        "A-3,new,,,,,,,,\n"
        "A-4,new,5.5,USD,\"[{\"\"name\"\":\"\"Плед\"\",\"\"quantity\"\":2,\"\"price\"\":2.75}]\",2026-11-25,,a@b.ru,Б,\n",
        encoding="utf-8")
    first = dozvon("orders", "import", "--project", "shop", str(tmp_path / "o.csv"))
    assert first.returncode == 0, first.stderr
    assert "created 2, updated 0, refused 2" in first.stdout
    assert "row 3: currency: 'ZZZ'" in first.stdout and "row 4: customer:" in first.stdout
    again = dozvon("orders", "import", "--project", "shop", str(tmp_path / "o.csv"), "--json")
    assert json.loads(again.stdout)["updated"] == 2 and len(json.loads(again.stdout)["refused"]) == 2
    found = json.loads(dozvon("customers", "find", "--project", "shop", "+7 916 123-45-67", "--json").stdout)
    assert found[0]["name"] == "Анна"
    missing = dozvon("orders", "import", "--project", "shop", str(tmp_path / "nope.csv"))
    assert missing.returncode == 2 and "nope.csv" in missing.stderr and "Traceback" not in missing.stderr
