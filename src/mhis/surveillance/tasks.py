"""The weekly evaluation, the hourly escalation of overdue alerts and the weekly reminders of
missing reports as background tasks (the worker's schedule, `--queue`)."""

from django.conf import settings

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
def remind_reports() -> int:
    return completeness.scheduled_remind()


def scheduled(local):
    """The week's evaluation, once the slot of MHIS_SCHEDULE_EVALUATION has passed."""
    runs = []
    if settings.MHIS_SCHEDULE_ESCALATION:
        # Overdue alerts, once an hour (escalating twice does nothing).
        runs.append((f"surveillance-escalation:{local:%Y-%m-%dT%H}", escalate, ()))
    reminders = (settings.MHIS_SCHEDULE_REPORT_REMINDERS or "").strip()
    if reminders and reminders.lower() not in ("0", "off", "no", "false"):
        # Sites whose last full week has not come, once a week (once per site-week anyway).
        slot = weekly(reminders, local)
        label = services.week_label(*services.last_full_week(slot.date()))
        runs.append((f"surveillance-reminders:{label}", remind_reports, ()))
    if not settings.MHIS_SCHEDULE_EVALUATION:
        return runs
    year, week = services.last_full_week(weekly(settings.MHIS_SCHEDULE_EVALUATION, local).date())
    runs.append(
        (f"surveillance-evaluation:{services.week_label(year, week)}", evaluate_week, (year, week))
    )
    return runs
