"""Computed indicator results, kept per period until a record of that period changes."""

from __future__ import annotations

from django.db import models


class CachedResult(models.Model):
    """The raw cells of one indicator for one period, place and set of disaggregations.

    Cells are stored before suppression (suppression is applied on the way out, so a rule
    change needs no recomputation). ``sources`` lists the sources read (",assessment,") so a
    change to a record removes exactly the periods it falls in.
    """

    indicator = models.CharField(max_length=40)
    definition = models.CharField(max_length=16)  # hash of the definition it was computed with
    period = models.CharField(max_length=10)
    place = models.CharField(max_length=255)
    by = models.CharField(max_length=200, blank=True)
    sources = models.CharField(max_length=200)
    cells = models.JSONField(default=list)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "definition", "period", "place", "by"],
                name="cachedresult_unique",
            )
        ]
        indexes = [models.Index(fields=["period"], name="cachedresult_period")]

    def __str__(self) -> str:
        return f"{self.indicator} {self.period} {self.place} [{self.by}]"


class ExportMapping(models.Model):
    """A DHIS2 and ADX mapping saved on the mapping page; the latest is the one in force.

    Earlier ones are kept, so a change can be seen and undone. No credentials here: the DHIS2
    server and its account come from the environment (MHIS_DHIS2_*)."""

    text = models.TextField()
    saved_by = models.ForeignKey(
        "access.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    saved_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"mapping of {self.saved_at:%Y-%m-%d %H:%M}"
