"""The documentation keeps up with the code."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def emitted_event_types() -> set[str]:
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "dozvon" / "routing").glob("*.py"))
    types = set(re.findall(r'_emit\(\s*"([a-z_]+\.[a-z_]+)"', source))
    types |= set(re.findall(r'"(queue\.(?:opened|closed))"', source))
    types |= set(re.findall(r'"(message\.[a-z_]+)"', source))
    outcomes = set(re.findall(r'_end_offer\([^)]*?"(withdrawn|declined|timed_out)"', source))
    types |= {f"offer.{o}" for o in outcomes}
    return types


def test_every_api_operation_is_in_the_api_docs():
    from dozvon.server.app import create_app

    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    schema = create_app().openapi()
    missing = [f"{m.upper()} {p}" for p, item in schema["paths"].items() for m in item
               if f"`{m.upper()} {p}`" not in text]
    assert missing == [], "operations missing from docs/api.md"


def test_every_event_the_engine_emits_is_in_the_catalogue():
    catalogue = (ROOT / "docs" / "events.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`([a-z_]+\.[a-z_]+)`", catalogue))
    emitted = emitted_event_types()
    assert len(emitted) > 20
    assert emitted - documented == set(), "undocumented events"


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
