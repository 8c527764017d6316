"""``dozvon project create`` and ``dozvon customers import|find`` as tools run them: on
DATABASE_URL (created and migrated), exit 2 with one clear line on bad input, pinned JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def _dozvon(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path}/crm.db", DOZVON_LANG="en")
    return subprocess.run([sys.executable, "-m", "dozvon", *args], env=env, capture_output=True, text=True,
                          timeout=120)


def test_project_create_checks_region_and_time_zone_and_customers_import_then_find(tmp_path: Path) -> None:
    bad_region = _dozvon(tmp_path, "project", "create", "shop", "--region", "XX")
    assert bad_region.returncode == 2 and "'XX'" in bad_region.stderr and "Traceback" not in bad_region.stderr
    bad_zone = _dozvon(tmp_path, "project", "create", "shop", "--tz", "Mars/Base")
    assert bad_zone.returncode == 2 and "Mars/Base" in bad_zone.stderr
    made = _dozvon(tmp_path, "project", "create", "shop", "--name", "Магазин", "--region", "by", "--tz",
                   "Europe/Minsk")
    assert made.returncode == 0, made.stderr
    assert "BY" in made.stdout

    (tmp_path / "c.csv").write_text("name,phone,email,segment,city\n"
                                    "Анна,8 (029) 123-45-67;+375 44 765-43-21,Anna@Example.BY,vip,Минск\n"
                                    "Broken,12,,,\n"
                                    "Анна Петрова,375 29 1234567,,,\n", encoding="utf-8")
    imported = _dozvon(tmp_path, "customers", "import", "--project", "shop", str(tmp_path / "c.csv"))
    assert imported.returncode == 0, imported.stderr
    assert "created 1, updated 1, refused 1" in imported.stdout and "row 3: '12'" in imported.stdout
    (tmp_path / "c.json").write_text('[{"name": "Олег", "phone": "+375291112233"}, {"email": "x"}]')
    again = _dozvon(tmp_path, "customers", "import", "--project", "shop", str(tmp_path / "c.json"), "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["created"] == 1 and json.loads(again.stdout)["refused"][0]["row"] == 2

    found = _dozvon(tmp_path, "customers", "find", "--project", "shop", "+375291234567", "--json")
    assert found.returncode == 0, found.stderr
    [anna] = json.loads(found.stdout)
    assert set(anna) == {"id", "name", "phones", "emails", "segment"}
    assert anna["name"] == "Анна Петрова" and anna["phones"] == ["+375291234567", "+375447654321"]
    assert anna["emails"] == ["anna@example.by"] and anna["segment"] == "vip"
    by_mail = _dozvon(tmp_path, "customers", "find", "--project", "shop", "ANNA@example.by", "--json")
    assert [c["id"] for c in json.loads(by_mail.stdout)] == [anna["id"]]

    no_project = _dozvon(tmp_path, "customers", "find", "--project", "nope", "x", "--json")
    assert no_project.returncode == 2 and "nope" in no_project.stderr
    no_file = _dozvon(tmp_path, "customers", "import", "--project", "shop", str(tmp_path / "missing.csv"))
    assert no_file.returncode == 2 and "missing.csv" in no_file.stderr and "Traceback" not in no_file.stderr
