"""Linkage runs over the registry: pairs and clusters kept per run, new records only, errors."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db.models import Count, Q

from mhis.access.models import AccessLog
from mhis.linkage import services
from mhis.linkage.merges import unmerge
from mhis.linkage.models import CandidatePair, LinkRun, Merge
from mhis.linkage.services import run_linkage
from mhis.names import index_keys
from mhis.registry.models import Identifier, NameKey, Person, PersonName, PersonSite
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
        _named(person, written)
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


def _named(person, written):
    """Names as registration writes them, with the keys search and matching find them by."""
    PersonName.objects.bulk_create(
        [PersonName(person=person, text=n, script="Zyyy") for n in written]
    )
    keys = set().union(*(index_keys(n) for n in written))
    NameKey.objects.bulk_create([NameKey(person=person, key=k) for k in sorted(keys)])


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
    _named(twin, [newcomer.display_name, newcomer.display_latin])
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


def test_records_linked_without_review_are_merged_a_group_at_a_time(world, people, api):
    persons, truth = _registry(world)
    run = run_linkage()
    auto = CandidatePair.objects.filter(status=CandidatePair.Status.AUTO)
    assert run.merged > 0 and auto.exists()
    merges = Merge.objects.filter(run=run)
    assert merges.count() == run.merged and not merges.filter(merged_by__isnull=False).exists()
    for pair in auto:  # linked: both records are now one person, the earlier one surviving
        left, right = (Person.objects.get(pk=pk) for pk in (pair.left_id, pair.right_id))
        assert (left.merged_into_id or left.pk) == (right.merged_into_id or right.pk)
        survivor = left.merged_into_id or left.pk
        assert survivor <= min(pair.left_id, pair.right_id)
    for merge in merges:  # each record joined to its group by a pair scored above the cut
        group = {merge.survivor_id} | set(
            Person.objects.filter(merged_into=merge.survivor_id).values_list("pk", flat=True)
        )
        strong = CandidatePair.objects.filter(
            Q(left=merge.merged_id, right__in=group) | Q(right=merge.merged_id, left__in=group),
            probability__gte=run.cluster_threshold,
        )
        assert strong.exists()
    by_pk = {p.pk: uid for uid, p in persons.items()}
    linked = {tuple(sorted((by_pk[m.survivor_id], by_pk[m.merged_id]))) for m in merges}
    assert len(linked & truth) / len(linked) >= 0.95  # what is merged unseen must be right


def test_review_queue_and_decisions(world, people, api):
    _registry(world)
    run_linkage()
    assert api(people["clinician"]).get("/api/linkage/pairs").status_code == 403
    page = api(people["admin"]).get("/api/linkage/pairs", page_size=5).json()
    queue = page["results"]
    assert page["count"] > 5 and len(queue) == 5
    assert all(item["status"] == "review" for item in queue)
    assert queue[0]["probability"] >= queue[-1]["probability"]
    assert {"name", "birth"} <= set(queue[0]["evidence"])
    assert AccessLog.objects.filter(user=people["admin"], view="linkage").exists()
    second_page = api(people["admin"]).get("/api/linkage/pairs", page_size=5, page=2).json()
    assert not {p["id"] for p in queue} & {p["id"] for p in second_page["results"]}

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


def test_a_decided_pair_is_never_asked_again_and_runs_add_to_the_queue(world, people):
    _registry(world)
    first = run_linkage()
    queue = list(services.review_queue(people["admin"]))
    different, same = queue[0], queue[1]
    services.decide(people["admin"], different, "different", "two sisters")
    waiting = {p.pk for p in services.review_queue(people["admin"])}

    nothing_new = run_linkage(scope=LinkRun.Scope.NEW)  # nothing registered since
    assert nothing_new.pairs == 0
    assert {p.pk for p in services.review_queue(people["admin"])} == waiting

    again = run_linkage()  # the whole registry again: the same pairs, scored again
    assert again.pk != first.pk
    different.refresh_from_db()
    assert different.status == "different" and different.run_id == again.pk
    assert different.note == "two sisters"
    assert CandidatePair.objects.filter(left=different.left, right=different.right).count() == 1
    assert different.pk not in {p.pk for p in services.review_queue(people["admin"])}

    # A record merged by one decision takes its other pairs out of the queue.
    services.decide(people["admin"], same, "same")
    others = CandidatePair.objects.filter(
        Q(left=same.right) | Q(right=same.right), status="review"
    ).exclude(pk=same.pk)
    for other in others:
        assert other not in services.review_queue(people["admin"])
        with pytest.raises(ValidationError, match="since been merged"):
            services.decide(people["admin"], other, "different")


def test_an_undone_automatic_merge_is_not_made_again(world, people):
    _registry(world)
    run = run_linkage()
    merge = Merge.objects.filter(run=run).first()
    unmerge(people["admin"], merge)
    run_linkage()
    assert Person.objects.get(pk=merge.merged_id).merged_into_id is None
    assert not Merge.objects.filter(
        survivor=merge.survivor, merged=merge.merged, undone_at__isnull=True
    ).exists()


def test_linkage_is_started_from_the_page_and_the_api(world, people, api, client, settings):
    settings.MHIS_TASKS_INLINE = True
    _registry(world, people=120, duplicates=40)
    assert api(people["clinician"]).post("/api/linkage/runs", {"scope": "all"}).status_code == 403
    bad = api(people["admin"]).post("/api/linkage/runs", {"scope": "some"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "scope"]
    started = api(people["admin"]).post("/api/linkage/runs", {"scope": "all"})
    assert started.status_code == 202 and started.json()["task"]
    runs = api(people["admin"]).get("/api/linkage/runs").json()
    assert runs[0]["status"] == "done" and runs[0]["scope"] == "all" and runs[0]["pairs"] > 0

    client.force_login(people["admin"])
    page = client.post("/linkage/runs/", {"scope": "new"}, follow=True)
    assert "queued" in page.content.decode()
    assert LinkRun.objects.filter(scope="new", status="done").exists()


def test_the_thresholds_are_settings(world, settings):
    _registry(world, people=120, duplicates=40)
    settings.MHIS_LINKAGE_REVIEW, settings.MHIS_LINKAGE_AUTO = 0.7, 0.999
    run = run_linkage()
    assert (run.threshold, run.cluster_threshold) == (0.7, 0.999)
    assert not CandidatePair.objects.filter(probability__lt=0.7).exists()


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
    merged = client.post(
        f"/linkage/pairs/{pair.pk}/", {"decision": "same", "confirm": "1"}, follow=True
    )
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


def test_link_after_an_import_that_joined_every_shared_identifier(people, tmp_path, capsys):
    """The import links a row to the person already holding its passport, so no two records
    share an identifier when linkage runs: the model trains without them."""
    import csv
    import json

    records, _ = _known_set(seed=11, people=150, duplicates=60)
    path = tmp_path / "registrations.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "name", "site", "sex", "dob", "nationality", "passport", "kind"])
        for r in records:
            passport = r["identifiers"][0][2] if r["identifiers"] else ""
            writer.writerow([r["unique_id"], r["names"][0], "MSOT-CLIN", r["sex"],
                             r["birth_date"].isoformat() if r["birth_date"] else "",
                             r["nationality"], passport, "passport" if passport else ""])  # fmt: skip
    mapping = {"source_key": "id", "name": "name", "registration_site": "site", "sex": "sex",
               "birth_date": "dob", "nationality": "nationality",
               "identifier_value": "passport", "identifier_type": "kind"}  # fmt: skip
    call_command("import", str(path), user="mae_sot_clinician", source="registry",
                 map=json.dumps(mapping), stdout=__import__("io").StringIO())  # fmt: skip
    shared = (
        Identifier.objects.values("value_hash").annotate(n=Count("person", distinct=True))
    ).filter(n__gt=1)
    assert Person.objects.count() < len(records) and not shared.exists()

    call_command("link", "--verbosity", "0")
    run = LinkRun.objects.get()
    assert run.status == LinkRun.Status.DONE and run.pairs > 0
    assert "candidate pairs" in capsys.readouterr().out


def test_a_decision_holds_for_the_records_merged_into_its_people_since(people, register):
    """A ≠ B was decided; B was merged into C since: a run that finds A and C the same
    person must not merge them without review (that would make A and B one)."""
    from mhis.linkage import Pair
    from mhis.linkage.merges import merge_people

    a, b, c = register(), register(), register()
    run = LinkRun.objects.create(threshold=0.5, cluster_threshold=0.99)
    decided = CandidatePair.objects.create(run=run, left=a, right=b, probability=0.7,
                                           weight=3.0, evidence={})  # fmt: skip
    services.decide(people["admin"], decided, "different")
    merge_people(people["admin"], c, b)
    strong = {(a.pk, c.pk): Pair(str(a.pk), str(c.pk), 0.999, 12.0, {"name": 8.0})}
    assert services.link_groups(run, strong, 0.99) == 0
    assert Person.objects.get(pk=a.pk).merged_into_id is None

    d = register()  # nothing decided about D: the same finding merges it
    strong = {(c.pk, d.pk): Pair(str(c.pk), str(d.pk), 0.999, 12.0, {"name": 8.0})}
    assert services.link_groups(run, strong, 0.99) == 1
    assert Person.objects.get(pk=d.pk).merged_into_id == c.pk


def test_a_second_run_is_refused_while_one_is_queued(world, people, api, settings):
    settings.MHIS_TASKS_INLINE = False  # queued for a worker, not run here
    assert api(people["admin"]).post("/api/linkage/runs", {"scope": "all"}).status_code == 202
    again = api(people["admin"]).post("/api/linkage/runs", {"scope": "new"})
    assert again.status_code == 422 and "under way" in again.json()["detail"][0]["msg"]


def test_the_nightly_run_leaves_the_registry_to_a_run_under_way(world, settings):
    from datetime import timedelta

    from django.utils import timezone

    from mhis.linkage.tasks import link

    _registry(world, people=60, duplicates=20)
    under_way = LinkRun.objects.create(threshold=0.5, cluster_threshold=0.99)
    assert link.call("new") == {"skipped": "a linkage run is under way"}
    assert LinkRun.objects.count() == 1
    # A run marked running for longer than a run takes died with its process.
    LinkRun.objects.filter(pk=under_way.pk).update(started_at=timezone.now() - timedelta(days=1))
    assert link.call("all")["run"] != under_way.pk
