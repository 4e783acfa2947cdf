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
