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


# Event-based surveillance (ADR 0029): signals reported by anyone in care, triaged and
# verified by surveillance officers, and outbreaks grouping alerts and signals.


class SignalSource(models.TextChoices):
    COMMUNITY = "community", _("Community volunteer")
    MEDIA = "media", _("Media")
    HEALTH_WORKER = "health_worker", _("Health worker")
    HOTLINE = "hotline", _("Hotline")
    OTHER = "other", _("Other")


class SignalState(models.TextChoices):
    NEW = "new", _("New")
    TRIAGED = "triaged", _("Triaged")
    VERIFIED = "verified", _("Verified")
    DISCARDED = "discarded", _("Discarded")
    EVENT = "event", _("Turned into an event")


# Where a signal may go from each state by hand; "event" is reached by linking it to an
# outbreak.
SIGNAL_TRANSITIONS = {
    SignalState.NEW: (SignalState.TRIAGED, SignalState.DISCARDED),
    SignalState.TRIAGED: (SignalState.VERIFIED, SignalState.DISCARDED),
    SignalState.VERIFIED: (SignalState.DISCARDED,),
    SignalState.DISCARDED: (),
    SignalState.EVENT: (),
}


class Signal(models.Model):
    """Something heard or seen that may be an outbreak: a rumour, a media report, a cluster
    a volunteer noticed. Free text and a place; never a person."""

    text = models.TextField(_("what was seen or heard"))
    source = models.CharField(_("source"), max_length=16, choices=SignalSource.choices)
    place = models.ForeignKey(
        "places.Place", verbose_name=_("place"), on_delete=models.PROTECT, related_name="+"
    )
    date = models.DateField(_("date"))
    condition = models.CharField(
        _("condition"), max_length=32, choices=CONDITION_CHOICES, blank=True
    )
    state = models.CharField(
        _("state"), max_length=12, choices=SignalState.choices, default=SignalState.NEW
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("signal")
        verbose_name_plural = _("signals")
        ordering = ["-date", "-pk"]

    def __str__(self) -> str:
        return f"{self.place} {self.date}"


class SignalEvent(models.Model):
    signal = models.ForeignKey(Signal, on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(max_length=12, choices=SignalState.choices, blank=True)
    to_state = models.CharField(max_length=12, choices=SignalState.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.at} {self.to_state}"


class OutbreakState(models.TextChoices):
    SUSPECTED = "suspected", _("Suspected")
    DECLARED = "declared", _("Declared")
    OVER = "over", _("Over")


OUTBREAK_TRANSITIONS = {
    OutbreakState.SUSPECTED: (OutbreakState.DECLARED, OutbreakState.OVER),
    OutbreakState.DECLARED: (OutbreakState.OVER,),
    OutbreakState.OVER: (),
}


class Outbreak(models.Model):
    """Alerts and signals about one condition in one area, with the state of the response."""

    condition = models.CharField(_("condition"), max_length=32, choices=CONDITION_CHOICES)
    area = models.ForeignKey(
        "places.Place", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(
        _("state"), max_length=12, choices=OutbreakState.choices, default=OutbreakState.SUSPECTED
    )
    alerts = models.ManyToManyField(Alert, blank=True, related_name="outbreaks")
    signals = models.ManyToManyField(Signal, blank=True, related_name="outbreaks")
    declared_on = models.DateField(_("declared on"), null=True, blank=True)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    over_on = models.DateField(_("over on"), null=True, blank=True)
    over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("outbreak")
        verbose_name_plural = _("outbreaks")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_condition_display()} {self.area}"


class OutbreakEvent(models.Model):
    """The outbreak's history: its state changes and the links added or removed."""

    outbreak = models.ForeignKey(Outbreak, on_delete=models.CASCADE, related_name="events")
    what = models.CharField(max_length=200)
    to_state = models.CharField(max_length=12, choices=OutbreakState.choices, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.at} {self.what}"


class ReportReminder(models.Model):
    """A reminder sent to a site's reporters that its weekly report has not come: one per
    site and week, so that pressing the button twice, or the weekly schedule after it, sends
    nothing twice (docs/decisions/0033)."""

    site = models.ForeignKey(
        "places.Place", verbose_name=_("site"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("ISO year"))
    week = models.PositiveSmallIntegerField(_("ISO week"))
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    # Who pressed the button; none when the worker's schedule sent it.
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recipients = models.PositiveIntegerField(_("recipients"), default=0)

    class Meta:
        verbose_name = _("report reminder")
        verbose_name_plural = _("report reminders")
        ordering = ["-year", "-week", "site"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "year", "week"], name="reportreminder_once_per_site_week"
            )
        ]

    def __str__(self) -> str:
        return f"{self.site} {self.year}-W{self.week:02d}"
