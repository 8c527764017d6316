"""Two operators' desktops side by side in one browser: round robin hands contacts to
each in turn, and a ring-all offer rings on both pages and leaves the second the moment
the first accepts."""

from __future__ import annotations

import time
from contextlib import closing
from typing import Any

from playwright.sync_api import expect

from tests.server.conftest import Live
from tests.web.test_desktop import RU, chat, go_available, log_in


def _desks(live: Live, new_page: Any) -> tuple[Any, Any]:
    pages = []
    for name in ("alpha-op1", "alpha-op2"):
        page = new_page("ru")
        log_in(page, live, name, RU)
        go_available(page, RU)
        pages.append(page)
    return pages[0], pages[1]


def test_round_robin_takes_turns_between_two_desktops(live: Live, new_page: Any) -> None:
    one, two = _desks(live, new_page)
    seen = []
    for n, name in enumerate(("Анна", "Борис", "Вера", "Глеб")):
        conv_id = chat(live, f"rr-{n}", name, "Здравствуйте")
        offer_one = one.locator("[data-offer]").filter(has_text=name)
        offer_two = two.locator("[data-offer]").filter(has_text=name)
        deadline = time.monotonic() + 10
        while not (offer_one.count() or offer_two.count()):  # two pages: no single locator spans both
            assert time.monotonic() < deadline, f"no desktop was offered {name}"
            time.sleep(0.05)
        page = one if offer_one.count() else two
        expect((two if page is one else one).locator("[data-offer]").filter(has_text=name)).to_have_count(0)
        page.locator("[data-offer]").filter(has_text=name).get_by_role("button", name=RU["accept"]).click()
        expect(page.locator(f"[data-conversation='{conv_id}']")).to_be_visible()
        seen.append("op1" if page is one else "op2")
    assert seen in (["op1", "op2", "op1", "op2"], ["op2", "op1", "op2", "op1"]), seen
    expect(one.locator(".presence__load")).to_have_text("2 из 3 чатов")
    expect(two.locator(".presence__load")).to_have_text("2 из 3 чатов")


def test_a_ring_all_offer_rings_on_both_and_leaves_the_second_when_the_first_accepts(live: Live,
                                                                                     new_page: Any) -> None:
    with closing(live.client("alpha-admin")) as admin:
        assert admin.put("/api/v1/projects/alpha/queues/hotline",
                         json={"strategy": "ring_all", "offer_timeout_s": 30}).status_code == 200
        for op in ("op1", "op2"):
            assert admin.put(f"/api/v1/projects/alpha/operators/{op}",
                             json={"queues": ["hotline"], "capacity": {"chat": 3}}).status_code == 200
    one, two = _desks(live, new_page)
    conv_id = chat(live, "ring-both", "Ольга", "Алло?", queue="hotline")
    ringing_one = one.locator("[data-offer]").filter(has_text="Ольга")
    ringing_two = two.locator("[data-offer]").filter(has_text="Ольга")
    expect(ringing_one).to_be_visible()
    expect(ringing_two).to_be_visible()
    ringing_one.get_by_role("button", name=RU["accept"]).click()
    expect(ringing_two).to_have_count(0)  # withdrawn at once on the colleague's page
    expect(one.locator(f"[data-conversation='{conv_id}']").get_by_text("Алло?")).to_be_visible()
    expect(two.locator(f"[data-conversation='{conv_id}']")).to_have_count(0)
