"""Every write to the knowledge base: save, delete, import — each audited, each raising
the project's generation so that every process's index catches up (see
:mod:`dozvon.knowledge.models`). Actions take the caller's transaction and never commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dozvon.accounts.actions import audit
from dozvon.accounts.queries import get_project
from dozvon.core import ids
from dozvon.core.clock import now_us
from dozvon.core.errors import DozvonError, InvalidInput
from dozvon.knowledge.models import Article, KbState
from dozvon.knowledge.queries import get_article, readable_articles

TITLE_LIMIT, BODY_LIMIT, CATEGORY_LIMIT = 300, 100_000, 100
TAG_LIMIT, TAGS_LIMIT = 50, 20


def next_generation(session: Session, project: str) -> int:
    """Raise the project's generation (the row is locked until commit on PostgreSQL, so
    generations are given in commit order)."""
    state = session.scalar(select(KbState).where(KbState.project == project).with_for_update())
    if state is None:
        state = KbState(project=project, generation=0, index_key=ids.new_hex()[:12])
        session.add(state)
    state.generation += 1
    session.flush()
    return state.generation


def _text(value: Any, name: str, limit: int, required: bool = False) -> str:
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise InvalidInput("kb.empty", field=name)
    if len(text) > limit or "\x00" in text:
        raise InvalidInput("kb.too_long", field=name, limit=limit, length=len(text))
    return text


def _tags(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(t, (str, int)) for t in value):
        raise InvalidInput("kb.bad_tags", field="tags")
    tags = list(dict.fromkeys(_text(t, "tags", TAG_LIMIT) for t in value if str(t).strip()))
    if len(tags) > TAGS_LIMIT:
        raise InvalidInput("kb.too_many_tags", field="tags", count=len(tags), limit=TAGS_LIMIT)
    return tags


def _date(value: Any, name: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidInput("kb.bad_date", field=name, value=str(value)[:40]) from None


@dataclass(frozen=True)
class ArticleIn:
    """An article as given (the API's body, a row of an import), checked by :meth:`checked`."""

    title: str
    body: str = ""
    category: str = ""
    tags: Any = None
    promotion: bool = False
    valid_from: Any = None
    valid_until: Any = None

    def checked(self) -> dict[str, Any]:
        start, until = _date(self.valid_from, "valid_from"), _date(self.valid_until, "valid_until")
        if start and until and until < start:
            raise InvalidInput("kb.bad_dates", field="valid_until", start=start.isoformat(),
                               until=until.isoformat())
        return {"title": _text(self.title, "title", TITLE_LIMIT, required=True),
                "body": _text(self.body, "body", BODY_LIMIT), "category": _text(self.category, "category",
                                                                                CATEGORY_LIMIT),
                "tags": _tags(self.tags), "promotion": bool(self.promotion), "valid_from": start,
                "valid_until": until}


def save_article(session: Session, actor: str, project: str, given: ArticleIn, article_id: int | None = None,
                 *, generation: int | None = None) -> Article:
    """Create an article, or change the one with ``article_id``."""
    values = given.checked()
    get_project(session, project)
    article = get_article(session, project, article_id) if article_id is not None else None
    generation = generation or next_generation(session, project)
    now = now_us()
    if article is None:
        article = Article(project=project, created_at_us=now)
        session.add(article)
    for key, value in values.items():
        setattr(article, key, value)
    article.generation = generation
    article.updated_at_us, article.updated_by = now, actor
    session.flush()
    audit(session, actor, "kb_article.saved", project, str(article.id), title=article.title,
          created=article_id is None)
    return article


def delete_article(session: Session, actor: str, project: str, article_id: int) -> None:
    """A tombstone, so every index learns of the deletion (see the models' docstring)."""
    article = get_article(session, project, article_id)
    article.deleted = True
    article.generation = next_generation(session, project)
    article.updated_at_us, article.updated_by = now_us(), actor
    audit(session, actor, "kb_article.deleted", project, str(article.id), title=article.title)


# ----------------------------------------------------------------------------- import

@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    #: (item number, reason in the reader's language)
    refused: list[tuple[int | str, str]] = field(default_factory=list)


def import_articles(session: Session, actor: str, project: str,
                    items: Iterable[tuple[int | str, Any]]) -> ImportReport:
    """Items numbered by the caller (a JSON list's position, a file's name); an item whose
    title an article of the project already has updates it, so importing the same file
    twice changes nothing. Each item in a savepoint: a bad one is refused alone."""
    get_project(session, project)
    generation = next_generation(session, project)
    by_title = {a.title: a.id for a in session.scalars(readable_articles(project))}
    report = ImportReport()
    for number, item in items:
        try:
            with session.begin_nested():
                if not isinstance(item, Mapping):
                    raise InvalidInput("kb.row_not_object")
                given = ArticleIn(title=_text(item.get("title"), "title", TITLE_LIMIT, required=True),
                                  body=item.get("body") or "", category=item.get("category") or "",
                                  tags=item.get("tags"), promotion=bool(item.get("promotion")),
                                  valid_from=item.get("valid_from"), valid_until=item.get("valid_until"))
                existing = by_title.get(given.title)
                article = save_article(session, actor, project, given, existing, generation=generation)
                by_title[article.title] = article.id
            if existing is None:
                report.created += 1
            else:
                report.updated += 1
        except DozvonError as error:
            report.refused.append((number, error.message()))
    return report
