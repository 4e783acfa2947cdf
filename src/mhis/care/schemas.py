"""Shapes of the care API's answers. What a write takes is its contract (care.contracts)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Field, Schema

from mhis.contracts import output_schema

from .contracts import EncounterInput

# A field named "date" hides the type in its class body.
Date = date


class PlaceRef(Schema):
    code: str
    name: str


class DiagnosisOut(Schema):
    code: str
    description: str
    primary: bool


# The contract's fields as stored, and how the API shows the others.
EncounterOut = output_schema(
    EncounterInput,
    "EncounterOut",
    id=int,
    person=str,
    site=PlaceRef,
    diagnoses=list[DiagnosisOut],
    created_at=datetime,
    updated_at=datetime,
)


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


class SpecimenOut(Schema):
    number: int
    collected_on: date | None
    smear_result: str
    smear_reported_on: date | None
    culture_result: str
    culture_reported_on: date | None


class StepOut(Schema):
    code: str
    message: str


class Rhs15Out(Schema):
    score: int
    thermometer: int | None
    positive: bool


class AssessmentOut(Schema):
    id: int
    person: str
    site: PlaceRef
    type: str
    date: Date
    programme: str
    destination_country: str
    history: str
    examination: str
    tb_symptoms: bool | None
    xray_result: str
    xray_date: Date | None
    xpert_result: str
    xpert_date: Date | None
    dst_result: str
    dst_date: Date | None
    igra_result: str
    tst_mm: int | None
    hiv_result: str
    syphilis_result: str
    hepatitis_b_result: str
    malaria_result: str
    pregnancy_result: str
    rhs15: Rhs15Out | None
    counselling: str
    tb_contact: bool | None
    extrapulmonary_tb: bool | None
    tb_treatment: str
    specimens: list[SpecimenOut]
    tb_classification: str
    tb_proposed: str = Field(description="The class the programme's decision table proposes")
    tb_allowed: list[str] = Field(description="The classes the results allow")
    fit_to_travel: str
    fit_reason: str
    tb_override_reason: str
    completed_on: Date | None
    presumptive_tb: bool
    missing: list[StepOut]
    quality_flags: list[StepOut]


class ImmunisationOut(Schema):
    id: int
    person: str
    site: PlaceRef
    vaccine: str
    vaccine_name: str
    dose_number: int
    date: Date
    lot: str
    assessment: int | None


class LabResultOut(Schema):
    id: int
    person: str
    site: PlaceRef
    test: str
    loinc: str
    value: str
    unit: str
    reference_range: str
    collected_on: date
    reported_on: date | None
    assessment: int | None
