"""Exchange files in shapes their own fixtures miss, as the people and systems that send them
would: an older export imported after a newer one, a CSV whose rows hold more values than its
header names, hostile and oversized IATI files, a user of another country re-importing."""

import copy
import csv
import datetime as dt
import html
import io
import json
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from mhis.access.services import create_user
from mhis.care.models import Encounter, Immunisation
from mhis.intake import readers, services
from mhis.intake.models import Job
from mhis.programmes import iati
from mhis.programmes.models import Project
from mhis.registry.models import Person

REAL = Path(__file__).parent / "fixtures" / "real"
KOBO = REAL / "kobo"
REPLACED = "Not imported: a later edit of this submission was imported already."


def summaries(jobs):
    return [(j.kind, services.summary(j)) for j in jobs]


@pytest.fixture
def registered(people):
    services.import_submissions(
        people["clinician"], KOBO / "mhis_registration-xml-values.xlsx", form="mhis_registration"
    )
    return {p.display_latin: p for p in Person.objects.all()}


def edit_and_original(tmp_path, *, root: bool) -> tuple[Path, Path]:
    """Kobo's data API export of an edited visit (its first entry, whose deprecatedID names
    the version it replaced), and the same visit as its first version was exported before the
    edit (reason "fever", lot L1); with or without ``meta/rootUuid`` (older Kobo exports)."""
    data = json.loads((KOBO / "mhis_clinic_visit-data-api.json").read_text(encoding="utf-8"))
    edit = data["results"][0]
    if not root:
        for item in data["results"]:
            item.pop("meta/rootUuid", None)
    original = copy.deepcopy(edit)
    original["meta/instanceID"] = original.pop("meta/deprecatedID")
    original["_uuid"] = original["meta/instanceID"].removeprefix("uuid:")
    original["reason"] = "fever"
    original["vaccination"][0]["vaccination/lot"] = "L1"
    paths = []
    for name, item in (("edited.json", edit), ("original.json", original)):
        (tmp_path / name).write_text(json.dumps({**data, "results": [item]}), encoding="utf-8")
        paths.append(tmp_path / name)
    return paths[0], paths[1]


@pytest.mark.parametrize("root", [True, False], ids=["rootUuid", "deprecatedID-only"])
def test_an_original_imported_after_its_edit_changes_nothing(registered, people, tmp_path, root):
    user, aung = people["clinician"], registered["Aung Aung"]
    edited, original = edit_and_original(tmp_path, root=root)
    first = services.import_submissions(user, edited, form="mhis_clinic_visit")
    assert summaries(first) == [("encounters", {"created": 1}), ("immunisations", {"created": 1})]
    late = services.import_submissions(user, original, form="mhis_clinic_visit")
    assert summaries(late) == [("encounters", {"rejected": 1}), ("immunisations", {})]
    assert list(late[0].rows.values_list("reason", flat=True)) == [REPLACED]
    assert list(Encounter.objects.filter(person=aung).values_list("reason", flat=True)) == [
        "fever and rash"
    ]
    assert list(Immunisation.objects.filter(person=aung).values_list("lot", flat=True)) == ["L7"]
    again = services.import_submissions(user, edited, form="mhis_clinic_visit")
    assert summaries(again) == [
        ("encounters", {"unchanged": 1}),
        ("immunisations", {"unchanged": 1}),
    ]


def test_an_original_and_its_edit_in_one_file_import_the_edit(registered, people, tmp_path):
    edited, original = edit_and_original(tmp_path, root=False)
    both = json.loads(original.read_text(encoding="utf-8"))
    both["results"] += json.loads(edited.read_text(encoding="utf-8"))["results"]
    (tmp_path / "both.json").write_text(json.dumps(both), encoding="utf-8")
    jobs = services.import_submissions(people["clinician"], tmp_path / "both.json", form="mhis_clinic_visit")  # fmt: skip
    assert summaries(jobs) == [
        ("encounters", {"created": 1, "rejected": 1}),
        ("immunisations", {"created": 1}),
    ]
    aung = registered["Aung Aung"]
    assert list(Encounter.objects.filter(person=aung).values_list("reason", flat=True)) == [
        "fever and rash"
    ]


# -- CSV: a row with more values than its header names ----------------------------------------

OVERFLOW = (
    "This row holds 4 values but the header names 3 columns: a value that holds the delimiter "
    "must be in quotes. Nothing of the row was kept."
)


def test_a_csv_row_with_a_delimiter_out_of_quotes_is_refused_not_cut(people, tmp_path):
    """A name with a comma out of quotes would otherwise be kept as its first part."""
    path = tmp_path / "people.csv"
    path.write_text(
        "source_key,registration_site,name\r\n"
        "P-1,MSOT-CLIN,Lopez, Maria\r\n"
        'P-2,MSOT-CLIN,"Saw Eh, Htoo"\r\n'
        "P-3,MSOT-CLIN,สมชาย ใจดี,\r\n",
        encoding="utf-8",
    )
    out = io.StringIO()
    call_command("import", str(path), user="mae_sot_clinician", stdout=out, verbosity=0)
    job = Job.objects.get()
    assert job.status == "done"
    assert services.summary(job) == {"created": 2, "rejected": 1}
    assert list(job.rows.filter(outcome="rejected").values_list("row", "reason")) == [(1, OVERFLOW)]
    assert f"row 1, —: {OVERFLOW}" in out.getvalue()
    assert sorted(Person.objects.values_list("display_name", flat=True)) == [
        "Saw Eh, Htoo",
        "สมชาย ใจดี",  # a trailing empty value (Excel's) is no extra value
    ]


def test_a_semicolon_csv_with_a_bom_keeps_quoted_semicolons_and_line_breaks(people, tmp_path):
    path = tmp_path / "kobo.csv"
    path.write_bytes(
        "\ufeffsource_key;registration_site;name;sex\r\n"
        'K-1;MSOT-CLIN;"ခင်မာ; Htoo";female\r\n'
        'K-2;MSOT-CLIN;"สมชาย\r\nใจดี";male\r\n'.encode()
    )
    call_command("import", str(path), user="mae_sot_clinician", stdout=io.StringIO(), verbosity=0)
    job = Job.objects.get()
    assert services.summary(job) == {"created": 2}
    names = set(Person.objects.values_list("display_name", flat=True))
    assert "ခင်မာ; Htoo" in names and len(names) == 2


# -- IATI ---------------------------------------------------------------------------------------

IATI_HEAD = '<?xml version="1.0"?><iati-activities version="2.03">'


def iati_activity(identifier: str, org: str = "XI-IATI-EXAMPLE", country: str = "CD") -> str:
    return f"""<iati-activity default-currency="EUR" xml:lang="en">
 <iati-identifier>{identifier}</iati-identifier>
 <reporting-org ref="{org}" type="10"><narrative>Example publisher</narrative></reporting-org>
 <title><narrative>Activity {identifier}</narrative></title>
 <recipient-country code="{country}"/></iati-activity>"""


def test_a_partner_activity_holding_our_would_be_identifier_stops_the_export_named(client, world):  # fmt: skip
    """Another publisher's file gives an activity the identifier our unpublished project TH-001
    would be published under: the export names the conflict instead of failing."""
    ours = iati.reporting_org()["ref"]
    Project.objects.create(code="TH-001", title="Ours", type="policy", countries=["TH"],
                           planned_start=dt.date(2024, 1, 1))  # fmt: skip
    data = IATI_HEAD + iati_activity(f"{ours}-TH-001") + "</iati-activities>"
    report = iati.import_activities(data.encode())
    assert report.partners == 1
    expected = (
        f"TH-001 — iati-identifier: {ours}-TH-001 is the identifier of the activity "
        f"{ours}-TH-001 already read from an IATI file (Example publisher): give this project "
        "another code before it is published."
    )
    with pytest.raises(ValidationError) as refused:
        iati.export()
    assert refused.value.messages == [expected]
    client.force_login(create_user(username="pm", password=None, role="programme_manager", places=[world["TH"]]))  # fmt: skip
    response = client.get("/programmes/iati/activities.xml")
    assert response.status_code == 400
    assert html.escape(expected) in response.content.decode()
    assert Project.objects.get(code="TH-001").iati_identifier is None
    with pytest.raises(CommandError) as stopped:
        call_command("iati", "export", stdout=io.StringIO())
    assert expected in str(stopped.value)


def test_a_one_column_csv_keeps_commas_and_semicolons_in_its_values(tmp_path):
    """No delimiter splits a one-column header, so none splits its rows either."""
    path = tmp_path / "names.csv"
    path.write_text("name\r\nLopez, Maria\r\nSaw Eh; Htoo\r\nစော, ထူး\r\n", encoding="utf-8")
    assert [row["name"] for row in readers.rows(path)] == [
        "Lopez, Maria",
        "Saw Eh; Htoo",
        "စော, ထူး",
    ]
    assert readers.count_rows(path) == 3


LAUGHS = """<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<iati-activities version="2.03"><iati-activity><iati-identifier>&lol3;</iati-identifier>
</iati-activity></iati-activities>"""
XXE = """<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>
<iati-activities version="2.03"><iati-activity><iati-identifier>&e;</iati-identifier>
</iati-activity></iati-activities>"""
ENTITIES = (
    "The file declares entities in a DOCTYPE, which an IATI activities file never holds: it is "
    "refused and nothing was read."
)


@pytest.mark.parametrize("data", [LAUGHS, XXE], ids=["billion-laughs", "external-entity"])
def test_an_iati_file_with_entities_is_refused_in_words_by_the_page_and_the_command(client, world, tmp_path, data):  # fmt: skip
    client.force_login(create_user(username="pm", password=None, role="programme_manager", places=[world["TH"]]))  # fmt: skip
    upload = SimpleUploadedFile("activities.xml", data.encode())
    page = client.post("/programmes/iati/import/", {"file": upload}).content.decode()
    assert html.escape(ENTITIES) in page and "passwd" not in page and "lol" not in page
    path = tmp_path / "activities.xml"
    path.write_text(data, encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        call_command("iati", "import", str(path), stdout=io.StringIO())
    assert str(refused.value) == ENTITIES
    assert not Project.objects.exists()


def test_central_first_version_imported_after_the_csv_of_its_edit_changes_nothing(registered, people):  # fmt: skip
    """Central's CSV names no deprecatedID: its KEY (the first version's instance id) and an
    instance id of its own tell an edit, so the first version coming back later is left out."""
    user, aung = people["clinician"], registered["Aung Aung"]
    central = REAL / "odk" / "central"
    services.import_submissions(user, central / "mhis_clinic_visit.csv.zip", form="mhis_clinic_visit")  # fmt: skip
    late = services.import_submissions(user, central / "mhis_clinic_visit.svc-Submissions-expand-v1.json", form="mhis_clinic_visit")  # fmt: skip
    assert summaries(late) == [("encounters", {"rejected": 1}), ("immunisations", {})]
    assert list(late[0].rows.values_list("reason", flat=True)) == [REPLACED]
    assert list(Immunisation.objects.filter(person=aung).values_list("lot", flat=True)) == ["L7"]


def dated(title: str, updated: str) -> bytes:
    return f"""{IATI_HEAD}<iati-activity last-updated-datetime="{updated}" default-currency="EUR" xml:lang="en">
 <iati-identifier>XI-IATI-EXAMPLE-9</iati-identifier>
 <reporting-org ref="XI-IATI-EXAMPLE" type="10"><narrative>Example publisher</narrative></reporting-org>
 <title><narrative>{title}</narrative></title>
 <recipient-country code="CD"/></iati-activity></iati-activities>""".encode()  # fmt: skip


def test_an_older_iati_file_read_after_a_newer_one_does_not_replace_it(db, tmp_path):
    newer, older = dated("Revised", "2025-03-01T10:00:00Z"), dated("First", "2024-01-01T00:00:00")
    assert iati.import_activities(newer).created == 1
    path = tmp_path / "older.xml"
    path.write_bytes(older)
    out = io.StringIO()
    call_command("iati", "import", str(path), stdout=out)
    assert (
        "XI-IATI-EXAMPLE-9: refused: This file's version of the activity was last updated on "
        "2024-01-01T00:00:00+00:00, before the version already read (2025-03-01T10:00:00+00:00): "
        "an older file does not replace a newer one."
    ) in out.getvalue()
    assert Project.objects.get().title == "Revised"
    again = iati.import_activities(newer)  # the same file again: read, nothing refused
    assert again.refused == 0 and again.updated == 1
    assert Project.objects.get().title == "Revised"


def test_an_iati_amount_of_forty_digits_is_said_not_kept_not_a_server_error(client, world):
    budget = (
        '<budget type="1" status="1"><period-start iso-date="2024-01-01"/>'
        '<period-end iso-date="2024-12-31"/><value value-date="2024-01-01">'
        + "9" * 40
        + "</value></budget>"
    )
    body = iati_activity("XI-IATI-EXAMPLE-10", country="TH").replace(
        "</iati-activity>", budget + "</iati-activity>"
    )
    client.force_login(create_user(username="pm", password=None, role="programme_manager", places=[world["TH"]]))  # fmt: skip
    upload = SimpleUploadedFile("a.xml", (IATI_HEAD + body + "</iati-activities>").encode())
    response = client.post("/programmes/iati/import/", {"file": upload})
    assert response.status_code == 200
    project = Project.objects.get(iati_identifier="XI-IATI-EXAMPLE-10")
    assert not project.budgets.exists()
    assert "9" * 40 in response.content.decode()  # named among what was not kept


def test_an_edit_chain_arriving_newest_first_imports_the_newest_only(registered, people, tmp_path):
    """Versions a → b → c of one visit (older Kobo: no rootUuid, each edit naming the version it
    replaced), exported at three times and imported newest first: b and a change nothing."""
    edited, _original = edit_and_original(tmp_path, root=False)
    data = json.loads(edited.read_text(encoding="utf-8"))
    b = data["results"][0]
    a = copy.deepcopy(b)
    a["meta/instanceID"] = a.pop("meta/deprecatedID")
    a["reason"] = "first"
    c = copy.deepcopy(b)
    c["meta/deprecatedID"], c["meta/instanceID"] = b["meta/instanceID"], "uuid:c0c0c0c0-0000-4000-8000-000000000003"  # fmt: skip
    c["reason"] = "third"
    user, aung = people["clinician"], registered["Aung Aung"]
    path = tmp_path / "one.json"
    for item, outcome in ((c, "created"), (b, "rejected"), (a, "rejected")):
        path.write_text(json.dumps({**data, "results": [item]}), encoding="utf-8")
        jobs = services.import_submissions(user, path, form="mhis_clinic_visit")
        assert summaries(jobs)[0] == ("encounters", {outcome: 1})
        if outcome == "rejected":
            assert list(jobs[0].rows.values_list("reason", flat=True)) == [REPLACED]
    assert list(Encounter.objects.filter(person=aung).values_list("reason", flat=True)) == ["third"]


@pytest.mark.parametrize("export", ["xlsx", "csv"])
def test_kobo_languages_exported_as_one_column_per_choice_are_kept(people, tmp_path, export):
    """KoboToolbox's export option "select_multiple responses as separate columns" leaves out
    the column of the answer: the choices' columns (1 where chosen) give it."""
    book = load_workbook(KOBO / "mhis_registration-xml-values.xlsx")
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    sheet.delete_cols(header.index("languages") + 1)
    for cell in sheet[1]:  # with the group in the headers, as Kobo writes it
        if cell.value and cell.value.startswith("languages/"):
            cell.value = "group_person/" + cell.value
    path = tmp_path / f"details.{export}"
    if export == "xlsx":
        book.save(path)
    else:
        with path.open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f, delimiter=";")
            for row in sheet.iter_rows(values_only=True):
                writer.writerow(["" if v is None else v for v in row])
    (job,) = services.import_submissions(people["clinician"], path, form="mhis_registration")
    assert services.summary(job) == {"created": 3, "rejected": 1}
    languages = {name: set(codes) for name, codes in Person.objects.values_list("display_latin", "languages")}  # fmt: skip
    assert languages == {"Aung Aung": {"my", "th"}, "Naw Hsa": {"ksw", "my"}, "Somphone": {"lo", "th"}}  # fmt: skip


def test_a_kobo_export_with_another_group_separator_is_read(people, tmp_path):
    """Kobo's export settings let the group separator be other than "/" (here ".")."""
    book = load_workbook(KOBO / "mhis_registration-xml-values.xlsx")
    sheet = book.worksheets[0]
    for cell in sheet[1]:
        if cell.value and not cell.value.startswith("_") and cell.value not in ("start", "end"):
            cell.value = "group_person." + cell.value.replace("/", ".")
    book.save(tmp_path / "dots.xlsx")
    (job,) = services.import_submissions(people["clinician"], tmp_path / "dots.xlsx", form="mhis_registration")  # fmt: skip
    assert services.summary(job) == {"created": 3, "rejected": 1}
    assert Person.objects.get(display_latin="Aung Aung").languages == ["my", "th"]


def chart_only_workbook(path: Path) -> Path:
    """A workbook whose only sheet is a chart sheet (Excel: Move Chart › New sheet, the data
    sheet then deleted)."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart

    book = Workbook()
    data = book.active
    book.create_chartsheet().add_chart(BarChart())
    book.remove(data)
    book.save(path)
    return path


def test_a_workbook_of_chart_sheets_only_is_refused_in_words(client, people, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    path = chart_only_workbook(tmp_path / "chart.xlsx")
    with pytest.raises(CommandError) as refused:
        call_command("import", str(path), user="mae_sot_clinician", stdout=io.StringIO(), verbosity=0)  # fmt: skip
    assert "The workbook holds no sheet of rows." in str(refused.value)
    client.force_login(people["clinician"])
    for what in ("kind:people", "form:mhis_registration"):
        upload = SimpleUploadedFile("chart.xlsx", path.read_bytes())
        response = client.post("/imports/", {"what": what, "source": "", "file": upload})
        assert response.status_code == 200
        assert "The workbook holds no sheet of rows." in response.content.decode()
    assert not Job.objects.exists()


def test_a_weekly_report_workbook_of_chart_sheets_only_is_refused_by_the_command(people, tmp_path):  # fmt: skip
    path = chart_only_workbook(tmp_path / "weekly.xlsx")
    with pytest.raises(CommandError) as refused:
        call_command("surveillance", "import", str(path), user="tak_officer", stdout=io.StringIO(), verbosity=0)  # fmt: skip
    assert "The workbook holds no sheet of rows." in str(refused.value)


def test_values_under_a_blank_header_cell_are_listed_with_the_columns_not_read(people, tmp_path):  # fmt: skip
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["source_key", "registration_site", "name", None, "sex"])
    sheet.append(["U-1", "MSOT-CLIN", "Naw Paw", "phone 0812345678", "female"])
    sheet.append(["U-2", "MSOT-CLIN", "Saw Ler", None, "male", "moved to Ranong"])
    book.save(tmp_path / "notes.xlsx")
    path = tmp_path / "notes.csv"
    path.write_text(
        "source_key,registration_site,name,,sex\r\nU-3,MSOT-CLIN,Aye Aye,called twice,female\r\n",
        encoding="utf-8",
    )
    for name, listed in (("notes.xlsx", "column D (no name), column F (no name)"),
                         ("notes.csv", "column 4 (no name)")):  # fmt: skip
        out = io.StringIO()
        call_command("import", str(tmp_path / name), user="mae_sot_clinician", stdout=out, verbosity=0)  # fmt: skip
        assert f"These columns were not read: {listed}." in out.getvalue()
    assert Person.objects.count() == 3
