"""What pages and the API show of a care record, one function a kind (see recordkinds)."""

from __future__ import annotations

from typing import Any

from mhis.contracts import stored_values
from mhis.places.models import Place

from . import assessments, services
from .contracts import EncounterInput
from .models import Assessment, Encounter, Immunisation, LabResult, RecordChange, Referral
from .schemas import AssessmentOut
from .vaccines import VACCINES


def _place(place: Place | None) -> dict[str, str] | None:
    return {"code": place.code, "name": place.name} if place else None


def encounter_out(e: Encounter) -> dict[str, Any]:
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


def referral_out(r: Referral) -> dict[str, Any]:
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


def assessment_out(a: Assessment) -> dict[str, Any]:
    decision = assessments.tb_decision(a)
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
        tb_proposed=decision.proposed,
        tb_allowed=list(decision.allowed),
        presumptive_tb=assessments.presumptive_tb(a),
        missing=assessments.missing_steps(a),
        quality_flags=assessments.quality_flags(a),
    )
    return data


def immunisation_out(i: Immunisation) -> dict[str, Any]:
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


def lab_result_out(lab: LabResult) -> dict[str, Any]:
    fields = ("test", "loinc", "value", "unit", "reference_range", "collected_on", "reported_on")
    return {
        "id": lab.pk,
        "person": str(lab.person.uuid),
        "site": _place(lab.site),
        "assessment": lab.assessment_id,
        **{f: getattr(lab, f) for f in fields},
    }


def change_out(c: RecordChange) -> dict[str, Any]:
    return {
        "action": c.action,
        "changes": c.changes,
        "by": c.by.username if c.by else None,
        "at": c.at,
    }
