"""The encrypted batch extract as a background task (`mhis indicators extract --queue`)."""

from pathlib import Path

from mhis.work.queue import task

from . import batch


@task()
def extract(out: str) -> dict:
    return batch.write_extract(Path(out))
