"""ODK Central and KoboToolbox exports as they come out of those systems (tests/fixtures/real/odk
and /kobo, described in their SOURCES.md): each shape (CSV ZIP with its repeat file, OData with
and without $expand, Kobo XLSX with its repeat sheet, semicolon CSV, data API JSON, "Labels"
export), what each keeps and refuses. An edited submission updates what its first version made;
rejected and not approved submissions are left out and counted; a second import changes nothing."""

import copy
import json
import shutil
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from mhis.care.models import Encounter, Immunisation
from mhis.intake import fieldforms, services
from mhis.intake.models import SourceRecord
from mhis.registry.models import Person

REAL = Path(__file__).parent / "fixtures" / "real"
ODK, KOBO = REAL / "odk", REAL / "kobo"
CENTRAL = ODK / "central"


def summaries(jobs):
    return [(j.kind, services.summary(j)) for j in jobs]


def reasons(job):
    return sorted(job.rows.filter(outcome="rejected").values_list("source_key", "reason"))


@pytest.fixture
def registered(people):
    """TAK-0042, TAK-0043 and TAK-0045 registered from Kobo's XLSX export (TAK-0044 was not
    approved)."""
    services.import_submissions(
        people["clinician"], KOBO / "mhis_registration-xml-values.xlsx", form="mhis_registration"
    )
    return {p.display_latin: p for p in Person.objects.all()}


def visits_of(person):
    return Encounter.objects.filter(person=person), Immunisation.objects.filter(person=person)


# -- ODK Central's own test exports (Apache-2.0) ----------------------------------------------


def test_central_backend_csv_zip_of_another_form_is_refused_naming_the_form(people):
    path = ODK / "central-backend" / "singlerepeat.csv.zip"
    with pytest.raises(ValidationError) as refused:
        services.import_submissions(people["clinician"], path, form="mhis_clinic_visit")
    assert "None of the questions of the form “mhis_clinic_visit”" in refused.value.messages[0]
    assert "is it the export of another form?" in refused.value.messages[0]
    assert not Encounter.objects.exists() and not SourceRecord.objects.exists()


def test_central_backend_odata_without_expand_is_refused_with_the_fix(people):
    path = ODK / "central-backend" / "withrepeat.svc-Submissions.json"
    with pytest.raises(ValidationError) as refused:
        services.import_submissions(people["clinician"], path, form="mhis_registration")
    (message,) = refused.value.messages
    assert "leaves out the repeat group “child”" in message and "$expand=*" in message
    assert not Person.objects.exists()


# -- ODK Central, our clinic visit form -------------------------------------------------------


@pytest.mark.parametrize(
    "export", ["mhis_clinic_visit.svc-Submissions-expand.json", "mhis_clinic_visit.csv.zip"]
)
def test_central_export_keeps_edited_and_flagged_visits_and_leaves_out_the_rejected(registered, people, export):  # fmt: skip
    jobs = services.import_submissions(people["clinician"], CENTRAL / export, form="mhis_clinic_visit")  # fmt: skip
    # approved, hasIssues and edited (twice) imported; the rejected one left out and counted.
    assert summaries(jobs) == [("encounters", {"created": 3, "rejected": 1}),
                               ("immunisations", {"created": 3})]  # fmt: skip
    rejected = "uuid:e5a7b9c1-4d6f-4b8c-9d2e-3f4a5b6c7d85"
    assert reasons(jobs[0]) == [(rejected, "Not imported: rejected in ODK Central.")]
    aung = registered["Aung Aung"]
    encounters, shots = visits_of(aung)
    assert list(encounters.values_list("reason", flat=True)) == ["fever and rash"]
    assert list(shots.values_list("vaccine", "dose_number", "lot")) == [("MMR", 1, "L7")]
    # Keyed by the submission's first id (Central's __id / KEY), which its edits keep.
    assert SourceRecord.objects.filter(kind="encounters", key="uuid:6f1c2a9e-0b7d-4c1e-9a55-2d0c8e4b7a01").exists()  # fmt: skip
    again = services.import_submissions(people["clinician"], CENTRAL / export, form="mhis_clinic_visit")  # fmt: skip
    assert summaries(again) == [("encounters", {"unchanged": 3, "rejected": 1}),
                                ("immunisations", {"unchanged": 3})]  # fmt: skip
    assert (Encounter.objects.count(), Immunisation.objects.count()) == (3, 3)


def test_a_central_submission_edited_twice_is_one_visit_and_one_vaccination(registered, people):
    user, aung = people["clinician"], registered["Aung Aung"]
    first = services.import_submissions(user, CENTRAL / "mhis_clinic_visit.svc-Submissions-expand-v1.json", form="mhis_clinic_visit")  # fmt: skip
    assert summaries(first) == [("encounters", {"created": 1}), ("immunisations", {"created": 1})]
    assert list(visits_of(aung)[1].values_list("lot", flat=True)) == ["L1"]
    second = services.import_submissions(user, CENTRAL / "mhis_clinic_visit.svc-Submissions-expand-v2.json", form="mhis_clinic_visit")  # fmt: skip
    assert summaries(second) == [
        ("encounters", {"unchanged": 1}),
        ("immunisations", {"updated": 1}),
    ]
    third = services.import_submissions(user, CENTRAL / "mhis_clinic_visit.csv.zip", form="mhis_clinic_visit")  # fmt: skip
    assert summaries(third)[0] == ("encounters", {"updated": 1, "created": 2, "rejected": 1})
    encounters, shots = visits_of(aung)
    assert list(encounters.values_list("reason", "date")) == [
        ("fever and rash", encounters[0].date)
    ]
    assert list(shots.values_list("vaccine", "lot")) == [("MMR", "L7")]


def test_central_odata_without_expand_of_our_form_is_refused_and_writes_nothing(registered, people):
    with pytest.raises(ValidationError) as refused:
        services.import_submissions(people["clinician"], CENTRAL / "mhis_clinic_visit.svc-Submissions.json", form="mhis_clinic_visit")  # fmt: skip
    assert "the repeat group “vaccination”" in refused.value.messages[0]
    assert "Submissions?$expand=*" in refused.value.messages[0]
    assert not Encounter.objects.exists()


# -- KoboToolbox --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "export", ["mhis_registration-xml-values.xlsx", "mhis_registration-xml-values.csv"]
)
def test_kobo_registrations_keep_the_approved_and_on_hold_and_leave_out_the_not_approved(people, export):  # fmt: skip
    (job,) = services.import_submissions(
        people["clinician"], KOBO / export, form="mhis_registration"
    )
    assert services.summary(job) == {"created": 3, "rejected": 1}
    assert reasons(job) == [("uuid:bd9c3f85-7a4b-4eac-8f6a-8b5c4d3e2f44",
                             "Not imported: not approved in KoboToolbox.")]  # fmt: skip
    people_ = {p.display_latin: p for p in Person.objects.all()}
    assert sorted(people_) == ["Aung Aung", "Naw Hsa", "Somphone"]
    # select_multiple answers are separated by spaces, as the form asks and ODK writes them.
    assert people_["Aung Aung"].languages == ["my", "th"]
    assert people_["Naw Hsa"].languages == ["ksw", "my"]
    assert people_["Somphone"].birth_date_precision == "year"
    (job,) = services.import_submissions(
        people["clinician"], KOBO / export, form="mhis_registration"
    )
    assert services.summary(job) == {"unchanged": 3, "rejected": 1}


def test_kobo_semicolon_csv_and_xlsx_are_the_same_registrations(people):
    user = people["clinician"]
    services.import_submissions(user, KOBO / "mhis_registration-xml-values.xlsx", form="mhis_registration")  # fmt: skip
    (job,) = services.import_submissions(user, KOBO / "mhis_registration-xml-values.csv", form="mhis_registration")  # fmt: skip
    assert services.summary(job) == {"unchanged": 3, "rejected": 1}
    assert Person.objects.count() == 3


def test_kobo_label_export_is_refused_with_the_fix(people):
    with pytest.raises(ValidationError) as refused:
        services.import_submissions(people["clinician"], KOBO / "mhis_registration-labels.xlsx", form="mhis_registration")  # fmt: skip
    (message,) = refused.value.messages
    assert "labels instead of their names" in message
    assert "export again with “XML values and headers”" in message
    assert not Person.objects.exists()


def test_kobo_xml_headers_with_choice_labels_are_refused_too(people, tmp_path):
    book = load_workbook(KOBO / "mhis_registration-xml-values.xlsx")
    sheet = book.active
    sex = [c.value for c in sheet[1]].index("sex")
    sheet.cell(row=2, column=sex + 1, value="Male")
    book.save(tmp_path / "kobo.xlsx")
    with pytest.raises(ValidationError) as refused:
        services.import_submissions(people["clinician"], tmp_path / "kobo.xlsx", form="mhis_registration")  # fmt: skip
    assert "XML values and headers" in refused.value.messages[0]


@pytest.mark.parametrize(
    "export", ["mhis_clinic_visit-xml-values.xlsx", "mhis_clinic_visit-data-api.json"]
)
def test_kobo_clinic_visits_with_their_vaccinations(registered, people, export):
    jobs = services.import_submissions(people["clinician"], KOBO / export, form="mhis_clinic_visit")
    assert summaries(jobs) == [("encounters", {"created": 2, "rejected": 1}),
                               ("immunisations", {"created": 3})]  # fmt: skip
    assert reasons(jobs[0])[0][1] == "Not imported: not approved in KoboToolbox."
    _encounters, shots = visits_of(registered["Naw Hsa"])
    assert sorted(shots.values_list("vaccine", "dose_number", "lot")) == [("MMR", 1, "M3"), ("TD", 2, "T9")]  # fmt: skip
    # The edited visit is keyed by meta/rootUuid, not by its own (changed) _uuid.
    root = "uuid:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    assert SourceRecord.objects.filter(kind="encounters", key=root).exists()
    assert SourceRecord.objects.filter(kind="immunisations", key=f"{root}/vaccination/1").exists()


def test_kobo_xlsx_and_data_api_of_the_same_visits_import_once(registered, people):
    user = people["clinician"]
    services.import_submissions(user, KOBO / "mhis_clinic_visit-xml-values.xlsx", form="mhis_clinic_visit")  # fmt: skip
    jobs = services.import_submissions(user, KOBO / "mhis_clinic_visit-data-api.json", form="mhis_clinic_visit")  # fmt: skip
    assert summaries(jobs) == [("encounters", {"unchanged": 2, "rejected": 1}),
                               ("immunisations", {"unchanged": 3})]  # fmt: skip


def kobo_first_version(tmp_path, *, root: bool) -> tuple[Path, Path]:
    """The data API's export before the first visit was edited (reason "fever", lot L1), and
    the export as it is, both with or without meta/rootUuid (KoboToolbox before 2025)."""
    data = json.loads((KOBO / "mhis_clinic_visit-data-api.json").read_text())
    now = copy.deepcopy(data)
    edited = data["results"][0]
    first = edited["meta/deprecatedID"]
    edited.update(
        {"meta/instanceID": first, "_uuid": first.removeprefix("uuid:"), "reason": "fever"}
    )
    edited["vaccination"][0]["vaccination/lot"] = "L1"
    del edited["meta/deprecatedID"]
    if root:  # the first version's rootUuid is its own id; the edit keeps it
        edited["meta/rootUuid"] = first
        now["results"][0]["meta/rootUuid"] = first
    else:
        for d in (data, now):
            for item in d["results"]:
                item.pop("meta/rootUuid")
    (tmp_path / "v1.json").write_text(json.dumps(data))
    (tmp_path / "now.json").write_text(json.dumps(now))
    return tmp_path / "v1.json", tmp_path / "now.json"


@pytest.mark.parametrize("root", [True, False], ids=["rootUuid", "deprecatedID-only"])
def test_a_kobo_edit_updates_the_visit_its_first_version_made(registered, people, tmp_path, root):
    user, aung = people["clinician"], registered["Aung Aung"]
    v1, now = kobo_first_version(tmp_path, root=root)
    services.import_submissions(user, v1, form="mhis_clinic_visit")
    assert list(visits_of(aung)[1].values_list("lot", flat=True)) == ["L1"]
    jobs = services.import_submissions(user, now, form="mhis_clinic_visit")
    assert summaries(jobs) == [("encounters", {"updated": 1, "unchanged": 1, "rejected": 1}),
                               ("immunisations", {"updated": 1, "unchanged": 2})]  # fmt: skip
    encounters, shots = visits_of(aung)
    assert list(encounters.values_list("reason", flat=True)) == ["fever and rash"]
    assert list(shots.values_list("lot", flat=True)) == ["L7"]


def test_a_kobo_registration_edit_updates_the_person(people, tmp_path):
    user = people["clinician"]
    book = load_workbook(KOBO / "mhis_registration-xml-values.xlsx")
    sheet = book.active
    header = [c.value for c in sheet[1]]
    sheet.cell(row=2, column=header.index("latin_name") + 1, value="Aung Aung Oo")
    sheet.cell(row=2, column=header.index("languages") + 1, value="my")
    sheet.cell(row=2, column=header.index("meta/deprecatedID") + 1, value="")
    book.save(tmp_path / "v1.xlsx")
    services.import_submissions(user, tmp_path / "v1.xlsx", form="mhis_registration")
    assert Person.objects.get(display_latin="Aung Aung Oo").languages == ["my"]
    (job,) = services.import_submissions(user, KOBO / "mhis_registration-xml-values.xlsx", form="mhis_registration")  # fmt: skip
    assert services.summary(job) == {"updated": 1, "unchanged": 2, "rejected": 1}
    assert Person.objects.count() == 3
    aung = Person.objects.get(display_latin="Aung Aung")
    assert aung.languages == ["my", "th"]


# -- the forms ------------------------------------------------------------------------------------


def test_a_change_to_a_form_changes_its_version_and_the_same_form_keeps_it():
    import dataclasses

    form = fieldforms.FORMS["mhis_clinic_visit"]
    sites = [("MSOT-CLIN", "Mae Sot Migrant Clinic")]
    assert fieldforms.version(form, sites) == fieldforms.version(form, sites)
    changed = dataclasses.replace(form, title="MHIS mobile clinic visit (2)")
    assert fieldforms.version(changed, sites) != fieldforms.version(form, sites)
    assert fieldforms.version(form, [*sites, ("RNG-PORT", "Ranong port")]) != fieldforms.version(form, sites)  # fmt: skip
    versions = {fieldforms.version(f, sites) for f in fieldforms.FORMS.values()}
    assert len(versions) == len(fieldforms.FORMS)
    book = fieldforms.workbook(form, sites)
    settings = dict(zip(*book["settings"].iter_rows(values_only=True), strict=True))
    assert settings["version"] == fieldforms.version(form, sites)
    assert settings["instance_name"] == "concat(${person}, ' ', ${date})"


def test_every_constraint_has_its_message_and_dependent_questions_their_relevant():
    for form in fieldforms.FORMS.values():
        assert form.instance_name, form.form_id
        for q in fieldforms.questions_of(form):
            assert bool(q.constraint) == bool(q.constraint_message), (form.form_id, q.name)
    registration = {
        q.name: q for q in fieldforms.questions_of(fieldforms.FORMS["mhis_registration"])
    }
    assert registration["identifier_value"].relevant == "${identifier_type} != ''"
    assert registration["languages"].type == "select_multiple material_language"
    assert "separated" not in registration["languages"].label


@pytest.mark.skipif(not shutil.which("java"), reason="ODK Validate needs Java")
@pytest.mark.parametrize("form_id", sorted(fieldforms.FORMS))
def test_each_form_passes_odk_validate(form_id, tmp_path):
    from pyxform.xls2xform import convert

    path = fieldforms.write(fieldforms.FORMS[form_id], tmp_path / f"{form_id}.xlsx",
                            sites=[("MSOT-CLIN", "Mae Sot clinic")])  # fmt: skip
    warnings: list[str] = []
    xml = convert(xlsform=str(path), warnings=warnings, validate=True).xform
    assert "<instanceName/>" in xml and 'jr:constraintMsg="jr:itext(' in xml
    assert warnings == []


# -- round trip: our XLSForm -> a submission as Central exports it -> the record ------------------

XF = "{http://www.w3.org/2002/xforms}"
SITES = [("MSOT-CLIN", "Mae Sot Migrant Clinic")]
ANSWERS = {
    "mhis_registration": {
        "card": "TAK-0100", "registration_site": "MSOT-CLIN", "name": "ခင်မာ",
        "latin_name": "Khin Ma", "sex": "female", "birth_date": "1993-02-14", "nationality": "MM",
        "languages": "my th", "contact": "+66 81 234 5678", "identifier_type": "passport",
        "identifier_value": "MC765432", "migration_status": "REG_LAB", "origin_country": "MM",
        "destination_country": "TH", "occupation_sector": "agriculture",
    },
    "mhis_clinic_visit": {
        "person": "TAK-0100", "site": "MSOT-CLIN", "date": "2025-06-03", "kind": "mobile_clinic",
        "reason": "fever", "diagnoses": "A97.0 R50.9", "treatments": "paracetamol",
        "vaccination": [{"vaccine": "TD", "dose_number": 2, "lot": "T1"}],
    },
}  # fmt: skip


def central_submission(form_id: str, instance_id: str, tmp_path) -> dict:
    """Our form converted by pyxform, its primary instance answered (every question: a new one
    fails here until it is given an answer) and shaped as Central's OData with $expand=*: typed
    values (integers as numbers), meta nested, __id and __system, the repeat's link and list."""
    from defusedxml import ElementTree
    from pyxform.xls2xform import convert

    path = fieldforms.write(fieldforms.FORMS[form_id], tmp_path / f"{form_id}.xlsx", SITES)
    xform = ElementTree.fromstring(convert(xlsform=str(path)).xform)
    data = next(i for i in xform.iter(f"{XF}instance") if not i.get("id"))[0]
    answers = ANSWERS[form_id]
    out: dict = {"__id": instance_id, "__system": {"reviewState": None, "edits": 0,
                 "formVersion": data.get("version"), "submitterName": "collect"}}  # fmt: skip
    for node in data:
        name = node.tag.removeprefix(XF)
        if name == "meta":
            out["meta"] = {"instanceID": instance_id, "instanceName": "…"}
        elif node.get("{http://openrosa.org/javarosa}template") is not None:
            out[f"{name}@odata.navigationLink"] = f"Submissions('{instance_id}')/{name}"
            out[name] = answers[name]
            assert [set(a) for a in answers[name]] == [{c.tag.removeprefix(XF) for c in node}]
        elif name not in out:
            assert name in answers, f"no answer for the question {name}"
            out[name] = answers[name]  # a calculate's too: Collect sends its value
    return {"@odata.context": "…", "value": [out]}


def test_round_trip_our_forms_through_central_to_the_record(people, tmp_path):
    user = people["clinician"]
    for form_id, instance_id in (("mhis_registration", "uuid:r-100"), ("mhis_clinic_visit", "uuid:v-100")):  # fmt: skip
        export = tmp_path / f"{form_id}.json"
        export.write_text(json.dumps(central_submission(form_id, instance_id, tmp_path)))
        jobs = services.import_submissions(user, export, form=form_id)
        assert [set(services.summary(j)) for j in jobs] == [{"created"}] * len(jobs)
    person = Person.objects.get()
    episode = person.episodes.get()
    identifier = person.identifiers.get()
    registration = {
        "card": SourceRecord.objects.get(kind="people", person=person).key,
        "registration_site": person.registration_site.code, "name": person.display_name,
        "latin_name": person.display_latin, "sex": person.sex,
        "birth_date": person.birth_date.isoformat(), "nationality": person.nationality,
        "languages": " ".join(person.languages), "contact": person.contact,
        "identifier_type": identifier.type, "identifier_value": identifier.value,
        "migration_status": episode.status, "origin_country": episode.origin_country,
        "destination_country": episode.destination_country,
        "occupation_sector": episode.occupation_sector,
    }  # fmt: skip
    # What changes: nothing of the answers; the record adds what the form does not ask.
    assert registration == ANSWERS["mhis_registration"]
    assert (person.birth_date_precision, episode.start_date, identifier.issuing_country) == ("exact", None, "")  # fmt: skip
    encounter = Encounter.objects.get(person=person)
    visit = {
        "person": "TAK-0100", "site": encounter.site.code, "date": encounter.date.isoformat(),
        "kind": encounter.kind, "reason": encounter.reason,
        "diagnoses": " ".join(encounter.diagnoses.values_list("code", flat=True)),
        "treatments": encounter.treatments,
        "vaccination": [{"vaccine": i.vaccine, "dose_number": i.dose_number, "lot": i.lot}
                        for i in Immunisation.objects.filter(person=person)],
    }  # fmt: skip
    assert visit == ANSWERS["mhis_clinic_visit"]
    # The vaccination inherits the visit's site and date.
    shot = Immunisation.objects.get()
    assert (shot.site.code, shot.date) == ("MSOT-CLIN", encounter.date)


def test_the_import_command_counts_the_left_out_submissions(registered, people):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("import", str(CENTRAL / "mhis_clinic_visit.csv.zip"), form="mhis_clinic_visit",
                 user="mae_sot_clinician", stdout=out)  # fmt: skip
    text = out.getvalue()
    assert "encounters: 3 created, 1 rejected" in text
    assert "row 4, —: Not imported: rejected in ODK Central." in text
    assert "immunisations: 3 created" in text


@pytest.mark.parametrize(
    "content",
    [
        '{"value": ' + "[" * 50000 + "]" * 50000 + "}",
        '{"value": [' + '{"a": ' * 3000 + "1" + "}" * 3000 + "]}",
        '{"value": [{"__id": "x", "g": {"r@odata.navigationLink": 5}}]}',
        '{"results": [{"_uuid": "x", "_validation_status": ["odd"], "person": "P"}]}',
    ],
    ids=["deep-lists", "deep-objects", "odd-link", "odd-status"],
)
def test_hostile_json_is_refused_or_read_without_a_traceback(people, tmp_path, content):
    path = tmp_path / "hostile.json"
    path.write_text(content)
    try:
        jobs = services.import_submissions(people["clinician"], path, form="mhis_clinic_visit")
    except ValidationError as exc:
        assert exc.messages[0]
    else:
        assert all(services.summary(j).keys() <= {"rejected"} for j in jobs)
    assert not Encounter.objects.exists()


@pytest.mark.parametrize(
    ("form", "export", "refusal"),
    [
        ("mhis_registration", KOBO / "mhis_registration-labels.xlsx", "XML values and headers”"),
        ("mhis_clinic_visit", CENTRAL / "mhis_clinic_visit.svc-Submissions.json", "$expand=*"),
    ],
    ids=["kobo-labels", "central-no-expand"],
)
def test_the_imports_page_refuses_the_export_with_its_fix_before_queueing_it(client, people, settings, tmp_path, form, export, refusal):  # fmt: skip
    from django.core.files.uploadedfile import SimpleUploadedFile

    from mhis.intake.models import Job

    settings.VAR_DIR = tmp_path
    client.force_login(people["clinician"])
    upload = SimpleUploadedFile(export.name, export.read_bytes())
    response = client.post("/imports/", {"what": f"form:{form}", "source": "", "file": upload})
    assert response.status_code == 200
    assert refusal in response.content.decode().replace("&#x27;", "'")
    assert not Job.objects.exists() and not Person.objects.exists()


def test_a_registration_edit_that_corrects_the_card_number_updates_the_same_person(people, tmp_path):  # fmt: skip
    user = people["clinician"]
    services.import_submissions(user, KOBO / "mhis_registration-xml-values.xlsx", form="mhis_registration")  # fmt: skip
    aung = Person.objects.get(display_latin="Aung Aung")
    book = load_workbook(KOBO / "mhis_registration-xml-values.xlsx")
    sheet = book.active
    header = [c.value for c in sheet[1]]
    cell = {name: header.index(name) + 1 for name in ("card", "meta/instanceID", "meta/deprecatedID", "_uuid")}  # fmt: skip
    sheet.cell(row=2, column=cell["card"], value="TAK-0420")  # a typo corrected
    sheet.cell(row=2, column=cell["meta/deprecatedID"], value=sheet.cell(row=2, column=cell["meta/instanceID"]).value)  # fmt: skip
    sheet.cell(
        row=2, column=cell["meta/instanceID"], value="uuid:0e0e0e0e-1111-4222-8333-444455556666"
    )
    sheet.cell(row=2, column=cell["_uuid"], value="0e0e0e0e-1111-4222-8333-444455556666")
    book.save(tmp_path / "edited.xlsx")
    (job,) = services.import_submissions(user, tmp_path / "edited.xlsx", form="mhis_registration")
    assert services.summary(job) == {"updated": 1, "unchanged": 2, "rejected": 1}
    assert Person.objects.count() == 3
    assert (
        services.person_of(user, "mhis_registration", "TAK-0420", services.namespace(user)) == aung
    )
