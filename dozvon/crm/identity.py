"""Identities of customers, normalised per kind, and the CRM's step of ingest.

Normalisation is what makes one person one customer: ``8 (029) 123-45-67``,
``+375291234567`` and ``375 29 1234567`` in a project whose default region is BY are the
same E.164 number; ``Anna@Example.RU`` and ``anna@example.ru`` the same address.

:class:`CrmIdentity` is the hub's identity resolver: the channel decides the kind of the
id it gives (a call: a phone; an e-mail or a form: an address; a messenger: its user id; the
web chat: the visitor id; an address or a +-number is an e-mail or a phone on any channel).
An id that does not parse as its kind is kept as a
``channel:<name>`` identity rather than lost, so a returning customer is still known.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import phonenumbers
from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from dozvon.accounts.models import Project
from dozvon.conversations.identity import CustomerRef, IdentityTaken, Standing
from dozvon.conversations.models import Conversation
from dozvon.conversations.queries import OPEN
from dozvon.core import bulk, ids
from dozvon.core.clock import now_us
from dozvon.core.errors import InvalidInput
from dozvon.core.pipeline import Ahead
from dozvon.crm.models import Customer, CustomerIdentity

CUSTOMERS: Table = Customer.__table__  # type: ignore[assignment]
IDENTITIES: Table = CustomerIdentity.__table__  # type: ignore[assignment]
PHONE, EMAIL, TELEGRAM, MESSENGER, WEB = "phone", "email", "telegram", "messenger", "web"
KINDS = (PHONE, EMAIL, TELEGRAM, MESSENGER, WEB)
#: The identity kinds the id each channel gives may be, tried in order; other channels'
#: ids are ``channel:<name>`` identities.
CHANNEL_KINDS: dict[str, tuple[str, ...]] = {
    "voice": (PHONE,), "email": (EMAIL,), "form": (EMAIL, PHONE), "telegram": (TELEGRAM,),
    MESSENGER: (MESSENGER,), "chat": (WEB,)}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_VALUE_LIMIT = 200

Key = tuple[str, str]
#: ``session.info`` key: the customers this transaction created, by id: their rows and
#: their identities', written by the standing step with the segment the rules give them
#: (they have no history, flags or given segment: nothing is read for them).
_CREATED = "dozvon.crm.created_customers"
#: ``session.info`` key: the identities this transaction claimed, and the insert's answer
#: (the claims it won), read by :meth:`CrmIdentity.confirm`.
_CLAIMS = "dozvon.crm.identity_claims"


def normalise(kind: str, value: str, region: str | None = None) -> str:
    """The stored form of an identity, or :class:`InvalidInput` naming the value."""
    raw = value.strip()
    if not raw or len(raw) > _VALUE_LIMIT or "\x00" in raw:
        raise InvalidInput("crm.bad_identity", kind=kind, value=value)
    if kind == PHONE:
        return normalise_phone(raw, region)
    if kind == EMAIL:
        if not _EMAIL.match(raw):
            raise InvalidInput("crm.bad_email", value=value)
        return raw.lower()
    if kind == TELEGRAM:
        # A user name (@Anna_K, case-insensitive) or a numeric user id.
        name = raw.removeprefix("@")
        if not name or any(c.isspace() for c in name):
            raise InvalidInput("crm.bad_identity", kind=kind, value=value)
        return name if name.isdigit() else "@" + name.lower()
    if kind in (MESSENGER, WEB) or kind.startswith("channel:"):
        return raw
    raise InvalidInput("crm.bad_kind", value=kind, allowed=", ".join(KINDS))


def normalise_phone(value: str, region: str | None = None) -> str:
    """E.164 (``+375291234567``); numbers without a country code take ``region``. Without
    a region, a number of digits only is read as international (``375 29 …``)."""
    text = value.strip()
    if region is None and not text.startswith("+"):
        text = "+" + text
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidInput("crm.bad_phone", value=value, region=region or "—") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput("crm.bad_phone", value=value, region=region or "—")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def channel_key(channel: str, external_id: str, region: str | None) -> Key:
    """The identity a channel's customer id stands for. Whatever the channel, an e-mail
    address is an e-mail and a number written with ``+`` is a phone (a web chat whose
    visitor gave theirs, a messenger keyed by phone); otherwise the channel's own kinds.
    Never refused: an id that parses as none of them is a ``channel:<name>`` identity."""
    text = external_id.strip()
    kinds: list[str] = []
    if _EMAIL.match(text):
        kinds.append(EMAIL)
    if text.startswith("+"):
        kinds.append(PHONE)
    kinds.extend(CHANNEL_KINDS.get(channel, ()))
    for kind in kinds:
        try:
            return kind, normalise(kind, text, region)
        except InvalidInput:
            continue
    return f"channel:{channel}", external_id


def kinds_written(channels: Iterable[str]) -> list[str]:
    """Every identity kind the ingest may store for customers of these channels: the named
    kinds, and each channel's own (``channel:<name>``, an id none of them reads) — the
    values the server's planner statistics keeper looks for
    (:mod:`dozvon.core.planner_statistics`)."""
    return [*KINDS, *(f"channel:{channel}" for channel in channels)]


def project_region(session: Session, project: str) -> str | None:
    return session.scalar(select(Project.region).where(Project.slug == project))


def reads_region(channel: str, external_id: str) -> bool:
    """Whether :func:`channel_key` of this id depends on the project's region: only a phone
    number written without its country code does (an e-mail address, a ``+`` number, a
    messenger's or the web chat's id never). The ingest reads the region only then — one
    round trip less for every batch of e-mails, chats and ``+`` numbers."""
    text = external_id.strip()
    return not text.startswith("+") and not _EMAIL.match(text) and PHONE in CHANNEL_KINDS.get(channel, ())


def customers_by_identity(session: Session, project: str, keys: Iterable[Key]) -> dict[Key, str]:
    """Whose each identity is, in one query (keys not found are absent)."""
    wanted = set(keys)
    if not wanted:
        return {}
    return _owners(_ask_owners(session, project, wanted), wanted)


def _ask_owners(session: Session, project: str, wanted: set[Key]) -> Ahead:
    """The look-up of whose these identities are, sent ahead (kinds and values matched apart:
    a few extra rows, which :func:`_owners` drops, for one fixed statement)."""
    return _BY_IDENTITY.ahead(session, {"project": project, "kinds": list({k for k, _ in wanted}),
                                        "values": list({v for _, v in wanted})})


def _owners(asked: Ahead, wanted: set[Key]) -> dict[Key, str]:
    return {(kind, value): customer for kind, value, customer in asked.all() if (kind, value) in wanted}


_BY_IDENTITY = bulk.PerDialect(lambda dialect: select(
    CustomerIdentity.kind, CustomerIdentity.value, CustomerIdentity.customer_id).where(
    CustomerIdentity.project == bindparam("project"), bulk.among(CustomerIdentity.kind, "kinds", dialect),
    bulk.among(CustomerIdentity.value, "values", dialect)))


#: The open conversations of the customers some identities belong to (kinds and values
#: matched apart: a few extra rows, which ``newest_open`` drops, for one fixed statement).
_OPEN_BY_IDENTITY = bulk.PerDialect(lambda dialect: select(
    Conversation.channel, Conversation.customer_id, Conversation.created_at_us, Conversation.id).join(
    CustomerIdentity, (CustomerIdentity.project == Conversation.project)
    & (CustomerIdentity.customer_id == Conversation.customer_id)).where(
    CustomerIdentity.project == bindparam("project"), bulk.among(CustomerIdentity.kind, "kinds", dialect),
    bulk.among(CustomerIdentity.value, "values", dialect), Conversation.project == bindparam("project"),
    Conversation.status == OPEN, bulk.among(Conversation.channel, "channels", dialect)))


@dataclass(frozen=True)
class _Asked:
    """:meth:`CrmIdentity.ask`'s look-ups: whose these identities are, and the rules."""

    #: The refs asked for, and each one's identity (None: none given).
    refs: Sequence[CustomerRef]
    keys: list[Key | None]
    wanted: set[Key]
    owners: Ahead
    rules: tuple[str, Ahead] | None


class CrmIdentity:
    """The ingest's identity step with the customer base: one customer per person."""

    def ask(self, session: Session, project: str, refs: Sequence[CustomerRef]) -> _Asked | None:
        """The identities' owners and the project's segment rules, sent ahead. None when a
        ref is a phone number without its country code: its identity needs the project's
        region, which :meth:`resolve` reads first (a wait of its own)."""
        named = [ref for ref in refs if ref.external_id]
        if not named or any(reads_region(r.channel, r.external_id) for r in named if r.external_id):
            return None
        from dozvon.crm.segments import rules_ahead

        rules = rules_ahead(session, project) if any(ref.opens for ref in named) else None
        keys = [channel_key(ref.channel, ref.external_id, None) if ref.external_id else None for ref in refs]
        wanted = {k for k in keys if k}
        return _Asked(refs, keys, wanted, _ask_owners(session, project, wanted), rules)

    def resolve(self, session: Session, project: str, refs: Sequence[CustomerRef],
                asked: _Asked | None = None) -> list[str | None]:
        if not any(ref.external_id for ref in refs):
            return [None] * len(refs)
        if asked is None or asked.refs is not refs:  # asked for other refs: ask for these
            asked = self.ask(session, project, refs)
        if asked is not None:
            if asked.rules is not None:
                from dozvon.crm.segments import use_rules_ahead

                use_rules_ahead(session, asked.rules)  # read by standing()
            keys = asked.keys
            found = _owners(asked.owners, asked.wanted)
        else:  # a phone number without its country code: the region first
            if any(ref.external_id and ref.opens for ref in refs):
                from dozvon.crm.segments import send_rules_ahead

                send_rules_ahead(session, project)  # read by standing(), sent with the look-ups below
            region = project_region(session, project)
            keys = [channel_key(ref.channel, ref.external_id, region) if ref.external_id else None for ref in refs]
            found = customers_by_identity(session, project, (k for k in keys if k))
        names: dict[Key, str] = {}
        for key, ref in zip(keys, refs, strict=True):
            if key is not None and key not in found:
                names[key] = names.get(key) or ref.name
        if names:
            found.update(self._create(session, project, names))
        return [found[k] if k else None for k in keys]

    def open_ahead(self, session: Session, project: str, refs: Sequence[CustomerRef]) -> Ahead | None:
        """The open conversations of the customers whose identities the refs are, found
        through the identities in the same statement. None when a ref is a phone number
        without its country code: its identity needs the project's region, read first."""
        named = [ref for ref in refs if ref.external_id]
        if not named or any(reads_region(r.channel, r.external_id) for r in named if r.external_id):
            return None
        keys = {channel_key(r.channel, r.external_id, None) for r in named if r.external_id}
        return _OPEN_BY_IDENTITY.ahead(session, {
            "project": project, "kinds": list({k for k, _ in keys}), "values": list({v for _, v in keys}),
            "channels": list({r.channel for r in named})})

    def standing(self, session: Session, project: str, customer_ids: Sequence[str],
                 now_us: int) -> dict[str, Standing]:
        """The segment by the project's rules, kept current as contacts arrive."""
        from dozvon.crm.segments import standing_at_contact

        created: dict[str, _Created] = session.info.pop(_CREATED, {})
        standings = standing_at_contact(session, project, customer_ids, now_us,
                                        new={c: new.row for c, new in created.items()})
        self._store(session, project, [new for c, new in created.items() if c in standings])
        return standings

    def confirm(self, session: Session) -> None:
        """Raises :class:`IdentityTaken` if another server claimed one of the identities
        this transaction created customers for (its insert then left ours out: ON CONFLICT
        DO NOTHING, after waiting for that server's transaction to commit)."""
        for names, won in session.info.pop(_CLAIMS, ()):
            lost = names - {(kind, value) for kind, value in won.all()}
            if lost:
                raise IdentityTaken(", ".join(f"{kind}:{value}" for kind, value in sorted(lost)))

    def _create(self, session: Session, project: str, names: dict[Key, str]) -> dict[Key, str]:
        """A customer for each unknown identity, in the ingest's transaction: written by
        :meth:`standing` once the rules have given them their segment — one INSERT with it,
        not an INSERT and then an UPDATE of the same rows (a customer none of the batch's
        contacts arrives for, a retry's, is not written at all)."""
        now = now_us()
        created = {key: ids.new_hex() for key in names}
        pending: dict[str, _Created] = session.info.setdefault(_CREATED, {})
        for key, name in names.items():
            pending[created[key]] = _Created(key, {
                "id": created[key], "project": project, "name": name[:200], "search_name": name[:200].casefold(),
                "segment": None, "attributes": {}, "created_at_us": now, "updated_at_us": now})
        return created

    def _store(self, session: Session, project: str, created: list[_Created]) -> None:
        """The new customers and their identities. Another server may claim one of these
        identities at the same moment: its identity insert is then left out (ON CONFLICT
        DO NOTHING, no savepoint to roll back to), and :meth:`confirm` says so. The
        insert's answer is not waited for here: it comes with the wait for the batch's
        rows, a round trip less for every batch that creates a customer (the batch is run
        again in the rare case another server won)."""
        if not created:
            return
        bulk.insert_rows(session, CUSTOMERS, [new.row for new in created])
        won = bulk.insert_rows_read_later(session, IDENTITIES, [
            {"project": project, "customer_id": new.row["id"], "kind": new.key[0], "value": new.key[1],
             "created_at_us": new.row["created_at_us"]} for new in created],
            returning=("kind", "value"), conflict=("project", "kind", "value"), overwrite=False)
        session.info.setdefault(_CLAIMS, []).append(({new.key for new in created}, won))


@dataclass(frozen=True)
class _Created:
    """A customer :meth:`CrmIdentity.resolve` created: its identity, and its row, which the
    standing step completes (``auto_segment``, ``last_contact_at_us``)."""

    key: Key
    row: dict[str, Any]
