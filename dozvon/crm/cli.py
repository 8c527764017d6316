"""``dozvon project create``, ``dozvon customers import|find`` and ``dozvon orders import``: the pinned command line
that tools and people loading content use. Each works on DATABASE_URL like the server,
creating and migrating the database when needed."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

from dozvon.core.i18n import h, translate

project_app = typer.Typer(help=h("Projects (tenants).", "Проекты (клиенты)."), no_args_is_help=True)
customers_app = typer.Typer(help=h("Customers and their phones, e-mails and messenger ids.",
                                   "Клиенты и их телефоны, адреса и идентификаторы в мессенджерах."),
                            no_args_is_help=True)

orders_app = typer.Typer(help=h("Orders and deals that shops and CRMs push, shown on the customer's card.",
                                "Заказы и сделки из магазинов и CRM, видные в карточке клиента."),
                         no_args_is_help=True)

ProjectOption = Annotated[str, typer.Option("--project", help=h("Project (tenant).", "Проект (клиент)."))]


@contextmanager
def _session() -> Iterator[Session]:
    """One transaction on DATABASE_URL (created and migrated first); errors as one line, exit 2."""
    from dozvon.cli import reported_errors
    from dozvon.core.db import get_engine, session_factory, upgrade
    from dozvon.core.settings import Settings

    with reported_errors():
        url = Settings().resolved_database_url()
        upgrade(url)
        with session_factory(get_engine(url)).begin() as session:
            yield session


@project_app.command("create", help=h("Create a project.", "Создать проект."))
def project_create(
    slug: Annotated[str, typer.Argument(help=h("Its id: lowercase letters, digits, '-', '_'.",
                                               "Его идентификатор: строчные буквы, цифры, '-', '_'."))],
    name: Annotated[str | None, typer.Option("--name", help=h("Display name.", "Название."))] = None,
    region: Annotated[str | None, typer.Option("--region", help=h(
        "Default region of phone numbers without a country code (ISO 3166: BY, RU).",
        "Регион номеров телефонов без кода страны (ISO 3166: BY, RU)."))] = None,
    tz: Annotated[str, typer.Option("--tz", help=h("Time zone.", "Часовой пояс."))] = "Europe/Moscow",
) -> None:
    from dozvon.accounts import actions as accounts
    from dozvon.cli import console

    with _session() as session:
        project = accounts.create_project(session, "cli", slug, name or slug, timezone=tz, region=region)
        shown = project.region or "—"
    console.print(translate("crm.project_created", project=slug, region=shown, tz=tz))


def read_rows(path: Path) -> list[tuple[int, Mapping[str, Any]]]:
    """Numbered rows: a CSV's line in the file (the header is line 1), or a JSON list's
    position (from 1)."""
    from dozvon.core.errors import DozvonError

    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise DozvonError("crm.unreadable", path=str(path), reason=str(error)) from None
    if path.suffix.lower() == ".json" or text.lstrip().startswith("["):
        try:
            data = json.loads(text)
        except ValueError as error:
            raise DozvonError("crm.unreadable", path=str(path), reason=str(error)) from None
        if not isinstance(data, list):
            raise DozvonError("crm.unreadable", path=str(path), reason="a JSON list of objects expected")
        return list(enumerate(data, start=1))
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows: list[tuple[int, Mapping[str, Any]]] = []
    for row in reader:
        cleaned = {(k or "").strip().lower(): v for k, v in row.items() if k is not None}
        rows.append((reader.line_num, cleaned))
    return rows


@customers_app.command("import", help=h(
    "Load customers from CSV (header: name, phone, email, telegram, segment, …) or a JSON list.",
    "Загрузить клиентов из CSV (заголовок: name, phone, email, telegram, segment, …) или списка JSON."))
def customers_import(
    file: Annotated[Path, typer.Argument(help=h("CSV or JSON file.", "Файл CSV или JSON."))],
    project: ProjectOption,
    as_json: Annotated[bool, typer.Option("--json", help=h("One JSON object.", "Один объект JSON."))] = False,
) -> None:
    from dozvon.crm.actions import import_customers

    _import(file, project, as_json, "crm.imported", lambda session, rows: import_customers(session, "cli", project,
                                                                                           rows))


def _import(file: Path, project: str, as_json: bool, message: str, load: Any) -> None:
    """Read the file, ``load`` its rows in one transaction, then print the counts and each
    refused row with its reason — after the planner statistics are refreshed: a bulk load
    changes the tables' sizes."""
    from dozvon.cli import console, reported_errors

    with reported_errors():
        rows = read_rows(file)
    with _session() as session:
        report = load(session, rows)
    if report.created + report.updated:
        from dozvon.core.db import get_engine, refresh_planner_statistics
        from dozvon.core.settings import Settings

        refresh_planner_statistics(get_engine(Settings().resolved_database_url()))
    if as_json:
        sys.stdout.write(json.dumps({"created": report.created, "updated": report.updated,
                                     "refused": [{"row": n, "reason": r} for n, r in report.refused]},
                                    ensure_ascii=False) + "\n")
        return
    console.print(translate(message, project=project, created=report.created, updated=report.updated,
                            refused=len(report.refused)), highlight=False)
    for number, reason in report.refused:
        console.print("  " + translate("crm.refused_row", row=number, reason=reason), highlight=False,
                      markup=False)


@orders_app.command("import", help=h(
    "Load orders and deals from CSV (header: number, status, amount, currency, items, placed_at, phone, email, "
    "customer_name, …) or a JSON list; an order whose number is known is updated.",
    "Загрузить заказы и сделки из CSV (заголовок: number, status, amount, currency, items, placed_at, phone, "
    "email, customer_name, …) или списка JSON; заказ с известным номером обновляется."))
def orders_import(
    file: Annotated[Path, typer.Argument(help=h("CSV or JSON file.", "Файл CSV или JSON."))],
    project: ProjectOption,
    as_json: Annotated[bool, typer.Option("--json", help=h("One JSON object.", "Один объект JSON."))] = False,
) -> None:
    from dozvon.crm.actions import import_orders

    _import(file, project, as_json, "orders.imported", lambda session, rows: import_orders(session, "import",
                                                                                          project, rows))


@customers_app.command("find", help=h("Find customers by a phone in any format, an e-mail or a name.",
                                      "Найти клиентов по телефону в любом виде, адресу или имени."))
def customers_find(
    query: Annotated[str, typer.Argument(help=h("Phone, e-mail or name.", "Телефон, e-mail или имя."))],
    project: ProjectOption,
    as_json: Annotated[bool, typer.Option("--json", help=h(
        "A JSON list: id, name, phones, emails, segment.", "Список JSON: id, name, phones, emails, segment."))] = False,
) -> None:
    from rich.table import Table

    from dozvon.accounts.queries import get_project
    from dozvon.cli import console
    from dozvon.crm import queries

    with _session() as session:
        get_project(session, project)
        found = queries.as_dicts(session, project, queries.find(session, project, query))
    if as_json:
        sys.stdout.write(json.dumps(found, ensure_ascii=False) + "\n")
        return
    table = Table(title=h("Customers", "Клиенты"))
    for title in ("id", h("name", "имя"), h("phones", "телефоны"), "e-mail", h("segment", "сегмент")):
        table.add_column(title)
    for c in found:
        table.add_row(c["id"], c["name"], ", ".join(c["phones"]), ", ".join(c["emails"]), c["segment"] or "")
    console.print(table)
