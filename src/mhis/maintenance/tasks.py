"""Backups as background tasks (`mhis backup --queue`)."""

from pathlib import Path

from mhis.work.queue import task

from . import services


@task()
def backup(out: str, key_file: str) -> dict:
    return {"bytes": services.backup(Path(out), Path(key_file))}


@task()
def nightly_backup(directory: str, key_file: str, day: str, keep: int) -> dict:
    return {"bytes": services.nightly(Path(directory), Path(key_file), day, keep)}
