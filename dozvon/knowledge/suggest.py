"""Quick replies that match a customer's message: the same word analysis as the search
(so ``доставку`` matches a reply about ``доставка``), counting the message's words a
reply's keyword, title and text contain — a project has dozens of replies, not thousands,
so they are scored in Python rather than indexed."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from dozvon.knowledge.analysis import query_words, words
from dozvon.replies.queries import quick_reply_dict, replies_for


def matching_replies(session: Session, project: str, text: str, limit: int = 3,
                     owner_id: int | None = None) -> list[dict[str, Any]]:
    """The replies sharing most of the message's words (a title or keyword word counts
    double), best first; none that share no word. Among the project's replies and the
    person's (``owner_id``) own — theirs in place of a project reply with its keyword —
    never another person's."""
    question = query_words(text)
    if not question:
        return []
    scored = []
    for reply in replies_for(session, project, owner_id):
        head = {t for _, _, terms in words(f"{reply.shortcut} {reply.title}") for t in terms.all}
        body = {t for _, _, terms in words(reply.text) for t in terms.all}
        score = sum(2.0 if terms.all & head else 1.0 if terms.all & body else 0.0 for terms in question)
        if score > 0:
            scored.append((score, reply))
    scored.sort(key=lambda pair: (-pair[0], pair[1].shortcut))
    return [{**quick_reply_dict(reply), "score": score} for score, reply in scored[:limit]]
