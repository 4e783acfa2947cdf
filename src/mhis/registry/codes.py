"""Code lists of the registry. Labels are translatable; codes never change once published."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Unknown")


class DatePrecision(models.TextChoices):
    EXACT = "exact", _("Exact date")
    MONTH = "month", _("Month and year")
    YEAR = "year", _("Year only")
    ESTIMATED = "estimated", _("Estimated")


class NameUse(models.TextChoices):
    OFFICIAL = "official", _("Official")
    USUAL = "usual", _("Usual")
    ALIAS = "alias", _("Alias or other spelling")


class IdentifierType(models.TextChoices):
    PASSPORT = "passport", _("Passport")
    NATIONAL_ID = "national_id", _("National ID")
    WORK_PERMIT = "work_permit", _("Work permit")
    REFUGEE_NUMBER = "refugee_number", _("Refugee or asylum number")
    CASE_NUMBER = "case_number", _("Case number")
    CLINIC_NUMBER = "clinic_number", _("Clinic number")


# Identifier types that tell a migration status (a refugee or asylum number, a work permit, a
# case number), and the national ID shown among them: to a role that may not see migration
# status, every one of them is an "identity document", so that the label says nothing.
NEUTRAL_IDENTIFIER_TYPES = frozenset(
    {"national_id", "work_permit", "refugee_number", "case_number"}
)
IDENTITY_DOCUMENT = "identity_document"
IDENTITY_DOCUMENT_LABEL = _("Identity document")


class MigrationStatus(models.TextChoices):
    """IOM Glossary on Migration (2019) categories. Care never depends on them."""

    REG_LAB = "REG_LAB", _("Regular labour migrant")
    REG_OTH = "REG_OTH", _("Other regular migrant")
    IRR = "IRR", _("Irregular migrant")
    ASY = "ASY", _("Asylum seeker")
    REF = "REF", _("Refugee")
    IDP = "IDP", _("Internally displaced person")
    RET_INT = "RET_INT", _("Returnee from abroad")
    RET_IDP = "RET_IDP", _("Returned internally displaced person")
    STL = "STL", _("Stateless person")
    VOT = "VOT", _("Victim of trafficking")
    FAM_LB = "FAM_LB", _("Family member left behind")
    HOST = "HOST", _("Host community member")
    UNK = "UNK", _("Unknown")
    DECLINED = "DECLINED", _("Declined to say")


# Highest sensitivity: never shown below admin level 1 or in groups under 10 in aggregates.
HIGHEST_SENSITIVITY = frozenset({"IRR", "ASY", "STL", "VOT"})


class OccupationSector(models.TextChoices):
    AGRICULTURE = "agriculture", _("Agriculture")
    FISHING = "fishing", _("Fishing and seafood processing")
    CONSTRUCTION = "construction", _("Construction")
    MANUFACTURING = "manufacturing", _("Manufacturing")
    DOMESTIC = "domestic", _("Domestic work")
    HOSPITALITY = "hospitality", _("Hospitality and services")
    TRADE = "trade", _("Trade and transport")
    OTHER = "other", _("Other")
    NONE = "none", _("Not working")
    UNKNOWN = "unknown", _("Unknown")


class ConsentScope(models.TextChoices):
    CARE = "care", _("Care and record keeping")
    SHARING = "sharing", _("Sharing the record with other providers")
    CONTACT = "contact", _("Being contacted for follow-up")
    RESEARCH = "research", _("Use in research")


class Relationship(models.TextChoices):
    HEAD = "head", _("Head of household")
    SPOUSE = "spouse", _("Spouse or partner")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    SIBLING = "sibling", _("Sibling")
    OTHER = "other", _("Other relative")
