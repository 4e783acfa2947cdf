"""Running the matcher over the registry and keeping what it found."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import link
from .models import CandidatePair, LinkRun
from .records import registry_records

BATCH = 5_000


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


def run_linkage(
    *,
    scope: str = LinkRun.Scope.ALL,
    threshold: float = 0.5,
    cluster_threshold: float = 0.95,
    user=None,
    progress: Callable[[str], None] = lambda step: None,
) -> LinkRun:
    """Match the registry and store the scored pairs and clusters of one run.

    With scope ``new``, every record is scored (the model learns from the whole registry)
    but only pairs with a record registered since the last finished run are kept. The
    pairs are written in one transaction: a failed run leaves its row marked failed and no
    pairs.
    """
    _check(threshold, cluster_threshold)
    since = None
    if scope == LinkRun.Scope.NEW:
        last = LinkRun.objects.filter(status=LinkRun.Status.DONE).order_by("-started_at").first()
        since = last.started_at if last else None
    run = LinkRun.objects.create(scope=scope, threshold=threshold,
                                 cluster_threshold=cluster_threshold, started_by=user)  # fmt: skip
    try:
        progress("reading")
        records = list(registry_records())
        person_of = {r["unique_id"]: r["person"] for r in records}
        new = None
        if since is not None:
            from mhis.registry.models import Person

            new = set(Person.objects.filter(created_at__gte=since).values_list("pk", flat=True))
        result = link(records, threshold=threshold, cluster_threshold=cluster_threshold,
                      progress=progress)  # fmt: skip
        progress("saving")
        rows = []
        for pair in result.pairs:
            left, right = person_of[pair.left], person_of[pair.right]
            if new is not None and left not in new and right not in new:
                continue
            if left > right:
                left, right = right, left
            together = result.clusters.get(pair.left) == result.clusters.get(pair.right)
            rows.append(CandidatePair(run=run, left_id=left, right_id=right,
                                      probability=pair.probability, weight=pair.weight,
                                      evidence=pair.evidence,
                                      cluster=result.clusters[pair.left] if together else ""))  # fmt: skip
        sizes: dict[str, int] = {}
        for cluster in result.clusters.values():
            sizes[cluster] = sizes.get(cluster, 0) + 1
        with transaction.atomic():
            CandidatePair.objects.bulk_create(rows, batch_size=BATCH)
            run.records, run.pairs = len(records), len(rows)
            run.clusters = sum(1 for n in sizes.values() if n > 1)
            run.model, run.status, run.finished_at = (
                result.model,
                LinkRun.Status.DONE,
                timezone.now(),
            )
            run.save()
    except Exception as exc:
        run.status, run.error, run.finished_at = LinkRun.Status.FAILED, str(exc), timezone.now()
        run.save(update_fields=["status", "error", "finished_at"])
        raise
    return run
