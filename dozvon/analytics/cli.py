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

from dozvon.core.errors import DozvonError, InvalidInput
from dozvon.core.i18n import current_language, register, translate

RU = current_language() == "ru"


def h(en: str, ru: str) -> str:
    return ru if RU else en


register("report.unreadable", "Cannot read {path}: {reason}", "Не удаётся прочитать {path}: {reason}")
register("report.malformed", "{count} malformed line(s) skipped:", "Пропущено некорректных строк: {count}:")
register("report.imported", "Imported {contacts} calls ({events} events) into project {project!r}",
         "Импортировано звонков: {contacts} (событий: {events}) в проект {project!r}")
register("report.no_events", "Project {project!r} has no events in this period",
         "В проекте {project!r} нет событий за этот период")

report_app = typer.Typer(help=h("KPI reports.", "Отчёты по KPI."), no_args_is_help=True)
import_app = typer.Typer(help=h("Import history from other systems.", "Импорт истории из других систем."),
                         no_args_is_help=True)
console = Console(width=None if sys.stdout.isatty() else 160)

AsJson = Annotated[bool, typer.Option("--json", help=h("Print one JSON object.", "Вывести один JSON-объект."))]
DatabaseUrl = Annotated[str | None, typer.Option("--database-url", envvar="DATABASE_URL", help=h(
    "Database URL (default: SQLite in the data folder).", "URL базы данных (по умолчанию SQLite в папке данных)."))]
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
    columns = [("offered", h("offered", "поступило")), ("answered", h("answered", "отвечено")),
               ("abandoned", h("abandoned", "брошено")), ("car", "CAR"), ("lcr", "LCR"), ("asa_s", "ASA, s"),
               ("service_level", "SL"), ("aht_s", "AHT, s"), ("avg_abandon_s", h("avg abandon, s", "ср. до ухода, с"))]
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


@report_app.command("queue-log", help=h("KPIs of an Asterisk queue_log, per queue and in total.",
                                        "KPI по журналу очередей Asterisk (queue_log): по очередям и в целом."))
def report_queue_log(
    file: Annotated[Path, typer.Argument(help=h("The queue_log file.", "Файл queue_log."))],
    as_json: AsJson = False,
    target_answer: Annotated[float, typer.Option("--target-answer", help=h(
        "Service-level target answer time, s.", "Целевое время ответа для уровня сервиса, с."))] = 20.0,
    short_abandon: Annotated[float, typer.Option("--short-abandon", help=h(
        "Abandons faster than this are short, s.", "Уход быстрее этого считается коротким, с."))] = 5.0,
) -> None:
    from dozvon.analytics.queue_log import report
    from dozvon.cli import fail

    try:
        result = report(_lines(file), target_answer, short_abandon).as_dict()
    except DozvonError as error:
        fail(error)
        return
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


@import_app.command("queue-log", help=h("Load an Asterisk queue_log into the event log.",
                                        "Загрузить журнал очередей Asterisk в журнал событий."))
def import_queue_log_command(
    file: Annotated[Path, typer.Argument(help=h("The queue_log file.", "Файл queue_log."))],
    project: Project = "default",
    database_url: DatabaseUrl = None,
) -> None:
    from dozvon.analytics.queue_log_import import import_queue_log
    from dozvon.cli import fail
    from dozvon.core.db import get_engine, session_factory, upgrade
    from dozvon.core.settings import get_settings

    url = database_url or get_settings().resolved_database_url()
    try:
        upgrade(url)
        with session_factory(get_engine(url)).begin() as session:
            result = import_queue_log(session, project, _lines(file))
    except DozvonError as error:
        fail(error)
        return
    except Exception as error:  # the driver's own errors: unreachable server, bad credentials
        fail(error)
        return
    console.print(translate("report.imported", contacts=result.contacts, events=result.events, project=project))
    _print_problems([{"line": p.line, "reason": p.reason} for p in result.problems])


@report_app.command("kpi", help=h("KPIs of a project from the event log.", "KPI проекта по журналу событий."))
def report_kpi(
    project: Project = "default",
    database_url: DatabaseUrl = None,
    as_json: AsJson = False,
    target_answer: Annotated[float, typer.Option("--target-answer", help=h(
        "Service-level target answer time, s.", "Целевое время ответа для уровня сервиса, с."))] = 20.0,
) -> None:
    from dozvon.analytics.eventlog_kpi import kpis_from_log
    from dozvon.cli import fail
    from dozvon.core.db import get_engine, session_factory
    from dozvon.core.settings import get_settings

    url = database_url or get_settings().resolved_database_url()
    try:
        with session_factory(get_engine(url))() as session:
            result = kpis_from_log(session, project, target_answer)
    except DozvonError as error:
        fail(error)
        return
    except Exception as error:
        fail(error)
        return
    if as_json:
        sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
        return
    if not result["total"]["inbound"]:
        console.print(translate("report.no_events", project=project))
        return
    console.print(_kpi_table(h(f"Project {project}", f"Проект {project}"), result["queues"], result["total"]))
