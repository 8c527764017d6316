"""The mailbox workers: one thread per connected mailbox, waiting for mail with IMAP IDLE
(or looking every ``poll_s`` when the server has no IDLE), and the supervisor that starts,
restarts and stops them as connections are added, changed and removed.

A worker never dies of a mail or a peer: a refused mail is marked and skipped, a server
that does not answer is retried with a growing pause, and every failure is written to the
connection's health. Stopping one closes its socket, which ends an IDLE wait at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from collections.abc import Callable
from typing import Any, cast

import anyio.to_thread
from imap_tools import AND, MailMessageFlags
from imap_tools.mailbox import BaseMailBox
from imap_tools.message import MailMessage

from dozvon.channels import connections
from dozvon.channels.email.inbound import REFUSED_KEYWORD, Intake, Mailbox
from dozvon.channels.email.kind import mailbox_settings, open_imap
from dozvon.core.errors import DozvonError

log = logging.getLogger("dozvon.email")
#: Mails fetched in one command.
FETCH_BATCH = 50
#: An IDLE is renewed this often even when nothing happens (RFC 2177 asks for < 29 min).
IDLE_RENEW_S = 300.0
#: The longest pause before logging in again after a failure.
MAX_BACKOFF_S = 300.0


class _RawMail(MailMessage):
    """A fetched mail that keeps its bytes (imap-tools parses them; we parse them our way)."""

    def __init__(self, fetch_data: list[Any]) -> None:
        raw, self._raw_uid_data, self._raw_flag_data = self._get_message_data_parts(fetch_data)
        self.raw: bytes = bytes(raw)


class MailboxWorker(threading.Thread):
    def __init__(self, box: Mailbox, make_intake: Callable[[Mailbox], Intake], idle_renew_s: float = IDLE_RENEW_S):
        super().__init__(name=f"mailbox-{box.project}-{box.name}", daemon=True)
        self.box = box
        self.intake = make_intake(box)
        self.stopping = threading.Event()
        self.idle_renew_s = idle_renew_s
        self._client: BaseMailBox | None = None

    def stop(self) -> None:
        self.stopping.set()
        client = self._client
        if client is not None:  # wake a blocked IDLE
            with contextlib.suppress(OSError, AttributeError):
                client.client.sock.shutdown(socket.SHUT_RDWR)

    def run(self) -> None:
        pause = 1.0
        while not self.stopping.is_set():
            try:
                self._serve()
                pause = 1.0
            except DozvonError as error:
                if not self.stopping.is_set():
                    self.intake.error(error.message())
            except Exception as error:
                if not self.stopping.is_set():
                    self.intake.error(f"IMAP {self.box.settings.imap_host}: {type(error).__name__}: {error}"[:1000])
            finally:
                self._close()
            self.stopping.wait(pause)
            pause = min(MAX_BACKOFF_S, pause * 2)
        self.intake.close()

    def _close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):  # the connection is gone already
                client.logout()

    def _serve(self) -> None:
        settings = self.box.settings
        self._client = client = open_imap(settings, self.box.password)
        idle = settings.idle and "IDLE" in client.client.capabilities
        while not self.stopping.is_set():
            self.take_round(client)
            if self.stopping.is_set():
                return
            if idle:
                self._idle(client, min(self.idle_renew_s, settings.poll_s))
            else:
                self.stopping.wait(settings.poll_s)

    @staticmethod
    def _news(client: BaseMailBox) -> bool:
        """Whether the server announced new mail in passing (an untagged EXISTS or RECENT
        answered with another command) — and forget it, it is being acted on."""
        told = client.client.untagged_responses
        return bool(told.pop("EXISTS", None)) | bool(told.pop("RECENT", None))

    def _idle(self, client: BaseMailBox, timeout: float) -> None:
        """Wait for new mail. A mail that came after the last search but before IDLE began
        is announced before IDLE's go-ahead, and imaplib files that away: looked at once,
        or it would wait for the next renewal. ``timeout`` (at most ``poll_s``) bounds the
        cost of any announcement missed all the same."""
        client.idle.start()  # type: ignore[no-untyped-call]
        try:
            if not self._news(client):
                client.idle.poll(timeout=timeout)
        finally:
            client.idle.stop()  # type: ignore[no-untyped-call]

    def take_round(self, client: BaseMailBox) -> None:
        """Every unseen, unrefused mail of the folder, in batches, oldest first."""
        while not self.stopping.is_set():
            self._news(client)  # what was announced so far, this search finds
            uids = client.uids(AND(seen=False, no_keyword=REFUSED_KEYWORD))
            if not uids:
                return
            client.email_message_class = _RawMail
            fetched = [(m.uid or "", cast(_RawMail, m).raw) for m in client.fetch(
                uid_list=uids[:FETCH_BATCH], mark_seen=False, bulk=True)]
            outcome = self.intake.take([(u, r) for u, r in fetched if u])
            if outcome.handled:
                if self.box.settings.after_stored == "move" and self.box.settings.handled_folder:
                    client.move(outcome.handled, self.box.settings.handled_folder)
                else:
                    client.flag(outcome.handled, MailMessageFlags.SEEN, True)
            if outcome.refused:
                client.flag(outcome.refused, REFUSED_KEYWORD, True)
            if outcome.left:  # ours to fix: wait for the next round rather than spin
                return


class Supervisor:
    """Keeps one worker per enabled mailbox: reads the connections every ``every_s``."""

    def __init__(self, sessions: Any, make_intake: Callable[[Mailbox], Intake], every_s: float = 2.0) -> None:
        self.sessions = sessions
        self.make_intake = make_intake
        self.every_s = every_s
        self.workers: dict[int, tuple[tuple[Any, ...], MailboxWorker]] = {}

    def sync(self) -> None:
        """Start, restart (changed) and stop workers to match the table."""
        wanted: dict[int, tuple[tuple[Any, ...], Any]] = {}
        with self.sessions() as session:
            for row in connections.enabled_of_kind(session, "email"):
                wanted[row.id] = ((row.project, row.name, row.queue, repr(row.settings), row.secret,
                                   row.updated_at_us), row)
        for connection_id in [c for c in self.workers if c not in wanted or self.workers[c][0] != wanted[c][0]]:
            _, worker = self.workers.pop(connection_id)
            worker.stop()
        for connection_id, (fingerprint, row) in wanted.items():
            if connection_id in self.workers:
                continue
            try:
                box = Mailbox(row.id, row.project, row.name, row.queue, mailbox_settings(row.settings),
                              connections.secret_of(row))
            except DozvonError as error:  # a secret this key cannot read …: say so, try again later
                with self.sessions.begin() as session:
                    connections.mark_error(session, row.id, error.message())
                continue
            except Exception as error:
                with self.sessions.begin() as session:
                    connections.mark_error(session, row.id, f"{type(error).__name__}: {error}"[:1000])
                continue
            worker = MailboxWorker(box, self.make_intake)
            self.workers[connection_id] = (fingerprint, worker)
            worker.start()

    def stop_all(self) -> None:
        for _, worker in self.workers.values():
            worker.stop()
        self.workers.clear()

    async def run(self) -> None:
        """For ever, in the server's event loop; the work itself in threads."""
        try:
            while True:
                try:
                    await anyio.to_thread.run_sync(self.sync)
                except Exception as error:  # the database may be down: try again shortly
                    log.warning("mailboxes: %s", error)
                await asyncio.sleep(self.every_s)
        finally:
            self.stop_all()
