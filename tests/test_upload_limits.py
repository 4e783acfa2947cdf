"""Upload bombs: a file small on the wire that unpacks to far more — a ZIP of CSVs of a million
rows, a workbook of many rows or of a huge table of shared strings, a ZIP listing thousands of
files, a CSV line of a million cells — is refused before the import starts, naming the file
and the limit, while the check's memory stays flat (it counts as it streams)."""

import csv
import io
import tracemalloc
import zipfile

import pytest
from django.core.exceptions import ValidationError
from openpyxl import Workbook

from mhis.intake import services
from mhis.intake.models import Job
from mhis.registry.models import Person

FLAT = 8_000_000  # bytes: the most the refused import may allocate at its peak


def refused(call) -> tuple[str, int]:
    """What `call` was refused with, and the peak of the memory it allocated meanwhile."""
    tracemalloc.start()
    try:
        with pytest.raises(ValidationError) as error:
            call()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return " ".join(error.value.message_dict["file"]), peak


def test_a_zip_of_a_million_csv_rows_is_refused_with_flat_memory(people, tmp_path):
    path = tmp_path / "central.zip"
    with (
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("mhis_health_session.csv", "w") as member,
    ):
        member.write(b"site,date,topic\n")
        for _ in range(1000):
            member.write(b"MSOT-CLIN,2025-05-03,tb\n" * 1000)
    assert path.stat().st_size < 100_000  # about 24 MB once unpacked
    message, peak = refused(lambda: services.import_submissions(people["clinician"], path, form="mhis_health_session"))  # fmt: skip
    assert message == "“central.zip” holds more than 100,000 rows, the most an import takes."
    assert peak < FLAT
    assert not Job.objects.exists()


def workbook_with(path, part: str, xml_rows) -> None:
    """A valid workbook whose part `part` is replaced by the XML streamed from `xml_rows`."""
    book = Workbook()
    book.active.append(["source_key", "name", "registration_site"])
    book.active.append(["K1", "Aung Aung", "MSOT-CLIN"])
    plain = io.BytesIO()
    book.save(plain)
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            if info.filename != part:
                out.writestr(info.filename, source.read(info))
        with out.open(part, "w") as member:
            for chunk in xml_rows():
                member.write(chunk)


def test_a_workbook_of_many_rows_is_refused_with_flat_memory(people, tmp_path, settings):
    settings.MHIS_IMPORT_MAX_ROWS = 10_000
    path = tmp_path / "people.xlsx"

    def sheet():
        yield b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        for start in range(1, 200_001, 1000):
            yield b"".join(b'<row r="%d"/>' % n for n in range(start, start + 1000))
        yield b"</sheetData></worksheet>"

    workbook_with(path, "xl/worksheets/sheet1.xml", sheet)
    assert path.stat().st_size < 500_000
    message, peak = refused(lambda: services.run_import(people["clinician"], path, source="s"))
    assert message == "“people.xlsx” holds more than 10,000 rows, the most an import takes."
    assert peak < FLAT
    assert not Job.objects.exists()


def test_a_workbook_whose_shared_strings_unpack_beyond_their_limit_is_refused(people, tmp_path, settings):  # fmt: skip
    settings.MHIS_XLSX_MAX_STRINGS_BYTES = 1_000_000
    path = tmp_path / "people.xlsx"

    def strings():
        yield b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        for _ in range(400):
            yield b"<si><t>Aung Aung</t></si>" * 1000
        yield b"</sst>"

    workbook_with(path, "xl/sharedStrings.xml", strings)
    message, peak = refused(lambda: services.run_import(people["clinician"], path, source="s"))
    assert message == (
        "The shared text of “xl/sharedStrings.xml (people.xlsx)” unpacks to more than 1 MB, "
        "the most an import takes."
    )
    assert peak < FLAT
    assert not Person.objects.exists()


@pytest.mark.parametrize(("kind", "setting"), [("people", "MHIS_IMPORT_MAX_ROWS"), ("weekly", "MHIS_IMPORT_MAX_HELD_ROWS")])  # fmt: skip
def test_a_csv_of_more_rows_than_its_kind_takes_is_refused_before_a_job_starts(
    people, tmp_path, settings, kind, setting
):
    setattr(settings, setting, 1000)
    path = tmp_path / "rows.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["source_key", "name", "registration_site", "site", "week"])
        writer.writerows([[""] * 5] * 5000)
    message, _peak = refused(lambda: services.run_import(people["clinician"], path, kind=kind, source="s"))  # fmt: skip
    assert message == "“rows.csv” holds more than 1,000 rows, the most an import takes."
    assert not Job.objects.exists()


def test_a_csv_line_of_a_million_cells_is_refused_with_flat_memory(people, tmp_path):
    path = tmp_path / "wide.csv"
    path.write_bytes(b"source_key,name,registration_site" + b"," * 3_000_000 + b"\n")
    message, peak = refused(lambda: services.run_import(people["clinician"], path, source="s"))
    assert message == "Line 1 of “wide.csv” is longer than 1,000,000 characters."
    assert peak < FLAT


def test_a_zip_listing_too_many_files_is_refused_before_its_list_is_read(people, tmp_path):
    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for n in range(40_000):
            archive.writestr(f"attachments/{n:08d}.jpg", b"")
    message, _peak = refused(lambda: services.import_submissions(people["clinician"], path, form="mhis_health_session"))  # fmt: skip
    assert message == "“many.zip” holds too many files."


def test_files_within_the_limits_import_as_before(people, tmp_path, settings):
    settings.MHIS_IMPORT_MAX_ROWS = 3  # the header and two rows
    path = tmp_path / "two.csv"
    path.write_text("source_key,name,registration_site\nA1,Aung Aung,MSOT-CLIN\nA2,Naw Paw,MSOT-CLIN\n")  # fmt: skip
    job = services.run_import(people["clinician"], path, source="s")
    assert services.summary(job) in ({"created": 2}, {"created": 1, "duplicate": 1})
