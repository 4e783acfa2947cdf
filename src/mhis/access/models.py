"""Users with a role and place scopes, API tokens, and the log of who read whose record."""

from __future__ import annotations

from contextlib import suppress
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth import models as auth_models
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .phones import normalise_phone, validate_phone


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", _("Administrator")
    CLINICIAN = "clinician", _("Clinician")
    CHW = "chw", _("Community health worker")
    SURVEILLANCE_OFFICER = "surveillance_officer", _("Surveillance officer")
    ANALYST = "analyst", _("Analyst")
    PROGRAMME_MANAGER = "programme_manager", _("Programme manager")
    VIEWER = "viewer", _("Viewer")


class UserManager(auth_models.UserManager["User"]):
    """Users made through the manager (`mhis createsuperuser`, prompted or not) have their
    password checked against AUTH_PASSWORD_VALIDATORS with their own name and details. Django's
    command checks neither a password given in DJANGO_SUPERUSER_PASSWORD nor one the operator
    answers "bypass" for at its prompt; here a refused password creates no user."""

    def _create_user_object(
        self, username: str, email: str | None, password: str | None, **extra_fields: Any
    ) -> User:
        user: User = super()._create_user_object(  # type: ignore[misc]  # not in django-stubs
            username, email, None, **extra_fields
        )
        if password is not None:
            validate_password(password, user)
            user.set_password(password)
        return user


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, default=Role.VIEWER)
    scopes = models.ManyToManyField(
        "places.Place",
        verbose_name=_("place scopes"),
        through="Scope",
        related_name="+",
        blank=True,
    )
    # Set when an administrator gives the user a temporary password: until they choose their
    # own, every page leads to the page for choosing it.
    must_change_password = models.BooleanField(
        _("must change password at next log-in"), default=False
    )
    # Where notifications are texted (where an SMS gateway is set), in international form.
    phone = models.CharField(
        _("mobile phone"),
        max_length=20,
        blank=True,
        validators=[validate_phone],
        help_text=_("In international form, e.g. +66 81 234 5678. Alerts are texted here."),
    )
    # The language notifications reach them in; blank: the deployment's language.
    language = models.CharField(
        _("language"),
        max_length=8,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_("Notifications reach them in this language."),
    )

    objects: ClassVar[UserManager] = UserManager()

    # Per-object caches kept by mhis.access.services (the places a user's scopes cover).
    _mhis_scope_paths: list[str]
    _mhis_scope_site_ids: list[int]
    _mhis_scope_sites: dict[str, Any]  # code -> Place

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def clean(self) -> None:
        super().clean()
        # Stored in E.164 as the SMS gateway takes it, however it was typed (the admin site's
        # form checks the field but would keep "+66 81 234 5678" with its spaces).
        with suppress(ValidationError):  # a number that is not one: the field's validator says why
            self.phone = normalise_phone(self.phone)


class Scope(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="scope_rows")
    place = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("place scope")
        verbose_name_plural = _("place scopes")
        constraints = [
            models.UniqueConstraint(fields=["user", "place"], name="scope_unique_user_place")
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.place}"


class ApiToken(models.Model):
    """A bearer token for the API. Only a SHA-256 digest is stored; the token is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(max_length=12, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class AccessLog(models.Model):
    """One row each time a user is shown a person's record, in a page, a list or the API."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    view = models.CharField(_("view"), max_length=64)
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-at"]
        indexes = [models.Index(fields=["person", "at"], name="accesslog_person_at")]

    def __str__(self) -> str:
        return f"{self.user} read {self.person_id} ({self.view})"
