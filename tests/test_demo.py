"""The demo world: deterministic, with every role, known duplicates and searchable names."""

import csv
import random

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from mhis.access.models import Role, User
from mhis.demo import people as gen
from mhis.demo.services import SIZES
from mhis.names import index_keys, query_plan
from mhis.registry.models import Identifier, Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def built(tmp_path):
    call_command("demo", "--size", "tiny", "--seed", "7", "--out", str(tmp_path), verbosity=0)
    return tmp_path


def test_demo_builds_people_users_and_ground_truth(built):
    assert Person.objects.count() == SIZES["tiny"]
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    rows = list(csv.DictReader((built / "ground_truth.csv").open(encoding="utf-8")))
    assert len(rows) == SIZES["tiny"]
    duplicates = [r for r in rows if r["is_duplicate"] == "1"]
    assert 0 < len(duplicates) < len(rows) * 0.2
    originals = {r["person_id"] for r in rows if r["is_duplicate"] == "0"}
    assert all(r["identity"] in originals for r in duplicates)
    logins = (built / "logins.txt").read_text().splitlines()
    assert len(logins) == User.objects.count()
    assert (built / "logins.txt").stat().st_mode & 0o077 == 0


def test_demo_logins_work(built, client):
    username, password = (built / "logins.txt").read_text().splitlines()[1].split("\t")
    response = client.post("/login/", {"username": username, "password": password})
    assert response.status_code == 302


def test_demo_covers_the_scripts_of_the_corridors(built):
    scripts = set(Person.objects.values_list("names__script", flat=True))
    assert {"Mymr", "Khmr", "Laoo", "Thai", "Sinh", "Deva", "Latn"} <= scripts
    assert Identifier.objects.exists()
    precisions = set(Person.objects.values_list("birth_date_precision", flat=True))
    assert {"exact", "month", "year"} <= precisions


def test_demo_refuses_to_build_over_existing_data_unless_asked(built, tmp_path):
    with pytest.raises(CommandError, match="already holds places"):
        call_command("demo", "--size", "tiny", "--out", str(tmp_path), verbosity=0)
    call_command("demo", "--if-absent", "--out", str(tmp_path), verbosity=0)
    assert Person.objects.count() == SIZES["tiny"]


def test_same_seed_gives_the_same_people(tmp_path):
    def names(seed):
        rng = random.Random(seed)
        return [
            gen.make_name(rng, culture, "female").text
            for culture in ("burmese", "khmer", "spanish", "nepali") * 5
        ]

    assert names(3) == names(3)
    assert names(3) != names(4)


@pytest.mark.parametrize(
    "culture",
    ["burmese", "karen", "khmer", "lao", "thai", "sinhala", "nepali", "vietnamese", "spanish"],
)
def test_demo_names_are_found_by_their_latin_spelling(culture):
    rng = random.Random(11)
    for _ in range(30):
        name = gen.make_name(rng, culture, rng.choice(["female", "male"]))
        typed = name.latin or name.text
        plan = query_plan(typed)
        keys = index_keys(name.text, name.latin)
        assert all(any(k.startswith(a) for a in group for k in keys) for group in plan.groups), (
            name,
            typed,
        )


def test_demo_clinician_finds_a_person_by_burmese_script_and_by_latin_spelling(built, api):
    clinician = User.objects.get(username="clinician")
    person = (
        Person.objects.filter(
            registration_site__path__startswith=clinician.scopes.get().path, names__script="Mymr"
        )
        .order_by("pk")
        .first()
    )
    caller = api(clinician)
    for query in (person.display_name, person.display_latin, person.display_latin.upper()):
        ids = {
            r["id"] for r in caller.get("/api/persons", q=query, page_size=100).json()["results"]
        }
        assert str(person.uuid) in ids, query


def test_demo_care_data_follows_the_workflow_rules(built):
    from mhis.care.assessments import contradicted, missing_steps, quality_flags
    from mhis.care.models import Assessment, Referral

    assessments = list(Assessment.objects.prefetch_related("specimens"))
    assert assessments
    for assessment in assessments:
        missing = missing_steps(assessment)
        assert (assessment.completed_on is not None) == (missing == []), (assessment.pk, missing)
        assert quality_flags(assessment) == []
        assert not contradicted(assessment), assessment.pk  # the programme's TB table holds
    presumptive = sum(1 for a in assessments if a.specimens.all())
    assert 0 < presumptive < len(assessments) * 0.2
    for referral in Referral.objects.prefetch_related("steps"):
        days = [s.on for s in referral.steps.all()]
        assert days == sorted(days) and referral.steps.last().status == referral.status


def test_demo_referrals_cross_borders_and_open_records_there(built):
    from django.db.models import F

    from mhis.care.models import Referral
    from mhis.registry.models import PersonSite

    crossing = Referral.objects.exclude(to_country=F("site__country_code"))
    assert crossing.exists()
    for referral in crossing[:20]:
        assert PersonSite.objects.filter(person=referral.person, site=referral.to_site).exists()


def test_demo_enrols_honduran_returnee_women(built):
    from mhis.protection.models import Enrolment

    women = Enrolment.objects.filter(scheme__code="HN-RET-WOMEN")
    assert women.exists()
    assert set(women.values_list("person__sex", flat=True)) == {"female"}


def test_demo_with_link_fills_the_review_queue(tmp_path, settings):
    from django_tasks_db.models import DBTaskResult

    from mhis.linkage.models import CandidatePair, LinkRun, waiting
    from mhis.work.queue import claim, execute

    settings.MHIS_TASKS_INLINE = False  # as `make demo`: queued for the worker beside it
    call_command(
        "demo", "--size", "tiny", "--seed", "7", "--link", "--out", str(tmp_path), verbosity=0
    )
    assert not LinkRun.objects.exists()  # the demo does not wait for the run
    (queued,) = DBTaskResult.objects.all()
    assert queued.task_path == "mhis.linkage.tasks.link"
    claimed = claim("test-worker", task_id=str(queued.pk))
    assert claimed is not None
    execute(claimed, heartbeat=False)
    run = LinkRun.objects.get()
    assert run.status == LinkRun.Status.DONE and run.scope == LinkRun.Scope.ALL
    assert CandidatePair.objects.filter(waiting()).exists()
    # `make demo` again: the world and its run are there; nothing more is queued.
    call_command("demo", "--if-absent", "--link", "--out", str(tmp_path), verbosity=0)
    assert DBTaskResult.objects.count() == 1


def test_demo_with_link_queues_a_run_for_a_world_built_before_without_one(built, settings):
    from django_tasks_db.models import DBTaskResult

    settings.MHIS_TASKS_INLINE = False
    call_command("demo", "--if-absent", "--link", "--out", str(built), verbosity=0)
    call_command("demo", "--if-absent", "--link", "--out", str(built), verbosity=0)
    assert DBTaskResult.objects.count() == 1  # queued once, not again while it waits


def test_demo_without_link_queues_no_run(built):
    from django_tasks_db.models import DBTaskResult

    assert not DBTaskResult.objects.exists()


def test_demo_alerts_have_an_owner_and_an_escalated_one_with_notifications(built):
    from mhis.notifications.models import Kind, Notification
    from mhis.surveillance.models import Alert

    owned = Alert.objects.filter(owner__username="surveillance", condition="awd")
    assert owned.count() == 1 and owned.get().due_at is not None
    late = Alert.objects.get(condition="measles", escalated_at__isnull=False)
    assert late.events.filter(note__startswith="escalated").count() == 1
    told = Notification.objects.filter(kind=Kind.ALERT_OVERDUE, link__endswith=f"/{late.pk}/")
    assert told.filter(recipient__username="admin").exists()
    assert Notification.objects.filter(
        kind=Kind.ALERT_ASSIGNED, recipient__username="surveillance"
    ).exists()


def test_demo_holds_an_outbreak_at_a_border_post_with_its_history(built):
    from mhis.surveillance.models import Outbreak

    outbreak = Outbreak.objects.get()
    assert (outbreak.condition, outbreak.state, outbreak.area.code) == (
        "awd", "declared", "TH-63-MSOT",
    )  # fmt: skip
    signal = outbreak.signals.get()
    assert (signal.state, signal.source, signal.place.site_type) == (
        "event", "community", "border_post",
    )  # fmt: skip
    assert [e.to_state for e in signal.events.all()] == ["new", "triaged", "verified", "event"]
    assert outbreak.alerts.count() >= 1
    assert {a.site_id for a in outbreak.alerts.all()} == {signal.place_id}
    assert outbreak.declared_by.username == "surveillance"
    assert [e.to_state for e in outbreak.events.all() if e.to_state][-1] == "declared"
