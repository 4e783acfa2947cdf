"""Importing records other than people: encounters, immunisations, referrals and assessments
about people named by the source's own key, outreach (workers, sessions, contacts,
trainings) and weekly site reports — each kind checked by its own service, upserted by its
key, bad rows reported by row and column."""

import csv
from pathlib import Path

from mhis.care.models import Assessment, Encounter, Immunisation, Referral
from mhis.intake import services
from mhis.intake.models import SourceRecord
from mhis.outreach.models import Contact, Session, Training, Worker
from mhis.surveillance.models import WeeklyReport


def table(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def imported(user, path, kind, source="clinic"):
    job = services.run_import(user, path, kind=kind, source=source)
    return job, services.summary(job)


def test_records_name_their_person_by_the_sources_people_key(people, tmp_path):
    user = people["clinician"]
    people_file = table(tmp_path / "people.csv", ["source_key", "name", "registration_site", "sex"],
                        [["P1", "Aung Aung", "MSOT-CLIN", "male"], ["P2", "Naw Paw", "MSOT-CLIN", "female"]])  # fmt: skip
    imported(user, people_file, "people")
    p1 = SourceRecord.objects.get(kind="people", key="P1").person
    visits = table(tmp_path / "visits.csv", ["person", "site", "date", "kind", "diagnoses", "reason"], [
        ["P1", "MSOT-CLIN", "2025-03-01", "consultation", "A15.0; J18.9", "cough"],
        ["P2", "MSOT-CLIN", "2025-03-02", "consultation", "Z99.99", "check"],
        ["P9", "MSOT-CLIN", "2025-03-02", "consultation", "", ""],
    ])  # fmt: skip
    job, counts = imported(user, visits, "encounters")
    assert counts == {"created": 1, "rejected": 2}
    encounter = Encounter.objects.get()
    assert encounter.person == p1
    assert list(encounter.diagnoses.values_list("code", flat=True)) == ["A15.0", "J18.9"]
    rejected = {(r.row, r.field) for r in job.rows.filter(outcome="rejected")}
    assert rejected == {(2, "diagnoses"), (3, "person")}
    # Again: nothing new; a changed reason updates the same encounter.
    assert imported(user, visits, "encounters")[1] == {"unchanged": 1, "rejected": 2}
    changed = table(tmp_path / "visits2.csv", ["person", "site", "date", "kind", "diagnoses", "reason"],
                    [["P1", "MSOT-CLIN", "2025-03-01", "consultation", "A15.0; J18.9", "cough, fever"]])  # fmt: skip
    assert imported(user, changed, "encounters")[1] == {"updated": 1}
    assert Encounter.objects.get().reason == "cough, fever"


def test_immunisations_referrals_and_assessments_go_through_their_services(people, register, tmp_path):  # fmt: skip
    user = people["clinician"]
    person = register()
    doses = table(tmp_path / "doses.csv", ["person", "site", "vaccine", "dose_number", "date", "lot"], [
        [str(person.uuid), "MSOT-CLIN", "MMR", "1", "2025-01-10", "L1"],
        [str(person.uuid), "MSOT-CLIN", "MMR", "9", "2025-02-10", "L2"],
        [str(person.uuid), "MSOT-CLIN", "NOPE", "1", "2025-02-10", ""],
    ])  # fmt: skip
    job, counts = imported(user, doses, "immunisations")
    assert counts == {"created": 1, "rejected": 2}
    assert {(r.row, r.field) for r in job.rows.filter(outcome="rejected")} == {(2, "dose_number"), (3, "vaccine")}  # fmt: skip
    assert Immunisation.objects.get().lot == "L1"
    referrals = table(tmp_path / "ref.csv", ["source_key", "person", "site", "kind", "reason", "to_site", "sent_on"],
                      [["R1", str(person.uuid), "MSOT-CLIN", "medical", "sputum", "MWD-HOSP", "2025-03-01"]])  # fmt: skip
    assert imported(user, referrals, "referrals")[1] == {"created": 1}
    assert Referral.objects.get().to_site.code == "MWD-HOSP"
    checks = table(tmp_path / "assess.csv", ["person", "site", "type", "date", "tb_symptoms", "tst_mm"],
                   [[str(person.uuid), "MSOT-CLIN", "pre_departure", "2025-03-01", "yes", "12"]])  # fmt: skip
    assert imported(user, checks, "assessments")[1] == {"created": 1}
    assessment = Assessment.objects.get()
    assert assessment.tb_symptoms is True and assessment.tst_mm == 12


def test_outreach_workers_sessions_contacts_and_trainings(people, tmp_path):
    user = people["clinician"]
    workers = table(tmp_path / "w.csv", ["code", "name", "kind", "sex", "site", "languages"], [
        ["CHW-1", "Ma Thida", "chw", "female", "MSOT-CLIN", "my; th"],
        ["VOL-1", "Ko Zaw", "volunteer", "male", "MSOT-CLIN", "my"],
        ["VOL-2", "Far Away", "volunteer", "male", "SPS-CAMR", ""],
    ])  # fmt: skip
    job, counts = imported(user, workers, "workers", "tak-outreach")
    assert counts == {"created": 2, "rejected": 1}
    assert Worker.objects.get(code="CHW-1").languages == ["my", "th"]
    sessions = table(tmp_path / "s.csv", ["site", "worker", "date", "topic", "language", "females", "males"], [
        ["MSOT-CLIN", "CHW-1", "2025-04-01", "tb", "my", "12", "9"],
        ["MSOT-CLIN", "CHW-1", "2025-04-02", "dengue", "my", "-3", "4"],
    ])  # fmt: skip
    job, counts = imported(user, sessions, "sessions", "tak-outreach")
    assert counts == {"created": 1, "rejected": 1}
    assert Session.objects.get().attendance == 21
    assert job.rows.get(outcome="rejected").field == "females"
    contacts = table(tmp_path / "c.csv", ["source_key", "site", "worker", "date", "sex", "topic", "referred"],
                     [["uuid:1", "MSOT-CLIN", "VOL-1", "2025-04-03", "female", "maternal_child", "yes"]])  # fmt: skip
    assert imported(user, contacts, "contacts", "tak-outreach")[1] == {"created": 1}
    assert Contact.objects.get().referred is True
    trainings = table(tmp_path / "t.csv", ["worker", "course", "date", "hours"],
                      [["CHW-1", "TB case finding", "2025-02-01", "16"], ["VOL-1", "TB case finding", "2025-02-01", "16"]])  # fmt: skip
    assert imported(user, trainings, "trainings", "tak-outreach")[1] == {"created": 2}
    assert imported(user, trainings, "trainings", "tak-outreach")[1] == {"unchanged": 2}
    assert Training.objects.count() == 2


def test_weekly_report_rows_make_one_report_per_site_and_week(people, tmp_path):
    user = people["clinician"]
    rows = [["MSOT-CLIN", "2025-W10", "dengue", "female", "15-49", "3"],
            ["MSOT-CLIN", "2025-W10", "dengue", "male", "15-49", "2"],
            ["MSOT-CLIN", "2025-W11", "awd", "male", "0-4", "1"],
            ["MSOT-BRDG", "2025-W10", "dengue", "male", "15-49", "lots"]]  # fmt: skip
    path = table(tmp_path / "weekly.csv", ["site", "week", "condition", "sex", "age_group", "count"], rows)  # fmt: skip
    job, counts = imported(user, path, "weekly", "site-reports")
    assert counts == {"created": 3, "rejected": 1}
    assert job.rows.get(outcome="rejected").field == "count"
    assert WeeklyReport.objects.count() == 2
    assert imported(user, path, "weekly", "site-reports")[1] == {"unchanged": 3, "rejected": 1}
    assert WeeklyReport.objects.count() == 2


def test_migration_episodes_are_added_to_a_persons_history(people, register, tmp_path):
    from mhis.registry.models import MigrationEpisode

    user = people["clinician"]
    person = register(birth_date="1990-01-01")
    before = person.episodes.count()
    rows = [[str(person.uuid), "REG_LAB", "MM", "LA; TH", "MY", "2015-02-01", "2019-06-30"],
            [str(person.uuid), "RET_INT", "MY", "", "MM", "2019-07-01", ""],
            [str(person.uuid), "NOPE", "MM", "", "TH", "1980-01-01", ""]]  # fmt: skip
    path = table(tmp_path / "episodes.csv", ["person", "status", "origin_country", "transit_countries",
                                             "destination_country", "start_date", "end_date"], rows)  # fmt: skip
    job, counts = imported(user, path, "episodes")
    assert counts == {"created": 2, "rejected": 1}
    assert {(r.field) for r in job.rows.filter(outcome="rejected")} == {"status", "start_date"}
    added = MigrationEpisode.objects.filter(person=person, origin_country="MM", destination_country="MY").get()  # fmt: skip
    assert added.transit_countries == ["LA", "TH"] and added.status == "REG_LAB"
    assert person.episodes.count() == before + 2
    assert imported(user, path, "episodes")[1] == {"unchanged": 2, "rejected": 1}
