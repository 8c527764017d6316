"""Taking in one form request: its signature, its body, its fields — then the ingest.

The order is the contract's: the signature is checked on the raw bytes before anything is
parsed (a bad one answers 401 and stores nothing); the body is parsed and mapped, every
refusal naming the field and landing in the form's health; then the request is stored by
the ingest, which answers only after its commit, and only then does the caller answer 2xx.

A repeat is recognised by its ``external_id``: the ``Idempotency-Key`` header, else the
form's id field, else a hash of the body — so a marketplace retrying after a timeout gets
the same conversation back (200), never a second one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qsl

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from dozvon.channels import connections
from dozvon.channels.forms.kind import ROLES, FormSettings, form_settings
from dozvon.conversations.ingest import Inbound, IngestResult
from dozvon.conversations.models import Conversation
from dozvon.core.clock import now_us
from dozvon.core.errors import DozvonError, InvalidInput, NotFound, Unauthorized
from dozvon.core.i18n import translate
from dozvon.crm.identity import EMAIL, PHONE, customers_by_identity, normalise, project_region
from dozvon.crm.models import CustomerIdentity

log = logging.getLogger("dozvon.forms")
SIGNATURE_HEADER = "x-dozvon-signature"
IDEMPOTENCY_HEADER = "idempotency-key"
#: Column limits of what a request fills (the conversations table's).
NAME_LIMIT, SOURCE_LIMIT, KEY_LIMIT = 200, 200, 200
#: Refusals of requests that are not signed (a wrong secret, an oversized body) are written
#: to the form's health at most this often: an outsider must not be able to make every
#: request of theirs a database write.
QUIET_S = 10.0

Ingest = Callable[[str, Inbound], IngestResult]


class TooLarge(DozvonError):
    status_code = 413


class UnsupportedMedia(DozvonError):
    status_code = 415


@dataclass(frozen=True)
class Form:
    """A form connection as a request needs it (read in one short transaction)."""

    id: int
    project: str
    name: str
    queue: str
    secret: str
    settings: FormSettings
    #: The project's default region of phone numbers written without a country code.
    region: str | None


#: A form read from the database serves the requests of the next seconds: a busy form
#: costs no lookup and no decryption per request. A change (switched off, a new secret)
#: takes effect within this time.
FORM_TTL_S = 2.0
#: A form's "last message in" is written at most this often (one UPDATE a second, not
#: one per request).
MARK_IN_S = 1.0
#: Keyed by the database too (its sessions), as several servers may share a process (the tests).
_forms: dict[tuple[int, str, str], tuple[float, sessionmaker[Session], Form]] = {}
_marked: dict[tuple[int, int], float] = {}


def load_form(sessions: sessionmaker[Session], project: str, name: str) -> Form:
    """The project's form of this name, switched on — else one 404 that does not say
    whether the project exists."""
    cached = _forms.get((id(sessions), project, name))
    if cached is not None and cached[1] is sessions and time.monotonic() - cached[0] < FORM_TTL_S:
        return cached[2]
    form = _read_form(sessions, project, name)
    _forms[(id(sessions), project, name)] = (time.monotonic(), sessions, form)
    return form


def _read_form(sessions: sessionmaker[Session], project: str, name: str) -> Form:
    with sessions() as session:
        try:
            row = connections.get_connection(session, project, name)
        except NotFound:
            raise NotFound("forms.no_form", project=project, form=name) from None
        if row.kind != "form":
            raise NotFound("forms.no_form", project=project, form=name)
        if not row.enabled:
            raise NotFound("forms.switched_off", form=name)
        return Form(row.id, project, name, row.queue, connections.secret_of(row), form_settings(row.settings),
                    project_region(session, project))


# --------------------------------------------------------------------------- signature

def sign(secret: str, body: bytes) -> str:
    """The ``X-Dozvon-Signature`` value of a body: what a sender computes (and webhooks send)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signed(secret: str, body: bytes, header: str | None) -> bool:
    """Whether the header is the body's signature with this secret (a constant-time compare)."""
    if not secret or not header:
        return False
    return hmac.compare_digest(sign(secret, body).encode(), header.strip().lower().encode("utf-8", "replace"))


# --------------------------------------------------------------------------- the body

def parse(body: bytes, content_type: str | None) -> dict[str, Any]:
    """The request's fields: a JSON object, or a form-encoded body (a repeated field's values
    joined by ", "). Without a Content-Type, a body starting with ``{`` is JSON."""
    media = (content_type or "").split(";")[0].strip().lower()
    if not media:
        media = "application/json" if body.lstrip()[:1] == b"{" else "application/x-www-form-urlencoded"
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidInput("forms.not_utf8", field="body", position=error.start) from None
    if media == "application/json" or media.endswith("+json"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise InvalidInput("forms.bad_json", field="body", line=error.lineno, column=error.colno,
                               reason=error.msg) from None
        if not isinstance(data, dict):
            raise InvalidInput("forms.not_object", field="body", found=type(data).__name__)
        return data
    if media == "application/x-www-form-urlencoded":
        fields: dict[str, Any] = {}
        for key, value in parse_qsl(text, keep_blank_values=True, max_num_fields=1000):
            fields[key] = f"{fields[key]}, {value}" if key in fields else value
        return fields
    raise UnsupportedMedia("forms.bad_content_type", value=content_type)


def _lookup(data: dict[str, Any], path: str) -> Any:
    """A field by its name, or by a dotted path into nested objects (``contact.phone``)."""
    if path in data:
        return data[path]
    found: Any = data
    for part in path.split("."):
        if isinstance(found, dict) and part in found:
            found = found[part]
        elif isinstance(found, list) and part.isdecimal() and int(part) < len(found):
            found = found[int(part)]
        else:
            return None
    return found


def _text(value: Any, field: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        value = "yes" if value else "no"
    elif isinstance(value, (int, float)):
        value = str(value)
    if not isinstance(value, str):
        raise InvalidInput("forms.not_text", field=field, found="a list" if isinstance(value, list) else "an object")
    if "\x00" in value:
        raise InvalidInput("forms.nul", field=field)
    return value.strip() or None


def _flatten(data: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every scalar of a nested body by its dotted path (a list of scalars as one value)."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(data, list):
        if all(isinstance(v, (str, int, float, bool)) for v in data):
            if data:
                yield prefix, ", ".join(str(v) for v in data)
        else:
            for i, value in enumerate(data):
                yield from _flatten(value, f"{prefix}.{i}")
    elif data is not None:
        yield prefix, data


def _others(data: dict[str, Any], used: set[str]) -> list[str]:
    """The fields the mapping does not use, as "field: value" lines for the operator."""
    lines = []
    for path, value in _flatten(data):
        if path and path not in used and not any(path.startswith(u + ".") for u in used):
            text = _text(value, path)
            if text:
                lines.append(f"{path}: {text}")
    return lines


def _external_id(form: Form, key: str | None, request_id: str | None, body: bytes) -> str:
    if key is not None:
        key = key.strip()
        if not key or len(key) > KEY_LIMIT or "\x00" in key:
            raise InvalidInput("forms.bad_key", field="Idempotency-Key", limit=KEY_LIMIT)
        kind, value = "key", key
    elif request_id is not None:
        kind, value = "id", request_id
    else:
        kind, value = "body", hashlib.sha256(body).hexdigest()
    made = f"{form.name}/{kind}:{value}"
    # A long key is kept as its digest: the column holds 200 characters.
    return made if len(made) <= 200 else f"{form.name}/{kind}#{hashlib.sha256(value.encode()).hexdigest()}"


def to_inbound(form: Form, data: dict[str, Any], body: bytes, key: str | None) -> tuple[Inbound, list[tuple[str, str]]]:
    """The request as an ingest item, and the customer's identities it gives (kind, value)."""
    mapping = form.settings.fields
    paths: dict[str, str | None] = {role: getattr(mapping, role) for role in ROLES}
    values = {role: _text(_lookup(data, path), path) if path else None for role, path in paths.items()}
    for role in form.settings.required:
        if not values.get(role):
            raise InvalidInput("forms.missing_field", field=paths[role] or role,
                               role=translate(f"forms.role.{role}"))
    identities: list[tuple[str, str]] = []
    if values["phone"]:
        try:
            identities.append((PHONE, normalise(PHONE, values["phone"], form.region)))
        except InvalidInput:
            raise InvalidInput("forms.bad_phone", field=paths["phone"], value=values["phone"],
                               region=form.region or "—") from None
    if values["email"]:
        try:
            identities.append((EMAIL, normalise(EMAIL, values["email"])))
        except InvalidInput:
            raise InvalidInput("forms.bad_email", field=paths["email"], value=values["email"]) from None
    if form.settings.require_contact and not identities:
        raise InvalidInput("forms.no_contact", field=paths["phone"] or paths["email"] or "phone",
                           phone=paths["phone"] or "—", email=paths["email"] or "—")
    for role, limit in (("name", NAME_LIMIT), ("source", SOURCE_LIMIT)):
        if values[role] and len(values[role] or "") > limit:
            raise InvalidInput("forms.too_long", field=paths[role], length=len(values[role] or ""), limit=limit)
    parts = [values["text"]] if values["text"] else []
    if form.settings.show_other_fields:
        others = _others(data, {p for p in paths.values() if p})
        if others:
            parts.append("\n".join(others))
    item = Inbound(channel="form", external_id=_external_id(form, key, values["id"], body), queue=form.queue,
                   customer_id=identities[0][1] if identities else None, customer_name=values["name"] or "",
                   subject=(form.settings.title or form.name)[:500], text="\n\n".join(parts) or None,
                   source=values["source"] or f"form:{form.name}")
    return item, identities


# --------------------------------------------------------------------------- one request

_quiet: dict[tuple[int, int], float] = {}
_quiet_guard = threading.Lock()


def log_refusal(project: str, form: str, error: DozvonError, client: str | None) -> None:
    """One line in the server's log for every refused request: which form, the answer's
    status, what was wrong (naming the field) and who sent it — for the person who reads
    the log when a site says its requests do not arrive."""
    log.warning("form %s/%s: request from %s refused (%s): %s", project, form, client or "?",
                error.status_code, error.message())


def note_refusal(sessions: sessionmaker[Session], form: Form, error: DozvonError, *, signed_by_peer: bool,
                 client: str | None = None) -> None:
    """Log a refusal (:func:`log_refusal`) and put it in the form's health (what and where,
    for the admin page and the wallboard). Refusals of unsigned requests are written to
    the health at most every :data:`QUIET_S`; the log has every one."""
    log_refusal(form.project, form.name, error, client)
    if not signed_by_peer:
        now = time.monotonic()
        with _quiet_guard:
            if now - _quiet.get((id(sessions), form.id), -QUIET_S) < QUIET_S:
                return
            _quiet[(id(sessions), form.id)] = now
    with sessions.begin() as session:
        connections.mark_error(session, form.id, error.message())


def _prefer_known(session: Session, project: str, identities: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The identities with the one a customer already has first, so that a known e-mail and
    a new phone find the known customer rather than make a second one."""
    if len(identities) < 2:
        return identities
    known = customers_by_identity(session, project, identities)
    return sorted(identities, key=lambda key: key not in known)


def _attach(sessions: sessionmaker[Session], project: str, conversation_id: str,
            identities: list[tuple[str, str]]) -> None:
    """The request's other identity (its e-mail besides the phone) joins the customer it
    found, unless someone else already has it."""
    with sessions.begin() as session:
        customer = session.scalar(select(Conversation.customer_id).where(Conversation.id == conversation_id))
        if customer is None:
            return
        owners = customers_by_identity(session, project, identities)
        for kind, value in identities:
            if (kind, value) not in owners:
                try:
                    with session.begin_nested():
                        session.add(CustomerIdentity(project=project, customer_id=customer, kind=kind, value=value,
                                                     created_at_us=now_us()))
                except IntegrityError:  # taken meanwhile by another request: theirs stands
                    continue


def receive(sessions: sessionmaker[Session], ingest: Ingest, form: Form, body: bytes, *,
            content_type: str | None, signature: str | None, key: str | None,
            client: str | None = None) -> IngestResult:
    """Check, map and store one request; returns once it is committed. Every refusal is a
    DozvonError naming what and where, and lands in the log and the form's health."""
    if not signed(form.secret, body, signature):
        error = Unauthorized("forms.bad_signature")
        note_refusal(sessions, form, error, signed_by_peer=False, client=client)
        raise error
    try:
        data = parse(body, content_type)
        item, identities = to_inbound(form, data, body, key)
        if len(identities) > 1:
            with sessions() as session:
                identities = _prefer_known(session, form.project, identities)
            item = replace(item, customer_id=identities[0][1])
        result = ingest(form.project, item)
    except DozvonError as error:
        note_refusal(sessions, form, error, signed_by_peer=True, client=client)
        raise
    if result.created and len(identities) > 1:
        _attach(sessions, form.project, result.conversation_id, identities[1:])
    now = time.monotonic()
    if now - _marked.get((id(sessions), form.id), -MARK_IN_S) >= MARK_IN_S:
        _marked[(id(sessions), form.id)] = now
        with sessions.begin() as session:
            connections.mark_in(session, form.id)
    return result
