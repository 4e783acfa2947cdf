"""A people or episodes import tells a role that may not see migration status nothing of it,
and lets it write none: a row links to a person by a masked identifier whatever type it names,
possible duplicates are sought in the importer's places only, episode columns are refused to
such a role, and a colleague's import that carries status shows it its counts, not its rows."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError

from mhis.access.services import create_user
from mhis.intake.models import Job, RowResult
from mhis.intake.models import Mapping as SavedMapping
from mhis.registry.models import MigrationEpisode, Person
from mhis.registry.presentation import person_detail
from mhis.registry.search import visible_people
from mhis.registry.services import register_person

from .test_intake_scope import imported, table

NEUTRAL = ["national_id", "work_permit", "refugee_number", "case_number"]
IDENTIFIER_COLUMNS = ["source_key", "name", "registration_site", "sex", "identifier_type",
                      "identifier_country", "identifier_value"]  # fmt: skip

# -- people imports: linking by identifier -------------------------------------------------


def test_a_people_import_links_a_masked_identifier_whatever_type_the_row_names(
    people, register, tmp_path
):
    """The administrator is shown a refugee number as an "identity document". Importing one
    row per type shown that way, each with the value seen, links every row to the person: the
    outcome does not say which type the document is (and so that the person is a refugee)."""
    refugee = register(identifiers=[{"type": "refugee_number", "issuing_country": "TH",
                                     "value": "UNHCR-555-00012345"}],
                       episodes=[{"status": "REF", "origin_country": "MM",
                                  "destination_country": "TH", "start_date": "2018-01-01"}])  # fmt: skip
    admin = people["admin"]
    assert person_detail(refugee, admin)["identifiers"] == [
        {"type": "identity_document", "issuing_country": "TH", "value": "UNHCR-555-00012345"}
    ]
    rows = [[f"K{i}", f"Probe {chr(65 + i)}", "MSOT-CLIN", "male", kind, "TH",
             "UNHCR-555-00012345"] for i, kind in enumerate(NEUTRAL)]  # fmt: skip
    job = imported(admin, table(tmp_path / "probe.csv", IDENTIFIER_COLUMNS, rows), "people", source="probe")  # fmt: skip
    assert set(job.rows.values_list("outcome", "person")) == {
        (RowResult.Outcome.LINKED, refugee.pk)
    }


def test_a_role_shown_status_links_on_the_identifier_s_type(people, register, tmp_path):
    """A clinician sees the type, so a row links to a person holding a document of the type it
    names and the same value; another type of the same value is another document."""
    refugee = register(identifiers=[{"type": "refugee_number", "issuing_country": "TH",
                                     "value": "UNHCR-555-00012345"}])  # fmt: skip
    rows = [[f"K{i}", f"Probe {chr(65 + i)}", "MSOT-CLIN", "male", kind, "TH",
             "UNHCR-555-00012345"] for i, kind in enumerate(NEUTRAL)]  # fmt: skip
    job = imported(people["clinician"], table(tmp_path / "p.csv", IDENTIFIER_COLUMNS, rows), "people", source="p")  # fmt: skip
    linked = {key for key, outcome, person in job.rows.values_list("source_key", "outcome", "person")
              if outcome == RowResult.Outcome.LINKED and person == refugee.pk}  # fmt: skip
    assert linked == {f"K{NEUTRAL.index('refugee_number')}"}


def test_a_row_checked_one_by_one_does_not_tell_the_type_either(people, register, tmp_path):
    """A row whose key repeats in its file is handled on its own. With a registration site
    outside the importer's places it can never be registered: it is refused, whichever type
    of masked document it names, and nothing is written."""
    register(
        identifiers=[{"type": "case_number", "issuing_country": "TH", "value": "C-2024-998877"}]
    )
    admin = people["admin"]
    before = Person.objects.count()
    answers = {}
    for kind in NEUTRAL:
        rows = [["K1", "Probe", "HN-NOWHERE", "male", kind, "TH", "C-2024-998877"]] * 2
        job = imported(admin, table(tmp_path / f"{kind}.csv", IDENTIFIER_COLUMNS, rows), "people", source=f"probe-{kind}")  # fmt: skip
        answers[kind] = sorted(set(job.rows.values_list("outcome", flat=True)))
    assert Person.objects.count() == before
    assert answers == {kind: [RowResult.Outcome.REJECTED] for kind in NEUTRAL}


def test_registering_with_a_known_value_under_another_type_neither_refuses_nor_links(
    people, register
):
    register(
        identifiers=[{"type": "refugee_number", "issuing_country": "TH", "value": "R-77788899"}]
    )
    for kind in ("refugee_number", "work_permit"):
        person = register_person(people["admin"], {
            "registration_site": "MSOT-CLIN", "names": [{"text": "Someone"}], "sex": "male",
            "identifiers": [{"type": kind, "issuing_country": "TH", "value": "R-77788899"}]})  # fmt: skip
        assert person.pk


# -- people imports: possible duplicates ----------------------------------------------------


def test_possible_duplicates_are_sought_among_people_in_the_importer_s_places(
    people, register, tmp_path
):
    """Someone of the same name, sex and birth year registered outside the importer's places
    does not make a row a "possible duplicate": the outcome would tell that they exist. One
    inside the places still does."""
    register(names=[{"text": "Naw Htoo Paw"}], sex="female", birth_date="1990-02-03")  # Mae Sot
    chw = people["chw"]
    assert not visible_people(chw).exists()
    header = ["source_key", "name", "registration_site", "sex", "birth_date"]
    outcomes = {}
    for key, name in (("A", "Naw Htoo Paw"), ("B", "Naw Htoo Say")):
        path = table(tmp_path / f"{key}.csv", header, [[key, name, "RNG-PORT", "female", "1990-07-01"]])  # fmt: skip
        outcomes[name] = imported(chw, path, "people", source=key).rows.get().outcome
    assert outcomes == {"Naw Htoo Paw": RowResult.Outcome.CREATED,
                        "Naw Htoo Say": RowResult.Outcome.CREATED}  # fmt: skip
    # A twin the CHW may see: the one just imported, met again from another source.
    path = table(tmp_path / "c.csv", header, [["C", "Naw Htoo Paw", "RNG-PORT", "female", "1990-01-09"]])  # fmt: skip
    assert (
        imported(chw, path, "people", source="c").rows.get().outcome == RowResult.Outcome.DUPLICATE
    )


def test_a_row_checked_one_by_one_is_a_possible_duplicate_only_in_the_importer_s_places(
    people, register, tmp_path
):
    register(names=[{"text": "Naw Htoo Paw"}], sex="female", birth_date="1990-02-03")  # Mae Sot
    header = ["source_key", "name", "registration_site", "sex", "birth_date"]
    row = ["A", "Naw Htoo Paw", "RNG-PORT", "female", "1990-07-01"]
    job = imported(people["chw"], table(tmp_path / "a.csv", header, [row, row]), "people", source="a")  # fmt: skip
    assert RowResult.Outcome.DUPLICATE not in set(job.rows.values_list("outcome", flat=True))


# -- people imports: episode columns ----------------------------------------------------------


def test_re_importing_a_colleague_s_row_cannot_confirm_a_guessed_status(people, world, tmp_path):
    """An administrator of the clinic's places shares its import namespace (ADR 12). Their file
    with a migration status column is refused whole, naming the column, before anything is
    written: a row "unchanged" would confirm the status guessed. Without the column the row is
    "updated", whatever the status, and the person's episodes are kept."""
    header = ["source_key", "name", "registration_site", "sex", "migration_status"]
    imported(people["clinician"], table(tmp_path / "clinic.csv", header,
                                        [["P1", "Naw Paw", "MSOT-CLIN", "female", "IRR"]]),
             "people", source="Mae Sot clinic")  # fmt: skip
    admin = create_user(username="mae_sot_admin", password=None, role="administrator",
                        places=[world["MAESOT"]])  # fmt: skip
    jobs, mappings = Job.objects.count(), SavedMapping.objects.count()
    guess = table(tmp_path / "guess.csv", header, [["P1", "Naw Paw", "MSOT-CLIN", "female", "IRR"]])
    with pytest.raises(ValidationError) as refused:
        imported(admin, guess, "people", source="Mae Sot clinic",
                 columns={"migration_status": "migration_status"})  # fmt: skip
    assert "migration_status" in " ".join(refused.value.message_dict["file"])
    assert (Job.objects.count(), SavedMapping.objects.count()) == (jobs, mappings)
    plain = table(tmp_path / "plain.csv", header[:-1], [["P1", "Naw Paw", "MSOT-CLIN", "female"]])
    job = imported(admin, plain, "people", source="Mae Sot clinic")
    assert job.rows.get().outcome == RowResult.Outcome.UPDATED
    assert list(MigrationEpisode.objects.values_list("status", flat=True)) == ["IRR"]


@pytest.mark.parametrize("column", ["migration_status", "origin_country", "destination_country",
                                    "occupation_sector", "migration_start"])  # fmt: skip
def test_a_people_file_with_an_episode_column_is_refused_to_a_role_not_shown_status(
    people, tmp_path, client, column
):
    header = ["source_key", "name", "registration_site", "sex", column]
    path = table(tmp_path / "people.csv", header, [["P1", "Naw Paw", "MSOT-CLIN", "female", ""]])
    with pytest.raises(ValidationError, match=column):
        imported(people["admin"], path, "people")
    assert not Person.objects.exists() and not Job.objects.exists()
    # The upload page says so at once.
    client.force_login(people["admin"])
    with path.open("rb") as f:
        page = client.post("/imports/", {"what": "kind:people", "source": "s", "file": f})
    assert page.status_code == 200 and column in page.content.decode()
    assert not Job.objects.exists()
    # A role shown status imports it.
    imported(people["clinician"], path, "people")
    assert Person.objects.count() == 1


def test_the_registration_form_s_submissions_are_refused_to_a_role_not_shown_status(
    people, tmp_path, client
):
    """The registration form asks for a migration status: its submissions are refused whole to
    a role not shown status, on the upload page at once, naming the questions."""
    import json

    from mhis.intake import services

    kobo = {"count": 1, "results": [{"_id": 7, "_uuid": "r-1", "meta/instanceID": "uuid:r-1",
            "person/card": "TAK-0042", "person/name": "Aung Aung", "person/sex": "male",
            "registration_site": "MSOT-CLIN", "person/migration_status": "IRR"}]}  # fmt: skip
    path = tmp_path / "reg.json"
    path.write_text(json.dumps(kobo))
    with pytest.raises(ValidationError, match="migration_status"):
        services.import_submissions(people["admin"], path, form="mhis_registration")
    client.force_login(people["admin"])
    with path.open("rb") as f:
        page = client.post("/imports/", {"what": "form:mhis_registration", "file": f})
    assert page.status_code == 200 and "migration_status" in page.content.decode()
    assert not Person.objects.exists() and not Job.objects.exists()
    services.import_submissions(people["clinician"], path, form="mhis_registration")
    assert list(MigrationEpisode.objects.values_list("status", flat=True)) == ["IRR"]


# -- a colleague's import job -----------------------------------------------------------------


def test_a_colleague_s_rejected_episode_rows_are_withheld_from_a_follower_not_shown_status(
    people, register, tmp_path, client
):
    """An episode row rejected keeps its key (the person's id first) and its reason quotes the
    value refused (“Irregular migrant”). An administrator following the clinic's imports reads
    the job's counts, not its rows, on the page or as CSV; the clinician who started it reads
    them."""
    person = register()
    header = ["person", "status", "origin_country", "destination_country", "start_date"]
    job = imported(people["clinician"], table(tmp_path / "episodes.csv", header,
                                              [[str(person.uuid), "Irregular migrant", "MM", "TH",
                                                "2021-03-01"]]),
                   "episodes", source="Mae Sot clinic")  # fmt: skip
    client.force_login(people["admin"])
    page = client.get(f"/imports/{job.pk}/")
    rejected = client.get(f"/imports/{job.pk}/rejected.csv")
    assert page.status_code == 200 and rejected.status_code == 403
    text = page.content.decode() + rejected.content.decode()
    assert str(person.uuid) not in text and "Irregular migrant" not in text
    assert "Rejected" in page.content.decode()  # the counts stay
    client.force_login(people["clinician"])
    own = client.get(f"/imports/{job.pk}/").content.decode()
    own += client.get(f"/imports/{job.pk}/rejected.csv").content.decode()
    assert str(person.uuid) in own and "Irregular migrant" in own


def test_a_follower_reads_the_rejected_rows_of_a_people_import_without_status(
    people, tmp_path, client
):
    header = ["source_key", "name", "registration_site", "sex"]
    plain = imported(people["clinician"], table(tmp_path / "plain.csv", header,
                                                [["P1", "Naw Paw", "NOWHERE", "female"]]),
                     "people", source="plain")  # fmt: skip
    with_status = imported(people["clinician"], table(tmp_path / "status.csv", [*header, "migration_status"],
                                                      [["P2", "Naw Say", "NOWHERE", "female", "IRR"]]),
                           "people", source="status")  # fmt: skip
    assert (plain.holds_status, with_status.holds_status) == (False, True)
    client.force_login(people["admin"])
    assert '"P1","registration_site"' in client.get(f"/imports/{plain.pk}/rejected.csv").content.decode()  # fmt: skip
    # As a word: a page's random CSRF token may hold the letters "P2".
    assert re.search(
        r"(?<![A-Za-z0-9])P1(?![A-Za-z0-9])", client.get(f"/imports/{plain.pk}/").content.decode()
    )
    assert client.get(f"/imports/{with_status.pk}/rejected.csv").status_code == 403
    assert not re.search(
        r"(?<![A-Za-z0-9])P2(?![A-Za-z0-9])",
        client.get(f"/imports/{with_status.pk}/").content.decode(),
    )


def test_a_follower_not_shown_status_cannot_resume_a_colleague_s_import_that_holds_it(
    people, client, settings, tmp_path
):
    """Resuming writes the remaining rows as the follower, who may not write status: the
    import would fail, and end for its clinic too. The page offers no Resume and a resume is
    refused; the job stays resumable by the clinician."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from mhis.intake import runner

    settings.VAR_DIR = tmp_path
    body = b"source_key,name,registration_site,migration_status\nA1,Aung Aung,MSOT-CLIN,IRR\n"
    path, digest = runner.save_upload(SimpleUploadedFile("q.csv", body))
    job = Job.objects.create(source="s", kind="people", file_name="q.csv", digest=digest,
                             started_by=people["clinician"], holds_status=True)  # fmt: skip
    client.force_login(people["admin"])
    assert f"/imports/{job.pk}/resume/" not in client.get(f"/imports/{job.pk}/").content.decode()
    assert client.post(f"/imports/{job.pk}/resume/").status_code == 403
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING and path.exists() and not Person.objects.exists()
    client.force_login(people["clinician"])
    assert f"/imports/{job.pk}/resume/" in client.get(f"/imports/{job.pk}/").content.decode()
    assert client.post(f"/imports/{job.pk}/resume/").status_code == 302
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and Person.objects.count() == 1


def test_a_masked_document_with_a_blank_issuer_on_either_side_still_links(
    people, register, tmp_path
):
    """For a role not shown migration status a document links on its number and issuer; an
    issuer left blank on one side still matches (as a passport matches whatever its issuer),
    while two different issuers are two documents."""
    issued = register(identifiers=[{"type": "national_id", "issuing_country": "MM",
                                    "value": "12/MAKANA-N-123456"}])  # fmt: skip
    unissued = register(identifiers=[{"type": "work_permit", "issuing_country": "",
                                      "value": "WP-77001122"}])  # fmt: skip
    rows = [["K1", "Probe A", "MSOT-CLIN", "male", "national_id", "", "12/MAKANA-N-123456"],
            ["K2", "Probe B", "MSOT-CLIN", "male", "work_permit", "TH", "WP-77001122"],
            ["K3", "Probe C", "MSOT-CLIN", "male", "national_id", "TH", "12/MAKANA-N-123456"]]  # fmt: skip
    job = imported(people["admin"], table(tmp_path / "b.csv", IDENTIFIER_COLUMNS, rows), "people", source="b")  # fmt: skip
    outcome = {key: (o, p) for key, o, p in job.rows.values_list("source_key", "outcome", "person")}
    assert outcome["K1"] == (RowResult.Outcome.LINKED, issued.pk)
    assert outcome["K2"] == (RowResult.Outcome.LINKED, unissued.pk)
    assert outcome["K3"][0] != RowResult.Outcome.LINKED
