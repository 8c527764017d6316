"""Knowledge-base search on 20,000 articles: index build time and search latency p50/p99,
printed next to a baseline measured in the same run — a SQL ``LIKE`` scan over the same
articles fetching every match, as ranking them without an index would (and it does not
even understand word forms) — as ratios.

Articles are Russian-like text generated from a vocabulary of real words in many forms
(deterministic seed); questions are built from the same vocabulary in other forms. A
search here is the whole ``KnowledgeIndex.search``: the generation check in the database,
the query's analysis, tantivy, snippets for the top 10.

    .venv/bin/python bench/bench_kb.py [--articles 20000] [--queries 300] [--database sqlite|postgres]
        [--postgres postgresql://postgres@127.0.0.1/postgres]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import or_, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dozvon.accounts import actions as accounts  # noqa: E402
from dozvon.core.db import get_engine, session_factory, upgrade  # noqa: E402
from dozvon.knowledge import actions  # noqa: E402
from dozvon.knowledge.index import KnowledgeIndex  # noqa: E402
from dozvon.knowledge.models import Article  # noqa: E402


def _vocabulary(text: str) -> list[str]:
    return text.split()


NOUNS = _vocabulary("доставка доставки доставку ковёр ковры коврами диван диваны дивана кресло кресла матрас матрасы "
         "заказ заказы заказа оплата оплату оплаты карта картой возврат возврата обмен гарантия гарантии "
         "курьер курьера скидка скидки скидку акция акции акцию сертификат склад склада магазин магазина "
         "размер размера цвет цвета ткань ткани шерсть чистка чистки мастер мастера механизм рассрочка "
         "рассрочку чек упаковка упаковки город города область пункт пункты выдачи срок сроки неделя дней "
         "месяц месяцев рубль рублей покупатель покупателя клиент клиента стол столы стулья стул шкаф шкафы "
         "кухня кухни спальня подушка подушки одеяло одеяла плед пледы штора шторы лампа лампы зеркало")
VERBS = _vocabulary("привезти привезём доставляем вернуть вернём обменять обменяем оплатить оплачивать заказать "
         "заказывают получить получите забрать заберите почистить чистят сломался починим выбрать выбирают "
         "собрать соберём упаковать отправить отправляем хранится работает действует оформить")
ADJECTIVES = _vocabulary("бесплатная бесплатно шерстяной шерстяные новый новые мягкий мягкие большой большие "
              "маленький кожаный кожаные детский детские угловой угловые быстрая быстро срочная "
              "подарочный подарочные летняя зимняя весенняя осенняя постоянным")
SMALL = _vocabulary("и в на по с для от до за при или не")


def sentence(rng: random.Random) -> str:
    words = [rng.choice(ADJECTIVES), rng.choice(NOUNS), rng.choice(VERBS), rng.choice(SMALL),
             rng.choice(NOUNS), rng.choice(SMALL), rng.choice(ADJECTIVES), rng.choice(NOUNS)]
    if rng.random() < 0.4:
        words.insert(3, str(rng.randint(1, 10_000)))
    return " ".join(words).capitalize() + "."


def generate(count: int, rng: random.Random) -> list[dict[str, object]]:
    return [{"title": f"{rng.choice(NOUNS).capitalize()} {rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} №{n}",
             "body": " ".join(sentence(rng) for _ in range(rng.randint(4, 12))),
             "category": rng.choice(("Доставка", "Оплата", "Возврат", "Товары", "Акции")),
             "tags": rng.sample(NOUNS, 2)} for n in range(count)]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1/postgres")
    args = parser.parse_args()
    rng = random.Random(20_000)
    workdir = Path(tempfile.mkdtemp(prefix="bench-kb-"))
    url = f"sqlite:///{workdir}/kb.db" if args.database == "sqlite" else args.postgres
    upgrade(url)
    sessions = session_factory(get_engine(url))
    project = f"bench_{uuid.uuid4().hex[:8]}"
    articles = generate(args.articles, rng)
    started = time.perf_counter()
    with sessions.begin() as session:
        accounts.create_project(session, "bench", project, "Bench")
        report = actions.import_articles(session, "bench", project, list(enumerate(articles, start=1)))
    stored_s = time.perf_counter() - started
    assert report.created == args.articles, report.refused[:3]

    index = KnowledgeIndex(workdir / "kb-index")
    started = time.perf_counter()
    with sessions.begin() as session:
        index.ensure(session, project)
    build_s = time.perf_counter() - started

    questions = [" ".join([rng.choice(VERBS), rng.choice(ADJECTIVES), rng.choice(NOUNS)])
                 for _ in range(args.queries)]
    today = dt.date.today()
    ours: list[float] = []
    found = 0
    with sessions() as session:
        for question in questions:
            t = time.perf_counter()
            hits = index.search(session, project, question, today)
            ours.append(time.perf_counter() - t)
            found += bool(hits)
            session.rollback()

    # Baseline: a LIKE scan for the question's words as typed (no word forms), fetching
    # every matching article — what ranking them without an index needs.
    baseline: list[float] = []
    with sessions() as session:
        for question in questions[: max(20, args.queries // 5)]:
            words = question.split()
            t = time.perf_counter()
            list(session.scalars(select(Article.id).where(Article.project == project, or_(
                *[Article.body.like(f"%{w}%") for w in words], *[Article.title.like(f"%{w}%") for w in words]))))
            baseline.append(time.perf_counter() - t)

    ms = 1000.0
    p50, p99 = percentile(ours, 0.5) * ms, percentile(ours, 0.99) * ms
    b50, b99 = percentile(baseline, 0.5) * ms, percentile(baseline, 0.99) * ms
    print(f"knowledge base: {args.articles:,} articles on {args.database}, {args.queries} questions")
    print(f"  stored (import, audited)    {stored_s:8.2f} s")
    print(f"  index built from database   {build_s:8.2f} s  ({args.articles / build_s:,.0f} articles/s)")
    print(f"  search p50 / p99            {p50:8.2f} / {p99:.2f} ms   ({found}/{len(questions)} found something; "
          f"mean {statistics.mean(ours) * ms:.2f} ms)")
    print(f"  SQL LIKE scan p50 / p99     {b50:8.2f} / {b99:.2f} ms   (baseline, same run, word forms not understood)")
    print(f"  ratio LIKE / search         p50 {b50 / p50:6.1f}x   p99 {b99 / p99:6.1f}x")


if __name__ == "__main__":
    main()
