"""Shapes of the care API. Values are checked by care.services, as for the pages."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Schema
from pydantic import ConfigDict, Field


class _In(Schema):
    model_config = ConfigDict(extra="forbid")


class DiagnosisIn(_In):
    code: str = Field(max_length=10, description="WHO ICD-10 code, e.g. A15.0")
    primary: bool | None = None


class EncounterIn(_In):
    site: str = Field(description="Code of a site in your places")
    kind: str = Field(description="consultation | mobile_clinic | emergency | psychosocial")
    date: str = Field(description="YYYY-MM-DD")
    reason: str | None = Field(None, max_length=4000)
    treatments: str | None = Field(None, max_length=4000)
    diagnoses: list[DiagnosisIn] = Field(default_factory=list, max_length=20)
    cost: str | float | None = Field(None, description="Amount, not negative")
    currency: str | None = Field(None, description="ISO 4217, e.g. THB")
    paid_by: str | None = Field(
        None, description="patient | insurance | programme | employer | waived | other | unknown"
    )


class EncounterPatch(_In):
    site: str | None = None
    kind: str | None = None
    date: str | None = None
    reason: str | None = Field(None, max_length=4000)
    treatments: str | None = Field(None, max_length=4000)
    diagnoses: list[DiagnosisIn] | None = Field(None, max_length=20)
    cost: str | float | None = None
    currency: str | None = None
    paid_by: str | None = None


class PlaceRef(Schema):
    code: str
    name: str


class DiagnosisOut(Schema):
    code: str
    description: str
    primary: bool


class EncounterOut(Schema):
    id: int
    person: str
    site: PlaceRef
    kind: str
    date: date
    reason: str
    treatments: str
    diagnoses: list[DiagnosisOut]
    cost: str | None
    currency: str
    paid_by: str
    created_at: datetime
    updated_at: datetime


class ReferralIn(_In):
    site: str = Field(description="Code of the referring site, in your places")
    kind: str = Field(description="medical | evacuation | tb_continuation")
    reason: str = Field(max_length=4000)
    urgency: str | None = Field(None, description="routine | urgent | emergency")
    to_site: str | None = Field(None, description="Code of the receiving site, anywhere in MHIS")
    to_facility: str | None = Field(None, max_length=200, description="A facility outside MHIS")
    to_country: str | None = Field(None, description="Country of a facility outside MHIS")
    sent_on: str | None = Field(None, description="YYYY-MM-DD; today when absent")
    due_on: str | None = Field(
        None, description="Expected attendance; from the urgency when absent"
    )


class ReferralPatch(_In):
    reason: str | None = Field(None, max_length=4000)
    urgency: str | None = None
    due_on: str | None = None
    outcome: str | None = Field(None, max_length=4000)


class ReferralStepIn(_In):
    status: str = Field(description="received | attended | closed | lost")
    on: str | None = Field(None, description="YYYY-MM-DD; today when absent")
    note: str | None = Field(None, max_length=4000)


class ReferralStepOut(Schema):
    status: str
    on: date
    note: str


class ReferralOut(Schema):
    id: int
    person: str
    site: PlaceRef
    kind: str
    reason: str
    urgency: str
    to_site: PlaceRef | None
    to_facility: str
    to_country: str
    status: str
    sent_on: date
    due_on: date
    received_on: date | None
    attended_on: date | None
    closed_on: date | None
    outcome: str
    steps: list[ReferralStepOut]


class ChangeOut(Schema):
    action: str
    changes: dict[str, Any]
    by: str | None
    at: datetime


class TimelineItem(Schema):
    type: str
    date: date
    encounter: EncounterOut | None = None
    referral: ReferralOut | None = None
