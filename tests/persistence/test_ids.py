"""Random ids read from the system 256 at a time (dozvon.core.ids): each is a version-4
UUID's hex, none repeats — across threads, and across a fork that happens with a buffer
half used — and the system is asked once per 256 ids, not once per id (each ask lets go of
the interpreter's lock, which the event loop may then hold for a switch interval)."""

from __future__ import annotations

import os
import threading
import uuid

import pytest

from dozvon.core import ids


def test_an_id_is_a_version_4_uuid_in_hex() -> None:
    for _ in range(600):
        value = ids.new_hex()
        parsed = uuid.UUID(hex=value)
        assert value == parsed.hex and len(value) == 32
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122


def test_the_system_is_asked_once_per_256_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[int] = []
    real = os.urandom

    def counted(size: int) -> bytes:
        asked.append(size)
        return real(size)

    monkeypatch.setattr(ids.os, "urandom", counted)
    monkeypatch.setattr(ids._local, "at", len(ids._local.data))  # the next id starts a buffer
    made = {ids.new_hex() for _ in range(512)}
    assert len(made) == 512
    assert asked == [4096, 4096]


def test_threads_never_hand_out_the_same_id() -> None:
    made: list[list[str]] = [[] for _ in range(4)]

    def make(out: list[str]) -> None:
        out.extend(ids.new_hex() for _ in range(3000))

    threads = [threading.Thread(target=make, args=(out,)) for out in made]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({value for out in made for value in out}) == 4 * 3000


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this system")
def test_a_forked_child_does_not_repeat_the_ids_its_parent_hands_out_next() -> None:
    ids.new_hex()  # a buffer half used when the process forks
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child's side, reported through the pipe
        try:
            os.write(write, "".join(ids.new_hex() for _ in range(10)).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        text = pipe.read()
    os.waitpid(child, 0)
    theirs = {text[i:i + 32] for i in range(0, len(text), 32)}
    ours = {ids.new_hex() for _ in range(10)}
    assert len(theirs) == 10 and not theirs & ours
