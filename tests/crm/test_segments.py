"""Segments by rules, kept current as contacts arrive: the third contact in 90 days makes
a customer regular, and their contact overtakes a new customer's in the queue; a project's
own rule on an attribute wins over counting and carries its priority; a customer coming
back after half a year of silence is 'lost' (the operator should know), and the nightly
mark finds the silent ones; a segment a person gave wins over every rule; reports cut by
segment."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, func, select

from dozvon.accounts import actions as accounts
from dozvon.acd.service import RouterService
from dozvon.analytics.sql_kpi import kpi_report
from dozvon.conversations.ingest import Inbound, ingest
from dozvon.core.clock import ManualClock
from dozvon.core.db import get_engine, session_factory, upgrade
from dozvon.core.errors import InvalidInput
from dozvon.crm import actions as crm
from dozvon.crm.identity import CrmIdentity
from dozvon.crm.models import Customer, CustomerIdentity
from dozvon.crm.segments import DAY_US, CustomRule, SegmentRules, classify, mark_lost
from dozvon.eventlog.models import EventRecord
from dozvon.eventlog.repository import to_us
from dozvon.routing.events import OFFER
from dozvon.routing.model import OperatorConfig, QueueConfig
from tests.conftest import T0

NOW = 1_800_000_000 * 1_000_000


def test_the_rules_in_their_order() -> None:
    rules = SegmentRules(regular_contacts=3, regular_days=90, lost_days=180,
                         custom=(CustomRule("wholesale", "type", "опт", priority=30),))
    def at(**kw):  # type: ignore[no-untyped-def]
        args = {"given": None, "attributes": {}, "recent_contacts": 1, "previous_contact_us": None, "now_us": NOW}
        return classify(rules, **{**args, **kw})
    assert at() == ("new", 0)
    assert at(recent_contacts=3) == ("regular", 0)
    assert at(previous_contact_us=NOW - 181 * DAY_US) == ("lost", 0)
    assert at(previous_contact_us=NOW - 179 * DAY_US) == ("new", 0)
    assert at(attributes={"type": " ОПТ "}, recent_contacts=5) == ("wholesale", 30)  # a custom rule first
    assert at(given="vip", attributes={"type": "опт"}) == ("vip", 0)  # what a person gave wins
    with pytest.raises(InvalidInput) as bad:
        SegmentRules(regular_contacts=0).validate()
    assert bad.value.params["field"] == "regular_contacts"
    with pytest.raises(InvalidInput) as bad:
        SegmentRules(custom=(CustomRule("", "type", "опт"),)).validate()
    assert bad.value.params["field"] == "custom.0.segment"


def _world(database_url: str, project: str) -> tuple[RouterService, ManualClock]:
    upgrade(database_url)
    db = get_engine(database_url)
    with session_factory(db).begin() as session:
        accounts.create_project(session, "test", project, "Shop", region="BY", timezone="Europe/Minsk")
    clock = ManualClock(T0)
    svc = RouterService(db, project, clock)
    svc.run(lambda e: e.add_queue(QueueConfig("sales", strategy="round_robin", offer_timeout_s=30, wrap_up_s=0)))
    svc.run(lambda e: e.add_operator(OperatorConfig.from_dict(
        {"id": "a", "queues": ["sales"], "capacity": {"voice": 1, "chat": 1}})))
    return svc, clock


def _call(svc: RouterService, external_id: str, phone: str) -> str:
    return ingest(svc, Inbound("voice", external_id, "sales", customer_id=phone), CrmIdentity()).conversation_id


def _segment_of(svc: RouterService, conversation_id: str) -> str | None:
    with svc.sessions() as session:
        arrived = session.scalar(select(EventRecord).where(EventRecord.project == svc.project,
                                                           EventRecord.type == "contact.arrived",
                                                           EventRecord.contact_id == conversation_id))
    assert arrived is not None
    return arrived.data.get("segment")


def _hang_up(svc: RouterService, conversation_id: str) -> None:
    svc.run(lambda e: e.customer_left(conversation_id))


def test_a_regular_customer_is_recognised_and_served_before_a_new_one(database_url: str, project: str) -> None:
    svc, clock = _world(database_url, project)
    for n in (1, 2):  # two earlier calls of Anna's, a week apart
        first = _call(svc, f"anna-{n}", "+375291234567")
        assert _segment_of(svc, first) == "new"
        _hang_up(svc, first)
        clock.advance(7 * 86400)
    stranger = _call(svc, "stranger", "+375297654321")  # nobody is available: both wait
    clock.advance(10)
    anna = _call(svc, "anna-3", "8 029 123-45-67")  # the same number, written another way
    assert (_segment_of(svc, stranger), _segment_of(svc, anna)) == ("new", "regular")
    decisions = svc.run(lambda e: e.login("a"))
    assert [d.contact_id for d in decisions if d.kind == OFFER] == [anna]  # later, but regular: first
    with svc.sessions() as session:
        customer = session.scalar(select(Customer).where(Customer.project == project,
                                                         Customer.auto_segment == "regular"))
        assert customer is not None and customer.segment is None


def test_a_first_time_customer_is_stored_with_the_segment_and_time_of_their_contact(
        database_url: str, project: str) -> None:
    """A customer the ingest creates is written once, with the segment the rules gave them
    and the time of their contact (not inserted, then updated); a customer named by a batch
    none of whose contacts arrives for them (a retry's) is not written at all."""
    svc, clock = _world(database_url, project)
    first = _call(svc, "anna-1", "+375291234567")
    with svc.sessions() as session:
        [customer] = session.scalars(select(Customer).where(Customer.project == project))
        assert (customer.auto_segment, customer.last_contact_at_us) == ("new", to_us(clock.now()))
        assert _segment_of(svc, first) == "new"
        with session_factory(svc.db).begin() as erasing:  # the customer is erased; the call retried
            erasing.execute(delete(CustomerIdentity).where(CustomerIdentity.project == project))
            erasing.execute(delete(Customer).where(Customer.project == project))
    again = ingest(svc, Inbound("voice", "anna-1", "sales", customer_id="+375291234567"), CrmIdentity())
    assert (again.conversation_id, again.created) == (first, False)
    with svc.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Customer).where(Customer.project == project)) == 0


def test_a_custom_rule_a_given_segment_and_a_lost_customer(database_url: str, project: str) -> None:
    svc, clock = _world(database_url, project)
    with svc.sessions.begin() as session:
        crm.set_segment_rules(session, "admin", project, SegmentRules(
            lost_days=180, custom=(CustomRule("wholesale", "type", "опт", priority=30),)))
        crm.create_customer(session, "admin", project, "ООО Опт", identities=[("phone", "+375291230001")],
                            attributes={"type": "опт"})
        crm.create_customer(session, "admin", project, "Важный", identities=[("phone", "+375291230002")],
                            segment="vip")
    wholesale = _call(svc, "w-1", "+375291230001")
    vip = _call(svc, "v-1", "+375291230002")
    old = _call(svc, "o-1", "+375291230003")
    assert (_segment_of(svc, wholesale), _segment_of(svc, vip), _segment_of(svc, old)) == ("wholesale", "vip", "new")
    with svc.sessions() as session:
        queued = {e.contact_id: e.data["priority"] for e in session.scalars(
            select(EventRecord).where(EventRecord.project == project, EventRecord.type == "contact.queued"))}
    assert queued[wholesale] == 30 and queued[vip] == 50  # the rule's points; the engine's VIP bonus
    for contact in (wholesale, vip, old):
        _hang_up(svc, contact)
    clock.advance(200 * 86400)  # half a year of silence
    with svc.sessions.begin() as session:
        # Only the new one: a segment a person gave (VIP) or a rule's (wholesale) stays.
        assert mark_lost(session, project, round(clock.now() * 1e6)) == 1
    back = _call(svc, "o-2", "+375291230003")
    assert _segment_of(svc, back) == "lost"  # coming back after the silence: the operator sees it


def test_reports_cut_by_segment(database_url: str, project: str) -> None:
    svc, clock = _world(database_url, project)
    for n in range(3):
        _hang_up(svc, _call(svc, f"r-{n}", "+375291111111"))
        clock.advance(3600)
    _hang_up(svc, _call(svc, "n-1", "+375292222222"))
    zone = ZoneInfo("Europe/Minsk")
    day = datetime.fromtimestamp(T0, zone).replace(hour=0, minute=0, second=0, microsecond=0)
    with svc.sessions() as session:
        rows = kpi_report(session, [project], day, day + timedelta(days=2), period="all", by=("segment",),
                          tz="Europe/Minsk")
    assert {r["segment"]: r["inbound"] for r in rows} == {"new": 3, "regular": 1}
