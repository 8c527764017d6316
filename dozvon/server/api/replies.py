"""What Dozvon says for a project: quick replies, automatic messages (welcome, greeting,
farewell), the chat widget's settings; and private notes on conversations."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Response
from pydantic import Field

from dozvon.accounts.permissions import Principal
from dozvon.acd import queries as live
from dozvon.conversations import actions
from dozvon.core.errors import Forbidden, InvalidInput
from dozvon.replies import actions as replies
from dozvon.replies import queries as reply_queries
from dozvon.replies.models import AUTO_KINDS
from dozvon.replies.render import VARIABLES
from dozvon.server.deps import Body, CallerDep, HubDep, SessionDep, page
from dozvon.server.gate import needs
from dozvon.widget import visitors as widget

router = APIRouter(tags=["replies"])
SETTINGS = "settings:manage"
HANDLE = "conversations:handle"
ReplyId = Annotated[int, Path(ge=1, le=2**62)]


class QuickReplyIn(Body):
    shortcut: str = Field(min_length=1, max_length=65)
    title: str = Field(default="", max_length=200)
    text: str = Field(min_length=1, max_length=4000)


@router.get("/projects/{project}/quick-replies",
            summary="Quick replies (operators insert them with /keyword): the project's and the caller's own",
            **needs("conversations:read"))
def list_quick_replies(project: str, caller: CallerDep, session: SessionDep,
                       scope: Literal["all", "project", "mine"] = "all") -> dict[str, Any]:
    """``all`` (the composer's list): the project's replies and the caller's own, theirs in
    place of a project reply with the same keyword; ``project``: the project's only;
    ``mine``: the caller's own only. Each marked ``personal``."""
    if scope == "project":
        found = reply_queries.quick_replies(session, project)
    elif scope == "mine":
        found = reply_queries.personal_replies(session, project, caller.user_id) if caller.user_id else []
    else:
        found = reply_queries.replies_for(session, project, caller.user_id)
    return page([reply_queries.quick_reply_dict(r) for r in found], variables=list(VARIABLES))


def _person(caller: Principal) -> int:
    if caller.user_id is None:
        raise Forbidden("replies.personal_needs_person")
    return caller.user_id


@router.post("/projects/{project}/my-quick-replies", status_code=201,
             summary="Add a quick reply of one's own (only its author sees it)", **needs(HANDLE))
def add_own_reply(project: str, body: QuickReplyIn, caller: CallerDep, session: SessionDep) -> dict[str, Any]:
    reply = replies.save_quick_reply(session, caller.name, project, body.shortcut, body.text, body.title,
                                     owner_id=_person(caller))
    return reply_queries.quick_reply_dict(reply)


@router.put("/projects/{project}/my-quick-replies/{reply_id}", summary="Change a quick reply of one's own",
            **needs(HANDLE))
def change_own_reply(project: str, reply_id: ReplyId, body: QuickReplyIn, caller: CallerDep,
                     session: SessionDep) -> dict[str, Any]:
    reply = replies.save_quick_reply(session, caller.name, project, body.shortcut, body.text, body.title,
                                     reply_id=reply_id, owner_id=_person(caller))
    return reply_queries.quick_reply_dict(reply)


@router.delete("/projects/{project}/my-quick-replies/{reply_id}", status_code=204,
               summary="Delete a quick reply of one's own", **needs(HANDLE))
def delete_own_reply(project: str, reply_id: ReplyId, caller: CallerDep, session: SessionDep) -> Response:
    replies.delete_quick_reply(session, caller.name, project, reply_id, owner_id=_person(caller))
    return Response(status_code=204)


@router.post("/projects/{project}/quick-replies", status_code=201, summary="Add a quick reply", **needs(SETTINGS))
def add_quick_reply(project: str, body: QuickReplyIn, caller: CallerDep, session: SessionDep) -> dict[str, Any]:
    reply = replies.save_quick_reply(session, caller.name, project, body.shortcut, body.text, body.title)
    return reply_queries.quick_reply_dict(reply)


@router.put("/projects/{project}/quick-replies/{reply_id}", summary="Change a quick reply", **needs(SETTINGS))
def change_quick_reply(project: str, reply_id: ReplyId, body: QuickReplyIn,
                       caller: CallerDep, session: SessionDep) -> dict[str, Any]:
    reply = replies.save_quick_reply(session, caller.name, project, body.shortcut, body.text, body.title,
                                     reply_id=reply_id)
    return reply_queries.quick_reply_dict(reply)


@router.delete("/projects/{project}/quick-replies/{reply_id}", status_code=204, summary="Delete a quick reply",
               **needs(SETTINGS))
def delete_quick_reply(project: str, reply_id: ReplyId, caller: CallerDep,
                       session: SessionDep) -> Response:
    replies.delete_quick_reply(session, caller.name, project, reply_id)
    return Response(status_code=204)


class AutoTextIn(Body):
    text: str = Field(default="", max_length=4000)
    enabled: bool = True


@router.get("/projects/{project}/auto-texts", summary="Automatic messages: welcome, greeting, farewell, survey",
            **needs("conversations:read"))
def list_auto_texts(project: str, session: SessionDep) -> dict[str, Any]:
    return {"items": reply_queries.auto_texts(session, project), "variables": list(VARIABLES)}


@router.put("/projects/{project}/auto-texts/{kind}", summary="Set an automatic message", **needs(SETTINGS))
def set_auto_text(project: str, kind: Literal["welcome", "greeting", "farewell", "survey"], body: AutoTextIn,
                  caller: CallerDep, session: SessionDep) -> dict[str, Any]:
    assert kind in AUTO_KINDS
    row = replies.save_auto_text(session, caller.name, project, kind, body.text, body.enabled)
    session.flush()
    reply_queries.auto_text_cache.forget(project)
    return {"kind": row.kind, "text": row.text, "enabled": row.enabled}


class PrechatIn(Body):
    name: Literal["off", "optional", "required"] = "optional"
    phone: Literal["off", "optional", "required"] = "off"
    email: Literal["off", "optional", "required"] = "off"


class WidgetIn(Body):
    queue: str = Field(min_length=1, max_length=128)
    enabled: bool = True
    title: str = Field(default="", max_length=100)
    color: str = Field(default="#2563eb", max_length=7)
    prechat: PrechatIn = PrechatIn()
    origins: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list, max_length=20)
    #: The "call us" button (needs voice on the server: WebRTC to an operator's softphone).
    calls: bool = False


@router.get("/projects/{project}/widget", summary="The chat widget's settings and its embed code",
            **needs(SETTINGS))
def get_widget(project: str, session: SessionDep) -> dict[str, Any]:
    row = widget.settings_of(session, project)
    return {"settings": widget.settings_dict(row) if row is not None else None,
            "embed": f'<script src="/widget.js" data-project="{project}" async></script>'}


@router.put("/projects/{project}/widget", summary="Set the chat widget up", **needs(SETTINGS))
def set_widget(project: str, body: WidgetIn, caller: CallerDep, hub: HubDep, session: SessionDep) -> dict[str, Any]:
    if not live.has_queue(hub.service(project), body.queue):
        raise InvalidInput("widget.unknown_queue", field="queue", value=body.queue)
    row = widget.save_settings(session, caller.name, project, queue=body.queue, enabled=body.enabled,
                               title=body.title, color=body.color, prechat=body.prechat.model_dump(),
                               origins=body.origins, calls=body.calls)
    return widget.settings_dict(row)


class NoteIn(Body):
    text: str = Field(min_length=1, max_length=4000)


@router.post("/projects/{project}/conversations/{conversation_id}/notes", status_code=201,
             summary="A private note for colleagues (never sent to the customer)",
             **needs("conversations:handle|conversations:manage"))
def add_note(project: str, conversation_id: str, body: NoteIn, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    return {"note_id": actions.do_add_note(hub.service(project), conversation_id, caller.name, body.text)}
