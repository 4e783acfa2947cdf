"""Linkage runs as background tasks (`mhis link --queue`, the page's and the API's "start a
run", and the worker's nightly run)."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from mhis.work.queue import enqueue, pending, task
from mhis.work.schedule import nightly

from .merges import _require_admin
from .models import LinkRun
from .services import run_linkage

# A run still marked running after this long died with its process: it blocks nothing.
STALE = timedelta(hours=12)


@task()
def link(
    scope: str = LinkRun.Scope.NEW,
    threshold: float | None = None,
    cluster_threshold: float | None = None,
    user_id: int | None = None,
) -> dict:
    started = timezone.now() - STALE
    if LinkRun.objects.filter(status=LinkRun.Status.RUNNING, started_at__gte=started).exists():
        # Another run is scoring (the nightly one beside one started by hand): this one
        # would decide the same pairs at the same time. It is left; the next one comes.
        return {"skipped": "a linkage run is under way"}
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    run = run_linkage(
        scope=scope, threshold=threshold, cluster_threshold=cluster_threshold, user=user
    )
    return {
        "run": run.pk,
        "records": run.records,
        "pairs": run.pairs,
        "new_pairs": run.new_pairs,
        "merged": run.merged,
    }


def start_linkage(user, *, scope: str = LinkRun.Scope.NEW):
    """Queue a linkage run for the worker: the page's and the API's "start a run"."""
    _require_admin(user)
    if scope not in LinkRun.Scope.values:
        raise ValidationError({"scope": _("Choose “all” or “new”.")})
    if pending(link):  # queued or running: two runs at once would decide the same pairs
        raise ValidationError({"scope": _("A linkage run is already under way.")})
    return enqueue(link, scope, user_id=user.pk)


def scheduled(local):
    """The nightly linkage of new records (MHIS_SCHEDULE_LINKAGE)."""
    if not settings.MHIS_SCHEDULE_LINKAGE:
        return []
    day = nightly(settings.MHIS_SCHEDULE_LINKAGE, local).date().isoformat()
    return [(f"linkage-new:{day}", link, ("new",))]
