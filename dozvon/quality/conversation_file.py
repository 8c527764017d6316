"""A conversation given as a file (``dozvon qa check FILE``): JSON ``{"messages": [{"from":
"customer"|"operator", "text": "…", "at": SECONDS}], "events": [optional], "channel":
optional}``, read into the checks' input with every problem named by where it is
(``messages[2].from``, line and column of a JSON syntax error)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from dozvon.core.errors import DozvonError
from dozvon.quality import messages as _messages  # noqa: F401  (registers the texts of its errors)
from dozvon.quality.checks import Ev, Msg

#: More than this many messages is not one conversation (a wrong file).
MAX_MESSAGES = 10_000


def _bad(path: Path, where: str, key: str, **params: Any) -> DozvonError:
    return DozvonError("qa.bad_file", path=str(path), where=where,
                       reason=DozvonError(key, **params).message())


def read_conversation(path: Path) -> tuple[list[Msg], list[Ev] | None, str]:
    """The messages, the events (None when the file has none) and the channel of a file."""
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DozvonError("qa.no_file", path=str(path)) from None
    except IsADirectoryError:
        raise DozvonError("qa.no_file", path=str(path)) from None
    except (OSError, UnicodeDecodeError) as error:
        raise DozvonError("qa.unreadable", path=str(path), reason=str(error)) from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        raise _bad(path, f"{error.lineno}:{error.colno}", "qa.not_json", reason=error.msg) from None
    if not isinstance(data, dict):
        raise _bad(path, "/", "qa.expected", what='{"messages": [...]}')
    messages = data.get("messages")
    if not isinstance(messages, list):
        raise _bad(path, "messages", "qa.expected", what="a list of messages")
    if len(messages) > MAX_MESSAGES:
        raise _bad(path, "messages", "qa.too_many", count=len(messages), limit=MAX_MESSAGES)
    out: list[Msg] = []
    for n, item in enumerate(messages):
        where = f"messages[{n}]"
        if not isinstance(item, dict):
            raise _bad(path, where, "qa.expected", what='{"from", "text", "at"}')
        sender = item.get("from")
        if sender not in ("customer", "operator"):
            raise _bad(path, where + ".from", "qa.expected", what='"customer" or "operator"')
        text = item.get("text")
        if not isinstance(text, str):
            raise _bad(path, where + ".text", "qa.expected", what="a string")
        at = item.get("at", 0)
        if isinstance(at, bool) or not isinstance(at, int | float) or not math.isfinite(at):
            raise _bad(path, where + ".at", "qa.expected", what="a number of seconds")
        auto = item.get("auto")
        if auto is not None and not isinstance(auto, str):
            raise _bad(path, where + ".auto", "qa.expected", what="a string or null")
        out.append(Msg(sender, text, float(at), auto))
    events: list[Ev] | None = None
    if data.get("events") is not None:
        if not isinstance(data["events"], list):
            raise _bad(path, "events", "qa.expected", what="a list of events")
        events = []
        for n, item in enumerate(data["events"]):
            where = f"events[{n}]"
            if not isinstance(item, dict) or not isinstance(item.get("type"), str):
                raise _bad(path, where, "qa.expected", what='{"type", "at", "data"}')
            at = item.get("at", 0)
            if isinstance(at, bool) or not isinstance(at, int | float):
                raise _bad(path, where + ".at", "qa.expected", what="a number of seconds")
            payload = item.get("data") or {}
            if not isinstance(payload, dict):
                raise _bad(path, where + ".data", "qa.expected", what="an object")
            events.append(Ev(item["type"], float(at), item.get("operator_id"), item.get("queue"), payload,
                             item.get("seq") if isinstance(item.get("seq"), int) else None))
    channel = data.get("channel", "chat")
    if not isinstance(channel, str):
        raise _bad(path, "channel", "qa.expected", what="a string")
    return out, events, channel
