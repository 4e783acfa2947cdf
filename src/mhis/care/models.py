"""Care records: encounters with diagnoses, referrals with their steps, and the history of changes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .codes import EncounterKind, Payer, ReferralKind, ReferralStatus, Urgency


class CareRecord(models.Model):
    person = models.ForeignKey("registry.Person", on_delete=models.CASCADE, related_name="+")
    site = models.ForeignKey(
        "places.Place", verbose_name=_("site"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Encounter(CareRecord):
    kind = models.CharField(_("kind"), max_length=16, choices=EncounterKind.choices)
    date = models.DateField(_("date"))
    reason = models.TextField(_("reason"), blank=True)
    treatments = models.TextField(_("treatments"), blank=True)
    cost = models.DecimalField(_("cost"), max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency (ISO 4217)"), max_length=3, blank=True)
    paid_by = models.CharField(
        _("paid by"), max_length=12, choices=Payer.choices, default=Payer.UNKNOWN
    )

    class Meta:
        verbose_name = _("encounter")
        verbose_name_plural = _("encounters")
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["person", "date"], name="encounter_person_date")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(cost__isnull=True) | models.Q(cost__gte=0),
                name="encounter_cost_not_negative",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date}"


class Diagnosis(models.Model):
    encounter = models.ForeignKey(Encounter, on_delete=models.CASCADE, related_name="diagnoses")
    code = models.CharField(_("ICD-10 code"), max_length=8)
    primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        verbose_name = _("diagnosis")
        verbose_name_plural = _("diagnoses")
        ordering = ["-primary", "pk"]

    def __str__(self) -> str:
        return self.code


class Referral(CareRecord):
    """A referral from `site` to another site of the tree or to a facility in another country."""

    kind = models.CharField(_("kind"), max_length=16, choices=ReferralKind.choices)
    reason = models.TextField(_("reason"))
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.ROUTINE
    )
    to_site = models.ForeignKey(
        "places.Place",
        verbose_name=_("to site"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_facility = models.CharField(_("to facility outside MHIS"), max_length=200, blank=True)
    to_country = models.CharField(_("to country"), max_length=2)
    status = models.CharField(
        _("status"), max_length=10, choices=ReferralStatus.choices, default=ReferralStatus.SENT
    )
    sent_on = models.DateField(_("sent on"))
    due_on = models.DateField(_("expected by"))
    received_on = models.DateField(_("received on"), null=True, blank=True)
    attended_on = models.DateField(_("attended on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    outcome = models.TextField(_("outcome"), blank=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-sent_on", "-pk"]
        indexes = [
            # care.services.overdue_referrals: open referrals by due date.
            models.Index(fields=["status", "due_on"], name="referral_status_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(to_site__isnull=True, to_facility=""),
                name="referral_has_destination",
            ),
            models.CheckConstraint(
                condition=models.Q(due_on__gte=models.F("sent_on")), name="referral_due_after_sent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.to_site or self.to_facility}"


class ReferralStep(models.Model):
    """One move of a referral to a new status: who, when, on which day, with what note."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="steps")
    status = models.CharField(_("status"), max_length=10, choices=ReferralStatus.choices)
    on = models.DateField(_("on"))
    note = models.TextField(_("note"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["on", "pk"]

    def __str__(self) -> str:
        return f"{self.status} {self.on}"


class RecordChange(models.Model):
    """The history of a care record: who changed what, when, from which value to which."""

    class Action(models.TextChoices):
        CREATED = "created", _("Created")
        UPDATED = "updated", _("Updated")

    person = models.ForeignKey("registry.Person", on_delete=models.CASCADE, related_name="+")
    record_type = models.CharField(max_length=32)
    record_id = models.BigIntegerField()
    action = models.CharField(max_length=8, choices=Action.choices)
    changes = models.JSONField(default=dict)  # field → [old, new]
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["record_type", "record_id"], name="recordchange_record")]

    def __str__(self) -> str:
        return f"{self.record_type}#{self.record_id} {self.action}"
