"""The documentation keeps up with the code."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def catalogue_rows() -> list[tuple[list[str], str]]:
    """docs/events.md's event tables: each row's types (first column) and its data column."""
    rows = []
    for line in (ROOT / "docs" / "events.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        types = re.findall(r"`([a-z_]+\.[a-z_]+)`", cells[0]) if len(cells) == 3 else []
        if types:
            rows.append((types, cells[2]))
    return rows


def test_every_api_operation_is_in_the_api_docs():
    from dozvon.server.app import create_app

    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    schema = create_app().openapi()
    missing = [f"{m.upper()} {p}" for p, item in schema["paths"].items() for m in item
               if f"`{m.upper()} {p}`" not in text]
    assert missing == [], "operations missing from docs/api.md"


def test_the_event_catalogue_documents_exactly_the_types_of_the_registry():
    from dozvon.eventlog.catalogue import REGISTRY

    documented = [t for types, _ in catalogue_rows() for t in types]
    assert len(documented) == len(set(documented)), "a type documented twice"
    assert len(documented) > 25
    assert set(REGISTRY) - set(documented) == set(), "types in the registry but not in docs/events.md"
    assert set(documented) - set(REGISTRY) == set(), "types in docs/events.md but not in the registry"


def test_every_data_field_of_a_type_is_in_its_row_and_every_name_in_a_row_is_declared():
    """The data column names fields and their closed sets of values in backticks: each field
    a class declares is named in its row (``source``, which every type allows, is documented
    once, under "Imported history"), and each plain name in a row is a field or a value of a
    field of the row's types."""
    from dozvon.eventlog.catalogue import allowed_values, data_keys

    for types, data in catalogue_rows():
        named = {token for token in re.findall(r"`([^`]+)`", data) if re.fullmatch(r"[a-z_]+", token)}
        known: set[str] = set()
        for type_ in types:
            keys = set(data_keys(type_))
            assert keys - named - {"source"} == set(), f"{type_}: fields missing from its row in docs/events.md"
            known |= keys
            for key in keys:
                known |= allowed_values(type_, key) or set()
        assert named - known == set(), f"{types}: names in docs/events.md that the catalogue does not declare"


def test_the_routing_engine_imports_nothing_but_core_and_no_io_library():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--config", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" in result.stdout and "0 broken" in result.stdout


def test_every_message_key_used_in_the_code_exists_in_russian_and_english():
    import importlib
    import pkgutil

    import dozvon
    from dozvon.core.i18n import CATALOGUE

    for module in pkgutil.walk_packages(dozvon.__path__, "dozvon."):
        if not module.name.startswith("dozvon.migrations") and module.name != "dozvon.__main__":
            importlib.import_module(module.name)
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "dozvon").rglob("*.py"))
    used = set(re.findall(r'(?:InvalidInput|Conflict|NotFound|DozvonError|translate)\(\s*"([a-z_]+\.[a-z_]+)"', source))
    assert len(used) > 20
    missing = {key for key in used if key not in CATALOGUE["en"] or key not in CATALOGUE["ru"]}
    assert not missing, f"message keys without both translations: {sorted(missing)}"
