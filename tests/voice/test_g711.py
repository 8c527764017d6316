"""G.711 tables: known values of the standard, every code and every sample against references."""

from __future__ import annotations

import math
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pytest

from dozvon.voice import g711

ALL_SAMPLES = np.arange(65536, dtype=np.uint16).tobytes()  # every 16-bit sample once


def test_known_values_of_the_standard_tables() -> None:
    # μ-law: 0xFF and 0x7F are zero, 0x00 and 0x80 the extremes (±32124); A-law: 0xD5/0x55 are ±8,
    # 0x80/0x00 are ±5504 (G.711 tables 1a/2a, 16-bit scaled as in the reference code).
    assert list(g711.ULAW_DECODE[[0xFF, 0x7F, 0x00, 0x80, 0xF0, 0x70]]) == [0, 0, -32124, 32124, 120, -120]
    assert list(g711.ALAW_DECODE[[0xD5, 0x55, 0x80, 0x00, 0xAA, 0x2A]]) == [8, -8, 5504, -5504, 32256, -32256]
    # -1 is the smallest negative step (0x7E) in the reference, which floors before taking the magnitude
    assert g711.ulaw_encode(np.array([0, -1, 32767, -32768], dtype="<i2").tobytes()) == bytes([0xFF, 0x7E, 0x80, 0x00])
    assert g711.alaw_encode(np.array([0, -1, 32767, -32768], dtype="<i2").tobytes()) == bytes([0xD5, 0x55, 0xAA, 0x2A])
    assert bytes([0xFF]) * 160 == g711.ULAW_SILENCE and bytes([0xD5]) * 160 == g711.ALAW_SILENCE


def test_every_sample_and_code_agree_with_the_reference_implementation() -> None:
    """Python 3.11's audioop (C, the Sun/CCITT reference algorithm) — an independent implementation."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        audioop = pytest.importorskip("audioop")
    codes = bytes(range(256))
    assert g711.ulaw_encode(ALL_SAMPLES) == audioop.lin2ulaw(ALL_SAMPLES, 2)
    assert g711.alaw_encode(ALL_SAMPLES) == audioop.lin2alaw(ALL_SAMPLES, 2)
    assert g711.ulaw_decode(codes) == audioop.ulaw2lin(codes, 2)
    assert g711.alaw_decode(codes) == audioop.alaw2lin(codes, 2)


def _ulaw_formula(x: float) -> float:
    """The continuous μ-law curve (μ = 255) that the segmented table approximates."""
    return math.copysign(math.log1p(255 * abs(x)) / math.log1p(255), x)


def test_the_table_follows_the_mu_law_curve() -> None:
    """Decoding then encoding every code is the identity (except the two zeros), and the decoded
    values sit on the continuous μ-law curve within the table's quantisation."""
    for code in range(256):
        value = int(g711.ULAW_DECODE[code])
        back = g711.ulaw_encode(np.array([value], dtype="<i2").tobytes())[0]
        assert back == code or (value == 0 and back == 0xFF)
        if value:
            y = _ulaw_formula(value / 32768)
            level = (0x7F - (code & 0x7F)) / 127  # the code's position on the curve
            assert abs(abs(y) - level) < 0.02, (code, value, y, level)


def test_round_trip_keeps_speech_loudness_and_shape() -> None:
    t = np.arange(8000) / 8000
    pcm = (9000 * np.sin(2 * np.pi * 440 * t)).astype("<i2")
    for encode, decode in ((g711.ulaw_encode, g711.ulaw_decode), (g711.alaw_encode, g711.alaw_decode)):
        back = np.frombuffer(decode(encode(pcm.tobytes())), dtype="<i2").astype(float)
        assert np.max(np.abs(back - pcm)) < 9000 * 0.04
        assert abs(g711.rms(back.astype("<i2").tobytes()) - 9000 / math.sqrt(2)) < 100


def test_rms_of_silence_full_scale_and_odd_input() -> None:
    assert g711.rms(b"") == 0.0
    assert g711.rms(b"\0" * 320) == 0.0
    assert g711.rms(np.full(160, -1000, dtype="<i2").tobytes()) == pytest.approx(1000)
    assert g711.ulaw_encode(b"\x00\x00\x01") == b"\xff"  # a stray odd byte is no sample


@pytest.mark.skipif(shutil.which("sox") is None, reason="sox is not installed (Debian package sox)")
def test_encoding_agrees_with_sox(tmp_path: Path) -> None:
    """sox's own G.711 encoder over every 16-bit sample."""
    source = tmp_path / "all.raw"
    source.write_bytes(ALL_SAMPLES)
    for law, encode in (("mu-law", g711.ulaw_encode), ("a-law", g711.alaw_encode)):
        out = tmp_path / f"{law}.raw"
        subprocess.run(["sox", "-t", "raw", "-r", "8000", "-e", "signed", "-b", "16", "-c", "1", "-L", str(source),
                        "-t", "raw", "-e", law, str(out)], check=True)
        ours = np.frombuffer(encode(ALL_SAMPLES), dtype=np.uint8).astype(int)
        theirs = np.frombuffer(out.read_bytes(), dtype=np.uint8).astype(int)
        # sox rounds to 14/13 bits before the table, the reference truncates: codes may differ by one step
        assert len(theirs) == len(ours)
        assert np.mean(ours == theirs) > 0.95
        decoded_ours = (g711.ULAW_DECODE if law == "mu-law" else g711.ALAW_DECODE)[ours].astype(int)
        decoded_theirs = (g711.ULAW_DECODE if law == "mu-law" else g711.ALAW_DECODE)[theirs].astype(int)
        step = np.maximum(np.abs(decoded_ours) // 8, 16)
        assert np.all(np.abs(decoded_ours - decoded_theirs) <= 2 * step)
