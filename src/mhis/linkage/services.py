"""Running the matcher over the registry and keeping what it found."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, FloatField, OuterRef, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mhis.access.policy import Can, allowed
from mhis.access.services import place_scope_q, scope_site_ids
from mhis.names import detect_script
from mhis.places.models import Place
from mhis.registry.models import Person, PersonSite
from mhis.registry.search import survivors

from . import Result, clusters, incremental, link
from .features import FROM_MIGRATION_EPISODES, OF_IDENTIFIER_TYPES
from .merges import _require_admin, _require_visible, known_on_its_own, merge_people
from .models import CandidatePair, LinkRun, Merge, waiting
from .records import registry_records

BATCH = 5_000
SETTLED = 0  # a merged record's place in a run: read, learnt from, never paired


def _check(threshold: float, cluster_threshold: float) -> None:
    errors = {}
    if not 0 < threshold < 1:
        errors["threshold"] = _("Give a probability between 0 and 1.")
    if not 0 < cluster_threshold < 1:
        errors["cluster_threshold"] = _("Give a probability between 0 and 1.")
    elif not errors and cluster_threshold < threshold:
        errors["cluster_threshold"] = _("This must not be below the threshold.")
    if errors:
        raise ValidationError(errors)


def _script(*names: str) -> str:
    """The script a pair's names are written in, for the queue's filter: the first other
    than Latin, else Latin."""
    scripts = [detect_script(n) for n in names if n]
    return next((s for s in scripts if s not in ("Latn", "Zyyy")), scripts[0] if scripts else "")


def run_linkage(
    *,
    scope: str = LinkRun.Scope.ALL,
    threshold: float | None = None,
    cluster_threshold: float | None = None,
    user=None,
    progress: Callable[[str], None] = lambda step: None,
) -> LinkRun:
    """Match the registry, keep the scored pairs, and merge the records the model links
    without review (`cluster_threshold`, decided as groups: `mhis.linkage.clusters`).

    A pair is one row whatever the number of runs: a run updates its score and never its
    decision, so a pair decided by a person is never asked again, and a pair a person
    un-merged is never merged again without review. Pairs naming a merged record leave the
    queue. With scope ``new``, only pairs with a record registered since the last finished
    run are kept: scored with the model of the last run over the whole registry
    (`incremental.score_new`, in proportion to what is new), or, before any, by training on
    the whole registry. Everything is written in one
    transaction: a failed run leaves its row marked failed and nothing else.
    """
    threshold = settings.MHIS_LINKAGE_REVIEW if threshold is None else threshold
    if cluster_threshold is None:
        cluster_threshold = max(settings.MHIS_LINKAGE_AUTO, threshold)
    _check(threshold, cluster_threshold)
    since = None
    if scope == LinkRun.Scope.NEW:
        last = LinkRun.objects.filter(status=LinkRun.Status.DONE).order_by("-started_at").first()
        since = last.started_at if last else None
    run = LinkRun.objects.create(
        scope=scope, threshold=threshold, cluster_threshold=cluster_threshold, started_by=user
    )
    try:
        new = None
        if since is not None:
            new = set(
                Person.objects.filter(created_at__gte=since, merged_into__isnull=True).values_list(
                    "pk", flat=True
                )
            )
        if new is not None and incremental.trained().run_id is not None:
            # What is new against the registry, with the model of the last whole run: no
            # retraining, in proportion to what is new.
            progress("scoring new records")
            result, person_of, names_of = _score_new(new, threshold)
        else:
            result, person_of, names_of = _score_all(threshold, cluster_threshold, progress)
        progress("saving")
        scored = {}
        for pair in result.pairs:
            left, right = person_of[pair.left], person_of[pair.right]
            if SETTLED in (left, right):
                continue
            if new is not None and left not in new and right not in new:
                continue
            scored[(min(left, right), max(left, right))] = pair
        sizes: dict[str, int] = {}
        for cluster in result.clusters.values():
            sizes[cluster] = sizes.get(cluster, 0) + 1
        with transaction.atomic():
            saved = _save_pairs(run, scored, result.clusters, names_of)
            run.records = (
                len(new)
                if not result.model and new is not None
                else sum(1 for pk in person_of.values() if pk != SETTLED)
            )
            run.pairs = len(scored)
            run.clusters = sum(1 for n in sizes.values() if n > 1)
            run.new_pairs = saved
            progress("linking")
            run.merged = link_groups(run, scored, cluster_threshold)
            run.model, run.status = result.model, LinkRun.Status.DONE
            run.finished_at = timezone.now()
            run.save()
    except Exception as exc:
        run.status, run.error, run.finished_at = LinkRun.Status.FAILED, str(exc), timezone.now()
        run.save(update_fields=["status", "error", "finished_at"])
        raise
    return run


def _score_all(threshold: float, cluster_threshold: float, progress):
    """Train on the whole registry and score every candidate pair."""
    progress("reading")
    person_of: dict[str, int] = {}
    names_of: dict[int, str] = {}

    def records():
        # Merged records too: the model learns from them; their pairs are not kept.
        for record in registry_records(merged=True):
            if record["merged"]:
                person_of[record["unique_id"]] = SETTLED
                yield record
                continue
            person_of[record["unique_id"]] = record["person"]
            names_of[record["person"]] = " ".join(record["names"][:2])
            yield record

    result = link(
        records(),
        threshold=threshold,
        cluster_threshold=cluster_threshold,
        max_block=settings.MHIS_LINKAGE_MAX_BLOCK,
        progress=progress,
    )
    return result, person_of, names_of


def _score_new(new: set[int], threshold: float):
    """Score the new records against the registry with the trained model
    (`incremental.score_new`); the run keeps no model of its own."""
    pairs = incremental.score_new(sorted(new), threshold=threshold)
    uuids = {p.left for p in pairs} | {p.right for p in pairs}
    person_of, names_of = {}, {}
    rows = Person.objects.filter(uuid__in=sorted(uuids)).values_list(
        "uuid", "pk", "display_name", "display_latin"
    )
    for uuid, pk, name, latin in rows:
        person_of[str(uuid)] = pk
        names_of[pk] = " ".join(n for n in (name, latin) if n)
    return Result(pairs=pairs), person_of, names_of


def _save_pairs(run, scored: dict, clusters: dict[str, str], names_of: dict[int, str]) -> int:
    """Write the run's pairs: the score of a pair scored before is updated (its status and
    decision stay), a new one is added to the queue. Returns how many were new."""
    known = _pair_ids(scored)
    fresh, changed = [], []
    for key, pair in scored.items():
        together = pair.left in clusters and clusters[pair.left] == clusters.get(pair.right)
        row = CandidatePair(
            pk=known.get(key),
            run=run,
            left_id=key[0],
            right_id=key[1],
            probability=pair.probability,
            weight=pair.weight,
            evidence=pair.evidence,
            cluster=clusters[pair.left] if together else "",
            script=_script(names_of.get(key[0], ""), names_of.get(key[1], "")),
        )
        (changed if row.pk else fresh).append(row)
    CandidatePair.objects.bulk_create(fresh, batch_size=BATCH)
    CandidatePair.objects.bulk_update(
        changed,
        ["run", "probability", "weight", "evidence", "cluster", "script"],
        batch_size=BATCH,
    )
    return len(fresh)


@dataclass(frozen=True)
class _Scored:  # a pair as `clusters.groups` reads it, by person id
    left: str
    right: str
    probability: float
    evidence: dict


def link_groups(run, scored: dict, auto: float) -> int:
    """Merge the groups of records the model links without review (`clusters.groups` over
    the run's pairs at `auto`): each into its earliest record. A group goes to review whole
    where a person decided two of its records are different people, or un-merged two of them
    — counting the records merged into each since — or where one of them was merged or
    removed while the run scored. Each group is merged in its own savepoint: one that cannot
    be merged leaves the others. Returns how many records were merged."""
    refused = list(
        CandidatePair.objects.filter(status=CandidatePair.Status.DIFFERENT).values_list(
            "left_id", "right_id"
        )
    )
    refused += Merge.objects.exclude(undone_at=None).values_list("survivor_id", "merged_id")
    root = survivors({pk for pair in refused for pk in pair})
    decided = {frozenset((root[a], root[b])) for a, b in refused if root[a] != root[b]}
    ids = _pair_ids(scored)
    merged_count = 0
    for group in clusters.groups(
        [
            _Scored(str(left), str(right), p.probability, p.evidence)
            for (left, right), p in scored.items()
        ],
        threshold=auto,
        largest=settings.MHIS_LINKAGE_LARGEST_GROUP,
    ):
        members = sorted(int(m) for m in group.members)
        inside = [(a, b) for i, a in enumerate(members) for b in members[i + 1 :]]
        if not group.linked or any(frozenset(key) in decided for key in inside):
            continue
        try:
            with transaction.atomic():
                standing = Person.objects.select_for_update().filter(
                    pk__in=members, merged_into__isnull=True
                )
                if standing.count() != len(members):  # merged or removed meanwhile
                    continue
                survivor = members[0]  # the earliest registered
                within = [ids[key] for key in inside if key in ids]
                CandidatePair.objects.filter(
                    pk__in=within, status=CandidatePair.Status.REVIEW
                ).update(status=CandidatePair.Status.AUTO)
                for other in members[1:]:
                    merge_people(
                        None,
                        Person(pk=survivor),
                        Person(pk=other),
                        pair_id=ids.get((survivor, other)),
                        run=run,
                    )
        except (ValidationError, Person.DoesNotExist):
            continue  # left to review
        merged_count += len(members) - 1
    return merged_count


def _pair_ids(scored: dict) -> dict[tuple[int, int], int]:
    """The rows of the pairs of `scored` already written: (left, right) -> primary key."""
    keys = sorted(scored)
    found = {}
    for start in range(0, len(keys), BATCH):
        lefts = {k[0] for k in keys[start : start + BATCH]}
        for pk, left, right in CandidatePair.objects.filter(left_id__in=lefts).values_list(
            "pk", "left_id", "right_id"
        ):
            if (left, right) in scored:
                found[(left, right)] = pk
    return found


def visible_pairs(user):
    """Candidate pairs an administrator may review: both people known in their places on
    their own (a pair with someone outside them, or known there only through a site link a
    merge added, is another administrator's to decide: `decide` would refuse it)."""
    _require_admin(user)
    # Each side probed on its own (not `left__in=<everyone visible>`): on PostgreSQL, with
    # statistics that said the tables were empty, that was planned as a scan of people for
    # every pair.
    return CandidatePair.objects.filter(
        known_on_its_own(user, "left"), known_on_its_own(user, "right")
    )


# -- the review queue ------------------------------------------------------------------------

NOTE_LIMIT = 2000
ORDERS = {  # the queue's orders: name -> fields (the evidence shown first)
    "probability": ("-shown_weight", "pk"),
    "newest": ("-found_at", "-pk"),
}


def review_queue(user, *, place=None, script: str = "", order: str = "probability"):
    """Pairs waiting for a person's decision, from every run: neither record merged since,
    both known in the user's places (and, given `place`, one of them known at a site under
    it), names in `script` if given; by default strongest first by the evidence the user
    is shown (`shown_evidence`)."""
    pairs = visible_pairs(user).filter(waiting())
    if place is not None:
        under = PersonSite.objects.filter(
            site__path__startswith=place.path, site_id__in=scope_site_ids(user)
        )
        pairs = pairs.filter(
            Exists(under.filter(person=OuterRef("left")))
            | Exists(under.filter(person=OuterRef("right")))
        )
    if script:
        pairs = pairs.filter(script=script)
    shown_weight = F("weight")
    for name in sorted(withheld_comparisons(user)):
        weight = Cast(KT(f"evidence__{name}"), FloatField())
        shown_weight = shown_weight - Coalesce(weight, Value(0.0))
    return (
        pairs.select_related("left__registration_site", "right__registration_site")
        .annotate(shown_weight=shown_weight)
        .order_by(*ORDERS.get(order, ORDERS["probability"]))
    )


def queue_filters(user, given) -> dict:
    """The queue's filters from a query (page or API): an unknown place or order is ignored
    rather than failing, a place outside the user's places is as unknown."""
    code = (given.get("place") or "").strip()
    place = queue_places(user).filter(code=code).first() if code else None
    order = given.get("order") or "probability"
    return {
        "place": place,
        "script": (given.get("script") or "").strip()[:4],
        "order": order if order in ORDERS else "probability",
    }


def queue_places(user):
    """The places the queue can be filtered by: those in the user's scopes."""
    return Place.objects.filter(place_scope_q(user, "self")).order_by("path")


def queue_scripts(user) -> list[str]:
    """The scripts of the names in the user's queue, for its filter."""
    return sorted(
        set(review_queue(user).order_by().values_list("script", flat=True).distinct()) - {""}
    )


# -- what a reviewer is shown ----------------------------------------------------------------

# Each comparison as a reviewer reads it.
LABELS = {
    "name": gettext_lazy("Name"), "birth": gettext_lazy("Date of birth"),
    "identifiers": gettext_lazy("Identifiers"), "sex": gettext_lazy("Sex"),
    "nationality": gettext_lazy("Nationality"), "origin": gettext_lazy("Country of origin"),
    "destination": gettext_lazy("Country of destination"),
    "sector": gettext_lazy("Occupation sector"), "arrival": gettext_lazy("Arrival date"),
}  # fmt: skip


def withheld_comparisons(user) -> frozenset[str]:
    """The comparisons of a pair left out for `user`: for a role that may not see migration
    status, those of migration episodes and of identifier types (see `mhis.linkage.features`)."""
    if allowed(user, Can.SEE_MIGRATION_STATUS):
        return frozenset()
    return FROM_MIGRATION_EPISODES | OF_IDENTIFIER_TYPES


@dataclass(frozen=True)
class Evidence:
    """A pair as a reviewer is shown it: the weight (bits) of each comparison shown, and the
    weight and probability of the match from those comparisons and the prior alone."""

    comparisons: dict[str, float]
    weight: float
    probability: float
    complete: bool  # every comparison is shown


def shown_evidence(user, pair: CandidatePair) -> Evidence:
    """The evidence of `pair` that `user` may be shown, on pages and in the API alike.

    A role that may not see migration status is not shown the comparisons of
    `withheld_comparisons`, nor the model's probability, which adds them up: the prior and
    the comparisons shown would give back their sum, and from it which of them agreed. It is
    shown the weight and probability of the comparisons it is shown, and the queue is ordered
    by them. What remains: which pairs are in the queue (the run keeps pairs whose probability
    over every comparison reaches its threshold) and which were linked without review still
    depend on every comparison, so a pair shown weak evidence in the queue had some of the
    withheld comparisons agree, without saying which."""
    withheld = withheld_comparisons(user)
    evidence = {name: float(w) for name, w in (pair.evidence or {}).items()}
    if not withheld:
        return Evidence(evidence, pair.weight, pair.probability, complete=True)
    shown = {name: w for name, w in evidence.items() if name not in withheld}
    weight = pair.weight - sum(w for name, w in evidence.items() if name in withheld)
    return Evidence(shown, weight, incremental.probability(weight), complete=False)


def check_decision(user, pair, decision: str, note: str = "") -> None:
    """Refuse a decision `decide` would refuse, before anything is written: the page checks
    a "same person" decision this way before asking to confirm the merge."""
    _require_admin(user)
    _require_visible(user, pair.left, pair.right)
    if decision not in (CandidatePair.Status.SAME, CandidatePair.Status.DIFFERENT):
        raise ValidationError({"decision": _("Choose “same person” or “different people”.")})
    if pair.status in (CandidatePair.Status.SAME, CandidatePair.Status.DIFFERENT):
        raise ValidationError({"decision": _("This pair has already been decided.")})
    if pair.left.merged_into_id or pair.right.merged_into_id:
        raise ValidationError(
            {"decision": _("One of these records has since been merged into another.")}
        )
    if len(note) > NOTE_LIMIT:
        raise ValidationError({"note": _("At most %(n)s characters.") % {"n": NOTE_LIMIT}})


@transaction.atomic
def decide(user, pair, decision: str, note: str = ""):
    """Record a reviewer's decision on a pair. "same" merges the later record into the
    earlier one (see `merge_people`); "different" keeps them apart."""
    pair = CandidatePair.objects.select_for_update().get(pk=pair.pk)
    check_decision(user, pair, decision, note)
    pair.status, pair.note = decision, note
    pair.decided_by, pair.decided_at = user, timezone.now()
    pair.save(update_fields=["status", "note", "decided_by", "decided_at"])
    if decision == CandidatePair.Status.SAME:
        merge_people(user, pair.left, pair.right, pair_id=pair.pk, note=note)
    return pair
