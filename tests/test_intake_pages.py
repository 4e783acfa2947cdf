"""The import pages: an upload runs and reports by row; a form's export is taken in; the
field forms download with the user's sites; the outreach page shows suppressed totals."""

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from mhis.intake.models import Job
from mhis.registry.models import Person


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
    assert "alien" in page and "<td>sex</td>" in page
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
    assert "<td>42</td>" in page


def test_the_imports_list_names_the_kind_in_words(client, people):
    login(client, people["clinician"])
    client.post("/imports/", {"what": "kind:workers", "source": "w",
                              "file": SimpleUploadedFile("w.csv", b"code,name,kind,site\nC1,Ma Thida,chw,MSOT-CLIN\n")})  # fmt: skip
    page = client.get("/imports/").content.decode()
    assert "<td>Community health workers and volunteers</td>" in page
