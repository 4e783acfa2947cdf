"""The task queue in one process: a task is claimed by a compare-and-swap update that a stale
read cannot win; a dead worker's task is taken over once, and the worker that lost it records
nothing; the import page tells running from stopped by the worker's lease; the schedule queues
a period's run once."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, DBTaskResultQuerySet

from mhis.intake import runner
from mhis.intake.models import Job
from mhis.registry.models import Person
from mhis.work import queue, schedule
from mhis.work.models import Lease, Scheduled

from .work_tasks import echo

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(settings):
    """Tasks stay queued until a test claims them (no inline run)."""
    settings.MHIS_TASKS_INLINE = False
    settings.MHIS_SCHEDULE_ESCALATION = False  # hourly; tested with the notifications
    settings.MHIS_SCHEDULE_REPORT_REMINDERS = ""  # weekly; tests/test_surveillance_completeness.py
    return settings


def _expire(task_id) -> None:
    Lease.objects.filter(task_id=task_id).update(expires_at=timezone.now() - dt.timedelta(seconds=1))  # fmt: skip


def test_a_ready_task_is_claimed_once_even_by_a_worker_that_read_it_as_ready(queued, monkeypatch):
    result = queue.enqueue(echo, 7)
    first = queue.claim("w1")
    assert first is not None and first.task_id == str(result.id)
    # w2 read the row before w1's claim: its update finds the task no longer ready.
    monkeypatch.setattr(DBTaskResultQuerySet, "ready", lambda qs: qs.all())
    assert queue.claim("w2") is None
    row = DBTaskResult.objects.get(id=result.id)
    assert row.status == "RUNNING" and row.worker_ids == ["w1"]
    assert queue.execute(first, heartbeat=False)
    row.refresh_from_db()
    assert row.status == "SUCCESSFUL" and row.return_value == 7
    assert not Lease.objects.exists()


def test_a_dead_worker_s_task_is_taken_over_once_and_the_loser_records_nothing(queued):
    result = queue.enqueue(echo, 1)
    dead = queue.claim("w1")
    assert queue.claim("w2") is None  # the lease is live
    _expire(result.id)
    taken = queue.claim("w2")
    assert taken is not None and taken.task_id == dead.task_id and taken.attempts == 2
    assert queue.claim("w3") is None  # taken over once
    # w3 read the expired lease before w2 took it over: its update finds another token.
    stale = {"task_id": result.id, "token": dead.token, "attempts": 1}
    assert queue.take_over("w3", stale, timezone.now() + dt.timedelta(hours=1)) is None
    # The first worker, back from a stall, can neither renew nor finish the task.
    assert not queue.renew(dead)
    assert not queue.execute(dead, heartbeat=False)
    assert DBTaskResult.objects.get(id=result.id).status == "RUNNING"
    assert queue.execute(taken, heartbeat=False)
    row = DBTaskResult.objects.get(id=result.id)
    assert row.status == "SUCCESSFUL" and row.worker_ids == ["w1", "w2"]


def test_a_task_whose_workers_keep_dying_is_failed_not_run_forever(queued):
    queued.MHIS_WORKER_MAX_ATTEMPTS = 2
    result = queue.enqueue(echo, 1)
    queue.claim("w1")
    _expire(result.id)
    assert queue.claim("w2").attempts == 2
    _expire(result.id)
    assert queue.claim("w3") is None
    row = DBTaskResult.objects.get(id=result.id)
    assert row.status == "FAILED" and row.exception_class_path.endswith("WorkerLost")


BODY = b"source_key,name,registration_site\n" + b"".join(
    f"K{i},Aung Kyaw {i},MSOT-CLIN\n".encode() for i in range(30)
)


def test_the_import_page_offers_resume_only_when_the_worker_s_lease_expired(queued, people, client, tmp_path):  # fmt: skip
    queued.VAR_DIR = tmp_path
    client.force_login(people["clinician"])
    client.post("/imports/", {"what": "kind:people", "source": "s", "file": SimpleUploadedFile("p.csv", BODY)})  # fmt: skip
    job = Job.objects.get()
    url, resume = f"/imports/{job.pk}/", f"/imports/{job.pk}/resume/"
    page = client.get(url).content.decode()
    assert "waits for a worker" in page and resume not in page
    claimed = queue.claim("w1")
    assert claimed.task_id == str(job.task_id)
    page = client.get(url).content.decode()
    assert resume not in page and "waits for a worker" not in page  # running: its lease is live
    assert client.post(resume).status_code == 302
    assert DBTaskResult.objects.count() == 1  # a live import is not queued twice
    _expire(job.task_id)
    assert resume in client.get(url).content.decode()  # its worker died
    # Another worker takes it over first: no Resume, and a resume queues nothing.
    taken = queue.claim("w2")
    assert resume not in client.get(url).content.decode()
    client.post(resume)
    assert DBTaskResult.objects.count() == 1
    _expire(job.task_id)
    queued.MHIS_TASKS_INLINE = True  # the resumed import runs in the test
    assert client.post(resume).status_code == 302
    job.refresh_from_db()
    assert job.status == "done" and Person.objects.count() == 30
    assert DBTaskResult.objects.get(id=taken.task_id).status == "FAILED"  # never runs again
    assert DBTaskResult.objects.get(id=job.task_id).status == "SUCCESSFUL"
    assert not queue.execute(taken, heartbeat=False)  # the stalled worker records nothing
    assert resume not in client.get(url).content.decode()
    assert runner.stored_file(job) is None  # the upload is deleted once the import ended


def test_the_schedule_queues_a_week_s_evaluation_once_however_often_asked(queued):
    queued.MHIS_SCHEDULE_EVALUATION, queued.MHIS_SCHEDULE_LINKAGE = "mon 06:15", "02:00"
    monday = dt.datetime(2026, 11, 30, 6, 15, tzinfo=dt.UTC)  # 2026-W49 begins
    assert set(schedule.enqueue_due(monday)) == {"surveillance-evaluation:2026-W48", "linkage-new:2026-11-30"}  # fmt: skip
    assert schedule.enqueue_due(monday) == []
    assert schedule.enqueue_due(monday + dt.timedelta(days=2)) == ["linkage-new:2026-12-02"]
    evaluations = DBTaskResult.objects.filter(task_path="mhis.surveillance.tasks.evaluate_week")
    assert [r.args_kwargs["args"] for r in evaluations] == [[2026, 48]]
    assert DBTaskResult.objects.filter(task_path="mhis.linkage.tasks.link").count() == 2
    # A minute before the next Monday's time, the week evaluated is still W48; at it, W49.
    assert schedule.enqueue_due(monday + dt.timedelta(days=7, minutes=-1)) == ["linkage-new:2026-12-07"]  # fmt: skip
    assert schedule.enqueue_due(monday + dt.timedelta(days=7)) == ["surveillance-evaluation:2026-W49"]  # fmt: skip
    assert Scheduled.objects.count() == DBTaskResult.objects.count() == 5


def test_the_nightly_backup_is_queued_once_a_night_and_keeps_the_last_ones(queued, tmp_path):
    from mhis.maintenance.services import new_key

    new_key(tmp_path / "backup.key")
    queued.MHIS_SCHEDULE_EVALUATION = queued.MHIS_SCHEDULE_LINKAGE = ""
    queued.MHIS_SCHEDULE_BACKUP, queued.MHIS_BACKUP_KEEP = "01:30", 2
    night = dt.datetime(2026, 12, 1, 1, 30, tzinfo=dt.UTC)
    assert schedule.enqueue_due(night) == []  # no folder set: no backups
    queued.MHIS_BACKUP_DIR, queued.MHIS_BACKUP_KEY_FILE = (
        str(tmp_path),
        str(tmp_path / "backup.key"),
    )
    queued.MHIS_TASKS_INLINE = True
    for n in range(3):
        assert schedule.enqueue_due(night + dt.timedelta(days=n)) == [f"backup:2026-12-0{n + 1}"]
        assert schedule.enqueue_due(night + dt.timedelta(days=n, hours=5)) == []
    assert sorted(p.name for p in tmp_path.glob("*.backup")) == ["mhis-2026-12-02.backup", "mhis-2026-12-03.backup"]  # fmt: skip
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}


def test_the_commands_hand_their_work_to_the_worker_with_queue(queued, tmp_path):
    from django.core.management import call_command

    from mhis.maintenance.services import new_key

    new_key(tmp_path / "k")
    call_command("link", "--new", "--queue", verbosity=0)
    call_command("surveillance", "evaluate", "--week", "2026-W47", "--queue")
    call_command("indicators", "extract", "--out", str(tmp_path / "x"), "--queue")
    call_command("backup", str(tmp_path / "b.backup"), key_file=str(tmp_path / "k"), queue=True)
    queued_ = dict(DBTaskResult.objects.values_list("task_path", "args_kwargs"))
    assert queued_ == {
        "mhis.linkage.tasks.link": {"args": ["new", None, None], "kwargs": {}},
        "mhis.surveillance.tasks.evaluate_week": {"args": [2026, 47], "kwargs": {}},
        "mhis.indicators.tasks.extract": {"args": [str(tmp_path / "x")], "kwargs": {}},
        "mhis.maintenance.tasks.backup": {"args": [str(tmp_path / "b.backup"), str(tmp_path / "k")], "kwargs": {}},
    }  # fmt: skip
    assert not (tmp_path / "x").exists() and not (tmp_path / "b.backup").exists()  # not run here
    worker = queue.claim("w1")
    while worker is not None:  # what a worker does with them
        assert queue.execute(worker, heartbeat=False), worker
        worker = queue.claim("w1")
    assert (tmp_path / "b.backup").exists() and any((tmp_path / "x").iterdir())
