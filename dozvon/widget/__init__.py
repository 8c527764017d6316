"""The web-chat widget: the chat channel on a business's own site, end to end."""
