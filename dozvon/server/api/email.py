"""The e-mail channel's reads for the desk: a conversation's mails (plain text, the HTML
made safe, remote images blocked unless asked for, the attachments with their download
URLs) and an attachment's download.

An attachment is served as a download (``Content-Disposition: attachment``), never as a
page of ours: a file a stranger sent cannot run in Dozvon's origin (``nosniff`` and a
sandboxing Content-Security-Policy as well).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Response

from dozvon.channels.email import store
from dozvon.conversations import queries as q
from dozvon.core.errors import NotFound
from dozvon.server.deps import RowId, SessionDep
from dozvon.server.gate import API_PREFIX, needs

router = APIRouter(tags=["email"])
READ = "conversations:read"
#: Types a browser may be told as they are (anything else is application/octet-stream).
_SAFE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain")


def attachment_url(project: str, attachment_id: int) -> str:
    return f"{API_PREFIX}/projects/{project}/email/attachments/{attachment_id}"


@router.get("/projects/{project}/conversations/{conversation_id}/email",
            summary="A conversation's mails: text, safe HTML, attachments", **needs(READ))
def conversation_mails(project: str, conversation_id: str, session: SessionDep) -> dict[str, Any]:
    if q.conversation(session, project, conversation_id) is None:
        raise NotFound("routing.unknown_contact", contact=conversation_id)
    return {"conversation_id": conversation_id,
            "items": store.mails_of(session, project, conversation_id, lambda i: attachment_url(project, i))}


@router.get("/projects/{project}/email/attachments/{attachment_id}", summary="Download a mail's attachment",
            response_class=Response, **needs(READ))
def download_attachment(project: str, attachment_id: RowId,
                        session: SessionDep) -> Response:
    found = store.attachment(session, project, attachment_id)
    if found.data is None:
        raise NotFound("email.attachment_not_kept", attachment=attachment_id, reason=found.refused)
    kind = found.content_type if found.content_type in _SAFE_TYPES else "application/octet-stream"
    ascii_name = found.filename.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    return Response(found.data, media_type=kind, headers={
        "content-disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(found.filename)}",
        "x-content-type-options": "nosniff", "content-security-policy": "sandbox; default-src 'none'",
        "cache-control": "private, max-age=3600"})
