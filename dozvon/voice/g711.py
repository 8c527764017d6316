"""G.711 μ-law and A-law (ITU-T G.711), the codecs every SIP trunk speaks.

Audio inside Dozvon is 16-bit signed little-endian PCM at 8 kHz; on the wire it is one byte a
sample. The conversion is a table look-up in numpy: the encoders are tables of all 65,536 input
values and the decoders of all 256 codes, built once at import from the reference algorithm
(the one in the ITU's and Sun's g711.c, which is also what Python's old ``audioop`` did), so a
20 ms frame costs one indexing operation instead of 160 Python steps.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

#: One 20 ms frame at 8 kHz: 160 samples, 320 bytes of PCM16, 160 bytes of G.711.
SAMPLES_PER_FRAME = 160
FRAME_BYTES = SAMPLES_PER_FRAME * 2

_ULAW_BIAS = 0x21  # the bias of the 14-bit μ-law algorithm (0x84 on 16 bits)
_ULAW_CLIP = 8159
_ULAW_SEG_END = np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF], dtype=np.int32)
_ALAW_SEG_END = np.array([0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF], dtype=np.int32)


def _all_int16() -> npt.NDArray[np.int32]:
    """Every 16-bit sample, indexed by its bit pattern read as unsigned (so the table is
    looked up with ``pcm.view(uint16)``)."""
    return np.arange(65536, dtype=np.uint16).view(np.int16).astype(np.int32)


def _build_ulaw_encoder() -> npt.NDArray[np.uint8]:
    pcm = _all_int16() >> 2  # μ-law works on 14 bits; the shift floors, as the reference's does
    mask = np.where(pcm < 0, 0x7F, 0xFF)
    magnitude = np.minimum(np.abs(pcm), _ULAW_CLIP) + _ULAW_BIAS
    seg = np.searchsorted(_ULAW_SEG_END, magnitude, side="left")
    code = (seg << 4) | ((magnitude >> (seg + 1)) & 0x0F)
    code = np.where(seg >= 8, 0x7F, code)
    return (code ^ mask).astype(np.uint8)


def _build_alaw_encoder() -> npt.NDArray[np.uint8]:
    pcm = _all_int16() >> 3  # A-law works on 13 bits
    mask = np.where(pcm >= 0, 0xD5, 0x55)
    magnitude = np.where(pcm >= 0, pcm, -pcm - 1)
    seg = np.searchsorted(_ALAW_SEG_END, magnitude, side="left")
    mantissa = np.where(seg < 2, magnitude >> 1, magnitude >> np.maximum(seg, 1)) & 0x0F
    code = np.where(seg >= 8, 0x7F, (seg << 4) | mantissa)
    return (code ^ mask).astype(np.uint8)


def _ulaw_to_linear(code: int) -> int:
    u = ~code & 0xFF
    t = ((u & 0x0F) << 3) + 0x84
    t <<= (u & 0x70) >> 4
    return 0x84 - t if u & 0x80 else t - 0x84


def _alaw_to_linear(code: int) -> int:
    a = code ^ 0x55
    t = (a & 0x0F) << 4
    seg = (a & 0x70) >> 4
    if seg == 0:
        t += 8
    else:
        t += 0x108
        if seg > 1:
            t <<= seg - 1
    return t if a & 0x80 else -t


ULAW_ENCODE = _build_ulaw_encoder()
ALAW_ENCODE = _build_alaw_encoder()
ULAW_DECODE = np.array([_ulaw_to_linear(c) for c in range(256)], dtype="<i2")
ALAW_DECODE = np.array([_alaw_to_linear(c) for c in range(256)], dtype="<i2")

#: A silent frame in each law (what is sent when nothing is queued, so the peer's jitter buffer
#: stays fed).
ULAW_SILENCE = bytes([0xFF]) * SAMPLES_PER_FRAME
ALAW_SILENCE = bytes([0xD5]) * SAMPLES_PER_FRAME


def _samples(pcm: bytes) -> npt.NDArray[np.uint16]:
    usable = len(pcm) - len(pcm) % 2  # a stray odd byte is not a sample
    return np.frombuffer(pcm, dtype="<u2", count=usable // 2)


def ulaw_encode(pcm: bytes) -> bytes:
    """PCM16LE → μ-law, one byte a sample."""
    return ULAW_ENCODE[_samples(pcm)].tobytes()


def alaw_encode(pcm: bytes) -> bytes:
    """PCM16LE → A-law, one byte a sample."""
    return ALAW_ENCODE[_samples(pcm)].tobytes()


def ulaw_decode(data: bytes) -> bytes:
    """μ-law → PCM16LE."""
    return ULAW_DECODE[np.frombuffer(data, dtype=np.uint8)].tobytes()


def alaw_decode(data: bytes) -> bytes:
    """A-law → PCM16LE."""
    return ALAW_DECODE[np.frombuffer(data, dtype=np.uint8)].tobytes()


ENCODERS = {"PCMU": ulaw_encode, "PCMA": alaw_encode}
DECODERS = {"PCMU": ulaw_decode, "PCMA": alaw_decode}
SILENCE = {"PCMU": ULAW_SILENCE, "PCMA": ALAW_SILENCE}


def rms(pcm: bytes) -> float:
    """The root mean square of a PCM16LE frame (0 for silence, about 23,170 for a full-scale
    sine): how loud a frame is, which is what tests and the silence detector look at."""
    samples = np.frombuffer(pcm, dtype="<i2", count=(len(pcm) // 2)).astype(np.float64)
    if samples.size == 0:
        return 0.0
    return float(np.sqrt(np.mean(samples * samples)))
