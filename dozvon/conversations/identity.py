"""Who is contacting us: the step of ingest that turns a channel's customer id into one
Dozvon customer, before routing.

Sticky routing, priority by segment and the history all key on the resolved id, so a
customer who calls, then writes in a messenger, is one person to all of them once a
resolver knows both identities. The resolver runs inside the ingest batch (one call for
the whole batch, in its database session), so that looking a million customers up costs
one query per batch, not one per contact.

The hub's resolver is the CRM's (:class:`dozvon.crm.identity.CrmIdentity`): one customer
per person, found by any of their phones, addresses and messenger ids. :class:`ChannelIdentity`
keeps the id the channel gives as the customer's id (one customer per identity, which is
what routing did before this step existed): the default of ``ingest`` when called alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.orm import Session

from dozvon.core.pipeline import Ahead


@dataclass(frozen=True, slots=True)
class CustomerRef:
    """A customer as a channel names them."""

    channel: str
    #: The channel's id of the customer (phone, e-mail, messenger id), if it gave one.
    external_id: str | None
    name: str = ""
    #: Whether the contact opens a conversation (a message may join an open one instead): the
    #: resolver may then prepare the customer's standing, which only a new conversation reads.
    opens: bool = True


@dataclass(frozen=True, slots=True)
class Standing:
    """What the customer base says about a customer at this contact: their segment (routing
    adds its priority; reports cut by it) and extra priority points a project's rule gives."""

    segment: str | None
    priority: int = 0
    #: The customer's flags in force (competitor, blocked, do_not_call): in contact.arrived.
    flags: tuple[str, ...] = ()
    #: The project's policy for a flag: send the contact to this queue instead…
    queue: str | None = None
    #: …or turn it away on arrival (with this text on a text channel; "" for none).
    refuse_text: str | None = None


class IdentityResolver(Protocol):
    def ask(self, session: Session, project: str, refs: Sequence[CustomerRef]) -> Any:
        """Send the look-ups :meth:`resolve` needs for these refs, without waiting (in a
        pipelined transaction), and return them for it; None when there is nothing to send
        ahead. The ingest may send them in the transaction of the batch before, just before
        its COMMIT (:class:`dozvon.conversations.ingest.IngestQueue`): what this returns is
        then read in another session, after that commit — so it must hold its look-ups
        itself, nothing in ``session``. Nothing here may write or lock."""
        ...

    def resolve(self, session: Session, project: str, refs: Sequence[CustomerRef],
                asked: Any = None) -> list[str | None]:
        """The Dozvon customer id of each ref (None: an anonymous contact), in order.
        ``asked``: what :meth:`ask` returned for these refs (None: look them up now). May
        create customers in ``session`` (the ingest's transaction): :meth:`standing` writes
        those its contacts arrive for, and the caller then calls :meth:`confirm` before it
        relies on them."""
        ...

    def standing(self, session: Session, project: str, customer_ids: Sequence[str],
                 now_us: int) -> dict[str, Standing]:
        """Each arriving customer's standing, by id; ``customer_ids`` has one entry per
        arriving contact (a customer arriving twice is in it twice). In the ingest's
        transaction; may update the customer base, and writes the customers :meth:`resolve`
        created among them, with their segment."""
        ...

    def open_ahead(self, session: Session, project: str, refs: Sequence[CustomerRef]) -> Ahead | None:
        """Sent before :meth:`resolve`, and read after it: the open conversations, on the
        refs' channels, of the customers the refs name — rows for
        :func:`~dozvon.conversations.queries.newest_open`, which keeps those of the
        customers :meth:`resolve` found. In a pipelined transaction it travels with the
        resolver's look-up: a batch of chat messages waits for the database once less.
        None: the customers cannot be named before they are resolved (the ingest then
        asks for their conversations after)."""
        ...

    def confirm(self, session: Session) -> None:
        """Called once the batch's rows were waited for, before the engine moves: raises
        :class:`IdentityTaken` if another server claimed, at the same moment, an identity
        :meth:`resolve` created a customer for (its claim is read with the rows' wait,
        not in a round trip of its own)."""
        ...


class IdentityTaken(Exception):
    """Another server claimed an identity this transaction created a customer for, between
    the look-up and the insert. The transaction is rolled back and the batch run again: its
    look-up then finds that server's customer."""


class ChannelIdentity:
    """The channel's id of a customer is their id (no customer base yet)."""

    def confirm(self, session: Session) -> None:
        """Nothing to confirm: no customer is created."""

    def ask(self, session: Session, project: str, refs: Sequence[CustomerRef]) -> None:
        """Nothing to look up."""

    def resolve(self, session: Session, project: str, refs: Sequence[CustomerRef],
                asked: Any = None) -> list[str | None]:
        return [ref.external_id for ref in refs]

    def standing(self, session: Session, project: str, customer_ids: Sequence[str],
                 now_us: int) -> dict[str, Standing]:
        return {}

    def open_ahead(self, session: Session, project: str, refs: Sequence[CustomerRef]) -> Ahead | None:
        from dozvon.conversations.queries import open_conversations_ahead

        named = [ref for ref in refs if ref.external_id]
        if not named:
            return None
        return open_conversations_ahead(session, project, (r.channel for r in named),
                                        (r.external_id for r in named if r.external_id))
