"""Importing people from CSV and XLSX: twice is the same as once, a killed import re-runs to
every row exactly once, and bad rows are reported by row, column and reason while the good
rows of the same file go in."""

import csv
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from mhis.intake import services
from mhis.intake.models import Job, RowResult, SourceRecord
from mhis.registry.models import Person

HEADER = ["id", "full_name", "site", "sex", "dob", "nationality", "passport"]
MAP = {"source_key": "id", "name": "full_name", "registration_site": "site", "sex": "sex",
       "birth_date": "dob", "nationality": "nationality", "identifier_value": "passport"}  # fmt: skip


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def good_rows(n: int, start: int = 0) -> list[list[str]]:
    names = ["Aung Aung", "Naw Paw", "Somchai", "Maria Lopez", "Kyaw Min", "Sokha"]
    return [[f"K-{i:05d}", f"{names[i % len(names)]} {i}", "MSOT-CLIN", ["female", "male"][i % 2],
             f"19{70 + i % 30}-0{1 + i % 9}-1{i % 9}", "MM", ""] for i in range(start, start + n)]  # fmt: skip


def test_importing_the_same_file_twice_gives_the_same_counts_as_once(people, tmp_path):
    path = write_csv(tmp_path / "clinic.csv", good_rows(30))
    first = services.run_import(people["clinician"], path, source="clinic", columns=MAP)
    once = (Person.objects.count(), SourceRecord.objects.count())
    assert once == (30, 30) and services.summary(first).get("created", 0) + services.summary(first).get("duplicate", 0) == 30  # fmt: skip
    second = services.run_import(people["clinician"], path, source="clinic")  # the saved mapping
    assert (Person.objects.count(), SourceRecord.objects.count()) == once
    assert services.summary(second) == {"unchanged": 30}
    # A corrected row updates its person; nothing is added.
    rows = good_rows(30)
    rows[4][1] = "Naw Paw Corrected"
    services.run_import(
        people["clinician"], write_csv(tmp_path / "clinic2.csv", rows), source="clinic"
    )
    assert Person.objects.count() == 30
    assert Person.objects.filter(display_name="Naw Paw Corrected").count() == 1


def test_bad_rows_are_reported_by_row_column_and_reason_and_good_rows_go_in(people, tmp_path):
    rows = good_rows(3)
    rows.append(["B-1", "Unknown Country", "MSOT-CLIN", "male", "1990-01-01", "XX", ""])
    rows.append(["B-2", "Impossible Date", "MSOT-CLIN", "male", "1990-02-30", "MM", ""])
    rows.append(["B-3", "", "MSOT-CLIN", "male", "1990-01-01", "MM", ""])
    rows.append(["B-4", "Wrong Code", "MSOT-CLIN", "alien", "1990-01-01", "MM", ""])
    rows.append(["B-5", "Elsewhere", "SPS-CAMR", "male", "1990-01-01", "HN", ""])
    job = services.run_import(people["clinician"], write_csv(tmp_path / "mixed.csv", rows),
                              source="mixed", columns=MAP)  # fmt: skip
    rejected = {(r.row, r.field): r.reason for r in job.rows.filter(outcome="rejected")}
    assert set(rejected) == {
        (4, "nationality"),
        (5, "dob"),
        (6, "full_name"),
        (7, "sex"),
        (8, "site"),
    }
    assert (
        "ISO 3166" in rejected[(4, "nationality")]
        or "country" in rejected[(4, "nationality")].lower()
    )
    assert "does not exist" in rejected[(5, "dob")]
    assert "required" in rejected[(6, "full_name")]
    assert Person.objects.count() == 3
    assert services.summary(job)["rejected"] == 5


def test_a_known_passport_links_the_row_to_its_person(people, register, tmp_path):
    known = register(
        identifiers=[{"type": "passport", "issuing_country": "MM", "value": "MA1234567"}]
    )
    rows = [["P-1", "Another Spelling", "MSOT-CLIN", "female", "1991-04-01", "MM", "MA1234567"]]
    columns = {**MAP, "identifier_type": "id_type"}
    header_path = tmp_path / "linked.csv"
    with header_path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([*HEADER, "id_type"])
        writer.writerow([*rows[0], "passport"])
    job = services.run_import(people["clinician"], header_path, source="linked", columns=columns)
    (row,) = job.rows.all()
    assert row.outcome == "linked" and row.person == known
    assert Person.objects.count() == 1


def test_a_passport_held_by_a_merged_record_links_the_row_to_its_survivor(
    people, register, tmp_path
):
    from mhis.linkage.merges import merge_people

    merged = register(
        identifiers=[{"type": "passport", "issuing_country": "MM", "value": "MB7654321"}]
    )
    survivor = register()
    merge_people(people["admin"], survivor, merged)
    path = tmp_path / "merged.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([*HEADER, "id_type"])
        writer.writerow(["P-9", "Yet Another", "MSOT-CLIN", "female", "1991-04-01", "MM",
                         "MB7654321", "passport"])  # fmt: skip
    job = services.run_import(people["clinician"], path, source="merged",
                              columns={**MAP, "identifier_type": "id_type"})  # fmt: skip
    (row,) = job.rows.all()
    assert row.outcome == "linked" and row.person == survivor
    assert survivor.names.filter(text="Yet Another").exists()
    assert not merged.names.filter(text="Yet Another").exists()


def test_an_xlsx_file_streams_through_the_same_pipeline(people, tmp_path):
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADER)
    for row in good_rows(12):
        sheet.append(row)
    path = tmp_path / "field.xlsx"
    book.save(path)
    job = services.run_import(people["clinician"], path, source="field", columns=MAP)
    assert job.status == "done" and job.total == 12 and Person.objects.count() == 12


def test_a_file_without_the_required_columns_is_refused_naming_them(people, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("who,where\nA,B\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="source_key, name, registration_site"):
        services.run_import(people["clinician"], path, source="bad")
    assert not Job.objects.exists()


class Crash(BaseException):
    """What a killed process amounts to for the database: the open transaction is lost."""


def test_an_import_that_dies_half_way_re_runs_to_every_row_exactly_once(
    people, tmp_path, monkeypatch
):
    path = write_csv(tmp_path / "big.csv", good_rows(1000))
    monkeypatch.setattr(services, "BATCH", 200)
    real = services.register_many
    calls = {"n": 0}

    def dying(*args, **kwargs):
        people = real(*args, **kwargs)  # the third batch's people are written, then the end
        calls["n"] += 1
        if calls["n"] == 3:
            raise Crash
        return people

    monkeypatch.setattr(services, "register_many", dying)
    with pytest.raises(Crash):
        services.run_import(people["clinician"], path, source="big", columns=MAP)
    job = Job.objects.get(source="big")
    assert job.status == "running" and job.done_rows == 400  # two whole batches
    assert RowResult.objects.filter(job=job).count() == 400  # nothing of the third
    assert SourceRecord.objects.filter(source="big").count() == Person.objects.count() == 400

    monkeypatch.setattr(services, "register_many", real)
    again = services.run_import(people["clinician"], path, source="big")
    assert again == job  # the same job, resumed
    job.refresh_from_db()
    assert job.status == "done"
    assert SourceRecord.objects.filter(source="big").count() == Person.objects.count() == 1000
    assert sorted(RowResult.objects.filter(job=job).values_list("row", flat=True)) == list(
        range(1, 1001)
    )


def test_the_command_imports_with_progress_and_writes_the_rejected_rows(people, tmp_path):
    import io

    from django.core.management import call_command

    rows = [*good_rows(5), ["B-1", "Bad Country", "MSOT-CLIN", "male", "1990-01-01", "XX", ""]]
    path = write_csv(tmp_path / "cmd.csv", rows)
    out = io.StringIO()
    call_command("import", str(path), user="mae_sot_clinician", source="cmd",
                 map=__import__("json").dumps(MAP), report=str(tmp_path / "rejected.csv"), stdout=out)  # fmt: skip
    text = out.getvalue()
    assert "1 rejected" in text and "row 6, nationality" in text
    with (tmp_path / "rejected.csv").open(encoding="utf-8", newline="") as f:
        assert list(csv.reader(f))[1][:3] == ["6", "B-1", "nationality"]


def test_a_key_whose_first_row_is_refused_is_imported_from_its_later_row(people, tmp_path):
    rows = [["R-1", "Aung Aung", "MSOT-CLIN", "alien", "1990-01-01", "MM", ""],
            ["R-1", "Aung Aung", "MSOT-CLIN", "male", "1990-01-01", "MM", ""],
            ["R-2", "Aung Aung", "MSOT-CLIN", "male", "1990-05-01", "MM", ""]]  # fmt: skip
    job = services.run_import(people["clinician"], write_csv(tmp_path / "again.csv", rows),
                              source="again", columns=MAP)  # fmt: skip
    outcomes = dict(job.rows.values_list("row", "outcome"))
    # Row 2 goes in one by one after the rest of its batch, so it meets row 3's person: the
    # same name, sex and birth year.
    assert outcomes == {1: "rejected", 2: "duplicate", 3: "created"}
    assert Person.objects.count() == 2


def _bomb(path, member_bytes: int):
    """A valid workbook plus a shared-strings part that unpacks to `member_bytes`."""
    import zipfile

    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["site", "week"])
    book.save(path)
    with (
        zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/padding.xml", "w", force_zip64=True) as part,
    ):
        chunk = b" " * 1_000_000
        for _ in range(member_bytes // len(chunk)):
            part.write(chunk)
    return path


@pytest.mark.parametrize("read", ["people import", "weekly reports"])
def test_an_xlsx_that_unpacks_beyond_the_limit_is_refused_before_it_is_read(
    people, tmp_path, settings, read
):
    from mhis.surveillance.services import read_table

    settings.MHIS_IMPORT_MAX_UNPACKED_BYTES = settings.MHIS_IMPORT_MAX_HELD_BYTES = 20_000_000
    path = _bomb(tmp_path / "bomb.xlsx", 50_000_000)
    assert path.stat().st_size < 200_000  # small on disk: 50 MB of spaces packs tightly
    with pytest.raises(ValidationError) as refused:
        if read == "people import":
            services.run_import(people["clinician"], path, source="bomb", columns=MAP)
        else:
            list(read_table(path))
    assert "“bomb.xlsx” unpacks to more than 20 MB" in str(refused.value.message_dict["file"])
    assert not Job.objects.exists()


def test_a_file_named_xlsx_that_is_not_a_workbook_is_refused_naming_the_file(people, tmp_path):
    path = tmp_path / "notes.xlsx"
    path.write_text("just text", encoding="utf-8")
    with pytest.raises(ValidationError) as refused:
        services.run_import(people["clinician"], path, source="notes", columns=MAP)
    assert "“notes.xlsx” is not a readable XLSX file" in str(refused.value.message_dict["file"])


def test_a_changed_row_keeps_the_identifiers_its_file_does_not_mention(people, tmp_path):
    """Re-importing a changed row from a file without identifier columns leaves the person's
    documents as they are; with them, the row's document joins the others (nothing is lost)."""
    from mhis.registry.models import Identifier
    from mhis.registry.services import update_person

    def table(name, birth, passport, documents=True):
        path = tmp_path / name
        with path.open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow([*HEADER, "id_type"])
            writer.writerow(["K-1", "Aung Aung", "MSOT-CLIN", "male", birth, "MM", passport,
                             "passport"])  # fmt: skip
        columns = {**MAP, "identifier_type": "id_type"}
        if not documents:
            columns = {k: v for k, v in MAP.items() if k != "identifier_value"}
        return services.run_import(people["clinician"], path, source="clinic", columns=columns)

    table("first.csv", "1990-01-02", "MB1234567")
    person = SourceRecord.objects.get(key="K-1").person
    update_person(people["clinician"], person, {"identifiers": [
        {"type": "passport", "issuing_country": "MM", "value": "MB1234567"},
        {"type": "work_permit", "issuing_country": "TH", "value": "WP-2020-77"}]})  # fmt: skip
    job = table("changed.csv", "1990-01-03", "", documents=False)
    assert list(job.rows.values_list("outcome", flat=True)) == ["updated"]
    documents = set(Identifier.objects.filter(person=person).values_list("type", "value"))
    assert documents == {("passport", "MB1234567"), ("work_permit", "WP-2020-77")}
    table("another.csv", "1990-01-03", "MC7654321")
    documents = set(Identifier.objects.filter(person=person).values_list("type", "value"))
    assert documents == {("passport", "MB1234567"), ("work_permit", "WP-2020-77"),
                         ("passport", "MC7654321")}  # fmt: skip
