"""What a caller hears, without a call: the bundled prompts, speech, music, the words of
the announcements."""

from __future__ import annotations

import numpy as np
import pytest

from dozvon.voice import audio, g711
from dozvon.voice.line import LineSettings


@pytest.mark.parametrize(("language", "minutes", "text"), [
    ("ru", 1, "Ожидание займёт около 1 минуты."), ("ru", 2, "Ожидание займёт около 2 минут."),
    ("ru", 5, "Ожидание займёт около 5 минут."), ("ru", 21, "Ожидание займёт около 21 минуты."),
    ("en", 1, "The wait is about 1 minute."), ("en", 3, "The wait is about 3 minutes.")])
def test_the_expected_wait_is_said_with_words_that_agree_with_the_number(language: str, minutes: int,
                                                                          text: str) -> None:
    assert audio.wait_text(language, minutes) == text


@pytest.mark.parametrize("language", ["ru", "en"])
def test_every_standard_prompt_is_bundled_and_sounds(language: str) -> None:
    """Without espeak-ng a caller still hears the standard texts: their recordings ship."""
    for name in [*audio.STANDARD, *(f"position-{n}" for n in audio.BUNDLED_POSITIONS)]:
        pcm = g711.ulaw_decode((audio.BUNDLED / f"{name}.{language}.ul").read_bytes())
        assert len(pcm) > audio.RATE * 2 * 0.5, name  # at least half a second
        assert g711.rms(pcm) > 500, name


def test_without_espeak_a_custom_text_falls_back_to_the_standard_recording() -> None:
    speech = audio.Speech()
    speech.espeak = None
    greeting = speech.say("Добро пожаловать в «Ромашку»!", "ru", fallback="greeting")
    assert greeting == g711.ulaw_decode((audio.BUNDLED / "greeting.ru.ul").read_bytes())
    assert speech.wait("ru", 3) is None  # no number is bundled: the wait is not announced


def test_music_on_hold_loops_without_a_click_and_never_clips() -> None:
    music = np.frombuffer(audio.music_on_hold(), dtype="<i2").astype(float)
    assert len(music) == 8 * audio.RATE
    assert np.abs(music).max() < 32767 * 0.5
    assert abs(music[-1] - music[0]) < 2000  # the loop's seam is quiet


def test_a_menu_line_that_is_not_digit_queue_words_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match="2"):
        LineSettings(menu=["1 sales Продажи", "продажи 2"])
    with pytest.raises(ValueError, match="1"):
        LineSettings(menu=["1 sales", "1 support"])
    assert [c.queue for c in LineSettings(menu=["1 sales Продажи", "# vip"]).choices()] == ["sales", "vip"]
