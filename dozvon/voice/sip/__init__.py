"""A focused SIP user agent on asyncio, for a trusted trunk or PBX (RFC 3261 over UDP, SDP offer/answer
for G.711 and RFC 4733 DTMF). See :mod:`dozvon.voice.sip.agent` and docs/voice.md."""

from dozvon.voice.sip.agent import SipAgent
from dozvon.voice.sip.call import Call, CallEnded, CallFailed

__all__ = ["Call", "CallEnded", "CallFailed", "SipAgent"]
