"""People, their names, identifiers, migration episodes, consents and households."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from mhis.crypto import EncryptedTextField

from .codes import (
    ConsentScope,
    DatePrecision,
    IdentifierType,
    MigrationStatus,
    NameUse,
    OccupationSector,
    Relationship,
    Sex,
)
from .validation import earliest_birth


class Person(models.Model):
    """Someone MHIS cares for. Visible to users scoped to the registration site's place."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    registration_site = models.ForeignKey(
        "places.Place",
        verbose_name=_("registration site"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    display_name = models.CharField(_("name"), max_length=200)
    display_latin = models.CharField(_("name in Latin letters"), max_length=200, blank=True)
    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices, default=Sex.UNKNOWN)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    birth_date_precision = models.CharField(
        _("precision of the date of birth"),
        max_length=10,
        choices=DatePrecision.choices,
        blank=True,
    )
    nationality = models.CharField(_("nationality"), max_length=2, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    contact = EncryptedTextField(_("contact"), max_length=500, blank=True)
    # Set when this record was found to be another person's and merged into theirs; the
    # record and its names stay, its care follows the survivor (mhis.linkage.services).
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("merged into"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        indexes = [
            models.Index(fields=["registration_site", "-created_at"], name="person_site_created"),
            # Possible duplicates on import: the same name in Latin letters (any case), sex
            # and birth year.
            models.Index(
                Lower("display_latin"), "sex", "birth_date", name="person_latin_sex_birth"
            ),
        ]

    # What `services.register_person` wrote, for `services.as_written` to put in Django's
    # prefetch cache (set on the instance only, never stored).
    written: dict[str, Sequence[models.Model]]
    _prefetched_objects_cache: dict[str, models.QuerySet[Any]]

    def __str__(self) -> str:
        return self.display_latin or self.display_name

    def earliest_birth(self) -> date | None:
        """The earliest day the person can have been born (None when the date is unknown)."""
        if self.birth_date is None:
            return None
        return earliest_birth(self.birth_date, self.birth_date_precision)


class PersonSite(models.Model):
    """A site where the person is known: registered, seen, or referred to.

    Scope checks go through these rows (registry.search.visible_people), so a clinic that
    receives a referral can open the person's record, and the read is logged like any other.
    """

    class Reason(models.TextChoices):
        REGISTERED = "registered", _("Registered here")
        SEEN = "seen", _("Seen here")
        REFERRED = "referred", _("Referred here")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="site_links")
    site = models.ForeignKey(
        "places.Place", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    reason = models.CharField(max_length=12, choices=Reason.choices)
    since = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "site"], name="personsite_unique")]
        # Everyone in a scope, read from the index alone (counts, and broad searches).
        indexes = [models.Index(fields=["site", "person"], name="personsite_site_person")]

    def __str__(self) -> str:
        return f"{self.person_id} @ {self.site_id} ({self.reason})"


class PersonName(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="names")
    use = models.CharField(
        _("use"), max_length=10, choices=NameUse.choices, default=NameUse.OFFICIAL
    )
    text = models.CharField(_("name as written"), max_length=200)
    script = models.CharField(_("script (ISO 15924)"), max_length=4)
    latin = models.CharField(_("name in Latin letters"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("name")
        verbose_name_plural = _("names")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.text


class NameKey(models.Model):
    """Search keys of a person's names (folded tokens, romanisations, joined runs).

    Used by registry.search.search_people through prefix matches on `key`.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "key"], name="namekey_unique")]
        # Prefix matches read person ids from the index alone (LIKE 'x%' on PostgreSQL needs
        # the pattern operator class; SQLite's range on the key uses the plain order).
        indexes = [
            models.Index(
                fields=["key", "person"],
                opclasses=["varchar_pattern_ops", "int8_ops"],
                name="namekey_prefix",
            )
        ]

    def __str__(self) -> str:
        return self.key


class Identifier(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="identifiers")
    type = models.CharField(_("type"), max_length=20, choices=IdentifierType.choices)
    issuing_country = models.CharField(_("issuing country"), max_length=2, blank=True)
    value = EncryptedTextField(_("value"), max_length=100)
    # Keyed hash of the normalised value; used by search_people and, later, linkage.
    value_hash = models.CharField(max_length=64, db_index=True, editable=False)

    class Meta:
        verbose_name = _("identifier")
        verbose_name_plural = _("identifiers")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_type_display()} ({self.issuing_country})"


class MigrationEpisode(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="episodes")
    status = EncryptedTextField(
        _("migration status"), choices=MigrationStatus.choices, default=MigrationStatus.UNK
    )
    origin_country = models.CharField(_("country of origin"), max_length=2, blank=True)
    transit_countries = models.JSONField(_("transit countries"), default=list, blank=True)
    destination_country = models.CharField(_("country of destination"), max_length=2, blank=True)
    occupation_sector = models.CharField(
        _("occupation sector"),
        max_length=16,
        choices=OccupationSector.choices,
        default=OccupationSector.UNKNOWN,
    )
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)

    class Meta:
        verbose_name = _("migration episode")
        verbose_name_plural = _("migration episodes")
        ordering = ["start_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(start_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="episode_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.origin_country or '?'} → {self.destination_country or '?'} ({self.start_date or '?'})"


class Consent(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="consents")
    scope = models.CharField(_("scope"), max_length=16, choices=ConsentScope.choices)
    given_on = models.DateField(_("given on"))
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who recorded the withdrawal (`recorded_by` recorded the consent itself).
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["given_on", "id"]

    def __str__(self) -> str:
        return f"{self.get_scope_display()} ({self.given_on})"

    @property
    def active(self) -> bool:
        return self.withdrawn_on is None


class Household(models.Model):
    """People who live, or lived, together, including family members left behind."""

    label = models.CharField(_("label"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return self.label or f"#{self.pk}"


class HouseholdMember(models.Model):
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    relationship = models.CharField(_("relationship"), max_length=10, choices=Relationship.choices)
    left_behind = models.BooleanField(_("left behind in the country of origin"), default=False)
    country_of_residence = models.CharField(_("country of residence"), max_length=2, blank=True)

    class Meta:
        verbose_name = _("household member")
        verbose_name_plural = _("household members")
        constraints = [
            models.UniqueConstraint(fields=["household", "person"], name="household_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_relationship_display()})"
