"""Weekly reports out and back in: a download in the import's own columns (CSV and XLSX),
imported into another installation and downloaded again, with what changes on the way
computed and listed; Excel's re-saved shape; the same file into the same installation
changes nothing; only the user's places, and only to roles that read weekly reports."""

import csv
import datetime as dt
import io
import re
import zipfile

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone
from openpyxl import load_workbook

from mhis.surveillance import services
from mhis.surveillance.models import Alert, ReportSource, WeeklyReport

FORMULA = '=HYPERLINK("http://example.org","click")'
NOTES = {  # the notes a site writes: a separator, a line break, Thai, a formula someone typed
    ("MSOT-CLIN", 2): "Rain; road closed, 2 days",
    ("MSOT-CLIN", 5): "ไข้เลือดออก\nsecond line",
    ("MSOT-BRDG", 4): FORMULA,
}
COUNTS = [
    ("awd", "female", "0-4"),
    ("awd", "male", "0-4"),
    ("malaria", "male", "15-49"),
    ("dengue", "unknown", "unknown"),
    ("ili", "female", "50+"),
]
WEEKS = range(1, 11)  # 2026-W01 … 2026-W10


def _on_time(week: int):
    """The Monday after the week: within the three days a report is due."""
    day = dt.date.fromisocalendar(2026, week, 1) + dt.timedelta(days=7)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(9)))


def _seed(people):
    """Ten weeks at the two Mae Sot sites (Tak's officer), one of them corrected, one with no
    case; and weeks the download must leave out: Ranong (outside Tak) and 2026-W11."""
    officer, chw = people["tak_officer"], people["chw"]
    for site_no, site in enumerate(("MSOT-CLIN", "MSOT-BRDG")):
        for week in WEEKS:
            counts = (
                []
                if (site, week) == ("MSOT-BRDG", 7)
                else [
                    {
                        "condition": c,
                        "sex": s,
                        "age_group": a,
                        "count": (week * 3 + n + site_no) % 7,
                    }
                    for n, (c, s, a) in enumerate(COUNTS[: 2 + (week + site_no) % 4])
                ]
            )
            data = {"site": site, "week": f"2026-W{week:02d}", "counts": counts}
            data["note"] = NOTES.get((site, week), "")
            services.submit_report(officer, data, now=_on_time(week), evaluate=False)
    correction = {"site": "MSOT-CLIN", "week": "2026-W03", "note": "recounted"}
    correction["counts"] = [
        {"condition": "measles", "sex": "male", "age_group": "5-14", "count": 1}
    ]
    services.submit_report(officer, correction, now=_on_time(4), evaluate=False)
    for site, week, user in (("RNG-PORT", "2026-W05", chw), ("MSOT-CLIN", "2026-W11", officer)):
        counts = [{"condition": "awd", "count": 9}]
        services.submit_report(user, {"site": site, "week": week, "counts": counts}, evaluate=False)


def _export(user, fmt, place="TH-63-MSOT", start="2026-W01", end="2026-W10"):
    data = {"place": place, "from": start, "to": end, "format": fmt}
    return services.export_reports(user, data)[2]


def _import(user, body, fmt, tmp_path, name="reports"):
    path = tmp_path / f"{name}.{fmt}"
    path.write_bytes(body)
    return services.import_reports(user, services.read_table(path))


def _csv_grid(body: bytes) -> list[list]:
    return list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))


def _xlsx_grid(body: bytes) -> list[list]:
    """Each cell as (value, type, kept as text when edited)."""
    sheet = load_workbook(io.BytesIO(body)).active
    return [[(c.value, c.data_type, c.quotePrefix) for c in row] for row in sheet.iter_rows()]


def _diff(before: list[list], after: list[list], same=lambda a, b: a == b) -> list[tuple]:
    """Every cell that differs between two grids of the same header: (row, column, before,
    after); a row only in one of them has None on the other side."""
    header = [c[0] if isinstance(c, tuple) else c for c in before[0]] if before else []
    out = []
    for n in range(max(len(before), len(after))):
        a = before[n] if n < len(before) else None
        b = after[n] if n < len(after) else None
        if a is None or b is None:
            out.append((n + 1, "*", a, b))
            continue
        for i in range(max(len(a), len(b))):
            x = a[i] if i < len(a) else None
            y = b[i] if i < len(b) else None
            if not same(x, y):
                out.append((n + 1, header[i] if i < len(header) else i, x, y))
    return out


def _parts(body: bytes) -> dict[str, bytes]:
    """An XLSX's parts, the times it was created and modified blanked."""
    book = zipfile.ZipFile(io.BytesIO(body))
    stamp = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*")
    return {name: stamp.sub(rb"\1", book.read(name)) for name in book.namelist()}


def _reports() -> dict[tuple[str, str], dict]:
    """The current reports, site-week by site-week: what they say and how they came."""
    out = {}
    for r in WeeklyReport.objects.filter(current=True).select_related("site", "submitted_by"):
        out[(r.site.code, services.week_label(r.year, r.week))] = {
            "counts": sorted((c.condition, c.sex, c.age_group, c.count) for c in r.counts.all()),
            "note": r.note,
            "version": r.version,
            "source": r.source,
            "on_time": r.on_time,
            "submitted_by": r.submitted_by.username,
        }
    return out


def _changes(before: dict, after: dict) -> dict[str, list]:
    """Per field, the site-weeks where it changed (and site-weeks gained or lost)."""
    out: dict[str, list] = {}
    for key in sorted(set(before) | set(after)):
        if key not in after or key not in before:
            out.setdefault("lost" if key not in after else "gained", []).append(key)
            continue
        for field, value in before[key].items():
            if after[key][field] != value:
                out.setdefault(field, []).append((key, value, after[key][field]))
    return out


def _another_installation():
    """What another installation holds before the file arrives: the same places, no report."""
    Alert.objects.all().delete()
    WeeklyReport.objects.all().delete()


def _in_range(reports: dict) -> dict:
    return {k: v for k, v in reports.items() if k[0].startswith("MSOT") and k[1] <= "2026-W10"}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_import_elsewhere_export_again_lists_what_changes(people, tmp_path, fmt):
    _seed(people)
    original = _in_range(_reports())
    first = _export(people["tak_officer"], fmt)
    _another_installation()
    lines = _import(people["admin"], first, fmt, tmp_path)  # another person, another place tree
    assert {line["status"] for line in lines} == {"new"} and len(lines) == len(original) == 20
    again = _export(people["admin"], fmt)
    grid = _csv_grid if fmt == "csv" else _xlsx_grid
    # The file: nothing changes, cell for cell (in XLSX, value, type and text mark too).
    assert _diff(grid(first), grid(again)) == []
    if fmt == "csv":
        assert again == first  # byte for byte
    else:  # the workbook's parts: the same, but for when it was written
        assert _parts(again) == _parts(first)
    # The reports: what they say arrives whole; how they came is the new installation's.
    changes = _changes(original, _reports())
    assert sorted(changes) == ["on_time", "source", "submitted_by", "version"]
    everything = sorted(original)
    assert [key for key, *_ in changes["source"]] == everything
    assert {(a, b) for _k, a, b in changes["source"]} == {(ReportSource.API, ReportSource.IMPORT)}
    assert {(a, b) for _k, a, b in changes["submitted_by"]} == {("tak_officer", "th_admin")}
    # Arriving months after its week, every report is late where it lands: each one that was
    # on time changes (all but the correction, itself sent late).
    was_on_time = sorted(k for k, v in original.items() if v["on_time"])
    assert [key for key, *_ in changes["on_time"]] == was_on_time
    assert sorted(set(everything) - set(was_on_time)) == [("MSOT-CLIN", "2026-W03")]
    assert {(a, b) for _k, a, b in changes["on_time"]} == {(True, False)}
    # Only the latest version travels: the corrected week starts again at version 1.
    assert changes["version"] == [(("MSOT-CLIN", "2026-W03"), 2, 1)]


def test_csv_and_xlsx_of_the_same_reports_differ_only_in_cell_types(people, tmp_path):
    _seed(people)
    officer = people["tak_officer"]
    csv_body, xlsx_body = _export(officer, "csv"), _export(officer, "xlsx")
    as_csv, as_xlsx = _csv_grid(csv_body), _xlsx_grid(xlsx_body)
    found = _diff(as_csv, as_xlsx, same=lambda text, cell: text == cell[0] and cell[1] == "s")

    def kind(text, cell):
        value, data_type, keep_text = cell
        if text == "" and value is None:
            return "blank: empty text in CSV, no cell in XLSX"
        if data_type == "n" and str(value) == text:
            return "number: text in CSV, a number in XLSX"
        if keep_text and data_type == "s" and text == "'" + value:
            return "formula-looking text: apostrophe in CSV, marked to stay text in XLSX"
        return f"other: {text!r} → {cell!r}"

    kinds = sorted({(column, kind(before, after)) for _row, column, before, after in found})
    blank = "blank: empty text in CSV, no cell in XLSX"
    assert kinds == [
        ("age_group", blank),  # the week reported with no case
        ("condition", blank),
        ("count", blank),
        ("count", "number: text in CSV, a number in XLSX"),
        ("note", blank),  # weeks without a note
        ("note", "formula-looking text: apostrophe in CSV, marked to stay text in XLSX"),
        ("sex", blank),
    ]
    counts = [a[0] for _r, column, b, a in found if column == "count" and b]
    assert counts and all(isinstance(n, int) for n in counts)
    notes = {(b, a[0]) for _r, column, b, a in found if column == "note" and b}
    assert notes == {("'" + FORMULA, FORMULA)}
    # Both import to the same reports.
    _another_installation()
    _import(officer, csv_body, "csv", tmp_path)
    from_csv = _reports()
    _another_installation()
    _import(officer, xlsx_body, "xlsx", tmp_path)
    assert _reports() == from_csv


def _excel_resave(body: bytes) -> bytes:
    """The CSV as Excel writes it back in a comma-decimal locale: UTF-8 with a byte order
    mark, ";" between cells, quotes only where a cell needs them, CRLF."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerows(_csv_grid(body))
    return buffer.getvalue().encode("utf-8-sig")


def test_an_excel_resaved_csv_imports_to_the_same_reports(people, tmp_path):
    _seed(people)
    officer = people["tak_officer"]
    resaved = _excel_resave(_export(officer, "csv"))
    assert resaved.startswith(b"\xef\xbb\xbfsite;week;condition;") and b"," in resaved
    said = {k: (v["counts"], v["note"]) for k, v in _in_range(_reports()).items()}
    before = WeeklyReport.objects.count()
    # Into the same installation: recognised, nothing written.
    lines = _import(officer, resaved, "csv", tmp_path, "resaved")
    assert {line["status"] for line in lines} == {"unchanged"}
    assert WeeklyReport.objects.count() == before
    # Into another one: the same counts and notes, the formula-looking note included.
    _another_installation()
    lines = _import(people["admin"], resaved, "csv", tmp_path, "resaved")
    assert {line["status"] for line in lines} == {"new"}
    assert {k: (v["counts"], v["note"]) for k, v in _reports().items()} == said
    assert _export(people["admin"], "csv") == _export(officer, "csv")


def test_an_age_group_excel_turned_into_a_date_is_refused_naming_row_and_field(people, tmp_path):
    """Excel opening the CSV may read the age group 5-14 as a date and save "14-May": that
    site-week is refused, naming the row and the column; the others are unchanged."""
    _seed(people)
    rows = _csv_grid(_export(people["tak_officer"], "csv"))
    mangled = [[("14-May" if cell == "5-14" else cell) for cell in row] for row in rows]
    hit = next(n for n, row in enumerate(mangled, 1) if "14-May" in row)
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows(mangled)
    before = WeeklyReport.objects.count()
    lines = _import(people["tak_officer"], buffer.getvalue().encode("utf-8-sig"), "csv", tmp_path)
    rejected = [line for line in lines if line["status"] == "rejected"]
    assert [(line["site"], line["week"]) for line in rejected] == [("MSOT-CLIN", "2026-W03")]
    assert [(e["row"], e["field"]) for e in rejected[0]["errors"]] == [(hit, "age_group")]
    assert "14-May" in rejected[0]["errors"][0]["message"]
    assert {line["status"] for line in lines if line not in rejected} == {"unchanged"}
    assert WeeklyReport.objects.count() == before


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_importing_the_download_into_the_same_installation_changes_nothing(people, tmp_path, fmt):
    _seed(people)
    rows = list(WeeklyReport.objects.values_list("pk", "version", "current", "note"))
    body = _export(people["tak_officer"], fmt)
    lines = _import(people["tak_officer"], body, fmt, tmp_path)
    assert len(lines) == 20 and {line["status"] for line in lines} == {"unchanged"}
    assert list(WeeklyReport.objects.values_list("pk", "version", "current", "note")) == rows
    grid = _csv_grid if fmt == "csv" else _xlsx_grid
    assert grid(_export(people["tak_officer"], fmt)) == grid(body)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_download_goes_through_the_imports_page_too(people, tmp_path, fmt):
    """The Imports page's "Weekly site reports" reads the same file: into another
    installation it makes the same reports, notes included; again, it changes nothing."""
    from mhis.intake.services import run_import, summary

    _seed(people)
    said = {k: (v["counts"], v["note"]) for k, v in _in_range(_reports()).items()}
    path = tmp_path / f"download.{fmt}"
    path.write_bytes(_export(people["tak_officer"], fmt))
    rows = len(_csv_grid(_export(people["tak_officer"], "csv"))) - 1
    _another_installation()
    job = run_import(people["admin"], path, kind="weekly", source="other-installation")
    assert summary(job) == {"created": rows}
    assert {k: (v["counts"], v["note"]) for k, v in _reports().items()} == said
    job = run_import(people["admin"], path, kind="weekly", source="other-installation")
    assert summary(job) == {"unchanged": rows}
    assert WeeklyReport.objects.count() == len(said)


def test_the_download_holds_the_latest_version_of_the_weeks_asked_for_only(people):
    _seed(people)
    rows = _csv_grid(_export(people["tak_officer"], "csv"))
    assert rows[0] == ["site", "week", "condition", "sex", "age_group", "count", "note"]
    weeks = {(r[0], r[1]) for r in rows[1:]}
    assert weeks == {(s, f"2026-W{w:02d}") for s in ("MSOT-BRDG", "MSOT-CLIN") for w in WEEKS}
    w03 = [r for r in rows if r[:2] == ["MSOT-CLIN", "2026-W03"]]
    # The correction (version 2) named measles only: the other conditions keep their counts.
    assert ["MSOT-CLIN", "2026-W03", "measles", "male", "5-14", "1", "recounted"] in w03
    assert ["MSOT-CLIN", "2026-W03", "awd", "female", "0-4", "2", "recounted"] in w03
    assert len(w03) == 6 and {r[-1] for r in w03} == {"recounted"}
    empty = [r for r in rows if r[:2] == ["MSOT-BRDG", "2026-W07"]]
    assert empty == [["MSOT-BRDG", "2026-W07", "", "", "", "", ""]]  # reported, no case
    body = _export(people["tak_officer"], "csv")
    assert not body.startswith(b"\xef\xbb\xbf") and body.startswith(b'"site","week"')


def test_only_the_users_places_and_roles_that_read_reports(people):
    _seed(people)
    # Above one's places: only one's own sites (Tak's officer asking for Thailand).
    sites = {r[0] for r in _csv_grid(_export(people["tak_officer"], "csv", place="TH"))[1:]}
    assert sites == {"MSOT-CLIN", "MSOT-BRDG"}
    # Thailand's administrator: Ranong too.
    sites = {r[0] for r in _csv_grid(_export(people["admin"], "csv", place="TH"))[1:]}
    assert sites == {"MSOT-CLIN", "MSOT-BRDG", "RNG-PORT"}
    # Outside one's places: refused, naming the field; nothing of the place is given.
    for user, place in (
        (people["chw"], "TH-63-MSOT"),
        (people["hn_analyst"], "TH"),
        (people["tak_officer"], "RNG-PORT"),
        (people["unscoped"], "TH"),
        (people["tak_officer"], "NO-SUCH"),
    ):
        with pytest.raises(ValidationError) as exc:
            _export(user, "csv", place=place)
        assert exc.value.message_dict == {"place": ["No place with this code in your places."]}
    with pytest.raises(PermissionDenied, match="does not read weekly reports"):
        _export(people["viewer"], "csv", place="KH")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"from": "2026-W10", "to": "2026-W01"}, "to", "The last week comes before the first."),
        ({"from": "2026-W54"}, "from", "2026 has no week 54."),
        ({"to": "last week"}, "to", "Enter an ISO week such as 2026-W07."),
        ({"to": "2099-W01"}, "to", "This week has not begun yet."),
        ({"format": "ods"}, "format", "Choose CSV or XLSX."),
        ({"place": ""}, "place", "This field is required."),
        ({"site": "MSOT-CLIN"}, "site", "Unknown field."),
    ],
)
def test_a_bad_request_names_its_field(people, data, field, message):
    asked = {"place": "TH-63", "from": "2026-W01", "to": "2026-W10", "format": "csv", **data}
    with pytest.raises(ValidationError) as exc:
        services.export_reports(people["tak_officer"], asked)
    assert exc.value.message_dict == {field: [message]}


def test_a_site_week_whose_rows_disagree_on_the_note_is_refused_naming_row_and_field(
    people, tmp_path
):
    path = tmp_path / "notes.csv"
    path.write_text(
        "site,week,condition,sex,age_group,count,note\n"
        "MSOT-CLIN,2026-W02,awd,female,0-4,3,flooded\n"
        "MSOT-CLIN,2026-W02,awd,male,0-4,2,dry\n"
        "MSOT-BRDG,2026-W02,awd,male,0-4,2,'=1+1\n"
        "MSOT-BRDG,2026-W02,awd,female,0-4,1,\n",
        encoding="utf-8",
    )
    lines = services.import_reports(people["tak_officer"], services.read_table(path))
    assert [line["status"] for line in lines] == ["rejected", "new"]
    assert lines[0]["errors"] == [
        {
            "row": 3,
            "field": "note",
            "message": "The rows of one site and week have different notes.",
        }
    ]
    # A note on one row of its site-week is the week's; the download's apostrophe taken off.
    assert WeeklyReport.objects.get().note == "=1+1"


def test_the_page_and_the_command_download_what_the_import_reads(client, people, tmp_path):
    _seed(people)
    client.force_login(people["tak_officer"])
    assert "/surveillance/reports/export/" in client.get("/surveillance/report/").content.decode()
    form = client.get("/surveillance/reports/export/")
    assert form.status_code == 200 and 'name="from"' in form.content.decode()
    query = {"place": "TH-63-MSOT", "from": "2026-W01", "to": "2026-W10"}
    got = client.get("/surveillance/reports/export/", {**query, "format": "xlsx"})
    assert got.status_code == 200
    assert got["Content-Disposition"] == (
        'attachment; filename="weekly-reports-TH-63-MSOT-2026-W01-2026-W10.xlsx"'
    )
    assert _xlsx_grid(got.content) == _xlsx_grid(_export(people["tak_officer"], "xlsx"))
    plain = client.get("/surveillance/reports/export/", query)  # a link without a format: CSV
    assert plain["Content-Type"] == "text/csv; charset=utf-8"
    assert plain.content == _export(people["tak_officer"], "csv")
    half = client.get("/surveillance/reports/export/", {"place": "TH-63-MSOT"})
    assert half.status_code == 422 and 'href="#from"' in half.content.decode()
    bad = client.get("/surveillance/reports/export/", {**query, "place": "RNG-PORT"})
    assert bad.status_code == 422
    assert "No place with this code in your places." in bad.content.decode()
    assert 'href="#place"' in bad.content.decode()  # the error summary links to the field
    # The analyst sends no report but reads them: the download is theirs; the viewer's is not.
    client.force_login(people["hn_analyst"])
    assert client.get("/surveillance/reports/export/").status_code == 200
    client.force_login(people["viewer"])
    assert client.get("/surveillance/reports/export/", query).status_code == 403

    out = tmp_path / "out.csv"
    call_command(
        "surveillance", "export-reports", str(out), "--place", "TH-63-MSOT", "--from",
        "2026-W01", "--to", "2026-W10", "--format", "csv", "--user", "tak_officer",
    )  # fmt: skip
    assert out.read_bytes() == _export(people["tak_officer"], "csv")
    call_command("surveillance", "import", str(out), user="tak_officer", verbosity=0)
    assert WeeklyReport.objects.filter(version__gt=1).count() == 1  # only the seeded correction
    with pytest.raises(CommandError, match="--place: No place with this code in your places"):
        call_command(
            "surveillance", "export-reports", str(out), "--place", "RNG-PORT", "--from",
            "2026-W01", "--to", "2026-W10", "--user", "tak_officer",
        )  # fmt: skip
    with pytest.raises(CommandError, match="--to: The last week comes before the first"):
        call_command(
            "surveillance", "export-reports", str(out), "--place", "TH-63", "--from",
            "2026-W10", "--to", "2026-W01", "--user", "tak_officer",
        )  # fmt: skip
