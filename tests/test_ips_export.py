"""What the exported summary says of a person's care, said honestly: a diagnosis is not
called active nor dated from its encounter, vaccines carry SNOMED CT and WHO ATC codes
beside MHIS's, lab values their UCUM unit and the site that performed them, an unknown
birth date is said unknown, and no number JSON cannot hold is ever written."""

import datetime as dt
import json
import os
import re
from pathlib import Path

import pytest

from mhis.care.models import Immunisation, LabResult
from mhis.care.records import create_record
from mhis.care.services import record_encounter
from mhis.care.vaccines import VACCINES
from mhis.portable import ips, ips_import
from mhis.portable.terminology import ATC, SNOMED, UCUM, VACCINE_CODES, ucum

DAY = dt.date(2026, 11, 2)
ROOT = Path(__file__).parents[1]
PACKAGE = Path(os.environ.get("MHIS_IPS_PACKAGE", ROOT / ".cache" / "hl7.fhir.uv.ips")) / "package"


def _of_type(document, kind):
    return [e["resource"] for e in document["entry"] if e["resource"]["resourceType"] == kind]


def _lab(people, person, value, unit="", site="MSOT-CLIN"):
    create_record(people["clinician"], LabResult, person, {"site": site, "test": "Haemoglobin",
                  "loinc": "718-7", "value": value, "unit": unit, "collected_on": DAY.isoformat()})  # fmt: skip


def test_a_diagnosis_is_not_called_active_nor_dated_from_its_encounter(people, register):
    person = register()
    record_encounter(people["clinician"], person, {"site": "MSOT-CLIN", "kind": "consultation",
                     "date": "2019-03-04", "diagnoses": [{"code": "A09.0"}]})  # fmt: skip
    (condition,) = _of_type(ips.bundle(person), "Condition")
    assert "clinicalStatus" not in condition
    assert not any(key.startswith("onset") for key in condition)
    assert condition["recordedDate"] == "2019-03-04"


def test_every_vaccine_code_has_a_snomed_or_atc_coding_beside_the_local_one():
    assert set(VACCINE_CODES) == set(VACCINES)
    atc_root = "J07"  # the IPS's WHO ATC vaccine value set: descendants of J07
    atc_set = PACKAGE / "ValueSet-vaccines-whoatc-uv-ips.json"
    if atc_set.is_file():  # read from the IPS 2.0.0 package when it is here
        (include,) = json.loads(atc_set.read_text(encoding="utf-8"))["compose"]["include"]
        assert include["system"] == ATC
        (rule,) = include["filter"]
        assert rule["op"] == "descendent-of"
        atc_root = rule["value"]
    for code, (snomed, atc) in VACCINE_CODES.items():
        assert snomed or atc, code
        if snomed:
            assert snomed[0].isdigit() and "vaccine product" in snomed[1].lower(), code
        if atc:
            assert atc[0].startswith(atc_root) and atc[0] != atc_root, code


def test_the_immunization_carries_the_international_codes(people, register):
    person = register()
    create_record(people["clinician"], Immunisation, person, {"site": "MSOT-CLIN",
                  "vaccine": "MMR", "dose_number": 1, "date": DAY.isoformat()})  # fmt: skip
    (shot,) = _of_type(ips.bundle(person), "Immunization")
    systems = [c["system"] for c in shot["vaccineCode"]["coding"]]
    assert systems == [SNOMED, ATC, ips.VACCINE_SYSTEM]
    assert shot["vaccineCode"]["coding"][1]["code"] == "J07BD52"


@pytest.mark.parametrize(("typed", "code"), [("g/dL", "g/dL"), ("cells/µL", "/uL"),
                         ("x10^9/L", "10*9/L"), ("mmol/l", "mmol/L"), ("copies/mL", "{copies}/mL"),
                         ("bananas", None)])  # fmt: skip
def test_units_as_typed_are_given_their_ucum_code(typed, code):
    assert ucum(typed) == code


def test_a_lab_value_has_its_ucum_unit_and_the_performing_site(people, register):
    person = register()
    _lab(people, person, "11.2", "g/dL")
    _lab(people, person, "3", "bananas", site="MSOT-BRDG")
    document = ips.bundle(person)
    first, second = _of_type(document, "Observation")
    assert first["valueQuantity"] == {"value": 11.2, "unit": "g/dL", "system": UCUM, "code": "g/dL"}
    assert second["valueQuantity"] == {"value": 3.0, "unit": "bananas"}  # no code invented
    organisations = {e["fullUrl"]: e["resource"]["name"] for e in document["entry"]
                     if e["resource"]["resourceType"] == "Organization"}  # fmt: skip
    assert organisations[first["performer"][0]["reference"]] == "Mae Sot Migrant Clinic"
    assert organisations[second["performer"][0]["reference"]] != "Mae Sot Migrant Clinic"
    assert ips_import.faults(document) == []


@pytest.mark.parametrize("value", ["NaN", "nan", "inf", "-Infinity"])
def test_a_non_finite_lab_value_is_said_absent_never_written_as_a_number(people, register, value):
    person = register()
    _lab(people, person, value, "g/dL")
    document = ips.bundle(person)
    (observation,) = _of_type(document, "Observation")
    assert "valueQuantity" not in observation
    assert observation["dataAbsentReason"]["coding"][0]["code"] == "error"
    text = ips.text(document)  # strict JSON: would raise on a NaN or an Infinity
    assert not re.search(r"\":\s*-?(NaN|Infinity)\b", text)  # a bare number after a key
    json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} written"))
    assert ips.describe(observation)[0] == f"Haemoglobin: {value}"  # shown as recorded


def test_serialising_a_non_finite_number_is_refused():
    with pytest.raises(ValueError):
        ips.text({"resourceType": "Bundle", "value": float("nan")})


def test_an_unknown_birth_date_is_said_unknown_and_a_partial_one_keeps_its_precision(register):
    unknown = register(birth_date=None)
    (patient,) = _of_type(ips.bundle(unknown), "Patient")
    assert "birthDate" not in patient
    assert patient["_birthDate"]["extension"] == [
        {
            "url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason",
            "valueCode": "unknown",
        }
    ]
    for recorded in ("1991-04", "1991", "1991-04-05"):
        (patient,) = _of_type(ips.bundle(register(birth_date=recorded)), "Patient")
        assert patient["birthDate"] == recorded and "_birthDate" not in patient


def test_the_export_validates_as_fhir_r4(people, register):
    bundle_model = pytest.importorskip("fhir.resources.R4B.bundle", reason="needs fhir.resources")
    person = register(birth_date=None)
    _lab(people, person, "NaN", "g/dL")
    _lab(people, person, "5.1", "mmol/L")
    create_record(people["clinician"], Immunisation, person, {"site": "MSOT-CLIN",
                  "vaccine": "PENTA", "dose_number": 1, "date": DAY.isoformat()})  # fmt: skip
    document = json.loads(ips.text(ips.bundle(person)))
    bundle_model.Bundle.model_validate(document)
    assert ips_import.faults(document) == []


def test_the_export_meets_the_ips_profiles_cardinalities(people, register):
    """Against the IPS 2.0.0 StructureDefinitions (the npm package `make ips-examples` brings):
    each top-level element the profile requires (min >= 1) is present."""
    if not (PACKAGE / "StructureDefinition-Condition-uv-ips.json").is_file():
        pytest.skip(f"the IPS 2.0.0 package is not at {PACKAGE} (make ips-examples fetches it)")
    person = register(birth_date=None)
    record_encounter(people["clinician"], person, {"site": "MSOT-CLIN", "kind": "consultation",
                     "date": DAY.isoformat(), "diagnoses": [{"code": "A09.0"}]})  # fmt: skip
    _lab(people, person, "11.2", "g/dL")
    create_record(people["clinician"], Immunisation, person, {"site": "MSOT-CLIN",
                  "vaccine": "BCG", "dose_number": 1, "date": DAY.isoformat()})  # fmt: skip
    document = ips.bundle(person)
    profiles = {"Condition": "Condition-uv-ips", "Immunization": "Immunization-uv-ips",
                "Observation": "Observation-results-laboratory-pathology-uv-ips",
                "Patient": "Patient-uv-ips", "Organization": "Organization-uv-ips"}  # fmt: skip
    for kind, profile in profiles.items():
        path = PACKAGE / f"StructureDefinition-{profile}.json"
        if not path.is_file():
            continue
        definition = json.loads(path.read_text(encoding="utf-8"))
        required = {
            e["path"].split(".", 1)[1]
            for e in definition["snapshot"]["element"]
            if e["path"].count(".") == 1 and e.get("min", 0) >= 1 and ":" not in e["id"]
        }
        for resource in _of_type(document, kind):
            present = {k.removeprefix("_") for k in resource}
            present |= {k[: k.index("[")] if "[" in k else k for k in present}
            for element in required:
                name = element.replace("[x]", "")
                assert any(k.startswith(name) for k in present), (kind, element)


@pytest.mark.parametrize(
    ("device", "shown"),
    [
        ({"deviceName": [{"name": "MedSync 4.2", "type": "model-name"},
                         {"name": "Clinic tablet app", "type": "user-friendly-name"}]},
         "Clinic tablet app"),
        ({"manufacturer": "Acme Health", "modelNumber": "PS-1"}, "Acme Health PS-1"),
        ({"type": {"text": "Patient summary generator"}}, "Patient summary generator"),
        ({}, "an unnamed system"),
    ],
)  # fmt: skip
def test_a_device_authored_summary_names_the_device_not_the_word_device(register, device, shown):
    from mhis.portable import display

    document = ips.bundle(register())
    composition = document["entry"][0]["resource"]
    composition["author"] = [{"reference": "urn:uuid:device-1"}]
    document["entry"].append({"fullUrl": "urn:uuid:device-1",
                              "resource": {"resourceType": "Device", **device}})  # fmt: skip
    assert ips_import.faults(document) == []
    assert display.authors(document) == [shown]
    if device:  # the source kept on import reads the same
        assert ips_import.read(document).source == shown


def test_an_organisation_author_is_shown_by_its_name(register):
    from mhis.portable import display

    assert display.authors(ips.bundle(register())) == ["Mae Sot Migrant Clinic"]


def test_a_received_non_finite_value_is_said_absent_when_sent_on():
    """A value another system sent as NaN (Python's reader takes it; the database refuses to
    keep it) is never sent on as a bare NaN: the quantity is said absent, any other such
    number left out."""
    resource = {"resourceType": "Observation", "status": "final", "code": {"text": "Hb"},
                "valueQuantity": {"value": float("nan"), "unit": "g/dL"},
                "component": [{"code": {"text": "x"}, "valueQuantity": {"value": float("inf")}},
                              {"code": {"text": "y"}, "valueQuantity": {"value": 2.5}}],
                "extension": [{"url": "urn:x", "valueDecimal": float("-inf")}]}  # fmt: skip
    sent = json.loads(ips.text(ips.finite(resource)))  # ips.text refuses NaN and infinity
    assert "valueQuantity" not in sent and sent["dataAbsentReason"]["coding"][0]["code"] == "error"
    assert (
        "valueQuantity" not in sent["component"][0] and "dataAbsentReason" in sent["component"][0]
    )
    assert sent["component"][1]["valueQuantity"] == {"value": 2.5}
    assert sent["extension"] == [{"url": "urn:x"}]


def test_a_real_device_authored_summary_names_its_generator():
    """Austria's ELGA connectathon summary: its only author is a Device, "IPS Generator"."""
    from mhis.portable import display

    path = (
        Path(__file__).parent
        / "fixtures"
        / "real"
        / "ips-export"
        / "AT_ELGA_GmbH_01-device-author.json"
    )
    document = json.loads(path.read_text(encoding="utf-8"))
    assert ips_import.faults(document) == []
    assert display.authors(document) == ["IPS Generator"]
    reading = ips_import.read(document)
    assert reading.source == "IPS Generator"
    assert {item["resource_type"] for item in reading.items} >= {"Condition", "MedicationStatement"}
