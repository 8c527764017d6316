"""Real mail servers on loopback for the e-mail channel's tests and benchmark.

:class:`Dovecot` runs Debian's ``dovecot`` (package ``dovecot-imapd``) as the current user
with its own configuration in a temporary directory — a static password file, Maildir
mailboxes, plain IMAP on a free port — so no system service is needed. :class:`SmtpCapture`
is an aiosmtpd server that keeps every mail it accepts (and can refuse the first attempts
with a temporary error, as a busy relay does).
"""

from __future__ import annotations

import getpass
import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from imap_tools import MailBoxUnencrypted

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
PASSWORD = "mail-pw"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def dovecot_missing() -> str | None:
    """Why Dovecot cannot run here (None: it can)."""
    if not os.path.exists(DOVECOT):
        return "Dovecot is not installed (apt-get install -y dovecot-imapd)"
    return None


class Dovecot:
    """A Dovecot IMAP server of our own on 127.0.0.1, with users ``users`` (password
    :data:`PASSWORD`)."""

    def __init__(self, users: tuple[str, ...] = ("desk@shop.test",)) -> None:
        # A folder of its own that Dovecot's unprivileged processes can enter (pytest's
        # temporary folders are private to their owner).
        self.root = Path(tempfile.mkdtemp(prefix="dozvon-dovecot-"))
        self.root.chmod(0o755)
        self.port = free_port()
        self.users = users
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Dovecot:
        me, group, uid, gid = getpass.getuser(), grp.getgrgid(os.getgid()).gr_name, os.getuid(), os.getgid()
        login = internal = me
        (self.root / "run").mkdir(parents=True, exist_ok=True)
        (self.root / "mail").mkdir(exist_ok=True)
        if uid == 0:  # Dovecot runs neither its login processes nor mail access as root
            login, internal = "dovenull", "dovecot"
            uid, gid = pwd.getpwnam("dovecot").pw_uid, pwd.getpwnam("dovecot").pw_gid
            group = grp.getgrgid(gid).gr_name
            os.chown(self.root / "mail", uid, gid)
        (self.root / "passwd").write_text("".join(f"{u}:{{PLAIN}}{PASSWORD}::::::\n" for u in self.users))
        config = self.root / "dovecot.conf"
        config.write_text(f"""
protocols = imap
listen = 127.0.0.1
base_dir = {self.root}/run
state_dir = {self.root}/run/state
log_path = {self.root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = {login}
default_internal_user = {internal}
default_internal_group = {group}
mail_location = maildir:{self.root}/mail/%u
mail_uid = {uid}
mail_gid = {gid}
first_valid_uid = 0
first_valid_gid = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={self.root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  user = {login}
  chroot =
}}
service anvil {{
  chroot =
}}
protocol imap {{
  mail_max_userip_connections = 100
}}
""")
        with open(self.root / "dovecot.out", "wb") as out:
            self.process = subprocess.Popen([DOVECOT, "-F", "-c", str(config)], stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    if s.recv(200).startswith(b"* OK"):
                        return self
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                told = [f.read_text(errors="replace")[-2000:] for f in (self.root / "dovecot.out",
                                                                          self.root / "dovecot.log") if f.exists()]
                raise RuntimeError("Dovecot did not start: " + " ".join(told))
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        shutil.rmtree(self.root, ignore_errors=True)

    def mailbox(self, user: str | None = None) -> MailBoxUnencrypted:
        box = MailBoxUnencrypted("127.0.0.1", self.port)
        box.login(user or self.users[0], PASSWORD)
        return box

    def append(self, mail: bytes | EmailMessage, user: str | None = None, flags: tuple[str, ...] = ()) -> None:
        """Deliver a mail the way the tests fill the mailbox: IMAP APPEND to INBOX."""
        raw = mail if isinstance(mail, bytes) else mail.as_bytes()
        with self.mailbox(user) as box:
            box.append(raw, "INBOX", flag_set=flags)

    def flags(self, user: str | None = None) -> dict[str, set[str]]:
        """Every mail of INBOX by its Message-ID, with its flags."""
        with self.mailbox(user) as box:
            return {(m.obj.get("Message-ID") or "").strip(): set(m.flags)
                    for m in box.fetch(mark_seen=False, headers_only=True)}


class _Handler:
    def __init__(self, capture: SmtpCapture) -> None:
        self.capture = capture

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.capture.refuse_next > 0:
            self.capture.refuse_next -= 1
            self.capture.refused += 1
            return "451 4.3.0 try again later"
        raw = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        self.capture.received.append(Captured(envelope.mail_from or "", list(envelope.rcpt_tos),
                                              message_from_bytes(raw, policy=policy.default), raw))
        return "250 OK"


@dataclass
class Captured:
    mail_from: str
    rcpt_tos: list[str]
    mail: Any
    raw: bytes


@dataclass
class SmtpCapture:
    """aiosmtpd on a free port that keeps what it is sent; ``refuse_next`` attempts are
    refused with 451 first; logins with :data:`PASSWORD` are taken."""

    port: int = field(default_factory=free_port)
    received: list[Captured] = field(default_factory=list)
    refuse_next: int = 0
    refused: int = 0
    logins: list[str] = field(default_factory=list)
    controller: Controller | None = None

    def _auth(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
        if isinstance(data, LoginPassword) and data.password.decode() == PASSWORD:
            self.logins.append(data.login.decode())
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    def start(self) -> SmtpCapture:
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port,
                                     authenticator=self._auth, auth_require_tls=False)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Captured]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return list(self.received)
