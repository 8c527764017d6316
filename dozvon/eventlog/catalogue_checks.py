"""The automatic quality checks' events, in the catalogue's form (:mod:`dozvon.eventlog.catalogue`
imports this module at its end, which registers them).

They name the conversation's operator as ``operator_id`` (they and the supervisors receive
them) and carry ids, scores and the words of the lexicon that matched — never the
customer's text. ``quality.complaint_suspected`` happens during the contact and names it as
``contact_id``; ``quality.checked`` comes after its close and names the conversation in its
data instead, so that ``contact.closed`` stays the last event of every contact.
"""

from __future__ import annotations

from dozvon.eventlog.catalogue import Event, _event

__all__ = ["QualityChecked", "QualityComplaintSuspected"]


@_event
class QualityChecked(Event):
    """The automatic checks of a closed conversation were stored (docs/quality.md)."""

    type = "quality.checked"
    needs = ("operator_id",)
    #: The conversation checked (not ``contact_id``: its contact has closed).
    conversation_id: str
    #: 0–100, the weighted mean of the applicable checks' scores.
    score: int
    #: The ids of the checks it failed (empty: it passed all).
    failed: list[str]


@_event
class QualityComplaintSuspected(Event):
    """A live text contact's first messages read as a complaint: the supervisors are alerted,
    and by the project's setting a contact still waiting moved to its complaints queue."""

    type = "quality.complaint_suspected"
    needs = ("contact_id",)
    #: The complaint words of the lexicon that matched.
    cues: list[str]
    #: The queue it was moved to (absent: not moved).
    moved_to: str | None = None
