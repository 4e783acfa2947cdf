"""A person's record as an HL7 FHIR R4 International Patient Summary (IPS 2.0.0) document
Bundle, and the IPS rules we rely on, checked on any bundle (ours or another system's).

The bundle is built as plain JSON-ready dicts (so the exact bytes can be kept and signed)
and each resource is checked against the `fhir.resources` R4B models in the tests.
Migration status is never exported: not from MHIS's own records, and not from what other
systems sent (only their clinical entries are carried on, see :func:`clinical`).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import uuid
from html import escape

from django.utils import timezone, translation

from mhis.care.codes import ReferralKind
from mhis.care.models import Diagnosis, Immunisation, LabResult, Referral
from mhis.care.services import icd10_description
from mhis.care.vaccines import VACCINES
from mhis.names import detect_script

from .terminology import UCUM, ucum, vaccine_codings

LOINC = "http://loinc.org"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
EMPTY_REASON = "http://terminology.hl7.org/CodeSystem/list-empty-reason"
VACCINE_SYSTEM = "urn:mhis:codesystem:vaccine"  # the antigen list of mhis.care.vaccines
DOCUMENT = {"system": LOINC, "code": "60591-5", "display": "Patient summary Document"}
DATA_ABSENT = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"

# Sections: key, LOINC code, display, title, required by IPS.
SECTIONS = [
    ("problems", "11450-4", "Problem list - Reported", "Problems", True),
    ("allergies", "48765-2", "Allergies and adverse reactions Document", "Allergies and intolerances", True),
    ("medications", "10160-0", "History of Medication use Narrative", "Medication summary", True),
    ("immunizations", "11369-6", "History of Immunization Narrative", "Immunizations", False),
    ("results", "30954-2", "Relevant diagnostic tests/laboratory data Narrative", "Results", False),
    ("plan", "18776-5", "Plan of care note", "Plan of care", False),
]  # fmt: skip
REQUIRED_SECTIONS = {code for _, code, _, _, required in SECTIONS if required}

# Sections of a summary another system sent that hold clinical content: shown to every role
# that reads people, and carried into MHIS's own summary, print and SMART Health Links. The
# others are where a sender writes what a person told them of their life — social history
# (29762-2: occupation, "Migration status: asylum seeker"), the patient's story (81338-6),
# alerts (104605-1: a flag such as "protection case") — and any section of a code not listed
# here: shown only to roles that see migration status, and never exported.
CLINICAL_SECTIONS = frozenset(
    {
        "11450-4",  # problems
        "48765-2",  # allergies and intolerances
        "10160-0",  # medications
        "11369-6",  # immunizations
        "30954-2",  # results
        "18776-5",  # plan of care
        "47519-4",  # procedures
        "8716-3",  # vital signs
        "11348-0",  # past problems
        "10162-6",  # pregnancy
        "46264-8",  # medical devices
        "42348-3",  # advance directives
        "47420-5",  # functional status
    }
)
SOCIAL_HISTORY = "social-history"  # an Observation's category, in whichever section it is
OPEN_REFERRALS = ("sent", "received")
GENDER = {"female": "female", "male": "male", "other": "other", "unknown": "unknown"}


def clinical(section: str, resource: dict | None = None) -> bool:
    """Whether a received section (by its LOINC code), or an entry of it, is clinical
    content (:data:`CLINICAL_SECTIONS`): an Observation of the social-history category is
    not, whichever section the sender put it in, nor an entry that holds one (a panel member
    kept `contained`)."""
    if section not in CLINICAL_SECTIONS:
        return False
    if not isinstance(resource, dict):
        return True
    inner = resource.get("contained")
    for held in [resource, *(inner if isinstance(inner, list) else [])]:
        categories = held.get("category") if isinstance(held, dict) else None
        for category in categories if isinstance(categories, list) else []:
            for coding in (category.get("coding") if isinstance(category, dict) else None) or []:
                if isinstance(coding, dict) and coding.get("code") == SOCIAL_HISTORY:
                    return False
    return True


def _ref() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def _narrative(lines: list[str]) -> dict:
    items = "".join(f"<li>{escape(line)}</li>" for line in lines)
    body = f"<ul>{items}</ul>" if lines else "<p>No information.</p>"
    return {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{body}</div>'}


def _place_patient(node, subject: dict):
    """A kept resource with the marked patient references pointing at `subject`."""
    if isinstance(node, list):
        return [_place_patient(item, subject) for item in node]
    if not isinstance(node, dict):
        return node
    if node.get("reference") == PATIENT:
        return dict(subject)
    return {key: _place_patient(value, subject) for key, value in node.items()}


DATA_ABSENT_ERROR = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/data-absent-reason",
            "code": "error",
            "display": "Error",
        }
    ]
}


def finite(node):
    """`node` (a resource another system sent) without a number JSON cannot hold (a NaN or
    an infinity, as Python's reader accepts them): a quantity whose value is one is said
    absent (`dataAbsentReason` "error") on the resource or component holding it; any other
    such number is left out."""

    def bad(value) -> bool:
        return isinstance(value, float) and not math.isfinite(value)

    if isinstance(node, list):
        return [finite(item) for item in node if not bad(item)]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if bad(value):
            continue
        if key == "valueQuantity" and isinstance(value, dict) and bad(value.get("value")):
            out.setdefault("dataAbsentReason", DATA_ABSENT_ERROR)
            continue
        out[key] = finite(value)
    return out


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
    else:  # said, not left out: the date is not known (IPS Patient.birthDate is required)
        resource["_birthDate"] = {"extension": [{"url": DATA_ABSENT, "valueCode": "unknown"}]}
    return resource


def bundle(person, site=None, now: dt.datetime | None = None) -> dict:
    """The IPS document Bundle of `person`: Composition first, then the one Patient, the
    author organisation and every entry the sections point to. `site` (a Place) is the
    author; by default the person's registration site."""

    from .models import ReceivedItem

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
        # MHIS records a diagnosis made at an encounter, not whether it is still active
        # nor when it began: the Condition says when it was recorded and leaves its
        # clinical status and onset out (both optional in IPS 2.0.0) rather than call a
        # past diagnosis "active" from the encounter's date.
        entries["problems"].append(
            (
                _ref(),
                {
                    "resourceType": "Condition",
                    "code": {
                        "coding": [{"system": ICD10, "code": diagnosis.code, "display": display}],
                        "text": display,
                    },
                    "subject": subject,
                    "recordedDate": diagnosis.encounter.date.isoformat(),
                },
                f"{display} ({diagnosis.code}), {diagnosis.encounter.date.isoformat()}",
            )
        )

    for shot in Immunisation.objects.filter(person=person).order_by("date", "pk"):
        label = str(VACCINES.get(shot.vaccine, (shot.vaccine,))[0])
        resource = {
            "resourceType": "Immunization",
            "status": "completed",
            "vaccineCode": {
                "coding": [
                    *vaccine_codings(shot.vaccine),
                    {"system": VACCINE_SYSTEM, "code": shot.vaccine, "display": label},
                ],
                "text": label,
            },
            "patient": subject,
            "occurrenceDateTime": shot.date.isoformat(),
            "protocolApplied": [{"doseNumberPositiveInt": shot.dose_number}],
        }
        if shot.lot:
            resource["lotNumber"] = shot.lot
        entries["immunizations"].append(
            (_ref(), resource, f"{label}, dose {shot.dose_number}, {shot.date.isoformat()}")
        )

    organisations = {site.pk: (author_ref, site.name)}
    labs = LabResult.objects.filter(person=person).select_related("site")
    for lab in labs.order_by("collected_on", "pk"):
        code = {"text": lab.test}
        if lab.loinc:
            code["coding"] = [{"system": LOINC, "code": lab.loinc, "display": lab.test}]
        resource = {
            "resourceType": "Observation",
            "status": "final",
            "category": [
                {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                            "code": "laboratory",
                        }
                    ]
                }
            ],
            "code": code,
            "subject": subject,
            "effectiveDateTime": lab.collected_on.isoformat(),
        }
        # The performer: the Organization of the site the result was recorded at.
        if lab.site_id not in organisations:
            organisations[lab.site_id] = (_ref(), lab.site.name)
        ref, name = organisations[lab.site_id]
        resource["performer"] = [{"reference": ref, "display": name}]
        try:
            number = float(lab.value)
        except ValueError:
            resource["valueString"] = lab.value
        else:
            if math.isfinite(number):
                quantity: dict = {"value": number}
                if lab.unit:
                    quantity["unit"] = lab.unit
                    if code_ := ucum(lab.unit):
                        quantity.update(system=UCUM, code=code_)
                resource["valueQuantity"] = quantity
            else:  # "NaN", "inf": no number to send (JSON has none); said absent
                resource["dataAbsentReason"] = {**DATA_ABSENT_ERROR, "text": lab.value}
        if lab.reference_range:
            resource["referenceRange"] = [{"text": lab.reference_range}]
        line = f"{lab.test}: {lab.value} {lab.unit}".strip() + f", {lab.collected_on.isoformat()}"
        entries["results"].append((_ref(), resource, line))

    for referral in Referral.objects.filter(person=person, status__in=OPEN_REFERRALS).order_by(
        "sent_on", "pk"
    ):
        to = referral.to_site.name if referral.to_site_id else referral.to_facility
        with translation.override("en"):
            kind = str(ReferralKind(referral.kind).label)
        resource = {
            "resourceType": "ServiceRequest",
            "status": "active",
            "intent": "order",
            "code": {
                "coding": [
                    {
                        "system": "http://snomed.info/sct",
                        "code": "3457005",
                        "display": "Patient referral",
                    }
                ],
                "text": kind,
            },
            "subject": subject,
            "authoredOn": referral.sent_on.isoformat(),
            "occurrencePeriod": {
                "start": referral.sent_on.isoformat(),
                "end": referral.due_on.isoformat(),
            },
            "priority": "urgent" if referral.urgency == "urgent" else "routine",
            "performer": [{"display": f"{to} ({referral.to_country})"}],
            "reasonCode": [{"text": referral.reason}],
        }
        line = f"{kind} → {to}, {referral.sent_on.isoformat()}–{referral.due_on.isoformat()}"
        entries["plan"].append((_ref(), resource, line))

    # What other systems sent, in the section they sent it in, with its source: clinical
    # entries only (never a social history, a patient's story or an alert, which may say a
    # migration status).
    received: dict[str, list[tuple[str, dict, str]]] = {}
    titles: dict[str, str] = {}
    items = ReceivedItem.objects.filter(person=person, section__in=CLINICAL_SECTIONS)
    for item in items.select_related("summary"):
        if not clinical(item.section, item.resource):
            continue
        resource = finite(_place_patient(item.resource, subject))
        line = (
            f"{item.text}" + (f", {item.date}" if item.date else "") + f" ({item.summary.source})"
        )
        received.setdefault(item.section, []).append((_ref(), resource, line))
        titles.setdefault(
            item.section,
            next(
                (s["title"] for s in item.summary.sections if s["code"] == item.section),
                item.section,
            ),
        )
    ours = {
        code: (key, display, title, required) for key, code, display, title, required in SECTIONS
    }
    order = [code for _, code, *_ in SECTIONS] + [code for code in received if code not in ours]

    sections, placed = [], []
    for code in order:
        key, display, title, required = ours.get(
            code, (None, titles.get(code, code), titles.get(code, code), False)
        )
        found = (entries[key] if key else []) + received.get(code, [])
        placed += found
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
            section["emptyReason"] = {
                "coding": [
                    {"system": EMPTY_REASON, "code": "unavailable", "display": "Unavailable"}
                ]
            }
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
    resources = [(composition_ref, composition), (patient_ref, _patient(person))]
    resources += [  # the author first, then the sites that performed a test
        (ref, {"resourceType": "Organization", "name": name})
        for ref, name in organisations.values()
    ]
    resources += [(ref, resource) for ref, resource, _ in placed]
    return {
        "resourceType": "Bundle",
        "identifier": {"system": "urn:ietf:rfc:3986", "value": _ref()},
        "type": "document",
        "timestamp": stamp,
        "entry": [{"fullUrl": ref, "resource": resource} for ref, resource in resources],
    }


def text(document: dict) -> str:
    """The JSON text of a bundle as MHIS hands it out (export, link and print alike)."""
    return json.dumps(document, ensure_ascii=False, indent=2, allow_nan=False)


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


# --- Reading a bundle another system produced -------------------------------------------

PATIENT = "urn:mhis:patient"  # marks, in a kept resource, a reference to the person
CONCEPT_FIELDS = ("code", "vaccineCode", "medicationCodeableConcept", "type")
DATE_FIELDS = ("onsetDateTime", "occurrenceDateTime", "effectiveDateTime", "performedDateTime",
               "authoredOn", "recordedDate", "dateAsserted", "issued", "date", "created")  # fmt: skip
PERIOD_FIELDS = ("effectivePeriod", "performedPeriod", "onsetPeriod", "period", "timingPeriod")


def _index(document) -> dict[str, dict]:
    """Every way an entry of the bundle may be referred to -> its resource."""
    found = {}
    for entry in document.get("entry") or []:
        if not isinstance(entry, dict):
            continue
        resource = entry.get("resource") or {}
        if entry.get("fullUrl"):
            found[entry["fullUrl"]] = resource
        if resource.get("id"):
            found[f"{resource.get('resourceType')}/{resource['id']}"] = resource
    return found


def concept_text(concept) -> str:
    if not isinstance(concept, dict):
        return ""
    if concept.get("text"):
        return str(concept["text"])
    for coding in concept.get("coding") or []:
        if coding.get("display") or coding.get("code"):
            return str(coding.get("display") or coding.get("code"))
    return ""


def _name_of(resource: dict) -> str:
    if resource.get("resourceType") == "Device" and (named := device_name(resource)):
        return named
    name = resource.get("name")
    if isinstance(name, str):
        return name
    if isinstance(name, list) and name:
        return human_name(name[0])
    for key in CONCEPT_FIELDS:
        if text := concept_text(resource.get(key)):
            return text
    return resource.get("resourceType", "")


def device_name(device: dict) -> str:
    """A Device (a system that wrote a summary) by its name, else its manufacturer and
    model, else its type: never just "Device"."""
    names = [n for n in device.get("deviceName") or [] if isinstance(n, dict) and n.get("name")]
    names.sort(key=lambda n: n.get("type") != "user-friendly-name")
    if names:
        return str(names[0]["name"])
    parts = [device.get(k) for k in ("manufacturer", "modelNumber", "version")]
    if isinstance(device.get("version"), list):
        parts[2] = next((v.get("value") for v in device["version"] if isinstance(v, dict)), None)
    if text := " ".join(str(p) for p in parts if isinstance(p, str | int) and p):
        return text
    return concept_text(device.get("type"))


def human_name(name: dict) -> str:
    if name.get("text"):
        return str(name["text"])
    parts = [*(name.get("given") or []), name.get("family") or ""]
    return " ".join(str(p) for p in parts if p)


def value_text(resource: dict) -> str:
    if quantity := resource.get("valueQuantity"):
        value = quantity.get("value")
        if isinstance(value, float):
            number = f"{value:g}"
        else:  # a whole number as written (one too large for a float has no other form)
            number = str(value) if isinstance(value, int) else str(value or "")
        return f"{number} {quantity.get('unit') or ''}".strip()
    for key in ("valueString", "valueBoolean", "valueInteger", "valueDateTime"):
        if key in resource:
            return str(resource[key])
    if "valueCodeableConcept" not in resource and "dataAbsentReason" in resource:
        return concept_text(resource["dataAbsentReason"])  # why there is no value
    return concept_text(resource.get("valueCodeableConcept"))


def describe(resource: dict) -> tuple[str, str]:
    """A line of text and a date for an entry of any resource type."""
    text = next((t for k in CONCEPT_FIELDS if (t := concept_text(resource.get(k)))), "")
    text = text or str(resource.get("description") or resource.get("title") or "")
    text = text or resource.get("resourceType", "")
    if value := value_text(resource):
        text = f"{text}: {value}"
    date = next((str(resource[k]) for k in DATE_FIELDS if isinstance(resource.get(k), str)), "")
    if not date:
        date = next(
            (
                str(resource[k].get("start", ""))
                for k in PERIOD_FIELDS
                if isinstance(resource.get(k), dict)
            ),
            "",
        )
    return text[:300], date[:40]


def _plain_name(name) -> dict:
    """A HumanName from another system with only the parts of the right type."""
    if not isinstance(name, dict):
        return {}
    given = name.get("given")
    return {
        "text": name["text"] if isinstance(name.get("text"), str) else "",
        "family": name["family"] if isinstance(name.get("family"), str) else "",
        "given": [g for g in given if isinstance(g, str)] if isinstance(given, list) else [],
    }


def patient_data(patient: dict) -> dict:
    """Registration data from a Patient: names (a Latin-letter second name is taken as the
    first one's Latin form, as MHIS writes them), sex and date of birth."""

    given = patient.get("name")
    names = [
        n
        for n in (human_name(_plain_name(n)) for n in (given if isinstance(given, list) else []))
        if n
    ]
    cleaned = []
    for text in names:
        if (
            len(cleaned) == 1
            and not cleaned[0].get("latin")
            and detect_script(cleaned[0]["text"]) != "Latn"
            and detect_script(text) == "Latn"
        ):
            cleaned[0]["latin"] = text
        elif text not in [c["text"] for c in cleaned]:
            cleaned.append({"text": text})
    data = {"names": cleaned, "sex": patient.get("gender") or "unknown"}
    if isinstance(patient.get("birthDate"), str):
        data["birth_date"] = patient["birthDate"]
    return data
