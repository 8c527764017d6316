"""Files of conversations — a customer's photos and documents, an operator's files: listed
with their download addresses, downloaded, and sent (Telegram conversations).

Reading needs ``conversations:read`` in the file's project, like the conversation itself;
every query is limited to the project in the path, so another project's file id is a 404.
A download is always an attachment with its declared type and ``nosniff``: a customer's
"image" can never run as a page of this origin.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

import anyio.to_thread
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy import select

from dozvon.channels.telegram.actions import SEND_LIMIT, do_send_file
from dozvon.channels.telegram.models import ChannelFile
from dozvon.conversations import queries as q
from dozvon.core.errors import InvalidInput, NotFound
from dozvon.server.api.conversations import HANDLE, MANAGE
from dozvon.server.deps import CallerDep, HubDep, RowId, SessionDep, acting_operator, page
from dozvon.server.gate import API_PREFIX, needs

router = APIRouter(tags=["conversations"])
#: Columns of a file without its bytes (a list never loads them).
_META = (ChannelFile.id, ChannelFile.conversation_id, ChannelFile.message_id, ChannelFile.channel,
         ChannelFile.direction, ChannelFile.name, ChannelFile.content_type, ChannelFile.size, ChannelFile.kind,
         ChannelFile.created_at_us)


def _file_dict(project: str, row: Any) -> dict[str, Any]:
    return {"id": row.id, "conversation_id": row.conversation_id, "message_id": row.message_id,
            "channel": row.channel, "direction": row.direction, "name": row.name,
            "content_type": row.content_type, "size": row.size, "kind": row.kind,
            "created_at": row.created_at_us / 1e6,
            "download_url": f"{API_PREFIX}/projects/{project}/files/{row.id}"}


@router.get("/projects/{project}/conversations/{conversation_id}/files",
            summary="The conversation's files (photos, documents) with their download addresses",
            **needs("conversations:read"))
def conversation_files(project: str, conversation_id: str, session: SessionDep) -> dict[str, Any]:
    if q.conversation(session, project, conversation_id) is None:
        raise NotFound("routing.unknown_contact", contact=conversation_id)
    rows = session.execute(select(*_META).where(ChannelFile.project == project,
                                                ChannelFile.conversation_id == conversation_id)
                           .order_by(ChannelFile.id))
    return page([_file_dict(project, row) for row in rows])


@router.get("/projects/{project}/files/{file_id}", summary="Download one file (as an attachment)",
            response_class=Response, **needs("conversations:read"))
def download_file(project: str, file_id: RowId, session: SessionDep) -> Response:
    row = session.scalar(select(ChannelFile).where(ChannelFile.project == project, ChannelFile.id == file_id))
    if row is None:
        raise NotFound("telegram.no_file", file=file_id)
    return Response(row.data, media_type=row.content_type, headers={
        "content-disposition": f"attachment; filename*=UTF-8''{quote(row.name)}",
        "x-content-type-options": "nosniff", "cache-control": "private, max-age=3600"})


@router.post("/projects/{project}/conversations/{conversation_id}/files", status_code=201,
             summary="Send a file to the customer (the body is the file; Telegram conversations)",
             **needs(HANDLE))
async def send_file(project: str, conversation_id: str, request: Request, caller: CallerDep, hub: HubDep,
                    name: Annotated[str, Query(min_length=1, max_length=200)],
                    caption: Annotated[str, Query(max_length=1024)] = "") -> dict[str, Any]:
    declared = request.headers.get("content-length", "")
    if declared.isdecimal() and int(declared) > SEND_LIMIT:  # refused before it is read
        raise InvalidInput("telegram.file_over_limit", field="body", size=int(declared), limit=SEND_LIMIT)
    data = await request.body()
    content_type = (request.headers.get("content-type") or "application/octet-stream").split(";")[0].strip()
    operator_id = acting_operator(caller, project, MANAGE)
    key, file_id = await anyio.to_thread.run_sync(
        lambda: do_send_file(hub.service(project), conversation_id, operator_id, caller.name, name=name,
                             content_type=content_type, data=data, caption=caption))
    return {"message_id": key, "file": {"id": file_id,
                                        "download_url": f"{API_PREFIX}/projects/{project}/files/{file_id}"}}
