"""A project's segment rules: what makes a customer regular, lost or one of the project's
own segments (and the priority such a segment's contacts get)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import Field

from dozvon.crm import actions as crm
from dozvon.crm.segments import MAX_CUSTOM_RULES, CustomRule, SegmentRules, rules_of
from dozvon.server.deps import Body, CallerDep, SessionDep
from dozvon.server.gate import needs

router = APIRouter(tags=["customers"])


class CustomRuleIn(Body):
    segment: str = Field(min_length=1, max_length=32)
    attribute: str = Field(min_length=1, max_length=200)
    equals: str = Field(min_length=1, max_length=200)
    priority: int = Field(default=0, ge=-1000, le=1000)


class SegmentRulesIn(Body):
    regular_contacts: int = Field(default=3, ge=1, le=1000)
    regular_days: int = Field(default=90, ge=1, le=3650)
    lost_days: int = Field(default=180, ge=1, le=3650)
    custom: list[CustomRuleIn] = Field(default_factory=list, max_length=MAX_CUSTOM_RULES)


@router.get("/projects/{project}/segments", summary="The project's segment rules",
            **needs("customers:read|settings:manage"))
def get_rules(project: str, session: SessionDep) -> dict[str, Any]:
    return rules_of(session, project).to_dict()


@router.put("/projects/{project}/segments",
            summary="Set the segment rules: regular after N contacts in M days, lost after L days of silence, "
                    "custom rules on attributes (with priority)", **needs("settings:manage"))
def put_rules(project: str, body: SegmentRulesIn, caller: CallerDep, session: SessionDep) -> dict[str, Any]:
    rules = SegmentRules(body.regular_contacts, body.regular_days, body.lost_days,
                         tuple(CustomRule(**rule.model_dump()) for rule in body.custom))
    return crm.set_segment_rules(session, caller.name, project, rules).to_dict()
