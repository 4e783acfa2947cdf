"""The weekly evaluation, the hourly escalation of overdue alerts and the weekly reminders of
missing reports as background tasks (the worker's schedule, `--queue`)."""

import datetime as dt

from django.conf import settings
from django.utils import timezone

from mhis.work.queue import task
from mhis.work.schedule import weekly

from . import completeness, owners, services


@task()
def evaluate_week(year: int, week: int) -> dict:
    return services.evaluate_week(year, week)


@task()
def escalate() -> list[int]:
    done = owners.escalate()
    for also in owners.ALSO_ESCALATE:
        also(None)
    return done


@task()
def remind_reports(day: str = "") -> int:
    """The reminders of the week before `day` (the slot's date, ISO): a worker that runs the
    task days late still reminds the week its run is named for."""
    return completeness.scheduled_remind(dt.date.fromisoformat(day) if day else None)


def _reminders() -> str:
    value = (settings.MHIS_SCHEDULE_REPORT_REMINDERS or "").strip()
    return "" if value.lower() in ("0", "off", "no", "false") else value


def check_schedules() -> None:
    """Refuse, at start-up, a weekly slot that is not one (ImproperlyConfigured naming its
    setting), rather than stop the worker at its first look at the schedule."""
    now = timezone.localtime()
    if _reminders():
        weekly(_reminders(), now, "MHIS_SCHEDULE_REPORT_REMINDERS")
    if settings.MHIS_SCHEDULE_EVALUATION:
        weekly(settings.MHIS_SCHEDULE_EVALUATION, now)


def scheduled(local):
    """The week's evaluation, once the slot of MHIS_SCHEDULE_EVALUATION has passed."""
    runs = []
    if settings.MHIS_SCHEDULE_ESCALATION:
        # Overdue alerts, once an hour (escalating twice does nothing).
        runs.append((f"surveillance-escalation:{local:%Y-%m-%dT%H}", escalate, ()))
    reminders = _reminders()
    if reminders:
        # Sites whose last full week has not come, once a week (once per site-week anyway).
        slot = weekly(reminders, local, "MHIS_SCHEDULE_REPORT_REMINDERS")
        label = services.week_label(*services.last_full_week(slot.date()))
        runs.append((f"surveillance-reminders:{label}", remind_reports, (slot.date().isoformat(),)))
    if not settings.MHIS_SCHEDULE_EVALUATION:
        return runs
    year, week = services.last_full_week(weekly(settings.MHIS_SCHEDULE_EVALUATION, local).date())
    runs.append(
        (f"surveillance-evaluation:{services.week_label(year, week)}", evaluate_week, (year, week))
    )
    return runs
