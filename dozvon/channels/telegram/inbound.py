"""Updates in: a Telegram update becomes an ingested message (and its files), or a clear
reason in the channel's health — never a crash, never a lost good message.

One path for webhooks and long polling. An update's message is keyed
``tg:<connection>:<chat>:<message>`` (:func:`message_key`), the ingest's ``external_id``:
a redelivered update — a webhook retried, a poll repeated after a restart — finds its
message already stored and changes nothing. The customer is the Telegram user's numeric
id, which the CRM reads as a ``telegram`` identity (dozvon/crm/identity.py).

A file is fetched (getFile, then the file itself) *before* the message is stored, and kept
right after it in a transaction of its own; a redelivery keeps a file a crash left out,
so the update is acknowledged only once both are stored. A file over the size limit, or
one Telegram will not hand over, is not kept: the message is, with a note in the health.
"""

from __future__ import annotations

import hashlib
import mimetypes
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from telegram import Message, Update
from telegram.error import TelegramError

from dozvon.channels import connections
from dozvon.channels.models import ChannelConnection
from dozvon.channels.telegram.bot import bots
from dozvon.channels.telegram.kind import settings_of
from dozvon.channels.telegram.models import ChannelFile
from dozvon.channels.telegram.survey import Press, read_press, take_press
from dozvon.conversations import actions
from dozvon.conversations.ingest import Inbound, IngestResult, ingest_many
from dozvon.core.clock import now_us
from dozvon.core.errors import DozvonError
from dozvon.core.i18n import translate
from dozvon.server.hub import Hub

CHANNEL = "telegram"
PREFIX = "tg:"
#: Kinds of content stored as a named placeholder (the desk cannot show them yet).
_PLACEHOLDERS = ("sticker", "voice", "video", "video_note", "audio", "animation", "location", "venue",
                 "contact", "poll", "dice")


def message_key(connection_id: int, chat_id: int, message_id: int) -> str:
    return f"{PREFIX}{connection_id}:{chat_id}:{message_id}"


def parse_key(external_id: str | None) -> tuple[int, int] | None:
    """(connection id, chat id) of a Telegram conversation's or message's key."""
    if not external_id or not external_id.startswith(PREFIX):
        return None
    parts = external_id[len(PREFIX):].split(":")
    try:
        return int(parts[0]), int(parts[1])
    except (IndexError, ValueError):
        return None


@dataclass(frozen=True)
class Bot:
    """A connection as the adapter's threads carry it (no session attached)."""

    id: int
    project: str
    name: str
    queue: str
    token: str
    settings: dict[str, Any]

    @classmethod
    def of(cls, row: ChannelConnection) -> Bot:
        return cls(row.id, row.project, row.name, row.queue, connections.secret_of(row), dict(row.settings or {}))

    @property
    def webhook_secret(self) -> str:
        """The ``secret_token`` given to setWebhook: derived from the bot's token, so it
        changes with it and needs no storing (Telegram allows A-Z, a-z, 0-9, _ and -)."""
        return hashlib.sha256(f"dozvon-telegram-webhook:{self.id}:{self.token}".encode()).hexdigest()


@dataclass
class FileIn:
    key: str
    name: str
    content_type: str
    kind: str
    data: bytes


@dataclass
class Prepared:
    """One update made ready: the message to ingest (None: skipped) and its files."""

    update_id: int
    item: Inbound | None
    files: list[FileIn] = field(default_factory=list)
    #: Reasons for the health: what was skipped or not kept.
    notes: list[str] = field(default_factory=list)
    #: A press of a survey button (survey.py): a rating, not a message.
    press: Press | None = None


def _label(what: str) -> str:
    return translate(f"telegram.label.{what}")


def _kind_of(raw: dict[str, Any]) -> str:
    return next((k for k in raw if k != "update_id"), "nothing")


def prepare(bot: Bot, raw: Any) -> Prepared:
    """Read one update (fetching its files); anything but a new message or a press of a
    survey button is skipped with a reason. Never raises for what Telegram sent."""
    update_id = raw.get("update_id") if isinstance(raw, dict) else None
    if not isinstance(update_id, int):
        return Prepared(-1, None, notes=[translate("telegram.bad_update", update_id="?",
                                                   reason="no update_id")])
    if "callback_query" in raw:
        press = read_press(raw)
        if press is not None:
            return Prepared(update_id, None, press=press)
    if "message" not in raw:
        return Prepared(update_id, None, notes=[translate("telegram.unknown_update", update_id=update_id,
                                                          kind=_kind_of(raw))])
    try:
        update = Update.de_json(raw, None)
        message = update.message
        assert message is not None
    except Exception as error:  # malformed: said in the health, the others go on
        return Prepared(update_id, None, notes=[translate("telegram.bad_update", update_id=update_id,
                                                          reason=f"{type(error).__name__}: {error}")])
    return _prepare_message(bot, update_id, message)


def _prepare_message(bot: Bot, update_id: int, message: Message) -> Prepared:
    user = message.from_user
    if user is None or user.is_bot:
        return Prepared(update_id, None, notes=[translate("telegram.no_content", update_id=update_id,
                                                          kind="no sender" if user is None else "from a bot")])
    key = message_key(bot.id, message.chat.id, message.message_id)
    notes: list[str] = []
    files = _files(bot, key, message, notes)
    text = message.text or message.caption or ""
    if not text:
        if message.photo:
            text = f"🖼 {_label('photo')}"
        elif message.document is not None:
            text = f"📎 {message.document.file_name or _label('document')}"
        else:
            what = next((w for w in _PLACEHOLDERS if getattr(message, w, None)), None)
            if what is None:
                kind = next((k for k, v in message.to_dict().items()
                             if k not in ("message_id", "from", "chat", "date") and v), "nothing")
                return Prepared(update_id, None, notes=[translate("telegram.no_content", update_id=update_id,
                                                                  kind=kind)])
            emoji = message.sticker.emoji if what == "sticker" and message.sticker is not None else None
            text = f"[{_label(what)}{' ' + emoji if emoji else ''}]"
    item = Inbound(channel=CHANNEL, external_id=key, queue=bot.queue, customer_id=str(user.id),
                   customer_name=user.full_name[:200], text=text.replace("\x00", ""), source=f"telegram:{bot.name}",
                   as_message=True)
    return Prepared(update_id, item, files, notes)


def _files(bot: Bot, key: str, message: Message, notes: list[str]) -> list[FileIn]:
    """The message's photo (its largest size) or document, fetched within the size limit."""
    wanted: list[tuple[str, str, str, str, int | None, str]] = []  # id, unique id, name, type, size, kind
    if message.photo:
        best = message.photo[-1]
        wanted.append((best.file_id, best.file_unique_id, f"photo-{message.message_id}.jpg", "image/jpeg",
                       best.file_size, "photo"))
    if message.document is not None:
        d = message.document
        name = (d.file_name or f"file-{message.message_id}").replace("/", "_").replace("\\", "_")[:200]
        content_type = d.mime_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
        wanted.append((d.file_id, d.file_unique_id, name, content_type[:200], d.file_size, "document"))
    if not wanted:
        return []
    settings = settings_of(bot)
    limit = settings.max_file_mb * 1024 * 1024
    client = bots.bot(bot.token, settings.api_url)
    kept = []
    for file_id, unique_id, name, content_type, size, kind in wanted:
        where = f"{message.chat.id}/{message.message_id}"
        if size is not None and size > limit:
            notes.append(translate("telegram.file_too_big", message=where, name=name, size=size, limit=limit))
            continue
        try:
            remote = bots.call(client.get_file(file_id), timeout=30)
            if remote.file_size is not None and remote.file_size > limit:
                notes.append(translate("telegram.file_too_big", message=where, name=name, size=remote.file_size,
                                       limit=limit))
                continue
            data = bytes(bots.call(remote.download_as_bytearray(), timeout=120))
        except (TelegramError, OSError, TimeoutError) as error:
            notes.append(translate("telegram.file_failed", message=where, name=name,
                                   reason=str(error) or type(error).__name__))
            continue
        if len(data) > limit:
            notes.append(translate("telegram.file_too_big", message=where, name=name, size=len(data), limit=limit))
            continue
        kept.append(FileIn(f"{key}:{unique_id}", name, content_type, kind, data))
    return kept


def store(hub: Hub, bot: Bot, batch: list[Prepared]) -> list[IngestResult | DozvonError | None]:
    """Ingest the batch's messages in order (one transaction; a single one joins the hub's
    group commit), then keep their files and mark the health. Returns each update's result
    (None: skipped). Raises only when nothing could be stored (the database is down):
    the caller then does not acknowledge, and the updates come again."""
    for p in batch:
        if p.press is not None:
            take_press(hub, bot, p.press)
    items = [p.item for p in batch if p.item is not None]
    results: list[IngestResult | DozvonError] = []
    if len(items) == 1:
        try:
            results = [hub.ingest(bot.project, items[0])]
        except DozvonError as error:
            results = [error]
    elif items:
        results = ingest_many(hub.service(bot.project), items, hub.identity)
    answers: list[IngestResult | DozvonError | None] = []
    position = iter(results)
    notes = [note for p in batch for note in p.notes]
    mark = bool(items) and _due_mark(bot.id)
    refused = any(isinstance(r, DozvonError) for r in results)
    if not (mark or notes or refused or any(p.files for p in batch)):
        answers = [None if p.item is None else next(position) for p in batch]
        _welcome(hub, bot.project, [a for a in answers if isinstance(a, IngestResult)])
        return answers
    with hub.sessions.begin() as session:
        for p in batch:
            if p.item is None:
                answers.append(None)
                continue
            result = next(position)
            answers.append(result)
            if isinstance(result, DozvonError):
                notes.append(translate("telegram.bad_update", update_id=p.update_id, reason=result.message()))
            elif result.message_id is not None and p.files:
                _keep_files(session, bot.project, result, p.files)
        if mark:
            connections.mark_in(session, bot.id)
        if notes:
            connections.mark_error(session, bot.id, notes[-1])
    for note in notes:
        print(f"dozvon: telegram bot {bot.project}/{bot.name}: {note}", flush=True)
    _welcome(hub, bot.project, [a for a in answers if isinstance(a, IngestResult)])
    return answers


def _welcome(hub: Hub, project: str, results: list[IngestResult]) -> None:
    actions.do_welcome(hub.service(project), results)


#: bot id → when its "last message in" was last written: at most once a second, so that a
#: busy bot does not pay a second transaction for every update.
_marked: dict[int, float] = {}
MARK_EVERY_S = 1.0


def _due_mark(bot_id: int) -> bool:
    now = time.monotonic()
    if now - _marked.get(bot_id, -MARK_EVERY_S) < MARK_EVERY_S:
        return False
    _marked[bot_id] = now
    return True


def _keep_files(session: Session, project: str, result: IngestResult, files: list[FileIn]) -> None:
    keys = [f.key for f in files]
    have = set(session.scalars(select(ChannelFile.source_key).where(
        ChannelFile.project == project, ChannelFile.channel == CHANNEL, ChannelFile.source_key.in_(keys))))
    at = now_us()
    for f in files:
        if f.key not in have:
            assert result.message_id is not None
            session.add(ChannelFile(project=project, conversation_id=result.conversation_id,
                                    message_id=result.message_id, channel=CHANNEL, direction="in", source_key=f.key,
                                    name=f.name, content_type=f.content_type, size=len(f.data), kind=f.kind,
                                    data=f.data, created_at_us=at))
