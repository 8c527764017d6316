"""``dozvon report …`` and ``dozvon import …``: KPIs from a PBX's history or the event log."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from dozvon.core.errors import InvalidInput
from dozvon.core.i18n import current_language, h, translate

RU = current_language() == "ru"


report_app = typer.Typer(help=h("KPI reports.", "Отчёты по KPI."), no_args_is_help=True)
import_app = typer.Typer(
    help=h("Import history from other systems.", "Импорт истории из других систем."), no_args_is_help=True
)
console = Console(width=None if sys.stdout.isatty() else 160)

AsJson = Annotated[bool, typer.Option("--json", help=h("Print one JSON object.", "Вывести один JSON-объект."))]
DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar="DATABASE_URL",
        help=h(
            "Database URL (default: SQLite in the data folder).",
            "URL базы данных (по умолчанию SQLite в папке данных).",
        ),
    ),
]
Project = Annotated[str, typer.Option("--project", help=h("Project (tenant).", "Проект (клиент)."))]


def _lines(path: Path) -> Iterator[str]:
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            yield from handle
    except OSError as error:
        raise InvalidInput("report.unreadable", path=str(path), reason=error.strerror or str(error)) from None


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def _kpi_table(title: str, rows: dict[str, dict[str, Any]], total: dict[str, Any]) -> Table:
    table = Table(title=title)
    columns = [
        ("offered", h("offered", "поступило")),
        ("answered", h("answered", "отвечено")),
        ("abandoned", h("abandoned", "брошено")),
        ("car", "CAR"),
        ("lcr", "LCR"),
        ("asa_s", "ASA, s"),
        ("service_level", "SL"),
        ("aht_s", "AHT, s"),
        ("avg_abandon_s", h("avg abandon, s", "ср. до ухода, с")),
    ]
    table.add_column(h("queue", "очередь"))
    for _, label in columns:
        table.add_column(label, justify="right")

    def cells(data: dict[str, Any]) -> list[str]:
        out = []
        for key, _ in columns:
            value = data[key]
            if key in ("car", "lcr", "service_level"):
                out.append(_pct(value))
            elif isinstance(value, float):
                out.append(f"{value:.1f}")
            else:
                out.append(str(value))
        return out

    for name, data in rows.items():
        table.add_row(name, *cells(data))
    table.add_row(h("total", "итого"), *cells(total), style="bold")
    return table


@report_app.command(
    "queue-log",
    help=h(
        "KPIs of an Asterisk queue_log, per queue and in total.",
        "KPI по журналу очередей Asterisk (queue_log): по очередям и в целом.",
    ),
)
def report_queue_log(
    file: Annotated[Path, typer.Argument(help=h("The queue_log file.", "Файл queue_log."))],
    as_json: AsJson = False,
    target_answer: Annotated[
        float,
        typer.Option(
            "--target-answer",
            help=h("Service-level target answer time, s.", "Целевое время ответа для уровня сервиса, с."),
        ),
    ] = 20.0,
    short_abandon: Annotated[
        float,
        typer.Option(
            "--short-abandon",
            help=h("Abandons faster than this are short, s.", "Уход быстрее этого считается коротким, с."),
        ),
    ] = 5.0,
) -> None:
    from dozvon.analytics.queue_log import report
    from dozvon.cli import reported_errors

    with reported_errors():
        result = report(_lines(file), target_answer, short_abandon).as_dict()
    if as_json:
        sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
        return
    console.print(_kpi_table(f"queue_log: {file}", result["queues"], result["total"]))
    _print_problems(result["problems"])


def _print_problems(problems: list[dict[str, Any]]) -> None:
    if not problems:
        return
    console.print(f"[yellow]{translate('report.malformed', count=len(problems))}[/]", highlight=False)
    for problem in problems[:20]:
        console.print(f"  {h('line', 'строка')} {problem['line']}: {problem['reason']}", highlight=False)
    if len(problems) > 20:
        console.print(f"  … (+{len(problems) - 20})")


@import_app.command(
    "queue-log",
    help=h("Load an Asterisk queue_log into the event log.", "Загрузить журнал очередей Asterisk в журнал событий."),
)
def import_queue_log_command(
    file: Annotated[Path, typer.Argument(help=h("The queue_log file.", "Файл queue_log."))],
    project: Project = "default",
    database_url: DatabaseUrl = None,
) -> None:
    from dozvon.acd.service import RouterService
    from dozvon.analytics.queue_log_import import import_queue_log
    from dozvon.cli import reported_errors
    from dozvon.core.db import get_engine, upgrade
    from dozvon.core.settings import get_settings

    url = database_url or get_settings().resolved_database_url()
    with reported_errors():
        upgrade(url)
        result = import_queue_log(RouterService(get_engine(url), project), _lines(file))
    console.print(translate("report.imported", contacts=result.contacts, events=result.events, project=project))
    _print_problems([{"line": p.line, "reason": p.reason} for p in result.problems])


@report_app.command(
    "kpi",
    help=h(
        "KPIs from the event log by period and cut, as a table, JSON, CSV, XLSX or an HTML chart.",
        "KPI по журналу событий по периодам и разрезам: таблица, JSON, CSV, XLSX или HTML-график.",
    ),
)
def report_kpi(
    project: Annotated[
        list[str] | None,
        typer.Option("--project", help=h("Project(s) (tenants); repeat for several.", "Проект(ы); можно повторять.")),
    ] = None,
    period: Annotated[str, typer.Option("--period", help="15min | hour | day | week | month | all")] = "day",
    by: Annotated[
        list[str] | None,
        typer.Option(
            "--by",
            help=h(
                "Cut: project, queue, channel, operator, source, segment; repeat for several.",
                "Разрез: project, queue, channel, operator, source, segment; можно повторять.",
            ),
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help=h(
                "From (ISO date/time; default: the start of the log).",
                "С (дата/время ISO; по умолчанию начало журнала).",
            ),
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(
            "--until",
            help=h("Until, exclusive (default: the end of the log).", "По, не включая (по умолчанию конец журнала)."),
        ),
    ] = None,
    tz: Annotated[str, typer.Option("--tz", help=h("Time zone of the periods.", "Часовой пояс периодов."))] = "UTC",
    target_answer: Annotated[
        float,
        typer.Option(
            "--target-answer",
            help=h(
                "Target answer time for queues without their own, s.",
                "Целевое время ответа для очередей без своего, с.",
            ),
        ),
    ] = 20.0,
    csv_path: Annotated[
        Path | None,
        typer.Option("--csv", help=h("Write CSV here ('-': stdout).", "Записать CSV сюда ('-': в stdout).")),
    ] = None,
    xlsx_path: Annotated[
        Path | None, typer.Option("--xlsx", help=h("Write an Excel file here.", "Записать файл Excel сюда."))
    ] = None,
    chart_path: Annotated[
        Path | None,
        typer.Option(
            "--chart",
            help=h(
                "Write an HTML chart here (trends and hot hours; works offline).",
                "Записать HTML-график сюда (тренды и горячие часы; работает без интернета).",
            ),
        ),
    ] = None,
    database_url: DatabaseUrl = None,
    as_json: AsJson = False,
) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from dozvon.analytics import export
    from dozvon.analytics.sql_kpi import kpi_report, log_span
    from dozvon.analytics.task_kpi import CUTS as TASK_CUTS
    from dozvon.analytics.task_kpi import task_report
    from dozvon.cli import reported_errors
    from dozvon.core.db import get_engine, session_factory
    from dozvon.core.settings import get_settings

    projects = project or [get_settings().project]
    cuts = tuple(by or ())
    url = database_url or get_settings().resolved_database_url()
    with reported_errors():
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInput("report.bad_zone", value=tz) from None
        with session_factory(get_engine(url))() as session:
            span = log_span(session, projects)
            if span is None:
                console.print(translate("report.no_events", project=", ".join(projects)))
                return
            start = _moment(since, tz) if since else span[0]
            end = _moment(until, tz) if until else span[1]
            rows = kpi_report(
                session, projects, start, end, period=period, by=cuts, tz=tz, default_target_s=target_answer
            )
            tasks = task_report(session, projects, start, end, period=period,
                                by=tuple(c for c in cuts if c in TASK_CUTS), tz=tz)
            if not chart_path:
                hourly = []
            elif period == "hour" and not cuts:
                hourly = rows  # the heat-map needs exactly these rows: do not query them twice
            else:
                hourly = kpi_report(session, projects, start, end, period="hour", tz=tz,
                                    default_target_s=target_answer)
    if csv_path is not None:
        if str(csv_path) == "-":
            export.write_csv(rows, sys.stdout)
        else:
            with csv_path.open("w", encoding="utf-8", newline="") as handle:
                export.write_csv(rows, handle)
    if xlsx_path is not None:
        export.write_xlsx(rows, xlsx_path)
    if chart_path is not None:
        export.write_chart(
            rows,
            hourly,
            chart_path,
            tz,
            cuts[0] if cuts else None,
            h(f"Dozvon KPIs — {', '.join(projects)}", f"KPI Дозвона — {', '.join(projects)}"),
        )
    if as_json:
        sys.stdout.write(
            json.dumps({"period": period, "by": list(cuts), "tz": tz, "rows": rows, "tasks": tasks},
                       ensure_ascii=False) + "\n"
        )
    elif str(csv_path) != "-":
        console.print(_rows_table(rows, cuts))
        if tasks:
            console.print(_tasks_table(tasks, tuple(c for c in cuts if c in TASK_CUTS)))


def _tasks_table(rows: list[dict[str, Any]], cuts: tuple[str, ...]) -> Table:
    """Tasks with deadlines per period: given, done (late), cancelled, overdue, time to done."""
    table = Table(title=h("Tasks", "Задачи"))
    for title in (h("period", "период"), *cuts, h("given", "поставлено"), h("done", "выполнено"),
                  h("late", "с опозданием"), h("cancelled", "отменено"), h("overdue", "просрочено"),
                  h("time to done", "время до выполнения")):
        table.add_column(title)
    for row in rows:
        took = row["time_to_done_s"]
        table.add_row(row["period"], *[str(row[c] or "—") for c in cuts], str(row["created"]), str(row["done"]),
                      str(row["done_late"]), str(row["cancelled"]), str(row["overdue"]),
                      "—" if took is None else h(f"{took / 3600:.1f} h", f"{took / 3600:.1f} ч"))
    return table


def _moment(text: str, tz: str) -> Any:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput("report.bad_time", value=text) from None
    return value if value.tzinfo else value.replace(tzinfo=ZoneInfo(tz))


def _rows_table(rows: list[dict[str, Any]], cuts: tuple[str, ...]) -> Table:
    table = Table()
    keys = [
        "period",
        *cuts,
        "inbound",
        "offered",
        "answered",
        "abandoned",
        "car",
        "lcr",
        "p_wait",
        "asa_s",
        "service_level",
        "aht_s",
        "occupancy",
        "fcr",
        "rona",
    ]
    titles = dict(_titles())
    for key in keys:
        table.add_column(titles.get(key, key), justify="left" if key in ("period", *cuts) else "right")
    for row in rows:
        cells = []
        for key in keys:
            value = row.get(key)
            if key == "period":
                cells.append(str(value)[:16].replace("T", " "))
            elif key in ("car", "lcr", "p_wait", "service_level", "occupancy", "fcr"):
                cells.append("—" if value is None else _pct(value))
            elif isinstance(value, float):
                cells.append(f"{value:.1f}")
            else:
                cells.append("—" if value is None else str(value))
        table.add_row(*cells)
    return table


def _titles() -> list[tuple[str, str]]:
    from dozvon.analytics.export import COLUMNS

    return [(key, ru if RU else en) for key, en, ru in COLUMNS]
