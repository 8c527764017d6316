"""The discount policy through the real API: set per segment, refused when wrong (naming
the line), and shown on a regular customer's card — not on a new one's."""

from __future__ import annotations

from contextlib import closing

from dozvon.crm import actions as crm
from tests.server.conftest import Live


def test_the_card_shows_what_may_be_offered_to_the_customers_segment(live: Live) -> None:
    policy = {"discounts": [{"segment": "regular", "max_percent": 10, "note": "со второго заказа, не на акции"},
                            {"segment": "vip", "max_percent": 15, "note": ""}]}
    with closing(live.client("alpha-admin")) as admin, closing(live.client("alpha-op1")) as op:
        assert op.put("/api/v1/projects/alpha/discount-policy", json=policy).status_code == 403
        twice = admin.put("/api/v1/projects/alpha/discount-policy", headers={"Accept-Language": "ru"},
                          json={"discounts": policy["discounts"] + [{"segment": "vip", "max_percent": 20}]})
        assert twice.status_code == 422 and twice.json()["error"]["fields"][0]["field"] == "discounts.2.segment"
        too_much = admin.put("/api/v1/projects/alpha/discount-policy",
                             json={"discounts": [{"segment": "vip", "max_percent": 150}]})
        assert too_much.status_code == 422
        assert admin.put("/api/v1/projects/alpha/discount-policy", json=policy).json() == policy
        assert op.get("/api/v1/projects/alpha/discount-policy").json() == policy
        with live.hub.sessions.begin() as session:
            regular = crm.create_customer(session, "test", "alpha", "Постоянная", segment="regular").id
            new = crm.create_customer(session, "test", "alpha", "Новая").id
        card = op.get(f"/api/v1/projects/alpha/customers/{regular}").json()
        assert card["discount"] == {"segment": "regular", "max_percent": 10.0, "note": "со второго заказа, не на акции"}
        assert op.get(f"/api/v1/projects/alpha/customers/{new}").json()["discount"] is None
