"""Words of a message as lemmas, and phrases matched as sequences of lemmas.

Russian words are analysed by the knowledge base's pymorphy3 analyser (one process-wide
instance, :func:`dozvon.knowledge.analysis._analyzer`); unlike the knowledge base's search
terms, function words are kept here — «не ваше дело» is a phrase of three lemmas, and its
«не» matters. A word's terms are every likely lemma (pymorphy3's parses within a share of
the best) and its folded self (no Russian stem: stems join unrelated words, and a rude-word
list must not catch innocent ones); English words are Snowball stems (the same tantivy
stemmer the knowledge base uses, without its stop-word list). Two words match
when their terms meet, so «грубите» matches a lexicon's «грубить», «доброго дня» matches
«добрый день», and "apologizing" matches "apologize".

A phrase matches a run of consecutive words, each matching the phrase's word in turn. A
phrase set may name *inserts*: words that may stand between a phrase's words, at most
:data:`MAX_INSERTS` in one place — so that a list of the operator's wording need not spell
out every way of addressing the customer: «хорошего дня» matches «хорошего вам дня»,
«спасибо за обращение» «спасибо вам большое за ваше обращение», "thank you for contacting"
"thank you so much for contacting" (which lists take which inserts:
:mod:`dozvon.quality.lexicon`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import tantivy

from dozvon.knowledge.analysis import _analyzer, fold

#: A word: letters and digits, with inner apostrophes and hyphens ("can't", "из-за").
WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")
_CYRILLIC = re.compile(r"[а-яё]")
#: Parses less likely than this share of the best one are ignored.
_PARSE_SHARE = 0.3
#: At most this many inserts in one place of a phrase.
MAX_INSERTS = 2


def _stemmer(language: str) -> Any:
    builder = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).filter(tantivy.Filter.lowercase())
    return builder.filter(tantivy.Filter.stemmer(language)).build()


_EN_STEM = _stemmer("english")


@lru_cache(maxsize=200_000)
def terms(word: str) -> frozenset[str]:
    """Every term one folded word is known by (its lemmas or English stem, and itself)."""
    word = word.replace("’", "'")
    found = {word}
    if _CYRILLIC.search(word):
        for part in word.split("-"):
            parses = _analyzer().parse(part)
            if parses:
                best = parses[0].score or 1.0
                found.update(fold(p.normal_form) for p in parses if p.score >= best * _PARSE_SHARE)
    else:
        base = word.split("'")[0] if word.endswith(("'s", "n't", "'ll", "'re", "'ve", "'d", "'m")) else word
        found.add(base)
        found.update("~" + s for s in _EN_STEM.analyze(base)[:1])
        if "-" in base:  # "good-bye" is "goodbye", "e-mail" "email"
            joined = base.replace("-", "")
            found.add(joined)
            found.update("~" + s for s in _EN_STEM.analyze(joined)[:1])
    return frozenset(found)


@dataclass(frozen=True, slots=True)
class Word:
    """One word of a text: as written (folded), where, and its terms."""

    text: str
    start: int
    end: int
    terms: frozenset[str]


def words(text: str) -> list[Word]:
    """The words of ``text`` in order, with their offsets (``ё`` read as ``е``)."""
    folded = fold(text)
    return [Word(m.group(), m.start(), m.end(), terms(m.group())) for m in WORD.finditer(folded)]


@dataclass(frozen=True, slots=True)
class Phrase:
    """A lexicon entry as written, and the terms of each of its words."""

    text: str
    parts: tuple[frozenset[str], ...]

    @classmethod
    def of(cls, text: str) -> Phrase:
        return cls(text, tuple(w.terms for w in words(text)))


@dataclass(frozen=True, slots=True)
class Found:
    """A phrase found in a text: the lexicon's entry and the words as the text has them."""

    phrase: str
    words: str
    start: int
    end: int


def _end(tokens: Sequence[Word], i: int, parts: tuple[frozenset[str], ...], inserts: frozenset[str]) -> int | None:
    """Where a phrase whose first word is ``tokens[i]`` ends (the index of its last word),
    with up to :data:`MAX_INSERTS` inserts before each later word; None: it is not there."""
    if len(parts) == 1:
        return i
    part, rest = parts[1], parts[1:]
    for k in range(i + 1, min(i + 2 + MAX_INSERTS, len(tokens))):
        if tokens[k].terms & part and (end := _end(tokens, k, rest, inserts)) is not None:
            return end
        if not tokens[k].terms & inserts:
            return None
    return None


class PhraseSet:
    """Phrases looked up by their first word's terms: finding them in a text costs one
    dictionary look-up per word, however long the list. ``inserts``: words (any form) that
    may stand between a phrase's words."""

    def __init__(self, phrases: Iterable[str], inserts: Iterable[str] = ()) -> None:
        self.phrases = tuple(dict.fromkeys(p.strip() for p in phrases if p.strip()))
        self.inserts = frozenset(t for w in inserts for word in words(w) for t in word.terms)
        self._by_first: dict[str, list[Phrase]] = {}
        self._order = {text: n for n, text in enumerate(self.phrases)}
        for text in self.phrases:
            phrase = Phrase.of(text)
            if not phrase.parts:
                continue
            for term in phrase.parts[0]:
                self._by_first.setdefault(term, []).append(phrase)

    def __bool__(self) -> bool:
        return bool(self.phrases)

    def find(self, text: str, tokens: Sequence[Word] | None = None) -> list[Found]:
        """Every phrase found in ``text`` (each at most once, first place; two entries that are
        forms of one word found once), in text order."""
        tokens = words(text) if tokens is None else tokens
        seen: set[str] = set()
        spans: set[tuple[int, int]] = set()
        out: list[Found] = []
        for i, word in enumerate(tokens):
            candidates: dict[str, Phrase] = {}
            for term in word.terms:
                for phrase in self._by_first.get(term, ()):
                    candidates.setdefault(phrase.text, phrase)
            if not candidates:
                continue
            # The entry that spells out most of the words (fewest inserts) names a place first,
            # then the list's order: the evidence is the same on every run.
            for phrase in sorted(candidates.values(), key=lambda p: (-len(p.parts), self._order[p.text])):
                if phrase.text in seen or i + len(phrase.parts) > len(tokens):
                    continue
                if self.inserts:
                    end = _end(tokens, i, phrase.parts, self.inserts)
                elif all(tokens[i + j].terms & part for j, part in enumerate(phrase.parts)):
                    end = i + len(phrase.parts) - 1
                else:
                    end = None
                if end is not None:
                    last = tokens[end]
                    seen.add(phrase.text)
                    if (word.start, last.end) in spans:
                        continue
                    spans.add((word.start, last.end))
                    out.append(Found(phrase.text, text[word.start:last.end], word.start, last.end))
        out.sort(key=lambda f: f.start)
        return out


def is_cyrillic(text: str) -> bool:
    """Whether most letters of ``text`` are Cyrillic (a Russian conversation)."""
    letters = [c for c in text.lower() if c.isalpha()]
    return bool(letters) and sum(1 for c in letters if "а" <= c <= "я" or c == "ё") * 2 >= len(letters)


@lru_cache(maxsize=200_000)
def lemma(word: str) -> str:
    """One canonical term of a folded word (the classifier's feature): pymorphy3's most
    likely lemma for Russian, the Snowball stem for English, the word itself otherwise."""
    if _CYRILLIC.search(word):
        parses = _analyzer().parse(word)
        return fold(parses[0].normal_form) if parses else word
    stems = _EN_STEM.analyze(word)
    return str(stems[0]) if stems else word


def lemmas(text: str) -> list[str]:
    """The canonical terms of a text's words, in order."""
    return [lemma(m.group()) for m in WORD.finditer(fold(text))]
