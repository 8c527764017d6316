"""A project's forms as the admin page shows them: each one's address (where the site or
the marketplace posts), its field mapping, its health, and a signed example request.

Connecting, changing, renewing the secret and disconnecting are the channels' operations
(``…/channels`` with ``kind: form``); this adds only what a form has and other kinds don't.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from dozvon.channels import connections
from dozvon.channels import forms as _forms  # noqa: F401  (registers the form kind)
from dozvon.core.errors import NotFound
from dozvon.server.deps import SessionDep, page
from dozvon.server.gate import needs

router = APIRouter(tags=["channels"])
MANAGE = "channels:manage"


def form_url(base: str, project: str, name: str) -> str:
    return f"{base.rstrip('/')}/hooks/{project}/forms/{name}"


def form_dict(row: Any, base: str) -> dict[str, Any]:
    url = form_url(base, row.project, row.name)
    example = ('body=\'{"name": "Анна", "phone": "+375291234567", "text": "Перезвоните"}\'; '
               'sig=$(printf %s "$body" | openssl dgst -sha256 -hmac "$SECRET" -r | cut -d" " -f1); '
               f'curl -X POST {url} -H "Content-Type: application/json" '
               '-H "X-Dozvon-Signature: sha256=$sig" --data-binary "$body"')
    return {**connections.as_dict(row), "url": url, "fields": row.settings.get("fields", {}), "example": example}


@router.get("/projects/{project}/forms", summary="The project's forms: address, field mapping, health",
            **needs(MANAGE))
def list_forms(project: str, request: Request, session: SessionDep) -> dict[str, Any]:
    base = str(request.base_url)
    return page([form_dict(c, base) for c in connections.connections(session, project, kind="form")])


@router.get("/projects/{project}/forms/{name}", summary="One form: address, field mapping, health", **needs(MANAGE))
def get_form(project: str, name: str, request: Request, session: SessionDep) -> dict[str, Any]:
    row = connections.get_connection(session, project, name)
    if row.kind != "form":
        raise NotFound("forms.no_form", project=project, form=name)
    return form_dict(row, str(request.base_url))
