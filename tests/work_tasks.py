"""Tasks the queue's tests run: in the test's process, and in `mhis worker` processes (which
import them from this folder, their working directory)."""

import os
import time

from django.db import connection

from mhis.work.queue import task


@task()
def echo(n: int) -> int:
    return n


@task()
def record_run(n: int) -> None:
    """Record that job `n` ran, and in which process, in the table the test made."""
    time.sleep(0.02)  # long enough for the two workers' claims to interleave
    with connection.cursor() as cursor:
        cursor.execute("insert into test_run (job, pid) values (%s, %s)", [n, os.getpid()])
