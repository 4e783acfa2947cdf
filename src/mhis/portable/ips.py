"""A person's record as an HL7 FHIR R4 International Patient Summary (IPS 2.0.0) document
Bundle, and the IPS rules we rely on, checked on any bundle (ours or another system's).

The bundle is built as plain JSON-ready dicts (so the exact bytes can be kept and signed)
and each resource is checked against the `fhir.resources` R4B models in the tests.
Migration status is never exported.
"""

from __future__ import annotations

import datetime as dt
import uuid
from html import escape

from django.utils import timezone

LOINC = "http://loinc.org"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
EMPTY_REASON = "http://terminology.hl7.org/CodeSystem/list-empty-reason"
VACCINE_SYSTEM = "urn:mhis:codesystem:vaccine"  # the antigen list of mhis.care.vaccines
DOCUMENT = {"system": LOINC, "code": "60591-5", "display": "Patient summary Document"}

# Sections: key, LOINC code, display, title, required by IPS.
SECTIONS = [
    ("problems", "11450-4", "Problem list - Reported", "Problems", True),
    ("allergies", "48765-2", "Allergies and adverse reactions Document", "Allergies and intolerances", True),
    ("medications", "10160-0", "History of Medication use Narrative", "Medication summary", True),
    ("immunizations", "11369-6", "History of Immunization Narrative", "Immunizations", False),
    ("results", "30954-2", "Relevant diagnostic tests/laboratory data Narrative", "Results", False),
]  # fmt: skip
REQUIRED_SECTIONS = {code for _, code, _, _, required in SECTIONS if required}
GENDER = {"female": "female", "male": "male", "other": "other", "unknown": "unknown"}


def _ref() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def _narrative(lines: list[str]) -> dict:
    items = "".join(f"<li>{escape(line)}</li>" for line in lines)
    body = f"<ul>{items}</ul>" if lines else "<p>No information.</p>"
    return {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{body}</div>'}


def _birth(person) -> str | None:
    if person.birth_date is None:
        return None
    if getattr(person, "birth_date_precision", "exact") in ("year", "estimated"):
        return f"{person.birth_date.year:04d}"
    if person.birth_date_precision == "month":
        return person.birth_date.strftime("%Y-%m")
    return person.birth_date.isoformat()


def _patient(person) -> dict:
    name = {"text": person.display_name}
    names = [name]
    if person.display_latin and person.display_latin != person.display_name:
        names.append({"text": person.display_latin})
    resource = {
        "resourceType": "Patient",
        "identifier": [{"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{person.uuid}"}],
        "name": names,
        "gender": GENDER.get(person.sex, "unknown"),
    }
    if birth := _birth(person):
        resource["birthDate"] = birth
    return resource


def bundle(person, site=None, now: dt.datetime | None = None) -> dict:
    """The IPS document Bundle of `person`: Composition first, then the one Patient, the
    author organisation and every entry the sections point to. `site` (a Place) is the
    author; by default the person's registration site."""
    from mhis.care.models import Diagnosis, Immunisation, LabResult
    from mhis.care.services import icd10_description
    from mhis.care.vaccines import VACCINES

    now = now or timezone.now()
    site = site or person.registration_site
    patient_ref, author_ref, composition_ref = _ref(), _ref(), _ref()
    subject = {"reference": patient_ref}
    entries: dict[str, list[tuple[str, dict, str]]] = {key: [] for key, *_ in SECTIONS}

    seen_codes = set()
    diagnoses = Diagnosis.objects.filter(encounter__person=person).select_related("encounter")
    for diagnosis in diagnoses.order_by("-encounter__date", "pk"):
        if diagnosis.code in seen_codes:
            continue
        seen_codes.add(diagnosis.code)
        display = icd10_description(diagnosis.code) or diagnosis.code
        entries["problems"].append((_ref(), {
            "resourceType": "Condition",
            "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
            "code": {"coding": [{"system": ICD10, "code": diagnosis.code, "display": display}], "text": display},
            "subject": subject,
            "onsetDateTime": diagnosis.encounter.date.isoformat(),
        }, f"{display} ({diagnosis.code}), {diagnosis.encounter.date.isoformat()}"))  # fmt: skip

    for shot in Immunisation.objects.filter(person=person).order_by("date", "pk"):
        label = str(VACCINES.get(shot.vaccine, (shot.vaccine,))[0])
        resource = {
            "resourceType": "Immunization",
            "status": "completed",
            "vaccineCode": {"coding": [{"system": VACCINE_SYSTEM, "code": shot.vaccine, "display": label}], "text": label},
            "patient": subject,
            "occurrenceDateTime": shot.date.isoformat(),
            "protocolApplied": [{"doseNumberPositiveInt": shot.dose_number}],
        }  # fmt: skip
        if shot.lot:
            resource["lotNumber"] = shot.lot
        entries["immunizations"].append(
            (_ref(), resource, f"{label}, dose {shot.dose_number}, {shot.date.isoformat()}")
        )

    for lab in LabResult.objects.filter(person=person).order_by("collected_on", "pk"):
        code = {"text": lab.test}
        if lab.loinc:
            code["coding"] = [{"system": LOINC, "code": lab.loinc, "display": lab.test}]
        resource = {
            "resourceType": "Observation",
            "status": "final",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory"}]}],
            "code": code,
            "subject": subject,
            "effectiveDateTime": lab.collected_on.isoformat(),
        }  # fmt: skip
        try:
            resource["valueQuantity"] = {"value": float(lab.value), "unit": lab.unit} if lab.unit else {"value": float(lab.value)}  # fmt: skip
        except ValueError:
            resource["valueString"] = lab.value
        if lab.reference_range:
            resource["referenceRange"] = [{"text": lab.reference_range}]
        line = f"{lab.test}: {lab.value} {lab.unit}".strip() + f", {lab.collected_on.isoformat()}"
        entries["results"].append((_ref(), resource, line))

    sections = []
    for key, code, display, title, required in SECTIONS:
        found = entries[key]
        if not found and not required:
            continue
        section = {
            "title": title,
            "code": {"coding": [{"system": LOINC, "code": code, "display": display}]},
            "text": _narrative([line for _, _, line in found]),
        }
        if found:
            section["entry"] = [{"reference": ref} for ref, _, _ in found]
        else:
            section["emptyReason"] = {"coding": [{"system": EMPTY_REASON, "code": "unavailable", "display": "Unavailable"}]}  # fmt: skip
        sections.append(section)

    stamp = now.replace(microsecond=0).isoformat()
    composition = {
        "resourceType": "Composition",
        "status": "final",
        "type": {"coding": [DOCUMENT]},
        "subject": subject,
        "date": stamp,
        "author": [{"reference": author_ref}],
        "title": "International Patient Summary",
        "section": sections,
    }
    organisation = {"resourceType": "Organization", "name": site.name}
    resources = [(composition_ref, composition), (patient_ref, _patient(person)),
                 (author_ref, organisation)]  # fmt: skip
    resources += [(ref, resource) for key in entries for ref, resource, _ in entries[key]]
    return {
        "resourceType": "Bundle",
        "identifier": {"system": "urn:ietf:rfc:3986", "value": _ref()},
        "type": "document",
        "timestamp": stamp,
        "entry": [{"fullUrl": ref, "resource": resource} for ref, resource in resources],
    }


def faults(document) -> list[str]:
    """What keeps `document` from being an IPS bundle we can read, each fault in words:
    not a document Bundle, no Composition first, not exactly one Patient, a required section
    missing or neither with entries nor an empty reason, a reference that resolves to no
    entry of the bundle."""
    if not isinstance(document, dict) or document.get("resourceType") != "Bundle":
        return ["not a FHIR Bundle"]
    out = []
    if document.get("type") != "document":
        out.append("Bundle.type is not “document”")
    entries = document.get("entry") or []
    resources = [e.get("resource") or {} for e in entries if isinstance(e, dict)]
    if not resources or resources[0].get("resourceType") != "Composition":
        out.append("the first entry is not a Composition")
    patients = sum(1 for r in resources if r.get("resourceType") == "Patient")
    if patients != 1:
        out.append(f"{patients} Patient resources; an IPS has exactly one")
    urls = {e.get("fullUrl") for e in entries if isinstance(e, dict)}
    urls |= {f"{r.get('resourceType')}/{r.get('id')}" for r in resources if r.get("id")}
    for reference in sorted(_references(document)):
        if reference not in urls:
            out.append(f"the reference {reference} resolves to no entry of the bundle")
    if resources and resources[0].get("resourceType") == "Composition":
        sections = {
            c.get("code"): s
            for s in resources[0].get("section") or []
            for c in (s.get("code") or {}).get("coding") or []
            if c.get("system") == LOINC
        }
        for code in sorted(REQUIRED_SECTIONS):
            section = sections.get(code)
            if section is None:
                out.append(f"the required section {code} is missing")
            elif not section.get("entry") and not section.get("emptyReason"):
                out.append(f"the section {code} has neither entries nor an empty reason")
    return out


def _references(node) -> set[str]:
    found = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference" and isinstance(value, str) and not value.startswith("#"):
                found.add(value)
            else:
                found |= _references(value)
    elif isinstance(node, list):
        for item in node:
            found |= _references(item)
    return found
