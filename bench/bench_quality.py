"""Automatic quality checks over 10,000 stored conversations: conversations checked per second,
next to baselines measured in the same run on the same conversations —

- *read only*: reading each conversation's messages and events from the database as the
  checker does, without checking (the floor the checker cannot go under);
- *naive substring*: the same reads, then a plain ``word in text.lower()`` scan of every
  message for every entry of the default lists (no lemmas: it misses «грубите» for
  «грубить» and finds «привет» inside «приветливый») — what a first attempt would do.

Also the pure check rate (inputs already in memory) and, when asked, the cost of storing the
results. Conversations are Russian and English chats generated from the test corpus
(deterministic seed), written straight to the tables in bulk.

    .venv/bin/python bench/bench_quality.py [--conversations 10000] [--database sqlite|postgres]
        [--postgres postgresql://postgres@127.0.0.1/postgres]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import insert, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dozvon.accounts import actions as accounts  # noqa: E402
from dozvon.conversations.models import Conversation, Message  # noqa: E402
from dozvon.core.db import get_engine, refresh_planner_statistics, session_factory, upgrade  # noqa: E402
from dozvon.eventlog.models import EventRecord  # noqa: E402
from dozvon.quality import actions, queries  # noqa: E402
from dozvon.quality.checks import Ev, Msg, run_checks  # noqa: E402
from dozvon.quality.lexicon import DEFAULTS  # noqa: E402
from tests.quality.corpus import TEMPLATES, first_messages  # noqa: E402

PROJECT = "bench"
#: Conversations read (and checked, and stored) together, as the server's checker does.
BATCH = 500
T0 = 1_767_600_000.0
OPENERS = ["Здравствуйте!", "Добрый день!", "Hello!", "", "Good morning!", "Доброго дня, Анна!"]
ANSWERS = ["Сейчас посмотрю.", "Заказ уже в пути, привезут завтра.", "Доставка бесплатная.", "Let me check.",
           "It ships tomorrow.", "Понимаю вас, сожалеем о задержке.", "I'm sorry about that.",
           "Не грубите, читать не умеете?", "Уточню и перезвоню вам.", "Скидка 5% для вас."]
CLOSERS = ["Всего доброго!", "Хорошего дня!", "Have a nice day!", "", "Обращайтесь!"]


def generate(url: str, count: int, seed: int = 11) -> list[str]:
    """Store ``count`` answered, closed chats with their messages and events; their ids."""
    rng = random.Random(seed)
    sessions = session_factory(get_engine(url))
    with sessions.begin() as session:
        accounts.create_project(session, "bench", PROJECT, "Bench")
    ids, seq = [], 0
    kinds = list(TEMPLATES)
    for start in range(0, count, 1000):
        convs, msgs, events = [], [], []
        for n in range(start, min(count, start + 1000)):
            cid = f"q{n}-{uuid.uuid4().hex[:6]}"
            at = T0 + n * 60.0
            texts = [("in", t) for t in first_messages(rng.choice(kinds), rng)]
            texts.append(("out", (rng.choice(OPENERS) + " " + rng.choice(ANSWERS)).strip()))
            for _ in range(rng.randrange(3)):
                texts += [("in", rng.choice(["А когда?", "Спасибо", "Where is it?", "Ок", "Сколько ждать?"])),
                          ("out", rng.choice(ANSWERS))]
            texts.append(("out", rng.choice(CLOSERS) or rng.choice(ANSWERS)))
            moment = at
            for i, (direction, text) in enumerate(texts):
                moment += rng.uniform(5, 240)
                msgs.append({"project": PROJECT, "conversation_id": cid, "channel": "chat", "external_id": f"{cid}-{i}",
                             "direction": direction, "author": "", "text": text, "at_us": round(moment * 1e6)})
            convs.append({"id": cid, "project": PROJECT, "channel": "chat", "queue": "sales", "external_id": cid,
                          "customer_id": f"k{n % 3000}", "customer_name": "", "subject": "", "status": "handled",
                          "operator_id": f"op{n % 40}", "created_at_us": round(at * 1e6),
                          "answered_at_us": round((at + 5) * 1e6), "closed_at_us": round((moment + 30) * 1e6),
                          "disposition": None, "details": {}})
            for type_, when in (("contact.answered", at + 5), ("contact.closed", moment + 30)):
                seq += 1
                data = {"answered": True, "outcome": "handled"} if type_ == "contact.closed" else {}
                events.append({"project": PROJECT, "seq": seq, "type": type_, "version": 1, "at_us": round(when * 1e6),
                               "contact_id": cid, "operator_id": f"op{n % 40}", "queue": "sales", "channel": "chat",
                               "data": data})
            ids.append(cid)
        with sessions.begin() as session:
            session.execute(insert(Conversation), convs)
            session.execute(insert(Message), msgs)
            session.execute(insert(EventRecord), events)
    return ids


def naive_flags(texts: list[str], entries: list[str]) -> int:
    return sum(1 for text in texts for entry in entries if entry in text.lower())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--store", action="store_true", help="also store the results (one transaction per 500)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        if args.database == "sqlite":
            url = f"sqlite:///{tmp}/bench.db"
            run(url, args)
        else:
            from tests.conftest import new_postgres_database

            with new_postgres_database("dozvon_bench_quality") as url:
                run(url, args)


def run(url: str, args: argparse.Namespace) -> None:
    upgrade(url)
    started = time.perf_counter()
    ids = generate(url, args.conversations)
    refresh_planner_statistics(get_engine(url))  # as the server's maintenance round does
    print(f"{args.database}: {len(ids):,} conversations stored in {time.perf_counter() - started:.1f} s")
    sessions = session_factory(get_engine(url))
    entries = [e for language in DEFAULTS.values() for name in ("greeting", "farewell", "rude", "complaint",
                                                                 "empathy", "callback") for e in language[name]]

    def timed(label: str, work: object) -> float:
        began = time.perf_counter()
        work()  # type: ignore[operator]
        took = time.perf_counter() - began
        print(f"  {label:<44} {len(ids) / took:>9,.0f} conversations/s  ({took:.2f} s)")
        return took

    inputs: dict[str, tuple[list[Msg], list[Ev]]] = {}

    def batches() -> Iterator[dict[str, tuple[list[Msg], list[Ev]]]]:
        """The conversations' inputs as the checker reads them: 500 at a time, two queries each."""
        with sessions() as session:
            for start in range(0, len(ids), BATCH):
                yield queries.conversation_inputs(session, PROJECT, ids[start:start + BATCH])

    def read_only() -> None:
        for batch in batches():
            inputs.update(batch)

    def naive() -> None:
        for batch in batches():
            for messages, _ in batch.values():
                naive_flags([m.text for m in messages], entries)

    def checks() -> None:
        profile = queries.profile_of(sessions(), PROJECT)
        for batch in batches():
            for messages, events in batch.values():
                run_checks(messages, events, profile)

    def pure() -> None:
        profile = queries.profile_of(sessions(), PROJECT)
        for cid in ids:
            messages, events = inputs[cid]
            run_checks(messages, events, profile)

    def stored() -> None:
        for start in range(0, len(ids), BATCH):
            with sessions.begin() as session:
                done = actions.check_conversations(session, PROJECT, ids[start:start + BATCH])
                actions.store_results(session, PROJECT, done, round(time.time() * 1e6))

    read_s = timed("read only (baseline)", read_only)
    naive_s = timed("read + naive substring scan (baseline)", naive)
    checks_s = timed("read + the nine checks (by lemma)", checks)
    pure_s = timed("the nine checks alone, inputs in memory", pure)
    print(f"  checks vs read only: {checks_s / read_s:.2f}× the time; vs naive substring: "
          f"{checks_s / naive_s:.2f}× the time; checking alone is {pure_s / read_s:.2f}× a read")
    if args.store:
        store_s = timed("read + checks + store results and failures", stored)
        with sessions() as session:
            from dozvon.quality.models import CheckResultRow

            stored_n = len(list(session.scalars(select(CheckResultRow.conversation_id)
                                                .where(CheckResultRow.project == PROJECT))))
        print(f"  stored {stored_n:,} results; storing costs {store_s / checks_s:.2f}× checking")


if __name__ == "__main__":
    main()
