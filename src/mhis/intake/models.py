"""Imports of files from the field: the jobs, the outcome of every row, the saved column
mappings, and which record each source row became (so a row is never imported twice).

A source's name is not shared between organisations: mappings, jobs and source records belong
to the places of whoever imported them (`owner`, see `mhis.intake.services.namespace` and
docs/decisions/0012-import-namespaces.md)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .kinds import KINDS


class Mapping(models.Model):
    """How a source's columns map onto MHIS fields, saved for the next file."""

    owner = models.CharField(max_length=100, blank=True)  # the importer's places
    source = models.CharField(_("source"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20)
    columns = models.JSONField(_("columns"), default=dict)  # MHIS field -> the file's column

    class Meta:
        verbose_name = _("column mapping")
        verbose_name_plural = _("column mappings")
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "source", "kind"], name="mapping_once_per_owner"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source} ({self.kind})"


class Job(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    owner = models.CharField(max_length=100, blank=True)  # the places its rows are written for
    source = models.CharField(_("source"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20)
    file_name = models.CharField(_("file"), max_length=255)
    digest = models.CharField(max_length=64, db_index=True)  # SHA-256 of the file
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.RUNNING)
    total = models.PositiveIntegerField(default=0)
    done_rows = models.PositiveIntegerField(default=0)  # rows committed, in file order
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    error = models.TextField(blank=True)
    # The file's columns that no field was read from, told in the report.
    unread_columns = models.JSONField(default=list, blank=True)
    # Its rows carry migration status (episodes; people with an episode column): only the
    # person who started it and roles shown status read them (`services.rows_shown`).
    holds_status = models.BooleanField(default=False)
    # The task (mhis.work) importing it: whether it is queued, running or stopped is read from
    # the queue. Not a foreign key: backups do not keep the queue.
    task_id = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.kind}, {self.status})"

    def fail(self, exc: BaseException) -> None:
        """End the job "failed" by `exc`, unless it has ended meanwhile: whatever stops an
        import (the command's, or a worker's), its page says so and why, never "running" for
        ever. The reason shown is the application's own message (a file refused names the
        line, row or column); of anything else only that it happened, since its text can hold
        paths on this server (the log has it)."""
        if isinstance(exc, ValidationError):
            reason = " ".join(exc.messages)
        else:
            reason = gettext(
                "The import stopped on an unexpected error; the server's log has the details."
            )
        self.status, self.error, self.finished_at = (
            self.Status.FAILED,
            reason[:2000],
            timezone.now(),
        )
        Job.objects.filter(pk=self.pk, status=self.Status.RUNNING).update(
            status=self.status, error=self.error, finished_at=self.finished_at
        )

    @property
    def kind_label(self) -> str:
        return str(KINDS[self.kind].label) if self.kind in KINDS else self.kind


class RowResult(models.Model):
    class Outcome(models.TextChoices):
        CREATED = "created", _("Accepted: new record")
        UPDATED = "updated", _("Accepted: record updated")
        UNCHANGED = "unchanged", _("Already imported, unchanged")
        LINKED = "linked", _("Linked to an existing person")
        DUPLICATE = "duplicate", _("Accepted: possible duplicate for review")
        REJECTED = "rejected", _("Rejected")

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="rows")
    row = models.PositiveIntegerField()  # 1 is the first row after the header
    source_key = models.CharField(max_length=200, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    field = models.CharField(max_length=100, blank=True)  # the file's column, when rejected
    reason = models.TextField(blank=True)
    person = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # People already registered whom the row's new person likely is (the linkage model's
    # scoring): [{"person": id, "probability": 0.93}, …], strongest first.
    likely = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["job", "row", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["job", "row", "field"], name="rowresult_once")
        ]

    def __str__(self) -> str:
        return f"row {self.row}: {self.outcome}"


class SourceRecord(models.Model):
    """The record a source's row became: the key of the upsert, within the places of whoever
    imported it (`owner`; blank for records imported before owners were kept)."""

    owner = models.CharField(max_length=100, blank=True)
    source = models.CharField(max_length=100)
    kind = models.CharField(max_length=20)
    key = models.CharField(max_length=200)
    row_hash = models.CharField(max_length=64)
    # The person the row is about (people, and records about a person) …
    person = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # … and the record it became, of the kind's model (none for people).
    record_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "source", "kind", "key"], name="sourcerecord_once_per_owner"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.key}"
