"""The pages without a browser: who sees which page, the Content-Security-Policy on each,
no inline script or style in the templates, and every text in both languages."""

from __future__ import annotations

import re
from contextlib import closing
from pathlib import Path

from dozvon.core.i18n import CATALOGUE
from dozvon.server.app import create_app
from dozvon.web.routes import CSP
from tests.server.conftest import PASSWORD, Live

WEB = Path(__file__).resolve().parents[2] / "dozvon" / "web"


def test_the_login_page_for_strangers_and_the_desktop_for_people_logged_in(live: Live) -> None:
    with closing(live.client()) as anonymous:
        page = anonymous.get("/", headers={"Accept-Language": "en"})
        assert page.status_code == 200 and "Username" in page.text and "Log in" in page.text
        assert page.headers["content-security-policy"] == CSP
        assert anonymous.get("/desktop").headers["location"] == "/"
        assert "Логин" in anonymous.get("/", headers={"Accept-Language": "ru"}).text
        anonymous.get("/lang/ru?back=/")  # the switch wins over the browser's language
        assert "Войти" in anonymous.get("/", headers={"Accept-Language": "en"}).text
    with closing(live.client("alpha-op1")) as operator:
        assert operator.get("/").headers["location"] == "/desktop"
        desktop = operator.get("/desktop", headers={"Accept-Language": "ru"})
        assert desktop.headers["content-security-policy"] == CSP
        assert 'data-project="alpha"' in desktop.text and 'data-operator="op1"' in desktop.text
        assert "На линии" in desktop.text
    with closing(live.client("alpha-viewer")) as viewer:  # no operator, but reports: the wallboard first
        assert viewer.get("/").headers["location"] == "/wallboard"
        assert viewer.get("/desktop").headers["location"] == "/wallboard"
    with closing(live.client("root")) as root:
        assert root.post("/api/v1/users", json={"username": "newcomer", "password": PASSWORD}).status_code == 201
    with closing(live.client("newcomer")) as newcomer:  # no role anywhere yet: told so, not sent round
        assert newcomer.get("/").headers["location"] == "/desktop"
        assert "not an operator" in newcomer.get("/desktop", headers={"Accept-Language": "en"}).text
    with closing(live.client()) as anonymous:
        assert anonymous.get("/lang/en?back=//evil.example").headers["location"] == "/"
        assert anonymous.get("/static/dozvon.css").status_code == 200


def test_templates_have_no_inline_script_style_or_handler() -> None:
    for template in (WEB / "templates").glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"\son[a-z]+=", text), template
        assert not re.search(r"\sstyle=", text), template
        assert not re.search(r"<style", text), template
        for script in re.findall(r"<script[^>]*>", text):
            assert 'type="module" src=' in script or 'type="application/json"' in script, script
    for module in (WEB / "static" / "js").rglob("*.js"):
        assert "innerHTML" not in module.read_text(encoding="utf-8"), module


def test_every_text_of_the_pages_is_in_russian_and_english() -> None:
    create_app()  # every page's messages registered, whichever tests ran before this one
    used: set[str] = set()
    for path in [*(WEB / "templates").glob("*.html"), *(WEB / "static" / "js").rglob("*.js")]:
        used |= set(re.findall(r"""\bt\(\s*["'](web\.[a-z_.]+)["']""", path.read_text(encoding="utf-8")))
    assert len(used) > 30
    for key in list(used):
        if key.endswith("."):  # a prefix completed with a value (web.state. + presence)
            used.discard(key)
    missing = {k for k in used if k not in CATALOGUE["en"] or k not in CATALOGUE["ru"]}
    assert not missing, sorted(missing)
    assert set(k for k in CATALOGUE["en"] if k.startswith("web.")) == set(k for k in CATALOGUE["ru"] if k.startswith("web."))


def test_an_operator_of_two_projects_picks_one_on_the_desktop(live: Live) -> None:
    with closing(live.client("beta-admin")) as admin:
        assert admin.put("/api/v1/projects/beta/members/alpha-op1",
                         json={"role": "operator", "operator_id": "op3"}).status_code == 200
    with closing(live.client("alpha-op1")) as operator:
        first = operator.get("/desktop").text
        assert 'data-project="alpha"' in first and 'href="/desktop?project=beta"' in first
        beta = operator.get("/desktop?project=beta").text
        assert 'data-project="beta"' in beta and 'data-operator="op3"' in beta
        assert 'data-project="alpha"' in operator.get("/desktop?project=gamma").text  # not theirs: the first
