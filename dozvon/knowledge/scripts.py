"""Call scripts: the steps an operator follows in a conversation, per queue or per type of
contact, with the promotions valid today put where the script says.

Which script applies to a conversation (:func:`applicable`): the one written for its
queue *and* its type of contact; else the one for its type in any queue; else the one
for its queue of any type; else the project's general script (neither set). The type of
contact is the one the operator chose in the script panel, else the one the operator
recorded in the disposition, else what the customer base says (:func:`likely_type`): a
customer flagged as a competitor, a partner or investor by segment, a repeat within
:data:`REPEAT_WINDOW_US` (a clarification), a regular or VIP customer — else a new
inquiry. A complaint cannot be told in advance: the operator picks it in the panel.

Writes are :func:`save_script` and :func:`delete_script` (validated, audited, in the
caller's transaction); reads start from :func:`readable_scripts`, limited to a project.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from dozvon.accounts.actions import audit
from dozvon.accounts.queries import get_project
from dozvon.conversations.models import Conversation
from dozvon.core.clock import now_us
from dozvon.core.errors import Conflict, InvalidInput, NotFound
from dozvon.crm import flags
from dozvon.crm.models import Customer
from dozvon.knowledge.models import Article, CallScript
from dozvon.knowledge.queries import current_promotions, today
from dozvon.replies.render import VARIABLES, fill, values, variables
from dozvon.routing.model import CONTACT_TYPES

TITLE_LIMIT, STEP_TITLE_LIMIT, STEP_TEXT_LIMIT, MAX_STEPS = 200, 200, 4000, 30
TEXT, PROMOTIONS = "text", "promotions"
STEP_KINDS = (TEXT, PROMOTIONS)
#: A contact within this long after the customer's previous one is taken for a
#: clarification (the FCR window of the KPI report).
REPEAT_WINDOW_US = 7 * 86_400 * 1_000_000


# ----------------------------------------------------------------------------- writes

@dataclass(frozen=True)
class ScriptIn:
    """A script as given (the API's body); checked by :meth:`checked`."""

    title: str
    steps: Sequence[Any]
    queue: str | None = None
    contact_type: str | None = None

    def checked(self, queues: Collection[str] | None) -> dict[str, Any]:
        title = _text(self.title, "title", TITLE_LIMIT, "scripts.empty_title")
        queue = (self.queue or "").strip()
        if queue and queues is not None and queue not in queues:
            raise InvalidInput("scripts.unknown_queue", field="queue", value=queue[:128])
        kind = (self.contact_type or "").strip()
        if kind and kind not in CONTACT_TYPES:
            raise InvalidInput("scripts.bad_contact_type", field="contact_type", value=kind[:40],
                               allowed=", ".join(CONTACT_TYPES))
        return {"title": title, "queue": queue, "contact_type": kind, "steps": _steps(self.steps)}


def _text(value: Any, field: str, limit: int, empty: str | None = None, **params: Any) -> str:
    text = "" if value is None else str(value).strip()
    if empty and not text:
        raise InvalidInput(empty, field=field, **params)
    if len(text) > limit or "\x00" in text:
        raise InvalidInput("scripts.too_long", field=field, limit=limit, length=len(text))
    return text


def _steps(given: Sequence[Any]) -> list[dict[str, str]]:
    if not isinstance(given, Sequence) or isinstance(given, str) or not given:
        raise InvalidInput("scripts.no_steps", field="steps")
    if len(given) > MAX_STEPS:
        raise InvalidInput("scripts.too_many_steps", field="steps", count=len(given), limit=MAX_STEPS)
    steps: list[dict[str, str]] = []
    for i, step in enumerate(given):
        where, number = f"steps.{i}", i + 1
        if not isinstance(step, Mapping):
            raise InvalidInput("scripts.step_not_object", field=where, step=number)
        kind = str(step.get("kind") or TEXT)
        if kind not in STEP_KINDS:
            raise InvalidInput("scripts.bad_step_kind", field=f"{where}.kind", step=number, value=kind[:40])
        if kind == PROMOTIONS and any(s["kind"] == PROMOTIONS for s in steps):
            raise InvalidInput("scripts.promotions_twice", field=f"{where}.kind", step=number)
        title = _text(step.get("title"), f"{where}.title", STEP_TITLE_LIMIT, "scripts.empty_step_title",
                      step=number)
        text = ""
        if kind == TEXT:
            text = _text(step.get("text"), f"{where}.text", STEP_TEXT_LIMIT, "scripts.empty_step_text", step=number)
            unknown = [name for name in variables(text) if name not in VARIABLES]
            if unknown:
                raise InvalidInput("scripts.unknown_variable", field=f"{where}.text", step=number,
                                   value="{" + unknown[0] + "}", allowed=", ".join("{" + v + "}" for v in VARIABLES))
        steps.append({"kind": kind, "title": title, "text": text})
    return steps


def save_script(session: Session, actor: str, project: str, given: ScriptIn, script_id: int | None = None, *,
                queues: Collection[str] | None = None) -> CallScript:
    """Create a script, or change the one with ``script_id``. ``queues``: the project's
    queues now (a script for a queue that does not exist is refused; None: not checked).
    One script per queue and type of contact."""
    values_ = given.checked(queues)
    get_project(session, project)
    script = get_script(session, project, script_id) if script_id is not None else None
    clash = session.scalar(readable_scripts(project).where(CallScript.queue == values_["queue"],
                                                           CallScript.contact_type == values_["contact_type"]))
    if clash is not None and clash.id != script_id:
        raise Conflict("scripts.taken", field="contact_type", title=clash.title)
    now = now_us()
    if script is None:
        script = CallScript(project=project, created_at_us=now)
        session.add(script)
    for key, value in values_.items():
        setattr(script, key, value)
    script.updated_at_us, script.updated_by = now, actor
    session.flush()
    audit(session, actor, "call_script.saved", project, str(script.id), title=script.title, queue=script.queue,
          contact_type=script.contact_type, steps=len(script.steps), created=script_id is None)
    return script


def delete_script(session: Session, actor: str, project: str, script_id: int) -> None:
    script = get_script(session, project, script_id)
    session.delete(script)
    session.flush()  # gone for the rest of the caller's transaction too
    audit(session, actor, "call_script.deleted", project, str(script_id), title=script.title)


# ----------------------------------------------------------------------------- reads

def readable_scripts(project: str) -> Select[CallScript]:
    return select(CallScript).where(CallScript.project == project)


def get_script(session: Session, project: str, script_id: int) -> CallScript:
    script = session.scalar(readable_scripts(project).where(CallScript.id == script_id))
    if script is None:
        raise NotFound("scripts.no_script", script=script_id)
    return script


def scripts(session: Session, project: str) -> list[CallScript]:
    """The project's scripts: the general one first, then by queue, type and title."""
    return list(session.scalars(readable_scripts(project).order_by(CallScript.queue, CallScript.contact_type,
                                                                   CallScript.title, CallScript.id)))


def script_dict(script: CallScript) -> dict[str, Any]:
    return {"id": script.id, "title": script.title, "queue": script.queue or None,
            "contact_type": script.contact_type or None, "steps": [dict(s) for s in script.steps],
            "updated_at": script.updated_at_us / 1e6, "updated_by": script.updated_by}


def applicable(session: Session, project: str, queue: str, contact_type: str | None) -> CallScript | None:
    """The script for a conversation in ``queue`` of ``contact_type`` (see the module's
    docstring for the order)."""
    kinds = ["", contact_type] if contact_type else [""]
    found = session.scalars(readable_scripts(project).where(CallScript.queue.in_(["", queue]),
                                                            CallScript.contact_type.in_(kinds)))
    ranked = sorted(found, key=lambda s: (s.contact_type == "", s.queue == "", s.id))
    return ranked[0] if ranked else None


def likely_type(session: Session, project: str, conversation: Conversation) -> tuple[str, str]:
    """The conversation's type of contact as far as it can be told, and from what:
    (type, ``disposition`` | ``flag`` | ``segment`` | ``repeat`` | ``default``)."""
    recorded = (conversation.disposition or {}).get("contact_type")
    if recorded in CONTACT_TYPES:
        return str(recorded), "disposition"
    customer_id = conversation.customer_id
    if not customer_id:
        return "new_inquiry", "default"
    kinds = {f.kind for f in flags.active(session, project, [customer_id]).get(customer_id, [])}
    if flags.COMPETITOR in kinds:
        return "competitor", "flag"
    customer = session.scalar(select(Customer).where(Customer.project == project, Customer.id == customer_id))
    segment = (customer.segment or customer.auto_segment) if customer is not None else None
    if segment in ("partner", "investor"):
        return "partner", "segment"
    previous = session.scalar(
        select(Conversation.created_at_us)
        .where(Conversation.project == project, Conversation.customer_id == customer_id,
               Conversation.id != conversation.id, Conversation.created_at_us <= conversation.created_at_us,
               Conversation.created_at_us >= conversation.created_at_us - REPEAT_WINDOW_US)
        .order_by(Conversation.created_at_us.desc()).limit(1))
    if previous is not None:
        return "clarification", "repeat"
    if segment in ("regular", "vip"):
        return "regular", "segment"
    return "new_inquiry", "default"


def promotion_dict(article: Article) -> dict[str, Any]:
    return {"id": article.id, "title": article.title, "body": article.body,
            "valid_from": article.valid_from.isoformat() if article.valid_from else None,
            "valid_until": article.valid_until.isoformat() if article.valid_until else None}


def render(script: CallScript, known: Mapping[str, str], promotions: Sequence[Article]) -> dict[str, Any]:
    """The script as the operator reads it: variables filled (one without a value is left
    out with the comma before it, as in automatic messages), the promotions valid today in
    its promotions step."""
    steps = []
    for step in script.steps:
        if step.get("kind") == PROMOTIONS:
            steps.append({"kind": PROMOTIONS, "title": step["title"], "text": "",
                          "promotions": [promotion_dict(a) for a in promotions]})
        else:
            steps.append({"kind": TEXT, "title": fill(step["title"], known), "text": fill(step["text"], known)})
    return {**script_dict(script), "steps": steps}


def for_conversation(session: Session, project: str, conversation: Conversation, *, chosen: str | None = None,
                     operator_name: str | None = None, on: dt.date | None = None) -> dict[str, Any]:
    """What the script panel shows beside a conversation: its type of contact (and from
    what it was told), the script that applies, rendered for this customer and operator
    with today's promotions, and the types that have a script of their own here."""
    if chosen:
        kind, source = chosen, "chosen"
    else:
        kind, source = likely_type(session, project, conversation)
    script = applicable(session, project, conversation.queue, kind)
    out: dict[str, Any] = {"conversation_id": conversation.id, "queue": conversation.queue, "contact_type": kind,
                           "contact_type_from": source, "script": None,
                           "types_with_scripts": sorted({s.contact_type for s in session.scalars(
                               readable_scripts(project).where(CallScript.queue.in_(["", conversation.queue]),
                                                               CallScript.contact_type != ""))})}
    if script is None:
        return out
    customer_name = conversation.customer_name
    if conversation.customer_id:
        customer = session.scalar(select(Customer).where(Customer.project == project,
                                                         Customer.id == conversation.customer_id))
        customer_name = (customer.name if customer is not None and customer.name else "") or customer_name
    known = values(customer_name, operator_name, get_project(session, project).name)
    has_promotions = any(step.get("kind") == PROMOTIONS for step in script.steps)
    promotions = current_promotions(session, project, on or today(session, project)) if has_promotions else []
    out["script"] = render(script, known, promotions)
    return out
