"""The field forms: each converts to an XForm with pyxform, in five languages, and their
submissions exported from ODK Central and KoboToolbox (JSON, XLSX, ZIP of CSV) import through
the pipeline, repeat groups becoming child records, twice the same as once."""

import csv
import io
import json
import zipfile

import pytest
from openpyxl import Workbook

from mhis.care.models import Encounter, Immunisation
from mhis.intake import fieldforms, services
from mhis.outreach.models import Session
from mhis.registry.models import Person
from mhis.surveillance.models import WeeklyReport

pyxform = pytest.importorskip("pyxform", reason="pyxform is a development dependency")
from pyxform.xls2xform import convert  # noqa: E402

LANGUAGE_NAMES = ["English (en)", "Español (es)", "ไทย (th)", "မြန်မာ (my)", "ខ្មែរ (km)"]


@pytest.mark.parametrize("form_id", sorted(fieldforms.FORMS))
def test_each_field_form_converts_with_pyxform_in_five_languages(form_id, tmp_path):
    path = fieldforms.write(fieldforms.FORMS[form_id], tmp_path / f"{form_id}.xlsx",
                            sites=[("MSOT-CLIN", "Mae Sot clinic"), ("RNG-PORT", "Ranong port")])  # fmt: skip
    warnings: list[str] = []
    result = convert(xlsform=str(path), warnings=warnings)
    xml = result.xform
    assert f'id="{form_id}"' in xml
    for language in LANGUAGE_NAMES:
        assert f'<translation lang="{language}"' in xml or f"<translation default=\"true()\" lang=\"{language}\"" in xml  # fmt: skip
    assert not [w for w in warnings if "label" in w.lower()], warnings


def test_every_label_and_choice_has_its_spanish_thai_burmese_and_khmer():
    assert fieldforms.missing_labels() == []
    topics = dict(fieldforms.choice_lists()["topic"])
    assert topics["tb"]["th"] == "วัณโรค" and topics["tb"]["my"] == "တီဘီရောဂါ"
    countries = dict(fieldforms.choice_lists()["country"])
    assert countries["MM"]["th"] != countries["MM"]["en"]  # from pycountry's catalogues


def central_visit(key, person, vaccines):
    return {"__id": key, "__system": {"submitterName": "collect"},
            "meta": {"instanceID": key}, "person": person,
            "visit": {"site": "MSOT-CLIN", "date": "2025-05-02", "kind": "mobile_clinic",
                      "reason": "fever", "diagnoses": "A97.0"},
            "vaccination": [{"vaccine": v, "dose_number": n, "lot": "L7"} for v, n in vaccines]}  # fmt: skip


def test_clinic_visits_from_odk_central_json_make_encounters_and_their_vaccinations(people, register, tmp_path):  # fmt: skip
    person = register()
    path = tmp_path / "visits.json"
    path.write_text(json.dumps({"@odata.context": "…", "value": [
        central_visit("uuid:a1", str(person.uuid), [("MMR", 1), ("TD", 2)]),
        central_visit("uuid:a2", str(person.uuid), [("NOPE", 1)]),
    ]}))  # fmt: skip
    jobs = services.import_submissions(people["clinician"], path, form="mhis_clinic_visit")
    assert [(j.kind, services.summary(j)) for j in jobs] == [
        ("encounters", {"created": 2}), ("immunisations", {"created": 2, "rejected": 1})]  # fmt: skip
    assert Encounter.objects.filter(kind="mobile_clinic").count() == 2
    assert set(Immunisation.objects.values_list("vaccine", "dose_number", "lot", "site__code")) == {
        ("MMR", 1, "L7", "MSOT-CLIN"), ("TD", 2, "L7", "MSOT-CLIN")}  # fmt: skip
    rejected = jobs[1].rows.get(outcome="rejected")
    assert (rejected.source_key, rejected.field) == ("uuid:a2/vaccination/1", "vaccine")
    again = services.import_submissions(people["clinician"], path, form="mhis_clinic_visit")
    assert [services.summary(j) for j in again] == [{"unchanged": 2}, {"unchanged": 2, "rejected": 1}]  # fmt: skip
    assert (Encounter.objects.count(), Immunisation.objects.count()) == (2, 2)


def test_registrations_then_visits_name_the_person_by_card_number(people, tmp_path):
    kobo = {"count": 1, "results": [{"_id": 7, "_uuid": "r-1", "meta/instanceID": "uuid:r-1",
            "person/card": "TAK-0042", "person/name": "Aung Aung", "person/sex": "male",
            "registration_site": "MSOT-CLIN", "person/birth_date": "1990-04-01"}]}  # fmt: skip
    (tmp_path / "reg.json").write_text(json.dumps(kobo))
    (job,) = services.import_submissions(people["clinician"], tmp_path / "reg.json", form="mhis_registration")  # fmt: skip
    assert services.summary(job) == {"created": 1}
    visit = central_visit("uuid:v1", "TAK-0042", [])
    (tmp_path / "visit.json").write_text(json.dumps([visit]))
    jobs = services.import_submissions(people["clinician"], tmp_path / "visit.json", form="mhis_clinic_visit")  # fmt: skip
    assert services.summary(jobs[0]) == {"created": 1}
    assert Encounter.objects.get().person == Person.objects.get()


def test_a_kobo_xlsx_export_with_a_repeat_sheet_makes_one_weekly_report_per_site_week(people, tmp_path):  # fmt: skip
    book = Workbook()
    main = book.active
    main.title = "mhis_weekly_report"
    main.append(["site", "week", "note", "meta/instanceID", "_uuid", "_index"])
    main.append(["MSOT-CLIN", "2025-W20", "", "uuid:w1", "w1", 1])
    cases = book.create_sheet("cases")
    cases.append(["cases/condition", "cases/sex", "cases/age_group", "cases/count", "_parent_index", "_index"])  # fmt: skip
    cases.append(["dengue", "female", "15-49", 4, 1, 1])
    cases.append(["dengue", "male", "15-49", 3, 1, 2])
    path = tmp_path / "kobo.xlsx"
    book.save(path)
    (job,) = services.import_submissions(people["clinician"], path, form="mhis_weekly_report")
    assert services.summary(job) == {"created": 2}
    report = WeeklyReport.objects.get()
    assert sorted(report.counts.values_list("sex", "count")) == [("female", 4), ("male", 3)]


def test_an_odk_central_csv_zip_with_nested_group_columns(people, tmp_path):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["SubmissionDate", "session-site", "session-date", "session-topic", "counts-females",
                     "counts-males", "meta-instanceID", "KEY"])  # fmt: skip
    writer.writerow(["2025-05-03T10:00:00Z", "MSOT-CLIN", "2025-05-03", "tb", "11", "8", "uuid:s1", "uuid:s1"])  # fmt: skip
    path = tmp_path / "central.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mhis_health_session.csv", out.getvalue())
    (job,) = services.import_submissions(people["clinician"], path, form="mhis_health_session")
    assert services.summary(job) == {"created": 1}
    assert Session.objects.get().attendance == 19


def test_the_commands_write_the_forms_with_the_sites_and_import_a_forms_export(people, world, tmp_path):  # fmt: skip
    from django.core.management import call_command

    out = io.StringIO()
    call_command("fieldforms", out=str(tmp_path), under="TH", stdout=out)
    written = sorted(p.name for p in tmp_path.glob("*.xlsx"))
    assert written == sorted(f"{f}.xlsx" for f in fieldforms.FORMS)
    from openpyxl import load_workbook

    choices = load_workbook(tmp_path / "mhis_outreach_contact.xlsx")["choices"]
    sites = {row[1] for row in choices.iter_rows(values_only=True) if row[0] == "site"}
    assert "MSOT-CLIN" in sites and "SPS-CAMR" not in sites  # Honduras is not under Thailand
    export = tmp_path / "sessions.json"
    export.write_text(json.dumps([{"__id": "uuid:x", "site": "MSOT-CLIN", "date": "2025-06-01",
                                   "topic": "dengue", "females": 3, "males": 5}]))  # fmt: skip
    out = io.StringIO()
    call_command("import", str(export), form="mhis_health_session", user="mae_sot_clinician", stdout=out)  # fmt: skip
    assert "sessions: 1 created" in out.getvalue()
