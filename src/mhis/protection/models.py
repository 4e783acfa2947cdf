"""Social health protection: schemes, people's enrolments with coverage periods, and payments."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mhis.care.codes import Payer
from mhis.crypto import EncryptedTextField


class SchemeType(models.TextChoices):
    NATIONAL = "national", _("National health insurance")
    MIGRANT = "migrant", _("Migrant health insurance")
    COMMUNITY = "community", _("Community scheme")
    PROGRAMME = "programme", _("Programme coverage")


class Scheme(models.Model):
    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    country = models.CharField(_("country"), max_length=2)
    type = models.CharField(_("type"), max_length=12, choices=SchemeType.choices)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("scheme")
        verbose_name_plural = _("schemes")
        ordering = ["country", "name"]

    def __str__(self) -> str:
        return self.name


class Enrolment(models.Model):
    person = models.ForeignKey("registry.Person", on_delete=models.CASCADE, related_name="+")
    scheme = models.ForeignKey(
        Scheme, verbose_name=_("scheme"), on_delete=models.PROTECT, related_name="enrolments"
    )
    site = models.ForeignKey(
        "places.Place", verbose_name=_("enrolled at"), on_delete=models.PROTECT, related_name="+"
    )
    member_number = EncryptedTextField(_("member number"), max_length=60, blank=True)
    start_date = models.DateField(_("coverage starts"))
    end_date = models.DateField(_("coverage ends"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["-start_date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="enrolment_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.scheme} {self.start_date}–{self.end_date or ''}"

    def covers(self, day) -> bool:
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)


class Payment(models.Model):
    """Money paid for an encounter, by whom: out-of-pocket when the payer is the patient."""

    encounter = models.ForeignKey(
        "care.Encounter", on_delete=models.CASCADE, related_name="payments"
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    payer = models.CharField(
        _("payer"), max_length=12, choices=Payer.choices, default=Payer.PATIENT
    )
    paid_on = models.DateField(_("paid on"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["paid_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="payment_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} ({self.payer})"

    @property
    def person(self):
        return self.encounter.person

    @property
    def person_id(self) -> int:
        return self.encounter.person_id
