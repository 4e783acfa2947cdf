"""The import pages: an upload runs and reports by row; a form's export is taken in; the
field forms download with the user's sites; the outreach page shows suppressed totals; an
upload is kept on the server only while its import may resume."""

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from mhis.intake.models import Job
from mhis.registry.models import Person


def _cell(text: str, page: str) -> bool:
    """A table cell holding exactly `text` (its attributes, such as the column's name a phone
    shows beside it, aside)."""
    return re.search(rf"<td\b[^>]*>{re.escape(text)}</td>", page) is not None


def login(client, user):
    client.force_login(user)
    return client


def test_an_upload_is_imported_and_its_report_shows_the_rejected_row(client, people):
    login(client, people["clinician"])
    body = "source_key,name,registration_site,sex\nA1,Aung Aung,MSOT-CLIN,male\nA2,Naw Paw,MSOT-CLIN,alien\n"  # fmt: skip
    response = client.post("/imports/", {"what": "kind:people", "source": "clinic",
                                         "file": SimpleUploadedFile("people.csv", body.encode())})  # fmt: skip
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/imports/{job.pk}/"
    assert job.status == "done" and Person.objects.count() == 1
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "alien" in page and _cell("sex", page)
    csv_text = client.get(f"/imports/{job.pk}/rejected.csv").content.decode()
    assert next(csv.reader(csv_text.splitlines()[1:]))[:3] == ["2", "A2", "sex"]
    # While running, htmx polls the progress bar; once done it asks for a full refresh.
    polled = client.get(f"/imports/{job.pk}/", HTTP_HX_REQUEST="true")
    assert polled["HX-Refresh"] == "true" and "<progress" in polled.content.decode()


def test_a_file_without_the_required_columns_is_refused_on_the_form(client, people):
    login(client, people["clinician"])
    response = client.post("/imports/", {"what": "kind:people", "file": SimpleUploadedFile("x.csv", b"foo,bar\n1,2\n")})  # fmt: skip
    assert response.status_code == 200
    assert "No column for" in response.content.decode() and not Job.objects.exists()


def test_someone_elses_import_is_not_shown(client, people):
    login(client, people["clinician"])
    client.post("/imports/", {"what": "kind:people", "source": "s",
                              "file": SimpleUploadedFile("p.csv", b"source_key,name,registration_site\nA,B,MSOT-CLIN\n")})  # fmt: skip
    job = Job.objects.get()
    login(client, people["hn_clinician"])
    assert client.get(f"/imports/{job.pk}/").status_code == 404
    login(client, people["hn_analyst"])
    assert client.get("/imports/").status_code == 403


def test_an_administrator_follows_the_imports_of_people_in_their_places_only(people, world):
    from mhis.access.services import create_user
    from mhis.intake.services import visible_jobs

    def job(user):
        return Job.objects.create(source="s", kind="people", file_name="p.csv", digest="0" * 64,
                                  started_by=user)  # fmt: skip

    both = create_user(username="both", password=None, role="chw", places=[world["TH"], world["HN"]])  # fmt: skip
    mine, chw, honduran, straddling = (job(people["admin"]), job(people["chw"]),
                                       job(people["hn_clinician"]), job(both))  # fmt: skip
    assert set(visible_jobs(people["admin"])) == {mine, chw}
    assert set(visible_jobs(people["chw"])) == {chw}
    hn_admin = create_user(username="hn_admin", password=None, role="administrator",
                           places=[world["HN"]])  # fmt: skip
    assert set(visible_jobs(hn_admin)) == {honduran}
    # Someone working in both countries: seen by an administrator of both, not of one.
    regional = create_user(username="regional", password=None, role="administrator",
                           places=[world["TH"], world["HN"]])  # fmt: skip
    assert set(visible_jobs(regional)) == {mine, chw, honduran, straddling}
    assert set(visible_jobs(both)) == {straddling}


def test_the_field_forms_download_with_the_users_sites(client, people):
    login(client, people["clinician"])
    response = client.get("/imports/forms/mhis_health_session.xlsx")
    book = load_workbook(io.BytesIO(response.content))
    sites = {r[1] for r in book["choices"].iter_rows(values_only=True) if r[0] == "site"}
    assert sites == {"MSOT-CLIN", "MSOT-BRDG"}


def test_the_outreach_page_shows_the_totals_of_the_year(client, people):
    from mhis.outreach import services

    user = people["clinician"]
    services.record_session(user, {"site": "MSOT-CLIN", "date": "2025-03-01", "topic": "tb", "females": 30, "males": 12})  # fmt: skip
    page = login(client, user).get("/outreach/?year=2025").content.decode()
    assert _cell("42", page)


def test_the_imports_list_names_the_kind_in_words(client, people):
    login(client, people["clinician"])
    client.post("/imports/", {"what": "kind:workers", "source": "w",
                              "file": SimpleUploadedFile("w.csv", b"code,name,kind,site\nC1,Ma Thida,chw,MSOT-CLIN\n")})  # fmt: skip
    page = client.get("/imports/").content.decode()
    assert _cell("Community health workers and volunteers", page)


@pytest.fixture
def stored(settings, tmp_path):
    """The folder uploads are saved in, empty at the start."""
    from mhis.intake import runner

    settings.VAR_DIR = tmp_path
    return runner.upload_dir()


@pytest.mark.parametrize(
    ("who", "what", "name", "body", "refusal"),
    [
        ("clinician", "kind:people", "x.csv", b"foo,bar\n1,2\n", "No column for"),
        ("clinician", "kind:people", "notes.xlsx", b"just text", "is not a readable XLSX file"),
        ("clinician", "form:mhis_clinic_visit", "v.json", b"{bad", "Not readable JSON"),
        (
            "clinician",
            "kind:people",
            "rows.csv",
            b"source_key\n" + b"K\n" * 30,
            "holds more than 20 rows",
        ),
        (
            "tak_officer",
            "kind:people",
            "p.csv",
            b"source_key,name,registration_site\n",
            "Your role cannot import",
        ),
    ],
    ids=["cannot-map", "not-a-workbook", "unreadable-export", "too-many-rows", "role"],
)
def test_a_refused_upload_is_deleted_from_the_server(client, people, stored, settings, who, what, name, body, refusal):  # fmt: skip
    settings.MHIS_IMPORT_MAX_ROWS = 20
    login(client, people[who])
    response = client.post("/imports/", {"what": what, "source": "s", "file": SimpleUploadedFile(name, body)})  # fmt: skip
    assert response.status_code == 200 and refusal in response.content.decode()
    assert list(stored.iterdir()) == []


def test_an_upload_is_kept_only_while_its_import_may_resume(client, people, stored):
    from mhis.intake import runner

    login(client, people["clinician"])
    body = b"source_key,name,registration_site\nA1,Aung Aung,MSOT-CLIN\n"
    client.post("/imports/", {"what": "kind:people", "source": "s", "file": SimpleUploadedFile("p.csv", body)})  # fmt: skip
    assert Job.objects.get().status == "done" and list(stored.iterdir()) == []
    # A job left unfinished (the server stopped) keeps its file for Resume.
    path, digest = runner.save_upload(SimpleUploadedFile("q.csv", body + b"A2,Naw Paw,MSOT-CLIN\n"))
    job = Job.objects.create(source="s", kind="people", file_name="q.csv", digest=digest, started_by=people["clinician"])  # fmt: skip
    runner.discard(path, digest)
    assert runner.stored_file(job) == path
    job.status = Job.Status.DONE
    job.save()
    runner.discard(path, digest)
    assert not path.exists()
