"""The queue's own bookkeeping beside the task rows of `django_tasks_db`.

A task row (`DBTaskResult`) says what to run and whether it is ready, running or finished. A
running task is held by a `Lease`: the worker running it renews `expires_at` while it works; a
lease left to expire (the worker was killed, or lost its host) lets one other worker take the
task over. Both are claimed by compare-and-swap updates (`mhis.work.queue`). `Scheduled` keys
the schedule's runs, one per period.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tasks_db.models import DBTaskResult


class Lease(models.Model):
    task = models.OneToOneField(
        DBTaskResult, primary_key=True, on_delete=models.CASCADE, related_name="lease"
    )
    token = models.CharField(max_length=32)  # the holder's; a take-over changes it
    worker = models.CharField(max_length=64)
    heartbeat_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    attempts = models.PositiveIntegerField(default=1)  # workers that have started the task

    class Meta:
        verbose_name = _("lease")
        verbose_name_plural = _("leases")

    def __str__(self) -> str:
        return f"{self.task_id} ({self.worker})"


class Scheduled(models.Model):
    """A run of the schedule, keyed by what it runs and for which period
    (``surveillance-evaluation:2026-W47``): a key is queued once, however many workers ask."""

    key = models.CharField(max_length=100, unique=True)
    task = models.ForeignKey(DBTaskResult, null=True, on_delete=models.SET_NULL, related_name="+")
    queued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("scheduled run")
        verbose_name_plural = _("scheduled runs")

    def __str__(self) -> str:
        return self.key
