"""Code lists of care records. Labels are translatable; codes never change once published."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class EncounterKind(models.TextChoices):
    CONSULTATION = "consultation", _("Consultation")
    MOBILE_CLINIC = "mobile_clinic", _("Mobile clinic visit")
    EMERGENCY = "emergency", _("Emergency care")
    PSYCHOSOCIAL = "psychosocial", _("Psychosocial support")


class Payer(models.TextChoices):
    PATIENT = "patient", _("The patient (out of pocket)")
    INSURANCE = "insurance", _("Health insurance")
    PROGRAMME = "programme", _("A programme or project")
    EMPLOYER = "employer", _("The employer")
    WAIVED = "waived", _("Free or waived")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Unknown")


class ReferralKind(models.TextChoices):
    MEDICAL = "medical", _("Medical referral")
    EVACUATION = "evacuation", _("Medical evacuation")
    TB_CONTINUATION = "tb_continuation", _("TB treatment continuation")


class Urgency(models.TextChoices):
    ROUTINE = "routine", _("Routine")
    URGENT = "urgent", _("Urgent")
    EMERGENCY = "emergency", _("Emergency")


class ReferralStatus(models.TextChoices):
    SENT = "sent", _("Sent")
    RECEIVED = "received", _("Received")
    ATTENDED = "attended", _("Attended")
    CLOSED = "closed", _("Closed")
    LOST = "lost", _("Lost to follow-up")


# status → the statuses it may move to
REFERRAL_TRANSITIONS = {
    ReferralStatus.SENT: (ReferralStatus.RECEIVED, ReferralStatus.LOST),
    ReferralStatus.RECEIVED: (ReferralStatus.ATTENDED, ReferralStatus.LOST),
    ReferralStatus.ATTENDED: (ReferralStatus.CLOSED,),
    ReferralStatus.CLOSED: (),
    ReferralStatus.LOST: (),
}
OPEN_REFERRAL_STATUSES = (ReferralStatus.SENT, ReferralStatus.RECEIVED)
# Days within which a referral is expected to be attended, when the sender gives no date.
DEFAULT_DUE_DAYS = {Urgency.ROUTINE: 30, Urgency.URGENT: 7, Urgency.EMERGENCY: 1}


class AssessmentType(models.TextChoices):
    PRE_DEPARTURE = "pre_departure", _("Pre-departure")
    ON_ARRIVAL = "on_arrival", _("On arrival")
    PRE_EMPLOYMENT = "pre_employment", _("Pre-employment")
    POST_ARRIVAL = "post_arrival", _("Post-arrival")


class XrayResult(models.TextChoices):
    NORMAL = "normal", _("Normal")
    SUGGESTIVE = "suggestive", _("Abnormal, suggestive of TB")
    OTHER_ABNORMAL = "other_abnormal", _("Abnormal, not suggestive of TB")
    NOT_DONE = "not_done", _("Not done")


class SmearResult(models.TextChoices):
    NEGATIVE = "negative", _("Negative")
    SCANTY = "scanty", _("Scanty")
    POS_1 = "1+", _("1+")
    POS_2 = "2+", _("2+")
    POS_3 = "3+", _("3+")


class CultureResult(models.TextChoices):
    NEGATIVE = "negative", _("Negative")
    MTB = "mtb", _("M. tuberculosis complex")
    NTM = "ntm", _("Non-tuberculous mycobacteria")
    CONTAMINATED = "contaminated", _("Contaminated")


class XpertResult(models.TextChoices):
    NOT_DETECTED = "not_detected", _("MTB not detected")
    RIF_NOT_DETECTED = "rif_not_detected", _("MTB detected, rifampicin resistance not detected")
    RIF_DETECTED = "rif_detected", _("MTB detected, rifampicin resistance detected")
    RIF_INDETERMINATE = "rif_indeterminate", _("MTB detected, rifampicin resistance indeterminate")
    INVALID = "invalid", _("Invalid, error or no result")


class DstResult(models.TextChoices):
    SUSCEPTIBLE = "susceptible", _("Susceptible to first-line drugs")
    MONO_H = "hr", _("Isoniazid-resistant")
    RR = "rr", _("Rifampicin-resistant")
    MDR = "mdr", _("Multidrug-resistant")
    PRE_XDR = "pre_xdr", _("Pre-extensively drug-resistant")
    XDR = "xdr", _("Extensively drug-resistant")


class TestResult(models.TextChoices):
    NEGATIVE = "negative", _("Negative")
    POSITIVE = "positive", _("Positive")
    INDETERMINATE = "indeterminate", _("Indeterminate")
    NOT_DONE = "not_done", _("Not done")
    DECLINED = "declined", _("Declined")


class TbTreatment(models.TextChoices):
    NONE = "none", _("Not treated for TB")
    ONGOING = "ongoing", _("TB treatment ongoing")
    COMPLETED = "completed", _("TB treatment completed under directly observed therapy")


class FitToTravel(models.TextChoices):
    FIT = "fit", _("Fit to travel")
    FIT_WITH_CONDITIONS = "fit_with_conditions", _("Fit to travel with conditions")
    TEMPORARILY_UNFIT = "temporarily_unfit", _("Temporarily unfit")
    UNFIT = "unfit", _("Unfit to travel")


# TB classifications per destination programme (the decision table of each is in care.tb).
# US: the CDC technical instructions' classes. UK: the UK pre-entry screening's outcome.
# GEN: for assessments without a destination programme's own set (WHO case definitions).
TB_CLASSIFICATIONS: dict[str, dict[str, object]] = {
    "US": {
        "NONE": _("No TB classification"),
        "A": _("Class A: TB disease, infectious"),
        "A_WAIVER": _("Class A with waiver"),
        "B0": _("Class B0: TB, pulmonary, treatment completed under directly observed therapy"),
        "B1_PULM": _("Class B1: TB, pulmonary"),
        "B1_EXTRA": _("Class B1: TB, extrapulmonary"),
        "B2": _("Class B2: latent TB infection evaluation"),
        "B3": _("Class B3: TB contact evaluation"),
    },
    "UK": {
        "UK_CLEAR": _("No active pulmonary TB: certificate may be issued"),
        "UK_TB": _("Active pulmonary TB suspected or confirmed: no certificate"),
    },
    "GEN": {
        "NO_TB": _("No TB"),
        "ACTIVE_BC": _("Active TB, bacteriologically confirmed"),
        "ACTIVE_CD": _("Active TB, clinically diagnosed"),
        "LTBI": _("Latent TB infection"),
        "CONTACT": _("Contact of a TB case, no disease"),
    },
}
DESTINATION_PROGRAMMES = {
    "US": _("United States (CDC technical instructions)"),
    "UK": _("United Kingdom (pre-entry TB screening)"),
    "GEN": _("General (no destination programme)"),
}
# Classes that assert TB disease: sputum microbiology must be complete before they are given.
TB_DISEASE_CLASSES = frozenset({"A", "A_WAIVER", "B1_PULM", "ACTIVE_BC", "ACTIVE_CD", "UK_TB"})
SPUTUM_SPECIMENS = 3
# Refugee Health Screener-15: items 1-14 scored 0-4, item 15 a distress thermometer 0-10.
# Positive when items 1-14 sum to 12 or more, or the thermometer reads 5 or more.
RHS15_ITEMS = 14
RHS15_ITEM_CUTOFF = 12
RHS15_THERMOMETER_CUTOFF = 5
