"""Variables in quick replies and automatic messages: ``{customer.first_name}``,
``{customer.name}``, ``{operator.name}``, ``{operator.first_name}``, ``{project.name}``.

A quick reply whose value is missing is not sent with ``{…}`` in it: the desktop asks the
operator for the value (:func:`missing`). An automatic message has nobody to ask, so a
missing value is left out together with the comma or space that led to it —
``Здравствуйте, {customer.first_name}!`` becomes ``Здравствуйте!``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

VARIABLES = ("customer.name", "customer.first_name", "operator.name", "operator.first_name", "project.name")
_VARIABLE = re.compile(r"\{([a-z_]+\.[a-z_]+)\}")


def first_name(name: str | None) -> str:
    """The first word of a person's name; nothing for a company («ООО «Вектор»»)."""
    words = (name or "").split()
    if not words or not words[0][:1].isalpha() or words[0].isupper() or "«" in (name or ""):
        return ""
    return words[0]


def values(customer_name: str | None, operator_name: str | None, project_name: str | None = None) -> dict[str, str]:
    """The variables' values that are known (empty ones are left out)."""
    found = {"customer.name": (customer_name or "").strip(), "customer.first_name": first_name(customer_name),
             "operator.name": (operator_name or "").strip(), "operator.first_name": first_name(operator_name),
             "project.name": (project_name or "").strip()}
    return {k: v for k, v in found.items() if v}


def variables(text: str) -> list[str]:
    """The variables a text uses, each once, in order."""
    return list(dict.fromkeys(_VARIABLE.findall(text)))


def missing(text: str, known: Mapping[str, str]) -> list[str]:
    """The variables of ``text`` that have no value: what the operator must be asked for."""
    return [name for name in variables(text) if not known.get(name)]


def fill(text: str, known: Mapping[str, str], drop_missing: bool = True) -> str:
    """``text`` with its variables' values; a missing one is dropped (with its separator)
    or, with ``drop_missing=False``, kept as written."""
    for name in variables(text):
        value = known.get(name)
        if value:
            text = text.replace("{" + name + "}", value)
        elif drop_missing:
            text = _drop(text, "{" + name + "}")
    return text.strip()


def _drop(text: str, token: str) -> str:
    """``text`` without ``token`` and the comma or space that joined it to the sentence."""
    t = re.escape(token)
    text = re.sub(r"\s*,\s*" + t, "", text)            # "Здравствуйте, {x}!" → "Здравствуйте!"
    lead = re.match(r"\s*" + t + r"\s*,?\s*", text)     # "{x}, добрый день" → "Добрый день"
    if lead:
        rest = text[lead.end():]
        text = rest[:1].upper() + rest[1:]
    return re.sub(r"\s*" + t, "", text)
