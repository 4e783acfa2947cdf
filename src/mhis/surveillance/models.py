"""Weekly reports from sites (every submission kept, the latest one counting), and alerts
with the history of their states."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .conditions import CONDITIONS

CONDITION_CHOICES = [(c.code, c.name) for c in CONDITIONS]


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    UNKNOWN = "unknown", _("Unknown")


class AgeGroup(models.TextChoices):
    UNDER_5 = "0-4", _("Under 5")
    FROM_5 = "5-14", _("5 to 14")
    FROM_15 = "15-49", _("15 to 49")
    FROM_50 = "50+", _("50 and over")
    UNKNOWN = "unknown", _("Unknown")


class ReportSource(models.TextChoices):
    FORM = "form", _("Form")
    API = "api", _("API")
    IMPORT = "import", _("Import")


class WeeklyReport(models.Model):
    """One submission of a site's report for an ISO week. A later submission for the same
    site and week is a correction: it becomes the current version, the earlier ones stay."""

    site = models.ForeignKey(
        "places.Place", verbose_name=_("site"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("ISO year"))
    week = models.PositiveSmallIntegerField(_("ISO week"))
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    current = models.BooleanField(_("current"), default=True)
    source = models.CharField(_("source"), max_length=8, choices=ReportSource.choices)
    on_time = models.BooleanField(_("on time"))
    note = models.TextField(_("note"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("weekly report")
        verbose_name_plural = _("weekly reports")
        ordering = ["-year", "-week", "site", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "year", "week", "version"], name="weeklyreport_unique_version"
            ),
            models.UniqueConstraint(
                fields=["site", "year", "week"],
                condition=models.Q(current=True),
                name="weeklyreport_one_current",
            ),
            models.CheckConstraint(
                condition=models.Q(week__gte=1, week__lte=53), name="weeklyreport_week_range"
            ),
        ]
        indexes = [models.Index(fields=["year", "week", "current"], name="weeklyreport_week")]

    def __str__(self) -> str:
        return f"{self.site} {self.year}-W{self.week:02d} v{self.version}"


class ReportCount(models.Model):
    report = models.ForeignKey(WeeklyReport, on_delete=models.CASCADE, related_name="counts")
    condition = models.CharField(_("condition"), max_length=32, choices=CONDITION_CHOICES)
    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices, default=Sex.UNKNOWN)
    age_group = models.CharField(
        _("age group"), max_length=8, choices=AgeGroup.choices, default=AgeGroup.UNKNOWN
    )
    count = models.PositiveIntegerField(_("cases"))

    class Meta:
        verbose_name = _("reported count")
        verbose_name_plural = _("reported counts")
        constraints = [
            models.UniqueConstraint(
                fields=["report", "condition", "sex", "age_group"], name="reportcount_unique_cell"
            )
        ]

    def __str__(self) -> str:
        return f"{self.condition} {self.sex} {self.age_group}: {self.count}"


class AlertState(models.TextChoices):
    NEW = "new", _("New")
    VERIFYING = "verifying", _("Under verification")
    CONFIRMED = "confirmed", _("Confirmed")
    DISCARDED = "discarded", _("Discarded")
    RESPONDED = "responded", _("Responded")
    CLOSED = "closed", _("Closed")


# Where an alert may go from each state.
TRANSITIONS = {
    AlertState.NEW: (AlertState.VERIFYING, AlertState.DISCARDED),
    AlertState.VERIFYING: (AlertState.CONFIRMED, AlertState.DISCARDED),
    AlertState.CONFIRMED: (AlertState.RESPONDED, AlertState.CLOSED),
    AlertState.RESPONDED: (AlertState.CLOSED,),
    AlertState.DISCARDED: (AlertState.CLOSED,),
    AlertState.CLOSED: (),
}
OPEN_STATES = (AlertState.NEW, AlertState.VERIFYING, AlertState.CONFIRMED, AlertState.RESPONDED)


class Alert(models.Model):
    """A site's week whose count of a condition passed its threshold."""

    site = models.ForeignKey(
        "places.Place", verbose_name=_("site"), on_delete=models.PROTECT, related_name="+"
    )
    condition = models.CharField(_("condition"), max_length=32, choices=CONDITION_CHOICES)
    year = models.PositiveSmallIntegerField(_("ISO year"))
    week = models.PositiveSmallIntegerField(_("ISO week"))
    method = models.CharField(_("method"), max_length=16)
    observed = models.PositiveIntegerField(_("cases"))
    expected = models.FloatField(_("expected"), null=True, blank=True)
    threshold = models.FloatField(_("threshold"))
    state = models.CharField(
        _("state"), max_length=12, choices=AlertState.choices, default=AlertState.NEW
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Who verifies it, by when; when it was escalated for being late (docs/decisions/0030).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    due_at = models.DateTimeField(_("verify by"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-year", "-week", "condition", "site"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "condition", "year", "week"], name="alert_unique_site_week"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_condition_display()} {self.site} {self.year}-W{self.week:02d}"


class AlertEvent(models.Model):
    """One change of an alert's state: who, when, and why."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(max_length=12, choices=AlertState.choices, blank=True)
    to_state = models.CharField(max_length=12, choices=AlertState.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_state or '·'} → {self.to_state}"


class SitePopulation(models.Model):
    """How many people a site serves from a date on (a camp's headcount, a district's
    migrant population), until the next record. Detection then expects cases in proportion."""

    site = models.ForeignKey(
        "places.Place", verbose_name=_("site"), on_delete=models.PROTECT, related_name="+"
    )
    since = models.DateField(_("since"))
    population = models.PositiveIntegerField(_("population"))
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("site population")
        verbose_name_plural = _("site populations")
        ordering = ["site", "since"]
        constraints = [
            models.UniqueConstraint(fields=["site", "since"], name="sitepopulation_unique_since"),
            models.CheckConstraint(
                condition=models.Q(population__gt=0), name="sitepopulation_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.site} {self.since}: {self.population}"
