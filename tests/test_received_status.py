"""Summaries received from other systems and migration status.

What another system wrote of a person's life — a social history ("Migration status: asylum
seeker"), the patient's story, an alert, an Observation of the social-history category wherever
it was filed — is shown only to roles that see migration status, and never leaves again in
MHIS's own summary (the JSON export, the printed summary, SMART Health Links), whoever makes
it. The clinical sections of the same summary are shown to every role that reads people, and
carried on as before.
"""

from __future__ import annotations

import io
import json

import pytest

from mhis.access.policy import Can, roles_with
from mhis.access.services import create_user
from mhis.care.services import record_encounter
from mhis.portable import ips, links
from mhis.portable.services import export_ips, import_ips, received_summaries

BLIND = sorted(roles_with(Can.READ_PERSON) - roles_with(Can.SEE_MIGRATION_STATUS))
STATUS = "Asylum seeker (UNHCR case 555-22C00123)"
SHARING = [{"scope": "care", "given_on": "2026-01-15"}, {"scope": "sharing", "given_on": "2026-01-15"}]  # fmt: skip


def _blind(role, world):
    return create_user(username=f"blind_{role}", password=None, role=role, places=[world["TH"]])


def _observation(subject: dict, text: str, value: str, category: str | None = None) -> dict:
    resource = {"resourceType": "Observation", "status": "final", "code": {"text": text},
                "valueString": value, "subject": subject}  # fmt: skip
    if category:
        resource["category"] = [{"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": category}]}]  # fmt: skip
    return resource


def _section(code: str, title: str, narrative: str, refs: list[str]) -> dict:
    return {
        "title": title,
        "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
        "text": {"status": "generated",
                 "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{narrative}</div>'},
        "entry": [{"reference": ref} for ref in refs],
    }  # fmt: skip


def _read_in(clinician, person, *, filed_under_results: bool = False) -> None:
    """A pre-departure assessment another system sent, read into the person's record: a
    tuberculosis diagnosis (problems), a haemoglobin result, and the person's migration status
    — in a social history, a patient's story and an alert, or, with `filed_under_results`, as
    a social-history Observation in the results section."""
    bundle = json.loads(export_ips(clinician, person.uuid))
    composition = bundle["entry"][0]["resource"]
    subject = composition["subject"]
    refs = {name: f"urn:uuid:3d9c5e0a-1111-4222-8333-44445555666{i}"
            for i, name in enumerate(("status", "story", "flag", "lab"))}  # fmt: skip
    lab = _observation(subject, "Haemoglobin", "10.4 g/dL", "laboratory")
    bundle["entry"].append({"fullUrl": refs["lab"], "resource": lab})
    if filed_under_results:
        status = _observation(subject, "Migration status", STATUS, "social-history")
        bundle["entry"].append({"fullUrl": refs["status"], "resource": status})
        composition["section"].append(
            _section("30954-2", "Results", "Haemoglobin 10.4 g/dL", [refs["lab"], refs["status"]])
        )
    else:
        status = _observation(subject, "Migration status", STATUS)
        story = {"resourceType": "DocumentReference", "status": "current",
                 "description": "Fled Myanmar in 2023 as an asylum seeker", "subject": subject}  # fmt: skip
        flag = {"resourceType": "Flag", "status": "active", "subject": subject,
                "code": {"text": "Protection case: asylum seeker"}}  # fmt: skip
        bundle["entry"] += [{"fullUrl": refs["status"], "resource": status},
                            {"fullUrl": refs["story"], "resource": story},
                            {"fullUrl": refs["flag"], "resource": flag}]  # fmt: skip
        composition["section"] += [
            _section("29762-2", "Social history", "Asylum seeker since 2023", [refs["status"]]),
            _section("81338-6", "Patient story", "An asylum seeker from Myanmar", [refs["story"]]),
            _section("104605-1", "Alerts", "Protection case: asylum seeker", [refs["flag"]]),
            _section("30954-2", "Results", "Haemoglobin 10.4 g/dL", [refs["lab"]]),
        ]
    bundle["identifier"] = {"system": "urn:ietf:rfc:3986",
                            "value": "urn:uuid:9d9c5e0a-1111-4222-8333-444455556666"}  # fmt: skip
    import_ips(clinician, json.dumps(bundle), person_uuid=person.uuid, source="Resettlement MHA")


@pytest.fixture
def person(people, register):
    person = register(consents=SHARING)
    record_encounter(people["clinician"], person, {"site": "MSOT-CLIN", "kind": "consultation",
                                                   "date": "2026-01-20", "diagnoses": [{"code": "A15.0"}]})  # fmt: skip
    return person


@pytest.mark.parametrize("role", BLIND)
def test_a_received_social_history_is_shown_only_to_roles_that_see_migration_status(
    world, people, person, client, role
):
    """A role that reads people but may not see migration status (administrator, surveillance
    officer, viewer) reads a received summary's clinical sections on the person page, and
    neither there nor in the summary's JSON export the social history, patient's story or
    alert it carried, narrative or entry."""
    _read_in(people["clinician"], person)
    client.force_login(_blind(role, world))
    page = client.get(f"/people/{person.uuid}/").content.decode()
    exported = client.get(f"/record/{person.uuid}/summary.json").content.decode()
    seen = [where for where, text in (("person page", page), ("IPS export", exported))
            if "sylum seeker" in text or "Protection case" in text]  # fmt: skip
    assert not seen, f"{role} reads the received status in: {seen}"
    assert "Social history" not in page and "Patient story" not in page
    assert "Haemoglobin" in page and "Tuberculosis" in page and "Clinical sections only" in page


def test_a_clinician_reads_the_whole_received_summary(people, person, client):
    """Roles that see migration status are shown every section another system sent."""
    _read_in(people["clinician"], person)
    client.force_login(people["clinician"])
    page = client.get(f"/people/{person.uuid}/").content.decode()
    for text in ("Social history", STATUS, "Fled Myanmar", "Protection case", "Haemoglobin"):
        assert text in page
    assert "Clinical sections only" not in page
    (shown,) = received_summaries(people["clinician"], person)
    assert {s["code"] for s in shown["sections"]} >= {"29762-2", "81338-6", "104605-1", "30954-2"}


def test_received_status_never_leaves_in_mhis_own_summary_print_or_links(people, person):
    """MHIS's own summary carries the received clinical entries with their source, never a
    received social history, story or alert, whoever exports it: the JSON export, the printed
    summary and a SMART Health Link made after the summary was read in."""
    pypdf = pytest.importorskip("pypdf", reason="needs pypdf (dev extra)")
    from mhis.portable.printing import summary_pdf

    clinician = people["clinician"]
    _read_in(clinician, person)
    exported = export_ips(clinician, person.uuid)
    link = links.create_link(clinician, person.uuid, expires="30d")
    opened = links.open_link(links.uri(link, "https://mhis.example.org"), recipient="test")
    shared = json.dumps(opened.document, ensure_ascii=False)
    printed = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(summary_pdf(person))).pages)  # fmt: skip
    for where, text in (("export", exported), ("link", shared), ("print", printed)):
        assert "Haemoglobin" in text and "Tuberculosis" in text, where
        assert "sylum" not in text and "Protection case" not in text, where
    codes = {s["code"]["coding"][0]["code"] for s in json.loads(exported)["entry"][0]["resource"]["section"]}  # fmt: skip
    assert not codes & {"29762-2", "81338-6", "104605-1"}
    assert "(Resettlement MHA)" in exported  # what came from elsewhere says where it came from


@pytest.mark.parametrize("role", BLIND)
def test_a_social_history_observation_filed_under_results_is_withheld_too(
    world, people, person, client, role
):
    """An Observation of the social-history category is withheld whichever section the sender
    filed it in, and so is the narrative of that section; the section's clinical entries stay."""
    _read_in(people["clinician"], person, filed_under_results=True)
    client.force_login(_blind(role, world))
    page = client.get(f"/people/{person.uuid}/").content.decode()
    assert "Haemoglobin" in page and "sylum" not in page
    exported = export_ips(people["clinician"], person.uuid)
    assert "Haemoglobin" in exported and "sylum" not in exported
    client.force_login(people["clinician"])
    assert STATUS in client.get(f"/people/{person.uuid}/").content.decode()


@pytest.mark.parametrize(
    ("section", "resource", "clinical"),
    [
        ("11450-4", {"resourceType": "Condition"}, True),
        ("30954-2", {"resourceType": "Observation", "category": [{"coding": [{"code": "laboratory"}]}]}, True),
        ("30954-2", {"resourceType": "Observation", "category": [{"coding": [{"code": "social-history"}]}]}, False),
        ("29762-2", {"resourceType": "Observation"}, False),
        ("81338-6", None, False),
        ("104605-1", {"resourceType": "Flag"}, False),
        ("99999-9", {"resourceType": "Observation"}, False),  # a code we do not know
        ("", None, False),
    ],
)  # fmt: skip
def test_only_clinical_sections_and_entries_are_carried_on(section, resource, clinical):
    assert ips.clinical(section, resource) is clinical
