"""Customers and their identities: who is contacting us, whatever the channel."""
