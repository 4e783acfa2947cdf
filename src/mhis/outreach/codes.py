"""Codes of the outreach records."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkerKind(models.TextChoices):
    CHW = "chw", _("Community health worker")
    VOLUNTEER = "volunteer", _("Health volunteer")


class CornerKind(models.TextChoices):
    WORKPLACE = "workplace", _("Workplace (factory, farm, port, construction site)")
    COMMUNITY = "community", _("Community (village, settlement, temple, market)")
    FACILITY = "facility", _("Health facility")
    SCHOOL = "school", _("School")
    BORDER = "border", _("Border crossing")


class Topic(models.TextChoices):
    TB = "tb", _("Tuberculosis")
    HIV_STI = "hiv_sti", _("HIV and sexually transmitted infections")
    MALARIA = "malaria", _("Malaria")
    DENGUE = "dengue", _("Dengue")
    VACCINATION = "vaccination", _("Vaccination")
    MATERNAL_CHILD = "maternal_child", _("Maternal and child health")
    REPRODUCTIVE = "reproductive", _("Sexual and reproductive health, family planning")
    NUTRITION = "nutrition", _("Nutrition")
    MENTAL_HEALTH = "mental_health", _("Mental health and psychosocial support")
    OCCUPATIONAL = "occupational", _("Occupational health and safety")
    HYGIENE = "hygiene", _("Hygiene, water and sanitation")
    ACCESS = "access", _("Rights and access to health services, insurance")
    OTHER = "other", _("Other")


class AgeGroup(models.TextChoices):
    """The age bands of the indicator sources, for a contact whose birth date is unknown."""

    Y0T4 = "Y0T4", _("0–4 years")
    Y5T14 = "Y5T14", _("5–14 years")
    Y15T24 = "Y15T24", _("15–24 years")
    Y25T49 = "Y25T49", _("25–49 years")
    Y50T64 = "Y50T64", _("50–64 years")
    Y_GE65 = "Y_GE65", _("65 years and over")
    UNK = "UNK", _("Unknown")
