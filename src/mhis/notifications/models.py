"""Notifications to users: shown in the application, sent by email (and SMS where a gateway is
set). The table is also the log of what was sent to whom, and how the sending went."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    ALERT_RAISED = "alert_raised", _("Alert raised")
    ALERT_ASSIGNED = "alert_assigned", _("Alert assigned to you")
    ALERT_OVERDUE = "alert_overdue", _("Alert overdue")
    SHARED_WITH_US = "shared_with_us", _("Shared with us across a border")
    SHARE_ACKNOWLEDGED = "share_acknowledged", _("Share acknowledged by the twin")
    REPORT_MISSING = "report_missing", _("Weekly report missing")
    ACTION_ASSIGNED = "action_assigned", _("Response action assigned to you")
    ACTION_OVERDUE = "action_overdue", _("Response action overdue")


class Outcome(models.TextChoices):
    OFF = "off", _("Not sent (off)")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    NO_ADDRESS = "no_address", _("No address")


class Notification(models.Model):
    """One message to one user. Aggregate content only: a condition, a site, a week, counts
    and a link, never a person."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    subject = models.CharField(_("subject"), max_length=300)
    link = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    email = models.CharField(_("email"), max_length=12, choices=Outcome.choices, default="off")
    sms = models.CharField(_("SMS"), max_length=12, choices=Outcome.choices, default="off")
    error = models.TextField(_("sending error"), blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return f"{self.recipient} {self.kind}: {self.subject}"
