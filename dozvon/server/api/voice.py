"""Voice: the operators' softphone joining its call, and the calls' recordings.

The softphone is a WebRTC peer of the server (``dozvon.voice``): when the engine connects
a call to an operator, the operator's page sends its offer here and gets the answer;
only the operator the call is connected to may join it. Recordings are read like the
conversation they belong to (``conversations:read``), limited to the project in the path.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

import anyio.to_thread
from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import select

from dozvon.accounts.permissions import Principal
from dozvon.channels import connections
from dozvon.conversations import queries as q
from dozvon.core.errors import Forbidden, InvalidInput, NotFound
from dozvon.server.api.conversations import HANDLE, MANAGE
from dozvon.server.deps import CallerDep, RowId, SessionDep, acting_operator, page
from dozvon.server.gate import API_PREFIX, needs
from dozvon.voice import prompts_store
from dozvon.voice.models import Recording

router = APIRouter(tags=["voice"])


def get_voice(request: Request) -> Any:
    voice = getattr(request.app.state, "voice", None)
    if voice is None:
        raise InvalidInput("voice.off")
    return voice


VoiceDep = Annotated[Any, Depends(get_voice)]


class SoftphoneOffer(BaseModel):
    #: The browser's SDP offer (audio only), with its ICE candidates gathered.
    sdp: str = Field(min_length=10, max_length=20_000)


def _operator(caller: Principal, project: str) -> str:
    operator_id = caller.operator_ids.get(project)
    if operator_id is None:
        raise Forbidden("auth.not_an_operator", project=project)
    return operator_id


@router.get("/projects/{project}/voice", summary="Voice on this server: SIP address, calls, ICE servers",
            **needs(HANDLE))
def voice_status(project: str, voice: VoiceDep) -> dict[str, Any]:
    listen = voice.listen
    return {"sip": f"{listen[0]}:{voice.sip_port}" if listen is not None else None,
            "calls": sum(1 for s in voice.calls if s.project == project),
            "ice_servers": voice.ice}


@router.post("/projects/{project}/voice/calls/{conversation_id}/softphone",
             summary="The operator's softphone joins the call connected to them (WebRTC offer → answer)",
             **needs(HANDLE))
async def softphone(project: str, conversation_id: str, body: SoftphoneOffer, caller: CallerDep,
                    voice: VoiceDep) -> dict[str, str]:
    operator_id = _operator(caller, project)
    answer = await anyio.to_thread.run_sync(voice.softphone, project, conversation_id, operator_id, body.sdp)
    return {"type": "answer", "sdp": answer}


class ConsultIn(BaseModel):
    """Exactly one: an outside number, a colleague at the desk (their operator id), or a
    queue (the engine routes the consultation there; whoever answers talks first)."""

    number: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^\+?[0-9*#]{1,63}$")
    operator: str | None = Field(default=None, min_length=1, max_length=128)
    queue: str | None = Field(default=None, min_length=1, max_length=128)

    @model_validator(mode="after")
    def _one(self) -> ConsultIn:
        if sum(x is not None for x in (self.number, self.operator, self.queue)) != 1:
            raise ValueError("give exactly one of number, operator, queue")
        return self


@router.post("/projects/{project}/voice/calls/{conversation_id}/consult",
             summary="Attended transfer: hold the caller and talk first — to a number through the trunk, to a "
                     "colleague (their desktop is asked), or to whoever answers in a queue (routed by the engine)",
             **needs(HANDLE))
def consult(project: str, conversation_id: str, body: ConsultIn, caller: CallerDep, voice: VoiceDep) -> dict[str, Any]:
    acting = acting_operator(caller, project, MANAGE)
    if body.operator is not None:
        voice.consult_colleague(project, conversation_id, acting, body.operator)
        return {"consulting": body.operator}
    if body.queue is not None:
        voice.consult_queue(project, conversation_id, acting, body.queue)
        return {"consulting": body.queue}
    assert body.number is not None
    voice.consult(project, conversation_id, acting, body.number)
    return {"consulting": body.number}


@router.post("/projects/{project}/voice/calls/{conversation_id}/consult/join",
             summary="The colleague asked for a consultation answers it with their softphone (WebRTC offer → "
                     "answer)", **needs(HANDLE))
async def join_consult(project: str, conversation_id: str, body: SoftphoneOffer, caller: CallerDep,
                       voice: VoiceDep) -> dict[str, str]:
    operator_id = _operator(caller, project)
    answer = await anyio.to_thread.run_sync(voice.join_consult, project, conversation_id, operator_id, body.sdp)
    return {"type": "answer", "sdp": answer}


@router.post("/projects/{project}/voice/calls/{conversation_id}/consult/complete",
             summary="Attended transfer: hand the caller to the number, colleague or queue's operator being talked to",
             **needs(HANDLE))
def complete_consult(project: str, conversation_id: str, caller: CallerDep, voice: VoiceDep) -> dict[str, Any]:
    return {"transferred_to": voice.complete_consult(project, conversation_id,
                                                     acting_operator(caller, project, MANAGE))}


@router.post("/projects/{project}/voice/calls/{conversation_id}/consult/cancel",
             summary="Attended transfer: hang up the number and go back to the caller", **needs(HANDLE))
def cancel_consult(project: str, conversation_id: str, caller: CallerDep, voice: VoiceDep) -> dict[str, Any]:
    """By the operator going back to the caller, or by the colleague declining."""
    acting = caller.operator_ids.get(project) or acting_operator(caller, project, MANAGE)
    voice.cancel_consult(project, conversation_id, acting)
    return {"consulting": None}


# ---------------------------------------------------------------- a line's recorded prompts

def _line(session: Any, project: str, name: str) -> Any:
    line = connections.get_connection(session, project, name)
    if line.kind != "phone":
        raise NotFound("voice.not_a_line", name=name)
    return line


def _prompt_urls(project: str, name: str, found: dict[str, float]) -> dict[str, Any]:
    base = f"{API_PREFIX}/projects/{project}/voice/lines/{quote(name)}/prompts"
    items = [{"kind": kind, "duration_s": seconds, "url": f"{base}/{kind}"} for kind, seconds in found.items()]
    return {"items": items, "kinds": list(prompts_store.KINDS)}


@router.get("/projects/{project}/voice/lines/{name}/prompts", summary="A phone line's recorded prompts",
            **needs("channels:manage"))
def line_prompts(project: str, name: str, session: SessionDep, voice: VoiceDep) -> dict[str, Any]:
    line = _line(session, project, name)
    return _prompt_urls(project, name, prompts_store.listing(voice.data_dir, project, line.id))


@router.put("/projects/{project}/voice/lines/{name}/prompts/{kind}",
            summary="Record a line's greeting, menu or recording notice: the body is a WAV file (16-bit)",
            **needs("channels:manage"))
async def put_line_prompt(project: str, name: str, kind: str, request: Request, voice: VoiceDep) -> dict[str, Any]:
    body = await request.body()

    def store() -> float:
        with voice.hub.sessions() as session:
            line = _line(session, project, name)
        return prompts_store.save(voice.data_dir, project, line.id, kind, body)

    seconds = await anyio.to_thread.run_sync(store)
    return {"kind": kind, "duration_s": round(seconds, 2)}


@router.get("/projects/{project}/voice/lines/{name}/prompts/{kind}", summary="Listen to a line's recorded prompt",
            response_class=Response, **needs("channels:manage"))
def get_line_prompt(project: str, name: str, kind: str, session: SessionDep, voice: VoiceDep) -> Response:
    line = _line(session, project, name)
    pcm = prompts_store.load(voice.data_dir, project, line.id, kind)
    if pcm is None:
        raise NotFound("voice.no_prompt", kind=kind)
    return Response(prompts_store.as_wav(pcm), media_type="audio/wav", headers={"X-Content-Type-Options": "nosniff"})


@router.delete("/projects/{project}/voice/lines/{name}/prompts/{kind}",
               summary="Go back to the line's spoken text for this prompt", **needs("channels:manage"))
def delete_line_prompt(project: str, name: str, kind: str, session: SessionDep, voice: VoiceDep) -> dict[str, Any]:
    line = _line(session, project, name)
    prompts_store.remove(voice.data_dir, project, line.id, kind)
    return _prompt_urls(project, name, prompts_store.listing(voice.data_dir, project, line.id))


def _recording_dict(project: str, row: Recording) -> dict[str, Any]:
    return {"id": row.id, "conversation_id": row.conversation_id, "kind": row.kind, "duration_s": row.duration_s,
            "size": row.size_bytes, "created_at": row.created_at_us / 1e6,
            "delete_after": row.delete_after_us / 1e6,
            "url": f"{API_PREFIX}/projects/{project}/recordings/{row.id}"}


@router.get("/projects/{project}/conversations/{conversation_id}/recordings",
            summary="The call's recordings and voice messages", **needs("conversations:read"))
def conversation_recordings(project: str, conversation_id: str, session: SessionDep) -> dict[str, Any]:
    if q.conversation(session, project, conversation_id) is None:
        raise NotFound("routing.unknown_contact", contact=conversation_id)
    rows = session.scalars(select(Recording).where(Recording.project == project,
                                                   Recording.conversation_id == conversation_id)
                           .order_by(Recording.id))
    return page([_recording_dict(project, row) for row in rows])


@router.get("/projects/{project}/recordings/{recording_id}", summary="Listen to one recording (WAV)",
            response_class=FileResponse, **needs("conversations:read"))
def recording(project: str, recording_id: RowId, session: SessionDep, voice: VoiceDep) -> FileResponse:
    row = session.scalar(select(Recording).where(Recording.project == project, Recording.id == recording_id))
    path = voice.data_dir / row.path if row is not None else None
    if row is None or path is None or not path.is_file():
        raise NotFound("voice.no_recording", conversation=row.conversation_id if row is not None else "?")
    return FileResponse(path, media_type="audio/wav", headers={"X-Content-Type-Options": "nosniff",
                                                               "Cache-Control": "private, max-age=3600"})
