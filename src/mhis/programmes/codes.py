"""Code lists of the portfolio: project types and themes from the programmes, and the IATI
2.03 codes the export writes (activity status, organisation role and type, activity scope,
result type, indicator measure)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProjectType(models.TextChoices):
    ASSESSMENT = "assessment", _("Migration health assessment and travel health assistance")
    PROMOTION = "promotion", _("Health promotion and assistance for migrants")
    CRISIS = "crisis", _("Migration health assistance for crisis-affected populations")
    POLICY = "policy", _("Policy and capacity building")


class Theme(models.TextChoices):
    CAPACITY = "capacity", _("Capacity strengthening")
    COORDINATION = "coordination", _("Multi-sectoral coordination")
    WORKFORCE = "workforce", _("Human resources for health")
    ACCESS = "access", _("Access to migrant-friendly services")
    TRAFFICKING = "trafficking", _("Trafficking in persons")
    IRREGULAR = "irregular", _("Irregular migration")
    DETENTION = "detention", _("Detention")
    SURVEILLANCE = "surveillance", _("Disease surveillance")
    SOCIAL_PROTECTION = "social_protection", _("Social health protection")


class Coverage(models.TextChoices):
    NATIONAL = "national", _("National")
    REGIONAL = "regional", _("Regional")
    GLOBAL = "global", _("Global")


# IATI ActivityScope for each coverage.
SCOPE_OF = {"global": "1", "regional": "2", "national": "4"}
COVERAGE_OF = {"1": "global", "2": "regional", "3": "regional", "4": "national"}


class Status(models.TextChoices):  # IATI ActivityStatus
    PIPELINE = "1", _("Pipeline/identification")
    IMPLEMENTATION = "2", _("Implementation")
    FINALISATION = "3", _("Finalisation")
    CLOSED = "4", _("Closed")
    CANCELLED = "5", _("Cancelled")
    SUSPENDED = "6", _("Suspended")


class Role(models.TextChoices):  # IATI OrganisationRole
    FUNDING = "1", _("Funding")
    ACCOUNTABLE = "2", _("Accountable")
    EXTENDING = "3", _("Extending")
    IMPLEMENTING = "4", _("Implementing")


class OrganisationType(models.TextChoices):  # IATI OrganisationType
    GOVERNMENT = "10", _("Government")
    LOCAL_GOVERNMENT = "11", _("Local government")
    OTHER_PUBLIC = "15", _("Other public sector")
    INTERNATIONAL_NGO = "21", _("International NGO")
    NATIONAL_NGO = "22", _("National NGO")
    REGIONAL_NGO = "23", _("Regional NGO")
    PARTNER_COUNTRY_NGO = "24", _("Partner country based NGO")
    PUBLIC_PRIVATE = "30", _("Public private partnership")
    MULTILATERAL = "40", _("Multilateral")
    FOUNDATION = "60", _("Foundation")
    PRIVATE = "70", _("Private sector")
    PRIVATE_PROVIDER = "71", _("Private sector in provider country")
    PRIVATE_RECIPIENT = "72", _("Private sector in aid recipient country")
    PRIVATE_THIRD = "73", _("Private sector in third country")
    ACADEMIC = "80", _("Academic, training and research")
    OTHER = "90", _("Other")


class ResultType(models.TextChoices):  # IATI ResultType
    OUTPUT = "1", _("Output")
    OUTCOME = "2", _("Outcome")
    IMPACT = "3", _("Impact")
    OTHER = "9", _("Other")


class Measure(models.TextChoices):  # IATI IndicatorMeasure
    UNIT = "1", _("Unit")
    PERCENTAGE = "2", _("Percentage")
    NOMINAL = "3", _("Nominal")
    ORDINAL = "4", _("Ordinal")
    QUALITATIVE = "5", _("Qualitative")


class BudgetType(models.TextChoices):  # IATI BudgetType
    ORIGINAL = "1", _("Original")
    REVISED = "2", _("Revised")


class BudgetStatus(models.TextChoices):  # IATI BudgetStatus
    INDICATIVE = "1", _("Indicative")
    COMMITTED = "2", _("Committed")


class WorkStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ONGOING = "ongoing", _("Ongoing")
    DONE = "done", _("Done")
    DELAYED = "delayed", _("Delayed")
    CANCELLED = "cancelled", _("Cancelled")


class EventKind(models.TextChoices):
    WORKSHOP = "workshop", _("Workshop")
    CONSULTATION = "consultation", _("Consultation")
    TRAINING = "training", _("Training")
    CONFERENCE = "conference", _("Conference")
    MEETING = "meeting", _("Meeting")


class ParticipantRole(models.TextChoices):
    CHW = "chw", _("Community health worker")
    VOLUNTEER = "volunteer", _("Community health volunteer")
    PROVIDER = "provider", _("Health provider")
    OFFICIAL = "official", _("Government official")
    PARTNER = "partner", _("Partner staff")
    MIGRANT = "migrant", _("Migrant or community member")
    OTHER = "other", _("Other")


TRAINED_ROLES = (ParticipantRole.CHW, ParticipantRole.VOLUNTEER, ParticipantRole.PROVIDER)


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Unknown")


class BodyKind(models.TextChoices):
    TASK_FORCE = "task_force", _("Task force")
    STEERING = "steering", _("Steering committee")
    INTERAGENCY = "interagency", _("Interagency board")
    WORKING_GROUP = "working_group", _("Working group")


class PublicationKind(models.TextChoices):
    REPORT = "report", _("Report or publication")
    NEWSLETTER = "newsletter", _("Newsletter")
    ROADMAP = "roadmap", _("Roadmap or plan")
