"""Snippets: the part of an article's text that holds most of the question's words, with
those words marked.

Marks are offsets, never markup: a snippet is plain text and a list of ``[start, end)``
ranges in it (``parts`` splits it into pieces flagged as hits), so a page renders it with
``textContent`` and an article's text can never inject HTML. The same analysis as the
search (:mod:`dozvon.knowledge.analysis`) decides what is a hit, so ``ковры`` is marked
for a question about a ``ковёр``.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from dozvon.knowledge.analysis import WordTerms, words

_SPACES = re.compile(r"\s+")
#: Characters of an article's text a snippet shows at most.
SNIPPET_CHARS = 180


@dataclass(frozen=True)
class Snippet:
    text: str
    #: ``[start, end)`` offsets into ``text`` (Python characters) of the words matched.
    highlights: list[tuple[int, int]]

    def parts(self) -> list[tuple[str, bool]]:
        """The text cut into pieces: (piece, is it a hit)."""
        out: list[tuple[str, bool]] = []
        at = 0
        for start, end in self.highlights:
            if start > at:
                out.append((self.text[at:start], False))
            out.append((self.text[start:end], True))
            at = end
        if at < len(self.text):
            out.append((self.text[at:], False))
        return out

    def marked(self, left: str = "«", right: str = "»") -> str:
        """The text with hits between marks (for a terminal)."""
        return "".join(f"{left}{piece}{right}" if hit else piece for piece, hit in self.parts())


def snippet(text: str, question: Collection[WordTerms], limit: int = SNIPPET_CHARS) -> Snippet:
    """The window of at most ``limit`` characters with the most distinct question words
    (the first such), cut at word boundaries, with ``…`` where it was cut."""
    wanted = {term: index for index, terms in enumerate(question) for term in terms.all}
    hits = [(start, end, {wanted[t] for t in terms.all if t in wanted})
            for start, end, terms in words(text)]
    hits = [h for h in hits if h[2]]
    if not hits:
        return _cut(text, 0, limit, [])
    best, best_count = 0, 0
    for i, (start, _, _) in enumerate(hits):
        seen: set[int] = set()
        for _, e, which in hits[i:]:
            if e - start > limit:
                break
            seen |= which
        if len(seen) > best_count:
            best, best_count = i, len(seen)
    first = hits[best][0]
    # Start a little before the first hit, at a word's start, so the hit has context.
    begin = max(0, first - limit // 4)
    if begin > 0:
        space = text.rfind(" ", 0, begin + 1)
        begin = space + 1 if space >= 0 and first - space < limit // 2 else first
    return _cut(text, begin, limit, [(s, e) for s, e, _ in hits])


def _cut(text: str, begin: int, limit: int, ranges: list[tuple[int, int]]) -> Snippet:
    end = min(len(text), begin + limit)
    if end < len(text):
        space = text.rfind(" ", begin, end)
        if space > begin + limit // 2:
            end = space
    piece = text[begin:end]
    # Line breaks and runs of spaces become one space; marks move left by what went before them.
    runs = [(m.end(), len(m.group()) - 1) for m in _SPACES.finditer(piece) if m.group() != " "]

    def moved(offset: int) -> int:
        return offset - sum(removed for run_end, removed in runs if run_end <= offset)

    prefix = "…" if begin > 0 else ""
    suffix = "…" if end < len(text) else ""
    body = _SPACES.sub(" ", piece)
    lead = len(body) - len(body.lstrip())
    body = body.strip()
    shift = len(prefix) - lead
    marks = [(moved(s - begin) + shift, moved(e - begin) + shift) for s, e in ranges if s >= begin and e <= end]
    return Snippet(prefix + body + suffix, marks)
