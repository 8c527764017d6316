"""What a caller hears before and between operators: speech, music on hold, tones.

Every sound is 16-bit signed little-endian mono PCM at 8 kHz (G.711's rate), cut into
20 ms frames of 160 samples — the unit both legs of a call (SIP/RTP and WebRTC) read and
write, so no resampling happens on the media path.

Speech: a line's own texts are synthesised offline by espeak-ng (Debian's ``espeak-ng``
package, Russian and English voices) and cached on disk, since a greeting is said on
every call. Without espeak-ng the bundled recordings of the standard texts are used
(``dozvon/voice/prompts``, made by ``python -m dozvon.voice.audio`` with espeak-ng), and a
custom text falls back to the standard one of its kind — a caller always hears something.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import threading
import wave
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from babel import Locale

from dozvon.core.i18n import translate
from dozvon.voice import g711
from dozvon.voice import messages as _messages  # noqa: F401  (the texts it says)

RATE = 8000
FRAME_SAMPLES = 160
FRAME_BYTES = FRAME_SAMPLES * 2
SILENCE = bytes(FRAME_BYTES)
BUNDLED = Path(__file__).with_name("prompts")
#: The standard texts whose recordings are bundled (message keys under ``voice.say.``).
STANDARD = ("greeting", "consent", "voicemail", "goodbye", "next", "callback")
#: Positions in the queue bundled as recordings ("you are number 2 in the queue" …).
BUNDLED_POSITIONS = range(2, 11)


def frames(pcm: bytes) -> list[bytes]:
    """The sound cut into 20 ms frames, the last one padded with silence."""
    if len(pcm) % FRAME_BYTES:
        pcm += bytes(FRAME_BYTES - len(pcm) % FRAME_BYTES)
    return [pcm[i:i + FRAME_BYTES] for i in range(0, len(pcm), FRAME_BYTES)]


def silence(ms: int) -> bytes:
    return bytes(RATE * ms // 1000 * 2)


def tone(hz: float, ms: int, level: float = 0.3) -> bytes:
    """A sine tone with 5 ms fades (no click): the voicemail beep."""
    n = RATE * ms // 1000
    t = np.arange(n) / RATE
    wave_ = np.sin(2 * np.pi * hz * t) * level * 32767
    fade = min(n // 2, RATE // 200)
    if fade:
        ramp = np.linspace(0.0, 1.0, fade)
        wave_[:fade] *= ramp
        wave_[-fade:] *= ramp[::-1]
    return wave_.astype("<i2").tobytes()


@cache
def music_on_hold() -> bytes:
    """Eight seconds of a soft arpeggio (a I–vi–IV–V progression in C), looped while a
    caller waits or is on hold. Made here, so no music file needs a licence."""
    chords = [(261.63, 329.63, 392.00), (220.00, 261.63, 329.63), (174.61, 220.00, 261.63), (196.00, 246.94, 293.66)]
    note_s = 0.25
    out = []
    for chord in chords:
        for i in range(8):
            hz = chord[i % 3] * (2 if i % 6 == 5 else 1)
            n = int(RATE * note_s)
            t = np.arange(n) / RATE
            envelope = np.exp(-3.0 * t / note_s)
            out.append((np.sin(2 * np.pi * hz * t) + 0.3 * np.sin(4 * np.pi * hz * t)) * envelope)
    sound = np.concatenate(out) * 0.18 * 32767
    return sound.astype("<i2").tobytes()


def wav_to_pcm(data: bytes) -> bytes:
    """A WAV file (any rate, mono or stereo, 16-bit) as 8 kHz mono PCM."""
    with wave.open(io.BytesIO(data)) as w:
        rate, channels, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
        raw = w.readframes(w.getnframes())
    if width != 2:
        raise ValueError(f"{width * 8}-bit WAV; 16-bit expected")
    samples = np.frombuffer(raw, dtype="<i2")
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1).astype("<i2")
    if rate != RATE:
        from math import gcd

        from scipy.signal import resample_poly

        g = gcd(RATE, rate)
        samples = np.clip(resample_poly(samples.astype(np.float64), RATE // g, rate // g), -32768, 32767)
    return np.asarray(samples).astype("<i2").tobytes()


def wait_text(language: str, minutes: int) -> str:
    """"The wait is about N minutes", the word agreeing with the number (около 1 минуты,
    21 минуты, 5 минут: the genitive after «около»)."""
    if language == "ru":
        word = "минуты" if Locale("ru").plural_form(minutes) == "one" else "минут"
    else:
        word = "minute" if minutes == 1 else "minutes"
    return translate("voice.say.wait", language, n=minutes, minutes=word)


class Speech:
    """Texts to sound: espeak-ng when installed (cached on disk), else the bundled
    recordings. Thread-safe; slow calls (a synthesis) belong in a worker thread."""

    def __init__(self, cache_dir: Path | None = None) -> None:
        self.cache_dir = cache_dir
        self.espeak = shutil.which("espeak-ng")
        self._memory: dict[tuple[str, str], bytes] = {}
        self._guard = threading.Lock()

    def standard(self, key: str, language: str, **values: Any) -> bytes:
        """One of the standard texts (``voice.say.KEY``) in the language."""
        if key == "position":
            n = int(str(values.get("n", 0)))
            if n <= 1:
                return self.standard("next", language)
            bundled = BUNDLED / f"position-{n}.{language}.ul"
            if self.espeak is None and bundled.exists():
                return g711.ulaw_decode(bundled.read_bytes())
        text = translate(f"voice.say.{key}", language, **values)
        return self.say(text, language, fallback=key)

    def wait(self, language: str, minutes: int) -> bytes | None:
        """"The wait is about N minutes" (words agreeing with the number), or None when
        no voice can say it (no espeak-ng: no recording of every number is bundled)."""
        if self.espeak is None or minutes < 1:
            return None
        return self.say(wait_text(language, minutes), language)

    def say(self, text: str, language: str, fallback: str = "greeting") -> bytes:
        """The text spoken. Without espeak-ng: the bundled recording of ``fallback``."""
        key = (language, text)
        with self._guard:
            found = self._memory.get(key)
        if found is not None:
            return found
        sound = self._synthesised(text, language)
        if sound is None:
            bundled = BUNDLED / f"{fallback}.{language}.ul"
            sound = g711.ulaw_decode(bundled.read_bytes()) if bundled.exists() else silence(500)
        with self._guard:
            if len(self._memory) > 512:
                self._memory.clear()
            self._memory[key] = sound
        return sound

    def _synthesised(self, text: str, language: str) -> bytes | None:
        if self.espeak is None:
            return None
        digest = hashlib.sha256(f"{language}\0{text}".encode()).hexdigest()[:32]
        cached = self.cache_dir / f"{digest}.pcm" if self.cache_dir is not None else None
        if cached is not None and cached.exists():
            return cached.read_bytes()
        voice = "ru" if language == "ru" else "en-us"
        try:
            done = subprocess.run([self.espeak, "-v", voice, "-s", "150", "--stdout", text],
                                  capture_output=True, timeout=30, check=True)
            sound = wav_to_pcm(done.stdout)
        except (OSError, subprocess.SubprocessError, ValueError, wave.Error) as error:
            print(f"dozvon: espeak-ng failed, the bundled prompt is used: {error!r}", flush=True)
            return None
        if cached is not None:
            try:
                cached.parent.mkdir(parents=True, exist_ok=True)
                tmp = cached.with_suffix(".tmp")
                tmp.write_bytes(sound)
                tmp.replace(cached)
            except OSError:
                pass  # a read-only data dir: synthesised again next time
        return sound


def bundle() -> list[Path]:
    """Make the bundled recordings of the standard texts with espeak-ng (a developer's
    step; the files are part of the package)."""
    speech = Speech()
    if speech.espeak is None:
        raise SystemExit("espeak-ng is needed to make the bundled prompts (apt-get install espeak-ng)")
    BUNDLED.mkdir(exist_ok=True)
    made = []
    for language in ("ru", "en"):
        items: list[tuple[str, bytes]] = [(key, speech.standard(key, language)) for key in STANDARD]
        items += [(f"position-{n}", speech.standard("position", language, n=n)) for n in BUNDLED_POSITIONS]
        for name, pcm in items:
            path = BUNDLED / f"{name}.{language}.ul"
            path.write_bytes(g711.ulaw_encode(pcm))
            made.append(path)
    return made


if __name__ == "__main__":
    for made_path in bundle():
        print(made_path)
