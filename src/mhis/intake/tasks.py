"""Imports as background tasks, run by `mhis worker` (see `mhis.intake.runner`), and how
they are queued."""

from pathlib import Path

from django.db import transaction

from mhis.work import queue
from mhis.work.queue import task

from . import runner
from .models import Job


@task()
def import_table(user_id: int, name: str, job_id: int) -> None:
    runner.import_table(user_id, name, job_id)


@task()
def import_form(user_id: int, name: str, form: str, source: str, file_name: str) -> None:
    runner.import_form(user_id, name, form, source, file_name)


def queue_import(user, job: Job, path: Path) -> bool:
    """Queue the import of `job` from `path` as `user`, unless its task is queued or running
    (under a live lease); a stopped task is first made sure never to run again. Whether it
    was queued: of two people resuming a job at once, one queues it."""
    old = job.task_id
    if queue.state(old) in (queue.QUEUED, queue.RUNNING) or not queue.abandon(old):
        return False
    with transaction.atomic():
        result = queue.enqueue_quietly(import_table, user.pk, Path(path).name, job.pk)
        if not Job.objects.filter(pk=job.pk, task_id=old).update(task_id=result.id):
            transaction.set_rollback(True)  # queued by someone else meanwhile
            return False
    job.task_id = result.id
    queue.run_inline(result.id)
    return True


def queue_form(user, path: Path, *, form: str, source: str, file_name: str) -> None:
    queue.enqueue(import_form, user.pk, Path(path).name, form, source, file_name)
