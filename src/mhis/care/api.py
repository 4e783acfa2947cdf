"""Care API: encounters, referrals and their steps, history, and the person's timeline."""

from uuid import UUID

from django.utils.translation import gettext as _
from ninja import Router
from ninja.errors import HttpError
from ninja.responses import Status

from mhis.access.auth import api_auth
from mhis.access.policy import Can, allowed
from mhis.contracts import stored_values
from mhis.registry.shortcuts import person_or_404

from . import assessments, records, services
from .contracts import (
    AssessmentChange,
    AssessmentInput,
    EncounterChange,
    EncounterInput,
    ImmunisationChange,
    ImmunisationInput,
    LabResultChange,
    LabResultInput,
    ReferralChange,
    ReferralInput,
    ReferralStepInput,
)
from .history import history as record_history
from .models import Assessment, Encounter, Immunisation, LabResult, Referral
from .schemas import (
    AssessmentOut,
    ChangeOut,
    EncounterOut,
    ImmunisationOut,
    LabResultOut,
    ReferralOut,
    TimelineItem,
)
from .shortcuts import record_or_404
from .timeline import timeline
from .vaccines import VACCINES

router = Router(tags=["care"], auth=api_auth)


def _place(place):
    return {"code": place.code, "name": place.name} if place else None


def encounter_out(e: Encounter) -> dict:
    return {
        **stored_values(EncounterInput, e, "site", "diagnoses"),
        "id": e.pk,
        "person": str(e.person.uuid),
        "site": _place(e.site),
        "diagnoses": [
            {
                "code": d.code,
                "description": services.icd10_description(d.code),
                "primary": d.primary,
            }
            for d in e.diagnoses.all()
        ],
        "created_at": e.created_at,
        "updated_at": e.updated_at,
    }


def referral_out(r: Referral) -> dict:
    return {
        "id": r.pk,
        "person": str(r.person.uuid),
        "site": _place(r.site),
        "kind": r.kind,
        "reason": r.reason,
        "urgency": r.urgency,
        "to_site": _place(r.to_site),
        "to_facility": r.to_facility,
        "to_country": r.to_country,
        "status": r.status,
        "sent_on": r.sent_on,
        "due_on": r.due_on,
        "received_on": r.received_on,
        "attended_on": r.attended_on,
        "closed_on": r.closed_on,
        "outcome": r.outcome,
        "steps": [{"status": s.status, "on": s.on, "note": s.note} for s in r.steps.all()],
    }


def assessment_out(a: Assessment) -> dict:
    data = {
        field: getattr(a, field)
        for field in AssessmentOut.model_fields
        if hasattr(a, field) and field not in ("site", "person", "specimens", "rhs15")
    }
    data.update(
        id=a.pk,
        person=str(a.person.uuid),
        site=_place(a.site),
        specimens=[
            {
                k: getattr(s, k)
                for k in (
                    "number",
                    "collected_on",
                    "smear_result",
                    "smear_reported_on",
                    "culture_result",
                    "culture_reported_on",
                )
            }
            for s in a.specimens.all()
        ],
        rhs15=assessments.rhs15(a),
        presumptive_tb=assessments.presumptive_tb(a),
        missing=assessments.missing_steps(a),
        quality_flags=assessments.quality_flags(a),
    )
    return data


def immunisation_out(i: Immunisation) -> dict:
    return {
        "id": i.pk,
        "person": str(i.person.uuid),
        "site": _place(i.site),
        "vaccine": i.vaccine,
        "vaccine_name": str(VACCINES[i.vaccine][0]) if i.vaccine in VACCINES else i.vaccine,
        "dose_number": i.dose_number,
        "date": i.date,
        "lot": i.lot,
        "assessment": i.assessment_id,
    }


def lab_result_out(lab: LabResult) -> dict:
    fields = ("test", "loinc", "value", "unit", "reference_range", "collected_on", "reported_on")
    return {
        "id": lab.pk,
        "person": str(lab.person.uuid),
        "site": _place(lab.site),
        "assessment": lab.assessment_id,
        **{f: getattr(lab, f) for f in fields},
    }


_OUT = {
    "encounter": encounter_out,
    "referral": referral_out,
    "assessment": assessment_out,
    "immunisation": immunisation_out,
    "lab_result": lab_result_out,
    "enrolment": lambda e: {
        "id": e.pk,
        "scheme": e.scheme.code,
        "start_date": e.start_date,
        "end_date": e.end_date,
    },
}


@router.get(
    "/persons/{person_id}/timeline",
    response=list[TimelineItem],
    summary="Everything recorded about a person",
)
def person_timeline(request, person_id: UUID):
    person = person_or_404(request, person_id, "api:timeline")
    return [
        {
            "type": item["type"],
            "date": item["date"],
            item["type"]: _OUT[item["type"]](item["record"]),
        }
        for item in timeline(person)
    ]


@router.get(
    "/persons/{person_id}/encounters", response=list[EncounterOut], summary="A person's encounters"
)
def list_encounters(request, person_id: UUID):
    person = person_or_404(request, person_id, "api:encounters_list")
    return [encounter_out(e) for e in services.encounters_of(person)]


@router.post(
    "/persons/{person_id}/encounters", response={201: EncounterOut}, summary="Record an encounter"
)
def create_encounter(request, person_id: UUID, payload: EncounterInput):
    person = person_or_404(request, person_id, "api:encounter_create")
    encounter = services.record_encounter(request.user, person, payload)
    return Status(201, encounter_out(encounter))


@router.get("/encounters/{encounter_id}", response=EncounterOut, summary="An encounter")
def read_encounter(request, encounter_id: int):
    return encounter_out(record_or_404(request, Encounter, encounter_id, "api:encounter_read"))


@router.patch("/encounters/{encounter_id}", response=EncounterOut, summary="Change an encounter")
def change_encounter(request, encounter_id: int, payload: EncounterChange):
    encounter = record_or_404(request, Encounter, encounter_id, "api:encounter_update")
    return encounter_out(services.update_encounter(request.user, encounter, payload))


@router.get(
    "/encounters/{encounter_id}/history",
    response=list[ChangeOut],
    summary="Changes to an encounter",
)
def encounter_history(request, encounter_id: int):
    encounter = record_or_404(request, Encounter, encounter_id, "api:encounter_history")
    return [change_out(c) for c in record_history(encounter)]


@router.get(
    "/persons/{person_id}/referrals", response=list[ReferralOut], summary="A person's referrals"
)
def list_referrals(request, person_id: UUID):
    person = person_or_404(request, person_id, "api:referrals_list")
    return [referral_out(r) for r in services.referrals_of(person)]


@router.post(
    "/persons/{person_id}/referrals", response={201: ReferralOut}, summary="Refer a person"
)
def create_referral(request, person_id: UUID, payload: ReferralInput):
    person = person_or_404(request, person_id, "api:referral_create")
    return Status(201, referral_out(services.refer(request.user, person, payload)))


@router.get(
    "/referrals/overdue",
    response=list[ReferralOut],
    summary="Open referrals past their expected date",
)
def list_overdue(request):
    if not allowed(request.user, Can.READ_PERSON):
        raise HttpError(403, _("Your role cannot see individual records."))
    referrals = services.overdue_referrals(request.user).prefetch_related("steps")
    return [
        referral_out(r)
        for r in services.shown_rows(request.user, referrals, view="api:referrals_overdue")
    ]


@router.get("/referrals/{referral_id}", response=ReferralOut, summary="A referral")
def read_referral(request, referral_id: int):
    return referral_out(record_or_404(request, Referral, referral_id, "api:referral_read"))


@router.patch(
    "/referrals/{referral_id}",
    response=ReferralOut,
    summary="Change a referral's reason, urgency, date or outcome",
)
def change_referral(request, referral_id: int, payload: ReferralChange):
    referral = record_or_404(request, Referral, referral_id, "api:referral_update")
    return referral_out(services.update_referral(request.user, referral, payload))


@router.post(
    "/referrals/{referral_id}/steps",
    response=ReferralOut,
    summary="Move a referral to its next status",
)
def add_referral_step(request, referral_id: int, payload: ReferralStepInput):
    referral = record_or_404(request, Referral, referral_id, "api:referral_step")
    return referral_out(services.advance_referral(request.user, referral, payload))


@router.get(
    "/referrals/{referral_id}/history", response=list[ChangeOut], summary="Changes to a referral"
)
def referral_history(request, referral_id: int):
    referral = record_or_404(request, Referral, referral_id, "api:referral_history")
    return [change_out(c) for c in record_history(referral)]


@router.get(
    "/persons/{person_id}/assessments",
    response=list[AssessmentOut],
    summary="A person's health assessments",
)
def list_assessments(request, person_id: UUID):
    person = person_or_404(request, person_id, "api:assessments_list")
    return [assessment_out(a) for a in assessments.assessments_of(person)]


@router.post(
    "/persons/{person_id}/assessments",
    response={201: AssessmentOut},
    summary="Start a health assessment",
)
def create_assessment(request, person_id: UUID, payload: AssessmentInput):
    person = person_or_404(request, person_id, "api:assessment_create")
    return Status(201, assessment_out(assessments.assess(request.user, person, payload)))


@router.get(
    "/assessments/pending",
    response=list[AssessmentOut],
    summary="Assessments at your sites that are not complete",
)
def list_pending(request):
    if not allowed(request.user, Can.READ_PERSON):
        raise HttpError(403, _("Your role cannot see individual records."))
    pending = assessments.pending_assessments(request.user)
    return [
        assessment_out(a)
        for a in services.shown_rows(request.user, pending, view="api:assessments_pending")
    ]


@router.get("/assessments/{assessment_id}", response=AssessmentOut, summary="A health assessment")
def read_assessment(request, assessment_id: int):
    return assessment_out(record_or_404(request, Assessment, assessment_id, "api:assessment_read"))


@router.patch(
    "/assessments/{assessment_id}",
    response=AssessmentOut,
    summary="Add results or the outcome of an assessment",
)
def change_assessment(request, assessment_id: int, payload: AssessmentChange):
    assessment = record_or_404(request, Assessment, assessment_id, "api:assessment_update")
    return assessment_out(assessments.update_assessment(request.user, assessment, payload))


@router.get(
    "/assessments/{assessment_id}/history",
    response=list[ChangeOut],
    summary="Changes to an assessment",
)
def assessment_history(request, assessment_id: int):
    assessment = record_or_404(request, Assessment, assessment_id, "api:assessment_history")
    return [change_out(c) for c in record_history(assessment)]


def change_out(c) -> dict:
    return {
        "action": c.action,
        "changes": c.changes,
        "by": c.by.username if c.by else None,
        "at": c.at,
    }


def _simple_record_endpoints(
    model, plural: str, schema_in, schema_patch, schema_out, to_out
) -> None:
    """List per person, create, read, update and history for a record kind written by care.records."""
    name = model._meta.model_name

    @router.get(
        f"/persons/{{person_id}}/{plural}",
        response=list[schema_out],
        summary=f"A person's {plural.replace('-', ' ')}",
        operation_id=f"list_{name}",
    )
    def list_records(request, person_id: UUID):
        person = person_or_404(request, person_id, f"api:{name}_list")
        return [
            to_out(r) for r in model.objects.filter(person=person).select_related("site", "person")
        ]

    @router.post(
        f"/persons/{{person_id}}/{plural}",
        response={201: schema_out},
        summary=f"Record a {name.replace('result', ' result')}",
        operation_id=f"create_{name}",
    )
    def create(request, person_id: UUID, payload: schema_in):
        person = person_or_404(request, person_id, f"api:{name}_create")
        return Status(201, to_out(records.create_record(request.user, model, person, payload)))

    @router.get(
        f"/{plural}/{{record_id}}",
        response=schema_out,
        summary=f"A {name.replace('result', ' result')}",
        operation_id=f"read_{name}",
    )
    def read(request, record_id: int):
        return to_out(record_or_404(request, model, record_id, f"api:{name}_read"))

    @router.patch(
        f"/{plural}/{{record_id}}",
        response=schema_out,
        summary=f"Change a {name.replace('result', ' result')}",
        operation_id=f"update_{name}",
    )
    def update(request, record_id: int, payload: schema_patch):
        record = record_or_404(request, model, record_id, f"api:{name}_update")
        return to_out(records.update_record(request.user, record, payload))

    @router.get(
        f"/{plural}/{{record_id}}/history",
        response=list[ChangeOut],
        summary=f"Changes to a {name.replace('result', ' result')}",
        operation_id=f"history_{name}",
    )
    def history_of_record(request, record_id: int):
        record = record_or_404(request, model, record_id, f"api:{name}_history")
        return [change_out(c) for c in record_history(record)]


_simple_record_endpoints(
    Immunisation,
    "immunisations",
    ImmunisationInput,
    ImmunisationChange,
    ImmunisationOut,
    immunisation_out,
)
_simple_record_endpoints(
    LabResult, "lab-results", LabResultInput, LabResultChange, LabResultOut, lab_result_out
)
