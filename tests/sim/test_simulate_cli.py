"""``dozvon simulate SCENARIO [--json]``: the pinned interface, run as a real command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

EXAMPLE = Path(__file__).resolve().parents[2] / "dozvon" / "examples" / "call-center.yaml"
KPI_KEYS = {"car", "lcr", "p_wait", "asa_s", "service_level", "aht_s", "occupancy", "rona"}
AGENT_KEYS = {"answered", "offers", "rona", "handle_s", "max_concurrent"}

SMALL = {
    "seed": 7,
    "duration_s": 7200,
    "warmup_s": 600,
    "queues": [{"name": "sales", "strategy": "round_robin", "offer_timeout_s": 20, "target_answer_s": 20}],
    "agents": [
        {
            "name": "op",
            "count": 4,
            "queues": ["sales"],
            "capacity": {"voice": 1, "chat": 5},
            "answer_delay_s": 2,
            "answer_probability": 0.9,
            "wrap_up_s": 10,
        },
        {"name": "boss", "queues": ["sales"]},
    ],
    "traffic": [
        {
            "queue": "sales",
            "channel": "voice",
            "arrivals_per_hour": 60,
            "handle_time_s": {"dist": "exponential", "mean": 240},
            "patience_s": {"dist": "exponential", "mean": 120},
        }
    ],
}


def dozvon(*args: str, lang: str = "en") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DOZVON_LANG": lang}
    return subprocess.run(
        [sys.executable, "-m", "dozvon", *args], capture_output=True, text=True, env=env, timeout=120
    )


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(SMALL), encoding="utf-8")
    return path


def test_json_output_has_every_pinned_key(small: Path):
    result = dozvon("simulate", str(small), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {"offered", "answered", "abandoned", "kpi", "queues", "agents", "contacts_per_s"} <= set(data)
    assert set(data["kpi"]) >= KPI_KEYS
    assert set(data["queues"]["sales"]) >= KPI_KEYS
    assert set(data["agents"]) == {"op1", "op2", "op3", "op4", "boss"}
    assert all(set(a) >= AGENT_KEYS for a in data["agents"].values())
    assert data["offered"] == data["answered"] + data["abandoned"]  # every contact ran to its end
    assert data["unfinished"] == 0
    assert data["kpi"]["rona"] == sum(a["rona"] for a in data["agents"].values()) > 0
    assert max(a["max_concurrent"] for a in data["agents"].values()) == 1
    assert data["contacts_per_s"] > 0


def test_same_seed_gives_the_same_figures_and_another_seed_does_not(small: Path, tmp_path: Path):
    first = json.loads(dozvon("simulate", str(small), "--json").stdout)
    second = json.loads(dozvon("simulate", str(small), "--json").stdout)
    for data in (first, second):
        data.pop("contacts_per_s"), data.pop("wall_s")
    assert first == second
    other = tmp_path / "other.json"
    other.write_text(json.dumps({**SMALL, "seed": 8}), encoding="utf-8")
    third = json.loads(dozvon("simulate", str(other), "--json").stdout)
    assert third["offered"] != first["offered"] or third["kpi"] != first["kpi"]


def test_contacts_arriving_during_warm_up_are_not_counted(tmp_path: Path):
    results = {}
    for warmup in (0, 1800):
        path = tmp_path / f"warm{warmup}.yaml"
        path.write_text(yaml.safe_dump({**SMALL, "warmup_s": warmup}), encoding="utf-8")
        results[warmup] = json.loads(dozvon("simulate", str(path), "--json").stdout)
    cold, warm = results[0], results[1800]
    assert cold["offered"] == cold["contacts_simulated"]
    assert warm["contacts_simulated"] == cold["contacts_simulated"]  # same traffic (same seed)
    assert 0 < warm["offered"] < cold["offered"]


def test_the_bundled_scenario_prints_a_table_in_english_and_in_russian():
    english = dozvon("simulate", str(EXAMPLE))
    assert english.returncode == 0, english.stderr
    assert "CAR" in english.stdout and "total" in english.stdout and "support" in english.stdout
    russian = dozvon("simulate", str(EXAMPLE), lang="ru")
    assert "итого" in russian.stdout and "Смоделировано" in russian.stdout


@pytest.mark.parametrize(
    ("content", "expected_en", "expected_ru"),
    [
        (
            "seed: 1\nduration_s: 100\nqueues: [{name: a}]\nagents: [{name: x, queues: [b]}]\n",
            "unknown queue 'b'",
            "содержит ошибки",
        ),
        ("seed: 1\nduration_s: -1\nqueues: [{name: a}]\n", "duration_s", "duration_s"),
        ("seed: [1\n", "not valid YAML", "некорректный YAML"),
        (
            "seed: 1\nduration_s: 100\nqueues: [{name: a}]\ntraffic: [{queue: a, channel: pigeon, arrivals_per_hour: 5, "
            "handle_time_s: 60}]\n",
            "pigeon",
            "pigeon",
        ),
    ],
)
def test_bad_scenarios_get_a_clear_located_message_and_no_stack_trace(
    tmp_path: Path, content: str, expected_en: str, expected_ru: str
):
    path = tmp_path / "bad.yaml"
    path.write_text(content, encoding="utf-8")
    for lang, expected in (("en", expected_en), ("ru", expected_ru)):
        result = dozvon("simulate", str(path), "--json", lang=lang)
        assert result.returncode == 2
        assert expected in result.stderr
        assert "Traceback" not in result.stderr and result.stdout == ""


def test_every_problem_of_a_scenario_is_listed_at_once(tmp_path: Path):
    path = tmp_path / "two.yaml"
    path.write_text("seed: 1\nduration_s: 3600\nqueues: [{name: sales, strategy: fastest}]\n"
                    "agents: [{name: op, queues: [sales], answer_probability: 2}]\n", encoding="utf-8")
    result = dozvon("simulate", str(path))
    assert result.returncode == 2
    assert "queues.0.strategy" in result.stderr and "fastest" in result.stderr
    assert "agents.0.answer_probability" in result.stderr


def test_a_missing_file_is_reported_not_raised(tmp_path: Path):
    result = dozvon("simulate", str(tmp_path / "nope.yaml"))
    assert result.returncode == 2 and "cannot read" in result.stderr and "Traceback" not in result.stderr


def test_replications_keep_the_pinned_keys_as_means_and_add_a_95_percent_interval_per_kpi(small: Path):
    result = dozvon("simulate", str(small), "--replications", "4", "--jobs", "2", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {"offered", "answered", "abandoned", "kpi", "queues", "agents", "contacts_per_s"} <= set(data)
    assert (data["replications"], data["jobs"], data["seeds"]) == (4, 2, [7, 8, 9, 10])
    ci95 = data["kpi"]["ci95"]
    assert set(ci95) == set(data["kpi"]) - {"ci95"} and set(ci95) >= KPI_KEYS
    for key, (low, high) in ci95.items():
        assert low <= data["kpi"][key] <= high, key
    assert ci95["service_level"][0] < ci95["service_level"][1]  # four different days do differ
    assert set(data["agents"]) == {"op1", "op2", "op3", "op4", "boss"}
    one = json.loads(dozvon("simulate", str(small), "--json").stdout)
    assert "ci95" not in one["kpi"] and "replications" not in one  # one run stays one run


def test_replications_print_the_interval_table_in_both_languages_and_refuse_zero(small: Path):
    english = dozvon("simulate", str(small), "--replications", "2")
    assert english.returncode == 0 and "95% confidence interval" in english.stdout, english.stderr
    russian = dozvon("simulate", str(small), "--replications", "2", lang="ru")
    assert "доверительный интервал" in russian.stdout and "среднее" in russian.stdout
    zero = dozvon("simulate", str(small), "--replications", "0")
    assert zero.returncode == 2 and "Traceback" not in zero.stderr
