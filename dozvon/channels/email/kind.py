"""The ``email`` kind of channel connection: a mailbox's settings, how Dozvon logs in to
it (IMAP to take mail in, SMTP to send replies) and its test.

One secret — the mailbox's password — serves both logins, as it does at nearly every mail
provider; the user names default to the address.
"""

from __future__ import annotations

import contextlib
import imaplib
import smtplib
import ssl
from typing import Any, Literal

from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.mailbox import BaseMailBox
from pydantic import Field, field_validator

from dozvon.channels.email import messages as _messages  # noqa: F401  (registers the messages)
from dozvon.channels.kinds import ChannelKind, KindSettings, register_kind
from dozvon.core.errors import DozvonError
from dozvon.core.i18n import translate

Security = Literal["ssl", "starttls", "none"]
MiB = 1024 * 1024
#: Seconds a login or a command may take before the peer counts as not answering.
TIMEOUT_S = 30.0


class MailboxSettings(KindSettings):
    #: The mailbox's address: the sender of replies, and how our own mail is recognised.
    address: str = Field(min_length=3, max_length=200, pattern=r"^[^@\s]+@[^@\s]+$")
    #: The name replies are signed with in From ("Shop support").
    from_name: str = Field(default="", max_length=200)
    imap_host: str = Field(min_length=1, max_length=255)
    imap_port: int = Field(default=993, ge=1, le=65535)
    imap_security: Security = "ssl"
    #: "" — the address.
    imap_username: str = Field(default="", max_length=200)
    folder: str = Field(default="INBOX", min_length=1, max_length=200)
    #: What marks a mail handled once it is stored: \Seen, or a move to ``handled_folder``.
    after_stored: Literal["seen", "move"] = "seen"
    handled_folder: str = Field(default="", max_length=200)
    #: Wait for new mail with IDLE when the server offers it; otherwise look every ``poll_s``.
    idle: bool = True
    poll_s: float = Field(default=30.0, ge=1.0, le=3600.0)
    smtp_host: str = Field(min_length=1, max_length=255)
    smtp_port: int = Field(default=465, ge=1, le=65535)
    smtp_security: Security = "ssl"
    #: "" — the IMAP user name.
    smtp_username: str = Field(default="", max_length=200)
    #: Whether the SMTP server wants a login at all (a relay on the same host may not).
    smtp_login: bool = True
    #: Appended to every reply after "-- ".
    signature: str = Field(default="", max_length=4000)
    #: The largest file kept of a mail (larger ones are listed, saying why they were not kept).
    max_attachment_bytes: int = Field(default=10 * MiB, ge=0, le=100 * MiB)
    #: The largest mail taken in at all (larger ones are refused, in the health).
    max_mail_bytes: int = Field(default=50 * MiB, ge=64 * 1024, le=200 * MiB)
    #: Check the servers' TLS certificates (off only for a server with a self-made one).
    verify_tls: bool = True

    @field_validator("address")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.strip().lower()

    @property
    def imap_user(self) -> str:
        return self.imap_username or self.address

    @property
    def smtp_user(self) -> str:
        return self.smtp_username or self.imap_user

    @property
    def domain(self) -> str:
        return self.address.rsplit("@", 1)[1]


def mailbox_settings(settings: dict[str, Any]) -> MailboxSettings:
    return MailboxSettings.model_validate(settings)


def _tls(settings: MailboxSettings) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if not settings.verify_tls:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def open_imap(settings: MailboxSettings, password: str, timeout: float = TIMEOUT_S) -> BaseMailBox:
    """Logged in, the folder selected; a DozvonError saying what failed otherwise."""
    host, port = settings.imap_host, settings.imap_port
    try:
        box: BaseMailBox
        if settings.imap_security == "ssl":
            box = MailBox(host, port, timeout=timeout, ssl_context=_tls(settings))
        elif settings.imap_security == "starttls":
            box = MailBoxStartTls(host, port, timeout=timeout, ssl_context=_tls(settings))
        else:
            box = MailBoxUnencrypted(host, port, timeout=timeout)
        return box.login(settings.imap_user, password, settings.folder)
    except Exception as error:  # refused, unreachable, bad certificate, no such folder
        raise DozvonError("email.imap_failed", host=host, port=port, reason=_reason(error)) from None


def open_smtp(settings: MailboxSettings, password: str, timeout: float = TIMEOUT_S) -> smtplib.SMTP:
    """Connected (and logged in when the mailbox says so); a DozvonError otherwise."""
    host, port = settings.smtp_host, settings.smtp_port
    client: smtplib.SMTP | None = None
    try:
        if settings.smtp_security == "ssl":
            client = smtplib.SMTP_SSL(host, port, timeout=timeout, context=_tls(settings))
        else:
            client = smtplib.SMTP(host, port, timeout=timeout)
            if settings.smtp_security == "starttls":
                client.starttls(context=_tls(settings))
        client.ehlo_or_helo_if_needed()
        if settings.smtp_login:
            client.login(settings.smtp_user, password)
        return client
    except Exception as error:
        if client is not None:
            with contextlib.suppress(Exception):  # closing a connection that already failed
                client.close()
        raise DozvonError("email.smtp_failed", host=host, port=port, reason=_reason(error)) from None


def _reason(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        message = error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
        return f"{error.smtp_code} {message}"[:300]
    if isinstance(error, imaplib.IMAP4.error):
        return str(error)[:300]
    text = str(error) or type(error).__name__
    return f"{type(error).__name__}: {text}"[:300] if not isinstance(error, OSError) else text[:300]


def _test(connection: Any, secret: str) -> str:
    """Log in to both servers and say what was found: the folder's mail, whether IDLE is
    offered, and how SMTP took the login."""
    settings = mailbox_settings(connection.settings)
    box = open_imap(settings, secret)
    try:
        total = len(box.uids("ALL"))
        unseen = len(box.uids("UNSEEN"))
        idle = "IDLE" in box.client.capabilities
    finally:
        box.logout()
    client = open_smtp(settings, secret)
    client.quit()
    where: dict[str, Any] = {"host": settings.smtp_host, "port": settings.smtp_port, "security": settings.smtp_security}
    smtp = translate("email.smtp_ok", user=settings.smtp_user, **where) if settings.smtp_login \
        else translate("email.smtp_ok_anonymous", **where)
    return translate("email.tested", imap_user=settings.imap_user, folder=settings.folder, total=total,
                     unseen=unseen, idle=translate("email.yes" if idle else "email.no"), smtp=smtp)


EMAIL = register_kind(ChannelKind(name="email", channel="email", settings=MailboxSettings, secret="required",
                                  secret_label=("password", "пароль"), title=("Mailbox", "Почтовый ящик"),
                                  test=_test))
