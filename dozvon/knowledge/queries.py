"""Reads of the knowledge base: every statement starts from :func:`readable_articles`,
limited to a project and to articles not deleted."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from dozvon.accounts.queries import get_project
from dozvon.core.errors import NotFound
from dozvon.knowledge.index import Hit, KnowledgeIndex, index_root, knowledge_index
from dozvon.knowledge.models import Article

LIST_LIMIT = 500


def readable_articles(project: str) -> Select[Article]:
    return select(Article).where(Article.project == project, Article.deleted.is_(False))


def get_article(session: Session, project: str, article_id: int) -> Article:
    article = session.scalar(readable_articles(project).where(Article.id == article_id))
    if article is None:
        raise NotFound("kb.no_article", article=article_id)
    return article


def today(session: Session, project: str) -> dt.date:
    """Today in the project's time zone: a promotion ends at its midnight, not UTC's."""
    zone = get_project(session, project).timezone
    try:
        return dt.datetime.now(ZoneInfo(zone)).date()
    except (KeyError, ValueError):
        return dt.datetime.now(dt.UTC).date()


def is_valid(article: Article, on: dt.date) -> bool:
    return ((article.valid_from is None or article.valid_from <= on)
            and (article.valid_until is None or on <= article.valid_until))


def articles(session: Session, project: str, *, category: str | None = None,
             limit: int = LIST_LIMIT) -> list[Article]:
    """The project's articles for the settings page: by category, then title."""
    stmt = readable_articles(project)
    if category:
        stmt = stmt.where(Article.category == category)
    return list(session.scalars(stmt.order_by(Article.category, Article.title, Article.id).limit(limit)))


def categories(session: Session, project: str) -> list[str]:
    stmt = (select(Article.category).where(Article.project == project, Article.deleted.is_(False),
                                           Article.category != "")
            .group_by(Article.category).order_by(Article.category))
    return list(session.scalars(stmt))


def count(session: Session, project: str) -> int:
    return int(session.scalar(select(func.count()).select_from(readable_articles(project).subquery())) or 0)


def current_promotions(session: Session, project: str, on: dt.date | None = None) -> list[Article]:
    """Promotions valid today (in the project's time zone), ending soonest first."""
    on = on or today(session, project)
    found = session.scalars(readable_articles(project).where(Article.promotion.is_(True))
                            .order_by(Article.valid_until, Article.id))
    return [a for a in found if is_valid(a, on)]


def article_dict(article: Article, on: dt.date | None = None) -> dict[str, Any]:
    return {"id": article.id, "title": article.title, "body": article.body, "category": article.category,
            "tags": list(article.tags), "promotion": article.promotion,
            "valid_from": article.valid_from.isoformat() if article.valid_from else None,
            "valid_until": article.valid_until.isoformat() if article.valid_until else None,
            "valid_now": is_valid(article, on) if on is not None else None,
            "updated_at": article.updated_at_us / 1e6, "updated_by": article.updated_by}


def hit_dict(hit: Hit) -> dict[str, Any]:
    """A search result as the API gives it: the snippet is plain text, its hits are
    offsets (``highlights``) and pieces (``parts``) — never markup."""
    return {"id": hit.id, "title": hit.title, "category": hit.category, "score": hit.score,
            "snippet": hit.snippet.text, "highlights": [list(r) for r in hit.snippet.highlights],
            "parts": [{"text": text, "hit": is_hit} for text, is_hit in hit.snippet.parts()]}


def index_for(database_url: str, data_dir: Path) -> KnowledgeIndex:
    return knowledge_index(index_root(database_url, data_dir))


def search(session: Session, index: KnowledgeIndex, project: str, query: str, *, limit: int = 10,
           category: str | None = None) -> list[Hit]:
    """Articles valid today in the project's time zone, best first."""
    return index.search(session, project, query, today(session, project), limit=limit, category=category)
