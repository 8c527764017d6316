"""What each role may do. One table, read by the API gate and shown in the docs.

Permissions are checked per project: a supervisor of project A is nobody in project B.
API tokens carry an explicit subset of these permissions instead of a role.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Every permission, with what it allows (also the choices for an API token).
PERMISSIONS: dict[str, str] = {
    "conversations:read": "see conversations, their messages and callback tasks",
    "conversations:handle": "accept, decline, answer, end and classify one's own contacts",
    "conversations:manage": "transfer, end or classify anybody's contacts; close callback tasks",
    "customers:read": "see customers: their identities, segment and earlier conversations",
    "customers:edit": "add customers and change their name, phones, e-mails and attributes (the segment: "
                      "customers:manage)",
    "customers:flag": "flag a customer (suspected competitor, blocked, do not call), saying why",
    "customers:manage": "set a customer's segment, lift customers' flags, merge two records of one person, "
                        "export and erase a customer's personal data",
    "orders:write": "push orders and deals (a shop's or a CRM's webhook)",
    "tasks:manage": "give tasks to anyone, reassign them, close or cancel anybody's",
    "operators:read": "see operators and their states",
    "operators:self": "change one's own state (available, break, offline)",
    "operators:manage": "configure operators and change anybody's state",
    "queues:read": "see queues and their routing settings",
    "queues:manage": "create and change queues",
    "events:read": "read the event log and the live stream of the whole project",
    "reports:read": "see KPI reports and the wallboard",
    "ingest": "submit inbound calls and messages (channel adapters)",
    "members:manage": "add people to the project and change their roles",
    "tokens:manage": "create and revoke API tokens",
    "audit:read": "read the audit log",
    "settings:manage": "change what Dozvon says for the project: quick replies, automatic messages, the chat widget, "
                       "break reasons",
    "knowledge:manage": "write the knowledge base: articles, promotions and their dates, call scripts",
    "project:manage": "rename the project, change its time zone, region and language",
    "channels:manage": "connect, test and disconnect the project's channels (mailboxes, bots, forms) and webhooks",
    "quality:self": "see one's own evaluations and quality figures, acknowledge or dispute them; read the examples",
    "quality:evaluate": "evaluate conversations by the scorecards, answer disputes, calibrate, mark examples",
    "quality:manage": "write the project's scorecards (a change is a new version; past evaluations keep theirs)",
}

_OPERATOR = {"conversations:read", "conversations:handle", "operators:self", "queues:read",
             "operators:read", "customers:read", "customers:edit", "customers:flag", "quality:self"}
_SUPERVISOR = _OPERATOR | {"conversations:manage", "operators:manage", "events:read", "customers:manage",
                           "reports:read", "queues:manage", "settings:manage", "knowledge:manage",
                           "orders:write", "tasks:manage", "quality:evaluate", "quality:manage"}

#: Roles in a project: what a person with that role may do there.
ROLES: dict[str, frozenset[str]] = {
    "admin": frozenset(PERMISSIONS),
    "supervisor": frozenset(_SUPERVISOR),
    "operator": frozenset(_OPERATOR),
    #: A client company's own staff: results and configuration, no conversations.
    "viewer": frozenset({"reports:read", "queues:read", "operators:read"}),
}

#: Permissions outside any project, held only by superadmins.
GLOBAL_PERMISSIONS: dict[str, str] = {
    "projects:create": "create projects (tenants)",
    "users:manage": "create users and reset their passwords",
}


@dataclass(frozen=True)
class Principal:
    """Who is calling: a person (by session) or an integration (by API token)."""

    name: str
    user_id: int | None = None
    token_id: int | None = None
    superadmin: bool = False
    #: project → permissions there.
    grants: dict[str, frozenset[str]] = field(default_factory=dict)
    #: project → this person's routing operator id there.
    operator_ids: dict[str, str] = field(default_factory=dict)
    #: Set when authenticated by cookie: unsafe requests must echo it (CSRF).
    csrf_token: str | None = None

    def can(self, permission: str, project: str | None = None) -> bool:
        if self.superadmin:
            return True
        if project is None:  # outside a project only superadmins hold permissions
            return False
        return permission in self.grants.get(project, frozenset())

    def projects(self) -> list[str] | None:
        """The projects this caller may see; None means all of them (a superadmin)."""
        return None if self.superadmin else sorted(self.grants)
