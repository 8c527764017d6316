"""The knowledge base: articles per project, searched in Russian and English word forms."""

from dozvon.knowledge import messages as _messages  # noqa: F401  (registers the domain's messages)
