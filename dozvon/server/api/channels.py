"""Connecting a project's channels — a mailbox, a Telegram bot, a web form: list them
with their health, connect, change, test, renew a secret, disconnect.

A secret (a password, a bot token) goes in and never comes out; a secret Dozvon makes (a
form's signing secret) is answered once, when it is made. ``GET …/channel-kinds`` says
what each kind needs (its settings as JSON Schema), so a page or a tool can ask for it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import Field

from dozvon.acd import queries as live
from dozvon.channels import connections
from dozvon.channels.kinds import KINDS, get_kind
from dozvon.core.errors import DozvonError, InvalidInput
from dozvon.core.i18n import reading
from dozvon.server.deps import Body, CallerDep, HubDep, SessionDep, page
from dozvon.server.gate import needs
from dozvon.server.i18n import language_of

router = APIRouter(tags=["channels"])
MANAGE = "channels:manage"


class ConnectIn(Body):
    kind: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=64)
    queue: str = Field(min_length=1, max_length=128)
    settings: dict[str, Any] = Field(default_factory=dict)
    #: A password or a token the kind needs (never answered back).
    secret: str | None = Field(default=None, min_length=1, max_length=4096)


class ChangeIn(Body):
    queue: str | None = Field(default=None, min_length=1, max_length=128)
    settings: dict[str, Any] | None = None
    secret: str | None = Field(default=None, min_length=1, max_length=4096)
    enabled: bool | None = None


@router.get("/projects/{project}/channel-kinds", summary="The kinds of channel one can connect, and what each needs",
            **needs(MANAGE))
def channel_kinds(project: str) -> dict[str, Any]:
    return page([{"kind": k.name, "channel": k.channel, "secret": k.secret,
                  "secret_label": {"en": k.secret_label[0], "ru": k.secret_label[1]},
                  "title": {"en": k.title[0], "ru": k.title[1]}, "testable": k.test is not None,
                  "settings_schema": k.settings.model_json_schema()} for k in sorted(KINDS.values(),
                                                                                    key=lambda k: k.name)])


@router.get("/projects/{project}/channels", summary="The project's channels with their health",
            **needs(f"{MANAGE}|reports:read"))
def list_channels(project: str, session: SessionDep) -> dict[str, Any]:
    return page([connections.as_dict(c) for c in connections.connections(session, project)])


@router.post("/projects/{project}/channels", status_code=201,
             summary="Connect a channel; a secret Dozvon makes is answered this once", **needs(MANAGE))
def connect(project: str, body: ConnectIn, caller: CallerDep, session: SessionDep, hub: HubDep,
            request: Request) -> dict[str, Any]:
    with reading(language_of(request.headers.get("accept-language"))):  # a kind's own checks say it in it
        made, secret = connections.connect(session, caller.name, project, kind=body.kind, name=body.name,
                                           queue=body.queue, settings=body.settings, secret=body.secret,
                                           queues=live.queue_names(hub.service(project)))
    return {**connections.as_dict(made), **({"secret": secret} if secret else {})}


@router.get("/projects/{project}/channels/{name}", summary="One channel with its health", **needs(MANAGE))
def get_channel(project: str, name: str, session: SessionDep) -> dict[str, Any]:
    return connections.as_dict(connections.get_connection(session, project, name))


@router.patch("/projects/{project}/channels/{name}",
              summary="Change its queue, settings (replaced whole), secret, or switch it off and on", **needs(MANAGE))
def change_channel(project: str, name: str, body: ChangeIn, caller: CallerDep, session: SessionDep,
                   hub: HubDep, request: Request) -> dict[str, Any]:
    with reading(language_of(request.headers.get("accept-language"))):
        changed = connections.change(session, caller.name, project, name, queue=body.queue, settings=body.settings,
                                     secret=body.secret, enabled=body.enabled,
                                     queues=live.queue_names(hub.service(project)))
    return connections.as_dict(changed)


@router.post("/projects/{project}/channels/{name}/secret",
             summary="A new signing secret (for a kind whose secret Dozvon makes); answered once", **needs(MANAGE))
def renew_secret(project: str, name: str, caller: CallerDep, session: SessionDep) -> dict[str, Any]:
    return {"secret": connections.new_secret(session, caller.name, project, name)}


@router.post("/projects/{project}/channels/{name}/test",
             summary="Try the connection against its peer: what was found, or what is wrong", **needs(MANAGE))
def test_channel(project: str, name: str, session: SessionDep, request: Request) -> dict[str, Any]:
    connection = connections.get_connection(session, project, name)
    kind = get_kind(connection.kind)
    if kind.test is None:
        raise InvalidInput("channels.no_test", name=name)
    lang = language_of(request.headers.get("accept-language"))
    try:
        with reading(lang):  # what the test found, in the caller's language
            return {"ok": True, "message": kind.test(connection, connections.secret_of(connection))}
    except DozvonError as error:
        connections.mark_error(session, connection.id, error.message())  # the health: the installation's language
        return {"ok": False, "message": error.message(lang), "code": error.code}


@router.delete("/projects/{project}/channels/{name}", status_code=204, summary="Disconnect it", **needs(MANAGE))
def disconnect(project: str, name: str, caller: CallerDep, session: SessionDep) -> Response:
    connections.disconnect(session, caller.name, project, name)
    return Response(status_code=204)
