"""`mhis worker`: claims tasks from the queue and runs them, one at a time, and keeps the
schedule. Run one or more, beside the web server, on any host that reaches the database."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time

from django.db import DatabaseError, close_old_connections

from . import queue, schedule

log = logging.getLogger(__name__)
SCHEDULE_EVERY = 30  # seconds between two looks at the schedule


class Worker:
    def __init__(
        self,
        *,
        worker_id: str = "",
        queues=queue.QUEUES,
        interval: float = 1.0,
        keep_schedule: bool = True,
        until_empty: bool = False,
        max_tasks: int | None = None,
    ):
        self.worker_id = (worker_id or f"{socket.gethostname()}:{os.getpid()}")[:64]
        self.queues, self.interval = tuple(queues), interval
        self.keep_schedule, self.until_empty, self.max_tasks = keep_schedule, until_empty, max_tasks
        self.stopping = threading.Event()
        self.ran = 0

    def _stop(self, signum, frame) -> None:
        if self.stopping.is_set():  # asked twice: stop mid-task; the task is taken over
            raise KeyboardInterrupt
        log.info("worker %s: stopping after the task it runs", self.worker_id)
        self.stopping.set()

    def run(self) -> int:
        """Work until stopped (SIGTERM or SIGINT; asked twice, at once), or until the queue is
        empty with `until_empty`; the number of tasks run."""
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self._stop)
            signal.signal(signal.SIGINT, self._stop)
        next_look = 0.0
        while not self.stopping.is_set():
            try:
                if self.keep_schedule and time.monotonic() >= next_look:
                    for key in schedule.enqueue_due():
                        log.info("worker %s: queued %s", self.worker_id, key)
                    next_look = time.monotonic() + SCHEDULE_EVERY
                claimed = queue.claim(self.worker_id, queues=self.queues)
            except DatabaseError:  # the database restarting, or busy: try again shortly
                log.exception("worker %s: cannot reach the queue", self.worker_id)
                close_old_connections()
                claimed = None
            if claimed is None:
                if self.until_empty:
                    break
                self.stopping.wait(self.interval)
                continue
            log.info("worker %s: running task %s", self.worker_id, claimed.task_id)
            queue.execute(claimed)
            self.ran += 1
            close_old_connections()
            if self.max_tasks and self.ran >= self.max_tasks:
                break
        return self.ran
