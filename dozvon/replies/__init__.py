"""What operators and the system say to customers: quick replies and automatic messages."""

from dozvon.replies import messages as _messages  # noqa: F401  (registers the domain's messages)
