"""No error a user reads names a path on the server: not the stored upload a workbook reader
failed on, not a file an import could not open, not the fonts the printed summary lacks. The
log keeps the details for the operator."""

import hashlib
import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from mhis.intake import runner, services
from mhis.intake.models import Job


def broken_workbook() -> bytes:
    """A workbook whose list of parts is not well-formed XML: the reader's own message about it
    names the file it read, with its path."""
    book = Workbook()
    book.active.append(["source_key", "name", "registration_site"])
    plain = io.BytesIO()
    book.save(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            body = b"<Types" if info.filename == "[Content_Types].xml" else source.read(info)
            target.writestr(info.filename, body)
    return out.getvalue()


@pytest.fixture
def var(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    return str(tmp_path)


@pytest.mark.parametrize("what", ["kind:people", "form:mhis_registration"])
def test_an_unreadable_workbook_is_refused_on_the_page_without_the_servers_path(client, people, var, what):  # fmt: skip
    body = broken_workbook()
    client.force_login(people["clinician"])
    response = client.post("/imports/", {"what": what, "source": "s",
                                         "file": SimpleUploadedFile("people.xlsx", body)})  # fmt: skip
    page = response.content.decode()
    assert "Not a readable XLSX file." in page
    # Neither the folder nor the name the upload was stored under (its digest).
    assert var not in page and hashlib.sha256(body).hexdigest() not in page


def test_an_unreadable_workbook_is_refused_by_the_command_without_its_path(people, tmp_path):
    path = tmp_path / "people.xlsx"
    path.write_bytes(broken_workbook())
    with pytest.raises(CommandError) as refused:
        call_command("import", str(path), user="mae_sot_clinician", stdout=io.StringIO())
    assert "Not a readable XLSX file." in str(refused.value) and str(tmp_path) not in str(refused.value)  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        services.import_submissions(people["clinician"], path, form="mhis_registration")
    assert str(tmp_path) not in str(refused.value)


def test_an_import_that_fails_unexpectedly_shows_no_path_on_its_page(client, people, var, monkeypatch):  # fmt: skip
    def fails(user, path, **kwargs):
        (path.parent / "missing.csv").open()  # what an import meets when a file vanished

    monkeypatch.setattr(services, "run_import", fails)
    client.force_login(people["clinician"])
    client.post("/imports/", {"what": "kind:people", "source": "s",
                              "file": SimpleUploadedFile("p.csv", b"source_key,name,registration_site\nA,B,MSOT-CLIN\n")})  # fmt: skip
    job = Job.objects.get()
    assert job.status == "failed" and "unexpected error" in job.error
    assert var not in job.error and str(runner.upload_dir()) not in job.error
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "unexpected error" in page and var not in page


def test_without_fonts_the_print_page_names_no_path(client, people, register, settings, tmp_path):
    settings.MHIS_FONT_DIR = str(tmp_path / "fonts")
    person = register()
    client.force_login(people["clinician"])
    response = client.get(f"/record/{person.uuid}/summary.pdf")
    text = response.content.decode()
    assert response.status_code == 503 and "fonts-noto-core" in text
    assert str(tmp_path) not in text and ".ttf" not in text
