"""Running an import away from the request that started it.

An upload is saved under the data directory, then its import is queued as a task
(`mhis.intake.tasks`) that a worker (`mhis worker`) runs while the page shows its progress.
The job keeps the id of the task importing it: whether the import is queued, running or
stopped is read from the queue (its worker's lease), whichever server process shows the page.
A worker killed mid-import leaves its lease to expire: another worker takes the task over and
goes on after the last committed batch, or the job's page offers to resume it. The file holds
people's data, so it is kept only while an import may resume from it: a refused upload, and
the upload of an import that ended (done or failed), is deleted.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model

from mhis.work import queue

from .models import Job

log = logging.getLogger(__name__)


def upload_dir() -> Path:
    path = Path(settings.VAR_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_upload(upload) -> tuple[Path, str]:
    """The upload saved as ``<sha256><suffix>`` (the same file is kept once); its digest."""
    suffix = Path(upload.name).suffix.lower()[:6]
    digest = hashlib.sha256()
    partial = upload_dir() / f".{threading.get_ident()}.partial"
    try:
        with partial.open("wb") as out:
            for chunk in upload.chunks():
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    path = upload_dir() / f"{digest.hexdigest()}{suffix}"
    partial.replace(path)
    return path, digest.hexdigest()


def discard(path: Path, digest: str) -> None:
    """Delete an upload unless an unfinished import of the same file may still resume from it."""
    if not Job.objects.filter(digest=digest, status=Job.Status.RUNNING).exists():
        Path(path).unlink(missing_ok=True)


def stored_file(job: Job) -> Path | None:
    path = upload_dir() / f"{job.digest}{Path(job.file_name).suffix.lower()[:6]}"
    return path if path.is_file() else None


def upload(name: str) -> Path:
    """The saved upload `name` (``<sha256><suffix>``), kept in the upload folder."""
    return upload_dir() / Path(name).name


def run(work: Callable[[], object], *, digest: str, path: Path) -> None:
    """Run `work` (in a worker's task). An unexpected failure marks the file's running jobs
    failed, with the reason, and is raised again for the task's record. The upload at `path`
    is deleted once no import of it is left unfinished."""
    try:
        work()
    except Exception as exc:  # the reason is kept on the job for the page
        log.exception("import of %s failed", digest)
        for job in Job.objects.filter(digest=digest, status=Job.Status.RUNNING):
            job.fail(exc)
        discard(path, digest)
        raise
    discard(path, digest)  # done: no import resumes from it


def import_table(user_id: int, name: str, job_id: int) -> None:
    """The import of `job` from its saved upload `name`, by the user who queued it: from its
    first row, or after its last committed batch when it was started before."""
    from . import services

    job = Job.objects.filter(pk=job_id).first()
    path = upload(name)
    if job is None or job.status != Job.Status.RUNNING:  # ended meanwhile (a take-over)
        return
    user = get_user_model().objects.get(pk=user_id)
    run(
        lambda: services.run_import(user, path, kind=job.kind, source=job.source, job=job),
        digest=job.digest,
        path=path,
    )


def import_form(user_id: int, name: str, form: str, source: str, file_name: str) -> None:
    """The import of a field form's exported submissions saved as `name`."""
    from . import services

    path = upload(name)
    user = get_user_model().objects.get(pk=user_id)
    run(
        lambda: services.import_submissions(user, path, form=form, source=source, name=file_name),
        digest=path.stem,
        path=path,
    )


def state(job: Job) -> str:
    """What the job's page says of its import, from the database: `queue.QUEUED`, `RUNNING`,
    `STOPPED` (its worker died, or it never had one) or `FINISHED` (the job ended, or its task
    did without ending it)."""
    if job.status != Job.Status.RUNNING:
        return queue.FINISHED
    return queue.state(job.task_id)
