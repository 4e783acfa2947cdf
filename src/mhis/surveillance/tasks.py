"""The weekly evaluation as a background task (the worker's schedule, `--queue`)."""

from mhis.work.queue import task

from . import services


@task()
def evaluate_week(year: int, week: int) -> dict:
    return services.evaluate_week(year, week)
