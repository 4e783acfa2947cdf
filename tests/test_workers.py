"""Two `mhis worker` processes on one queue, with many tasks queued, run each task exactly once,
and queue the schedule's evaluation of the week once between them. On a SQLite file, or on a
database of its own on the suite's PostgreSQL server."""

import os
import signal
import time
from pathlib import Path

import pytest

from .processes import mhis, work
from .test_crash_safety import database  # noqa: F401 (the fixture)

JOBS = 120
QUEUE = f"""
from django.db import connection
from tests.work_tasks import record_run
with connection.cursor() as cursor:
    cursor.execute("create table test_run (job integer not null, pid integer not null)")
for n in range({JOBS}):
    record_run.enqueue(n)
"""


@pytest.mark.slow
def test_two_workers_never_run_a_task_twice(database, tmp_path):  # noqa: F811
    env, db = database
    root = str(Path(__file__).resolve().parent.parent)  # the workers import tests.work_tasks
    path = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    env = {
        **env,
        "PYTHONPATH": path,
        "MHIS_SCHEDULE_LINKAGE": "",
        "MHIS_SCHEDULE_ESCALATION": "0",
        "MHIS_SCHEDULE_REPORT_REMINDERS": "",
    }
    # the weekly evaluation only
    queued = mhis("shell", "-v", "0", "-c", QUEUE, env=env)
    assert queued.returncode == 0, queued.stderr
    workers = [work(env, tmp_path / f"worker-{i}.log") for i in (1, 2)]
    unfinished = "select count(*) from django_tasks_database_dbtaskresult where status in ('READY', 'RUNNING')"  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while db.one("select count(*) from django_tasks_database_dbtaskresult") <= JOBS or db.one(unfinished):  # fmt: skip
            assert time.monotonic() < deadline, "the workers did not finish the queue"
            assert all(w.poll() is None for w in workers), (tmp_path / "worker-1.log").read_text()
            time.sleep(0.1)
    finally:
        for w in workers:
            w.send_signal(signal.SIGTERM)  # each stops after the task it runs
        codes = [w.wait(timeout=60) for w in workers]
    assert codes == [0, 0]
    assert db.one("select count(distinct job) from test_run") == JOBS
    assert db.row("select job, count(*) from test_run group by job having count(*) > 1") is None
    assert db.one("select count(distinct pid) from test_run") == 2  # both workers ran tasks
    evaluations = "select count(*) from django_tasks_database_dbtaskresult where task_path = 'mhis.surveillance.tasks.evaluate_week'"  # fmt: skip
    assert db.one(evaluations) == 1 and db.one("select count(*) from work_scheduled") == 1
    statuses = "select status, count(*) from django_tasks_database_dbtaskresult group by status"
    assert db.row(statuses) == ("SUCCESSFUL", JOBS + 1)
