"""The routing engine (ACD): a pure, deterministic state machine with an injected clock.

Events go in (a contact arrived, an operator became available, an offer was accepted,
declined or ran out, the customer left, time passed); decisions come out (offer this
contact to that operator until a deadline, withdraw an offer, send an auto-reply, create
a callback task …) and every state change is appended to an outbox of
:class:`~dozvon.routing.events.RoutingEvent`. It does no I/O: the server, the simulator
and the tests drive the same code.
"""

from dozvon.routing.engine import RoutingEngine
from dozvon.routing.events import RoutingEvent
from dozvon.routing.model import (
    CONTACT_TYPES,
    ContactSpec,
    Disposition,
    EngineSettings,
    OperatorConfig,
    QueueConfig,
)

__all__ = [
    "CONTACT_TYPES",
    "ContactSpec",
    "Disposition",
    "EngineSettings",
    "OperatorConfig",
    "QueueConfig",
    "RoutingEngine",
    "RoutingEvent",
]
