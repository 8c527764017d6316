"""``dozvon staffing erlang-c | erlang-a``: figures for a staff, or the staff for a target.

The options and JSON keys are a pinned interface (the analytics issue); see docs/staffing.md.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from dozvon.core.errors import InvalidInput
from dozvon.core.i18n import current_language
from dozvon.staffing.erlang import QueueFigures, erlang_a, erlang_c
from dozvon.staffing.plan import Traffic, exact, staff

RU = current_language() == "ru"


def h(en: str, ru: str) -> str:
    return ru if RU else en


app = typer.Typer(
    help=h("Erlang C / Erlang A staffing.", "Расчёт штата по Эрлангу C / Эрлангу A."), no_args_is_help=True
)
console = Console(width=None if sys.stdout.isatty() else 120)

Calls = Annotated[float, typer.Option("--calls", help=h("Contacts per interval.", "Обращений за интервал."))]
Interval = Annotated[float, typer.Option("--interval", help=h("Interval length, s.", "Длина интервала, с."))]
Aht = Annotated[
    float, typer.Option("--aht", help=h("Average handle time, s.", "Среднее время обработки, с."))
]
Agents = Annotated[
    int | None,
    typer.Option(
        "--agents",
        help=h(
            "Operators on the line (figures for this staff).",
            "Операторов на линии (показатели для этого штата).",
        ),
    ),
]
Target = Annotated[
    float,
    typer.Option(
        "--target",
        help=h("Target answer time for the service level, s.", "Целевое время ответа для уровня сервиса, с."),
    ),
]
TargetSl = Annotated[
    float | None,
    typer.Option(
        "--target-sl", help=h("Service level to reach, e.g. 0.8.", "Требуемый уровень сервиса, например 0.8.")
    ),
]
MaxOcc = Annotated[
    float,
    typer.Option(
        "--max-occupancy", help=h("Occupancy cap, e.g. 0.85.", "Предельная загрузка, например 0.85.")
    ),
]
Shrink = Annotated[
    float,
    typer.Option(
        "--shrinkage",
        help=h(
            "Share of paid time off the phones (breaks, training), e.g. 0.3.",
            "Доля оплачиваемого времени вне линии (перерывы, обучение), например 0.3.",
        ),
    ),
]
AsJson = Annotated[
    bool, typer.Option("--json", help=h("Print one JSON object.", "Вывести один JSON-объект."))
]


def _check(option: str, value: float, rule: str, ok: bool) -> None:
    if not ok or math.isnan(value):
        raise InvalidInput("staffing.bad_value", option=option, rule=rule, value=value)


def _traffic(calls: float, interval: float, aht: float) -> Traffic:
    _check("--calls", calls, ">= 0", calls >= 0)
    _check("--interval", interval, "> 0", interval > 0)
    _check("--aht", aht, "> 0", aht > 0)
    return Traffic(exact(calls), exact(interval), exact(aht))


def _result(figures: QueueFigures, model: str, positions: int | None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "traffic_erlangs": figures.traffic_erlangs,
        "agents": figures.agents,
        "p_wait": figures.p_wait,
        "asa_s": figures.asa_s if math.isfinite(figures.asa_s) else None,
        "service_level": figures.service_level,
        "occupancy": figures.occupancy,
        "stable": figures.stable,
    }
    if model == "erlang-a":
        data["p_abandon"] = figures.p_abandon
    if positions is not None:
        data["positions"] = positions
    if not figures.stable:
        from dozvon.core.i18n import translate

        data["message"] = translate(
            "staffing.unstable", agents=figures.agents, traffic=figures.traffic_erlangs
        )
    return data


def _print(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
        return
    labels = {
        "traffic_erlangs": h("traffic, Erlangs", "нагрузка, Эрл"),
        "agents": h("agents", "операторов на линии"),
        "positions": h("positions to schedule", "ставок в графике"),
        "p_wait": "P(wait)",
        "p_abandon": h("P(abandon)", "доля потерянных"),
        "asa_s": "ASA, s",
        "service_level": h("service level", "уровень сервиса"),
        "occupancy": h("occupancy", "загрузка"),
    }
    table = Table(show_header=False)
    table.add_column()
    table.add_column(justify="right")
    for key, label in labels.items():
        if key in data:
            value = data[key]
            text = "∞" if value is None else (f"{value:.4f}" if isinstance(value, float) else str(value))
            table.add_row(label, text)
    console.print(table)
    if "message" in data:
        console.print(f"[bold yellow]{data['message']}[/]")


def _run(
    model: str,
    calls: float,
    interval: float,
    aht: float,
    agents: int | None,
    target: float,
    target_sl: float | None,
    max_occupancy: float,
    shrinkage: float,
    patience: float | None,
    as_json: bool,
) -> None:
    from dozvon.cli import fail

    try:
        traffic = _traffic(calls, interval, aht)
        _check("--target", target, ">= 0", target >= 0)
        _check("--max-occupancy", max_occupancy, "in (0, 1]", 0 < max_occupancy <= 1)
        _check("--shrinkage", shrinkage, "in [0, 1)", 0 <= shrinkage < 1)
        if patience is not None:
            _check("--patience", patience, "> 0", patience > 0)
        if agents is not None:
            _check("--agents", agents, ">= 1", agents >= 1)
            if model == "erlang-c":
                figures = erlang_c(agents, float(traffic.erlangs), float(traffic.aht_s), target)
            else:
                figures = erlang_a(
                    agents, traffic.arrival_rate, float(traffic.aht_s), patience or 0.0, target
                )
            _print(_result(figures, model, None), as_json)
            return
        if target_sl is None:
            raise InvalidInput("staffing.needs_target")
        _check("--target-sl", target_sl, "in (0, 1)", 0 < target_sl < 1)
        answer = staff(model, traffic, target, target_sl, exact(max_occupancy), exact(shrinkage), patience)
        _print(_result(answer.figures, model, answer.positions), as_json)
    except InvalidInput as error:
        fail(error)


@app.command("erlang-c", help=h("M/M/n: no abandonment.", "M/M/n: без потерь из очереди."))
def erlang_c_command(
    calls: Calls,
    interval: Interval,
    aht: Aht,
    agents: Agents = None,
    target: Target = 20.0,
    target_sl: TargetSl = None,
    max_occupancy: MaxOcc = 1.0,
    shrinkage: Shrink = 0.0,
    as_json: AsJson = False,
) -> None:
    _run("erlang-c", calls, interval, aht, agents, target, target_sl, max_occupancy, shrinkage, None, as_json)


@app.command(
    "erlang-a",
    help=h(
        "M/M/n+M: customers abandon after an exponential patience.",
        "M/M/n+M: клиенты уходят, не дождавшись (экспоненциальное терпение).",
    ),
)
def erlang_a_command(
    calls: Calls,
    interval: Interval,
    aht: Aht,
    patience: Annotated[
        float,
        typer.Option("--patience", help=h("Customers' mean patience, s.", "Среднее терпение клиента, с.")),
    ],
    agents: Agents = None,
    target: Target = 20.0,
    target_sl: TargetSl = None,
    max_occupancy: MaxOcc = 1.0,
    shrinkage: Shrink = 0.0,
    as_json: AsJson = False,
) -> None:
    _run(
        "erlang-a",
        calls,
        interval,
        aht,
        agents,
        target,
        target_sl,
        max_occupancy,
        shrinkage,
        patience,
        as_json,
    )


__all__ = ["app"]
