"""Dozvon: an open-source omnichannel contact-center platform."""

__version__ = "0.1.0"
