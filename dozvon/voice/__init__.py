"""The voice channel: calls from a SIP trunk or PBX and from the web, routed like every other contact.

The telephony layer (:mod:`dozvon.voice.sip`, :mod:`dozvon.voice.rtp`, :mod:`dozvon.voice.g711`) knows
nothing of the routing engine: it answers and places calls, and carries their audio as 20 ms frames of
16-bit PCM at 8 kHz. The call logic on top of it (queueing, IVR, bridging to the operators' softphone)
lives beside it. See docs/voice.md.
"""
