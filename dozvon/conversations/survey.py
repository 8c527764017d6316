"""The survey on channels that have no rating of their own: the question after the end,
and telling the customer's answer from a new message.

The web chat asks with its stars (dozvon/widget). E-mail, Telegram and any other text
channel cannot, so when the operator ends a conversation and the project has the survey
on, a message asks for a score from 1 to 5 (sent by :func:`~dozvon.conversations.actions.do_end`
with the farewell; the conversation's details keep ``survey_at_us``). The customer answers
by writing back, and that answer arrives through the channel's ordinary inbound path —
so the question "is this the answer?" is asked in one place for every channel, the
ingest (:func:`answers`), not by each adapter.

An answer is a message that is only a score: one digit 1–5, with spaces and punctuation
around it allowed ("4", "5!", "(3)"); in a mail, the quoted text under the reply and the
line that introduces it do not count. It is the answer when it comes within
:data:`WINDOW_S` of the question and the surveyed conversation is still the customer's
latest on that channel (nothing else came in between). Then it is stored as a message of
that conversation and counted once (``csat.rated``, as the widget's rating); a second
score is kept in the conversation and not counted again. Anything else is an ordinary
message and opens a new conversation as before.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dozvon.channels.registry import registry
from dozvon.conversations.models import Conversation

#: The scores a customer may give (CSAT counts 4 and 5 as satisfied: METRICS.md).
SCORES = range(1, 6)
#: How long after the question a lone score still answers it (seconds).
WINDOW_S = 24 * 3600
#: What a conversation's details hold once the question went out (microseconds, UTC).
ASKED = "survey_at_us"
_MARKS = r"[\s.,!?;:()\"'«»*]*"
_SCORE = re.compile(rf"^{_MARKS}([1-5]){_MARKS}$")
#: Where a mail's own text ends: a quoted line, a signature, a forwarded or "original" block.
_END_OF_REPLY = re.compile(r"^(>|--\s*$|-{4,}|_{4,})")


def score_of(text: str | None) -> int | None:
    """The score (1–5) if the message is only a score, else None."""
    if not text or not _SCORE.match(text.lstrip().partition("\n")[0]):
        return None  # the common case, and cheap: every inbound message is asked
    kept: list[str] = []
    quoted = False
    for line in text.splitlines():
        line = line.strip()
        if _END_OF_REPLY.match(line):
            quoted = True
            break
        kept.append(line)
    if quoted:
        _drop_attribution(kept)
    words = [line for line in kept if line]
    if len(words) != 1:
        return None
    found = _SCORE.match(words[0])
    return int(found.group(1)) if found else None


def _drop_attribution(lines: list[str]) -> None:
    """Remove the paragraph that introduces a quote ("On Tue, … Shop <desk@…> wrote:",
    «… написал(а):»), which may be wrapped over two lines."""
    while lines and not lines[-1]:
        lines.pop()
    if not lines or not lines[-1].endswith(":"):
        return
    start = len(lines) - 1
    while start > 0 and lines[start - 1] and len(lines) - start < 3:
        start -= 1
    if start == 0:  # no blank line before it: the reply's own first line stays
        start = 1
    del lines[start:]


def asks(channel: str) -> bool:
    """Whether a conversation on ``channel`` is surveyed by message."""
    found = registry.find(channel)
    return found is not None and found.survey_by_message


@dataclass(frozen=True, slots=True)
class Answer:
    """A message that answers a conversation's survey."""

    conversation_id: str
    score: int
    #: False: the conversation was already rated (the message is kept, not counted).
    counts: bool
    operator_id: str | None
    queue: str
    channel: str


def _latest(session: Session, project: str, channel: str, customer_id: str) -> Conversation | None:
    found: Conversation | None = session.scalar(
        select(Conversation).where(Conversation.project == project, Conversation.channel == channel,
                                   Conversation.customer_id == customer_id)
        .order_by(Conversation.created_at_us.desc()).limit(1))
    return found


def pending(conv: Conversation | None, now_us: int) -> bool:
    """Whether ``conv`` asked for a score less than :data:`WINDOW_S` ago."""
    asked = (conv.details or {}).get(ASKED) if conv is not None else None
    return isinstance(asked, int) and 0 <= now_us - asked <= WINDOW_S * 1_000_000


def answers(session: Session, project: str, fresh: Sequence[tuple[int, Any, str | None]],
            now_us: int) -> dict[int, Answer]:
    """Which of a batch's new inbound items answer a survey, by position. ``fresh``:
    (position, the :class:`~dozvon.conversations.ingest.Inbound`, the resolved customer
    id) in arrival order. Only an item that is a lone score costs a query, so ordinary
    traffic pays nothing; an item after another of the same customer in the batch is never
    an answer (something came in between)."""
    found: dict[int, Answer] = {}
    seen: set[tuple[str, str]] = set()
    rated: set[str] = set()
    for position, item, customer in fresh:
        if customer is None:
            continue
        who = (item.channel, customer)
        first = who not in seen
        seen.add(who)
        score = score_of(item.text) if first else None
        if score is None or not asks(item.channel):
            continue
        conv = _latest(session, project, item.channel, customer)
        if conv is None or not pending(conv, now_us) or conv.operator_id is None:
            continue
        counts = (conv.details or {}).get("csat") is None and conv.id not in rated
        rated.add(conv.id)
        found[position] = Answer(conv.id, score, counts, conv.operator_id, conv.queue, conv.channel)
    return found
