"""An operator's presence: what a wallboard shows for them.

Derived in this one place, from the state the operator chose and the contacts they hold,
so that the engine (:meth:`~dozvon.routing.engine.RoutingEngine.presence`) and the
wallboard built from events (``dozvon.analytics.realtime``) can never disagree.
"""

from __future__ import annotations

from dozvon.routing.model import AVAILABLE


def derive_presence(state: str, ringing: int, talking: int, wrapping: int) -> str:
    """Offline, break, available, ringing, busy or wrap_up.

    ``state`` is what the operator (or a supervisor) set: offline, available or break;
    ``ringing``, ``talking`` and ``wrapping`` count their offers, connected contacts and
    contacts in wrap-up. Busy and wrap-up are not states an operator sets: they follow from
    the contacts held, and win over the chosen state (an operator who went on a break in
    the middle of a call is still busy until it ends). Busy wins over wrap-up when both
    apply to different chats.
    """
    if talking:
        return "busy"
    if wrapping:
        return "wrap_up"
    if state != AVAILABLE:
        return state
    return "ringing" if ringing else state
