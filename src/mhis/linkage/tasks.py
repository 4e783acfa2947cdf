"""Linkage runs as background tasks (`mhis link --queue`, and the worker's nightly run)."""

from django.conf import settings

from mhis.work.queue import task
from mhis.work.schedule import nightly

from .models import LinkRun
from .services import run_linkage


@task()
def link(
    scope: str = LinkRun.Scope.NEW, threshold: float = 0.5, cluster_threshold: float = 0.95
) -> dict:
    run = run_linkage(scope=scope, threshold=threshold, cluster_threshold=cluster_threshold)
    return {"run": run.pk, "records": run.records, "pairs": run.pairs, "clusters": run.clusters}


def scheduled(local):
    """The nightly linkage of new records (MHIS_SCHEDULE_LINKAGE)."""
    if not settings.MHIS_SCHEDULE_LINKAGE:
        return []
    day = nightly(settings.MHIS_SCHEDULE_LINKAGE, local).date().isoformat()
    return [(f"linkage-new:{day}", link, ("new",))]
