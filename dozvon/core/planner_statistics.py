"""PostgreSQL's planner statistics kept current for the tables every ingest batch looks up.

Why the server does this and does not leave it to autovacuum: autovacuum analyzes a table
once a tenth of its rows changed, and looks once a minute. Until then the planner believes
what the last ANALYZE saw, and a value that came into use since — a channel a center
started to use (its first web chats, when it had only calls and e-mail), a project created
since — counts as about one row. For that one row the planner
takes whichever index starts with the project, and reads every row it holds for the project:

- the look-up of the customers' open chats read every chat conversation of the project
  for each batch of messages (bench_server.py: chat messages at 64 connections 2,316–2,608/s
  with that plan, 2,847–3,193/s after an ANALYZE, the same machine in alternated runs);
- in a project created after the last ANALYZE, with 5,000 open chats, the same look-up
  took 4.3 s a batch (a nested loop over both tables) instead of 0.4 ms.

So every :data:`EVERY_S` seconds the server reads how many rows of each watched table
changed since that table's last analysis (``pg_stat_user_tables``: a catalog read, no table
is touched). Where at least :data:`MIN_CHANGED` rows changed, it looks for a value the
server writes — one of its projects, a channel, an identity's kind — that is in the table
but not in the statistics while they list every value they saw (PostgreSQL then counts any
other value as nearly no rows); one probe of an index per such value tells. If there is
one, it analyzes the table. A value it analyzed for is not a reason again (one too rare for
the sample is left to autovacuum as it grows).

The rest stays autovacuum's: analyzing a table as it grows. Done here as well, every time a
tenth changed, it analyzed the bench's fast-growing tables a dozen times a minute and
lengthened the slowest 1 % of ingest → offer (p99 29–45 ms against 15–29 ms, alternated
runs). ANALYZE reads a sample of at most 30,000 rows and locks nothing the ingest needs; a
table is not analyzed again sooner than :data:`GAP_PER_ANALYZE_S` times its last analysis
took. SQLite keeps no such counts; the server's maintenance refreshes its statistics
(:func:`dozvon.core.db.refresh_planner_statistics`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection, Engine

#: The tables the ingest reads in every batch, and the columns whose values its look-ups
#: name (each column leads or follows the project in one of the table's indexes).
WATCHED: dict[str, tuple[str, ...]] = {
    "conversations": ("project", "channel"), "messages": ("project", "channel"),
    "customers": ("project",), "customer_identities": ("project", "kind")}
#: How often the server looks (seconds).
EVERY_S = 2.0
#: A watched table is looked at once this many of its rows changed since its last analysis.
MIN_CHANGED = 200
#: A table's next analysis waits at least this many times as long as its last one took.
GAP_PER_ANALYZE_S = 50

#: The values the server may write, by column (``project``, ``channel``, ``kind``).
Values = Callable[[], Mapping[str, Sequence[str]]]

_CHANGED = text("""
    SELECT relname FROM pg_stat_user_tables
    WHERE schemaname = current_schema() AND relname IN :tables AND n_mod_since_analyze >= :least
    ORDER BY relname""").bindparams(bindparam("tables", expanding=True))
#: What the statistics list of each watched column, when they list every value they saw.
_LISTED = text("""
    SELECT tablename, attname, most_common_vals::text::text[] FROM pg_stats
    WHERE schemaname = current_schema() AND tablename = :table AND attname IN :columns
      AND n_distinct > 0 AND n_distinct <= cardinality(most_common_vals::text::text[])
    """).bindparams(bindparam("columns", expanding=True))


class StatisticsKeeper:
    """One server's keeper: which tables to analyze now, and the analyses themselves."""

    def __init__(self, engine: Engine, values: Values = lambda: {},
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.engine = engine
        self.values = values
        self.clock = clock
        #: When each table may next be analyzed (the clock's seconds).
        self._not_before: dict[str, float] = {}
        #: Values an analysis was run for: never a reason again (one too rare for the
        #: sample then is autovacuum's to list as it grows).
        self._tried: dict[str, set[tuple[str, str]]] = {}

    def stale(self) -> list[str]:
        """The watched tables with enough rows changed since their last analysis to look at."""
        with self.engine.connect() as connection:
            return list(connection.execute(_CHANGED, {"tables": list(WATCHED), "least": MIN_CHANGED}).scalars())

    def round(self) -> list[str]:
        """Analyze the tables holding values their statistics do not list (and not waiting
        out their gap); the ones analyzed."""
        if self.engine.dialect.name != "postgresql":
            return []
        analyzed = []
        values = self.values()
        for table in self.stale():
            if self._not_before.get(table, 0.0) > self.clock():
                continue
            unknown = self._unknown(table, values)
            if not unknown:
                continue
            started = time.perf_counter()
            with self.engine.connect() as connection:
                # The name comes from WATCHED, never from outside.
                connection.exec_driver_sql(f"ANALYZE {table}")
                connection.commit()
            self._not_before[table] = self.clock() + GAP_PER_ANALYZE_S * (time.perf_counter() - started)
            self._tried.setdefault(table, set()).update(unknown)
            analyzed.append(table)
        return analyzed

    def _unknown(self, table: str, values: Mapping[str, Sequence[str]]) -> set[tuple[str, str]]:
        """The (column, value) pairs of ``values`` in ``table`` its statistics do not list,
        where they list every value they saw — not counting those already tried."""
        tried = self._tried.get(table, set())
        found: set[tuple[str, str]] = set()
        with self.engine.connect() as connection:
            listed = connection.execute(_LISTED, {"table": table, "columns": list(WATCHED[table])}).all()
            for _, column, known in listed:
                missing = set(values.get(column, ())) - set(known or ()) - {v for c, v in tried if c == column}
                if missing:
                    found.update((column, value) for value in _present(connection, table, column, missing,
                                                                       values.get("project", ())))
        return found


def _present(connection: Connection, table: str, column: str, values: Iterable[str],
             projects: Sequence[str]) -> list[str]:
    """Which of ``values`` ``table`` holds in ``column`` — for a column other than the
    project, in one of ``projects``: one statement, an index probe per value (and project),
    as every watched column leads, or follows the project in, one of the table's indexes."""
    where = "project = v" if column == "project" else f"project = ANY(:projects) AND {column} = v"
    return list(connection.execute(text(
        f"SELECT v FROM unnest(CAST(:values AS text[])) AS v WHERE EXISTS (SELECT 1 FROM {table} WHERE {where})"),
        {"values": sorted(values), "projects": list(projects)}).scalars())
