"""A phone line's own recordings of what callers hear — a greeting read by a person, the
menu, the recording notice — in place of the synthesised ones.

An administrator uploads a WAV (any rate, 16-bit, mono or stereo); it is converted once to
the 8 kHz PCM calls use and kept under the data directory, by line and kind. A call plays
the recording when one exists, else the line's text spoken by espeak-ng, else the bundled
standard prompt.
"""

from __future__ import annotations

import wave
from pathlib import Path

from dozvon.core.errors import InvalidInput, NotFound
from dozvon.voice.audio import RATE, wav_to_pcm

#: What a line can have recorded.
KINDS = ("greeting", "menu", "consent")
#: The largest upload and the longest prompt.
MAX_BYTES = 10 * 1024 * 1024
MAX_SECONDS = 120


def _path(data_dir: Path, project: str, line_id: int, kind: str) -> Path:
    if kind not in KINDS:
        raise InvalidInput("voice.bad_prompt_kind", value=kind, allowed=", ".join(KINDS))
    return data_dir / "voice" / "lines" / project / str(line_id) / f"{kind}.pcm"


def save(data_dir: Path, project: str, line_id: int, kind: str, wav: bytes) -> float:
    """Store an uploaded WAV as the line's ``kind``; its duration in seconds."""
    path = _path(data_dir, project, line_id, kind)
    if len(wav) > MAX_BYTES:
        raise InvalidInput("voice.prompt_too_big", size=len(wav), limit=MAX_BYTES)
    try:
        pcm = wav_to_pcm(wav)
    except (wave.Error, EOFError, ValueError) as error:
        raise InvalidInput("voice.bad_wav", reason=str(error) or type(error).__name__) from None
    seconds = len(pcm) / 2 / RATE
    if not 0.2 <= seconds <= MAX_SECONDS:
        raise InvalidInput("voice.prompt_length", seconds=round(seconds, 1), limit=MAX_SECONDS)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    partial.write_bytes(pcm)
    partial.replace(path)  # a call never plays half a file
    return seconds


def load(data_dir: Path, project: str, line_id: int, kind: str) -> bytes | None:
    """The line's recording of ``kind``, or None."""
    path = _path(data_dir, project, line_id, kind)
    return path.read_bytes() if path.is_file() else None


def listing(data_dir: Path, project: str, line_id: int) -> dict[str, float]:
    """Which kinds the line has recorded, with their durations."""
    found = {}
    for kind in KINDS:
        path = _path(data_dir, project, line_id, kind)
        if path.is_file():
            found[kind] = round(path.stat().st_size / 2 / RATE, 2)
    return found


def remove(data_dir: Path, project: str, line_id: int, kind: str) -> None:
    path = _path(data_dir, project, line_id, kind)
    if not path.is_file():
        raise NotFound("voice.no_prompt", kind=kind)
    path.unlink()


def as_wav(pcm: bytes) -> bytes:
    """The stored sound as a WAV to listen to in the browser."""
    import io

    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm)
    return out.getvalue()
