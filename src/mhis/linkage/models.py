"""Linkage runs and what they found: scored candidate pairs and clusters of records."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class LinkRun(models.Model):
    """One run of the matcher over the registry (or its new records against the rest)."""

    class Scope(models.TextChoices):
        ALL = "all", _("whole registry")
        NEW = "new", _("new records against the registry")

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    scope = models.CharField(max_length=8, choices=Scope.choices, default=Scope.ALL)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    threshold = models.FloatField()  # pairs scored at least this are kept (to review)
    cluster_threshold = models.FloatField()  # ... at least this are linked, in groups
    records = models.PositiveIntegerField(default=0)
    pairs = models.PositiveIntegerField(default=0)
    clusters = models.PositiveIntegerField(default=0)  # clusters of more than one record
    new_pairs = models.PositiveIntegerField(default=0)  # pairs never scored before
    merged = models.PositiveIntegerField(default=0)  # records merged without review
    model = models.JSONField(default=dict, blank=True)  # the trained parameters
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"link run {self.pk} ({self.status})"

    @property
    def queued(self) -> int:
        """Pairs waiting for review now, from every run."""
        return CandidatePair.objects.filter(waiting()).count()


class CandidatePair(models.Model):
    """Two records the matcher scored, with the weight of each comparison.

    One row per pair of records, whatever the number of runs: a decision belongs to the pair,
    so a later run updates the score and never asks again what a person decided."""

    run = models.ForeignKey(  # the latest run that scored the pair
        LinkRun, on_delete=models.CASCADE, related_name="candidate_pairs"
    )
    found_at = models.DateTimeField(auto_now_add=True)  # first scored
    script = models.CharField(max_length=4, blank=True)  # of the names, for the queue's filter
    left = models.ForeignKey("registry.Person", on_delete=models.CASCADE, related_name="+")
    right = models.ForeignKey("registry.Person", on_delete=models.CASCADE, related_name="+")
    probability = models.FloatField()
    weight = models.FloatField()
    evidence = models.JSONField(default=dict)  # comparison -> match weight in bits
    cluster = models.CharField(max_length=64, blank=True)  # both records' cluster, if the same

    class Status(models.TextChoices):
        REVIEW = "review", _("to review")
        AUTO = "auto", _("linked automatically")
        SAME = "same", _("same person")
        DIFFERENT = "different", _("different people")

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REVIEW)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["left", "right"], name="candidatepair_records")
        ]
        indexes = [models.Index(fields=["status", "-probability"], name="candidatepair_queue")]

    def __str__(self) -> str:
        return f"{self.left_id}~{self.right_id} {self.probability:.3f}"


def waiting() -> models.Q:
    """Pairs waiting for a decision: to review, neither record merged since."""
    return models.Q(
        status=CandidatePair.Status.REVIEW,
        left__merged_into__isnull=True,
        right__merged_into__isnull=True,
    )


class Merge(models.Model):
    """One record merged into another, with exactly what moved, so it can be undone."""

    survivor = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    merged = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    pair = models.ForeignKey(
        CandidatePair, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    run = models.ForeignKey(  # the run that linked the records without review
        LinkRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="merges"
    )
    moved = models.JSONField(default=dict)  # "app.Model" -> primary keys moved to the survivor
    added_sites = models.JSONField(default=list)  # PersonSite rows created for the survivor
    # What the survivor holds twice against its rules since the merge (merges.conflict_messages)
    conflicts = models.JSONField(default=list, blank=True)
    note = models.TextField(blank=True)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_at = models.DateTimeField(auto_now_add=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-merged_at"]

    def __str__(self) -> str:
        return f"{self.merged_id} -> {self.survivor_id}"
