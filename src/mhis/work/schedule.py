"""The worker's schedule: the weekly surveillance evaluation, the nightly linkage run and,
where a folder and key are set, the nightly backup.

Every worker checks the schedule; each run is queued under a key naming its period
(``surveillance-evaluation:2026-W47``, ``linkage-new:2026-12-04``), which the database takes
once (`queue.enqueue_once`), so two workers, or a worker restarted, never queue a period twice.
A worker that was stopped at the time of a run queues it when it starts again, for the last
period only.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from . import queue

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _time(text: str, name: str) -> dt.time:
    try:
        return dt.time.fromisoformat(text)
    except ValueError:
        raise ImproperlyConfigured(f"{name}: give a time as HH:MM, not {text!r}") from None


def weekly(spec: str, now: dt.datetime) -> dt.datetime:
    """The last time at or before `now` (aware, local) of a weekly slot ``"mon 06:15"``."""
    day, _sep, at = spec.strip().lower().partition(" ")
    if day not in DAYS:
        raise ImproperlyConfigured(f"MHIS_SCHEDULE_EVALUATION: give a day ({', '.join(DAYS)}) and a time, not {spec!r}")  # fmt: skip
    slot = now.replace(hour=0, minute=0, second=0, microsecond=0) - dt.timedelta(days=(now.weekday() - DAYS.index(day)) % 7)  # fmt: skip
    at_time = _time(at.strip(), "MHIS_SCHEDULE_EVALUATION")
    slot = slot.replace(hour=at_time.hour, minute=at_time.minute)
    return slot if slot <= now else slot - dt.timedelta(days=7)


def nightly(spec: str, now: dt.datetime, name: str = "MHIS_SCHEDULE_LINKAGE") -> dt.datetime:
    """The last time at or before `now` (aware, local) of a daily slot ``"02:00"``."""
    at = _time(spec.strip(), name)
    slot = now.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    return slot if slot <= now else slot - dt.timedelta(days=1)


def due(now: dt.datetime | None = None) -> list[tuple[str, object, tuple]]:
    """The runs of the last period of each schedule at `now`: (key, task, arguments)."""
    from mhis.linkage.tasks import link
    from mhis.maintenance.tasks import nightly_backup
    from mhis.surveillance import services as surveillance
    from mhis.surveillance.tasks import evaluate_week

    local = timezone.localtime(now or timezone.now())
    runs = []
    if settings.MHIS_SCHEDULE_EVALUATION:
        slot = weekly(settings.MHIS_SCHEDULE_EVALUATION, local)
        year, week = surveillance.last_full_week(slot.date())
        key = f"surveillance-evaluation:{surveillance.week_label(year, week)}"
        runs.append((key, evaluate_week, (year, week)))
    if settings.MHIS_SCHEDULE_LINKAGE:
        slot = nightly(settings.MHIS_SCHEDULE_LINKAGE, local)
        runs.append((f"linkage-new:{slot.date().isoformat()}", link, ("new",)))
    if settings.MHIS_SCHEDULE_BACKUP and settings.MHIS_BACKUP_DIR and settings.MHIS_BACKUP_KEY_FILE:
        day = (
            nightly(settings.MHIS_SCHEDULE_BACKUP, local, "MHIS_SCHEDULE_BACKUP").date().isoformat()
        )
        runs.append((f"backup:{day}", nightly_backup, (settings.MHIS_BACKUP_DIR,
                     settings.MHIS_BACKUP_KEY_FILE, day, settings.MHIS_BACKUP_KEEP)))  # fmt: skip
    return runs


def enqueue_due(now: dt.datetime | None = None) -> list[str]:
    """Queue the runs due at `now` that no worker has queued yet; their keys."""
    return [key for key, task, args in due(now) if queue.enqueue_once(key, task, *args) is not None]  # fmt: skip
