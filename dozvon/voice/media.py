"""Moving audio between legs: prompts and music to a caller, the bridge between a caller
and an operator, and the recorder beside it.

A leg plays what is queued to it in real time (its own 20 ms clock), so "playing" a
prompt is queuing its frames and waiting until they have been played; music is topped up
a second ahead. The bridge copies each side's frames to the other as they arrive and
keeps the queue behind short: a burst from one side must turn into a skip, never into a
delay that grows for the rest of the call.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time
import wave
from pathlib import Path

import numpy as np

from dozvon.voice.audio import FRAME_BYTES, RATE, SILENCE, music_on_hold
from dozvon.voice.legs import Leg

#: Frames a bridged leg may have queued before the backlog is dropped (100 ms).
MAX_BACKLOG = 5
#: Music is kept this many frames ahead of what is heard.
MUSIC_AHEAD = 25


async def play(leg: Leg, pcm: bytes, stop: asyncio.Event | None = None) -> bool:
    """Say ``pcm`` to the leg and wait until it has been heard. False if the leg ended or
    ``stop`` was set first (what was not yet played is dropped)."""
    leg.clear()
    leg.write(pcm)
    while leg.queued_frames > 0:
        if leg.ended.is_set() or (stop is not None and stop.is_set()):
            leg.clear()
            return False
        await asyncio.sleep(0.02)
    return not leg.ended.is_set()


async def music(leg: Leg, stop: asyncio.Event) -> None:
    """Music on hold until ``stop`` (or the leg ends), looped seamlessly.

    Whoever sets ``stop`` clears what music is still queued, at that moment: the music
    itself must not clear the leg when it notices (up to 100 ms later), because by then
    the next thing the caller should hear — an announcement, the operator — is queued
    and would be thrown away with it."""
    sound = music_on_hold()
    step = FRAME_BYTES * MUSIC_AHEAD
    at = 0
    while not stop.is_set() and not leg.ended.is_set():
        if leg.queued_frames < MUSIC_AHEAD:
            piece = sound[at:at + step]
            at = (at + step) % len(sound)
            leg.write(piece)
        await asyncio.sleep(0.1)


class Recorder:
    """Both sides of a conversation into one stereo WAV (caller left, operator right),
    written as it happens so that an hour's call never sits in memory. The caller's
    frames keep the time; the operator's are paired with them as they come."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._file = wave.open(str(path), "wb")  # noqa: SIM115 - closed in close()
        self._file.setnchannels(2)
        self._file.setsampwidth(2)
        self._file.setframerate(RATE)
        self._right: collections.deque[bytes] = collections.deque()
        self.frames = 0
        self.closed = False

    def caller(self, frame: bytes) -> None:
        if self.closed:
            return
        right = self._right.popleft() if self._right else SILENCE
        both = np.empty(len(frame), dtype="<i2")
        both[0::2] = np.frombuffer(frame, dtype="<i2")
        both[1::2] = np.frombuffer(right[:len(frame)].ljust(len(frame), b"\0"), dtype="<i2")
        self._file.writeframes(both.tobytes())
        self.frames += 1

    def operator(self, frame: bytes) -> None:
        if not self.closed and len(self._right) < 50:  # a caller gone quiet: do not pile up
            self._right.append(frame)

    @property
    def duration_s(self) -> float:
        return self.frames * 0.02

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._file.close()


class Bridge:
    """A caller and an operator hearing each other, until stopped. ``held``: the caller
    hears music and the operator nothing; ``muted``: the operator's microphone is off."""

    def __init__(self, caller: Leg, operator: Leg, recorder: Recorder | None = None) -> None:
        self.caller, self.operator, self.recorder = caller, operator, recorder
        self.held = False
        self.started_at = time.monotonic()
        self._stop = asyncio.Event()
        self._music_stop: asyncio.Event | None = None
        self._music: asyncio.Task[None] | None = None
        self._tasks = [asyncio.create_task(self._pump(caller, operator, True)),
                       asyncio.create_task(self._pump(operator, caller, False))]

    async def _pump(self, source: Leg, sink: Leg, from_caller: bool) -> None:
        while not self._stop.is_set():
            frame = await source.read()
            if not frame:
                return
            if self.held:
                continue
            if sink.queued_frames > MAX_BACKLOG:
                sink.clear()
            sink.write(frame)
            if self.recorder is not None:
                if from_caller:
                    self.recorder.caller(frame)
                else:
                    self.recorder.operator(frame)

    def hold(self) -> None:
        if self.held:
            return
        self.held = True
        self.operator.clear()
        self._music_stop = asyncio.Event()
        self._music = asyncio.create_task(music(self.caller, self._music_stop))

    def resume(self) -> None:
        if not self.held:
            return
        self.held = False
        if self._music_stop is not None:
            self._music_stop.set()
        self.caller.clear()

    async def stop(self) -> None:
        self._stop.set()
        if self._music_stop is not None:
            self._music_stop.set()
            if self.held:
                self.caller.clear()  # the hold's music still queued
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
