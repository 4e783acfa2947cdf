"""Imports write only inside the importer's places: a source's name and keys belong to the
places that imported them, so someone elsewhere reusing them reaches nothing; a row never
changes a record outside the importer's places, nor attaches a person they cannot see — by
the command, the upload page, a field form's export, for every kind."""

import importlib
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.forms.models import model_to_dict

from mhis.care.models import Assessment, Encounter, Immunisation, Referral
from mhis.intake import services
from mhis.intake.models import Job, SourceRecord
from mhis.outreach import services as outreach
from mhis.outreach.models import Contact, Session, Training, Worker
from mhis.registry.models import MigrationEpisode, Person, PersonSite
from mhis.registry.search import visible_people

from .test_intake_kinds import table

SOURCE = "Mae Sot clinic"
OUTSIDE = "would change a record outside your places"


def imported(user, path, kind, source=SOURCE, columns=None):
    return services.run_import(user, path, kind=kind, source=source, columns=columns)


@pytest.fixture
def mae_sot_person(people, tmp_path):
    """A person the Mae Sot clinician imported as P1 of their source: registered at the clinic,
    not known in Ranong."""
    path = table(tmp_path / "people.csv", ["source_key", "name", "registration_site", "sex", "birth_date"],
                 [["P1", "Naw Paw", "MSOT-CLIN", "female", "1990-02-03"]])  # fmt: skip
    imported(people["clinician"], path, "people")
    return SourceRecord.objects.get(kind="people", key="P1").person


# Each kind: the Mae Sot clinician's row and the Ranong CHW's row under the same source name
# and the same key, and the model of the record the Mae Sot row became.
KINDS = {
    "people": (Person, ["source_key", "name", "registration_site", "sex"],
               ["K1", "Aung Aung", "MSOT-CLIN", "male"],
               ["K1", "Rewritten", "RNG-PORT", "male"]),
    "encounters": (Encounter, ["source_key", "person", "site", "date", "kind", "reason"],
                   ["K1", "P1", "MSOT-CLIN", "2025-03-01", "consultation", "cough"],
                   ["K1", "P1", "RNG-PORT", "2025-03-01", "consultation", "rewritten"]),
    "immunisations": (Immunisation, ["source_key", "person", "site", "vaccine", "dose_number", "date", "lot"],
                      ["K1", "P1", "MSOT-CLIN", "MMR", "1", "2025-01-10", "L1"],
                      ["K1", "P1", "RNG-PORT", "MMR", "1", "2025-01-10", "L9"]),
    "referrals": (Referral, ["source_key", "person", "site", "kind", "reason", "to_site", "sent_on"],
                  ["K1", "P1", "MSOT-CLIN", "medical", "sputum", "MWD-HOSP", "2025-03-01"],
                  ["K1", "P1", "RNG-PORT", "medical", "rewritten", "RNG-PORT", "2025-03-01"]),
    "assessments": (Assessment, ["source_key", "person", "site", "type", "date", "tst_mm"],
                    ["K1", "P1", "MSOT-CLIN", "pre_departure", "2025-03-01", "12"],
                    ["K1", "P1", "RNG-PORT", "pre_departure", "2025-03-01", "0"]),
    "episodes": (MigrationEpisode, ["source_key", "person", "status", "origin_country", "destination_country", "start_date"],
                 ["K1", "P1", "REG_LAB", "MM", "TH", "2015-02-01"],
                 ["K1", "P1", "RET_INT", "MM", "TH", "2015-02-01"]),
    "workers": (Worker, ["source_key", "code", "name", "kind", "site"],
                ["K1", "W1", "Ma Thida", "chw", "MSOT-CLIN"],
                ["K1", "W1", "Rewritten", "chw", "RNG-PORT"]),
    "sessions": (Session, ["source_key", "site", "date", "topic", "females"],
                 ["K1", "MSOT-CLIN", "2025-04-01", "tb", "12"],
                 ["K1", "RNG-PORT", "2025-04-01", "dengue", "3"]),
    "contacts": (Contact, ["source_key", "site", "date", "topic"],
                 ["K1", "MSOT-CLIN", "2025-04-03", "tb"],
                 ["K1", "RNG-PORT", "2025-04-03", "dengue"]),
    "trainings": (Training, ["source_key", "worker", "course", "date"],
                  ["K1", "W1", "TB case finding", "2025-02-01"],
                  ["K1", "RW1", "Rewritten", "2025-02-01"]),
}  # fmt: skip


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_source_name_and_key_reused_elsewhere_reach_no_record_of_the_places_that_imported_them(
    people, mae_sot_person, tmp_path, kind
):
    model, header, theirs, mine = KINDS[kind]
    clinician, chw = people["clinician"], people["chw"]
    if kind == "trainings":
        outreach.save_worker(clinician, {"code": "W1", "name": "Ma Thida", "kind": "chw", "site": "MSOT-CLIN"})  # fmt: skip
        outreach.save_worker(chw, {"code": "RW1", "name": "Ko Zaw", "kind": "chw", "site": "RNG-PORT"})  # fmt: skip
    first = imported(clinician, table(tmp_path / "theirs.csv", header, [theirs]), kind)
    assert services.summary(first) == {"created": 1}
    source_record = SourceRecord.objects.get(kind=kind, key="K1")
    record = source_record.person if kind == "people" else model.objects.get(pk=source_record.record_id)  # fmt: skip
    before = model_to_dict(record)

    job = imported(chw, table(tmp_path / "mine.csv", header, [mine]), kind)

    record.refresh_from_db()
    assert model_to_dict(record) == before  # the Mae Sot record is as it was
    (outcome,) = set(job.rows.values_list("outcome", flat=True))
    assert outcome in ("rejected", "created")  # refused, or a record of the CHW's own
    about = record if kind == "people" else getattr(record, "person", None)
    for theirs in {mae_sot_person, about} - {None}:  # no Mae Sot person came into Ranong
        assert not PersonSite.objects.filter(person=theirs, site__code="RNG-PORT").exists()
        assert not visible_people(chw).filter(pk=theirs.pk).exists()


@pytest.mark.parametrize("path", ["service", "command", "page"])
def test_the_insider_rewrite_of_an_encounter_is_refused_by_every_path(
    people, mae_sot_person, tmp_path, client, path
):
    header = ["source_key", "person", "site", "date", "kind", "reason"]
    theirs = table(tmp_path / "visits.csv", header,
                   [["E1", "P1", "MSOT-CLIN", "2025-03-01", "consultation", "cough"]])  # fmt: skip
    imported(people["clinician"], theirs, "encounters")
    mine = table(tmp_path / "mine.csv", header,
                 [["E1", "P1", "RNG-PORT", "2025-03-01", "consultation", "rewritten"]])  # fmt: skip
    if path == "service":
        imported(people["chw"], mine, "encounters")
    elif path == "command":
        call_command("import", str(mine), kind="encounters", user="ranong_chw", source=SOURCE,
                     stdout=io.StringIO())  # fmt: skip
    else:
        client.force_login(people["chw"])
        client.post("/imports/", {"what": "kind:encounters", "source": SOURCE,
                                  "file": SimpleUploadedFile("visits.csv", mine.read_bytes())})  # fmt: skip
    job = Job.objects.filter(started_by=people["chw"]).get()
    (row,) = job.rows.all()
    assert (row.row, row.outcome, row.field) == (1, "rejected", "person")
    assert "in your places" in row.reason
    encounter = Encounter.objects.get()
    assert (encounter.site.code, encounter.reason) == ("MSOT-CLIN", "cough")
    assert not visible_people(people["chw"]).filter(pk=mae_sot_person.pk).exists()


def test_a_field_form_export_reusing_an_instance_id_reaches_no_record_elsewhere(people, register, tmp_path):  # fmt: skip
    person = register()

    def visit(site, reason):
        return {"__id": "uuid:a1", "meta": {"instanceID": "uuid:a1"}, "person": str(person.uuid),
                "visit": {"site": site, "date": "2025-05-02", "kind": "mobile_clinic", "reason": reason}}  # fmt: skip

    (tmp_path / "theirs.json").write_text(json.dumps([visit("MSOT-CLIN", "fever")]))
    (tmp_path / "mine.json").write_text(json.dumps([visit("RNG-PORT", "rewritten")]))
    services.import_submissions(people["clinician"], tmp_path / "theirs.json", form="mhis_clinic_visit")  # fmt: skip
    jobs = services.import_submissions(people["chw"], tmp_path / "mine.json", form="mhis_clinic_visit")  # fmt: skip
    assert services.summary(jobs[0]) == {"rejected": 1}
    encounter = Encounter.objects.get()
    assert (encounter.site.code, encounter.reason) == ("MSOT-CLIN", "fever")
    assert not visible_people(people["chw"]).filter(pk=person.pk).exists()


def test_people_of_the_same_places_share_the_source_so_their_re_import_changes_nothing(
    people, world, tmp_path
):
    from mhis.access.services import create_user

    colleague = create_user(username="mae_sot_nurse", password=None, role="clinician",
                            places=[world["MAESOT"]])  # fmt: skip
    columns = {"source_key": "id", "name": "full_name", "registration_site": "site"}
    path = table(tmp_path / "people.csv", ["id", "full_name", "site"],
                 [["P1", "Naw Paw", "MSOT-CLIN"], ["P2", "Aung Aung", "MSOT-CLIN"]])  # fmt: skip
    imported(people["clinician"], path, "people", columns=columns)
    again = imported(colleague, path, "people")  # the mapping saved by the colleague's places
    assert services.summary(again) == {"unchanged": 2}
    assert Person.objects.count() == 2


def test_a_mapping_given_elsewhere_for_the_same_source_name_leaves_the_places_own(people, tmp_path):  # fmt: skip
    theirs = {"source_key": "id", "name": "full_name", "registration_site": "site"}
    path = table(tmp_path / "people.csv", ["id", "full_name", "site", "other"],
                 [["P1", "Naw Paw", "MSOT-CLIN", "RNG-PORT"]])  # fmt: skip
    imported(people["clinician"], path, "people", columns=theirs)
    chw_columns = {"source_key": "full_name", "name": "id", "registration_site": "other"}
    imported(people["chw"], path, "people", columns=chw_columns)
    again = imported(people["clinician"], path, "people")
    assert services.summary(again) == {"unchanged": 1}
    clinician = people["clinician"]
    assert services.mapping_for(clinician, services.namespace(clinician), SOURCE, "people",
                                ["id", "full_name", "site", "other"]) == theirs  # fmt: skip


def test_an_unfinished_job_of_the_same_file_elsewhere_is_not_resumed(people):
    theirs = services.start_job(people["clinician"], kind="people", source=SOURCE, file_name="p.csv", digest="0" * 64)  # fmt: skip
    mine = services.start_job(people["chw"], kind="people", source=SOURCE, file_name="p.csv", digest="0" * 64)  # fmt: skip
    assert mine != theirs and mine.started_by == people["chw"]


def test_a_record_moved_outside_the_importers_places_is_not_changed_by_their_next_import(
    people, tmp_path
):
    header = ["source_key", "site", "date", "topic", "females"]
    imported(people["chw"], table(tmp_path / "s.csv", header, [["S1", "RNG-PORT", "2025-04-01", "tb", "9"]]), "sessions", "port")  # fmt: skip
    session = Session.objects.get()
    outreach.record_session(people["admin"], {"site": "MSOT-CLIN"}, session)  # it was Mae Sot's
    job = imported(people["chw"], table(tmp_path / "s2.csv", header, [["S1", "RNG-PORT", "2025-04-01", "dengue", "9"]]), "sessions", "port")  # fmt: skip
    (row,) = job.rows.all()
    assert row.outcome == "rejected" and OUTSIDE in row.reason
    session.refresh_from_db()
    assert (session.site.code, session.topic) == ("MSOT-CLIN", "tb")


def test_records_imported_before_owners_were_kept_go_to_the_places_that_can_see_them(
    people, mae_sot_person, tmp_path
):
    header = ["source_key", "person", "site", "date", "kind", "reason"]
    path = table(tmp_path / "visits.csv", header, [["E1", "P1", "MSOT-CLIN", "2025-03-01", "consultation", "cough"]])  # fmt: skip
    imported(people["clinician"], path, "encounters")
    SourceRecord.objects.update(owner="")  # as the upgrade leaves a source two places shared
    mine = table(tmp_path / "mine.csv", header, [["E1", "P1", "RNG-PORT", "2025-03-01", "consultation", "rewritten"]])  # fmt: skip
    assert services.summary(imported(people["chw"], mine, "encounters")) == {"rejected": 1}
    visits = SourceRecord.objects.filter(kind="encounters")
    assert list(visits.values_list("owner", flat=True)) == [""]
    assert services.summary(imported(people["clinician"], path, "encounters")) == {"unchanged": 1}
    assert list(visits.values_list("owner", flat=True)) == [services.namespace(people["clinician"])]
    assert Encounter.objects.get().reason == "cough"


def test_the_upgrade_gives_a_source_to_the_places_of_the_only_people_who_imported_it(people):
    from django.apps import apps

    migration = importlib.import_module("mhis.intake.migrations.0003_import_namespaces")
    for user, source in ((people["clinician"], "clinic"), (people["clinician"], "shared"), (people["chw"], "shared")):  # fmt: skip
        Job.objects.create(source=source, kind="people", file_name="p.csv", digest="0" * 64, started_by=user)  # fmt: skip
        SourceRecord.objects.get_or_create(source=source, kind="people", key=f"{user.pk}", row_hash="")  # fmt: skip
    migration.give_owners(apps, None)
    owners = dict(SourceRecord.objects.values_list("source", "owner").distinct())
    assert owners == {"clinic": services.namespace(people["clinician"]), "shared": ""}
    assert set(Job.objects.values_list("started_by", "owner")) == {
        (people["clinician"].pk, services.namespace(people["clinician"])),
        (people["chw"].pk, services.namespace(people["chw"])),
    }
