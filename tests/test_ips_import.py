"""Reading an International Patient Summary another system produced: the round trip, the
bundles refused with nothing written, sanitised narratives, and the official examples."""

import copy
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from mhis.access.models import AccessLog
from mhis.care.models import Immunisation, LabResult, Referral
from mhis.care.records import create_record
from mhis.care.services import record_encounter, refer
from mhis.portable import ips, ips_import
from mhis.portable.models import ReceivedItem, ReceivedSummary
from mhis.portable.services import import_ips, received_summaries
from mhis.registry.models import Person

DAY = dt.date(2026, 11, 2)
ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "tests" / "fixtures" / "real" / "ips" / "official"  # hl7.fhir.uv.ips 2.0.0, CC0


@pytest.fixture
def person(people, register):
    clinician = people["clinician"]
    person = register(names=[{"text": "နော်ဆာ", "latin": "Naw Hsa"}], sex="female",
                      birth_date="1994-03")  # fmt: skip
    for code in ("A15.0", "O24.4"):
        record_encounter(clinician, person, {"site": "MSOT-CLIN", "kind": "consultation",
                                             "date": DAY.isoformat(), "diagnoses": [{"code": code}]})  # fmt: skip
    create_record(clinician, Immunisation, person, {"site": "MSOT-CLIN", "vaccine": "TD",
                  "dose_number": 1, "date": DAY.isoformat(), "lot": "L-7"})  # fmt: skip
    create_record(clinician, LabResult, person, {"site": "MSOT-CLIN", "test": "Haemoglobin",
                  "loinc": "718-7", "value": "10.4", "unit": "g/dL", "reference_range": "12-16",
                  "collected_on": DAY.isoformat()})  # fmt: skip
    create_record(clinician, LabResult, person, {"site": "MSOT-CLIN", "test": "Sputum smear",
                  "value": "positive", "collected_on": DAY.isoformat()})  # fmt: skip
    refer(clinician, person, {"site": "MSOT-CLIN", "kind": "tb_continuation",
                    "reason": "Continue TB treatment", "to_facility": "Myawaddy Hospital",
                    "to_country": "MM", "sent_on": DAY.isoformat(),
                    "due_on": (DAY + dt.timedelta(days=14)).isoformat()})  # fmt: skip
    return person


def clinical_content(document: dict) -> dict:
    """Each section's entries as they say things, without ids, references or narratives:
    what must survive a trip through another instance."""

    def strip(node):
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if k not in ("reference", "id", "meta", "text")
                    or (k == "text" and isinstance(v, str))}  # fmt: skip
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    resources = {e["fullUrl"]: e["resource"] for e in document["entry"]}
    out = {}
    for section in document["entry"][0]["resource"]["section"]:
        code = section["code"]["coding"][0]["code"]
        out[code] = sorted(json.dumps(strip(resources[ref["reference"]]), sort_keys=True)
                           for ref in section.get("entry", []))  # fmt: skip
    patient = next(r for r in resources.values() if r["resourceType"] == "Patient")
    out["patient"] = [json.dumps({k: patient.get(k) for k in ("name", "gender", "birthDate")})]
    return out


def empty_the_registry():
    """What another instance would hold of these people: nothing."""
    AccessLog.objects.all().delete()
    Person.objects.all().delete()


def test_round_trip_through_an_empty_instance_keeps_the_clinical_content(person, people):
    first = ips.bundle(person)
    assert {s["code"]["coding"][0]["code"] for s in first["entry"][0]["resource"]["section"]} >= {
        "11450-4", "11369-6", "30954-2", "18776-5"}  # fmt: skip
    text = json.dumps(first, ensure_ascii=False)
    empty_the_registry()

    result = import_ips(people["clinician"], text, site="MSOT-CLIN")

    assert result.matched == "new"
    again = ips.bundle(result.person)
    assert ips_import.faults(again) == []
    assert clinical_content(again) == clinical_content(first)
    assert result.person.display_name == "နော်ဆာ" and result.person.display_latin == "Naw Hsa"
    assert str(result.person.birth_date) == "1994-03-01" and result.person.birth_date_precision == "month"  # fmt: skip


def test_our_own_export_coming_back_is_recognised_as_ours_and_writes_nothing(person, people):
    document = ips.bundle(person)
    entries = sum(len(s.get("entry", [])) for s in document["entry"][0]["resource"]["section"])
    people_before = Person.objects.count()
    back = import_ips(people["clinician"], json.dumps(document))
    assert back.matched == "identifier" and back.person == person
    assert back.already and back.summary is None and back.known_entries == entries == 6
    assert ReceivedSummary.objects.count() == 0 and ReceivedItem.objects.count() == 0
    assert Person.objects.count() == people_before  # not a new person
    # Chosen by hand for the same person, it is recognised all the same.
    again = import_ips(people["clinician"], json.dumps(ips.bundle(person)), person_uuid=person.uuid)
    assert again.already and again.known_entries == entries and ReceivedSummary.objects.count() == 0


def test_our_export_with_an_entry_added_elsewhere_keeps_only_that_entry(person, people):
    document = ips.bundle(person)
    added = {"fullUrl": "urn:uuid:5b0e7e4a-0000-4000-8000-0000000000aa",
             "resource": {"resourceType": "AllergyIntolerance", "code": {"text": "Penicillin"},
                          "patient": {"reference": document["entry"][1]["fullUrl"]}}}  # fmt: skip
    document["entry"].append(added)
    allergies = next(s for s in document["entry"][0]["resource"]["section"]
                     if s["code"]["coding"][0]["code"] == "48765-2")  # fmt: skip
    allergies.pop("emptyReason")
    allergies["entry"] = [{"reference": added["fullUrl"]}]
    back = import_ips(people["clinician"], json.dumps(document))
    assert back.matched == "identifier" and not back.already and back.known_entries == 6
    assert [i.text for i in back.summary.items.all()] == ["Penicillin"]
    again = import_ips(people["clinician"], json.dumps(document))  # the same document
    assert again.already and again.summary == back.summary and ReceivedItem.objects.count() == 1


def test_a_person_of_ours_outside_the_users_places_is_refused_not_registered_again(person, people):
    text = json.dumps(ips.bundle(person))
    before = Person.objects.count()
    with pytest.raises(ValidationError) as refused:
        import_ips(people["hn_clinician"], text, site="SPS-CAMR")
    assert "place outside yours" in refused.value.message_dict["person"][0]
    assert Person.objects.count() == before and ReceivedSummary.objects.count() == 0


@pytest.mark.parametrize(
    ("damage", "fault"),
    [
        (lambda d: d["entry"].append(copy.deepcopy(d["entry"][1])), "2 Patient resources"),
        (lambda d: d["entry"].pop(0), "the first entry is not a Composition"),
        (lambda d: d["entry"].append(copy.deepcopy(d["entry"][0])), "a second Composition"),
        (lambda d: d.pop("identifier"), "Bundle.identifier is missing"),
        (lambda d: d.pop("timestamp"), "Bundle.timestamp is missing"),
        (lambda d: d["entry"][0]["resource"]["section"][0].pop("text"), "the section 11450-4 (Problems) has no text"),
        (lambda d: d["entry"][1]["resource"].pop("birthDate"), "Patient.birthDate is missing"),
        (lambda d: d["entry"][0]["resource"].update(subject={"reference": "urn:uuid:someone-else"}),
         "Composition.subject (urn:uuid:someone-else) is not the bundle's Patient"),
    ],
)  # fmt: skip
def test_a_broken_bundle_is_refused_naming_the_fault_and_nothing_is_written(
    person, people, damage, fault
):
    document = ips.bundle(person)
    empty_the_registry()
    damage(document)
    with pytest.raises(ValidationError) as refused:
        import_ips(people["clinician"], json.dumps(document), site="MSOT-CLIN")
    assert any(m.startswith(fault) for m in refused.value.message_dict["bundle"])
    assert Person.objects.count() == 0 and ReceivedSummary.objects.count() == 0


def test_a_file_that_is_not_json_is_refused_naming_the_file(people):
    with pytest.raises(ValidationError) as refused:
        import_ips(people["clinician"], b'{"resourceType": "Bundle",', site="MSOT-CLIN")
    assert "not JSON" in refused.value.message_dict["file"][0]


def test_a_new_person_needs_a_site_in_the_users_places(person, people):
    text = json.dumps(ips.bundle(person))
    empty_the_registry()
    for site in (None, "SPS-CAMR"):  # two sites in scope, or one outside it
        with pytest.raises(ValidationError) as refused:
            import_ips(people["clinician"], text, site=site)
        assert {"site", "registration_site"} & set(refused.value.message_dict)
    assert Person.objects.count() == 0


def test_outside_narrative_is_sanitised_and_items_show_their_source(person, people, register):
    document = ips.bundle(person)
    composition = document["entry"][0]["resource"]
    composition["section"][0]["text"]["div"] = (
        '<div xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script>'
        '<p onclick="steal()">Tuberculosis</p><a href="javascript:steal()">x</a></div>'
    )
    document["entry"].append({"fullUrl": "urn:uuid:5b0e7e4a-0000-4000-8000-000000000001",
                              "resource": {"resourceType": "Organization", "name": "Hospital Escuela"}})  # fmt: skip
    composition["custodian"] = {"reference": "urn:uuid:5b0e7e4a-0000-4000-8000-000000000001"}
    other = register()
    imported = import_ips(people["clinician"], json.dumps(document), person_uuid=other.uuid)
    assert imported.matched == "chosen" and imported.summary.source == "Hospital Escuela"
    (shown,) = received_summaries(people["clinician"], other)
    narrative = shown["sections"][0]["narrative"]
    assert "Tuberculosis" in narrative
    for inert in ("<script", "onclick", "javascript:"):
        assert inert not in narrative
    # Re-exported, what came from elsewhere says where it came from.
    again = ips.bundle(other)
    problems = next(s for s in again["entry"][0]["resource"]["section"]
                    if s["code"]["coding"][0]["code"] == "11450-4")  # fmt: skip
    assert "(Hospital Escuela)" in problems["text"]["div"]


def test_a_new_person_is_offered_possible_matches(person, people):
    document = ips.bundle(person)
    patient = next(e["resource"] for e in document["entry"] if e["resource"]["resourceType"] == "Patient")  # fmt: skip
    patient["identifier"] = [{"system": "urn:oid:1.2.3", "value": "HN-4471"}]  # not one of ours
    imported = import_ips(people["clinician"], json.dumps(document), site="MSOT-BRDG")
    assert imported.matched == "new" and imported.person != person
    assert person in imported.possible_matches


def test_the_open_referral_is_in_the_plan_of_care(person):
    document = ips.bundle(person)
    plan = next(s for s in document["entry"][0]["resource"]["section"]
                if s["code"]["coding"][0]["code"] == "18776-5")  # fmt: skip
    (ref,) = plan["entry"]
    request = next(e["resource"] for e in document["entry"] if e["fullUrl"] == ref["reference"])
    assert request["resourceType"] == "ServiceRequest" and request["status"] == "active"
    assert request["performer"] == [{"display": "Myawaddy Hospital (MM)"}]
    Referral.objects.filter(person=person).update(status="closed")
    sections = ips.bundle(person)["entry"][0]["resource"]["section"]
    assert "18776-5" not in {s["code"]["coding"][0]["code"] for s in sections}


def _examples():
    if not EXAMPLES.is_dir():
        return []
    return sorted(EXAMPLES.glob("Bundle-*.json"))


@pytest.mark.parametrize("path", _examples(), ids=lambda p: p.stem)
def test_every_official_ips_example_imports_and_re_exports(path, people, register):
    document = json.loads(path.read_text(encoding="utf-8"))
    imported = import_ips(people["clinician"], path.read_bytes(), site="MSOT-CLIN")
    assert imported.matched == "new"
    again = ips.bundle(imported.person)
    assert ips_import.faults(again) == []
    before = {}  # every clinical entry comes back; a social history, a story or an alert never
    resources = ips._index(document)
    for section in document["entry"][0]["resource"]["section"]:
        code = section["code"]["coding"][0]["code"]
        entries = [resources[e["reference"]] for e in section.get("entry", [])]
        kinds = sorted(r["resourceType"] for r in entries if ips.clinical(code, r))
        if kinds:
            before[code] = kinds
    after = {}
    for section in again["entry"][0]["resource"]["section"]:
        code = section["code"]["coding"][0]["code"]
        refs = [e["reference"] for e in section.get("entry", [])]
        kinds = sorted(ips._index(again)[r]["resourceType"] for r in refs)
        if kinds:
            after[code] = kinds
    assert after == before
    bundle_model = pytest.importorskip("fhir.resources.R4B.bundle", reason="needs fhir.resources")
    bundle_model.Bundle.model_validate(again)


def test_the_page_reads_an_uploaded_summary_and_the_person_page_shows_its_source(
    client, person, people, register
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    other = register()
    document = ips.bundle(person)
    client.force_login(people["clinician"])
    upload = SimpleUploadedFile("ips.json", json.dumps(document).encode(), "application/fhir+json")
    page = client.post("/record/import/", {"person": str(other.uuid), "file": upload,
                                           "source": "Myawaddy Hospital"})  # fmt: skip
    assert page.status_code == 200 and "entries read from Myawaddy Hospital" in page.content.decode()  # fmt: skip
    detail = client.get(f"/people/{other.uuid}/").content.decode()
    assert "From other providers" in detail and "from Myawaddy Hospital" in detail
    assert "Tuberculosis" in detail  # A15.0, as the sender coded it
    broken = SimpleUploadedFile("ips.json", b'{"resourceType": "Bundle", "type": "document"}')
    page = client.post("/record/import/", {"person": str(other.uuid), "file": broken})
    assert "the first entry is not a Composition" in page.content.decode()


def test_the_command_reads_a_summary_and_names_its_faults(person, people, tmp_path):
    from django.core.management import CommandError, call_command

    path = tmp_path / "ips.json"
    document = ips.bundle(person)
    path.write_text(json.dumps(document), encoding="utf-8")
    out = io.StringIO()
    call_command("ips", "import", str(path), user="mae_sot_clinician", stdout=out)
    assert f"matched to {person.uuid}" in out.getvalue()
    document["entry"].append(copy.deepcopy(document["entry"][1]))
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(CommandError, match="bundle: 2 Patient resources"):
        call_command("ips", "import", str(path), user="mae_sot_clinician", stdout=io.StringIO())


def test_an_upload_over_the_limit_is_refused_naming_the_limit(client, people, monkeypatch):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from mhis.portable.forms import ImportForm

    monkeypatch.setattr(ImportForm.base_fields["file"], "max_bytes", 2 * 2**20)
    client.force_login(people["clinician"])
    big = SimpleUploadedFile("ips.json", b" " * (2 * 2**20 + 1))
    page = client.post("/record/import/", {"file": big, "site": "MSOT-CLIN"}).content.decode()
    assert "larger than 2 MB" in page
    assert ReceivedSummary.objects.count() == 0
