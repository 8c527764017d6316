"""The ``telegram`` kind of channel connection: a project's bot, its token the secret.

Settings say how updates come (``polling``: Dozvon asks Telegram with getUpdates, which
works behind any firewall; ``webhook``: Telegram posts each update to
``{public_url}/hooks/telegram/{id}``, which needs an address Telegram can reach), which Bot
API to talk to (Telegram's, or a self-hosted server), and the largest file kept.
"""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationInfo, field_validator
from telegram.error import InvalidToken, TelegramError

from dozvon.channels.kinds import ChannelKind, KindSettings, register_kind
from dozvon.channels.telegram.bot import TELEGRAM_API, bots
from dozvon.core.errors import InvalidInput
from dozvon.core.i18n import translate

#: What the Bot API lets a bot download (getFile): the default size limit.
BOT_API_FILE_LIMIT_MB = 20


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(translate("telegram.bad_url", value=value))
    return value.rstrip("/")


class BotSettings(KindSettings):
    """A bot's settings (its token is the connection's secret, never here)."""

    mode: Literal["polling", "webhook"] = Field(
        default="polling", description="How updates come: polling (getUpdates) or webhook (Telegram posts them)")
    public_url: str = Field(default="", max_length=500, validate_default=True,
                            description="This server's address as Telegram reaches it (webhook only), https://…")
    api_url: str = Field(default=TELEGRAM_API, max_length=500,
                         description="The Bot API's address: Telegram's, or a self-hosted Bot API server")
    max_file_mb: int = Field(default=BOT_API_FILE_LIMIT_MB, ge=1, le=2000,
                             description="Files larger than this are not kept (the message is, with a note)")
    poll_timeout_s: int = Field(default=25, ge=0, le=50, description="How long one getUpdates waits for news")

    @field_validator("api_url")
    @classmethod
    def _api(cls, value: str) -> str:
        return _http_url(value)

    @field_validator("public_url")
    @classmethod
    def _public(cls, value: str, info: ValidationInfo) -> str:
        if not value:
            if info.data.get("mode") == "webhook":
                raise ValueError(translate("telegram.public_url_needed"))
            return value
        return _http_url(value)


def settings_of(connection: Any) -> BotSettings:
    return BotSettings.model_validate(connection.settings or {})


def test_bot(connection: Any, token: str) -> str:
    """getMe: the bot's @name when the token is good, else what Telegram said."""
    settings = settings_of(connection)
    try:
        bot = bots.bot(token, settings.api_url)  # an empty token is refused here
        me = bots.call(bot.get_me(), timeout=20)
    except InvalidToken as error:
        raise InvalidInput("telegram.token_refused", reason=str(error)) from None
    except (TelegramError, OSError, TimeoutError) as error:
        raise InvalidInput("telegram.unreachable", url=settings.api_url, reason=str(error) or type(error).__name__) \
            from None
    return translate("telegram.bot_found", username=me.username or "?", name=me.full_name, mode=settings.mode)


KIND = register_kind(ChannelKind(name="telegram", channel="telegram", settings=BotSettings, secret="required",
                                 secret_label=("bot token", "токен бота"), title=("Telegram bot", "Бот Telegram"),
                                 test=test_bot))
