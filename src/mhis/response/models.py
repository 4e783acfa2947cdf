"""Rapid risk assessments, response actions and the 7-1-7 dates of an outbreak (ADR 0031).

Every text here is about an event and a population (aggregate), never about a person."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Likelihood(models.TextChoices):
    """WHO, Rapid Risk Assessment of Acute Public Health Events (2012), the five levels."""

    ALMOST_CERTAIN = "almost_certain", _("Almost certain")
    HIGHLY_LIKELY = "highly_likely", _("Highly likely")
    LIKELY = "likely", _("Likely")
    UNLIKELY = "unlikely", _("Unlikely")
    VERY_UNLIKELY = "very_unlikely", _("Very unlikely")


class Consequence(models.TextChoices):
    MINIMAL = "minimal", _("Minimal")
    MINOR = "minor", _("Minor")
    MODERATE = "moderate", _("Moderate")
    MAJOR = "major", _("Major")
    SEVERE = "severe", _("Severe")


class RiskLevel(models.TextChoices):
    LOW = "low", _("Low risk")
    MODERATE = "moderate", _("Moderate risk")
    HIGH = "high", _("High risk")
    VERY_HIGH = "very_high", _("Very high risk")


class Confidence(models.TextChoices):
    LOW = "low", _("Low")
    MODERATE = "moderate", _("Moderate")
    HIGH = "high", _("High")


class RiskAssessment(models.Model):
    """One rapid risk assessment of an outbreak, a verified alert or a verified signal. Never
    changed: a re-assessment is a new row, and the newest stands."""

    outbreak = models.ForeignKey(
        "surveillance.Outbreak", null=True, blank=True, on_delete=models.CASCADE,
        related_name="assessments",
    )  # fmt: skip
    alert = models.ForeignKey(
        "surveillance.Alert", null=True, blank=True, on_delete=models.CASCADE,
        related_name="assessments",
    )  # fmt: skip
    signal = models.ForeignKey(
        "surveillance.Signal", null=True, blank=True, on_delete=models.CASCADE,
        related_name="assessments",
    )  # fmt: skip
    hazard = models.TextField(_("hazard assessment"))
    exposure = models.TextField(_("exposure assessment"))
    context = models.TextField(_("context assessment"))
    likelihood = models.CharField(_("likelihood"), max_length=16, choices=Likelihood.choices)
    consequence = models.CharField(_("consequences"), max_length=16, choices=Consequence.choices)
    matrix_level = models.CharField(
        _("risk by the matrix"), max_length=12, choices=RiskLevel.choices
    )
    level = models.CharField(_("overall risk"), max_length=12, choices=RiskLevel.choices)
    justification = models.TextField(_("why the overall risk differs"), blank=True)
    confidence = models.CharField(_("confidence"), max_length=12, choices=Confidence.choices)
    actions = models.TextField(_("recommended actions"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("rapid risk assessment")
        verbose_name_plural = _("rapid risk assessments")
        ordering = ["-at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(outbreak__isnull=False, alert__isnull=True, signal__isnull=True)
                    | models.Q(outbreak__isnull=True, alert__isnull=False, signal__isnull=True)
                    | models.Q(outbreak__isnull=True, alert__isnull=True, signal__isnull=False)
                ),
                name="assessment_of_one_subject",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} {self.at:%Y-%m-%d}"


class ActionState(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class ResponseAction(models.Model):
    """A response action of an outbreak, with its owner and due date."""

    outbreak = models.ForeignKey(
        "surveillance.Outbreak", on_delete=models.CASCADE, related_name="actions"
    )
    assessment = models.ForeignKey(
        RiskAssessment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(_("action"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT,
        related_name="response_actions",
    )  # fmt: skip
    due_on = models.DateField(_("due"))
    early = models.BooleanField(_("early response action"), default=False)
    state = models.CharField(
        _("state"), max_length=12, choices=ActionState.choices, default=ActionState.OPEN
    )
    done_on = models.DateField(_("done on"), null=True, blank=True)
    reason = models.TextField(_("why cancelled"), blank=True)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("response action")
        verbose_name_plural = _("response actions")
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return self.title


class Bottleneck(models.TextChoices):
    """The 7-1-7 framework's bottleneck categories (Resolve to Save Lives)."""

    WORKFORCE = "workforce", _("Workforce")
    LABORATORY = "laboratory", _("Laboratory confirmation")
    REPORTING = "reporting", _("Reporting and information systems")
    CLINICIAN = "clinician", _("Health-worker awareness or suspicion")
    COMMUNITY = "community", _("Community awareness or care seeking")
    COORDINATION = "coordination", _("Coordination")
    RESOURCES = "resources", _("Resources and supplies")
    OTHER = "other", _("Other")


class Timeliness(models.Model):
    """The 7-1-7 dates of an outbreak, and the bottleneck of each missed target."""

    outbreak = models.OneToOneField(
        "surveillance.Outbreak", on_delete=models.CASCADE, related_name="timeliness"
    )
    emerged_on = models.DateField(_("emergence"), null=True, blank=True)
    detected_on = models.DateField(_("detection"), null=True, blank=True)
    notified_on = models.DateField(_("notification"), null=True, blank=True)
    responded_on = models.DateField(_("early response completed"), null=True, blank=True)
    responded_note = models.TextField(_("note on the early response"), blank=True)
    detect_bottleneck = models.CharField(max_length=16, choices=Bottleneck.choices, blank=True)
    detect_note = models.TextField(blank=True)
    notify_bottleneck = models.CharField(max_length=16, choices=Bottleneck.choices, blank=True)
    notify_note = models.TextField(blank=True)
    respond_bottleneck = models.CharField(max_length=16, choices=Bottleneck.choices, blank=True)
    respond_note = models.TextField(blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("7-1-7 dates")
        verbose_name_plural = _("7-1-7 dates")

    def __str__(self) -> str:
        return f"7-1-7 {self.outbreak_id}"
