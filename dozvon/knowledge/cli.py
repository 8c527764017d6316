"""``dozvon kb import|search``: the pinned command line for loading and trying the
knowledge base. Both work on DATABASE_URL like the server, creating and migrating the
database when needed; the index is built (or caught up) from the database as the server
would (:mod:`dozvon.knowledge.index`)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

from dozvon.core.i18n import h, translate

kb_app = typer.Typer(help=h("The knowledge base: articles operators search and are suggested.",
                            "База знаний: статьи, которые операторы ищут и получают в подсказках."),
                     no_args_is_help=True)

ProjectOption = Annotated[str, typer.Option("--project", help=h("Project (tenant).", "Проект (клиент)."))]
FRONT_KEYS = ("category", "tags", "valid_from", "valid_until", "promotion")


@contextmanager
def _database() -> Iterator[tuple[Session, Any]]:
    """One transaction on DATABASE_URL (created and migrated first) and the index of that
    database; errors as one line, exit 2."""
    from dozvon.cli import reported_errors
    from dozvon.core.db import get_engine, session_factory, upgrade
    from dozvon.core.settings import Settings
    from dozvon.knowledge.queries import index_for

    with reported_errors():
        settings = Settings()
        url = settings.resolved_database_url()
        upgrade(url)
        with session_factory(get_engine(url)).begin() as session:
            yield session, index_for(url, settings.data_dir)


def markdown_item(path: Path, root: Path) -> dict[str, Any]:
    """A Markdown file as an article: the first ``# `` heading is the title (else the
    file's name), an optional ``---`` block of ``key: value`` lines at the top gives
    category, tags, valid_from, valid_until, promotion; a subfolder is the category."""
    text = path.read_text(encoding="utf-8-sig")
    item: dict[str, Any] = {}
    relative = path.relative_to(root).parent
    if str(relative) != ".":
        item["category"] = relative.as_posix()
    lines = text.splitlines()
    if lines and lines[0].strip() == "---" and "---" in (s.strip() for s in lines[1:]):
        end = [s.strip() for s in lines].index("---", 1)
        for line in lines[1:end]:
            key, _, value = line.partition(":")
            if key.strip().lower() in FRONT_KEYS:
                item[key.strip().lower()] = value.strip()
        lines = lines[end + 1:]
    title = path.stem.replace("_", " ")
    for number, line in enumerate(lines):
        if line.startswith("# "):
            title = line[2:].strip()
            del lines[number]
            break
    if str(item.get("promotion", "")).lower() in ("yes", "true", "1", "да"):
        item["promotion"] = True
    else:
        item.pop("promotion", None)
    return {**item, "title": title, "body": "\n".join(lines).strip()}


def read_items(path: Path) -> list[tuple[int | str, Any]]:
    """Numbered items: a JSON list's position (from 1), or a folder's Markdown files by
    name (sorted, subfolders included)."""
    from dozvon.core.errors import DozvonError

    try:
        if path.is_dir():
            return [(str(p.relative_to(path)), markdown_item(p, path)) for p in sorted(path.rglob("*.md"))]
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise DozvonError("kb.unreadable", path=str(path), reason=str(error)) from None
    if not isinstance(data, list):
        raise DozvonError("kb.unreadable", path=str(path), reason="a JSON list of {title, body, tags} expected")
    return list(enumerate(data, start=1))


@kb_app.command("import", help=h(
    "Load articles: a JSON list of {title, body, tags} or a folder of Markdown files. "
    "An article with the same title is updated.",
    "Загрузить статьи: список JSON из {title, body, tags} или папку файлов Markdown. "
    "Статья с тем же заголовком обновляется."))
def kb_import(
    file: Annotated[Path, typer.Argument(help=h("A JSON file or a folder of .md files.",
                                                "Файл JSON или папка с файлами .md."))],
    project: ProjectOption,
    as_json: Annotated[bool, typer.Option("--json", help=h("One JSON object.", "Один объект JSON."))] = False,
) -> None:
    from dozvon.cli import console, reported_errors
    from dozvon.knowledge.actions import import_articles

    with reported_errors():
        items = read_items(file)
    with _database() as (session, _):
        report = import_articles(session, "cli", project, items)
    with _database() as (session, index):
        index.ensure(session, project)  # build now, so the first search is quick
    if as_json:
        sys.stdout.write(json.dumps({"created": report.created, "updated": report.updated,
                                     "refused": [{"item": n, "reason": r} for n, r in report.refused]},
                                    ensure_ascii=False) + "\n")
        return
    console.print(translate("kb.imported", project=project, created=report.created, updated=report.updated,
                            refused=len(report.refused)), highlight=False)
    for number, reason in report.refused:
        console.print("  " + translate("kb.refused_item", item=number, reason=reason), highlight=False,
                      markup=False)


@kb_app.command("search", help=h("Search the articles valid today, best first.",
                                 "Найти статьи, действующие сегодня, лучшие сначала."))
def kb_search(
    query: Annotated[str, typer.Argument(help=h("Words or a question, in any form.",
                                                "Слова или вопрос в любой форме."))],
    project: ProjectOption,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100, help=h("At most this many.",
                                                                         "Не больше стольких."))] = 10,
    as_json: Annotated[bool, typer.Option("--json", help=h(
        "A JSON list: id, title, score, snippet.", "Список JSON: id, title, score, snippet."))] = False,
) -> None:
    from rich.table import Table
    from rich.text import Text

    from dozvon.cli import console
    from dozvon.knowledge.queries import search

    with _database() as (session, index):
        hits = search(session, index, project, query, limit=limit)
    if as_json:
        sys.stdout.write(json.dumps([{"id": hit.id, "title": hit.title, "score": hit.score,
                                      "snippet": hit.snippet.text} for hit in hits], ensure_ascii=False) + "\n")
        return
    if not hits:
        console.print(translate("kb.nothing_found", query=query), highlight=False, markup=False)
        return
    table = Table(title=h("Knowledge base", "База знаний"))
    for title in ("id", h("title", "заголовок"), h("score", "оценка"), h("snippet", "фрагмент")):
        table.add_column(title)
    for hit in hits:
        snippet = Text()
        for piece, is_hit in hit.snippet.parts():
            snippet.append(piece, style="bold yellow" if is_hit else "")
        table.add_row(str(hit.id), hit.title, f"{hit.score:.2f}", snippet)
    console.print(table)
