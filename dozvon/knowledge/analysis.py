"""Words to search terms, the same way for articles and for questions.

Russian words become their dictionary forms (lemmas) by pymorphy3 — ``доставку`` and
``доставка`` are both ``доставка``, ``ковры`` and ``ковёр`` both ``ковер`` — and, as a
second, weaker field, their Snowball stems (tantivy's Russian stemmer), which also join
some derived words (``возврат``/``возвратить``). English words become Snowball stems.
``ё`` is read as ``е`` everywhere, since people type either. Function words (prepositions,
conjunctions, particles, pronouns — by pymorphy3's part of speech, English by tantivy's
stop-word list) are left out, so a question's "как" and "мне" do not rank articles.

Each distinct word is analysed once per process (an LRU cache): a knowledge base has a
vocabulary of tens of thousands of words, and questions reuse them.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import tantivy

#: A word: letters and digits (an underscore is not part of one).
WORD = re.compile(r"[^\W_]+")
_CYRILLIC = re.compile(r"[а-яё]")
#: pymorphy3's parts of speech and grammemes that carry no topic ("который", "где").
_FUNCTION_POS = frozenset({"PREP", "CONJ", "PRCL", "INTJ", "NPRO", "PRED"})
_FUNCTION_GRAMMEMES = frozenset({"Apro", "Ques"})
#: Parses less likely than this share of the best one are ignored (rare readings add noise).
_PARSE_SHARE = 0.3


@dataclass(frozen=True)
class WordTerms:
    """What one word contributes: its lemmas (Russian) or stem (English, numbers), and
    its Russian stem; both empty for a function word."""

    lemmas: tuple[str, ...]
    stem: str | None
    #: Both, the stem marked with ``~`` (what a word is compared by; made once per word).
    all: frozenset[str] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "all", frozenset(self.lemmas) | ({"~" + self.stem} if self.stem else set()))


_EMPTY = WordTerms((), None)
_morph_lock = threading.Lock()
_morph: Any = None


def _analyzer() -> Any:
    """pymorphy3's analyser, loaded on first use (about 0.1 s and 15 MB of dictionaries)."""
    global _morph
    with _morph_lock:
        if _morph is None:
            import pymorphy3  # type: ignore[import-untyped]

            _morph = pymorphy3.MorphAnalyzer(lang="ru")
    return _morph


def _tantivy(language: str, stopwords: bool) -> Any:
    builder = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).filter(tantivy.Filter.lowercase())
    if stopwords:
        builder = builder.filter(tantivy.Filter.stopword(language))
    return builder.filter(tantivy.Filter.stemmer(language)).build()


_RU_STEM = _tantivy("russian", stopwords=False)
_EN_STEM = _tantivy("english", stopwords=True)


def fold(text: str) -> str:
    """Lower case with ``ё`` read as ``е`` (the same length, so offsets stay valid)."""
    return text.lower().replace("ё", "е")


@lru_cache(maxsize=200_000)
def word_terms(word: str) -> WordTerms:
    """The terms of one folded word (see the module's docstring)."""
    if word.isdigit():
        return WordTerms((word,), None)
    if _CYRILLIC.search(word):
        parses = _analyzer().parse(word)
        if not parses or str(parses[0].tag.POS) in _FUNCTION_POS or parses[0].tag.grammemes & _FUNCTION_GRAMMEMES:
            return _EMPTY
        best = parses[0].score or 1.0
        lemmas = dict.fromkeys(fold(p.normal_form) for p in parses if p.score >= best * _PARSE_SHARE)
        stems = _RU_STEM.analyze(word)
        return WordTerms(tuple(lemmas) or (word,), stems[0] if stems else None)
    stems = _EN_STEM.analyze(word)
    return WordTerms((stems[0],), None) if stems else _EMPTY


def words(text: str) -> Iterator[tuple[int, int, WordTerms]]:
    """Each word of ``text`` with its start and end offsets and its terms."""
    folded = fold(text)
    for match in WORD.finditer(folded):
        yield match.start(), match.end(), word_terms(match.group())


def query_words(text: str, limit: int = 32) -> list[WordTerms]:
    """A question's distinct meaningful words, in order (at most ``limit``: a pasted
    letter must not make a query of a thousand terms)."""
    seen: dict[WordTerms, None] = {}
    for _, _, terms in words(text):
        if terms.lemmas and terms not in seen:
            seen[terms] = None
            if len(seen) >= limit:
                break
    return list(seen)
