"""Outreach: the community health workers and volunteers, the migrant health corners, the
health promotion sessions they hold, the people they meet one by one, and their trainings.

A session is counted, not listed: it holds group sizes by sex, never the names of those who
came. An individual contact may name a registered person; most do not.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mhis.registry.codes import Sex

from .codes import AgeGroup, CornerKind, Topic, WorkerKind


class Worker(models.Model):
    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=WorkerKind.choices)
    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices, default=Sex.UNKNOWN)
    site = models.ForeignKey(
        "places.Place", on_delete=models.PROTECT, related_name="+", verbose_name=_("site")
    )
    languages = models.JSONField(_("languages"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)
    since = models.DateField(_("working since"), null=True, blank=True)

    class Meta:
        verbose_name = _("community worker")
        verbose_name_plural = _("community workers")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class HealthCorner(models.Model):
    """A migrant health corner: a fixed point where a worker or volunteer gives information,
    first aid and referrals, at a workplace, in a community or at a facility."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=CornerKind.choices)
    site = models.ForeignKey(
        "places.Place", on_delete=models.PROTECT, related_name="+", verbose_name=_("site")
    )
    opened_on = models.DateField(_("opened on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)

    class Meta:
        verbose_name = _("migrant health corner")
        verbose_name_plural = _("migrant health corners")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Session(models.Model):
    """A health promotion session: a topic, the language of the material, and how many
    came, by sex."""

    site = models.ForeignKey(
        "places.Place", on_delete=models.PROTECT, related_name="+", verbose_name=_("site")
    )
    corner = models.ForeignKey(
        HealthCorner,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sessions",
        verbose_name=_("health corner"),
    )
    worker = models.ForeignKey(
        Worker,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sessions",
        verbose_name=_("held by"),
    )
    date = models.DateField(_("date"))
    topic = models.CharField(_("topic"), max_length=16, choices=Topic.choices)
    language = models.CharField(_("language of the material"), max_length=3, blank=True)
    females = models.PositiveIntegerField(_("women and girls"), default=0)
    males = models.PositiveIntegerField(_("men and boys"), default=0)
    others = models.PositiveIntegerField(_("other or not recorded"), default=0)
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("health promotion session")
        verbose_name_plural = _("health promotion sessions")
        ordering = ["-date", "-pk"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_topic_display()} ({self.attendance})"

    @property
    def attendance(self) -> int:
        return self.females + self.males + self.others


class Contact(models.Model):
    """One person met by a worker: advice given, and whether they were referred."""

    site = models.ForeignKey(
        "places.Place", on_delete=models.PROTECT, related_name="+", verbose_name=_("site")
    )
    worker = models.ForeignKey(
        Worker,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contacts",
        verbose_name=_("worker"),
    )
    corner = models.ForeignKey(
        HealthCorner,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contacts",
        verbose_name=_("health corner"),
    )
    person = models.ForeignKey(
        "registry.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("person"),
    )
    date = models.DateField(_("date"))
    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices, default=Sex.UNKNOWN)
    age_group = models.CharField(
        _("age group"), max_length=6, choices=AgeGroup.choices, default=AgeGroup.UNK
    )
    topic = models.CharField(_("topic"), max_length=16, choices=Topic.choices)
    referred = models.BooleanField(_("referred"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("outreach contact")
        verbose_name_plural = _("outreach contacts")
        ordering = ["-date", "-pk"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_topic_display()}"


class Training(models.Model):
    """A course a worker or volunteer completed."""

    worker = models.ForeignKey(
        Worker, on_delete=models.CASCADE, related_name="trainings", verbose_name=_("worker")
    )
    course = models.CharField(_("course"), max_length=200)
    topic = models.CharField(_("topic"), max_length=16, choices=Topic.choices, default=Topic.OTHER)
    date = models.DateField(_("completed on"))
    provider = models.CharField(_("given by"), max_length=200, blank=True)
    hours = models.PositiveSmallIntegerField(_("hours"), null=True, blank=True)

    class Meta:
        verbose_name = _("training")
        verbose_name_plural = _("trainings")
        ordering = ["-date", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["worker", "course", "date"], name="training_once")
        ]

    def __str__(self) -> str:
        return f"{self.worker.code}: {self.course} ({self.date})"
