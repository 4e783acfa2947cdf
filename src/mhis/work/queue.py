"""The task queue: tasks are queued as rows of `django_tasks_db` and run by `mhis worker`.

Each step that decides who runs a task is one compare-and-swap update whose row count says
who won, the same on SQLite and on PostgreSQL (docs/decisions/0015):

- a worker **claims** a ready task by ``UPDATE … SET status = RUNNING WHERE id = ? AND status =
  READY``, and holds it by a `Lease` it renews (its heartbeat) while the task runs;
- a lease left to expire (its worker was killed) is **taken over** by ``UPDATE lease SET token
  = <new> WHERE task = ? AND token = <old> AND expires_at < now``: one worker wins, and runs
  the task again from the start, which the tasks allow (an import goes on after its last
  committed batch). A task taken over `MHIS_WORKER_MAX_ATTEMPTS` times is marked failed;
- a worker **finishes** a task by deleting its own lease (``WHERE token = <its token>``): a
  worker that lost its lease never overwrites the outcome of the one that took it over.

With `MHIS_TASKS_INLINE` (the tests) a task is claimed and run in the process that queues it,
through the same steps, as soon as it is queued.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import secrets
import threading
import traceback
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connections, transaction
from django.db.models import F
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from .models import Lease, Scheduled

try:  # Django 6 has the tasks framework; Django 5.2 its backport
    from django.tasks import task
except ImportError:
    from django_tasks import task

__all__ = ["task"]

log = logging.getLogger(__name__)
BACKEND = "default"
QUEUES = ("default",)

# What the page of a task's work says of it.
QUEUED, RUNNING, STOPPED, FINISHED = "queued", "running", "stopped", "finished"

_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("mhis_task", default=None)


class WorkerLost(Exception):
    """Recorded as the failure of a task whose workers stopped before it ended."""


@dataclass(frozen=True)
class Claimed:
    task_id: str
    token: str
    attempts: int


def lease_time() -> dt.timedelta:
    return dt.timedelta(seconds=max(1, settings.MHIS_WORKER_LEASE_SECONDS))


def current_task_id() -> str | None:
    """The id of the task this code runs in, if any (an import's job keeps it)."""
    return _current.get()


# Queuing ----------------------------------------------------------------------------------


def pending(task_) -> bool:
    """Whether a run of `task_` is queued or under way (a worker's lease may have lapsed:
    it is taken over, not run twice)."""
    return DBTaskResult.objects.filter(
        task_path=task_.module_path,
        status__in=(TaskResultStatus.READY, TaskResultStatus.RUNNING),
    ).exists()


def enqueue(task_, *args, **kwargs):
    """Queue `task_` (run it at once with MHIS_TASKS_INLINE); its result, with its `id`."""
    result = task_.enqueue(*args, **kwargs)
    run_inline(result.id)
    return result


def enqueue_quietly(task_, *args, **kwargs):
    """Queue `task_` without running it, even inline: for a caller that records the task's
    id in the same transaction first, then calls `run_inline`."""
    return task_.enqueue(*args, **kwargs)


def run_inline(task_id: str) -> None:
    if settings.MHIS_TASKS_INLINE:
        claimed = claim(f"inline-{threading.get_ident()}", task_id=str(task_id))
        if claimed is not None:
            execute(claimed, heartbeat=False)


def enqueue_once(key: str, task_, *args, **kwargs):
    """Queue `task_` under `key` unless that key was queued before, by this process or any
    other (a unique key: the second insert fails); its result, or None."""
    try:
        with transaction.atomic():
            entry = Scheduled.objects.create(key=key)
            result = task_.enqueue(*args, **kwargs)
            entry.task_id = result.id
            entry.save(update_fields=["task"])
    except IntegrityError:
        return None
    run_inline(result.id)
    return result


# Claiming ---------------------------------------------------------------------------------


def claim(worker: str, *, queues=QUEUES, task_id: str | None = None) -> Claimed | None:
    """A task for `worker` to run: one taken over from a dead worker first, else the next
    ready one (or the ready task `task_id`); None when there is none."""
    if task_id is None:
        taken = _take_over(worker)
        if taken is not None:
            return taken
    ready = DBTaskResult.objects.ready().filter(backend_name=BACKEND, queue_name__in=queues)
    if task_id is not None:
        ready = ready.filter(id=task_id)
    for row in ready.values("id", "worker_ids")[:20]:
        now, token = timezone.now(), secrets.token_hex(16)
        with transaction.atomic():
            won = DBTaskResult.objects.filter(id=row["id"], status=TaskResultStatus.READY).update(
                status=TaskResultStatus.RUNNING,
                started_at=now,
                worker_ids=[*row["worker_ids"], worker],
            )
            if won != 1:
                continue  # another worker claimed it first
            Lease.objects.update_or_create(
                task_id=row["id"],
                defaults={
                    "token": token,
                    "worker": worker,
                    "heartbeat_at": now,
                    "expires_at": now + lease_time(),
                    "attempts": 1,
                },
            )
        return Claimed(str(row["id"]), token, 1)
    return None


def _take_over(worker: str) -> Claimed | None:
    now = timezone.now()
    expired = Lease.objects.filter(expires_at__lt=now, task__status=TaskResultStatus.RUNNING)
    for lease in expired.values("task_id", "token", "attempts")[:20]:
        taken = take_over(worker, lease, now)
        if taken is not None:
            return taken
    return None


def take_over(worker: str, lease: dict, now) -> Claimed | None:
    """Take over the task of an expired `lease` as read at `now` (its task_id, token and
    attempts), unless another worker did since, or it was taken over too often (then it is
    marked failed)."""
    if lease["attempts"] >= settings.MHIS_WORKER_MAX_ATTEMPTS:
        _give_up(lease["task_id"], lease["token"], lease["attempts"], now)
        return None
    token = secrets.token_hex(16)
    with transaction.atomic():
        won = Lease.objects.filter(
            task_id=lease["task_id"], token=lease["token"], expires_at__lt=now
        ).update(
            token=token,
            worker=worker,
            heartbeat_at=now,
            expires_at=now + lease_time(),
            attempts=F("attempts") + 1,
        )
        if won != 1:
            return None  # another worker took it over first
        ids = DBTaskResult.objects.filter(id=lease["task_id"]).values_list("worker_ids", flat=True)
        DBTaskResult.objects.filter(id=lease["task_id"]).update(worker_ids=[*ids[0], worker])
    log.warning("task %s: its worker stopped; taken over by %s", lease["task_id"], worker)
    return Claimed(str(lease["task_id"]), token, lease["attempts"] + 1)


def _give_up(task_id, token: str, attempts: int, now) -> bool:
    """Mark failed a task whose lease expired `attempts` times, unless a worker renewed or
    took the lease over meanwhile."""
    with transaction.atomic():
        won, _ = Lease.objects.filter(task_id=task_id, token=token, expires_at__lt=now).delete()
        if won:
            DBTaskResult.objects.filter(id=task_id, status=TaskResultStatus.RUNNING).update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
                traceback=f"The workers running this task stopped {attempts} times.",
            )
    if won:
        log.error("task %s: failed, its workers stopped %s times", task_id, attempts)
    return bool(won)


# Running ----------------------------------------------------------------------------------


class _Heartbeat(threading.Thread):
    """Renews a lease every quarter of its time while the task runs, on a connection of its
    own; stops renewing if the lease was taken over (it expired: the worker was stalled)."""

    def __init__(self, claimed: Claimed):
        super().__init__(name=f"heartbeat-{claimed.task_id[:8]}", daemon=True)
        self.claimed, self.done, self.lost = claimed, threading.Event(), False

    def run(self) -> None:
        try:
            while not self.done.wait(lease_time().total_seconds() / 4):
                try:
                    if not renew(self.claimed):
                        self.lost = True
                        log.error("task %s: lease lost to another worker", self.claimed.task_id)
                        return
                except Exception:  # a busy database: the next beat tries again
                    log.exception("task %s: heartbeat failed", self.claimed.task_id)
        finally:
            connections.close_all()

    def stop(self) -> None:
        self.done.set()
        self.join()


def renew(claimed: Claimed) -> bool:
    """Extend the lease, if it is still this worker's."""
    now = timezone.now()
    return bool(
        Lease.objects.filter(task_id=claimed.task_id, token=claimed.token).update(
            heartbeat_at=now, expires_at=now + lease_time()
        )
    )


def release(claimed: Claimed) -> None:
    """Let the lease expire now (the worker is stopping mid-task): another worker takes the
    task over at once."""
    Lease.objects.filter(task_id=claimed.task_id, token=claimed.token).update(
        expires_at=timezone.now()
    )


def execute(claimed: Claimed, *, heartbeat: bool = True) -> bool:
    """Run a claimed task and record its outcome; whether it succeeded."""
    row = DBTaskResult.objects.get(id=claimed.task_id)
    beat = _Heartbeat(claimed) if heartbeat else None
    if beat is not None:
        beat.start()
    marker = _current.set(claimed.task_id)
    try:
        value = row.task.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])
        outcome = {
            "status": TaskResultStatus.SUCCESSFUL,
            "return_value": _json(value),
            "exception_class_path": "",
            "traceback": "",
        }
    except (KeyboardInterrupt, SystemExit):
        release(claimed)
        raise
    except Exception as exc:
        log.exception("task %s (%s) failed", claimed.task_id, row.task_path)
        outcome = {
            "status": TaskResultStatus.FAILED,
            "return_value": None,
            "exception_class_path": f"{type(exc).__module__}.{type(exc).__qualname__}",
            "traceback": "".join(traceback.format_exception(exc)),
        }
    finally:
        _current.reset(marker)
        if beat is not None:
            beat.stop()
    return _finish(claimed, outcome)


def _json(value):
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError):
        return None


def _finish(claimed: Claimed, outcome: dict) -> bool:
    with transaction.atomic():
        held, _ = Lease.objects.filter(task_id=claimed.task_id, token=claimed.token).delete()
        if not held:
            log.error(
                "task %s: finished after its lease was taken over; outcome not recorded",
                claimed.task_id,
            )
            return False
        DBTaskResult.objects.filter(id=claimed.task_id, status=TaskResultStatus.RUNNING).update(
            finished_at=timezone.now(), **outcome
        )
    return outcome["status"] == TaskResultStatus.SUCCESSFUL


# What a page says of a task ---------------------------------------------------------------


def state(task_id) -> str:
    """`QUEUED`, `RUNNING` (its worker's lease is live), `STOPPED` (its worker's lease expired,
    or there is no such task) or `FINISHED`: read from the database, whichever process asks."""
    if task_id is None:
        return STOPPED
    status = DBTaskResult.objects.filter(id=task_id).values_list("status", flat=True).first()
    if status is None:
        return STOPPED
    if status == TaskResultStatus.READY:
        return QUEUED
    if status == TaskResultStatus.RUNNING:
        live = Lease.objects.filter(task_id=task_id, expires_at__gt=timezone.now()).exists()
        return RUNNING if live else STOPPED
    return FINISHED


def abandon(task_id) -> bool:
    """Make sure a stopped task never runs again, so its work can be queued anew: True when it
    is finished or gone, or its expired lease was taken here (it is marked failed); False when
    it is queued, or running under a live lease (a worker took it over meanwhile)."""
    if task_id is None:
        return True
    now = timezone.now()
    with transaction.atomic():
        status = DBTaskResult.objects.filter(id=task_id).values_list("status", flat=True).first()
        if status is None or status in (TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED):
            return True
        if status == TaskResultStatus.READY:
            return False
        lease = Lease.objects.filter(task_id=task_id).values("token", "expires_at").first()
        if lease is not None:
            if lease["expires_at"] >= now:
                return False
            won, _ = Lease.objects.filter(
                task_id=task_id, token=lease["token"], expires_at__lt=now
            ).delete()
            if not won:
                return False
        return bool(
            DBTaskResult.objects.filter(id=task_id, status=TaskResultStatus.RUNNING).update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
                traceback="Its worker stopped; the work was queued again.",
            )
        )
