"""Backups as background tasks (`mhis backup --queue`)."""

from pathlib import Path

from mhis.work.queue import task

from . import services


@task()
def backup(out: str, key_file: str) -> dict:
    return {"bytes": services.backup(Path(out), Path(key_file))}
