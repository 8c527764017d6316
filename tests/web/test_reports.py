"""The reports page in a real browser against the real server (SQLite and PostgreSQL):
two weeks of history (an Asterisk queue_log imported into the event log, so the numbers
are known), the KPI table with its totals, the Plotly charts — trends and the hot-hours
heat-map — drawn with the plotly.js the pinned package ships, a cut by queue, the CSV and
XLSX downloads, both languages; an operator is refused."""

from __future__ import annotations

import csv
import io
import random
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from dozvon.analytics.queue_log_import import import_queue_log
from tests.server.conftest import Live
from tests.web.test_desktop import EN, RU
from tests.web.test_wallboard import sign_in

AGENTS = [f"SIP/10{i}" for i in range(1, 7)]
#: Calls per hour on a weekday, 08:00–20:00: a late-morning and a late-afternoon peak.
PROFILE = {8: 3, 9: 6, 10: 9, 11: 12, 12: 10, 13: 8, 14: 9, 15: 10, 16: 12, 17: 9, 18: 6, 19: 4, 20: 2}


def history(days: int, tz: str, seed: int = 7) -> tuple[list[str], int, date, date]:
    """A queue_log of the ``days`` days before today (local): lines, offered, first, last day."""
    rng = random.Random(seed)
    zone = ZoneInfo(tz)
    today = datetime.now(zone).date()
    lines: list[str] = []
    offered = 0
    for back in range(days, 0, -1):
        day = today - timedelta(days=back)
        weekend = day.weekday() >= 5
        for hour, base in PROFILE.items():
            start = datetime(day.year, day.month, day.day, hour, tzinfo=zone).timestamp()
            for _ in range(max(0, round(base * (0.45 if weekend else 1.0) + rng.uniform(-1.5, 1.5)))):
                t = start + rng.uniform(0, 3500)
                queue = "sales" if rng.random() < 0.65 else "support"
                callid = f"{t:.0f}.{offered}"
                offered += 1
                lines.append(f"{t:.0f}|{callid}|{queue}|NONE|ENTERQUEUE||7916{offered:07d}|1")
                wait = rng.expovariate(1 / (3 + base * 1.1))
                patience = rng.expovariate(1 / 240)
                if patience < wait:
                    lines.append(f"{t + patience:.0f}|{callid}|{queue}|NONE|ABANDON|1|1|{patience:.0f}")
                    continue
                agent = rng.choice(AGENTS)
                talk = rng.uniform(60, 420)
                lines.append(f"{t + wait:.0f}|{callid}|{queue}|{agent}|CONNECT|{wait:.0f}|{callid}.1|2")
                lines.append(f"{t + wait + talk:.0f}|{callid}|{queue}|{agent}|COMPLETECALLER|{wait:.0f}|{talk:.0f}|1")
    return lines, offered, today - timedelta(days=days), today - timedelta(days=1)


def seed_history(live: Live, days: int = 14) -> tuple[int, date, date]:
    lines, offered, first, last = history(days, "Europe/Moscow")
    result = import_queue_log(live.hub.service("alpha"), lines)
    assert not result.problems, result.problems[:3]
    return offered, first, last


def open_reports(page: Any, live: Live, first: date, last: date, lang: str = "ru", by: str = "") -> None:
    sign_in(page, live, "alpha-sup", RU if lang == "ru" else EN)
    page.goto(f"{live.url}/reports?since={first}&to={last}&period=day&by={by}")


def test_the_report_shows_the_table_the_charts_and_downloads(live: Live, new_page: Any) -> None:
    offered, first, last = seed_history(live)
    page = new_page("ru")
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    open_reports(page, live, first, last)
    table = page.locator("[data-target='reports.table']")
    expect(table.locator("tbody tr")).to_have_count(14, timeout=20_000)  # three reports, ~1 s each
    total = table.locator("tfoot tr")
    expect(total.locator("th")).to_have_text("Итого")
    headers = table.locator("thead th").all_text_contents()
    assert headers[:4] == ["Период", "Поступило", "Отвечено", "Потеряно"], headers
    expect(total.locator("td").first).to_have_text(re.sub(r"\B(?=(\d{3})+$)", "\u00a0", str(offered)))
    # The charts: plotly.js from the pinned package, trends and the heat-map of every offered contact.
    for name in ("shares", "times", "heat"):
        expect(page.locator(f"[data-target='reports.{name}'] .main-svg").first).to_be_attached()
    heat = page.locator("[data-target='reports.heat']")
    assert heat.evaluate("e => e.data[0].type") == "heatmap"
    assert heat.evaluate("e => e.data[0].z.flat().reduce((a, b) => a + b, 0)") == offered
    assert heat.evaluate("e => e.data[0].y") == ["Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс"]
    shares = page.locator("[data-target='reports.shares']")
    assert shares.evaluate("e => e.data.map((d) => d.name)") == ["SL", "CAR", "LCR"]
    assert page.evaluate("typeof window.Plotly.react") == "function"
    with page.expect_download() as got:
        page.get_by_role("link", name="CSV").click()
    rows = list(csv.reader(io.StringIO(Path(got.value.path()).read_text(encoding="utf-8"))))
    assert len(rows) == 1 + 14
    offered_column = next(i for i, title in enumerate(rows[0]) if title in ("offered", "поступило в очередь"))
    assert sum(int(r[offered_column]) for r in rows[1:]) == offered
    with page.expect_download() as got:
        page.get_by_role("link", name="Excel (XLSX)").click()
    assert got.value.suggested_filename.endswith(".xlsx")
    assert Path(got.value.path()).read_bytes()[:2] == b"PK"  # a zip: an XLSX workbook
    # Nothing of ours is refused by the page's CSP. plotly.js, as it loads, still tries one
    # inline <style> of its own (the map library's rules, unused here), and that is refused.
    assert all("Applying inline style" in text for text in blocked) and len(blocked) <= 1, blocked


def test_a_cut_by_queue_and_another_granularity(live: Live, new_page: Any) -> None:
    _, first, last = seed_history(live, days=7)
    page = new_page("ru")
    open_reports(page, live, first, last)
    expect(page.locator("[data-target='reports.body'] tr")).to_have_count(7, timeout=20_000)
    page.get_by_label("Разрез").select_option(label="Очередь")
    page.get_by_label("Шаг").select_option(label="Весь период")
    page.get_by_role("button", name="Показать").click()
    body = page.locator("[data-target='reports.body']")
    expect(body.locator("tr")).to_have_count(2, timeout=20_000)
    expect(body.locator("tr").nth(0)).to_contain_text("sales")
    expect(body.locator("tr").nth(1)).to_contain_text("support")
    expect(page.locator("[data-target='reports.head'] th").nth(1)).to_have_text("Очередь")
    expect(page).to_have_url(re.compile(r"by=queue"))
    assert "by=queue" in (page.get_by_role("link", name="CSV").get_attribute("href") or "")
    shares = page.locator("[data-target='reports.shares']")
    expect(shares.locator(".main-svg").first).to_be_attached()
    assert shares.evaluate("e => e.data.map((d) => d.name)") == ["SL · sales", "CAR · sales", "SL · support",
                                                                 "CAR · support"]


def test_the_reports_page_in_english_and_an_empty_period(live: Live, new_page: Any) -> None:
    page = new_page("en")
    sign_in(page, live, "alpha-sup", EN)
    page.goto(f"{live.url}/reports?since=2025-01-06&to=2025-01-12")
    expect(page.get_by_role("heading", name="Reports")).to_be_visible()
    expect(page.get_by_text("No contacts in this period.")).to_be_visible(timeout=20_000)  # three reports
    for label in ("From", "To (inclusive)", "Granularity", "Cut by"):
        expect(page.get_by_label(label)).to_be_visible()
    expect(page.get_by_role("link", name="CSV")).to_have_attribute("href", re.compile(r"until=2025-01-13"))
    expect(page.locator("[data-target='reports.heat'] .main-svg").first).to_be_attached()


def test_plotly_comes_from_the_installed_package(live: Live) -> None:
    import importlib.resources

    with live.client() as anonymous:
        answer = anonymous.get("/static/vendor/plotly.min.js")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/javascript")
    bundled = importlib.resources.files("plotly") / "package_data" / "plotly.min.js"
    assert answer.content == bundled.read_bytes()


def test_tasks_with_deadlines_are_reported_beside_the_contacts(live: Live, new_page: Any) -> None:
    from contextlib import closing
    from datetime import UTC

    from tests.web.conftest import shot

    with closing(live.client("alpha-op1")) as op1:
        late = op1.post("/api/v1/projects/alpha/tasks", json={
            "title": "Перезвонить", "kind": "callback", "due_at": (datetime.now(UTC) - timedelta(minutes=2)).isoformat()})
        on_time = op1.post("/api/v1/projects/alpha/tasks", json={
            "title": "Отправить КП", "kind": "offer", "due_at": (datetime.now(UTC) + timedelta(hours=2)).isoformat()})
        for task in (late, on_time):
            assert op1.post(f"/api/v1/projects/alpha/tasks/{task.json()['id']}/done", json={}).status_code == 200
    today = datetime.now(ZoneInfo("Europe/Moscow")).date()
    page = new_page("ru")
    open_reports(page, live, today, today, by="operator")
    panel = page.get_by_role("region", name="Задачи со сроком")
    expect(panel).to_be_visible(timeout=20_000)
    headers = panel.locator("thead th").all_text_contents()
    assert headers == ["Период", "Оператор", "Поставлено", "Выполнено", "С опозданием", "В срок", "Отменено",
                       "Просрочено", "Время до выполнения"], headers
    row = panel.locator("tbody tr").first
    expect(row.locator("td")).to_have_text(["op1", "2", "2", "1", re.compile(r"50\s?%"), "0", "0",
                                            re.compile(r"\d")])
    panel.scroll_into_view_if_needed()
    shot(page, "reports-tasks-ru")
