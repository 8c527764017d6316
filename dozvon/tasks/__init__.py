"""Requests with deadlines: call back, send an offer — with an owner and a due time."""

from dozvon.tasks import messages as _messages  # noqa: F401  (registers the domain's messages)
