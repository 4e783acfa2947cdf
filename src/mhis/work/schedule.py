"""The worker's schedule. Each app registers its scheduled work from `AppConfig.ready()`:
surveillance the weekly evaluation, linkage the nightly run and, where a folder and key are
set, maintenance the nightly backup.

Every worker checks the schedule; each run is queued under a key naming its period
(``surveillance-evaluation:2026-W47``, ``linkage-new:2026-12-04``), which the database takes
once (`queue.enqueue_once`), so two workers, or a worker restarted, never queue a period twice.
A worker that was stopped at the time of a run queues it when it starts again, for the last
period only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from . import queue

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _time(text: str, name: str) -> dt.time:
    try:
        return dt.time.fromisoformat(text)
    except ValueError:
        raise ImproperlyConfigured(f"{name}: give a time as HH:MM, not {text!r}") from None


def weekly(spec: str, now: dt.datetime, name: str = "MHIS_SCHEDULE_EVALUATION") -> dt.datetime:
    """The last time at or before `now` (aware, local) of a weekly slot ``"mon 06:15"``;
    ImproperlyConfigured naming the setting `name` when `spec` is not one."""
    day, _sep, at = spec.strip().lower().partition(" ")
    if day not in DAYS:
        raise ImproperlyConfigured(
            f"{name}: give a day ({', '.join(DAYS)}) and a time, not {spec!r}"
        )
    slot = now.replace(hour=0, minute=0, second=0, microsecond=0) - dt.timedelta(
        days=(now.weekday() - DAYS.index(day)) % 7
    )
    at_time = _time(at.strip(), name)
    slot = slot.replace(hour=at_time.hour, minute=at_time.minute)
    return slot if slot <= now else slot - dt.timedelta(days=7)


def nightly(spec: str, now: dt.datetime, name: str = "MHIS_SCHEDULE_LINKAGE") -> dt.datetime:
    """The last time at or before `now` (aware, local) of a daily slot ``"02:00"``."""
    at = _time(spec.strip(), name)
    slot = now.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    return slot if slot <= now else slot - dt.timedelta(days=1)


# A scheduled run: (key naming its period, task, arguments).
Run = tuple[str, object, tuple]
_SCHEDULES: list[Callable[[dt.datetime], list[Run]]] = []


def register(runs: Callable[[dt.datetime], list[Run]]) -> None:
    """An app's scheduled work (from its `AppConfig.ready()`): `runs(local_now)` gives the
    runs of the last period of each of its schedules."""
    if runs not in _SCHEDULES:
        _SCHEDULES.append(runs)


def due(now: dt.datetime | None = None) -> list[Run]:
    """The runs of the last period of each schedule at `now`: (key, task, arguments)."""
    local = timezone.localtime(now or timezone.now())
    return [run for runs in _SCHEDULES for run in runs(local)]


def enqueue_due(now: dt.datetime | None = None) -> list[str]:
    """Queue the runs due at `now` that no worker has queued yet; their keys."""
    return [key for key, task, args in due(now) if queue.enqueue_once(key, task, *args) is not None]
