"""The knowledge base over HTTP: search and read for everyone who handles conversations,
writes for those who keep the base (``knowledge:manage``), and suggestions for a
conversation — the articles and quick replies nearest to what the customer last wrote.

Search results carry their snippet as plain text with the matched words as offsets and
pieces, never as markup (see :mod:`dozvon.knowledge.snippets`)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import Field
from sqlalchemy.orm import Session

from dozvon.acd import queries as live
from dozvon.conversations import queries as conversations
from dozvon.conversations.models import Message
from dozvon.core.errors import NotFound
from dozvon.knowledge import actions, scripts
from dozvon.knowledge import queries as kb
from dozvon.knowledge.index import KnowledgeIndex
from dozvon.knowledge.models import Article
from dozvon.knowledge.suggest import matching_replies
from dozvon.routing.model import CONTACT_TYPES
from dozvon.server.deps import Body, CallerDep, HubDep, RowId, SessionDep, page
from dozvon.server.gate import needs

router = APIRouter(tags=["knowledge"])
READ = "conversations:read"
MANAGE = "knowledge:manage"
ArticleId = RowId


def get_index(request: Request) -> KnowledgeIndex:
    settings = request.app.state.settings
    return kb.index_for(settings.resolved_database_url(), settings.data_dir)


IndexDep = Annotated[KnowledgeIndex, Depends(get_index)]


class ArticleBody(Body):
    title: str = Field(min_length=1, max_length=300)
    body: str = Field(default="", max_length=100_000)
    category: str = Field(default="", max_length=100)
    #: A list, or one string of words separated by commas (as a form's field gives them).
    tags: list[Annotated[str, Field(max_length=50)]] | Annotated[str, Field(max_length=1200)] = Field(
        default_factory=list)
    promotion: bool = False
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None

    def given(self) -> actions.ArticleIn:
        return actions.ArticleIn(title=self.title, body=self.body, category=self.category, tags=self.tags,
                                 promotion=self.promotion, valid_from=self.valid_from,
                                 valid_until=self.valid_until)


def _summary(article: Any, today: dt.date) -> dict[str, Any]:
    found = kb.article_dict(article, today)
    del found["body"]
    return found


def _hits(session: Session, index: KnowledgeIndex, project: str, query: str, limit: int,
          category: str | None = None) -> list[dict[str, Any]]:
    """Search results: each hit with the article's summary (tags, dates), best first."""
    today = kb.today(session, project)
    hits = index.search(session, project, query, today, limit=limit, category=category)
    rows = {a.id: a for a in session.scalars(kb.readable_articles(project)
                                             .where(Article.id.in_([h.id for h in hits])))}
    return [{**_summary(rows[h.id], today), **kb.hit_dict(h)} for h in hits if h.id in rows]


@router.get("/projects/{project}/kb/articles",
            summary="Knowledge-base articles: with ?q= those valid today that match, best first, with snippets",
            **needs(READ))
def list_articles(project: str, session: SessionDep, index: IndexDep,
                  q: Annotated[str, Query(max_length=500)] = "",
                  category: Annotated[str, Query(max_length=100)] = "",
                  limit: Annotated[int, Query(ge=1, le=500)] = 20) -> dict[str, Any]:
    if q.strip():
        return page(_hits(session, index, project, q, limit, category or None), query=q)
    today = kb.today(session, project)
    items = [_summary(a, today) for a in kb.articles(session, project, category=category or None, limit=limit)]
    return page(items, categories=kb.categories(session, project), total=kb.count(session, project))


@router.get("/projects/{project}/kb/articles/{article_id}", summary="One article with its text", **needs(READ))
def get_article(project: str, article_id: ArticleId, session: SessionDep) -> dict[str, Any]:
    return kb.article_dict(kb.get_article(session, project, article_id), kb.today(session, project))


@router.post("/projects/{project}/kb/articles", status_code=201, summary="Add an article", **needs(MANAGE))
def add_article(project: str, body: ArticleBody, caller: CallerDep, session: SessionDep) -> dict[str, Any]:
    article = actions.save_article(session, caller.name, project, body.given())
    return kb.article_dict(article, kb.today(session, project))


@router.put("/projects/{project}/kb/articles/{article_id}", summary="Change an article", **needs(MANAGE))
def change_article(project: str, article_id: ArticleId, body: ArticleBody, caller: CallerDep,
                   session: SessionDep) -> dict[str, Any]:
    article = actions.save_article(session, caller.name, project, body.given(), article_id)
    return kb.article_dict(article, kb.today(session, project))


@router.delete("/projects/{project}/kb/articles/{article_id}", status_code=204, summary="Delete an article",
               **needs(MANAGE))
def delete_article(project: str, article_id: ArticleId, caller: CallerDep, session: SessionDep) -> Response:
    actions.delete_article(session, caller.name, project, article_id)
    return Response(status_code=204)


@router.get("/projects/{project}/conversations/{conversation_id}/suggestions",
            summary="Articles and quick replies nearest to the customer's last message", **needs(READ))
def suggestions(project: str, conversation_id: str, caller: CallerDep, session: SessionDep, index: IndexDep,
                limit: Annotated[int, Query(ge=1, le=20)] = 3) -> dict[str, Any]:
    if conversations.conversation(session, project, conversation_id) is None:
        raise NotFound("routing.unknown_contact", contact=conversation_id)
    last = session.scalar(conversations.readable_messages(project)
                          .where(Message.conversation_id == conversation_id, Message.direction == "in",
                                 Message.text != "")
                          .order_by(Message.id.desc()).limit(1))
    text = last.text if last is not None else ""
    if not text:
        return {"message_id": None, "query": "", "articles": [], "quick_replies": []}
    return {"message_id": last.id if last is not None else None, "query": text[:500],
            "articles": _hits(session, index, project, text, limit),
            "quick_replies": matching_replies(session, project, text, limit, caller.user_id)}




# ----------------------------------------------------------------- call scripts

ScriptId = RowId


class StepBody(Body):
    kind: Literal["text", "promotions"] = "text"
    title: str = Field(default="", max_length=scripts.STEP_TITLE_LIMIT)
    text: str = Field(default="", max_length=scripts.STEP_TEXT_LIMIT)


class ScriptBody(Body):
    title: str = Field(default="", max_length=scripts.TITLE_LIMIT)
    #: The queue it is for (null or "": any queue).
    queue: str | None = Field(default=None, max_length=128)
    #: The type of contact it is for (null or "": any type).
    contact_type: str | None = Field(default=None, max_length=32)
    steps: list[StepBody] = Field(default_factory=list, max_length=scripts.MAX_STEPS)

    def given(self) -> scripts.ScriptIn:
        return scripts.ScriptIn(title=self.title, queue=self.queue, contact_type=self.contact_type,
                                steps=[s.model_dump() for s in self.steps])


@router.get("/projects/{project}/scripts", summary="Call scripts: per queue, per type of contact, or general",
            **needs(READ))
def list_scripts(project: str, session: SessionDep) -> dict[str, Any]:
    return page([scripts.script_dict(s) for s in scripts.scripts(session, project)])


@router.get("/projects/{project}/scripts/{script_id}", summary="One call script as written", **needs(READ))
def get_script(project: str, script_id: ScriptId, session: SessionDep) -> dict[str, Any]:
    return scripts.script_dict(scripts.get_script(session, project, script_id))


@router.post("/projects/{project}/scripts", status_code=201, summary="Add a call script", **needs(MANAGE))
def add_script(project: str, body: ScriptBody, caller: CallerDep, hub: HubDep, session: SessionDep) -> dict[str, Any]:
    script = scripts.save_script(session, caller.name, project, body.given(),
                                 queues=live.queue_names(hub.service(project)))
    return scripts.script_dict(script)


@router.put("/projects/{project}/scripts/{script_id}", summary="Change a call script", **needs(MANAGE))
def change_script(project: str, script_id: ScriptId, body: ScriptBody, caller: CallerDep, hub: HubDep,
                  session: SessionDep) -> dict[str, Any]:
    script = scripts.save_script(session, caller.name, project, body.given(), script_id,
                                 queues=live.queue_names(hub.service(project)))
    return scripts.script_dict(script)


@router.delete("/projects/{project}/scripts/{script_id}", status_code=204, summary="Delete a call script",
               **needs(MANAGE))
def delete_script(project: str, script_id: ScriptId, caller: CallerDep, session: SessionDep) -> Response:
    scripts.delete_script(session, caller.name, project, script_id)
    return Response(status_code=204)


@router.get("/projects/{project}/conversations/{conversation_id}/script",
            summary="The call script for this conversation (by its queue and type of contact), its variables "
                    "filled and today's promotions in it", **needs(READ))
def conversation_script(project: str, conversation_id: str, caller: CallerDep, hub: HubDep, session: SessionDep,
                        contact_type: Annotated[Literal[CONTACT_TYPES] | None,  # type: ignore[valid-type]
                                                Query()] = None) -> dict[str, Any]:
    """``contact_type``: the type the operator chose in the panel (else it is told from the
    disposition or the customer base: see :mod:`dozvon.knowledge.scripts`)."""
    conversation = conversations.conversation(session, project, conversation_id)
    if conversation is None:
        raise NotFound("routing.unknown_contact", contact=conversation_id)
    operator_id = conversation.operator_id or caller.operator_ids.get(project)
    name = live.operator_names(hub.service(project)).get(operator_id or "") if operator_id else None
    return scripts.for_conversation(session, project, conversation, chosen=contact_type, operator_name=name)
