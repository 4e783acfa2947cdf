"""Shapes of the care API. Values are checked by care.services, as for the pages."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Schema
from pydantic import ConfigDict, Field

from mhis.contracts import output_schema
from mhis.schemas import Input

from .contracts import EncounterInput


class _In(Input):
    model_config = ConfigDict(extra="forbid")


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


class SpecimenIn(_In):
    number: int = Field(description="1, 2 or 3")
    collected_on: str | None = None
    smear_result: str | None = Field(None, description="negative | scanty | 1+ | 2+ | 3+")
    smear_reported_on: str | None = None
    culture_result: str | None = Field(None, description="negative | mtb | ntm | contaminated")
    culture_reported_on: str | None = None


class _AssessmentFields(_In):
    programme: str | None = Field(
        None, description="Destination programme of the TB classification: US | GEN"
    )
    destination_country: str | None = None
    history: str | None = Field(None, max_length=4000)
    examination: str | None = Field(None, max_length=4000)
    tb_symptoms: bool | None = None
    xray_result: str | None = Field(
        None, description="normal | suggestive | other_abnormal | not_done"
    )
    xray_date: str | None = None
    xpert_result: str | None = Field(
        None,
        description="not_detected | rif_not_detected | rif_detected | rif_indeterminate | invalid",
    )
    xpert_date: str | None = None
    dst_result: str | None = Field(None, description="susceptible | hr | rr | mdr | pre_xdr | xdr")
    dst_date: str | None = None
    igra_result: str | None = None
    tst_mm: int | None = None
    hiv_result: str | None = Field(
        None, description="negative | positive | indeterminate | not_done | declined"
    )
    syphilis_result: str | None = None
    hepatitis_b_result: str | None = None
    malaria_result: str | None = None
    pregnancy_result: str | None = None
    rhs15_items: list[int] | None = Field(
        None, description="Refugee Health Screener-15 items 1-14, each 0-4"
    )
    rhs15_thermometer: int | None = Field(None, description="RHS-15 item 15, 0-10")
    counselling: str | None = Field(None, max_length=4000)
    specimens: list[SpecimenIn] | None = Field(None, max_length=3)
    tb_classification: str | None = Field(
        None, description="A code of the programme's TB classifications"
    )
    fit_to_travel: str | None = Field(
        None, description="fit | fit_with_conditions | temporarily_unfit | unfit"
    )
    fit_reason: str | None = Field(None, max_length=4000)


class AssessmentIn(_AssessmentFields):
    site: str = Field(description="Code of a site in your places")
    type: str = Field(description="pre_departure | on_arrival | pre_employment | post_arrival")
    date: str | None = Field(None, description="Examination date, YYYY-MM-DD; today when absent")


class AssessmentPatch(_AssessmentFields):
    site: str | None = None
    type: str | None = None
    date: str | None = None


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
    date: date
    programme: str
    destination_country: str
    history: str
    examination: str
    tb_symptoms: bool | None
    xray_result: str
    xray_date: date | None
    xpert_result: str
    xpert_date: date | None
    dst_result: str
    dst_date: date | None
    igra_result: str
    tst_mm: int | None
    hiv_result: str
    syphilis_result: str
    hepatitis_b_result: str
    malaria_result: str
    pregnancy_result: str
    rhs15: Rhs15Out | None
    counselling: str
    specimens: list[SpecimenOut]
    tb_classification: str
    fit_to_travel: str
    fit_reason: str
    completed_on: date | None
    presumptive_tb: bool
    missing: list[StepOut]
    quality_flags: list[StepOut]


class ImmunisationIn(_In):
    site: str = Field(description="Code of a site in your places")
    vaccine: str = Field(description="Vaccine code, e.g. MR, BCG, TD, HEPB, OCV")
    dose_number: int = Field(description="1 for the first dose")
    date: str = Field(description="YYYY-MM-DD")
    lot: str | None = Field(None, max_length=40)
    assessment: int | None = Field(None, description="Id of the assessment it was given at")


class ImmunisationPatch(_In):
    site: str | None = None
    vaccine: str | None = None
    dose_number: int | None = None
    date: str | None = None
    lot: str | None = Field(None, max_length=40)
    assessment: int | None = None


class ImmunisationOut(Schema):
    id: int
    person: str
    site: PlaceRef
    vaccine: str
    vaccine_name: str
    dose_number: int
    date: date
    lot: str
    assessment: int | None


class LabResultIn(_In):
    site: str = Field(description="Code of a site in your places")
    test: str = Field(max_length=120, description="Name of the test")
    loinc: str | None = Field(None, description="LOINC code, e.g. 718-7")
    value: str = Field(max_length=120)
    unit: str | None = Field(None, max_length=30)
    reference_range: str | None = Field(None, max_length=60)
    collected_on: str = Field(description="YYYY-MM-DD")
    reported_on: str | None = None
    assessment: int | None = None


class LabResultPatch(_In):
    site: str | None = None
    test: str | None = Field(None, max_length=120)
    loinc: str | None = None
    value: str | None = Field(None, max_length=120)
    unit: str | None = Field(None, max_length=30)
    reference_range: str | None = Field(None, max_length=60)
    collected_on: str | None = None
    reported_on: str | None = None
    assessment: int | None = None


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


class TimelineItem(Schema):
    type: str
    date: date
    encounter: EncounterOut | None = None
    referral: ReferralOut | None = None
    assessment: AssessmentOut | None = None
    immunisation: ImmunisationOut | None = None
    lab_result: LabResultOut | None = None
    enrolment: dict | None = None
