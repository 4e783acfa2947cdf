"""Who may see what: scopes, roles, tokens, and the access log."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from mhis.places.models import Place, PlaceKind
from mhis.places.services import under

from .models import (
    AccessLog,
    ApiToken,
    Role,
    Scope,
    User,
)
from .policy import POLICY, Can

if TYPE_CHECKING:
    from mhis.registry.models import Person

TOKEN_PREFIX = "mhis_"  # noqa: S105 - a marker, not a secret


def scope_paths(user: User) -> list[str]:
    """Materialised paths of the places the user is scoped to (cached on the user object)."""
    cached: list[str] | None = getattr(user, "_mhis_scope_paths", None)
    if cached is None:
        cached = list(Scope.objects.filter(user=user).values_list("place__path", flat=True))
        user._mhis_scope_paths = cached
    return cached


def place_scope_q(user: User | AnonymousUser, field: str) -> Q:
    """A condition selecting rows whose `field` (a Place foreign key) lies in the user's scopes.

    `field` ``"self"`` selects places themselves.
    A user with no scope sees nothing, administrators included: scope is always explicit.
    """
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    return under(scope_paths(user), None if field == "self" else field)


def scope_sites(user: User | AnonymousUser) -> QuerySet[Place]:
    """The sites inside the user's scopes, by name."""
    return Place.objects.filter(place_scope_q(user, "self"), kind=PlaceKind.SITE).order_by("name")


def scope_site_ids(user: User) -> list[int]:
    """Ids of the sites inside the user's scopes (cached on the user object)."""
    cached: list[int] | None = getattr(user, "_mhis_scope_site_ids", None)
    if cached is None:
        cached = list(scope_sites(user).values_list("pk", flat=True))
        user._mhis_scope_site_ids = cached
    return cached


def in_scope(user: User | AnonymousUser, place: Place) -> bool:
    return user.is_authenticated and any(place.path.startswith(p) for p in scope_paths(user))


def log_access(user: User, people: Iterable[Person | int], view: str) -> None:
    """Write one access-log row per person shown to `user` in `view`."""
    rows = [AccessLog(user=user, person_id=getattr(p, "pk", p), view=view[:64]) for p in people]
    if rows:
        AccessLog.objects.bulk_create(rows)


def access_history(person: Person) -> QuerySet[AccessLog]:
    return AccessLog.objects.filter(person=person).select_related("user")


@transaction.atomic
def create_user(
    *,
    username: str,
    password: str | None,
    role: str,
    places: Iterable[Place] = (),
    **fields: Any,
) -> User:
    """A user with a role and place scopes. A password is checked against
    AUTH_PASSWORD_VALIDATORS with the user's name and details (ValidationError naming
    `password`); without one, the user cannot log in until an administrator sets it."""
    if role not in Role.values:
        raise ValueError(f"Unknown role {role!r}; choose one of {', '.join(Role.values)}.")
    user = User(username=username, role=role, **fields)
    if password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from None
        user.set_password(password)
    else:
        user.set_unusable_password()
    # The admin pages: administrators, and programme managers for the portfolio only
    # (mhis.programmes.admin grants them its models; they hold no other permission).
    user.is_staff = Can.USE_ADMIN_SITE in POLICY[role]
    user.save()
    Scope.objects.bulk_create([Scope(user=user, place=place) for place in places])
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(user: User, name: str = "") -> tuple[ApiToken, str]:
    """Create an API token; returns the row and the token text, which is never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken.objects.create(user=user, name=name, prefix=token[:12], digest=_digest(token))
    return row, token


def user_for_token(token: str) -> User | None:
    """The active user a token belongs to, or None."""
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    row = (
        ApiToken.objects.select_related("user")
        .filter(digest=_digest(token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if row is None:
        return None
    now = timezone.now()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user


def revoke_token(row: ApiToken) -> None:
    ApiToken.objects.filter(pk=row.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


# Second factor (django-otp, time-based codes from an authenticator app) ----------------------


def needs_second_factor(user: User | AnonymousUser) -> bool:
    """Whether the user's role must confirm a log-in with a code (MHIS_TWO_FACTOR_ROLES)."""
    return (
        user.is_authenticated
        and user.role in settings.MHIS_TWO_FACTOR_ROLES
        and not getattr(user, "is_verified", lambda: False)()
    )


def has_second_factor(user: User) -> bool:
    enrolled: bool = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    return enrolled


def pending_device(user: User) -> TOTPDevice:
    """The authenticator being set up for the user: a new secret until one code confirms it."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def _code(value: str) -> str:
    code = "".join((value or "").split())
    if not (code.isdigit() and len(code) == 6):
        raise ValidationError({"code": [_("Type the 6 digits your authenticator app shows.")]})
    return code


def confirm_second_factor(user: User, code: str) -> TOTPDevice:
    """Confirm the pending authenticator with a code it shows; the only confirmed one after."""
    code = _code(code)
    device = pending_device(user)
    if not device.verify_token(code):  # a wrong code is counted (and slows the next try)
        raise ValidationError({"code": [_("That code is not right, or has expired.")]})
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    return device


def check_second_factor(user: User, code: str) -> TOTPDevice:
    """The user's authenticator if the code is one it shows now (each code works once; wrong
    codes slow further tries down)."""
    code = _code(code)
    for device in TOTPDevice.objects.filter(user=user, confirmed=True):
        if device.verify_token(code):
            return device
    raise ValidationError({"code": [_("That code is not right, or has expired.")]})


def reset_second_factor(user: User) -> int:
    """Forget the user's authenticators (a lost phone); the next log-in sets up a new one."""
    deleted: int
    deleted, _rows = TOTPDevice.objects.filter(user=user).delete()
    return deleted
