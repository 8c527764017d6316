"""``dozvon staffing erlang-c | erlang-a``: figures for a staff, or the staff for a target.

The options and JSON keys are a pinned interface (the analytics issue); see docs/staffing.md.
"""

from __future__ import annotations

import csv
import json
import math
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from dozvon.core.errors import InvalidInput
from dozvon.core.i18n import current_language, h
from dozvon.staffing.erlang import QueueFigures, erlang_a, erlang_c
from dozvon.staffing.plan import Traffic, exact, staff
from dozvon.staffing.week import HistoryRow, PlanRow, PlanSettings, forecast, plan

RU = current_language() == "ru"


app = typer.Typer(
    help=h("Erlang C / Erlang A staffing.", "Расчёт штата по Эрлангу C / Эрлангу A."), no_args_is_help=True
)
console = Console(width=None if sys.stdout.isatty() else 180)

Calls = Annotated[float, typer.Option("--calls", help=h("Contacts per interval.", "Обращений за интервал."))]
Interval = Annotated[float, typer.Option("--interval", help=h("Interval length, s.", "Длина интервала, с."))]
Aht = Annotated[float, typer.Option("--aht", help=h("Average handle time, s.", "Среднее время обработки, с."))]
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
    typer.Option("--max-occupancy", help=h("Occupancy cap, e.g. 0.85.", "Предельная загрузка, например 0.85.")),
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
AsJson = Annotated[bool, typer.Option("--json", help=h("Print one JSON object.", "Вывести один JSON-объект."))]


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

        data["message"] = translate("staffing.unstable", agents=figures.agents, traffic=figures.traffic_erlangs)
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
    from dozvon.cli import reported_errors

    with reported_errors():
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
                figures = erlang_a(agents, traffic.arrival_rate, float(traffic.aht_s), patience or 0.0, target)
            _print(_result(figures, model, None), as_json)
            return
        if target_sl is None:
            raise InvalidInput("staffing.needs_target")
        _check("--target-sl", target_sl, "in (0, 1)", 0 < target_sl < 1)
        answer = staff(model, traffic, target, target_sl, exact(max_occupancy), exact(shrinkage), patience)
        _print(_result(answer.figures, model, answer.positions), as_json)


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


def _history_csv(path: Path) -> list[HistoryRow]:
    """History rows from a CSV: start (ISO date-time), contacts, and optionally channel, aht_s."""
    try:
        handle = path.open(encoding="utf-8", newline="")
    except OSError as error:
        raise InvalidInput("report.unreadable", path=str(path), reason=error.strerror or str(error)) from None
    rows = []
    with handle:
        reader = csv.DictReader(handle)
        found = reader.fieldnames or []
        if "start" not in found or "contacts" not in found:
            raise InvalidInput("week.csv_header", path=str(path), found=", ".join(found) or "—")
        for line, record in enumerate(reader, start=2):
            try:
                start = datetime.fromisoformat(record["start"])
            except (TypeError, ValueError):
                raise InvalidInput(
                    "week.csv_value",
                    path=str(path),
                    line=line,
                    column="start",
                    value=record["start"],
                    rule="an ISO date-time",
                ) from None
            if start.tzinfo is None:
                start = start.replace(tzinfo=UTC)
            values: dict[str, float | None] = {}
            for column in ("contacts", "aht_s"):
                text = (record.get(column) or "").strip()
                if column == "aht_s" and not text:
                    values[column] = None
                    continue
                try:
                    number = float(text)
                    if number < 0 or math.isnan(number):
                        raise ValueError
                except ValueError:
                    raise InvalidInput(
                        "week.csv_value", path=str(path), line=line, column=column, value=text, rule="a number >= 0"
                    ) from None
                values[column] = number
            rows.append(
                HistoryRow(
                    start,
                    (record.get("channel") or "voice").strip() or "voice",
                    values["contacts"] or 0.0,
                    values["aht_s"],
                )
            )
    if not rows:
        raise InvalidInput("week.empty")
    return rows


def _history_log(project: str, tz: str, url: str) -> tuple[list[HistoryRow], float]:
    from dozvon.analytics.sql_kpi import kpi_report, log_span
    from dozvon.core.db import get_engine, session_factory

    with session_factory(get_engine(url))() as session:
        span = log_span(session, [project])
        if span is None:
            raise InvalidInput("week.empty")
        rows = kpi_report(session, [project], span[0], span[1], period="15min", by=("channel",), tz=tz)
    weeks = max(1.0, math.ceil((span[1] - span[0]).total_seconds() / (7 * 86400) - 1e-9))
    return [
        HistoryRow(datetime.fromisoformat(r["period"]), r["channel"] or "voice", r["inbound"], r["aht_s"] or None)
        for r in rows
    ], weeks


@app.command(
    "week-plan",
    help=h(
        "Forecast a week per 15 minutes from history (CSV or the event log) and the operators needed.",
        "Прогноз недели по 15 минут по истории (CSV или журнал событий) и нужное число операторов.",
    ),
)
def week_plan_command(
    history: Annotated[
        Path | None,
        typer.Option(
            "--history",
            help=h("CSV with start,contacts[,channel][,aht_s].", "CSV со столбцами start,contacts[,channel][,aht_s]."),
        ),
    ] = None,
    project: Annotated[
        str | None,
        typer.Option(
            "--project", help=h("Use this project's event log as history.", "Взять историю из журнала событий проекта.")
        ),
    ] = None,
    tz: Annotated[str, typer.Option("--tz", help=h("Time zone of the week.", "Часовой пояс недели."))] = "UTC",
    target: Target = 20.0,
    target_sl: Annotated[
        float, typer.Option("--target-sl", help=h("Service level to reach.", "Требуемый уровень сервиса."))
    ] = 0.8,
    max_occupancy: MaxOcc = 1.0,
    shrinkage: Shrink = 0.0,
    aht: Annotated[
        float,
        typer.Option(
            "--aht",
            help=h(
                "Voice handle time where history has none, s.", "Время обработки звонка, если его нет в истории, с."
            ),
        ),
    ] = 180.0,
    chat_aht: Annotated[
        float,
        typer.Option(
            "--chat-aht",
            help=h("Chat handle time where history has none, s.", "Время обработки чата, если его нет в истории, с."),
        ),
    ] = 600.0,
    chat_target: Annotated[
        float,
        typer.Option(
            "--chat-target", help=h("Target first answer time for chats, s.", "Целевое время ответа в чате, с.")
        ),
    ] = 60.0,
    chat_concurrency: Annotated[
        int,
        typer.Option(
            "--chat-concurrency",
            help=h("Chats one operator carries at once.", "Сколько чатов оператор ведёт одновременно."),
        ),
    ] = 3,
    patience: Annotated[
        float | None,
        typer.Option(
            "--patience",
            help=h(
                "Mean patience, s: use Erlang A instead of Erlang C.", "Среднее терпение, с: Эрланг A вместо Эрланга C."
            ),
        ),
    ] = None,
    out_csv: Annotated[
        Path | None, typer.Option("--csv", help=h("Write the plan as CSV.", "Записать план в CSV."))
    ] = None,
    chart: Annotated[
        Path | None,
        typer.Option(
            "--chart",
            help=h("Write a heat-map of operators needed (HTML).", "Записать тепловую карту потребности (HTML)."),
        ),
    ] = None,
    database_url: Annotated[str | None, typer.Option("--database-url", envvar="DATABASE_URL")] = None,
    as_json: AsJson = False,
) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from dozvon.cli import reported_errors
    from dozvon.core.settings import get_settings

    with reported_errors():
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInput("report.bad_zone", value=tz) from None
        _check("--target-sl", target_sl, "in (0, 1)", 0 < target_sl < 1)
        _check("--max-occupancy", max_occupancy, "in (0, 1]", 0 < max_occupancy <= 1)
        _check("--shrinkage", shrinkage, "in [0, 1)", 0 <= shrinkage < 1)
        _check("--chat-concurrency", chat_concurrency, ">= 1", chat_concurrency >= 1)
        for option, value in (("--aht", aht), ("--chat-aht", chat_aht)):
            _check(option, value, "> 0", value > 0)
        weeks: float | None = None
        if history is not None:
            rows = _history_csv(history)
        elif project is not None:
            rows, weeks = _history_log(project, tz, database_url or get_settings().resolved_database_url())
        else:
            raise InvalidInput("week.no_source")
        fc = forecast(rows, tz, weeks)
        settings = PlanSettings(
            target,
            target_sl,
            exact(max_occupancy),
            exact(shrinkage),
            aht,
            chat_aht,
            chat_target,
            chat_concurrency,
            patience,
        )
        result = plan(fc, settings)
    records = [row._asdict() for row in result]
    if out_csv is not None:
        with out_csv.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(records[0]))
            writer.writeheader()
            writer.writerows(records)
    if chart is not None:
        _week_chart(result, chart)
    if as_json:
        sys.stdout.write(json.dumps({"weeks_of_history": fc.weeks, "intervals": records}, ensure_ascii=False) + "\n")
        return
    _print_week(result)


def _print_week(rows: list[PlanRow]) -> None:
    days = ("Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс") if RU else ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    table = Table(title=h("Operators needed (most in each hour)", "Нужно операторов (максимум за час)"))
    table.add_column("")
    for hour in range(24):
        table.add_column(f"{hour:02d}", justify="right")
    for day in range(7):
        cells = []
        for hour in range(24):
            start = day * 96 + hour * 4
            peak = max(row.agents for row in rows[start : start + 4])
            cells.append(str(peak) if peak else "·")
        table.add_row(days[day], *cells)
    console.print(table)
    total_hours = sum(row.agents for row in rows) / 4
    console.print(
        h(
            f"Operator-hours on the line in the week: {total_hours:,.1f}; positions at the peak: "
            f"{max(row.positions for row in rows)}",
            f"Операторо-часов на линии за неделю: {total_hours:,.1f}; ставок в пик: "
            f"{max(row.positions for row in rows)}",
        )
    )


def _week_chart(rows: list[PlanRow], path: Path) -> None:
    import plotly.graph_objects as go

    days = ("Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс") if RU else ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    grid = [[rows[day * 96 + q].agents for q in range(96)] for day in range(7)]
    labels = [f"{q // 4:02d}:{(q % 4) * 15:02d}" for q in range(96)]
    figure = go.Figure(
        go.Heatmap(
            z=grid, x=labels, y=list(days), colorscale="YlOrRd", colorbar={"title": h("operators", "операторов")}
        )
    )
    figure.update_yaxes(autorange="reversed")
    figure.update_layout(
        title=h("Operators needed per 15 minutes", "Нужно операторов по 15 минут"), template="plotly_white", height=520
    )
    path.write_text(figure.to_html(include_plotlyjs=True, full_html=True), encoding="utf-8")
