"""Deleting a queue: never while it holds a contact or another queue sends contacts to
it; its operators stop serving it and go on serving their other queues."""

from __future__ import annotations

import pytest

from dozvon.core.errors import Conflict
from dozvon.routing import ContactSpec, QueueConfig
from dozvon.routing.model import Action
from tests.conftest import make_engine, voice_ops


def test_a_deleted_queues_operators_keep_serving_their_other_queues() -> None:
    engine, _ = make_engine([QueueConfig("sales"), QueueConfig("pilot")], voice_ops("a", queues=("sales", "pilot")))
    engine.remove_queue("pilot")
    events = engine.drain_events()
    assert [e.type for e in events] == ["operator.configured", "queue.removed"]
    assert engine.operators["a"].cfg.queues == ("sales",) and "pilot" not in engine.queues
    decisions = engine.contact_arrived(ContactSpec("c1", "sales"))
    assert [d.operator_id for d in decisions if d.kind == "offer"] == ["a"]


def test_a_queue_holding_contacts_or_receiving_overflow_is_kept() -> None:
    engine, _ = make_engine([QueueConfig("senior"),
                             QueueConfig("sales", on_full=Action("overflow", target_queue="senior"), max_length=1)],
                            voice_ops("a", queues=("senior",)))
    with pytest.raises(Conflict) as referenced:
        engine.remove_queue("senior")
    assert referenced.value.code == "routing.queue_referenced" and "sales" in referenced.value.params["by"]
    engine.contact_arrived(ContactSpec("c1", "sales"))
    with pytest.raises(Conflict) as busy:
        engine.remove_queue("sales")
    assert busy.value.code == "routing.queue_in_use"
    assert "sales" in engine.queues and "senior" in engine.queues
