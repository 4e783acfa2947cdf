"""The programmes' portfolio: projects with their partners, budgets, results, workplans,
events, coordination bodies, publications, and a compendium of promising practices."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from . import codes
from .text import fold


class Organisation(models.Model):
    """A partner: ministry, agency, donor, NGO, university. `ref` is its IATI organisation
    identifier when it has one."""

    ref = models.CharField(_("IATI organisation identifier"), max_length=100, blank=True)
    name = models.CharField(_("name"), max_length=200, unique=True)
    type = models.CharField(
        _("type"), max_length=3, choices=codes.OrganisationType.choices, blank=True
    )
    country = models.CharField(_("country"), max_length=2, blank=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Project(models.Model):
    code = models.CharField(_("project code"), max_length=50, unique=True)
    # Set when first published and never changed after, so IATI readers can follow it.
    iati_identifier = models.CharField(
        _("IATI identifier"), max_length=150, unique=True, null=True, blank=True
    )
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    language = models.CharField(_("language of the text"), max_length=3, default="en")
    type = models.CharField(_("type"), max_length=12, choices=codes.ProjectType.choices)
    status = models.CharField(
        _("status"), max_length=1, choices=codes.Status.choices, default=codes.Status.IMPLEMENTATION
    )
    planned_start = models.DateField(_("planned start"), null=True, blank=True)
    planned_end = models.DateField(_("planned end"), null=True, blank=True)
    actual_start = models.DateField(_("actual start"), null=True, blank=True)
    actual_end = models.DateField(_("actual end"), null=True, blank=True)
    coverage = models.CharField(
        _("coverage"),
        max_length=10,
        choices=codes.Coverage.choices,
        default=codes.Coverage.NATIONAL,
    )
    region = models.CharField(_("region"), max_length=100, blank=True)
    countries = models.JSONField(_("benefiting countries"), default=list, blank=True)
    gcm_objectives = models.JSONField(_("GCM objectives"), default=list, blank=True)
    themes = models.JSONField(_("themes"), default=list, blank=True)
    default_currency = models.CharField(_("currency"), max_length=3, default="USD")
    # Shares of the budget by country, as the publisher gave them ({"CD": "60"}); empty
    # when none were given.
    country_shares = models.JSONField(_("shares by country"), default=dict, blank=True)
    # IATI recipient regions: [{"code": "998", "vocabulary": "1", "percentage": "40"}].
    regions = models.JSONField(_("benefiting regions (IATI)"), default=list, blank=True)
    # IATI sectors: [{"vocabulary": "1", "code": "12220", "percentage": "100", "name": ""}].
    # Empty for our own projects: their sector follows their type.
    sectors = models.JSONField(_("sectors"), default=list, blank=True)
    # The title and description in the other languages given: {"title": {"fr": "…"}}.
    translations = models.JSONField(_("other languages"), default=dict, blank=True)
    humanitarian = models.BooleanField(_("humanitarian"), null=True, blank=True)
    hierarchy = models.PositiveSmallIntegerField(_("IATI hierarchy level"), null=True, blank=True)
    # Another publisher's activity, read from its IATI file: its reporting organisation. Such
    # a project is a partner's activity, shown beside ours and never published as ours.
    # Empty for our own projects.
    reporting_org_ref = models.CharField(
        _("reporting organisation (partner's activity)"), max_length=100, blank=True
    )
    reporting_org_name = models.CharField(
        _("reporting organisation name"), max_length=200, blank=True
    )
    published_at = models.DateTimeField(_("first published"), null=True, blank=True)
    # When its publisher last updated it, as the IATI file read last said: an older file read
    # after it does not replace it.
    source_updated_at = models.DateTimeField(
        _("last updated by its publisher"), null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def is_partner(self) -> bool:
        """Another publisher's activity, read from its IATI file."""
        return bool(self.reporting_org_ref)

    @property
    def start(self):
        return self.actual_start or self.planned_start

    @property
    def end(self):
        return self.actual_end or self.planned_end


class Participation(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="participations")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("role"), max_length=1, choices=codes.Role.choices)

    class Meta:
        ordering = ["role", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "organisation", "role"], name="participation_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} ({self.get_role_display()})"


class Budget(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="budgets")
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    value_date = models.DateField(_("value date"))
    # IATI BudgetType and BudgetStatus: a revised line replaces the original of its period.
    type = models.CharField(
        _("budget type"), max_length=1, choices=codes.BudgetType.choices, default="1"
    )
    status = models.CharField(
        _("budget status"), max_length=1, choices=codes.BudgetStatus.choices, default="1"
    )

    class Meta:
        ordering = ["period_start", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="budget_not_negative"),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="budget_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} {self.period_start.year}"


class ExchangeRate(models.Model):
    """One unit of `currency` is worth `rate` units of the reporting currency from `on`."""

    currency = models.CharField(_("currency"), max_length=3)
    on = models.DateField(_("from"))
    rate = models.DecimalField(_("rate"), max_digits=20, decimal_places=10)

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["currency", "-on"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "on"], name="exchangerate_once"),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="exchangerate_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.on}: {self.rate}"


class DocumentLink(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("title"), max_length=300)
    url = models.URLField(_("address"), max_length=500)
    category = models.CharField(_("IATI document category"), max_length=3, default="A01")
    language = models.CharField(_("language"), max_length=3, default="en")
    date = models.DateField(_("date"), null=True, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.title


class Result(models.Model):
    """An outcome or output of a project's results framework."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="results")
    type = models.CharField(_("type"), max_length=1, choices=codes.ResultType.choices)
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.title


class ResultIndicator(models.Model):
    """How a result is measured. Linked to an MHIS indicator (`mhis_indicator`, computed
    under `place`), its actuals fill themselves from the records, suppressed like every
    aggregate; otherwise they are typed in."""

    result = models.ForeignKey(Result, on_delete=models.CASCADE, related_name="indicators")
    title = models.CharField(_("title"), max_length=300)
    measure = models.CharField(
        _("measure"), max_length=1, choices=codes.Measure.choices, default=codes.Measure.UNIT
    )
    ascending = models.BooleanField(_("higher is better"), default=True)
    baseline_year = models.PositiveSmallIntegerField(_("baseline year"), null=True, blank=True)
    baseline_value = models.DecimalField(
        _("baseline"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    mhis_indicator = models.CharField(_("MHIS indicator"), max_length=60, blank=True)
    place = models.ForeignKey(
        "places.Place",
        verbose_name=_("computed for"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.title


class ResultPeriod(models.Model):
    indicator = models.ForeignKey(ResultIndicator, on_delete=models.CASCADE, related_name="periods")
    start = models.DateField(_("period start"))
    end = models.DateField(_("period end"))
    target = models.DecimalField(
        _("target"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    actual = models.DecimalField(
        _("actual"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    # A qualitative target or actual, or one given as words rather than a number.
    target_text = models.CharField(_("target (text)"), max_length=500, blank=True)
    actual_text = models.CharField(_("actual (text)"), max_length=500, blank=True)
    # Targets and actuals given by dimension (sex, age…), as the publisher gave them:
    # [{"kind": "target", "value": "40", "dimensions": [["sex", "female"]]}].
    breakdown = models.JSONField(_("by dimension"), default=list, blank=True)

    class Meta:
        ordering = ["start", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="resultperiod_ordered"
            )
        ]

    def __str__(self) -> str:
        return f"{self.start} – {self.end}"


class WorkplanActivity(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="activities")
    title = models.CharField(_("title"), max_length=300)
    owner = models.CharField(_("owner"), max_length=200, blank=True)
    planned_start = models.DateField(_("planned start"))
    planned_end = models.DateField(_("planned end"))
    actual_start = models.DateField(_("actual start"), null=True, blank=True)
    actual_end = models.DateField(_("actual end"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=codes.WorkStatus.choices,
        default=codes.WorkStatus.PLANNED,
    )

    class Meta:
        verbose_name = _("workplan activity")
        verbose_name_plural = _("workplan activities")
        ordering = ["planned_start", "pk"]

    def __str__(self) -> str:
        return self.title


class Event(models.Model):
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=codes.EventKind.choices)
    title = models.CharField(_("title"), max_length=300)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    outcomes = models.TextField(_("outcomes"), blank=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-start", "pk"]

    def __str__(self) -> str:
        return self.title


class Attendance(models.Model):
    """How many came to an event from one country, organisation, sex and role."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="attendance")
    country = models.CharField(_("country"), max_length=2, blank=True)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sex = models.CharField(
        _("sex"), max_length=8, choices=codes.Sex.choices, default=codes.Sex.UNKNOWN
    )
    role = models.CharField(
        _("role"),
        max_length=10,
        choices=codes.ParticipantRole.choices,
        default=codes.ParticipantRole.OTHER,
    )
    count = models.PositiveIntegerField(_("people"))

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.count} {self.role}"


class ActionPlan(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="action_plans")
    country = models.CharField(_("country"), max_length=2, blank=True)
    title = models.CharField(_("title"), max_length=300)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.title


class ActionItem(models.Model):
    plan = models.ForeignKey(ActionPlan, on_delete=models.CASCADE, related_name="items")
    text = models.TextField(_("activity"))
    due = models.DateField(_("due"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=codes.WorkStatus.choices,
        default=codes.WorkStatus.PLANNED,
    )

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.text[:60]


class Body(models.Model):
    """A coordination body: task force, steering committee, interagency board."""

    name = models.CharField(_("name"), max_length=300)
    kind = models.CharField(_("kind"), max_length=14, choices=codes.BodyKind.choices)
    country = models.CharField(_("country"), max_length=2, blank=True)
    projects = models.ManyToManyField(Project, blank=True, related_name="bodies")

    class Meta:
        verbose_name = _("coordination body")
        verbose_name_plural = _("coordination bodies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="members")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("role"), max_length=100, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return str(self.organisation)


class Publication(models.Model):
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.SET_NULL, related_name="publications"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=codes.PublicationKind.choices)
    title = models.CharField(_("title"), max_length=300)
    date = models.DateField(_("date"), null=True, blank=True)
    url = models.URLField(_("address"), max_length=500, blank=True)
    language = models.CharField(_("language"), max_length=3, default="en")
    subscribers = models.PositiveIntegerField(_("subscribers"), default=0)
    reached = models.PositiveIntegerField(_("people reached"), default=0)

    class Meta:
        verbose_name = _("publication")
        verbose_name_plural = _("publications")
        ordering = ["-date", "pk"]

    def __str__(self) -> str:
        return self.title


class Practice(models.Model):
    """A promising practice of the compendium. `folded` holds the text without case or
    accents, for search in whatever language and script it is written in."""

    title = models.CharField(_("title"), max_length=300)
    country = models.CharField(_("country"), max_length=2, blank=True)
    theme = models.CharField(_("theme"), max_length=20, choices=codes.Theme.choices, blank=True)
    gcm_objective = models.PositiveSmallIntegerField(_("GCM objective"), null=True, blank=True)
    description = models.TextField(_("description"))
    evidence = models.TextField(_("evidence"), blank=True)
    contact = models.CharField(_("contact"), max_length=300, blank=True)
    language = models.CharField(_("language"), max_length=3, default="en")
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.SET_NULL, related_name="practices"
    )
    folded = models.TextField(editable=False, default="")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("promising practice")
        verbose_name_plural = _("promising practices")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        self.folded = fold(" ".join([self.title, self.description, self.evidence, self.contact]))
        super().save(*args, **kwargs)
