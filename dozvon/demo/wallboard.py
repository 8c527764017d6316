"""The terminal wallboard of ``dozvon demo`` (until the web pages exist): queues, waiting
contacts, operators' states and today's KPIs, refreshed every second."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.panel import Panel
from rich.table import Table

from dozvon.core.i18n import h
from dozvon.server.hub import Hub

_PRESENCE_RU = {"available": "свободен", "ringing": "звонок", "busy": "занят", "wrap_up": "постобработка",
                "break": "перерыв", "offline": "не в сети"}
_STYLE = {"available": "green", "ringing": "yellow", "busy": "red", "wrap_up": "magenta", "break": "cyan",
          "offline": "dim"}


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _presence(key: str) -> str:
    return h(key.replace("_", "-"), _PRESENCE_RU.get(key, key))


def render(hub: Hub, project: str, urls: list[str]) -> Group:
    # One snapshot feeds every part of the screen: the operators' table and the totals
    # under it are the same presences, so they always agree.
    board = hub.wallboard(project)
    queues = Table(title=h("Queues — today", "Очереди — сегодня"), expand=True)
    for title in (h("queue", "очередь"), h("waiting", "ждут"), h("longest wait", "дольше всех"),
                  h("offered", "поступило"), h("answered", "отвечено"), h("abandoned", "потеряно"),
                  "SL", "ASA"):
        queues.add_column(title, justify="left" if title in ("queue", "очередь") else "right")

    def row(name: str, q: dict[str, Any], style: str = "") -> None:
        queues.add_row(name, str(q["waiting"]), f"{q['longest_wait_s']:.0f} s", str(q["offered"]),
                       str(q["answered"]), str(q["abandoned"]), _pct(q["service_level"]),
                       f"{q['asa_s']:.1f} s", style=style)

    for name, q in board["queues"].items():
        row(name, q)
    row(h("total", "итого"), {**board["today"], "waiting": board["waiting"],
                              "longest_wait_s": board["longest_wait_s"]}, "bold")
    operators = Table(title=h("Operators", "Операторы"), expand=True)
    for title in (h("operator", "оператор"), h("name", "имя"), h("state", "состояние"),
                  h("contacts", "обращений")):
        operators.add_column(title)
    for op_id, op in sorted(board["by_operator"].items(), key=lambda item: (len(item[0]), item[0])):
        presence = op["presence"]
        operators.add_row(op_id, op["name"], f"[{_STYLE.get(presence, '')}]{_presence(presence)}[/]",
                          str(op["contacts"]))
    summary = "  ".join(f"{_presence(k)}: {v}" for k, v in sorted(board["operators"].items()))
    header = Panel("\n".join(urls), title=h("Dozvon demo — Ctrl+C to stop", "Демо Дозвона — Ctrl+C для выхода"))
    return Group(header, queues, operators, summary)


def summary_line(hub: Hub, project: str) -> str:
    board = hub.wallboard(project)
    t = board["today"]
    return h("waiting {w}, offered {o}, answered {a}, abandoned {ab}, SL {sl}",
             "ждут {w}, поступило {o}, отвечено {a}, потеряно {ab}, SL {sl}").format(
        w=board["waiting"], o=t["offered"], a=t["answered"], ab=t["abandoned"], sl=_pct(t["service_level"]))
