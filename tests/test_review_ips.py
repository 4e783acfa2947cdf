"""Hostile and colliding summaries: what a crafted bundle must not do to the import."""

import copy
import json
import time
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from mhis.portable import ips_import
from mhis.portable.models import ReceivedItem, ReceivedSummary
from mhis.portable.services import import_ips

MINIMAL = (
    Path(__file__).resolve().parent
    / "fixtures" / "real" / "ips" / "official" / "Bundle-bundle-minimal.json"
)  # fmt: skip
RESULTS = "30954-2"


def minimal() -> dict:
    return json.loads(MINIMAL.read_text())


def patient_url(document: dict) -> str:
    return next(e["fullUrl"] for e in document["entry"]
                if e["resource"]["resourceType"] == "Patient")  # fmt: skip


def with_results(document: dict, observations: list[dict], entries: list[str]) -> dict:
    document["entry"] += observations
    document["entry"][0]["resource"]["section"].append({
        "title": "Results", "code": {"coding": [{"system": "http://loinc.org", "code": RESULTS}]},
        "text": {"status": "generated", "div": "<div>results</div>"},
        "entry": [{"reference": ref} for ref in entries],
    })  # fmt: skip
    return document


def test_panels_whose_members_all_name_each_other_are_read_in_reasonable_time():
    document = minimal()
    n = 30  # 900 references: each panel member is shown once, not once per path to it
    observations = [
        {"fullUrl": f"urn:uuid:obs-{i}",
         "resource": {"resourceType": "Observation", "status": "final", "code": {"text": f"o{i}"},
                      "subject": {"reference": patient_url(document)},
                      "hasMember": [{"reference": f"urn:uuid:obs-{j}"} for j in range(n)]}}
        for i in range(n)
    ]  # fmt: skip
    start = time.monotonic()
    reading = ips_import.read(with_results(document, observations, ["urn:uuid:obs-0"]))
    (panel,) = [i for i in reading.items if i["section"] == RESULTS]
    lines = ips_import.details(panel["resource"])
    assert time.monotonic() - start < 5
    assert {text for _, text in lines} >= {f"o{i}" for i in range(1, n)}  # every member named
    assert len(lines) <= n * n


def test_an_entry_listed_many_times_is_kept_once(people):
    document = minimal()
    section = document["entry"][0]["resource"]["section"][0]
    section["entry"] = section["entry"] * 50
    result = import_ips(people["clinician"], json.dumps(document), site="MSOT-CLIN")
    assert ReceivedItem.objects.filter(summary=result.summary, section=
                                       section["code"]["coding"][0]["code"]).count() == 1  # fmt: skip
    assert any("listed again" in reason for reason in result.refused)


@pytest.mark.parametrize("where", ["entry", "patient"])
def test_a_bundle_nested_deeply_is_refused_naming_the_file_not_failing(people, where):
    document = minimal()
    if where == "patient":
        target = next(e["resource"] for e in document["entry"]
                      if e["resource"]["resourceType"] == "Patient")  # fmt: skip
    else:
        url = document["entry"][0]["resource"]["section"][0]["entry"][0]["reference"]
        target = next(e["resource"] for e in document["entry"] if e["fullUrl"] == url)
    target["extension"] = ["@@"]
    depth = 300  # 600 levels of JSON: Python's reader takes it, a walk through it must not fail
    raw = json.dumps(document).replace('"@@"', '{"x": [' * depth + "{}" + "]}" * depth)
    with pytest.raises(ValidationError) as refused:
        import_ips(people["clinician"], raw, site="MSOT-CLIN")
    assert "nested too deeply" in refused.value.message_dict["file"][0]
    assert ReceivedSummary.objects.count() == 0


def test_a_bundle_identifier_another_system_reuses_for_another_patient_is_not_read_before(
    people, register
):
    first = minimal()
    one = import_ips(people["clinician"], json.dumps(first), site="MSOT-CLIN")
    other = register(names=[{"text": "Other Person"}], sex="male", birth_date="1980-01-01")
    second = copy.deepcopy(first)  # the same Bundle.identifier, a different person and entry
    patient = next(e["resource"] for e in second["entry"]
                   if e["resource"]["resourceType"] == "Patient")  # fmt: skip
    patient["name"] = [{"family": "Other", "given": ["Person"]}]
    patient["identifier"] = [{"system": "urn:oid:1.2.3.4", "value": "X-1"}]
    patient["birthDate"] = "1980-01-01"
    result = import_ips(people["clinician"], json.dumps(second), person_uuid=other.uuid)
    assert result.person == other and result.summary is not None
    assert result.summary != one.summary and not result.already
    # The same document sent again is still recognised.
    again = import_ips(people["clinician"], json.dumps(second), person_uuid=other.uuid)
    assert again.already and again.summary == result.summary


def test_a_social_history_hidden_as_a_member_of_a_clinical_panel_is_not_shown_or_exported(
    people,
):
    from mhis.portable import ips
    from mhis.portable.services import received_summaries

    document = minimal()
    social = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                          "code": "social-history"}]}  # fmt: skip
    observations = [
        {"fullUrl": "urn:uuid:panel",
         "resource": {"resourceType": "Observation", "status": "final", "code": {"text": "Panel"},
                      "subject": {"reference": patient_url(document)},
                      "hasMember": [{"reference": "urn:uuid:status"}]}},
        {"fullUrl": "urn:uuid:status",
         "resource": {"resourceType": "Observation", "status": "final", "category": [social],
                      "code": {"text": "Residence status"},
                      "subject": {"reference": patient_url(document)},
                      "valueString": "Migration status: asylum seeker"}},
    ]  # fmt: skip
    result = import_ips(
        people["clinician"],
        json.dumps(with_results(document, observations, ["urn:uuid:panel"])),
        site="MSOT-CLIN",
    )
    shown = json.dumps(
        [
            [str(d) for item in s["items"] for d in item.details] + [s["narrative"]]
            for summary in received_summaries(people["admin"], result.person)
            for s in summary["sections"]
        ]
    )  # the administrator's role does not see migration status
    assert "asylum" not in shown and "Residence status" not in shown
    assert "asylum" not in ips.text(ips.bundle(result.person))
    # A role that sees migration status is shown it, as it was sent.
    whole = received_summaries(people["clinician"], result.person)
    assert "asylum" in json.dumps(
        [str(d) for s in whole for sec in s["sections"] for i in sec["items"] for d in i.details]
    )


@pytest.mark.parametrize("where", ["entry", "narrative", "patient"])
def test_a_lone_surrogate_escape_is_refused_naming_the_file_not_failing(people, where):
    document = minimal()
    if where == "patient":
        target = next(e["resource"] for e in document["entry"]
                      if e["resource"]["resourceType"] == "Patient")  # fmt: skip
        target["name"][0]["family"] = "@@"
    elif where == "narrative":
        document["entry"][0]["resource"]["section"][0]["text"]["div"] = "<div>@@</div>"
    else:
        url = document["entry"][0]["resource"]["section"][0]["entry"][0]["reference"]
        target = next(e["resource"] for e in document["entry"] if e["fullUrl"] == url)
        target["code"]["text"] = "@@"
    raw = json.dumps(document).replace("@@", "flushing \\ud800")  # half of a UTF-16 pair
    with pytest.raises(ValidationError) as refused:
        import_ips(people["clinician"], raw, site="MSOT-CLIN")
    assert "not UTF-8 text" in refused.value.message_dict["file"][0]
    assert ReceivedSummary.objects.count() == 0


def test_control_and_direction_characters_of_an_entry_print_without_failing(people):
    from mhis.portable import printing

    document = minimal()
    url = document["entry"][0]["resource"]["section"][0]["entry"][0]["reference"]
    target = next(e["resource"] for e in document["entry"] if e["fullUrl"] == url)
    target["code"]["text"] = "Flushing \x00 NUL"
    with pytest.raises(ValidationError) as refused:  # no database column stores NUL
        import_ips(people["clinician"], json.dumps(document), site="MSOT-CLIN")
    assert "code.text: text cannot contain the NUL character" in str(refused.value)
    target["code"]["text"] = "Flushing \x07\x1b[31m \u202eevil\u202c \u2066x\u2069 \ufeff<script>"
    result = import_ips(people["clinician"], json.dumps(document), site="MSOT-CLIN")
    try:
        pdf = printing.summary_pdf(result.person)
    except printing.FontsMissing:
        pytest.skip("the Noto fonts are not installed (make system installs fonts-noto-core)")
    assert pdf.startswith(b"%PDF")


def test_a_whole_number_too_large_for_any_reader_refuses_its_entry_only(people):
    document = minimal()
    section = document["entry"][0]["resource"]["section"][0]
    url = section["entry"][0]["reference"]
    target = next(e["resource"] for e in document["entry"] if e["fullUrl"] == url)
    target["valueQuantity"] = {"value": "@@", "unit": "mg"}
    raw = json.dumps(document).replace('"@@"', "1" + "0" * 400)
    result = import_ips(people["clinician"], raw, site="MSOT-CLIN")
    assert any("valueQuantity.value is not a finite number" in r for r in result.refused)
    assert not result.summary.items.filter(section=section["code"]["coding"][0]["code"]).exists()
    assert result.summary.items.exists()  # the rest is read


def test_the_same_document_reordered_or_reformatted_is_read_before(people):
    document = minimal()
    first = import_ips(people["clinician"], json.dumps(document), site="MSOT-CLIN")
    reordered = copy.deepcopy(document)
    reordered["entry"] = [reordered["entry"][0], *reversed(reordered["entry"][1:])]
    raw = json.dumps(reordered, indent=4, sort_keys=True)  # other whitespace, other key order
    again = import_ips(people["clinician"], raw, site="MSOT-CLIN")
    assert again.already and again.summary == first.summary and again.person == first.person
    assert ReceivedSummary.objects.count() == 1
