"""``dozvon kb import|search`` as tools run them: on DATABASE_URL (created and migrated),
a JSON list or a folder of Markdown files, refused items by number while the rest load,
the pinned JSON of a search, one clear line (exit 2) for what cannot be read."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.knowledge.articles import ARTICLES


def _dozvon(tmp_path: Path, *args: str, lang: str = "en") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DOZVON_KB_INDEX_DIR")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path}/kb.db", DOZVON_LANG=lang)
    return subprocess.run([sys.executable, "-m", "dozvon", *args], env=env, capture_output=True, text=True,
                          timeout=120)


def test_import_json_and_markdown_then_search_with_the_pinned_json(tmp_path: Path) -> None:
    assert _dozvon(tmp_path, "project", "create", "shop").returncode == 0
    items = [*ARTICLES, {"title": "", "body": "без заголовка"}, "не объект",
             {"title": "Акция", "valid_from": "завтра"}]
    (tmp_path / "kb.json").write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    imported = _dozvon(tmp_path, "kb", "import", "--project", "shop", str(tmp_path / "kb.json"))
    assert imported.returncode == 0, imported.stderr
    assert f"{len(ARTICLES)} article(s) created, 0 updated, 3 refused" in imported.stdout
    for number in (11, 12, 13):
        assert f"item {number}:" in imported.stdout
    assert "valid_from" in imported.stdout

    folder = tmp_path / "md"
    (folder / "Акции").mkdir(parents=True)
    (folder / "gift.md").write_text("# Подарочные сертификаты\n\nСертификат на 5000 рублей действует год.\n",
                                    encoding="utf-8")
    (folder / "Акции" / "spring.md").write_text(
        "---\ntags: акция, ковры\nvalid_from: 2020-01-01\nvalid_until: 2020-01-31\npromotion: yes\n---\n"
        "# Январская распродажа\n\nКовры со скидкой.\n", encoding="utf-8")
    from_md = _dozvon(tmp_path, "kb", "import", "--project", "shop", str(folder), "--json")
    assert from_md.returncode == 0, from_md.stderr
    assert json.loads(from_md.stdout) == {"created": 2, "updated": 0, "refused": []}
    again = _dozvon(tmp_path, "kb", "import", "--project", "shop", str(folder), "--json")
    assert json.loads(again.stdout)["updated"] == 2  # the same titles: updated, not doubled

    found = _dozvon(tmp_path, "kb", "search", "--project", "shop", "как вернуть ковёр", "--json")
    assert found.returncode == 0, found.stderr
    hits = json.loads(found.stdout)
    assert hits[0]["title"] == "Возврат и обмен товара"
    assert all(set(hit) == {"id", "title", "score", "snippet"} for hit in hits)
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    gift = json.loads(_dozvon(tmp_path, "kb", "search", "--project", "shop", "сертификатом", "--json").stdout)
    assert [h["title"] for h in gift] == ["Подарочные сертификаты"]
    expired = json.loads(_dozvon(tmp_path, "kb", "search", "--project", "shop", "распродажа", "--json").stdout)
    assert expired == []

    shutil.rmtree(tmp_path / "kb.db.kb-index")  # the index is derived: rebuilt on the next search
    rebuilt = json.loads(_dozvon(tmp_path, "kb", "search", "--project", "shop", "как вернуть ковёр",
                                 "--json").stdout)
    # The same articles in the same order with the same snippets; the scores may move a
    # little: until tantivy merges segments, replaced documents still count in its statistics.
    assert [(h["id"], h["snippet"]) for h in rebuilt] == [(h["id"], h["snippet"]) for h in hits]
    table = _dozvon(tmp_path, "kb", "search", "--project", "shop", "оплата картой", lang="ru")
    assert table.returncode == 0 and "Способы оплаты" in table.stdout and "База знаний" in table.stdout


def test_what_cannot_be_read_is_one_clear_line(tmp_path: Path) -> None:
    assert _dozvon(tmp_path, "project", "create", "shop").returncode == 0
    (tmp_path / "bad.json").write_text('{"title": "not a list"}')
    bad = _dozvon(tmp_path, "kb", "import", "--project", "shop", str(tmp_path / "bad.json"), lang="ru")
    assert bad.returncode == 2 and "JSON" in bad.stderr and "Traceback" not in bad.stderr
    missing = _dozvon(tmp_path, "kb", "import", "--project", "shop", str(tmp_path / "nope.json"))
    assert missing.returncode == 2 and "nope.json" in missing.stderr
    nobody = _dozvon(tmp_path, "kb", "search", "--project", "nobody", "доставка")
    assert nobody.returncode == 2 and "nobody" in nobody.stderr and "Traceback" not in nobody.stderr
