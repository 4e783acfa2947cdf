"""Tables as other programs save them (tests/fixtures/real/csv, see its SOURCES.md): each file
imported by the command and by the page, asserting what is kept, what is refused and with
which message. No file gives a traceback or a server error, and no import is left "running":
a file refused before its import starts leaves no job; one that fails once started ends its
job "failed", saying why."""

import html
import io
import json
from datetime import date
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from mhis import uploads
from mhis.intake import readers, runner, services
from mhis.intake.models import Job
from mhis.registry.models import Person

REAL = Path(__file__).parent / "fixtures" / "real" / "csv"
NOT_UTF8_FIX = "save the file as “CSV UTF-8”"

EXCEL = {"source_key": "ID", "name": "Full name", "latin_name": "Latin name", "sex": "Sex",
         "birth_date": "Date of birth", "nationality": "Nationality", "registration_site": "Site"}  # fmt: skip
EXCEL_NO_LATIN = {k: v for k, v in EXCEL.items() if k != "latin_name"}
MONTHS = {"source_key": "ID", "name": "Full name", "sex": "Sex", "birth_date": "Date of birth",
          "registration_site": "Site"}  # fmt: skip
KOBO = {"source_key": "_uuid", "name": "registration/name", "sex": "registration/sex",
        "birth_date": "registration/birth_date", "nationality": "registration/nationality",
        "registration_site": "registration/site", "languages": "registration/languages"}  # fmt: skip
KOBO_UNREAD = ["start", "end", "today", "deviceid", "meta/instanceID", "_id",
               "_submission_time", "_validation_status", "_notes", "_status", "_submitted_by",
               "__version__", "_tags", "_index"]  # fmt: skip

# File -> its mapping, and the message it is refused with before any import starts.
REFUSED = {
    "excel-windows-1252.csv": (
        EXCEL_NO_LATIN,
        "Line 3 (row 2, column “Full name”): byte 0xE9 is not valid in UTF-8.",
    ),
    "bad-byte-line-7.csv": (
        None,
        "Line 7 (row 6, column “name”): byte 0xE9 is not valid in UTF-8.",
    ),
    "empty.csv": (None, "The file is empty."),
    "header-only.csv": (None, "The file holds no row after its header."),
    "image-renamed.csv": (None, "This file holds binary data, not CSV text."),
    "workbook-renamed.csv": (
        None,
        "This file is a workbook or a ZIP archive, not CSV text: give a workbook the "
        "extension .xlsx.",
    ),
    "truncated.xlsx": (None, "“truncated.xlsx” is not a readable XLSX file."),
}
# File -> its mapping: imported.
KEPT = {
    "excel-utf8-bom.csv": EXCEL,
    "excel-unicode-text.csv": EXCEL,
    "kobo-default-semicolon.csv": KOBO,
    "libreoffice.csv": None,
    "excel-month-only-birth.xlsx": MONTHS,
    "extra-columns.xlsx": None,
}
# The page's form refuses an empty upload itself, in Django's words.
ON_THE_PAGE = {"empty.csv": "The submitted file is empty."}
CUT_SHORT = "The workbook cannot be read after row 4: it is damaged or cut short."


def born(key: str) -> tuple[str, date | None, str]:
    """The person a row of the file became: name, date of birth, precision."""
    from mhis.intake.models import SourceRecord

    person = SourceRecord.objects.get(key=key, kind="people").person
    return person.display_name, person.birth_date, person.birth_date_precision


def check_kept(name: str, job: Job) -> None:
    """What each importable file keeps and refuses (the same by the command and the page)."""
    rejected = {(r.row, r.field): r.reason for r in job.rows.filter(outcome="rejected")}
    if name == "excel-utf8-bom.csv":
        assert born("MM-001") == ("အောင်မြင့်", date(1985, 3, 12), "exact")
        assert born("TH-002") == ("สมศรี ใจดี", date(1992, 1, 1), "year")
        assert born("HN-003") == ("José Pérez", date(1990, 7, 1), "exact")
        # Excel saved the month-only date as it showed it, "Apr-91": refused, not guessed.
        assert list(rejected) == [(4, "Date of birth")]
        assert "Enter a date as YYYY-MM-DD, YYYY-MM or YYYY." in rejected[(4, "Date of birth")]
        assert Person.objects.count() == 3
    elif name == "excel-unicode-text.csv":
        assert born("MM-011") == ("မအေးမြ", date(1996, 9, 30), "exact")
        assert born("KH-012") == ("សុខ ចាន់", date(1983, 5, 1), "month")
        assert rejected == {} and Person.objects.count() == 2
    elif name == "kobo-default-semicolon.csv":
        first = "5d9c7e2a-4c3b-4f0e-9d0a-1b2c3d4e5f60"
        second = "0b1a2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
        assert born(first) == ("ခင်မာ", date(1994, 1, 20), "exact")
        assert born(second) == ("Saw Eh; Htoo", date(1988, 6, 1), "month")
        assert Person.objects.get(display_name="ခင်မာ").languages == ["my", "th"]
        assert rejected == {} and job.unread_columns == KOBO_UNREAD
    elif name == "libreoffice.csv":
        assert born("LO-1") == ("สมชาย ใจดี", date(1979, 6, 1), "month")
        assert born("LO-2") == ("Lopez, Maria", date(1988, 2, 14), "exact")
        assert born("LO-3") == ("ញឹម សុភា", date(1990, 1, 1), "year")
        assert list(rejected) == [(4, "birth_date")]
        assert "This date does not exist." in rejected[(4, "birth_date")]
    elif name == "excel-month-only-birth.xlsx":
        assert born("X-1") == ("Naw Htoo", date(1991, 4, 1), "month")  # "Apr-91", mmm-yy
        assert born("X-2") == ("Maria Lopez", date(1988, 2, 14), "exact")
        assert born("X-3") == ("Kyaw Min", date(1992, 1, 1), "year")
        assert born("X-4") == ("Saw Ler", date(1985, 3, 1), "month")
        assert born("X-5") == ("สมศรี ใจดี", date(1977, 8, 1), "month")  # Buddhist-era format
        assert rejected == {} and job.unread_columns == []
    elif name == "extra-columns.xlsx":
        assert {born(k)[0] for k in ("EC-1", "EC-2")} == {"Aung Aung", "Naw Paw"}
        assert job.unread_columns == ["Phone", "Village", "Notes", "Interviewer"]
    else:
        raise AssertionError(name)


def command(path: Path, mapping: dict | None, **options) -> str:
    out = io.StringIO()
    extra = {"map": json.dumps(mapping)} if mapping else {}
    call_command("import", str(path), user="mae_sot_clinician", source=path.stem, stdout=out,
                 verbosity=0, **extra, **options)  # fmt: skip
    return out.getvalue()


def upload(client, name: str, mapping: dict | None):
    return client.post("/imports/", {"what": "kind:people", "source": Path(name).stem,
                                      "mapping": json.dumps(mapping) if mapping else "",
                                      "file": SimpleUploadedFile(name, (REAL / name).read_bytes())})  # fmt: skip


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_file_refused_by_the_command_says_why_and_leaves_no_job(people, name):
    mapping, message = REFUSED[name]
    with pytest.raises(CommandError) as refused:
        command(REAL / name, mapping)
    assert message in str(refused.value)
    if "UTF-8" in message:
        assert NOT_UTF8_FIX in str(refused.value)
    assert not Job.objects.exists() and not Person.objects.exists()


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_file_refused_on_the_page_says_why_on_the_form(client, people, settings, tmp_path, name):  # fmt: skip
    settings.VAR_DIR = tmp_path
    mapping, message = REFUSED[name]
    message = ON_THE_PAGE.get(name, message)
    client.force_login(people["clinician"])
    response = upload(client, name, mapping)
    assert response.status_code == 200
    assert html.escape(message) in response.content.decode()
    assert not Job.objects.exists() and not Person.objects.exists()
    assert list(runner.upload_dir().iterdir()) == []  # the refused upload is not kept


@pytest.mark.parametrize("name", sorted(KEPT))
def test_a_file_imported_by_the_command_keeps_and_refuses_rows(people, name):
    output = command(REAL / name, KEPT[name])
    job = Job.objects.get()
    assert job.status == "done"
    check_kept(name, job)
    if job.unread_columns:
        listed = ", ".join(job.unread_columns)
        assert f"These columns were not read: {listed}." in output


@pytest.mark.parametrize("name", sorted(KEPT))
def test_a_file_imported_on_the_page_keeps_and_refuses_rows(client, people, settings, tmp_path, name):  # fmt: skip
    settings.VAR_DIR = tmp_path
    client.force_login(people["clinician"])
    response = upload(client, name, KEPT[name])
    job = Job.objects.get()
    assert response.status_code == 302 and job.status == "done"
    check_kept(name, job)
    page = client.get(f"/imports/{job.pk}/").content.decode()
    if job.unread_columns:
        assert html.escape(f"These columns were not read: {', '.join(job.unread_columns)}.") in page  # fmt: skip
    else:
        assert "These columns were not read" not in page


def test_a_workbook_that_fails_once_its_import_started_ends_the_job_failed_by_the_command(people):  # fmt: skip
    with pytest.raises(CommandError) as refused:
        command(REAL / "sheet-cut-short.xlsx", None)
    assert CUT_SHORT in str(refused.value)
    job = Job.objects.get()
    assert job.status == "failed" and CUT_SHORT in job.error and job.finished_at is not None
    assert not Person.objects.exists()


def test_a_workbook_that_fails_in_the_worker_ends_the_job_failed_on_its_page(client, people, settings, tmp_path):  # fmt: skip
    settings.VAR_DIR = tmp_path
    client.force_login(people["clinician"])
    response = upload(client, "sheet-cut-short.xlsx", None)
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/imports/{job.pk}/"
    assert job.status == "failed" and CUT_SHORT in job.error
    page = client.get(f"/imports/{job.pk}/")
    assert page.status_code == 200 and html.escape(CUT_SHORT) in page.content.decode()
    assert list(runner.upload_dir().iterdir()) == []  # nothing left to resume from


def test_a_bad_byte_met_by_the_worker_ends_the_job_failed_naming_the_line(people, settings, tmp_path):  # fmt: skip
    """The worker's task, on a job whose stored file no longer reads as it did when queued
    (the check is not run again on a job given): failed, with the line, row and column."""
    settings.VAR_DIR = tmp_path
    good = b"source_key,name,sex,birth_date,registration_site\r\nB-1,Aung Aung,male,1990-01-01,MSOT-CLIN\r\n"  # fmt: skip
    path, digest = runner.save_upload(SimpleUploadedFile("b.csv", good))
    job = services.start_job(people["clinician"], kind="people", source="b", file_name="b.csv", digest=digest)  # fmt: skip
    path.write_bytes((REAL / "bad-byte-line-7.csv").read_bytes())
    with pytest.raises(ValidationError):
        runner.import_table(people["clinician"].pk, path.name, job.pk)
    job.refresh_from_db()
    assert job.status == "failed"
    assert "Line 7 (row 6, column “name”): byte 0xE9 is not valid in UTF-8." in job.error
    assert not path.exists()


@pytest.mark.parametrize(
    "fault",
    [UnicodeDecodeError("utf-8", b"\xe9", 0, 1, "invalid continuation byte"), RuntimeError("x")],
    ids=["decoding", "unexpected"],
)
def test_any_fault_once_the_import_started_fails_the_job_without_a_traceback(people, monkeypatch, tmp_path, fault):  # fmt: skip
    def rows(path):  # met while the rows are read, once the job has started
        raise fault
        yield  # a generator, as the reader is

    monkeypatch.setattr(readers, "rows", rows)
    path = tmp_path / "p.csv"
    path.write_bytes(b"source_key,name,registration_site\nA1,Aung Aung,MSOT-CLIN\n")
    with pytest.raises(CommandError) as refused:
        command(path, None)
    assert "unexpected error" in str(refused.value) and str(tmp_path) not in str(refused.value)
    job = Job.objects.get()
    assert job.status == "failed" and "unexpected error" in job.error


# -- the readers' own rules --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number_format", "shown"),
    [("mmm-yy", "month"), ("mm/yyyy", "month"), ("mmmm yyyy", "month"), ("[$-409]mmm-yy;@", "month"),
     ("[$-th-TH]mmm bbbb", "month"), ("yyyy", "year"), ('"Year "yyyy', "year"), ("dd/mm/yyyy", "exact"),
     ("mm-dd-yy", "exact"), ("yyyy-mm-dd h:mm", "exact"), ("h:mm AM/PM", "exact"), ("General", "exact")],
)  # fmt: skip
def test_a_date_cell_is_read_as_far_as_its_number_format_shows_it(number_format, shown):
    assert readers.date_shown(number_format) == shown


def records(data: bytes) -> list[list[str]]:
    return list(uploads.csv_records(io.BufferedReader(io.BytesIO(data)), "t.csv"))


def test_the_delimiter_is_the_one_that_splits_the_header_and_excel_may_name_it():
    assert records(b"a;b;c\n1;2,5;3\n") == [["a", "b", "c"], ["1", "2,5", "3"]]
    assert records(b"a\tb\n1\t2\n") == [["a", "b"], ["1", "2"]]
    assert records(b"a,b\n1,2\n") == [["a", "b"], ["1", "2"]]
    assert records(b"sep=;\r\na;b,c\r\n1;2\r\n") == [["a", "b,c"], ["1", "2"]]
    assert records(b"name\nAung\n") == [["name"], ["Aung"]]


def test_a_bad_byte_is_named_by_line_even_where_no_column_can_be():
    with pytest.raises(ValidationError) as header:
        records(b"na\xefme,b\n1,2\n")
    assert "Line 1 (the header): byte 0xEF is not valid in UTF-8." in header.value.messages[0]
    # Inside a cell written over two lines, the line does not start a row: no column named.
    with pytest.raises(ValidationError) as inside:
        records(b'a,b\n1,"two\nli\xffnes"\n')
    assert "Line 3 (row 1): byte 0xFF is not valid in UTF-8." in inside.value.messages[0]


def test_lines_may_end_with_a_lone_carriage_return_as_excel_for_mac_writes_them():
    assert records(b"a,b\r1,2\r3,4\r") == [["a", "b"], ["1", "2"], ["3", "4"]]
    assert records(b'a,b\r1,"x\ry"\r') == [["a", "b"], ["1", "x\ry"]]
    with pytest.raises(ValidationError) as bad:
        records(b"a,b\r1,2\r3,\xe94\r")
    assert "Line 3 (row 2, column “b”): byte 0xE9" in bad.value.messages[0]


def test_a_file_of_lone_carriage_returns_longer_than_one_read_keeps_its_lines(monkeypatch):
    monkeypatch.setattr(uploads, "_MAX_LINE_BYTES", 8)  # a read of 9 bytes at most
    data = b"a,b\r" + b"".join(f"{i},x{i}\r".encode() for i in range(20)) + b"20,end"
    assert records(data)[1:] == [[str(i), f"x{i}"] for i in range(20)] + [["20", "end"]]


def test_utf16_is_read_by_its_byte_order_mark_and_refused_by_line_when_broken():
    assert records("a\tb\r\nမ\tသ\r\n".encode("utf-16-be").join([b"\xfe\xff", b""])) == [
        ["a", "b"],
        ["မ", "သ"],
    ]
    broken = "a,b\r\n".encode("utf-16") + b"\x00\xd8\x31\x00"  # a lone high surrogate
    with pytest.raises(ValidationError) as refused:
        records(broken)
    assert refused.value.messages == ["Line 2: the text is not valid UTF-16."]


def test_kobos_semicolon_csv_is_read_as_a_forms_submissions_too(people, tmp_path):
    """KoboToolbox's default CSV export (semicolons, every field quoted) of the registration
    form, given as the form's submissions rather than as a table: read, names kept."""
    header = ["start", "end", "registration/card", "registration/registration_site",
              "registration/name", "registration/sex", "meta/instanceID", "_id", "_uuid",
              "_submission_time", "_validation_status", "_index"]  # fmt: skip
    rows = [["2026-11-02T09:14:03+07:00", "2026-11-02T09:20:44+07:00", "C-1", "MSOT-CLIN",
             "ခင်မာ", "female", "uuid:5d9c7e2a", "101", "5d9c7e2a", "2026-11-02T02:21:10", "", "1"],
            ["2026-11-02T10:02:51+07:00", "2026-11-02T10:09:12+07:00", "C-2", "MSOT-CLIN",
             "Saw Eh; Htoo", "male", "uuid:0b1a2c3d", "102", "0b1a2c3d", "2026-11-02T03:10:02", "", "2"]]  # fmt: skip
    path = tmp_path / "kobo.csv"
    path.write_text("".join('"' + '";"'.join(r) + '"\n' for r in [header, *rows]), "utf-8")
    (job,) = services.import_submissions(people["clinician"], path, form="mhis_registration")
    assert job.status == "done" and not job.rows.filter(outcome="rejected").exists()
    assert set(Person.objects.values_list("display_name", flat=True)) == {"ခင်မာ", "Saw Eh; Htoo"}


def test_weekly_reports_in_utf16_or_with_semicolons_are_read_like_any_table(tmp_path):
    from mhis.surveillance.services import read_table

    text = "site;week;condition;sex;age_group;count\r\nRNG-PORT;2026-W10;malaria;male;15-49;3\r\n"
    for encoding in ("utf-16", "utf-8-sig"):
        path = tmp_path / f"weeks-{encoding}.csv"
        path.write_bytes(text.encode(encoding))
        assert list(read_table(path)) == [
            (2, {"site": "RNG-PORT", "week": "2026-W10", "condition": "malaria", "sex": "male",
                 "age_group": "15-49", "count": "3"})
        ]  # fmt: skip
    path.write_bytes(text.encode("utf-8") + b"RNG-PORT;2026-W1\xe91;malaria;male;15-49;1\r\n")
    with pytest.raises(ValidationError) as refused:
        list(read_table(path))
    assert "Line 3 (row 2, column “week”): byte 0xE9" in refused.value.messages[0]
