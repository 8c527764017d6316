"""Connecting channels through the real API: a kind's settings are checked by its own
model (the wrong field named), a secret goes in encrypted and never comes out, a secret
Dozvon makes is shown once and can be renewed, the test says what it found or what is
wrong (and that lands in the channel's health, which the wallboard shows), only
``channels:manage`` may do it, and every change is audited without the secret."""

from __future__ import annotations

from contextlib import closing
from typing import Any

from sqlalchemy import select

from dozvon.accounts.models import AuditEntry
from dozvon.channels import connections
from dozvon.channels.kinds import ChannelKind, KindSettings, register_kind
from dozvon.channels.models import ChannelConnection
from dozvon.core.errors import DozvonError
from tests.server.conftest import Live


class MailboxSettings(KindSettings):
    host: str
    port: int = 993


def _test(connection: Any, secret: str) -> str:
    if connection.settings["host"] != "imap.example.ru" or secret != "пароль-1":
        raise DozvonError("channels.no_channel", name="mailbox refused the login")
    return f"logged in to {connection.settings['host']}:{connection.settings['port']}"


register_kind(ChannelKind(name="test-mailbox", channel="email", settings=MailboxSettings, secret="required",
                          secret_label=("password", "пароль"), test=_test))
register_kind(ChannelKind(name="test-form", channel="form", settings=KindSettings, secret="generated"))


def test_a_channel_is_connected_tested_and_disconnected_and_its_secret_never_comes_out(live: Live) -> None:
    with closing(live.client("alpha-admin")) as admin, closing(live.client("alpha-sup")) as sup:
        kinds = {k["kind"]: k for k in admin.get("/api/v1/projects/alpha/channel-kinds").json()["items"]}
        assert kinds["test-mailbox"]["settings_schema"]["required"] == ["host"]
        assert sup.post("/api/v1/projects/alpha/channels", json={
            "kind": "test-mailbox", "name": "support", "queue": "sales",
            "settings": {"host": "imap.example.ru"}, "secret": "x"}).status_code == 403
        wrong = admin.post("/api/v1/projects/alpha/channels", headers={"Accept-Language": "ru"}, json={
            "kind": "test-mailbox", "name": "support", "queue": "sales", "settings": {"host": "imap.example.ru",
                                                                                     "port": "сто"},
            "secret": "пароль-1"})
        assert wrong.status_code == 422 and wrong.json()["error"]["fields"][0]["field"] == "settings.port"
        assert admin.post("/api/v1/projects/alpha/channels", json={
            "kind": "test-mailbox", "name": "support", "queue": "nowhere", "settings": {"host": "h"},
            "secret": "p"}).json()["error"]["fields"][0]["field"] == "queue"
        assert admin.post("/api/v1/projects/alpha/channels", json={
            "kind": "test-mailbox", "name": "support", "queue": "sales", "settings": {"host": "h"}}).json()[
            "error"]["fields"][0]["field"] == "secret"
        made = admin.post("/api/v1/projects/alpha/channels", json={
            "kind": "test-mailbox", "name": "support", "queue": "sales", "settings": {"host": "imap.example.ru"},
            "secret": "пароль-1"})
        assert made.status_code == 201, made.text
        assert made.json()["has_secret"] is True and "secret" not in made.json()
        assert made.json()["settings"] == {"host": "imap.example.ru", "port": 993}
        assert admin.post("/api/v1/projects/alpha/channels", json={
            "kind": "test-mailbox", "name": "support", "queue": "sales", "settings": {"host": "h"},
            "secret": "p"}).status_code == 409
        with live.hub.sessions() as session:
            stored = session.scalar(select(ChannelConnection).where(ChannelConnection.name == "support"))
            assert stored is not None and "пароль" not in stored.secret and stored.secret
            assert connections.secret_of(stored) == "пароль-1"
            audit = [e.details for e in session.scalars(select(AuditEntry).where(AuditEntry.action.like("channel.%")))]
        assert audit and all("пароль" not in str(entry) for entry in audit)

        assert admin.post("/api/v1/projects/alpha/channels/support/test").json() == {
            "ok": True, "message": "logged in to imap.example.ru:993"}
        assert admin.patch("/api/v1/projects/alpha/channels/support", json={"secret": "другой"}).status_code == 200
        failed = admin.post("/api/v1/projects/alpha/channels/support/test").json()
        assert failed["ok"] is False and "mailbox refused the login" in failed["message"]
        health = sup.get("/api/v1/projects/alpha/wallboard").json()["channels"]
        assert [(c["name"], c["kind"]) for c in health] == [("support", "test-mailbox")]
        assert "mailbox refused the login" in health[0]["last_error"]
        assert sup.get("/api/v1/projects/alpha/channels").json()["items"][0]["health"]["last_error"]

        form = admin.post("/api/v1/projects/alpha/channels", json={
            "kind": "test-form", "name": "site-form", "queue": "sales"}).json()
        assert len(form["secret"]) >= 40
        assert "secret" not in admin.get("/api/v1/projects/alpha/channels/site-form").json()
        assert admin.patch("/api/v1/projects/alpha/channels/site-form", json={"secret": "mine"}).status_code == 422
        renewed = admin.post("/api/v1/projects/alpha/channels/site-form/secret").json()["secret"]
        assert renewed != form["secret"]
        off = admin.patch("/api/v1/projects/alpha/channels/site-form", json={"enabled": False}).json()
        assert off["enabled"] is False
        assert admin.delete("/api/v1/projects/alpha/channels/site-form").status_code == 204
        assert admin.get("/api/v1/projects/alpha/channels/site-form").status_code == 404
    with closing(live.client("beta-admin")) as other:
        assert other.get("/api/v1/projects/alpha/channels").status_code == 403
        assert other.get("/api/v1/projects/beta/channels").json()["items"] == []
