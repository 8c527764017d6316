"""Customers and their identities: who is contacting us, whatever the channel."""

from dozvon.crm import messages as _messages  # noqa: F401  (registers the orders' messages)
