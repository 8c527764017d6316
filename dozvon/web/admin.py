"""The administrator's pages under ``/settings``: the project, people and roles, operators'
profiles, queues with every routing setting and their hours, break reasons, segments, what
customers' flags do, the discount policy, quick replies, the knowledge base, call scripts,
automatic messages and the chat widget — and, for every operator, their own quick replies.

Each section needs its own permission in the project (the same one its API needs), and
shows only to those who hold it; the pages render what is stored now — readable without
scripts — and save through the same JSON API any client uses, so a rule is enforced once,
in the action behind the API, and its message (in the reader's language, naming the field)
is what the page shows beside the field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote
from zoneinfo import available_timezones

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from dozvon.accounts import queries as account_queries
from dozvon.accounts.models import User
from dozvon.accounts.permissions import Principal
from dozvon.acd import queries as live
from dozvon.core.errors import NotFound
from dozvon.crm import discounts, flags, segments
from dozvon.directory import queries as directory
from dozvon.knowledge import page as knowledge
from dozvon.knowledge import queries as kb
from dozvon.knowledge import scripts
from dozvon.replies import queries as reply_queries
from dozvon.replies.models import AUTO_KINDS
from dozvon.replies.render import VARIABLES
from dozvon.routing.calendar import DAYS
from dozvon.routing.model import ACTIONS, BUCKETS, CONTACT_TYPES, DEFAULT_CAPACITY, STRATEGIES
from dozvon.web.routes import _caller, _projects_where, _render, nav
from dozvon.widget import visitors as widget

router = APIRouter(include_in_schema=False)
T = TypeVar("T")


@dataclass(frozen=True)
class Section:
    key: str
    permission: str  # in the project; "users:manage" is a superadmin's, outside any project

    @property
    def href(self) -> str:
        return f"/settings/{self.key}"


SECTIONS = (Section("project", "project:manage"), Section("people", "members:manage"),
            Section("operators", "operators:manage"), Section("queues", "queues:manage"),
            Section("breaks", "settings:manage"), Section("segments", "settings:manage"),
            Section("flags", "settings:manage"), Section("discounts", "settings:manage"),
            Section("directory", "settings:manage"),
            Section("replies", "settings:manage"), Section("knowledge", "knowledge:manage"),
            Section("scripts", "knowledge:manage"),
            Section("auto", "settings:manage"), Section("widget", "settings:manage"),
            Section("channels", "channels:manage"), Section("webhooks", "channels:manage"),
            Section("my-replies", "conversations:handle"),
            Section("users", "users:manage"))
BY_KEY = {s.key: s for s in SECTIONS}
#: The queue's three "what if" settings, in the order the page explains them.
QUEUE_ACTIONS = ("on_closed", "on_full", "on_max_wait")
#: What the engine does when a "what if" setting is left empty (dozvon.routing.admission).
DEFAULT_ACTIONS = {"on_closed": "message", "on_full": "reject", "on_max_wait": "callback"}
PRECHAT_MODES = ("off", "optional", "required")
ROLES = ("admin", "supervisor", "operator", "viewer")
_ZONES = sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))


@dataclass(frozen=True)
class Place:
    """Who is looking at which section of which project."""

    caller: Principal
    projects: list[str]
    project: str
    sections: list[Section]


async def _read(request: Request, reader: Callable[[Session], T]) -> T:
    sessions = request.app.state.hub.sessions

    def run() -> T:
        with sessions() as session:
            return reader(session)

    return await anyio.to_thread.run_sync(run)


async def _place(request: Request, key: str, project: str | None) -> Place | Response:
    """The caller, the projects where they may open this section, the chosen one and the
    sections they may open there — or the login page for strangers, and the polite refusal
    (403) for people without the right."""
    caller = await _caller(request)
    if caller is None:
        return RedirectResponse("/", status_code=303)
    section = BY_KEY[key]
    if section.permission == "users:manage":
        projects = await _projects_where(request, caller, "members:manage") if caller.superadmin else []
        allowed = caller.superadmin
    else:
        projects = await _projects_where(request, caller, section.permission)
        allowed = bool(projects)
    if not allowed:
        return _refused(request, caller)
    chosen = project if project in projects else (projects[0] if projects else "")
    sections = [s for s in SECTIONS if caller.can(s.permission, chosen or None)]
    return Place(caller, projects, chosen, sections)


def _refused(request: Request, caller: Principal) -> Response:
    """The supervisor pages' polite refusal, with a 403."""
    response = _render(request, "supervisor_refused.html", user=caller.name, nav=nav(caller, "/settings"),
                       page_title="web.nav.settings")
    response.status_code = 403
    return response


def _page(request: Request, place: Place, key: str, template: str, **context: Any) -> Response:
    return _render(request, template, user=place.caller.name, nav=nav(place.caller, "/settings"),
                   projects=place.projects, project=place.project, sections=place.sections, section=key,
                   controller="admin", path=context.pop("path", BY_KEY[key].href), **context)


@router.get("/settings")
async def settings_home(request: Request, project: str | None = None) -> Response:
    """The first section this person may open (the project's own settings, for an admin)."""
    caller = await _caller(request)
    if caller is None:
        return RedirectResponse("/", status_code=303)
    for section in SECTIONS:
        if section.permission == "users:manage":
            allowed = caller.superadmin
        else:
            allowed = bool(await _projects_where(request, caller, section.permission))
        if allowed:
            query = f"?project={quote(project)}" if project else ""
            return RedirectResponse(section.href + query, status_code=303)
    return _refused(request, caller)


@router.get("/settings/project")
async def project_page(request: Request, project: str | None = None) -> Response:
    place = await _place(request, "project", project)
    if isinstance(place, Response):
        return place
    row = await _read(request, lambda s: account_queries.get_project(s, place.project))
    return _page(request, place, "project", "admin_project.html", details=row, zones=_ZONES)


@router.get("/settings/people")
async def people_page(request: Request, project: str | None = None) -> Response:
    place = await _place(request, "people", project)
    if isinstance(place, Response):
        return place

    def read(session: Session) -> tuple[list[dict[str, Any]], list[str]]:
        members = [{"username": u.username, "display_name": u.display_name, "role": m.role,
                    "operator_id": m.operator_id or "", "active": u.is_active}
                   for m, u in session.execute(account_queries.readable_members(place.project)
                                               .order_by(User.username))]
        known = [] if not place.caller.superadmin else list(session.scalars(select(User.username)
                                                                            .order_by(User.username)))
        return members, known

    members, usernames = await _read(request, read)
    return _page(request, place, "people", "admin_people.html", members=members, roles=ROLES, usernames=usernames)


@router.get("/settings/users")
async def users_page(request: Request, project: str | None = None) -> Response:
    place = await _place(request, "users", project)
    if isinstance(place, Response):
        return place
    users = await _read(request, lambda s: list(s.scalars(select(User).order_by(User.username))))
    return _page(request, place, "users", "admin_users.html", users=users)


@router.get("/settings/operators")
async def operators_page(request: Request, project: str | None = None) -> Response:
    place = await _place(request, "operators", project)
    if isinstance(place, Response):
        return place
    svc = request.app.state.hub.service(place.project)
    operators, _ = await anyio.to_thread.run_sync(live.operators, svc)

    def members(session: Session) -> list[str]:
        rows = session.execute(account_queries.readable_members(place.project))
        return sorted(m.operator_id for m, _ in rows if m.operator_id)

    known = {op["id"] for op in operators}
    without_profile = [o for o in await _read(request, members) if o not in known]
    return _page(request, place, "operators", "admin_operators.html", operators=operators,
                 without_profile=without_profile)


@router.get("/settings/operators/{operator_id}")
async def operator_page(request: Request, operator_id: str, project: str | None = None) -> Response:
    place = await _place(request, "operators", project)
    if isinstance(place, Response):
        return place
    svc = request.app.state.hub.service(place.project)
    try:
        operator = await anyio.to_thread.run_sync(live.operator, svc, operator_id)
    except NotFound:  # a new one: the page creates the profile
        operator = {"id": operator_id, "name": "", "queues": [], "skills": {}, "capacity": dict(DEFAULT_CAPACITY),
                    "new": True}
    queue_names = sorted(await anyio.to_thread.run_sync(live.queue_names, svc))
    return _page(request, place, "operators", "admin_operator.html", operator=operator, queue_names=queue_names,
                 buckets=BUCKETS, path="/settings/operators")


@router.get("/settings/queues")
async def queues_page(request: Request, project: str | None = None) -> Response:
    place = await _place(request, "queues", project)
    if isinstance(place, Response):
        return place
    queues, _ = await anyio.to_thread.run_sync(live.queues, request.app.state.hub.service(place.project))
    return _page(request, place, "queues", "admin_queues.html", queues=queues)


@router.get("/settings/queues/{name}")
async def queue_page(request: Request, name: str, project: str | None = None) -> Response:
    place = await _place(request, "queues", project)
    if isinstance(place, Response):
        return place
    svc = request.app.state.hub.service(place.project)
    names = sorted(await anyio.to_thread.run_sync(live.queue_names, svc))
    if name in names:
        items, _ = await anyio.to_thread.run_sync(live.queues, svc, [name])
        queue, new = items[0], False
    else:  # a new queue: the defaults of QueueIn, saved with the first PUT
        queue, new = {"name": name, "strategy": "longest_idle", "offer_timeout_s": None, "target_answer_s": 20.0,
                      "service_level_goal": 0.8, "wrap_up_s": 0.0, "recovery_after_complaint_s": 0.0,
                      "priority": 0, "weight": 0,
                      "aging_per_min": 1.0, "required_skills": {}, "skills_first": False, "max_wait_s": None,
                      "on_max_wait": None, "max_length": None, "on_full": None, "hours": None, "on_closed": None,
                      "sticky_wait_s": 0.0, "sticky_window_s": 7 * 86400.0, "callback_on_abandon": False,
                      "escalation_queue": None, "language_routing": False}, True
    timezone = await _read(request, lambda s: account_queries.get_project(s, place.project).timezone)
    return _page(request, place, "queues", "admin_queue.html", queue=queue, new=new,
                 other_queues=[n for n in names if n != name], strategies=STRATEGIES, actions=ACTIONS,
                 queue_actions=QUEUE_ACTIONS, default_actions=DEFAULT_ACTIONS, days=DAYS, zones=_ZONES,
                 project_timezone=timezone, path="/settings/queues")


@router.get("/settings/breaks")
async def breaks_page(request: Request, project: str | None = None) -> Response:
    place = await _place(request, "breaks", project)
    if isinstance(place, Response):
        return place
    reasons = await _read(request, lambda s: [account_queries.break_reason_dict(r)
                                              for r in account_queries.break_reasons(s, place.project)])
    return _page(request, place, "breaks", "admin_breaks.html", reasons=reasons)


@router.get("/settings/segments")
async def segments_page(request: Request, project: str | None = None) -> Response:
    """What makes a customer regular or lost, and the project's own segments."""
    place = await _place(request, "segments", project)
    if isinstance(place, Response):
        return place
    rules = await _read(request, lambda s: segments.rules_of(s, place.project).to_dict())
    return _page(request, place, "segments", "admin_segments.html", rules=rules)


@router.get("/settings/directory")
async def directory_page(request: Request, project: str | None = None) -> Response:
    """The named people partner and complaint contacts are transferred to."""
    place = await _place(request, "directory", project)
    if isinstance(place, Response):
        return place
    people = await _read(request, lambda s: [p.as_dict() for p in directory.named_contacts(s, place.project)])
    svc = request.app.state.hub.service(place.project)
    operators, _ = await anyio.to_thread.run_sync(live.operators, svc)
    return _page(request, place, "directory", "admin_directory.html", people=people, operators=operators,
                 topics=CONTACT_TYPES)


@router.get("/settings/replies")
async def replies_page(request: Request, project: str | None = None) -> Response:
    place = await _place(request, "replies", project)
    if isinstance(place, Response):
        return place
    replies = await _read(request, lambda s: [reply_queries.quick_reply_dict(r)
                                              for r in reply_queries.quick_replies(s, place.project)])
    return _page(request, place, "replies", "admin_replies.html", replies=replies, variables=VARIABLES)


@router.get("/settings/knowledge")
async def knowledge_page(request: Request, project: str | None = None, q: str = "", category: str = "",
                         article: str = "") -> Response:
    place = await _place(request, "knowledge", project)
    if isinstance(place, Response):
        return place
    settings = request.app.state.settings
    found = await _read(request, lambda s: knowledge.read(
        s, knowledge.index_of(settings), place.project, q[:200], category[:100], article[:20]))
    return _page(request, place, "knowledge", "admin_knowledge.html", **found)


@router.get("/settings/auto")
async def auto_page(request: Request, project: str | None = None) -> Response:
    place = await _place(request, "auto", project)
    if isinstance(place, Response):
        return place
    texts = await _read(request, lambda s: reply_queries.auto_texts(s, place.project))
    return _page(request, place, "auto", "admin_auto.html", texts=texts, kinds=AUTO_KINDS, variables=VARIABLES)


@router.get("/settings/widget")
async def widget_page(request: Request, project: str | None = None) -> Response:
    place = await _place(request, "widget", project)
    if isinstance(place, Response):
        return place

    def read(session: Session) -> dict[str, Any] | None:
        row = widget.settings_of(session, place.project)
        return widget.settings_dict(row) if row is not None else None

    settings = await _read(request, read)
    names = sorted(await anyio.to_thread.run_sync(live.queue_names, request.app.state.hub.service(place.project)))
    origin = f"{request.url.scheme}://{request.url.netloc}"
    embed = f'<script src="{origin}/widget.js" data-project="{place.project}" async></script>'
    return _page(request, place, "widget", "admin_widget.html", settings=settings, queue_names=names,
                 modes=PRECHAT_MODES, embed=embed)


@router.get("/settings/flags")
async def flags_page(request: Request, project: str | None = None) -> Response:
    """What each of a customer's flags does in this project (the API's flag policy)."""
    place = await _place(request, "flags", project)
    if isinstance(place, Response):
        return place
    policy = await _read(request, lambda s: flags.policy_of(s, place.project).to_dict())
    names = sorted(await anyio.to_thread.run_sync(live.queue_names, request.app.state.hub.service(place.project)))
    return _page(request, place, "flags", "admin_flags.html", policy=policy, queue_names=names)


#: Segments every project has (the rules' and the ones a person or an import gives).
KNOWN_SEGMENTS = ("new", "regular", "lost", "vip", "partner", "investor")


@router.get("/settings/discounts")
async def discounts_page(request: Request, project: str | None = None) -> Response:
    """The discount policy: per segment, the largest discount an operator may give."""
    place = await _place(request, "discounts", project)
    if isinstance(place, Response):
        return place

    def read(session: Session) -> tuple[list[dict[str, Any]], list[str]]:
        own = [rule.segment for rule in segments.rules_of(session, place.project).custom]
        return (discounts.as_dicts(discounts.policy_of(session, place.project)),
                list(dict.fromkeys([*KNOWN_SEGMENTS, *own])))

    lines, known = await _read(request, read)
    return _page(request, place, "discounts", "admin_discounts.html", lines=lines, known_segments=known)


@router.get("/settings/scripts")
async def scripts_page(request: Request, project: str | None = None, script: str = "") -> Response:
    """Call scripts: the list, and the one being written (``?script=<id>`` or ``new``)."""
    place = await _place(request, "scripts", project)
    if isinstance(place, Response):
        return place

    def read(session: Session) -> dict[str, Any]:
        editing = None
        if script.isdecimal() and len(script) < 19:
            try:
                editing = scripts.script_dict(scripts.get_script(session, place.project, int(script)))
            except NotFound:
                editing = None
        return {"scripts": [scripts.script_dict(s) for s in scripts.scripts(session, place.project)],
                "editing": editing, "creating": script == "new",
                "promotions": [a.title for a in kb.current_promotions(session, place.project)]}

    found = await _read(request, read)
    names = sorted(await anyio.to_thread.run_sync(live.queue_names, request.app.state.hub.service(place.project)))
    return _page(request, place, "scripts", "admin_scripts.html", **found, queue_names=names,
                 contact_types=CONTACT_TYPES, variables=VARIABLES)


@router.get("/settings/my-replies")
async def my_replies_page(request: Request, project: str | None = None) -> Response:
    """An operator's own quick replies (only they see them), beside the project's."""
    place = await _place(request, "my-replies", project)
    if isinstance(place, Response):
        return place
    owner = place.caller.user_id

    def read(session: Session) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        mine = reply_queries.personal_replies(session, place.project, owner) if owner is not None else []
        return ([reply_queries.quick_reply_dict(r) for r in mine],
                [reply_queries.quick_reply_dict(r) for r in reply_queries.quick_replies(session, place.project)])

    mine, shared = await _read(request, read)
    own_keywords = {r["shortcut"] for r in mine}
    return _page(request, place, "my-replies", "admin_my_replies.html", replies=mine, shared=shared,
                 own_keywords=own_keywords, variables=VARIABLES, can_write=owner is not None)
