"""Places twinned across a border by agreement, and what one side shared with the other
(docs/decisions/0032): an immutable snapshot of aggregate content, never a person, and the
acknowledgement of the side that received it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Twinning(models.Model):
    """Two places in different countries twinned by an agreement (a memorandum of the
    Mekong Basin Disease Surveillance network, two IHR focal points' arrangement). Symmetric:
    the pair is stored once, the place with the smaller id first."""

    place_a = models.ForeignKey(
        "places.Place", verbose_name=_("place"), on_delete=models.PROTECT, related_name="+"
    )
    place_b = models.ForeignKey(
        "places.Place", verbose_name=_("twin place"), on_delete=models.PROTECT, related_name="+"
    )
    agreement = models.CharField(_("agreement"), max_length=200)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("twinning")
        verbose_name_plural = _("twinnings")
        ordering = ["place_a__name", "place_b__name"]
        constraints = [
            models.UniqueConstraint(fields=["place_a", "place_b"], name="twinning_unique_pair"),
            models.CheckConstraint(
                condition=models.Q(place_a__lt=models.F("place_b")), name="twinning_ordered_pair"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.place_a} ↔ {self.place_b}"

    def other(self, place_id: int):
        return self.place_b if place_id == self.place_a_id else self.place_a


class ShareKind(models.TextChoices):
    ALERT = "alert", _("Alert")
    SIGNAL = "signal", _("Signal")
    OUTBREAK = "outbreak", _("Outbreak")


class Share(models.Model):
    """What one side sent its twin: `content` is the snapshot shown on the confirmation page
    and sent, never changed afterwards. The original alert, signal or outbreak stays in its
    own places: the twin reads the snapshot only."""

    twinning = models.ForeignKey(Twinning, on_delete=models.PROTECT, related_name="shares")
    kind = models.CharField(_("kind"), max_length=12, choices=ShareKind.choices)
    alert = models.ForeignKey(
        "surveillance.Alert", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    signal = models.ForeignKey(
        "surveillance.Signal", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outbreak = models.ForeignKey(
        "surveillance.Outbreak", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Where the original lies (its site, place or area): who sent it is read by this.
    origin = models.ForeignKey(
        "places.Place", verbose_name=_("from"), on_delete=models.PROTECT, related_name="+"
    )
    # The twin place it was sent to: whose scope covers it receives it.
    to_place = models.ForeignKey(
        "places.Place", verbose_name=_("to"), on_delete=models.PROTECT, related_name="+"
    )
    content = models.JSONField(_("what was sent"))
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    shared_at = models.DateTimeField(_("shared"), auto_now_add=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    reply = models.TextField(_("reply"), blank=True)

    class Meta:
        verbose_name = _("shared item")
        verbose_name_plural = _("shared items")
        ordering = ["-shared_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.to_place}"
