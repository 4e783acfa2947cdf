"""Real IPS documents from other systems (tests/fixtures/real/ips, see SOURCES.md): the
official IPS 2.0.0 examples and connectathon summaries from a dozen countries' systems.
Each is read once, with what it keeps per section, what it refuses and why; none gives a
500. Re-reading recognises the document or the patient; a NaN is never written."""

import collections
import copy
import datetime as dt
import html
import json
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from mhis.access.models import AccessLog
from mhis.care.models import LabResult
from mhis.care.records import create_record
from mhis.portable import ips, ips_import, links
from mhis.portable.models import ReceivedItem, ReceivedSummary
from mhis.portable.services import import_ips
from mhis.registry.models import Person

REAL = Path(__file__).resolve().parent / "fixtures" / "real" / "ips"

# file, kept entries per section (None: the bundle is refused whole), how many refusals or
# notes, and the first of them.
FILES = [
    ("connectathon/AR_Repository_Example_02.json", None, 1, "Bundle.timestamp is missing: a document says when it was assembled"),
    ("connectathon/AT_ELGA_GmbH_01.json", {"10160-0": 7, "11348-0": 3, "11369-6": 3, "11450-4": 2, "30954-2": 5, "48765-2": 1, "8716-3": 6}, 0, ""),
    ("connectathon/AU-example-sparked.json", {"10160-0": 4, "10162-6": 1, "11369-6": 6, "11450-4": 2, "48765-2": 1}, 0, ""),
    ("connectathon/BR_may2024_connectathon.json", None, 7, "Patient.name is missing: an IPS gives a text, family or given name"),
    ("connectathon/CA-IPS-Bundle1Example.json", {"10160-0": 1, "11450-4": 1, "48765-2": 1}, 0, ""),
    ("connectathon/CH_HL7CH_Examples_01.json", {"10160-0": 2, "11348-0": 1, "11369-6": 1, "11450-4": 1, "48765-2": 1}, 0, ""),
    ("connectathon/CY_249867.json", None, 1, "the required section 10160-0 is missing"),
    ("connectathon/CY_Peroni.json", {"10160-0": 2, "11369-6": 2, "11450-4": 4, "48765-2": 1}, 4,
     "Active Problems: Condition urn:uuid:1efd8e7a-fc4c-472a-82c3-e9f897999943 (MBD - Minimal brain dysfunction): the reference http://ehealthpass.gnomon.com.gr/hapi-fhir-jpaserver4/baseDstu3/Practitioner/eumfh-70-288-E resolves to no entry of the bundle; read without it"),
    ("connectathon/DE_no_info_with_Advance_Directive.json", {}, 1,
     "Advance Directives: Consent Consent/41765fc6-1f8f-4e5f-8370-d0d544b41ab2 refused: it is about Patient/gecco-patient, not the bundle's patient"),
    ("connectathon/DK_Jens_Villadsen_01.json", {"10160-0": 3, "11450-4": 3, "48765-2": 1}, 0, ""),
    ("connectathon/EU_Giorgio_Cangioli_01.json", {"10160-0": 3, "11450-4": 3, "48765-2": 1}, 0, ""),
    ("connectathon/HK_IPS_Sample_with_medication.json", {"10160-0": 1, "11450-4": 1, "48765-2": 2}, 0, ""),
    ("connectathon/NL_Curavista_01.json", {"10160-0": 2, "11450-4": 3, "30954-2": 3, "48765-2": 2}, 0, ""),
    ("connectathon/NZ_Peter_Jordan_AAA1234.json", {"10160-0": 1, "11369-6": 2, "11450-4": 1, "48765-2": 1}, 0, ""),
    ("connectathon/TW_Li-Hui_Lee_01-modified.json", None, 3, "the required section 10160-0 is missing"),
    ("connectathon/UK_NHSx_IPS_Example_01-modified.json", {"10160-0": 2, "11348-0": 1, "11450-4": 3, "48765-2": 1}, 1,
     "Active Problems: Condition Condition/Problem-E-Post-viral-cough (Postviral cough): the reference Encounter/Encounter2 resolves to no entry of the bundle; read without it"),
    ("connectathon/US_Epic_connectathon_May2024.json", {"10160-0": 2, "11369-6": 3, "11450-4": 4, "48765-2": 3}, 7,
     "Current Medications: MedicationRequest MedicationRequest/eEQl.knbqdVk5PWWogka6.tiWCjETyYdxRulsYBOlHbQ3: the reference Encounter/emM4l9XfOITYRElR9TydgWw3 resolves to no entry of the bundle; read without it"),
    ("official/Bundle-IPS-examples-Bundle-01.json", {"10160-0": 2, "11348-0": 1, "11450-4": 1, "30954-2": 3, "48765-2": 2}, 0, ""),
    ("official/Bundle-IPS-examples-Bundle-with-immunization.json", {"10160-0": 2, "11348-0": 1, "11369-6": 1, "11450-4": 1, "30954-2": 3, "48765-2": 2}, 0, ""),
    ("official/Bundle-bundle-ips-all-sections.json", {"10160-0": 3, "10162-6": 1, "104605-1": 1, "11348-0": 1, "11369-6": 8, "11450-4": 2, "18776-5": 1, "29762-2": 2, "30954-2": 6, "42348-3": 1, "46264-8": 1, "47420-5": 1, "47519-4": 1, "48765-2": 1, "81338-6": 1, "8716-3": 3}, 0, ""),
    ("official/Bundle-bundle-minimal.json", {"10160-0": 1, "11450-4": 1, "48765-2": 1}, 0, ""),
    ("official/Bundle-bundle-no-info-required-sections.json", {"11369-6": 2}, 0, ""),
]  # fmt: skip


def test_every_file_of_the_corpus_is_in_the_table():
    on_disk = {str(p.relative_to(REAL)) for p in REAL.glob("*/*.json")}
    assert on_disk == {name for name, *_ in FILES}
    assert len([n for n in on_disk if n.startswith("official/")]) == 5  # IPS 2.0.0's examples


def _referenced(document: dict) -> dict[str, int]:
    """Entries each section of the source points to, by section code."""
    out = {}
    for section in document["entry"][0]["resource"].get("section") or []:
        code = section["code"]["coding"][0]["code"]
        out[code] = out.get(code, 0) + len(section.get("entry") or [])
    return out


@pytest.mark.parametrize(("name", "kept", "refusals", "first"), FILES, ids=[f[0] for f in FILES])
def test_a_real_summary_is_read_once_with_what_it_keeps_and_refuses(
    name, kept, refusals, first, people
):
    raw = (REAL / name).read_bytes()
    people_before = Person.objects.count()
    if kept is None:
        with pytest.raises(ValidationError) as refused:
            import_ips(people["clinician"], raw, site="MSOT-CLIN")
        faults = refused.value.message_dict["bundle"]
        assert len(faults) == refusals and faults[0] == first
        assert Person.objects.count() == people_before and ReceivedSummary.objects.count() == 0
        return
    result = import_ips(people["clinician"], raw, site="MSOT-CLIN")
    assert result.matched == "new" and not result.already
    # The sender by name: a custodian, attester or author; never a resource type.
    assert result.summary.source.strip() and result.summary.source not in (
        "Device", "Organization", "Practitioner", "PractitionerRole", "unknown source")  # fmt: skip
    by_section = collections.Counter(
        ReceivedItem.objects.filter(summary=result.summary).values_list("section", flat=True)
    )
    assert dict(by_section) == kept
    assert len(result.refused) == refusals and (result.refused[:1] or [""])[0] == first
    assert result.summary.skipped == result.refused
    # Every entry the sender listed is kept or refused by name; nothing vanishes.
    entries_refused = collections.Counter(r.split(":")[0] for r in result.refused
                                          if "refused:" in r or ("resolves to no entry of the bundle" in r and "read without it" not in r))  # fmt: skip
    document = json.loads(raw)
    titles = {s["code"]["coding"][0]["code"]: s.get("title") for s in document["entry"][0]["resource"]["section"]}  # fmt: skip
    for code, count in _referenced(document).items():
        assert kept.get(code, 0) + entries_refused.get(titles[code], 0) == count, code
    # What is stored is JSON any reader takes (no NaN), and says where it came from.
    for item in ReceivedItem.objects.filter(summary=result.summary):
        json.dumps(item.resource, allow_nan=False)
    # Read again: recognised before anything is written, nothing changes.
    again = import_ips(people["clinician"], raw, site="MSOT-CLIN")
    assert again.already and again.summary == result.summary and again.person == result.person
    assert Person.objects.count() == people_before + 1
    assert ReceivedItem.objects.count() == sum(kept.values())


@pytest.mark.parametrize("name", [f[0] for f in FILES], ids=[f[0] for f in FILES])
def test_the_import_page_answers_every_real_file_without_a_500(name, client, people):
    client.force_login(people["clinician"])
    upload = SimpleUploadedFile("ips.json", (REAL / name).read_bytes(), "application/fhir+json")
    page = client.post("/record/import/", {"file": upload, "site": "MSOT-CLIN"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Traceback" not in text
    _, kept, _, first = next(f for f in FILES if f[0] == name)
    if kept is None:  # refused, the first fault named beside the file
        assert ReceivedSummary.objects.count() == 0 and html.escape(first, quote=True) in text
    else:
        assert "read from" in text and ReceivedSummary.objects.count() == 1


def test_the_austrian_panels_keep_their_56_member_values_and_the_medication_details(client, people):
    raw = (REAL / "connectathon/AT_ELGA_GmbH_01.json").read_bytes()
    document = json.loads(raw)
    index = ips._index(document)
    members = {
        m["reference"] for e in document["entry"] for m in e["resource"].get("hasMember", [])
    }
    valued = [index[m] for m in members if ips.value_text(index[m])]
    assert len(members) == 66 and len(valued) == 56
    result = import_ips(people["clinician"], raw, site="MSOT-CLIN")
    assert result.summary.source == "IPS Generator"  # the authoring Device's name, not "Device"
    contained = [
        c for item in result.summary.items.all() for c in item.resource.get("contained", [])
    ]
    observations = [c for c in contained if c["resourceType"] == "Observation"]
    assert sorted(ips.value_text(c) for c in observations if ips.value_text(c)) == sorted(
        ips.value_text(v) for v in valued
    )
    medications = [c for c in contained if c["resourceType"] == "Medication"]
    assert len(medications) == 7 and all(m.get("form") and m.get("ingredient") for m in medications)
    aspirin = next(i for i in result.summary.items.all() if i.text.startswith("ASPIRIN"))
    assert ips_import.details(aspirin.resource) == [
        ("Form", "Tablette"), ("Ingredient", "Acetylsalicylsäure"), ("Amount", "50 {Number}"),
        ("Dosage", "4; zum Einnehmen")]  # fmt: skip
    # Shown on the person's page, labelled, with a panel member's value.
    client.force_login(people["clinician"])
    page = client.get(f"/people/{result.person.uuid}/").content.decode()
    assert "Tablette" in page and "Acetylsalicylsäure" in page and "Ingredient:" in page
    member = next(c for c in observations if ips.value_text(c))
    assert "Member:" in page and ips.value_text(member) in page


def test_a_swiss_medication_keeps_its_strength_and_amount(people):
    raw = (REAL / "connectathon/CH_HL7CH_Examples_01.json").read_bytes()
    result = import_ips(people["clinician"], raw, site="MSOT-CLIN")
    triatec = next(i for i in result.summary.items.all() if i.text.startswith("TRIATEC"))
    assert ("Ingredient", "Ramipril 2.5 milligram/1 Tablet (unit of presentation)") in (
        ips_import.details(triatec.resource)
    )
    again = ips.bundle(result.person)  # re-exported as valid FHIR, the Medication contained
    bundle_model = pytest.importorskip("fhir.resources.R4B.bundle", reason="needs fhir.resources")
    bundle_model.Bundle.model_validate(again)
    statements = [e["resource"] for e in again["entry"] if e["resource"].get("contained")]
    assert any(c["resourceType"] == "Medication" for s in statements for c in s["contained"])


def test_the_same_patient_from_the_same_system_is_recognised_in_a_new_document(people):
    document = json.loads((REAL / "connectathon/EU_Giorgio_Cangioli_01.json").read_bytes())
    first = import_ips(people["clinician"], json.dumps(document), site="MSOT-CLIN")
    people_before = Person.objects.count()
    later = copy.deepcopy(document)  # a later summary: another document, the same patient
    later["identifier"]["value"] = "maria-ips-2"
    later["timestamp"] = "2025-01-01T10:00:00Z"
    second = import_ips(people["clinician"], json.dumps(later), site="MSOT-CLIN")
    assert second.matched == "known" and second.person == first.person
    assert second.already and second.known_entries == 7 and second.summary is None
    assert Person.objects.count() == people_before and ReceivedSummary.objects.count() == 1
    # The same identifier value from another system is somebody else.
    other = copy.deepcopy(later)
    other["identifier"]["value"] = "maria-ips-3"
    patient = next(
        e["resource"] for e in other["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    patient["identifier"][0]["system"] = "urn:oid:2.999.1"
    third = import_ips(people["clinician"], json.dumps(other), site="MSOT-CLIN")
    assert third.matched == "new" and third.person != first.person


def test_the_same_document_is_recognised_by_its_identifier_whatever_its_bytes(people):
    document = json.loads((REAL / "connectathon/NZ_Peter_Jordan_AAA1234.json").read_bytes())
    first = import_ips(people["clinician"], json.dumps(document), site="MSOT-CLIN")
    again = import_ips(people["clinician"], json.dumps(document, indent=4), site="MSOT-BRDG")
    assert again.already and again.matched == "document" and again.person == first.person
    assert ReceivedSummary.objects.count() == 1


def _with_a_lab_value(value) -> str:
    document = json.loads((REAL / "official/Bundle-IPS-examples-Bundle-01.json").read_bytes())
    results = next(s for s in document["entry"][0]["resource"]["section"]
                   if s["code"]["coding"][0]["code"] == "30954-2")  # fmt: skip
    target = ips._index(document)[results["entry"][0]["reference"]]
    target.pop("valueCodeableConcept", None)
    target.pop("hasMember", None)
    target["valueQuantity"] = {"value": value, "unit": "g/dL", "system": "http://unitsofmeasure.org", "code": "g/dL"}  # fmt: skip
    return json.dumps(document).replace('"__NaN__"', "NaN")


@pytest.mark.parametrize("value", ["__NaN__", "NaN", "-Infinity"])
def test_a_value_that_is_not_a_number_refuses_its_entry_only_naming_the_field(
    value, people, client
):
    text = _with_a_lab_value(value)
    assert "NaN" in text or "Infinity" in text
    result = import_ips(people["clinician"], text, site="MSOT-CLIN")
    (refusal,) = [r for r in result.refused if "not a finite number" in r]
    assert refusal.startswith("Results: Observation ") and refusal.endswith(
        "refused: Observation.valueQuantity.value is not a finite number"
    )
    assert result.summary.items.filter(section="30954-2").count() == 2  # the two others
    for item in ReceivedItem.objects.all():
        json.dumps(item.resource, allow_nan=False)
    client.force_login(people["clinician"])
    upload = SimpleUploadedFile("ips.json", text.encode().replace(b"Bundle-01", b"Bundle-X"))
    assert client.post("/record/import/", {"file": upload, "site": "MSOT-CLIN"}).status_code == 200


def test_a_not_a_number_in_the_patient_refuses_the_bundle_naming_the_field(people):
    document = json.loads((REAL / "official/Bundle-bundle-minimal.json").read_bytes())
    patient = next(
        e["resource"] for e in document["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    patient["multipleBirthInteger"] = "__NaN__"
    with pytest.raises(ValidationError) as refused:
        import_ips(
            people["clinician"], json.dumps(document).replace('"__NaN__"', "NaN"), site="MSOT-CLIN"
        )
    assert (
        "Patient.multipleBirthInteger is not a finite number"
        in refused.value.message_dict["bundle"]
    )
    assert ReceivedSummary.objects.count() == 0


def test_one_bad_reference_refuses_only_the_entry_that_depends_on_it(people):
    document = json.loads((REAL / "official/Bundle-IPS-examples-Bundle-01.json").read_bytes())
    sections = document["entry"][0]["resource"]["section"]
    problems = next(s for s in sections if s["code"]["coding"][0]["code"] == "11450-4")
    problems["entry"].append({"reference": "urn:uuid:not-in-this-bundle"})
    results = next(s for s in sections if s["code"]["coding"][0]["code"] == "30954-2")
    panel = next(ips._index(document)[e["reference"]] for e in results["entry"]
                 if ips._index(document)[e["reference"]].get("hasMember"))  # fmt: skip
    panel["hasMember"].append({"reference": "Observation/lost-member"})
    result = import_ips(people["clinician"], json.dumps(document), site="MSOT-CLIN")
    title = problems["title"]
    assert f"{title}: the entry urn:uuid:not-in-this-bundle resolves to no entry of the bundle" in (
        result.refused
    )
    assert any("refused: the reference Observation/lost-member resolves to no entry" in r
               for r in result.refused)  # fmt: skip
    kept = collections.Counter(result.summary.items.values_list("section", flat=True))
    assert kept == {"10160-0": 2, "11348-0": 1, "11450-4": 1, "30954-2": 2, "48765-2": 2}


def test_a_link_is_never_made_of_or_opened_on_a_summary_holding_nan(people, register):
    person = register(consents=[{"scope": "care", "given_on": "2026-01-15"},
                                {"scope": "sharing", "given_on": "2026-01-15"}])  # fmt: skip
    summary = ips.text(ips.bundle(person))
    spoiled = summary.replace('"gender"', '"multipleBirthInteger": NaN, "gender"', 1)
    with pytest.raises(ValidationError) as refused:
        links.create_link(people["clinician"], person.uuid, expires="30d", summary=spoiled)
    assert "NaN or Infinity" in refused.value.message_dict["summary"][0]
    # A link whose payload holds a NaN (made before this check) is refused when opened.
    link = links.create_link(people["clinician"], person.uuid, expires="30d")
    link.payload = links.encrypt(spoiled.encode(), links._unb64(link.key))
    link.save()
    with pytest.raises(ValidationError) as refused:
        links.open_link(links.uri(link, "https://mhis.example.org"))
    assert "multipleBirthInteger" in refused.value.message_dict["link"][0]


def _flat(node, path=""):
    """Every leaf of a JSON document by its path (list positions kept)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _flat(value, f"{path}.{key}" if path else key)
    elif isinstance(node, list):
        for n, value in enumerate(node):
            yield from _flat(value, f"{path}[{n}]")
    else:
        yield path, node


def test_round_trip_through_another_installation_lists_exactly_what_changes(people, register):
    """Our export, read by another installation, exported there again: what differs."""
    person = register(names=[{"text": "Naw Hsa"}], sex="female", birth_date="1994-03-02")
    create_record(people["clinician"], LabResult, person, {"site": "MSOT-CLIN", "test": "Haemoglobin",
                  "loinc": "718-7", "value": "10.4", "unit": "g/dL", "collected_on": "2026-11-02"})  # fmt: skip
    first = ips.bundle(person, now=dt.datetime(2026, 11, 3, 8, 0, tzinfo=dt.UTC))
    AccessLog.objects.all().delete()
    Person.objects.all().delete()  # the other installation knows nobody
    elsewhere = import_ips(people["clinician"], json.dumps(first), site="MSOT-BRDG")
    assert elsewhere.matched == "new" and elsewhere.summary.items.count() == 1
    second = ips.bundle(elsewhere.person, now=dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC))

    def leaves(document):
        urls = {e["fullUrl"]: f"entry[{n}]" for n, e in enumerate(document["entry"])}
        return {p: urls.get(v, v) for p, v in _flat(document)}

    before, after = leaves(first), leaves(second)
    changed = sorted(p for p in before.keys() & after.keys() if before[p] != after[p])
    assert changed == [
        "entry[0].resource.date",  # composed anew
        "entry[0].resource.section[3].text.div",  # the sender's name beside what it sent
        "entry[1].resource.identifier[0].value",  # the other installation's own record id
        "entry[2].resource.name",  # the author: the other installation's site
        "identifier.value",  # a new document
        "timestamp",
    ]
    div = "entry[0].resource.section[3].text.div"
    assert after[div] == before[div].replace(
        ", 2026-11-02<", ", 2026-11-02 (Mae Sot Migrant Clinic)<"
    )
    assert before["entry[2].resource.name"] != after["entry[2].resource.name"]
    # The site that performed the test goes back out by its name, no longer as an entry.
    assert sorted(before.keys() - after.keys()) == ["entry[3].resource.performer[0].reference"]
    assert after["entry[3].resource.performer[0].display"] == "Mae Sot Migrant Clinic"
    assert sorted(after.keys() - before.keys()) == []
    # There, its own export coming back is recognised as its own: nothing is written.
    back = import_ips(people["clinician"], json.dumps(second))
    assert back.matched == "identifier" and back.person == elsewhere.person
    assert back.already and back.known_entries == 1 and ReceivedSummary.objects.count() == 1


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d["entry"][0]["resource"]["section"][0].update(code="11450-4"),
        lambda d: d["entry"][1]["resource"].update(identifier="HN-1"),
        lambda d: d.update(entry="nothing"),
        lambda d: d["entry"][5]["resource"].update(code={"coding": "x"}),
    ],
)
def test_an_element_of_the_wrong_type_is_refused_by_name_never_a_500(damage, people, client):
    document = json.loads((REAL / "official/Bundle-IPS-examples-Bundle-01.json").read_bytes())
    damage(document)
    client.force_login(people["clinician"])
    upload = SimpleUploadedFile("ips.json", json.dumps(document).encode())
    page = client.post("/record/import/", {"file": upload, "site": "MSOT-CLIN"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "wrong type" in text or "read from" in text or "not a Composition" in text


def test_a_link_to_a_summary_with_received_medications_shows_their_details(
    client, people, register, settings
):
    settings.MHIS_PUBLIC_URL = "https://mhis.example.org"
    person = register(consents=[{"scope": "care", "given_on": "2026-01-15"},
                                {"scope": "sharing", "given_on": "2026-01-15"}])  # fmt: skip
    raw = (REAL / "connectathon/CH_HL7CH_Examples_01.json").read_bytes()
    import_ips(people["clinician"], raw, person_uuid=person.uuid)
    link = links.create_link(people["clinician"], person.uuid, expires="30d")
    page = client.post("/shl/view/", {"link": links.viewer_url(link, "https://mhis.example.org")})
    text = page.content.decode()
    assert page.status_code == 200
    assert "TRIATEC Tabl 2.5 mg" in text  # the medication's name, from the Medication contained
    assert (
        "Ramipril 2.5 milligram/1 Tablet (unit of presentation)" in text and "Ingredient:" in text
    )


def test_a_patient_name_of_the_wrong_shape_is_a_named_fault_not_a_500(people):
    document = json.loads((REAL / "official/Bundle-bundle-minimal.json").read_bytes())
    patient = next(
        e["resource"] for e in document["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    patient["name"] = [{"given": "Anna", "family": 7}]  # given must be a list, family text
    with pytest.raises(ValidationError) as refused:
        import_ips(people["clinician"], json.dumps(document), site="MSOT-CLIN")
    assert refused.value.message_dict["bundle"] == [
        "Patient.name is missing: an IPS gives a text, family or given name"
    ]
    patient["name"] = [{"given": ["Anna", 3], "family": "Lopez"}]  # the good parts are read
    result = import_ips(people["clinician"], json.dumps(document), site="MSOT-CLIN")
    assert result.person.display_name == "Anna Lopez"


def test_our_entries_back_home_through_another_record_are_recognised_not_relabelled(
    people, register
):
    """Home exports; another place reads it into its own record of the person and exports
    that; home reads it back into its record: every entry is home's own, nothing is written."""
    home = register(names=[{"text": "Naw Hsa"}], sex="female", birth_date="1994-03-02")
    create_record(people["clinician"], LabResult, home, {"site": "MSOT-CLIN", "test": "Haemoglobin",
                  "loinc": "718-7", "value": "10.4", "unit": "g/dL", "collected_on": "2026-11-02"})  # fmt: skip
    away = register(names=[{"text": "Naw Hsa"}], sex="female", birth_date="1994-03-02")
    there = import_ips(people["clinician"], json.dumps(ips.bundle(home)), person_uuid=away.uuid)
    assert there.matched == "chosen" and there.summary.items.count() == 1
    back = import_ips(people["clinician"], json.dumps(ips.bundle(away)), person_uuid=home.uuid)
    assert back.already and back.summary is None and back.known_entries == 1
    assert ReceivedSummary.objects.filter(person=home).count() == 0  # not relabelled as "away"


def test_a_lab_value_nan_never_leaves_in_a_link(people, register):
    """Whatever the export makes of a lab value "NaN", no link carries a bare NaN."""
    person = register(consents=[{"scope": "care", "given_on": "2026-01-15"},
                                {"scope": "sharing", "given_on": "2026-01-15"}])  # fmt: skip
    create_record(people["clinician"], LabResult, person, {"site": "MSOT-CLIN", "test": "Glucose",
                  "value": "NaN", "unit": "mmol/L", "collected_on": "2026-11-02"})  # fmt: skip
    try:
        link = links.create_link(people["clinician"], person.uuid, expires="30d")
    except ValidationError as refused:
        assert "NaN or Infinity" in refused.message_dict["summary"][0]
        assert "valueQuantity.value" in refused.message_dict["summary"][0]
    else:
        served = links.decrypt(link.payload, links._unb64(link.key)).decode()
        json.loads(served, parse_constant=lambda name: pytest.fail(f"{name} in the link"))


def test_component_values_are_kept_and_shown(client, people):
    raw = (REAL / "official/Bundle-bundle-ips-all-sections.json").read_bytes()
    result = import_ips(people["clinician"], raw, site="MSOT-CLIN")
    panel = result.summary.items.get(text__startswith="Blood pressure panel")
    assert [c["code"]["coding"][0]["code"] for c in panel.resource["component"]] == [
        "8480-6",
        "8462-4",
    ]
    assert ips_import.details(panel.resource) == [
        ("Component", "Systolic blood pressure: 140 mmHg"),
        ("Component", "Diastolic blood pressure: 80 mmHg"),
    ]
    client.force_login(people["clinician"])
    page = client.get(f"/people/{result.person.uuid}/").content.decode()
    assert "Component:</span> Systolic blood pressure: 140 mmHg" in page
