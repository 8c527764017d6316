"""The search index: one tantivy index per project, derived from the database.

Where it lives: ``DOZVON_KB_INDEX_DIR`` if set; else beside the SQLite file
(``dozvon.db.kb-index/``), or under the data directory for PostgreSQL. Inside, one
directory per project and database (``<project>-<index_key>``, see
:class:`~dozvon.knowledge.models.KbState`) holding tantivy's files and ``generation``:
the project's generation the index reflects.

Freshness: every search first reads the project's generation from the database (one
primary-key lookup). When the index holds an older one it catches up — the rows written
since are re-indexed, tombstones deleted — and when the directory is missing it is built
from scratch. So a write needs nothing but its commit, another server process or a CLI
import is seen by the next search, and SQLite and PostgreSQL installations behave alike.

Several processes: tantivy allows one writer per index (a lock file) and any number of
readers; a process that finds the writer's lock taken waits for it, then reloads. Catching
up is idempotent (delete by id, then add), so a crash between tantivy's commit and the
``generation`` file only repeats work.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import os
import shutil
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tantivy
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from dozvon.knowledge.analysis import WordTerms, query_words, words
from dozvon.knowledge.models import Article, KbState
from dozvon.knowledge.snippets import Snippet, snippet

log = logging.getLogger(__name__)

#: Raised when the schema or the analysis changes: an index of another version is rebuilt.
INDEX_VERSION = 1
#: Field weights: a word of the title counts most, a shared stem least. A word counts by
#: its best field (plus :data:`TIE_BREAKER` of the others), so an article that holds more
#: of the question's words wins over one that repeats one word in every field.
BOOSTS = {"title_terms": 1.5, "tag_terms": 1.0, "body_terms": 1.0, "stems": 0.3}
TIE_BREAKER = 0.1
#: BM25 sums what each word scores, so one word in a short title can outweigh an article
#: holding every word of the question; the best candidates are therefore re-ranked by the
#: share of the question's words they hold (a score keeps this floor of itself at least).
COVERAGE_FLOOR = 0.3
NO_START, NO_END = 0, 99_999_999
WRITER_WAIT_S = 15.0


def index_root(database_url: str, data_dir: Path) -> Path:
    """Where a database's indexes live (see the module's docstring)."""
    explicit = os.environ.get("DOZVON_KB_INDEX_DIR", "").strip()
    if explicit:
        return Path(explicit).expanduser()
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        path = Path(url.database).expanduser()
        return path.parent / f"{path.name}.kb-index"
    safe = url.render_as_string(hide_password=True)
    return data_dir / "kb-index" / hashlib.sha256(safe.encode()).hexdigest()[:16]


def _schema() -> Any:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("id", stored=True, indexed=True, fast=True)
    builder.add_text_field("title", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("body", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("category", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("tags", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("terms", stored=True, tokenizer_name="raw", index_option="basic")
    for name in BOOSTS:
        builder.add_text_field(name, tokenizer_name="whitespace", index_option="freq")
    builder.add_integer_field("valid_from", indexed=True, fast=True)
    builder.add_integer_field("valid_until", indexed=True, fast=True)
    return builder.build()


SCHEMA = _schema()


def day(value: dt.date | None, default: int) -> int:
    return value.toordinal() if value is not None else default


def document(article: Article) -> Any:
    """An article as the index holds it: original text to show, analysed text to match
    (each part analysed once)."""
    tags = " ".join(article.tags)
    title = [terms for _, _, terms in words(article.title)]
    labels = [terms for _, _, terms in words(f"{tags} {article.category}")]
    body = [terms for _, _, terms in words(article.body)]
    every = title + labels + body
    return tantivy.Document(
        id=article.id, title=article.title, body=article.body, category=article.category, tags=tags,
        terms=" ".join(sorted({term for terms in every for term in terms.all})),
        title_terms=_lemmas(title), tag_terms=_lemmas(labels), body_terms=_lemmas(body),
        stems=" ".join(terms.stem for terms in every if terms.stem),
        valid_from=day(article.valid_from, NO_START), valid_until=day(article.valid_until, NO_END))


def _lemmas(analysed: list[WordTerms]) -> str:
    return " ".join(lemma for terms in analysed for lemma in terms.lemmas)


def coverage(question: Sequence[WordTerms], terms: str) -> float:
    """The share of the question's words (by any of their terms) among an article's
    ``terms`` (see :func:`document`)."""
    held = set(terms.split())
    return sum(1 for word in question if not word.all.isdisjoint(held)) / len(question) if question else 0.0


@dataclass(frozen=True)
class Hit:
    id: int
    title: str
    category: str
    score: float
    snippet: Snippet


@dataclass
class _Open:
    path: Path
    index: Any
    generation: int


def _state(session: Session, project: str) -> tuple[int, str] | None:
    """(generation, index_key) of the project: read before every search, so kept lean."""
    row = session.execute(select(KbState.generation, KbState.index_key).where(KbState.project == project)).first()
    return (int(row[0]), str(row[1])) if row is not None else None


def _read_generation(path: Path) -> int | None:
    try:
        return int((path / "generation").read_text().strip())
    except (OSError, ValueError):
        return None


def _write_generation(path: Path, generation: int) -> None:
    temporary = path / f"generation.{os.getpid()}.{threading.get_ident()}"
    temporary.write_text(str(generation))
    os.replace(temporary, path / "generation")


class KnowledgeIndex:
    """The indexes of one database's projects, kept open by this process."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._open: dict[str, _Open] = {}
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def _lock(self, project: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(project, threading.Lock())

    def path(self, project: str, index_key: str) -> Path:
        return self.root / f"v{INDEX_VERSION}" / f"{project}-{index_key}"

    # ------------------------------------------------------------------ keeping it fresh

    def ensure(self, session: Session, project: str) -> _Open | None:
        """The project's index, caught up with the database (None: no articles ever)."""
        state = _state(session, project)
        if state is None:
            return None
        generation, key = state
        path = self.path(project, key)
        opened = self._open.get(project)
        if (opened is not None and opened.path == path and opened.generation == generation
                and (path / "generation").exists()):
            return opened
        with self._lock(project):
            return self._catch_up(session, project, path, generation)

    def _catch_up(self, session: Session, project: str, path: Path, generation: int) -> _Open:
        opened = self._open.get(project)
        on_disk = _read_generation(path)
        if opened is None or opened.path != path or on_disk is None:
            if on_disk is None or not tantivy.Index.exists(str(path)):
                shutil.rmtree(path, ignore_errors=True)
                on_disk = None
            path.mkdir(parents=True, exist_ok=True)
            opened = _Open(path, tantivy.Index(SCHEMA, path=str(path), reuse=True), on_disk or 0)
            self._open[project] = opened
        if on_disk is not None and on_disk > generation:
            on_disk = None  # the database went back (restored): build anew
        if on_disk != generation:
            with self._writer(opened.index) as writer:
                if writer is not None:
                    self._apply(session, project, writer, path, on_disk, generation)
                    on_disk = generation
        opened.index.reload()
        opened.generation = on_disk if on_disk is not None else 0
        return opened

    @contextlib.contextmanager
    def _writer(self, index: Any) -> Any:
        """tantivy's one writer; waits while another process holds it (None after
        :data:`WRITER_WAIT_S`: the search is answered from the index as it is)."""
        deadline = time.monotonic() + WRITER_WAIT_S
        while True:
            try:
                writer = index.writer(heap_size=50_000_000, num_threads=1)
                break
            except ValueError as error:
                if "Lock" not in str(error) or time.monotonic() > deadline:
                    log.warning("knowledge index: no writer (%s); answering from the index as it is", error)
                    yield None
                    return
                time.sleep(0.05)
        try:
            yield writer
        except BaseException:
            writer.rollback()
            raise
        finally:
            del writer

    def _apply(self, session: Session, project: str, writer: Any, path: Path, since: int | None,
               generation: int) -> None:
        """Re-index the rows written after ``since`` (every row when None), then record
        ``generation``; tombstones are deleted."""
        stmt = select(Article).where(Article.project == project).order_by(Article.id)
        if since is None:
            writer.delete_all_documents()
            stmt = stmt.where(Article.deleted.is_(False))
        else:
            stmt = stmt.where(Article.generation > since)
        for article in session.scalars(stmt.execution_options(yield_per=1000)):
            if since is not None:
                writer.delete_documents_by_term("id", article.id)
            if not article.deleted:
                writer.add_document(document(article))
        writer.commit()
        writer.wait_merging_threads()
        _write_generation(path, generation)

    def drop(self, project: str) -> None:
        """Forget the open index (tests and tools that delete the directory)."""
        with self._lock(project):
            self._open.pop(project, None)

    # ------------------------------------------------------------------------- search

    def search(self, session: Session, project: str, query: str, today: dt.date | None, *, limit: int = 10,
               category: str | None = None, exclude: Iterable[int] = ()) -> list[Hit]:
        """Articles valid ``today`` (any day when None: the settings page finds ended
        promotions too) best matching ``query``, best first, with snippets."""
        opened = self.ensure(session, project)
        question = query_words(query)
        if opened is None or not question:
            return []
        searcher = opened.index.searcher()
        found = searcher.search(self.query(question, today, category, exclude), max(limit * 2, 20))
        ranked = []
        for score, address in found.hits:
            doc = searcher.doc(address)
            share = coverage(question, doc.get_first("terms") or "")
            ranked.append((float(score) * (COVERAGE_FLOOR + (1 - COVERAGE_FLOOR) * share), doc,
                           doc.get_first("body") or ""))
        ranked.sort(key=lambda item: -item[0])
        return [Hit(id=int(doc.get_first("id")), title=doc.get_first("title") or "",
                    category=doc.get_first("category") or "", score=round(score, 4),
                    snippet=snippet(body, question)) for score, doc, body in ranked[:limit]]

    def query(self, question: Sequence[WordTerms], today: dt.date | None, category: str | None = None,
              exclude: Iterable[int] = ()) -> Any:
        """Any of the words (each by its lemmas in every field, by its stem in the weakest;
        its best field counts), among the articles valid on ``today``."""
        should = tantivy.Occur.Should
        words = []
        for terms in question:
            alternatives = [tantivy.Query.boost_query(tantivy.Query.term_query(SCHEMA, name, lemma), BOOSTS[name])
                            for name in ("title_terms", "tag_terms", "body_terms") for lemma in terms.lemmas]
            if terms.stem:
                alternatives.append(tantivy.Query.boost_query(
                    tantivy.Query.term_query(SCHEMA, "stems", terms.stem), BOOSTS["stems"]))
            words.append((should, tantivy.Query.disjunction_max_query(alternatives, TIE_BREAKER)))
        must = tantivy.Occur.Must
        parts = [(must, tantivy.Query.boolean_query(words))]
        if today is not None:
            ordinal = today.toordinal()
            parts += [(must, tantivy.Query.range_query(SCHEMA, "valid_from", tantivy.FieldType.Integer, NO_START,
                                                       ordinal)),
                      (must, tantivy.Query.range_query(SCHEMA, "valid_until", tantivy.FieldType.Integer, ordinal,
                                                       NO_END))]
        if category:
            parts.append((must, tantivy.Query.term_query(SCHEMA, "category", category)))
        parts.extend((tantivy.Occur.MustNot, tantivy.Query.term_query(SCHEMA, "id", i)) for i in exclude)
        return tantivy.Query.boolean_query(parts)


_INDEXES: dict[Path, KnowledgeIndex] = {}
_INDEXES_GUARD = threading.Lock()


def knowledge_index(root: Path) -> KnowledgeIndex:
    """The process's one :class:`KnowledgeIndex` for a directory."""
    with _INDEXES_GUARD:
        found = _INDEXES.get(root)
        if found is None:
            found = _INDEXES[root] = KnowledgeIndex(root)
        return found
