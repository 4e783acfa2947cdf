"""Imports as background tasks, run by `mhis worker` (see `mhis.intake.runner`)."""

from mhis.work.queue import task

from . import runner


@task()
def import_table(user_id: int, name: str, job_id: int) -> None:
    runner.import_table(user_id, name, job_id)


@task()
def import_form(user_id: int, name: str, form: str, source: str, file_name: str) -> None:
    runner.import_form(user_id, name, form, source, file_name)
