"""The widget's public API, under ``/widget/{project}/…``, for pages on any site.

No login: a visitor is known by the credential ``POST …/visitors`` gave them (the
``Authorization: Bearer`` header; ``?token=`` on the socket, where browsers cannot set
headers). Answers allow any origin (CORS) unless the project names its sites; nothing
here reads a cookie, so another site's page gains nothing by calling it.

- ``GET  …/config`` — the widget's look, pre-chat fields, whether the queue is open,
  and its texts in the visitor's language;
- ``POST …/visitors`` — the pre-chat answers; returns ``{visitor_id, token}``;
- ``GET  …/conversation`` — the visitor's latest conversation with its messages, its state
  and place in line, and the ``seq`` to stream after;
- ``POST …/messages`` ``{client_id, text}`` — a message (idempotent by ``client_id``);
- ``POST …/rating`` ``{score, comment}`` — the CSAT answer for the ended conversation;
- ``POST …/leave`` — the visitor closed the chat;
- ``WS   …/stream?token=…&after=SEQ`` — the conversation live (see :mod:`dozvon.widget.stream`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response
from pydantic import Field
from sqlalchemy import select

from dozvon.accounts.models import Project
from dozvon.acd import queries as live
from dozvon.conversations import actions
from dozvon.conversations.ingest import Inbound
from dozvon.conversations.models import Conversation, Message
from dozvon.core.errors import Conflict, Forbidden, NotFound
from dozvon.core.i18n import translate
from dozvon.server.deps import Body, HubDep, client_address
from dozvon.server.gate import bearer_token
from dozvon.server.hub import Hub
from dozvon.server.i18n import language_of
from dozvon.widget import ratelimits as rl
from dozvon.widget import visitors
from dozvon.widget.adapter import PREFIX
from dozvon.widget.bus import visitor_bus
from dozvon.widget.messages import UI_KEYS
from dozvon.widget.models import Visitor, WidgetSettings
from dozvon.widget.view import message_frame

router = APIRouter()
#: The most messages of a conversation the widget loads (the latest).
HISTORY = 200


class VisitorIn(Body):
    name: str = Field(default="", max_length=200)
    phone: str = Field(default="", max_length=40)
    email: str = Field(default="", max_length=200)
    #: The page the widget was opened on, and its UTM source (or the referrer's host).
    page: str = Field(default="", max_length=2000)
    source: str = Field(default="", max_length=200)
    language: str = Field(default="", max_length=8)


class MessageIn(Body):
    #: The widget's own id of the message: a retry with the same id is the same message.
    client_id: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    text: str = Field(min_length=1, max_length=4000)


class RatingIn(Body):
    score: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=1000)


def limits_of(request: Request) -> rl.Limits:
    limits: rl.Limits = request.app.state.limits
    return limits


def widget_settings(hub: Hub, project: str, origin: str | None) -> WidgetSettings:
    """The project's widget, if it is on and this site may use it."""
    with hub.sessions() as session:
        row = visitors.settings_of(session, project)
    if row is None or not row.enabled:
        raise NotFound("widget.not_enabled")
    if not visitors.origin_allowed(row, origin):
        raise Forbidden("widget.origin_refused", project=project, origin=(origin or "")[:100])
    return row


def visitor_of(hub: Hub, project: str, token: str | None) -> Visitor:
    with hub.sessions() as session:
        return visitors.visitor_by_token(session, project, token)


def current_conversation(hub: Hub, conversation_id: str | None) -> Conversation | None:
    """The conversation the visitor's widget shows (their latest), if any."""
    if conversation_id is None:
        return None
    with hub.sessions() as session:
        conv: Conversation | None = session.get(Conversation, conversation_id)
    return conv


def lazy_names(hub: Hub, project: str) -> Callable[[], dict[str, str]]:
    """Operator id → the name customers see, read from the engine at most once, and only if asked."""
    found: list[dict[str, str]] = []

    def names() -> dict[str, str]:
        if not found:
            found.append(live.operator_names(hub.service(project)))
        return found[0]

    return names


Origin = Annotated[str | None, Header()]
Authorization = Annotated[str | None, Header()]


@router.get("/{project}/config")
def config(project: str, request: Request, hub: HubDep, origin: Origin = None) -> dict[str, Any]:
    limits_of(request).check(rl.READS_PER_ADDRESS, "read", client_address(request))
    row = widget_settings(hub, project, origin)
    lang = language_of(request.headers.get("accept-language"))
    with hub.sessions() as session:
        name = session.scalar(select(Project.name).where(Project.slug == project)) or project
    return {"project": project, "title": row.title or name, "color": row.color,
            "prechat": visitors.settings_dict(row)["prechat"], "open": live.queue_open(hub.service(project), row.queue),
            "calls": row.calls and getattr(request.app.state, "voice", None) is not None,
            "ice_servers": getattr(getattr(request.app.state, "voice", None), "ice", []) if row.calls else [],
            "language": lang, "strings": {key: translate(key, lang) for key in UI_KEYS}}


@router.post("/{project}/visitors", status_code=201)
def start(project: str, body: VisitorIn, request: Request, hub: HubDep, origin: Origin = None) -> dict[str, Any]:
    limits_of(request).check(rl.NEW_VISITOR_PER_ADDRESS, "visitor", client_address(request))
    row = widget_settings(hub, project, origin)
    answers = visitors.Prechat(body.name, body.phone, body.email)
    with hub.sessions.begin() as session:
        visitor, token = visitors.start_visitor(session, project, row, answers, page=body.page,
                                                source=body.source, language=body.language)
        return {"visitor_id": visitor.id, "token": token, "name": visitor.name}


def conversation_state(hub: Hub, project: str, conv: Conversation,
                       names: Callable[[], dict[str, str]]) -> dict[str, Any]:
    """Where the conversation stands for the visitor: waiting (with the place in line),
    talking (with whom), ended (rateable or rated), or closed."""
    place = live.place_in_line(hub.service(project), conv.id)
    rated = (conv.details or {}).get("csat")
    if place is None or place.state not in ("waiting", "offered", "connected"):
        return {"state": "ended" if conv.answered_at_us else "closed", "position": 0, "operator": "",
                "rateable": bool(conv.answered_at_us) and rated is None, "rated": rated}
    operator = names().get(place.operator_id, "") if place.operator_id else ""
    return {"state": "talking" if place.state == "connected" else "waiting", "position": place.position,
            "operator": operator, "rateable": False, "rated": rated}


@router.get("/{project}/conversation")
def conversation(project: str, request: Request, hub: HubDep, authorization: Authorization = None,
                 origin: Origin = None) -> dict[str, Any]:
    limits_of(request).check(rl.READS_PER_ADDRESS, "read", client_address(request))
    widget_settings(hub, project, origin)
    visitor = visitor_of(hub, project, bearer_token(authorization))
    seq = hub.service(project).last_seq()  # first: what happens after the reading below comes on the stream
    out: dict[str, Any] = {"visitor_id": visitor.id, "name": visitor.name, "seq": seq, "conversation": None}
    conv = current_conversation(hub, visitor.conversation_id)
    if conv is None:
        return out
    with hub.sessions() as session:
        rows = list(session.scalars(select(Message).where(Message.conversation_id == conv.id)
                                    .order_by(Message.at_us.desc(), Message.id.desc()).limit(HISTORY)))
    names = lazy_names(hub, project)
    operator = names().get(conv.operator_id, "") if conv.operator_id else ""
    out["conversation"] = {"id": conv.id, **conversation_state(hub, project, conv, names),
                           "messages": [message_frame(m, operator) for m in reversed(rows)]}
    return out


@router.post("/{project}/messages")
def send(project: str, body: MessageIn, request: Request, response: Response, hub: HubDep,
         authorization: Authorization = None, origin: Origin = None) -> dict[str, Any]:
    row = widget_settings(hub, project, origin)
    visitor = visitor_of(hub, project, bearer_token(authorization))
    limits_of(request).check(rl.MESSAGES_PER_ADDRESS, "message", client_address(request))
    limits_of(request).check(rl.MESSAGES_PER_VISITOR, "message", visitor.id)
    svc = hub.service(project)
    if not live.has_queue(svc, row.queue):
        raise NotFound("widget.not_enabled")
    result = hub.ingest(project, Inbound(
        channel="chat", external_id=f"{PREFIX}{visitor.id}:{body.client_id}", queue=row.queue,
        customer_id=visitors.customer_ref(visitor), customer_name=visitor.name, text=body.text,
        language=visitor.language[:2] or None, source=visitor.source or None, as_message=True))
    if result.conversation_id != visitor.conversation_id:
        with hub.sessions.begin() as session:
            visitors.follow(session, visitor.id, result.conversation_id)
        visitor_bus.watch(visitor.id, result.conversation_id)
    actions.do_welcome(svc, [result])  # a new conversation: the project's welcome (the shared rule)
    response.status_code = 201 if result.created else 200
    return {"conversation_id": result.conversation_id, "message_id": f"{PREFIX}{visitor.id}:{body.client_id}",
            "created": result.created}


@router.post("/{project}/rating")
def rate(project: str, body: RatingIn, request: Request, hub: HubDep, authorization: Authorization = None,
         origin: Origin = None) -> dict[str, Any]:
    widget_settings(hub, project, origin)
    visitor = visitor_of(hub, project, bearer_token(authorization))
    limits_of(request).check(rl.MESSAGES_PER_VISITOR, "message", visitor.id)
    conv = current_conversation(hub, visitor.conversation_id)
    if conv is None:
        raise Conflict("widget.nothing_to_rate")
    actions.do_rate(hub.service(project), conv.id, body.score, body.comment.strip() or None)
    return {"conversation_id": conv.id, "score": body.score}


@router.post("/{project}/leave")
def leave(project: str, hub: HubDep, authorization: Authorization = None,
          origin: Origin = None) -> dict[str, Any]:
    """The visitor closed the conversation (the widget's «Завершить чат»)."""
    widget_settings(hub, project, origin)
    visitor = visitor_of(hub, project, bearer_token(authorization))
    conv = current_conversation(hub, visitor.conversation_id)
    if conv is None:
        return {"conversation_id": None}
    actions.do_customer_left(hub.service(project), conv.channel, conv.external_id)
    return {"conversation_id": conv.id}
