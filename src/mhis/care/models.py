"""Care records: encounters with diagnoses, referrals with their steps, and the history of changes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models.expressions import Combinable
from django.utils.translation import gettext_lazy as _

from .codes import (
    AssessmentType,
    CultureResult,
    DstResult,
    EncounterKind,
    FitToTravel,
    Payer,
    ReferralKind,
    ReferralStatus,
    SmearResult,
    TbTreatment,
    TestResult,
    Urgency,
    XpertResult,
    XrayResult,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


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
    # What brought the person, coded in ICD-10 (a symptom, R00–R99, or a condition).
    chief_complaint = models.CharField(_("chief complaint (ICD-10)"), max_length=8, blank=True)
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


def _result(
    label: StrOrPromise, choices: Sequence[tuple[str, StrOrPromise]] = TestResult.choices
) -> models.CharField[str | int | Combinable, str]:
    return models.CharField(label, max_length=20, choices=choices, blank=True)


class Assessment(CareRecord):
    """A migration health assessment and its TB screening workflow."""

    type = models.CharField(_("type"), max_length=16, choices=AssessmentType.choices)
    date = models.DateField(_("examination date"))
    programme = models.CharField(_("destination programme"), max_length=8, default="GEN")
    destination_country = models.CharField(_("destination country"), max_length=2, blank=True)
    history = models.TextField(_("history"), blank=True)
    examination = models.TextField(_("examination"), blank=True)
    tb_symptoms = models.BooleanField(_("TB symptoms"), null=True, blank=True)
    xray_result = _result(_("chest X-ray"), XrayResult.choices)
    xray_date = models.DateField(_("chest X-ray date"), null=True, blank=True)
    xpert_result = _result(_("Xpert MTB/RIF"), XpertResult.choices)
    xpert_date = models.DateField(_("Xpert date"), null=True, blank=True)
    dst_result = _result(_("drug-susceptibility testing"), DstResult.choices)
    dst_date = models.DateField(_("DST date"), null=True, blank=True)
    igra_result = _result(_("IGRA"))
    tst_mm = models.PositiveSmallIntegerField(_("TST induration (mm)"), null=True, blank=True)
    hiv_result = _result(_("HIV"))
    syphilis_result = _result(_("syphilis"))
    hepatitis_b_result = _result(_("hepatitis B (HBsAg)"))
    malaria_result = _result(_("malaria rapid test"))
    pregnancy_result = _result(_("pregnancy test"))
    rhs15_items = models.JSONField(_("RHS-15 items 1-14"), null=True, blank=True)
    rhs15_thermometer = models.PositiveSmallIntegerField(
        _("RHS-15 distress thermometer"), null=True, blank=True
    )
    counselling = models.TextField(_("counselling"), blank=True)
    tb_contact = models.BooleanField(_("contact of a known TB case"), null=True, blank=True)
    extrapulmonary_tb = models.BooleanField(_("signs of extrapulmonary TB"), null=True, blank=True)
    tb_treatment = models.CharField(
        _("TB treatment"), max_length=12, choices=TbTreatment.choices, blank=True
    )
    tb_classification = models.CharField(_("TB classification"), max_length=12, blank=True)
    fit_to_travel = models.CharField(
        _("fit to travel"), max_length=20, choices=FitToTravel.choices, blank=True
    )
    fit_reason = models.TextField(_("reason"), blank=True)
    # Why the clinician kept a TB classification or fit-to-travel decision that contradicts
    # the programme's decision table (care.tb); blank when nothing is overridden.
    tb_override_reason = models.TextField(_("reason for overriding the TB rules"), blank=True)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)

    class Meta:
        verbose_name = _("health assessment")
        verbose_name_plural = _("health assessments")
        ordering = ["-date", "-pk"]
        indexes = [
            # care.services.pending_assessments: open assessments by site.
            models.Index(fields=["site", "completed_on"], name="assessment_site_open"),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.date}"


class SputumSpecimen(models.Model):
    """Sputum specimen 1, 2 or 3 of an assessment: smear and culture, each with its dates."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="specimens")
    number = models.PositiveSmallIntegerField(_("specimen"))
    collected_on = models.DateField(_("collected on"), null=True, blank=True)
    smear_result = _result(_("smear"), SmearResult.choices)
    smear_reported_on = models.DateField(_("smear reported on"), null=True, blank=True)
    culture_result = _result(_("culture"), CultureResult.choices)
    culture_reported_on = models.DateField(_("culture reported on"), null=True, blank=True)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "number"], name="specimen_unique_number"),
            models.CheckConstraint(
                condition=models.Q(number__gte=1, number__lte=3), name="specimen_number_1_3"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number}"


class Immunisation(CareRecord):
    vaccine = models.CharField(_("vaccine"), max_length=12)
    dose_number = models.PositiveSmallIntegerField(_("dose number"))
    date = models.DateField(_("date"))
    lot = models.CharField(_("lot"), max_length=40, blank=True)
    assessment = models.ForeignKey(
        Assessment,
        verbose_name=_("given at assessment"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="immunisations",
    )

    class Meta:
        verbose_name = _("immunisation")
        verbose_name_plural = _("immunisations")
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["person", "vaccine"], name="immunisation_person_vaccine")]

    def __str__(self) -> str:
        return f"{self.vaccine} #{self.dose_number} {self.date}"


class LabResult(CareRecord):
    test = models.CharField(_("test"), max_length=120)
    loinc = models.CharField(_("LOINC code"), max_length=10, blank=True)
    value = models.CharField(_("value"), max_length=120)
    unit = models.CharField(_("unit"), max_length=30, blank=True)
    reference_range = models.CharField(_("reference range"), max_length=60, blank=True)
    collected_on = models.DateField(_("collected on"))
    reported_on = models.DateField(_("reported on"), null=True, blank=True)
    assessment = models.ForeignKey(
        Assessment,
        verbose_name=_("part of assessment"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="lab_results",
    )

    class Meta:
        verbose_name = _("lab result")
        verbose_name_plural = _("lab results")
        ordering = ["-collected_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(reported_on__isnull=True)
                | models.Q(reported_on__gte=models.F("collected_on")),
                name="labresult_reported_after_collected",
            )
        ]

    def __str__(self) -> str:
        return f"{self.test} {self.value} {self.unit}"
