"""``dozvon report kpi``: table, JSON, CSV, XLSX and the offline chart, from a real database."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

SAMPLE = Path(__file__).with_name("sample_queue_log.txt")


def dozvon(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dozvon", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env})


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/dozvon.db", "DOZVON_LANG": "en"}
    assert dozvon("import", "queue-log", str(SAMPLE), "--project", "pbx", env=env).returncode == 0
    return env


def test_json_rows_are_per_period_and_cut_in_the_requested_time_zone(env):
    result = dozvon("report", "kpi", "--project", "pbx", "--period", "hour", "--by", "queue", "--tz",
                    "Europe/Moscow", "--json", env=env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [(r["period"], r["queue"]) for r in data["rows"]] == [
        ("2026-01-05T11:00:00+03:00", "sales"), ("2026-01-05T11:00:00+03:00", "support")]
    assert data["rows"][0]["offered"] == 5


def test_csv_and_xlsx_hold_the_same_figures_with_titles_in_the_readers_language(env, tmp_path: Path):
    out_csv, out_xlsx = tmp_path / "kpi.csv", tmp_path / "kpi.xlsx"
    result = dozvon("report", "kpi", "--project", "pbx", "--period", "all", "--by", "queue", "--csv", str(out_csv),
                    "--xlsx", str(out_xlsx), env={**env, "DOZVON_LANG": "ru"})
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(out_csv.open(encoding="utf-8")))
    assert rows[0]["очередь"] == "sales" and rows[0]["поступило в очередь"] == "5"
    sheet = load_workbook(out_xlsx).active
    header = [c.value for c in sheet[1]]
    assert "уровень сервиса" in header
    sl = header.index("уровень сервиса")
    assert sheet.cell(row=2, column=sl + 1).value == pytest.approx(0.4)
    assert sheet.cell(row=2, column=sl + 1).number_format == "0.0%"


def test_the_chart_is_a_self_contained_html_file(env, tmp_path: Path):
    chart = tmp_path / "kpi.html"
    result = dozvon("report", "kpi", "--project", "pbx", "--period", "hour", "--chart", str(chart), env=env)
    assert result.returncode == 0, result.stderr
    html = chart.read_text(encoding="utf-8")
    assert "Hot hours" in html and "cdn.plot.ly" not in html.split("<body>")[0] and len(html) > 1_000_000


def test_bad_options_are_clear_errors(env):
    for args, expected in ((("--period", "fortnight"), "fortnight"), (("--by", "colour"), "colour"),
                           (("--tz", "Mars/Base"), "Mars/Base"), (("--since", "yesterday"), "yesterday")):
        result = dozvon("report", "kpi", "--project", "pbx", *args, env=env)
        assert result.returncode == 2 and expected in result.stderr and "Traceback" not in result.stderr


def test_an_empty_project_says_so(env):
    result = dozvon("report", "kpi", "--project", "nobody", env=env)
    assert result.returncode == 0 and "no events" in result.stdout


def _row(start: str, end: str, **kpi) -> dict:
    return {"period": start, "period_end": end, "offered": 8, "service_level": 0.4, "car": 0.5, "asa_s": 15.0, **kpi}


def test_a_single_period_is_one_named_bar_with_room_around_it_and_shares_run_0_to_100_percent():
    from datetime import datetime

    from dozvon.analytics.export import chart_figure

    day = 86_400_000
    figure = chart_figure([_row("2026-01-05T00:00:00+03:00", "2026-01-06T00:00:00+03:00")], [], "Europe/Moscow",
                          None, "one day")
    layout = figure.layout
    for axis in (layout.xaxis, layout.xaxis2):  # SL/CAR and contacts/ASA
        assert [datetime.fromisoformat(str(x)) for x in axis.range] == [datetime(2026, 1, 4), datetime(2026, 1, 7)]
        assert list(axis.ticktext) == ["2026-01-05"]
        assert [datetime.fromisoformat(str(x)) for x in axis.tickvals] == [datetime(2026, 1, 5, 12)]
    (bar,) = [t for t in figure.data if t.type == "bar"]
    assert list(bar.width) == [0.8 * day] and list(bar.offset) == [-0.4 * day]  # a day's bar, centred on it
    assert tuple(layout.yaxis.range) == (0, 1) and layout.yaxis.tickformat == ".0%"
    assert layout.yaxis2.rangemode == "tozero" and layout.yaxis3.rangemode == "tozero"
    assert all(t.mode == "lines+markers" for t in figure.data if t.type == "scatter")  # one point is still seen


def test_several_periods_and_cuts_share_each_period_and_an_all_period_is_named_in_local_time():
    from datetime import datetime

    from dozvon.analytics.export import chart_figure

    hour = 3_600_000
    rows = [_row(f"2026-01-05T{h:02d}:00:00+03:00", f"2026-01-05T{h + 1:02d}:00:00+03:00", queue=q)
            for h in (9, 10, 11) for q in ("sales", "support")]
    figure = chart_figure(rows, [], "Europe/Moscow", "queue", "hours")
    bars = [t for t in figure.data if t.type == "bar"]
    assert [list(b.width) for b in bars] == [[0.4 * hour] * 3] * 2  # two queues side by side in 80 % of each hour
    assert [b.offset[0] for b in bars] == [-0.4 * hour, 0.0]
    assert [datetime.fromisoformat(str(x)) for x in figure.layout.xaxis.range] == [
        datetime(2026, 1, 5, 9), datetime(2026, 1, 5, 12)]
    assert list(figure.layout.xaxis.ticktext) == ["2026-01-05 09:00–10:00", "2026-01-05 10:00–11:00",
                                                  "2026-01-05 11:00–12:00"]
    assert tuple(figure.layout.yaxis.range) == (0, 1)
    # --period all over the log's span, in UTC: shown in the project's time.
    whole = chart_figure([_row("2026-01-05T08:00:00+00:00", "2026-01-05T10:30:00+00:00")], [], "Europe/Moscow",
                         None, "all")
    assert list(whole.layout.xaxis.ticktext) == ["2026-01-05 11:00 – 2026-01-05 13:30"]
