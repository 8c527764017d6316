"""What the settings page of the knowledge base (``/settings/knowledge``) shows: the
articles (all, found by words in any form — ended promotions too — or of one category),
with each one's validity today, and the article being edited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from dozvon.core.errors import NotFound
from dozvon.core.settings import Settings
from dozvon.knowledge import queries
from dozvon.knowledge.index import KnowledgeIndex
from dozvon.knowledge.models import Article


def index_of(settings: Settings) -> KnowledgeIndex:
    return queries.index_for(settings.resolved_database_url(), settings.data_dir)


def validity(article: Article, today: dt.date) -> str:
    """always | now | ended | upcoming: how the page labels an article's dates."""
    if article.valid_from is None and article.valid_until is None:
        return "always"
    if article.valid_until is not None and article.valid_until < today:
        return "ended"
    if article.valid_from is not None and today < article.valid_from:
        return "upcoming"
    return "now"


def read(session: Session, index: KnowledgeIndex, project: str, q: str, category: str,
         article: str) -> dict[str, Any]:
    today = queries.today(session, project)
    if q.strip():
        hits = index.search(session, project, q, None, limit=100, category=category or None)
        rows = {a.id: a for a in session.scalars(queries.readable_articles(project)
                                                 .where(Article.id.in_([h.id for h in hits])))}
        listed = [rows[h.id] for h in hits if h.id in rows]
    else:
        listed = queries.articles(session, project, category=category or None)
    editing: dict[str, Any] | None = None
    if article.isdecimal():
        try:
            editing = queries.article_dict(queries.get_article(session, project, int(article)), today)
        except NotFound:
            editing = None
    return {"articles": [{**queries.article_dict(a, today), "validity": validity(a, today)} for a in listed],
            "categories": queries.categories(session, project), "total": queries.count(session, project),
            "q": q, "category": category, "editing": editing, "creating": article == "new"}
