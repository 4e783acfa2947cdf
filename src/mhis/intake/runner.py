"""Running an import away from the request that started it.

An upload is saved under the data directory, then imported in a background thread while the
page shows its progress (``MHIS_IMPORT_BACKGROUND``; off in tests, where the import runs
inline). A thread that dies with the server leaves its job running with its checkpoint; the
job's page offers to resume it from the saved file. The file holds people's data, so it is
kept only while an import may resume from it: a refused upload, and the upload of an import
that ended (done or failed), is deleted.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connections
from django.utils.translation import gettext as _

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


def _reason(exc: Exception) -> str:
    """What the import's page says of a failure: the application's own messages; of anything
    else only that it happened (its text can hold paths on this server: the log has it)."""
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return _("The import stopped on an unexpected error; the server's log has the details.")


def start(work: Callable[[], object], *, digest: str, path: Path) -> None:
    """Run `work`, in a thread unless MHIS_IMPORT_BACKGROUND is off. An unexpected failure
    marks the file's running jobs failed, with the reason. The upload at `path` is deleted
    once no import of it is left unfinished."""

    def run():
        try:
            try:
                work()
            except Exception as exc:  # the reason is kept on the job for the page
                log.exception("import of %s failed", digest)
                Job.objects.filter(digest=digest, status=Job.Status.RUNNING).update(
                    status=Job.Status.FAILED, error=_reason(exc)[:2000]
                )
            discard(path, digest)  # done or failed: no import resumes from it
        finally:
            if threading.current_thread() is not threading.main_thread():
                connections.close_all()

    if getattr(settings, "MHIS_IMPORT_BACKGROUND", True):
        close_old_connections()
        threading.Thread(target=run, name=f"import-{digest[:8]}", daemon=True).start()
    else:
        run()
