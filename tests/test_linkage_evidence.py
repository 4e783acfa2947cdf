"""What the linkage review shows a reviewer who may not see migration status (the
administrator): the comparisons of the records it is shown — names, dates of birth, sex,
nationality — never those read from migration episodes (country of origin and of destination,
occupation sector, arrival date) nor the comparison of identifiers, whose weight tells two
masked documents are of one type; and a probability and weight of those comparisons alone,
from which the withheld ones cannot be given back."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from mhis.access.services import create_user
from mhis.linkage import link, services
from mhis.linkage.features import FROM_MIGRATION_EPISODES, OF_IDENTIFIER_TYPES
from mhis.linkage.models import CandidatePair, LinkRun
from mhis.linkage.services import LABELS, run_linkage
from mhis.places.models import Place
from mhis.registry.models import MigrationEpisode

from .test_linkage import _known_set

WITHHELD = FROM_MIGRATION_EPISODES | OF_IDENTIFIER_TYPES
SHOWN = {"name", "birth", "sex", "nationality"}  # what the pair page sets side by side


@pytest.fixture
def demo(db, tmp_path):
    call_command("demo", "--size", "tiny", "--seed", "7", "--out", str(tmp_path), verbosity=0)


def test_the_review_shows_no_comparison_of_migration_episodes_to_a_role_that_may_not_see_them(
    demo, client, api
):
    """On the demo world, an administrator of every country opens each pair of a linkage run
    (/linkage/pairs/{id}/) and reads the queue (GET /api/linkage/pairs): no comparison of
    migration episodes or identifiers is listed ("Occupation sector: agrees" named every such
    pair's two people regular labour migrants), and each pair's weight minus its evidence is
    the same prior for all, so the withheld comparisons cannot be added back."""
    countries = list(Place.objects.filter(level=0))
    admin = create_user(username="all_admin", password=None, role="administrator", places=countries)
    run_linkage()
    client.force_login(admin)
    pinned = []
    labels = {str(LABELS[name]) for name in WITHHELD}
    for pair in CandidatePair.objects.all():
        page = client.get(f"/linkage/pairs/{pair.pk}/")
        assert page.status_code == 200
        text = page.content.decode()
        assert not [label for label in labels if f"{label}: " in text], pair.pk
        if "Occupation sector: agrees" in text:
            truth = set(
                MigrationEpisode.objects.filter(person=pair.left).values_list("status", flat=True)
            )
            pinned.append(truth)
    assert not pinned
    agreed = [p for p in CandidatePair.objects.all() if p.evidence.get("sector", 0) > 0]
    assert agreed, "the demo world has pairs whose occupation sector agrees"
    queue = api(admin).get("/api/linkage/pairs", page_size=500).json()["results"]
    assert queue
    priors = set()
    for item in queue:
        assert set(item["evidence"]) == SHOWN and item["complete"] is False
        priors.add(round(item["weight"] - sum(item["evidence"].values()), 6))
    assert len(priors) == 1, priors


def _run() -> LinkRun:
    return LinkRun.objects.create(threshold=0.5, cluster_threshold=0.95, status=LinkRun.Status.DONE)


def _pair(register, run, **evidence) -> CandidatePair:
    left, right = register(), register()
    prior = -10.0
    weight = prior + sum(evidence.values())
    return CandidatePair.objects.create(run=run, left=left, right=right, weight=weight,
                                        probability=2**weight / (1 + 2**weight), evidence=evidence)  # fmt: skip


def test_the_probability_shown_is_that_of_the_comparisons_shown(world, people, register):
    """The probability and weight shown leave the withheld comparisons out; a role that sees
    migration status would be shown every comparison and the model's own probability."""
    pair = _pair(register, _run(), name=6.0, birth=3.0, sex=0.5, nationality=0.5,
                 origin=1.0, destination=1.0, sector=2.5, arrival=1.5, identifiers=-9.0)  # fmt: skip
    shown = services.shown_evidence(people["admin"], pair)
    assert set(shown.comparisons) == SHOWN and not shown.complete
    assert shown.weight == pytest.approx(-10.0 + 10.0)
    assert shown.probability == pytest.approx(0.5)
    whole = services.shown_evidence(people["clinician"], pair)  # a role that sees status
    assert whole.complete and set(whole.comparisons) == SHOWN | WITHHELD
    assert (whole.weight, whole.probability) == (pair.weight, pair.probability)


def test_the_queue_is_ordered_by_the_evidence_shown(world, people, register, api, client):
    """Strongest first by the comparisons shown: a pair ahead only by its withheld comparisons
    is not put ahead (its place would tell they agreed), on the page and in the API alike."""
    run = _run()
    agreeing_episodes = _pair(register, run, name=4.0, birth=2.0, sector=2.5, origin=1.0,
                              destination=1.0, arrival=1.5)  # fmt: skip
    agreeing_names = _pair(register, run, name=6.0, birth=3.0)
    assert agreeing_episodes.weight > agreeing_names.weight
    queue = api(people["admin"]).get("/api/linkage/pairs").json()["results"]
    assert [item["id"] for item in queue] == [agreeing_names.pk, agreeing_episodes.pk]
    assert queue[0]["probability"] > queue[1]["probability"]
    client.force_login(people["admin"])
    page = client.get("/linkage/").content.decode()
    assert page.index(f"/linkage/pairs/{agreeing_names.pk}/") < page.index(
        f"/linkage/pairs/{agreeing_episodes.pk}/"
    )
    assert "are left out for your role" in client.get(f"/linkage/pairs/{agreeing_names.pk}/").content.decode()  # fmt: skip


def test_every_comparison_of_the_model_is_shown_or_withheld_by_name():
    """The names withheld are those of the model's comparisons: a comparison renamed or added
    is either shown deliberately or withheld, never shown by mistake."""
    records, _ = _known_set(seed=11, people=200, duplicates=40)
    for n, record in enumerate(records):
        record.update(destination="TH", sector="fishing" if n % 2 else None, arrival=None)
    result = link(records)
    assert result.pairs
    assert set(result.pairs[0].evidence) == SHOWN | WITHHELD
