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
