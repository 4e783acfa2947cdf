"""The International Patient Summary: structure against the FHIR R4B models and the IPS
rules we rely on, and the faults that make a bundle unreadable."""

import copy
import datetime as dt
import json

import pytest

from mhis.care.models import Immunisation, LabResult
from mhis.care.records import create_record
from mhis.care.services import record_encounter
from mhis.portable import ips, ips_import

DAY = dt.date(2026, 11, 2)


@pytest.fixture
def summary(people, register):
    clinician = people["clinician"]
    person = register(
        names=[{"text": "မောင်မောင်", "latin": "Maung Maung"}], sex="male", birth_date="1990-05-05"
    )
    for code in ("A09.0", "A15.0", "A09.0"):
        record_encounter(clinician, person, {"site": "MSOT-CLIN", "kind": "consultation",
                                             "date": DAY.isoformat(), "diagnoses": [{"code": code}]})  # fmt: skip
    create_record(clinician, Immunisation, person, {"site": "MSOT-CLIN", "vaccine": "TD",
                  "dose_number": 2, "date": DAY.isoformat(), "lot": "A1"})  # fmt: skip
    create_record(clinician, LabResult, person, {"site": "MSOT-CLIN", "test": "Haemoglobin",
                  "loinc": "718-7", "value": "11.2", "unit": "g/dL",
                  "collected_on": DAY.isoformat()})  # fmt: skip
    create_record(clinician, LabResult, person, {"site": "MSOT-CLIN", "test": "HIV rapid test",
                  "value": "negative", "collected_on": DAY.isoformat()})  # fmt: skip
    return person, ips.bundle(person)


def _of_type(document, kind):
    return [e["resource"] for e in document["entry"] if e["resource"]["resourceType"] == kind]


def test_the_summary_is_a_valid_fhir_r4_document_bundle(summary):
    bundle_model = pytest.importorskip("fhir.resources.R4B.bundle", reason="needs fhir.resources")
    _, document = summary
    parsed = bundle_model.Bundle.model_validate(json.loads(json.dumps(document)))
    assert parsed.type == "document"
    assert ips_import.faults(document) == []


def test_the_summary_holds_the_persons_care_in_its_sections(summary):
    _, document = summary
    composition = document["entry"][0]["resource"]
    assert composition["resourceType"] == "Composition"
    assert composition["type"]["coding"][0]["code"] == "60591-5"
    sections = {s["code"]["coding"][0]["code"]: s for s in composition["section"]}
    assert set(sections) == {"11450-4", "48765-2", "10160-0", "11369-6", "30954-2"}
    for section in sections.values():
        assert section["title"] and section["text"]["div"].startswith("<div xmlns=")
    # No allergy or medication is recorded: said so, not left out.
    assert sections["48765-2"]["emptyReason"]["coding"][0]["code"] == "unavailable"
    assert "entry" not in sections["10160-0"]
    problems = [c["code"]["coding"][0] for c in _of_type(document, "Condition")]
    assert sorted(p["code"] for p in problems) == ["A09.0", "A15.0"]  # one each
    assert all(p["system"] == "http://hl7.org/fhir/sid/icd-10" and p["display"] for p in problems)
    (shot,) = _of_type(document, "Immunization")
    codings = {c["system"]: c["code"] for c in shot["vaccineCode"]["coding"]}
    assert codings == {"http://snomed.info/sct": "871826000", "http://www.whocc.no/atc": "J07AM51",
                       ips.VACCINE_SYSTEM: "TD"}  # fmt: skip
    assert shot["protocolApplied"] == [{"doseNumberPositiveInt": 2}]
    labs = {o["code"]["text"]: o for o in _of_type(document, "Observation")}
    assert labs["Haemoglobin"]["code"]["coding"][0] == {"system": "http://loinc.org",
                                                       "code": "718-7", "display": "Haemoglobin"}  # fmt: skip
    assert labs["Haemoglobin"]["valueQuantity"] == {"value": 11.2, "unit": "g/dL",
                                                    "system": "http://unitsofmeasure.org", "code": "g/dL"}  # fmt: skip
    assert labs["HIV rapid test"]["valueString"] == "negative"
    (patient,) = _of_type(document, "Patient")
    assert [n["text"] for n in patient["name"]] == ["မောင်မောင်", "Maung Maung"]
    assert patient["gender"] == "male" and patient["birthDate"] == "1990-05-05"


def test_migration_status_never_leaves_in_the_summary(summary):
    _, document = summary
    text = json.dumps(document, ensure_ascii=False).lower()
    for word in ("migration", "reg_lab", "irregular", "undocumented", "asylum", "refugee"):
        assert word not in text


def test_markup_in_a_record_is_inert_in_the_narrative(people, register):
    person = register()
    create_record(people["clinician"], LabResult, person, {"site": "MSOT-CLIN",
                  "test": "<script>alert(1)</script>", "value": "1",
                  "collected_on": DAY.isoformat()})  # fmt: skip
    sections = ips.bundle(person)["entry"][0]["resource"]["section"]
    (results,) = [s for s in sections if s["code"]["coding"][0]["code"] == "30954-2"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in results["text"]["div"]
    assert "<script>" not in results["text"]["div"]


@pytest.mark.parametrize(
    ("damage", "fault"),
    [
        (lambda d: d["entry"].append(copy.deepcopy(d["entry"][1])), "2 Patient resources"),
        (lambda d: d["entry"].pop(0), "the first entry is not a Composition"),
        (lambda d: d["entry"].append(copy.deepcopy(d["entry"][0])),
         "a second Composition"),
        (lambda d: d["entry"][0]["resource"]["section"].pop(1), "the required section 48765-2 is missing"),
        (lambda d: d.update(type="collection"), "Bundle.type is not"),
    ],
)  # fmt: skip
def test_a_broken_bundle_names_its_fault(summary, damage, fault):
    _, document = summary
    broken = copy.deepcopy(document)
    damage(broken)
    assert any(f.startswith(fault) for f in ips_import.faults(broken)), ips_import.faults(broken)
    assert ips_import.faults({"resourceType": "Patient"}) == ["not a FHIR Bundle"]


def test_the_command_exports_the_summary_and_logs_the_read(summary, people, tmp_path):
    from django.core.management import CommandError, call_command

    from mhis.access.models import AccessLog

    person, _ = summary
    out = tmp_path / "ips.json"
    call_command("ips", "export", str(person.uuid), user="mae_sot_clinician", out=str(out))
    document = json.loads(out.read_text(encoding="utf-8"))
    assert ips_import.faults(document) == []
    assert len([e for e in document["entry"] if e["resource"]["resourceType"] == "Condition"]) == 2
    assert AccessLog.objects.filter(person=person, view="cli:ips-export").exists()
    with pytest.raises(CommandError, match="no person"):
        call_command("ips", "export", str(person.uuid), user="honduras_clinician")
