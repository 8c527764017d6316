"""E-mail: the ``email`` channel — mailboxes connected as channel connections of kind
``email`` (:mod:`dozvon.channels.email.kind`).

Mail comes in over IMAP (:mod:`.imap`: a worker per mailbox, IDLE or polling), is stored
through the ingest before it is marked handled (:mod:`.inbound`), threads by its headers
or the subject's token (:mod:`.store`); HTML is sanitised and its files kept
(:mod:`.parse`). Replies go out over SMTP through the outbox (:mod:`.outbound`). Importing
the package registers the kind and its messages; :func:`start` wires it into a server.
"""

from __future__ import annotations

from typing import Any

from dozvon.channels.email import kind as _kind  # noqa: F401  (registers the kind and its messages)
from dozvon.channels.email.imap import Supervisor
from dozvon.channels.email.inbound import Intake, Mailbox
from dozvon.channels.email.outbound import EmailAdapter
from dozvon.channels.registry import registry


def start(hub: Any, every_s: float = 2.0) -> Supervisor:
    """Make the mail adapter the ``email`` channel's (replies over SMTP), and return the
    supervisor of the mailbox workers — the server runs :meth:`Supervisor.run` as a
    background task from its start to its end."""
    current = registry.get("email")
    # The registry is the process's; the adapter reads this server's database (a process
    # that makes a second app — the tests, a restart — must not keep the first one's).
    others = current.adapter.others if isinstance(current.adapter, EmailAdapter) else current.adapter
    registry.register("email", current.bucket, EmailAdapter(hub.sessions, others=others), current.text)

    def make_intake(box: Mailbox) -> Intake:
        return Intake(box, hub.ingest, hub.sessions, hub.service)

    return Supervisor(hub.sessions, make_intake, every_s=every_s)
