"""Week plan: the forecast averages each 15-minute interval of the week over the history,
and each interval gets the smallest staff for its load, chats shared by concurrency."""

from __future__ import annotations

import csv
import json
import math
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from dozvon.staffing.plan import Traffic, staff
from dozvon.staffing.week import SLOTS, HistoryRow, PlanSettings, forecast, plan, slot_of

MONDAY = datetime(2026, 1, 5, tzinfo=UTC)


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dozvon", "staffing", "week-plan", *args], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "DOZVON_LANG": "en", **(env or {})})


def two_weeks() -> list[HistoryRow]:
    """Monday 10:00–10:15 had 40 then 60 calls; Tuesday 10:00 chats: 30 then 30."""
    rows = []
    for week, calls in ((0, 40), (1, 60)):
        start = MONDAY + timedelta(weeks=week)
        rows.append(HistoryRow(start + timedelta(hours=10), "voice", calls, 200.0 if week else 160.0))
        rows.append(HistoryRow(start + timedelta(days=1, hours=10), "chat", 30, 600.0))
        rows.append(HistoryRow(start + timedelta(days=6, hours=23, minutes=45), "voice", 1))
    return rows


def test_the_forecast_is_the_mean_of_each_interval_over_the_weeks():
    fc = forecast(two_weeks(), "UTC")
    assert fc.weeks == 2
    monday_10 = slot_of(MONDAY + timedelta(hours=10), ZoneInfo("UTC"))
    assert fc.contacts["voice"][monday_10] == 50
    assert fc.aht_s["voice"][monday_10] == (40 * 160 + 60 * 200) / 100  # weighted by contacts
    assert sum(fc.contacts["voice"]) == 51 and len(fc.contacts["voice"]) == SLOTS


def test_each_interval_gets_the_smallest_staff_and_chats_are_shared_by_concurrency():
    fc = forecast(two_weeks(), "UTC")
    settings = PlanSettings(target_s=20, target_sl=0.8, chat_concurrency=3, chat_target_s=60)
    rows = plan(fc, settings)
    monday_10, tuesday_10 = 10 * 4, 96 + 10 * 4
    expected_voice = staff("erlang-c", Traffic(Fraction(50), Fraction(900), Fraction(184)), 20, 0.8).agents
    assert rows[monday_10].voice_agents == expected_voice
    chat_servers = staff("erlang-c", Traffic(Fraction(30), Fraction(900), Fraction(600)), 60, 0.8).agents
    assert rows[tuesday_10].chat_agents == math.ceil(chat_servers / 3)
    assert rows[tuesday_10].voice_agents == 0 and rows[5].agents == 0
    assert rows[monday_10].label == "Mon 10:00"


def test_the_week_is_in_the_local_time_zone():
    # 07:00 UTC is 10:00 in Moscow: it lands in the Monday 10:00 interval there
    fc = forecast([HistoryRow(MONDAY + timedelta(hours=7), "voice", 10)], "Europe/Moscow")
    assert fc.contacts["voice"][10 * 4] == 10


def write_history(path: Path, rows: list[HistoryRow]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["start", "channel", "contacts", "aht_s"])
        for row in rows:
            writer.writerow([row.start.isoformat(), row.channel, row.contacts, "" if row.aht_s is None else row.aht_s])


def test_cli_from_a_csv_gives_672_intervals_and_writes_csv(tmp_path: Path):
    history = tmp_path / "history.csv"
    write_history(history, two_weeks())
    out = tmp_path / "plan.csv"
    result = cli("--history", str(history), "--target-sl", "0.8", "--shrinkage", "0.3", "--csv", str(out), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["weeks_of_history"] == 2 and len(data["intervals"]) == 672
    monday_10 = data["intervals"][40]
    assert monday_10["voice_contacts"] == 50 and monday_10["positions"] == math.ceil(monday_10["agents"] / 0.7)
    assert len(list(csv.DictReader(out.open(encoding="utf-8")))) == 672
    table = cli("--history", str(history))
    assert "Operators needed" in table.stdout and "Mon" in table.stdout


def test_bad_history_says_which_line_and_column(tmp_path: Path):
    bad = tmp_path / "bad.csv"
    bad.write_text("start,contacts\n2026-01-05T10:00:00+00:00,12\n2026-01-05T10:15:00+00:00,lots\n", encoding="utf-8")
    result = cli("--history", str(bad))
    assert result.returncode == 2 and "line 3" in result.stderr and "lots" in result.stderr
    header = tmp_path / "header.csv"
    header.write_text("when,calls\n", encoding="utf-8")
    assert "'start' and 'contacts'" in cli("--history", str(header)).stderr
    assert "--history" in cli().stderr


def test_cli_from_the_event_log(tmp_path: Path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/dozvon.db"}
    sample = Path(__file__).parents[1] / "analytics" / "sample_queue_log.txt"
    subprocess.run([sys.executable, "-m", "dozvon", "import", "queue-log", str(sample), "--project", "pbx"],
                   env={**os.environ, **env}, check=True, capture_output=True, timeout=120)
    result = cli("--project", "pbx", "--json", env=env)
    assert result.returncode == 0, result.stderr
    intervals = json.loads(result.stdout)["intervals"]
    assert sum(i["voice_contacts"] for i in intervals) == 8 and max(i["agents"] for i in intervals) >= 1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 30000), min_size=1, max_size=12), st.sampled_from([120.0, 180.0, 240.0, 333.3]),
       st.sampled_from(["1", "0.85", "0.9", "0.7"]), st.sampled_from(["0", "0.3", "0.25"]),
       st.sampled_from([0.7, 0.8, 0.9]))
def test_the_fast_week_plan_staffs_every_interval_exactly_as_the_exact_search(
        tenths: list[int], aht: float, cap: str, shrinkage: str, target_sl: float) -> None:
    """The week plan's integer boundaries and one-pass search give, interval by interval,
    exactly what the rational-arithmetic search of `dozvon staffing erlang-c` gives."""
    fc_rows = [t / 10 for t in tenths] + [60.0]  # 60 calls of 240 s: exactly 16 Erlangs
    fc = forecast([], "UTC")
    fc.contacts["voice"] = (fc_rows * (SLOTS // len(fc_rows) + 1))[:SLOTS]
    fc.aht_s["voice"] = [aht] * SLOTS
    plan_settings = PlanSettings(target_s=20, target_sl=target_sl, max_occupancy=Fraction(cap),
                                 shrinkage=Fraction(shrinkage))
    rows = plan(fc, plan_settings)
    for calls, row in zip(fc_rows, rows, strict=False):
        if calls == 0:
            assert (row.voice_agents, row.positions) == (0, 0)
            continue
        answer = staff("erlang-c", Traffic(Fraction(calls), Fraction(900), Fraction(aht)), 20, target_sl,
                       Fraction(cap), Fraction(shrinkage))
        assert (row.voice_agents, row.positions) == (answer.agents, answer.positions), (calls, aht, cap)
