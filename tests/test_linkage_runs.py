"""Linkage runs over the registry: pairs and clusters kept per run, new records only, errors."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db.models import Q

from mhis.access.models import AccessLog
from mhis.linkage import services
from mhis.linkage.models import CandidatePair, LinkRun, Merge
from mhis.linkage.services import run_linkage
from mhis.registry.models import Identifier, Person, PersonName, PersonSite
from mhis.registry.search import identifier_hash

from .test_linkage import _known_set


def _registry(world, seed=5, people=300, duplicates=100):
    """The known set as registry rows; returns {unique_id: Person} and the true pairs."""
    records, truth = _known_set(seed=seed, people=people, duplicates=duplicates)
    persons = {}
    for r in records:
        written = [n for n in r["names"] if n]
        person = Person.objects.create(
            registration_site=world["MAESOT"], display_name=written[0],
            display_latin=written[1] if len(written) > 1 else "", sex=r["sex"],
            birth_date=r["birth_date"], birth_date_precision=r["birth_precision"],
            nationality=r["nationality"],
        )  # fmt: skip
        PersonName.objects.bulk_create(
            [PersonName(person=person, text=n, script="Zyyy") for n in written]
        )
        for kind, issuer, value in r["identifiers"]:
            Identifier.objects.create(person=person, type=kind, issuing_country=issuer,
                                      value=value, value_hash=identifier_hash(value))  # fmt: skip
        persons[r["unique_id"]] = person
    # Registered at the clinic, as registration records it (the review queue is scoped).
    PersonSite.objects.bulk_create(
        [PersonSite(person=p, site=world["CLINIC"], reason=PersonSite.Reason.REGISTERED)
         for p in persons.values()]
    )  # fmt: skip
    return persons, truth


def test_a_run_keeps_scored_pairs_and_clusters(world):
    persons, truth = _registry(world)
    run = run_linkage()
    assert run.status == LinkRun.Status.DONE and run.records == len(persons)
    pairs = CandidatePair.objects.filter(run=run)
    assert run.pairs == pairs.count() > 0
    by_pk = {p.pk: uid for uid, p in persons.items()}
    clustered = {tuple(sorted((by_pk[p.left_id], by_pk[p.right_id])))
                 for p in pairs.exclude(cluster="")}  # fmt: skip
    true_found = len(clustered & truth)
    assert true_found / len(clustered) >= 0.85 and true_found / len(truth) >= 0.5
    first = pairs.order_by("-probability").first()
    assert first.left_id < first.right_id and "name" in first.evidence


def test_new_records_only_against_the_registry(world):
    persons, _ = _registry(world)
    run_linkage()
    newcomer = persons["p0"]
    twin = Person.objects.create(
        registration_site=world["MAESOT"], display_name=newcomer.display_name,
        display_latin=newcomer.display_latin, sex=newcomer.sex, birth_date=newcomer.birth_date,
        birth_date_precision=newcomer.birth_date_precision, nationality=newcomer.nationality,
    )  # fmt: skip
    PersonName.objects.create(person=twin, text=newcomer.display_name, script="Zyyy")
    run = run_linkage(scope=LinkRun.Scope.NEW)
    kept = CandidatePair.objects.filter(run=run)
    assert kept.exists()
    assert all(twin.pk in (p.left_id, p.right_id) for p in kept)


@pytest.mark.parametrize(
    ("threshold", "cluster_threshold", "field"),
    [(1.5, 0.95, "threshold"), (0.5, 0, "cluster_threshold"), (0.9, 0.8, "cluster_threshold")],
)
def test_bad_thresholds_are_refused_naming_the_field(db, threshold, cluster_threshold, field):
    with pytest.raises(ValidationError) as caught:
        run_linkage(threshold=threshold, cluster_threshold=cluster_threshold)
    assert field in caught.value.message_dict
    assert not LinkRun.objects.exists()


def test_link_command(world, capsys):
    _registry(world, people=120, duplicates=40)
    call_command("link", "--verbosity", "0")
    assert "candidate pairs" in capsys.readouterr().out
    with pytest.raises(CommandError, match="--threshold"):
        call_command("link", "--threshold", "2", "--verbosity", "0")


def test_review_queue_margin_and_decisions(world, people, api):
    _registry(world)
    run = run_linkage()
    pairs = CandidatePair.objects.filter(run=run)
    auto = pairs.filter(status=CandidatePair.Status.AUTO)
    assert auto.exists() and pairs.filter(status=CandidatePair.Status.REVIEW).exists()
    for pair in auto:  # the best of both records, by the margin
        rivals = pairs.filter(
            Q(left__in=[pair.left, pair.right]) | Q(right__in=[pair.left, pair.right])
        ).exclude(pk=pair.pk)
        assert pair.probability >= 0.99
        assert all(pair.weight - r.weight >= 5 for r in rivals)

    assert api(people["clinician"]).get("/api/linkage/pairs").status_code == 403
    queue = api(people["admin"]).get("/api/linkage/pairs", limit=5).json()
    assert queue and all(item["status"] == "review" for item in queue)
    assert queue[0]["probability"] >= queue[-1]["probability"]
    assert {"name", "birth"} <= set(queue[0]["evidence"])
    assert AccessLog.objects.filter(user=people["admin"], view="linkage").exists()

    first, second = queue[0], queue[1]
    bad = api(people["admin"]).post(f"/api/linkage/pairs/{first['id']}/decision",
                                    {"decision": "maybe"})  # fmt: skip
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "decision"]
    same = api(people["admin"]).post(f"/api/linkage/pairs/{first['id']}/decision",
                                     {"decision": "same", "note": "same passport photo"})  # fmt: skip
    assert same.status_code == 200 and same.json()["status"] == "same"
    pair = CandidatePair.objects.get(pk=first["id"])
    assert Merge.objects.filter(pair=pair, survivor=pair.left, merged=pair.right).exists()
    different = api(people["admin"]).post(f"/api/linkage/pairs/{second['id']}/decision",
                                          {"decision": "different"})  # fmt: skip
    assert different.json()["status"] == "different"
    again = api(people["admin"]).post(f"/api/linkage/pairs/{second['id']}/decision",
                                      {"decision": "same"})  # fmt: skip
    assert again.status_code == 422


def test_review_pages(world, people, client):
    _registry(world, people=200, duplicates=60)
    run_linkage()
    client.force_login(people["clinician"])
    assert client.get("/linkage/").status_code == 403
    client.force_login(people["admin"])
    page = client.get("/linkage/")
    assert page.status_code == 200
    pair = services.review_queue(people["admin"]).first()
    assert pair.left.display_name in page.content.decode()
    shown = client.get(f"/linkage/pairs/{pair.pk}/")
    assert shown.status_code == 200 and "Evidence" in shown.content.decode()
    bad = client.post(f"/linkage/pairs/{pair.pk}/", {"decision": ""})
    assert bad.status_code == 422 and "decision-error" in bad.content.decode()
    done = client.post(f"/linkage/pairs/{pair.pk}/", {"decision": "different", "note": "two"})
    assert done.status_code == 302
    pair.refresh_from_db()
    assert pair.status == "different" and pair.decided_by == people["admin"]


def test_a_pair_merged_on_its_page_is_unmerged_there_and_goes_back_to_the_queue(
    world, people, client
):
    _registry(world, people=200, duplicates=60)
    run_linkage()
    pair = services.review_queue(people["admin"]).first()
    client.force_login(people["admin"])
    merged = client.post(f"/linkage/pairs/{pair.pk}/", {"decision": "same"}, follow=True)
    merge = Merge.objects.get(pair=pair)
    page = merged.content.decode()
    assert f"/linkage/merges/{merge.pk}/undo/" in page and "Record the decision" not in page
    assert Person.objects.get(pk=pair.right_id).merged_into_id == pair.left_id

    client.force_login(people["clinician"])
    assert client.post(f"/linkage/merges/{merge.pk}/undo/").status_code == 403
    client.force_login(people["admin"])
    undone = client.post(f"/linkage/merges/{merge.pk}/undo/", follow=True)
    assert "stand on their own again" in undone.content.decode()
    assert Person.objects.get(pk=pair.right_id).merged_into_id is None
    pair.refresh_from_db()
    assert pair.status == "review" and pair.decided_by is None
    assert pair in services.review_queue(people["admin"])
    again = client.post(f"/linkage/merges/{merge.pk}/undo/", follow=True)
    assert "already been undone" in again.content.decode()


def test_the_queue_checks_each_side_of_a_pair_against_the_places_sites_alone(people):
    # Not `left IN (everyone visible)`: with statistics that said the tables were empty,
    # PostgreSQL ran that as a scan of people for every pair.
    sql = str(services.visible_pairs(people["admin"]).query)
    assert sql.count('"registry_personsite"') >= 2
    assert '"registry_person"' not in sql


def test_registry_records_carry_the_first_migration(register):
    from mhis.linkage.records import registry_records

    person = register(episodes=[
        {"status": "REG_LAB", "origin_country": "MM", "destination_country": "TH",
         "occupation_sector": "fishing", "start_date": "2019-03-10"},
        {"status": "REG_LAB", "origin_country": "MM", "destination_country": "MY",
         "start_date": "2023-01-02"},
    ])  # fmt: skip
    record = next(r for r in registry_records() if r["person"] == person.pk)
    assert (record["origin"], record["destination"], record["sector"]) == ("MM", "TH", "fishing")
    assert record["arrival"].isoformat() == "2019-03-10"
    assert record["identifiers_hashed"] is True
