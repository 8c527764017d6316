"""The widget's "call us" button: a visitor talks to an operator from the browser.

The visitor's page offers WebRTC (G.711 asked for first), the server answers and the call
becomes a voice contact in the widget's queue — greeted, queued with music, offered and
bridged to the operator's softphone exactly like a call from the telephone network
(:mod:`dozvon.voice`). Only a visitor with a token (started in the widget) may call, as
often as the message limits allow; the project must have switched the button on.
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Request
from pydantic import Field

from dozvon.core.errors import Forbidden, InvalidInput
from dozvon.server.deps import Body, HubDep, client_address
from dozvon.server.gate import bearer_token
from dozvon.widget import ratelimits as rl
from dozvon.widget.api import Authorization, Origin, limits_of, visitor_of, widget_settings

router = APIRouter()


class CallIn(Body):
    #: The visitor's SDP offer (audio only), every ICE candidate gathered.
    sdp: str = Field(min_length=10, max_length=20_000)


def _voice(request: Request) -> Any:
    voice = getattr(request.app.state, "voice", None)
    if voice is None:
        raise InvalidInput("voice.off")
    return voice


@router.post("/{project}/call")
async def call(project: str, body: CallIn, request: Request, hub: HubDep, authorization: Authorization = None,
               origin: Origin = None) -> dict[str, str]:
    """Start a call from the browser: the visitor's offer in, the server's answer out."""
    row = await anyio.to_thread.run_sync(widget_settings, hub, project, origin)
    if not row.calls:
        raise Forbidden("widget.calls_off")
    visitor = await anyio.to_thread.run_sync(visitor_of, hub, project, bearer_token(authorization))
    limits_of(request).check(rl.MESSAGES_PER_ADDRESS, "message", client_address(request))
    limits_of(request).check(rl.MESSAGES_PER_VISITOR, "message", visitor.id)
    answer = await anyio.to_thread.run_sync(_voice(request).web_call, project, row.queue, visitor, body.sdp)
    return {"type": "answer", "sdp": answer}


@router.post("/{project}/call/hangup")
async def hangup(project: str, request: Request, hub: HubDep, authorization: Authorization = None,
                 origin: Origin = None) -> dict[str, bool]:
    """The visitor hung up (the button; closing the page ends the call too, a little later)."""
    await anyio.to_thread.run_sync(widget_settings, hub, project, origin)
    visitor = await anyio.to_thread.run_sync(visitor_of, hub, project, bearer_token(authorization))
    return {"ended": await anyio.to_thread.run_sync(_voice(request).web_hangup, project, visitor.id)}
