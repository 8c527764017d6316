"""The administrator's APIs that the admin pages need, on the real server (SQLite and
PostgreSQL): a project's name, time zone, region and language change (audited); break
reasons are the project's own — listed, replaced, refused on a state change when unknown,
in the caller's language; a superadmin deactivates a user (logged out at once, cannot log
in) and resets a password; each is refused to those without the permission."""

from __future__ import annotations

from contextlib import ExitStack, closing

import pytest
from sqlalchemy import create_engine, select, text

from dozvon.accounts.models import AuditEntry
from dozvon.core.db import normalize_url, upgrade
from tests.conftest import new_postgres_database
from tests.server.conftest import PASSWORD, Live

RU = {"Accept-Language": "ru"}


def audit_actions(live: Live, project: str | None) -> list[str]:
    with live.hub.sessions() as session:
        return list(session.scalars(select(AuditEntry.action).where(AuditEntry.project == project)
                                    .order_by(AuditEntry.id)))


def test_an_admin_renames_the_project_and_changes_its_time_zone_region_and_language(live: Live) -> None:
    with closing(live.client("alpha-admin")) as admin:
        answer = admin.put("/api/v1/projects/alpha", json={
            "name": "Альфа-Банк", "timezone": "Europe/Minsk", "region": "by", "language": "en"})
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"slug": "alpha", "name": "Альфа-Банк", "timezone": "Europe/Minsk",
                                 "region": "BY", "language": "en"}
        assert admin.get("/api/v1/projects/alpha").json()["timezone"] == "Europe/Minsk"
        refused = admin.put("/api/v1/projects/alpha", json={"name": "A", "timezone": "Europe/Moskva"}, headers=RU)
        assert refused.status_code == 422
        error = refused.json()["error"]
        assert error["fields"][0]["field"] == "timezone" and "часовой пояс" in error["message"]
        refused = admin.put("/api/v1/projects/alpha", json={"name": "  ", "timezone": "UTC"}, headers=RU)
        assert refused.status_code == 422 and refused.json()["error"]["fields"][0]["field"] == "name"
        assert admin.get("/api/v1/projects/alpha").json()["name"] == "Альфа-Банк"  # nothing half-written
    assert "project.changed" in audit_actions(live, "alpha")
    with closing(live.client("alpha-sup")) as sup:  # supervisors run the floor, not the tenant
        assert sup.put("/api/v1/projects/alpha", json={"name": "X"}).status_code == 403
    with closing(live.client("beta-admin")) as other:
        assert other.put("/api/v1/projects/alpha", json={"name": "X"}).status_code == 403


def test_every_project_starts_with_the_four_break_reasons_in_both_languages(live: Live) -> None:
    with closing(live.client("alpha-op1")) as op:
        items = op.get("/api/v1/projects/alpha/break-reasons").json()["items"]
    assert [r["code"] for r in items] == ["lunch", "coffee", "training", "meeting"]
    assert items[0] == {"code": "lunch", "label_en": "Lunch", "label_ru": "Обед"}


def test_a_supervisor_replaces_the_break_reasons_and_an_unknown_one_is_refused_on_a_break(live: Live) -> None:
    with closing(live.client("alpha-sup")) as sup:
        answer = sup.put("/api/v1/projects/alpha/break-reasons", json={"reasons": [
            {"code": "lunch", "label_en": "Lunch", "label_ru": "Обед"},
            {"code": "coaching", "label_en": "Coaching", "label_ru": "Наставничество"},
            {"code": "tech", "label_ru": "Сбой техники"}]})
        assert answer.status_code == 200, answer.text
        assert [r["code"] for r in answer.json()["items"]] == ["lunch", "coaching", "tech"]
    with closing(live.client("alpha-op1")) as op:
        url = "/api/v1/projects/alpha/operators/op1/state"
        assert op.post(url, json={"state": "break", "reason": "coaching"}).json()["reason"] == "coaching"
        refused = op.post(url, json={"state": "break", "reason": "coffee"}, headers=RU)
        assert refused.status_code == 422, refused.text
        error = refused.json()["error"]
        assert error["code"] == "accounts.unknown_break_reason"
        assert error["fields"][0]["field"] == "reason"
        assert "не причина перерыва" in error["message"] and "coaching" in error["message"]
        assert op.get("/api/v1/projects/alpha/operators/op1").json()["reason"] == "coaching"  # unchanged
        english = op.post(url, json={"state": "break", "reason": "coffee"}, headers={"Accept-Language": "en"})
        assert "is not a break reason of this project" in english.json()["error"]["message"]
        assert op.post(url, json={"state": "break"}).status_code == 200  # a break without a reason still is one
    with closing(live.client("beta-op1")) as other:  # the other tenant keeps its own list
        url = "/api/v1/projects/beta/operators/op1/state"
        assert other.post(url, json={"state": "break", "reason": "coffee"}).status_code == 200
        assert other.post(url, json={"state": "break", "reason": "coaching"}).status_code == 422
    assert "break_reasons.set" in audit_actions(live, "alpha")


def test_break_reasons_are_checked_each_beside_its_field(live: Live) -> None:
    url = "/api/v1/projects/alpha/break-reasons"
    with closing(live.client("alpha-admin")) as admin:
        cases = [
            ([{"code": "Обед", "label_ru": "Обед"}], "reasons.0.code", "не код"),
            ([{"code": "a", "label_ru": "А"}, {"code": "a", "label_ru": "Б"}], "reasons.1.code", "уже занят"),
            ([{"code": "a", "label_ru": " ", "label_en": ""}], "reasons.0.label_ru", "назовите причину"),
        ]
        for reasons, field, words in cases:
            answer = admin.put(url, json={"reasons": reasons}, headers=RU)
            assert answer.status_code == 422, answer.text
            error = answer.json()["error"]
            assert error["fields"][0]["field"] == field and words in error["message"], error
        assert admin.put(url, json={"reasons": []}).status_code == 422
        assert len(admin.get(url).json()["items"]) == 4  # nothing half-written
    with closing(live.client("alpha-op1")) as op:
        assert op.put(url, json={"reasons": [{"code": "nap", "label_en": "Nap"}]}).status_code == 403


def test_a_superadmin_deactivates_a_user_who_is_logged_out_at_once_and_turns_them_back_on(live: Live) -> None:
    with closing(live.client("root")) as root, closing(live.client("alpha-op2")) as op2:
        assert op2.get("/api/v1/me").status_code == 200
        answer = root.put("/api/v1/users/alpha-op2", json={"active": False, "display_name": "Пётр"})
        assert answer.status_code == 200, answer.text
        assert answer.json()["active"] is False and answer.json()["display_name"] == "Пётр"
        assert op2.get("/api/v1/me").status_code == 401  # the open session ends at once
        refused = live.client().post("/auth/login", json={"username": "alpha-op2", "password": PASSWORD})
        assert refused.status_code == 401
        assert root.put("/api/v1/users/alpha-op2", json={"active": True}).status_code == 200
        assert live.client().post("/auth/login", json={"username": "alpha-op2",
                                                       "password": PASSWORD}).status_code == 200
        itself = root.put("/api/v1/users/root", json={"active": False}, headers=RU)
        assert itself.status_code == 409 and "собственную" in itself.json()["error"]["message"]
    assert "user.changed" in audit_actions(live, None)
    with closing(live.client("alpha-admin")) as admin:  # users are global: superadmins only
        assert admin.put("/api/v1/users/alpha-op2", json={"active": False}).status_code == 403


def test_a_superadmin_resets_a_password_and_only_the_new_one_opens(live: Live) -> None:
    with closing(live.client("root")) as root:
        short = root.put("/api/v1/users/alpha-op1/password", json={"password": "123"})
        assert short.status_code == 422 and short.json()["error"]["fields"][0]["field"] == "password"
        assert root.put("/api/v1/users/alpha-op1/password", json={"password": "new-secret"}).status_code == 204
    anonymous = live.client()
    assert anonymous.post("/auth/login", json={"username": "alpha-op1", "password": PASSWORD}).status_code == 401
    assert anonymous.post("/auth/login", json={"username": "alpha-op1", "password": "new-secret"}).status_code == 200
    assert "user.password_set" in audit_actions(live, None)


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_the_migration_gives_existing_projects_the_default_reasons(
        backend: str, tmp_path: object, request: pytest.FixtureRequest) -> None:
    """A database made before break reasons were settings: 0006 gives each project the four."""
    with ExitStack() as stack:
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path}/old.db"
        else:
            request.getfixturevalue("postgres_server_url")  # skips or fails as the other PostgreSQL tests
            url = stack.enter_context(new_postgres_database("dozvon_mig"))
        upgrade(url, "0005")
        engine = create_engine(normalize_url(url))
        stack.callback(engine.dispose)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO projects (slug, name, language, timezone, created_at_us) "
                              "VALUES ('old', 'Old', 'ru', 'UTC', 0)"))
        upgrade(url)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT code, label_ru FROM break_reasons WHERE project = 'old' "
                                     "ORDER BY position")).all()
    assert [tuple(r) for r in rows] == [("lunch", "Обед"), ("coffee", "Короткий перерыв"),
                                        ("training", "Обучение"), ("meeting", "Совещание")]
