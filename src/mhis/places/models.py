"""The place tree: countries, administrative areas of any depth, and sites where people are seen."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PlaceKind(models.TextChoices):
    COUNTRY = "country", _("Country")
    AREA = "area", _("Administrative area")
    SITE = "site", _("Site")


class SiteType(models.TextChoices):
    BORDER_POST = "border_post", _("Border post")
    MOBILE_CLINIC = "mobile_clinic", _("Mobile clinic")
    HEALTH_CORNER = "health_corner", _("Migrant health corner")
    HOSPITAL = "hospital", _("Hospital")
    CLINIC = "clinic", _("Clinic")
    ASSESSMENT_CENTRE = "assessment_centre", _("Assessment centre")
    CAMP = "camp", _("Camp / displacement site")
    COMMUNITY = "community", _("Community")


class Place(models.Model):
    """A node of the place tree.

    ``path`` is the materialised chain of ids from the country down (``/3/17/42/``): scope
    checks and roll-ups are one indexed prefix match instead of a recursive walk.
    """

    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=PlaceKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    country_code = models.CharField(_("country (ISO 3166-1 alpha-2)"), max_length=2)
    level = models.PositiveSmallIntegerField(_("level"), default=0, editable=False)
    path = models.CharField(max_length=255, editable=False, db_index=True)
    site_type = models.CharField(
        _("site type"), max_length=32, choices=SiteType.choices, blank=True
    )
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )

    class Meta:
        verbose_name = _("place")
        verbose_name_plural = _("places")
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="site") | ~models.Q(site_type=""),
                name="place_site_has_type",
            ),
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True)
                | models.Q(latitude__gte=-90, latitude__lte=90),
                name="place_latitude_range",
            ),
            models.CheckConstraint(
                condition=models.Q(longitude__isnull=True)
                | models.Q(longitude__gte=-180, longitude__lte=180),
                name="place_longitude_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def contains(self, other: Place) -> bool:
        return other.path.startswith(self.path)
