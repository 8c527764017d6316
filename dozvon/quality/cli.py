"""``dozvon qa …``: the automatic checks and the contact-type classifier from the command line.

``qa check FILE`` is pinned (other tools read its ``--json``): it checks a conversation
given as a file with the project defaults for a chat, touching no database. The other
commands work on DATABASE_URL like the server (created and migrated first).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from sqlalchemy.orm import Session

from dozvon.core.i18n import h, translate
from dozvon.quality import messages as _messages  # noqa: F401  (registers the texts it prints)

qa_app = typer.Typer(help=h("Quality: automatic checks of conversations, contact types.",
                            "Качество: автоматические проверки разговоров, типы обращений."),
                     no_args_is_help=True)

ProjectOption = Annotated[str, typer.Option("--project", help=h("Project (tenant).", "Проект (клиент)."))]
JsonOption = Annotated[bool, typer.Option("--json", help=h("One JSON object.", "Один объект JSON."))]


@contextmanager
def _database() -> Iterator[Session]:
    """One transaction on DATABASE_URL (created and migrated first); errors as one line, exit 2."""
    from dozvon.cli import reported_errors
    from dozvon.core.db import get_engine, session_factory, upgrade
    from dozvon.core.settings import Settings

    with reported_errors():
        url = Settings().resolved_database_url()
        upgrade(url)
        with session_factory(get_engine(url)).begin() as session:
            yield session


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")


def _print_table(report: dict[str, Any], title: str) -> None:
    from rich.table import Table

    from dozvon.cli import console
    from dozvon.quality.explain import evidence_line

    table = Table(title=title)
    for column in (h("check", "проверка"), h("result", "итог"), h("score", "балл"), h("evidence", "основание")):
        table.add_column(column)
    for name, result in report["checks"].items():
        if not result["applies"]:
            verdict = h("n/a", "не применима")
        else:
            verdict = h("passed", "пройдена") if result["passed"] else h("FAILED", "НЕ ПРОЙДЕНА")
        style = "" if result["passed"] else "bold red"
        table.add_row(translate(f"qa.check.{name}"), f"[{style}]{verdict}[/]" if style else verdict,
                      str(result["score"]), "\n".join(evidence_line(e) for e in result["evidence"][:5]))
    console.print(table)
    console.print(h("Score: {score} of 100", "Итоговый балл: {score} из 100").format(score=report["score"]))


@qa_app.command("check", help=h(
    'Check one conversation given as a JSON file {"messages": [{"from": "customer"|"operator", "text", "at"}]} '
    "with the project defaults for a chat.",
    'Проверить один разговор из файла JSON {"messages": [{"from": "customer"|"operator", "text", "at"}]} '
    "с настройками проекта по умолчанию для чата."))
def qa_check(
    file: Annotated[Path, typer.Argument(help=h("The conversation (JSON).", "Разговор (JSON)."))],
    lang: Annotated[Literal["ru", "en"] | None, typer.Option(
        "--lang", help=h("The conversation's language (default: both lists).",
                         "Язык разговора (по умолчанию — списки обоих языков)."))] = None,
    as_json: JsonOption = False,
) -> None:
    from dozvon.cli import reported_errors
    from dozvon.quality.checks import run_checks
    from dozvon.quality.conversation_file import read_conversation

    with reported_errors():
        messages, events, channel = read_conversation(file)
        report = run_checks(messages, events, channel=channel, language=lang).to_dict()
    if as_json:
        _print_json({"checks": report["checks"], "score": report["score"], "failed": report["failed"]})
        return
    _print_table(report, h("Checks of {file}", "Проверки {file}").format(file=file.name))


@qa_app.command("train", help=h(
    "Train the project's contact-type classifier on the dispositions operators gave; print its "
    "cross-validated accuracy.",
    "Обучить классификатор типов обращений проекта на типах, указанных операторами; показать точность "
    "на перекрёстной проверке."))
def qa_train(project: ProjectOption, as_json: JsonOption = False) -> None:
    from dozvon.cli import console
    from dozvon.quality.actions import do_train

    with _database() as session:
        trained = do_train(session, "cli", project)
    if as_json:
        _print_json({"samples": trained.samples, "accuracy": trained.accuracy, "folds": trained.folds,
                     "classes": trained.classes})
        return
    accuracy = "—" if trained.accuracy is None else f"{100 * trained.accuracy:.1f}%"
    console.print(translate("qa.trained", project=project, samples=trained.samples, accuracy=accuracy,
                            folds=trained.folds), highlight=False)
    for kind, count in sorted(trained.classes.items()):
        console.print(f"  {kind}: {count}", highlight=False)


@qa_app.command("status", help=h("The project's classifier: trained or not, on how much, how accurate.",
                                 "Классификатор проекта: обучен ли, на скольких разговорах, с какой точностью."))
def qa_status(project: ProjectOption, as_json: JsonOption = False) -> None:
    from dozvon.cli import console
    from dozvon.quality.queries import classifier_status

    with _database() as session:
        status = classifier_status(session, project)
    if as_json:
        _print_json(status)
    elif not status["trained"]:
        console.print(translate("qa.not_trained", project=project), highlight=False)
    else:
        accuracy = "—" if status["accuracy"] is None else f"{100 * status['accuracy']:.1f}%"
        console.print(translate("qa.status", project=project, samples=status["samples"], accuracy=accuracy),
                      highlight=False)


@qa_app.command("run", help=h(
    "Check the project's conversations closed in the last DAYS days now (again), with its current settings "
    "(the server checks each as it closes; this is for history and changed settings).",
    "Проверить сейчас (заново) разговоры проекта, закрытые за последние DAYS дней, с текущими настройками "
    "(сервер проверяет каждый при закрытии; это для истории и изменённых настроек)."))
def qa_run(project: ProjectOption,
           days: Annotated[float, typer.Option("--days", min=0.001, max=3650, help=h("How far back.",
                                                                                     "Насколько назад."))] = 7,
           as_json: JsonOption = False) -> None:
    import time

    from sqlalchemy import select

    from dozvon.cli import console
    from dozvon.conversations.models import Conversation
    from dozvon.quality.actions import check_conversations, store_results

    since = round((time.time() - days * 86400) * 1e6)
    checked = failed = 0
    with _database() as session:
        ids = list(session.scalars(select(Conversation.id).where(
            Conversation.project == project, Conversation.closed_at_us >= since,
            Conversation.operator_id.is_not(None))))
    for start in range(0, len(ids), 500):
        with _database() as session:
            done = check_conversations(session, project, ids[start:start + 500])
            store_results(session, project, done, round(time.time() * 1e6))
        checked += len(done)
        failed += sum(1 for c in done if c.report.failed)
    if as_json:
        _print_json({"checked": checked, "failed": failed})
    else:
        console.print(translate("qa.ran", project=project, checked=checked, failed=failed), highlight=False)


@qa_app.command("report", help=h("Failed checks per operator (or queue) over the last DAYS days.",
                                 "Непройденные проверки по операторам (или очередям) за последние DAYS дней."))
def qa_report(project: ProjectOption,
              days: Annotated[float, typer.Option("--days", min=0.001, max=3650, help=h("How far back.",
                                                                                        "Насколько назад."))] = 7,
              by: Annotated[Literal["operator", "queue"], typer.Option("--by", help=h(
                  "Rows per operator or per queue.", "Строки по операторам или по очередям."))] = "operator",
              as_json: JsonOption = False) -> None:
    import time

    from rich.table import Table

    from dozvon.cli import console
    from dozvon.quality.reports import summary, totals
    from dozvon.quality.settings import CHECKS

    until = round(time.time() * 1e6)
    with _database() as session:
        rows = summary(session, project, until - round(days * 86400e6), until, by)
    if as_json:
        _print_json({"items": rows, "total": totals(rows)})
        return
    table = Table(title=h("Automatic checks, last {days:g} days", "Автоматические проверки за {days:g} дн.")
                  .format(days=days))
    table.add_column(h("operator", "оператор") if by == "operator" else h("queue", "очередь"))
    for title in (h("checked", "проверено"), h("failed", "с ошибками"), h("mean score", "средний балл")):
        table.add_column(title, justify="right")
    shown = [c for c in CHECKS if any(c in r["failures"] for r in rows)]
    for check in shown:
        table.add_column(translate(f"qa.check.{check}"), justify="right")
    for r in rows:
        table.add_row(str(r["key"] or "—"), str(r["conversations"]), str(r["failed_conversations"]),
                      "—" if r["mean_score"] is None else f"{r['mean_score']:.1f}",
                      *[str(r["failures"].get(c, 0)) for c in shown])
    console.print(table)


@qa_app.command("settings", help=h(
    "Show the project's check settings, or replace them with a JSON file (--set).",
    "Показать настройки проверок проекта или заменить их файлом JSON (--set)."))
def qa_settings(project: ProjectOption,
                set_file: Annotated[Path | None, typer.Option("--set", help=h(
                    "A JSON file of settings (docs/quality.md).", "Файл JSON с настройками (docs/quality.md)."))] = None
                ) -> None:
    from pydantic import ValidationError

    from dozvon.cli import reported_errors
    from dozvon.core.errors import DozvonError
    from dozvon.quality.actions import do_set_settings
    from dozvon.quality.queries import settings_of
    from dozvon.quality.settings import QualitySettings

    given: QualitySettings | None = None
    if set_file is not None:
        with reported_errors():
            try:
                given = QualitySettings.model_validate_json(set_file.read_bytes())
            except OSError as error:
                raise DozvonError("qa.unreadable", path=str(set_file), reason=str(error)) from None
            except ValidationError as error:
                first = error.errors()[0]
                where = ".".join(str(p) for p in first["loc"]) or "/"
                raise DozvonError("qa.bad_file", path=str(set_file), where=where, reason=first["msg"]) from None
    with _database() as session:
        if given is not None:
            do_set_settings(session, "cli", project, given)
        _print_json(settings_of(session, project).to_dict())
