"""Conversations: a customer's contact on a channel, its messages, and callback tasks."""
