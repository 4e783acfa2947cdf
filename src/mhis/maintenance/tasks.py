"""Backups as background tasks (`mhis backup --queue`)."""

from pathlib import Path

from django.conf import settings

from mhis.work.queue import task
from mhis.work.schedule import nightly

from . import services


@task()
def backup(out: str, key_file: str) -> dict:
    return {"bytes": services.backup(Path(out), Path(key_file))}


@task()
def nightly_backup(directory: str, key_file: str, day: str, keep: int) -> dict:
    return {"bytes": services.nightly(Path(directory), Path(key_file), day, keep)}


def scheduled(local):
    """The nightly backup, where MHIS_BACKUP_DIR and MHIS_BACKUP_KEY_FILE are set."""
    if not (
        settings.MHIS_SCHEDULE_BACKUP and settings.MHIS_BACKUP_DIR and settings.MHIS_BACKUP_KEY_FILE
    ):
        return []
    day = nightly(settings.MHIS_SCHEDULE_BACKUP, local, "MHIS_SCHEDULE_BACKUP").date().isoformat()
    return [
        (
            f"backup:{day}",
            nightly_backup,
            (
                settings.MHIS_BACKUP_DIR,
                settings.MHIS_BACKUP_KEY_FILE,
                day,
                settings.MHIS_BACKUP_KEEP,
            ),
        )
    ]
