"""The ``dozvon`` command. Help and messages in Russian or English (DOZVON_LANG / LANG).

Errors a person can fix (a bad scenario, an unreachable database) are printed as one
clear message with exit code 2, never as a stack trace.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from dozvon import __version__
from dozvon.core.errors import DozvonError
from dozvon.core.i18n import h, translate

app = typer.Typer(
    name="dozvon",
    help=h("Dozvon — open-source omnichannel contact center.",
           "Дозвон — омниканальный контакт-центр с открытым кодом."),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)
db_app = typer.Typer(help=h("Database schema and maintenance.", "Схема и обслуживание базы данных."),
                     no_args_is_help=True)
app.add_typer(db_app, name="db")


def _register_subcommands() -> None:
    from dozvon.analytics.cli import import_app, report_app
    from dozvon.channels.cli import channel_app
    from dozvon.crm.cli import customers_app, orders_app, project_app
    from dozvon.knowledge.cli import kb_app
    from dozvon.quality import evaluation_cli  # noqa: F401  (its commands join qa_app)
    from dozvon.quality.cli import qa_app
    from dozvon.server import cli as server_cli
    from dozvon.staffing.cli import app as staffing_app

    app.add_typer(staffing_app, name="staffing")
    app.add_typer(report_app, name="report")
    app.add_typer(import_app, name="import")
    app.add_typer(project_app, name="project")
    app.add_typer(customers_app, name="customers")
    app.add_typer(orders_app, name="orders")
    app.add_typer(channel_app, name="channel")
    app.add_typer(kb_app, name="kb")
    app.add_typer(qa_app, name="qa")
    server_commands = {
        "serve": h("Run the server: HTTP API, WebSocket, metrics.", "Запустить сервер: HTTP API, WebSocket, метрики."),
        "init": h("Create the database and the first administrator.", "Создать базу данных и первого администратора."),
        "demo": h("Run the server with a demo project, demo customers and a live wallboard in the terminal.",
                  "Запустить сервер с демо-проектом, демо-клиентами и живым табло в терминале."),
    }
    for name, text in server_commands.items():
        app.command(name, help=text)(getattr(server_cli, name))


_register_subcommands()

# Tables are wide: when the output is not a terminal (a pipe, a log), do not squeeze them to 80.
console = Console(width=None if sys.stdout.isatty() else 150)
err_console = Console(stderr=True, soft_wrap=True)


@contextmanager
def reported_errors() -> Iterator[None]:
    """Around a command's work: whatever goes wrong reaches the person as one clear line
    and exit code 2 (bad input, an unreachable database), never as a stack trace."""
    try:
        yield
    except typer.Exit:
        raise
    except Exception as error:
        fail(error)


def fail(error: Exception) -> NoReturn:
    """Print a person-readable error and exit with status 2."""
    if isinstance(error, DozvonError):
        message = error.message()
    elif isinstance(error, ValidationError) and error.title == "Settings":  # an environment variable or .env
        message = translate("cli.bad_settings", details="; ".join(
            f"{'.'.join(map(str, e['loc']))}={e.get('input')!r}: {e['msg']}" for e in error.errors()))
    else:
        message = translate("cli.db_error", reason=str(error).splitlines()[0])
    err_console.print(f"[bold red]{h('Error', 'Ошибка')}:[/] {message}", highlight=False)
    raise typer.Exit(2)


def _version(value: bool) -> None:
    if value:
        console.print(f"dozvon {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help=h("Show the version.", "Показать версию."))] = False,
) -> None:
    pass


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _count(x: float) -> str:
    """A count, or the mean of counts over replications (one decimal)."""
    return str(x) if isinstance(x, int) else f"{x:,.1f}"


#: How each KPI reads in the confidence table: its name, and whether it is a percentage.
_KPI_NAMES: dict[str, tuple[str, bool]] = {
    "car": ("CAR", True), "lcr": ("LCR", True), "p_wait": ("P(wait)", True), "asa_s": ("ASA, s", False),
    "service_level": ("SL", True), "aht_s": ("AHT, s", False), "occupancy": (h("occupancy", "загрузка"), True),
    "rona": ("RONA", False), "avg_abandon_s": (h("average abandon, s", "среднее время до ухода, с"), False),
    "service_level_excl_short": (h("SL without short abandons", "SL без коротких уходов"), True),
    "service_level_of_answered": (h("SL of answered", "SL от отвеченных"), True),
}


def _ci_table(result: dict[str, Any]) -> Table:
    """Each KPI's mean over the replications with its 95% confidence interval."""
    table = Table(title=h("Mean of {n} replications with its 95% confidence interval",
                          "Среднее по {n} прогонам и его 95% доверительный интервал").format(n=result["replications"]))
    table.add_column("KPI")
    for title in (h("mean", "среднее"), h("95% interval", "95% интервал")):
        table.add_column(title, justify="right")
    for key, interval in result["kpi"]["ci95"].items():
        name, percent = _KPI_NAMES.get(key, (key, False))
        shown = _pct if percent else (lambda v: f"{v:,.1f}")
        span = "—" if interval is None else f"{shown(interval[0])} … {shown(interval[1])}"
        table.add_row(name, shown(result["kpi"][key]), span)
    return table


def _kpi_table(result: dict[str, Any]) -> Table:
    table = Table(title=h("KPIs (after warm-up)", "KPI (после прогрева)"), show_lines=False)
    columns = [
        ("", h("queue", "очередь")), ("offered", h("offered", "поступило")),
        ("answered", h("answered", "отвечено")), ("abandoned", h("abandoned", "потеряно")),
        ("car", "CAR"), ("lcr", "LCR"), ("p_wait", "P(wait)"), ("asa_s", "ASA, s"),
        ("service_level", "SL"), ("aht_s", "AHT, s"), ("occupancy", h("occupancy", "загрузка")),
        ("rona", "RONA"),
    ]
    for index, (_, title) in enumerate(columns):
        table.add_column(title, justify="left" if index == 0 else "right")

    def row(name: str, data: dict[str, Any], counts: dict[str, Any]) -> list[str]:
        return [name, _count(counts["offered"]), _count(counts["answered"]), _count(counts["abandoned"]),
                _pct(data["car"]), _pct(data["lcr"]), _pct(data["p_wait"]), f"{data['asa_s']:.1f}",
                _pct(data["service_level"]), f"{data['aht_s']:.0f}", _pct(data["occupancy"]),
                _count(data["rona"])]

    for name, data in result["queues"].items():
        table.add_row(*row(name, data, data))
    table.add_row(*row(h("total", "итого"), result["kpi"], result), style="bold")
    return table


@app.command(help=h(
    "Simulate a contact center with the real routing engine and print its KPIs.",
    "Смоделировать работу контакт-центра на настоящем движке маршрутизации и вывести KPI."))
def simulate(
    scenario: Annotated[Path, typer.Argument(help=h("Scenario file (YAML or JSON).",
                                                    "Файл сценария (YAML или JSON)."))],
    as_json: Annotated[bool, typer.Option("--json", help=h(
        "Print one JSON object instead of tables.", "Вывести один JSON-объект вместо таблиц."))] = False,
    replications: Annotated[int, typer.Option("--replications", min=1, max=10000, help=h(
        "Independent runs with seeds seed, seed+1, …: KPIs are their means, with 95% confidence intervals.",
        "Независимые прогоны с зёрнами seed, seed+1, …: KPI — их средние, с 95% доверительными интервалами."))] = 1,
    jobs: Annotated[int | None, typer.Option("--jobs", min=1, max=1024, help=h(
        "Processes running replications at once (default: every core).",
        "Сколько прогонов идёт одновременно (по умолчанию — по числу ядер)."))] = None,
) -> None:
    from dozvon.sim.replications import replicate
    from dozvon.sim.scenario import load_scenario
    from dozvon.sim.simulator import simulate as run_simulation

    with reported_errors():
        spec = load_scenario(scenario)
        if as_json:
            result = run_simulation(spec) if replications == 1 else replicate(spec, replications, jobs)
        else:
            with Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                          TextColumn("{task.percentage:>5.1f}%"), TimeElapsedColumn(),
                          console=err_console, transient=True) as bar:
                if replications == 1:
                    task = bar.add_task(h("Simulating", "Моделирование"), total=spec.duration_s)

                    def progress(done: float, total: float) -> None:
                        bar.update(task, completed=min(done, total))

                    result = run_simulation(spec, progress)
                else:
                    task = bar.add_task(h("Replications", "Прогоны"), total=replications)
                    result = replicate(spec, replications, jobs,
                                       lambda done, total: bar.update(task, completed=done))
    if as_json:
        sys.stdout.write(json.dumps(result, ensure_ascii=False, sort_keys=False) + "\n")
        return
    console.print(_kpi_table(result))
    if replications > 1:
        console.print(_ci_table(result))
        console.print(
            h("{r} replications of {n:,.0f} contacts each in {wall:.2f} s on {j} processes ({rate:,.0f} contacts/s).",
              "Прогонов: {r}, обращений в каждом: {n:,.0f}; за {wall:.2f} с в {j} процессах ({rate:,.0f} в секунду).")
            .format(r=replications, n=result["contacts_simulated"], wall=result["wall_s"], j=result["jobs"],
                    rate=result["contacts_per_s"]))
        return
    console.print(
        h("Simulated {n} contacts in {wall:.2f} s ({rate:,.0f} contacts/s); unfinished: {u}.",
          "Смоделировано обращений: {n} за {wall:.2f} с ({rate:,.0f} в секунду); незавершённых: {u}.")
        .format(n=result["contacts_simulated"], wall=result["wall_s"], rate=result["contacts_per_s"],
                u=result["unfinished"]))


@db_app.command("upgrade", help=h("Create or migrate the database schema.",
                                  "Создать или обновить схему базы данных."))
def db_upgrade(
    database_url: Annotated[str | None, typer.Option("--database-url", envvar="DATABASE_URL", help=h(
        "Database URL (default: SQLite in the data folder).",
        "URL базы данных (по умолчанию SQLite в папке данных)."))] = None,
) -> None:
    from dozvon.core.db import upgrade
    from dozvon.core.settings import get_settings

    url = database_url or get_settings().resolved_database_url()
    with reported_errors():
        upgrade(url)
    console.print(translate("cli.migrated", url=url))


@app.command(help=h("Show the event log.", "Показать журнал событий."))
def events(
    project: Annotated[str, typer.Option(help=h("Project (tenant).", "Проект (клиент)."))] = "default",
    limit: Annotated[int, typer.Option(min=1, max=100000, help=h("How many.", "Сколько."))] = 50,
    after: Annotated[int, typer.Option(help=h("Only events after this sequence number.",
                                              "Только события после этого номера."))] = 0,
    database_url: Annotated[str | None, typer.Option("--database-url", envvar="DATABASE_URL")] = None,
    as_json: Annotated[bool, typer.Option("--json", help=h("JSON lines.", "Строки JSON."))] = False,
) -> None:
    from sqlalchemy import inspect

    from dozvon.core.clock import to_datetime
    from dozvon.core.db import get_engine, session_factory
    from dozvon.core.settings import get_settings
    from dozvon.eventlog.repository import as_dict, list_events

    url = database_url or get_settings().resolved_database_url()
    with reported_errors():
        db = get_engine(url)
        if not inspect(db).has_table("events"):
            raise DozvonError("cli.no_schema", url=url)
        with session_factory(db)() as session:
            rows = [as_dict(r) for r in list_events(session, project, after_seq=after, limit=limit)]
    if as_json:
        for row in rows:
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    table = Table(title=h("Event log", "Журнал событий"))
    for title in ("#", h("time (UTC)", "время (UTC)"), h("event", "событие"), h("contact", "обращение"),
                  h("operator", "оператор"), h("queue", "очередь"), h("data", "данные")):
        table.add_column(title)
    for row in rows:
        table.add_row(str(row["seq"]), to_datetime(row["at"]).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3],
                      row["type"], row["contact_id"] or "", row["operator_id"] or "", row["queue"] or "",
                      json.dumps(row["data"], ensure_ascii=False)[:80])
    console.print(table)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
