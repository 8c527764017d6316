"""Taking a mailbox's new mail in: read, store through the ingest, keep the mail's details
and files, and only then mark it handled on the server.

The order is the channel's promise («сначала сохранить, потом ответить»): a mail is
flagged ``\\Seen`` (or moved) only after its message and its details have committed. A
crash in between leaves it unseen; the next round finds the stored message by the mail's
``Message-ID`` (the ingest's external id) and finishes the job — never a second message.

A mail that cannot be taken in (no sender, too big, unreadable) is refused: the reason
goes to the mailbox's health and the log, and the mail gets the keyword
``$DozvonRefused`` so it is not tried again — it stays unread in the mailbox for a
person. A failure that is ours (the queue is gone, the database is down) refuses nothing:
the mail stays as it was and is tried again next round.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from dozvon.channels import connections
from dozvon.channels.email import store
from dozvon.channels.email.kind import MailboxSettings
from dozvon.channels.email.parse import Mail, Refused, parse
from dozvon.conversations import actions
from dozvon.conversations.ingest import Inbound, IngestResult
from dozvon.conversations.queries import OPEN
from dozvon.core.errors import DozvonError
from dozvon.core.i18n import translate

log = logging.getLogger("dozvon.email")
REFUSED_KEYWORD = "$DozvonRefused"
#: Mails ingested at once (their commits are grouped by the ingest queue).
PARALLEL = 8


@dataclass(frozen=True)
class Mailbox:
    """What a worker knows of its connection (a snapshot: a change restarts the worker)."""

    id: int
    project: str
    name: str
    queue: str
    settings: MailboxSettings
    password: str


@dataclass
class Outcome:
    """A round's result per IMAP uid: handled (stored, skipped or a bounce: mark it),
    refused (the mail's own fault: keyword), or left (our failure: try again)."""

    handled: list[str]
    refused: list[str]
    left: list[str]


class Intake:
    """The steps from raw mail to stored message, for one mailbox. ``ingest`` is the hub's
    (``hub.ingest``), ``sessions`` its session factory, ``service`` its routing services."""

    def __init__(self, box: Mailbox, ingest: Callable[[str, Inbound], IngestResult], sessions: Any,
                 service: Callable[[str], Any]) -> None:
        self.box, self.ingest, self.sessions, self.service = box, ingest, sessions, service
        self.pool = ThreadPoolExecutor(PARALLEL, thread_name_prefix=f"email-{box.id}")

    def close(self) -> None:
        self.pool.shutdown(wait=False)

    def error(self, text: str) -> None:
        """Say what went wrong in the log and the mailbox's health. The health is a database
        write: when the database is down too, the log has it and the worker goes on (a
        raise here would end the mailbox's worker thread until a restart)."""
        log.warning("mailbox %s/%s: %s", self.box.project, self.box.name, text)
        try:
            with self.sessions.begin() as session:
                connections.mark_error(session, self.box.id, text)
        except Exception as error:
            log.warning("mailbox %s/%s: health not marked: %s: %s", self.box.project, self.box.name,
                        type(error).__name__, error)

    def take(self, raws: Sequence[tuple[str, bytes]]) -> Outcome:
        """Take in a fetched batch (uid, raw bytes), in uid order."""
        out = Outcome([], [], [])
        own = {self.box.settings.address}
        mails: list[tuple[str, Mail]] = []
        for uid, raw in raws:
            try:
                mails.append((uid, parse(raw, own, self.box.settings.max_mail_bytes)))
            except Refused as refused:
                reason = translate(refused.code, **refused.params)
                self.error(translate("email.refused", mail_id=refused.params.get("mail_id", "?"),
                                     sender="?", reason=reason))
                out.refused.append(uid)
        # Mails that start a conversation are stored side by side (the ingest commits them
        # together); mails that may continue one go after them, one by one in the order
        # they came, so a thread's messages keep their order.
        first = [(u, m) for u, m in mails if not m.thread_ids and m.token is None]
        later = [(u, m) for u, m in mails if m.thread_ids or m.token is not None]
        stored: list[tuple[str, Mail, IngestResult]] = []
        for (uid, mail), result in zip(first, self.pool.map(self._one, [m for _, m in first]), strict=True):
            if isinstance(result, IngestResult):
                stored.append((uid, mail, result))
            else:
                getattr(out, result).append(uid)
        self._record(stored, out)
        self._welcome(stored, out)
        for uid, mail in later:
            result = self._one(mail)
            if isinstance(result, IngestResult):
                self._record([(uid, mail, result)], out)
                self._welcome([(uid, mail, result)], out)
            else:
                getattr(out, result).append(uid)
        return out

    def _welcome(self, stored: list[tuple[str, Mail, IngestResult]], out: Outcome) -> None:
        """The project's welcome on each conversation a mail opened, as on every text
        channel — only once the mail's details are kept, since the reply is addressed and
        threaded from them. A mail that is itself automatic never gets here (:meth:`_one`),
        and the welcome says it is automatic (``Auto-Submitted``), so two robots never
        answer each other."""
        kept = set(out.handled)
        opened = [result for uid, _, result in stored if uid in kept and result.opened]
        if opened:
            actions.do_welcome(self.service(self.box.project), opened)

    def _record(self, stored: list[tuple[str, Mail, IngestResult]], out: Outcome) -> None:
        """Keep the stored mails' details and files, in one transaction (one commit for a
        batch); should it fail, one at a time, so that only the offender waits."""
        if not stored:
            return
        box = self.box
        try:
            with self.sessions.begin() as session:
                for _, mail, result in stored:
                    store.record(session, box.project, box.id, result.conversation_id, result.message_id, mail,
                                 box.settings.max_attachment_bytes)
                connections.mark_in(session, box.id)
            out.handled.extend(uid for uid, _, _ in stored)
        except Exception as error:
            if len(stored) > 1:
                for one in stored:
                    self._record([one], out)
                return
            uid, mail, _ = stored[0]
            self.error(f"{mail.mail_id}: {type(error).__name__}: {error}"[:1000])
            out.left.append(uid)

    def _one(self, mail: Mail) -> str | IngestResult:
        """One mail: "handled" (a bounce, a mail not taken), "refused", "left" (try again),
        or the ingest's result (stored; its details are kept next, :meth:`_record`)."""
        box = self.box
        try:
            if mail.bounce is not None:
                keys = store.do_bounce(self.service(box.project), mail.bounce.original_ids, mail.bounce.reason)
                for key in keys:
                    self.error(translate("email.bounced", reply=key, reason=mail.bounce.reason))
                if not keys:
                    log.info("mailbox %s/%s: %s", box.project, box.name, translate(
                        "email.bounce_unmatched", original=", ".join(mail.bounce.original_ids) or "?"))
                return "handled"
            if mail.skip is not None:
                code, header = mail.skip
                log.info("mailbox %s/%s: %s", box.project, box.name, translate(
                    "email.skipped", mail_id=mail.mail_id, sender=mail.from_address,
                    reason=translate(code, header=header, address=header)))
                return "handled"
            return self._store(mail)
        except DozvonError as error:  # ours to fix (a queue removed …): the mail waits
            self.error(translate("email.refused", mail_id=mail.mail_id, sender=mail.from_address,
                                 reason=error.message()))
            return "left"
        except Exception as error:  # the database is down …: the mail waits for the next round
            self.error(f"{mail.mail_id}: {type(error).__name__}: {error}"[:1000])
            return "left"

    def _store(self, mail: Mail) -> IngestResult:
        """The ingest's part: a new conversation, or a message of the one it continues."""
        box = self.box
        with self.sessions() as session:
            done = store.taken(session, box.project, mail.mail_id)
            if done is not None:  # stored before a crash, never marked: finish the job
                return IngestResult(done.conversation_id, done.id, created=False)
            thread = store.find_thread(session, box.project, mail)
        if thread is not None and thread.status == OPEN:
            joined = store.do_join(self.service(box.project), thread.id, mail)
            if joined is not None:
                return joined
        return self.ingest(box.project, Inbound(
            channel=store.CHANNEL, external_id=mail.mail_id, queue=box.queue, customer_id=mail.from_address,
            customer_name=mail.from_name[:200], subject=(mail.topic or mail.subject)[:500], text=mail.text,
            source=f"email:{box.name}"[:200]))
