"""The checks' results as people read them, in Russian or English: a check's name, and one
line per piece of evidence ("#2 operator @ 20s: «Не ваше дело»"). The API gives evidence as
data; the command line and the pages use these to show it."""

from __future__ import annotations

from typing import Any

from dozvon.core.i18n import translate
from dozvon.quality import messages as _messages  # noqa: F401  (registers the texts)


def check_name(check: str, lang: str | None = None) -> str:
    """A check's name (``politeness`` → "Politeness" / «Вежливость»)."""
    return translate(f"qa.check.{check}", lang)


def evidence_line(item: dict[str, Any], lang: str | None = None) -> str:
    """One piece of evidence as a person reads it (message numbers from 1)."""
    if "note" in item:
        return translate(f"qa.note.{item['note']}", lang)
    if "event" in item:
        figures = ", ".join(f"{k}={v}" for k, v in item.items() if k not in ("event", "at", "seq"))
        return f"{item['event']} @ {item['at']:g}s" + (f" ({figures})" if figures else "")
    if "wait_s" in item:
        return translate("qa.evidence.wait", lang, message=item["message"] + 1, wait=item["wait_s"],
                         limit=item["limit_s"])
    if "flag" in item or "segment" in item or "previous" in item:  # a contact type's rule
        return ", ".join(f"{k}={v}" for k, v in item.items())
    if "word" in item:  # a contact type's word: the customer's message it is in
        return f"#{item['message'] + 1}: «{item['found']}» ({item['word']})"
    who = translate("qa.from." + str(item.get("from", "")), lang)
    words = ", ".join(f"«{w}»" for w in item.get("found", ()))
    return f"#{item['message'] + 1} {who} @ {item['at']:g}s: " + (words or f"«{str(item.get('text', ''))[:80]}»")
