"""The weekly evaluation as a background task (the worker's schedule, `--queue`)."""

from django.conf import settings

from mhis.work.queue import task
from mhis.work.schedule import weekly

from . import services


@task()
def evaluate_week(year: int, week: int) -> dict:
    return services.evaluate_week(year, week)


def scheduled(local):
    """The week's evaluation, once the slot of MHIS_SCHEDULE_EVALUATION has passed."""
    if not settings.MHIS_SCHEDULE_EVALUATION:
        return []
    year, week = services.last_full_week(weekly(settings.MHIS_SCHEDULE_EVALUATION, local).date())
    return [
        (f"surveillance-evaluation:{services.week_label(year, week)}", evaluate_week, (year, week))
    ]
