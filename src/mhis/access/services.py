"""Who may see what: scopes, roles, tokens, and the access log."""

from __future__ import annotations

import copy
import hashlib
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from mhis.places.models import Place, PlaceKind
from mhis.places.services import under

from . import versions
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
        sites = list(scope_sites(user))
        cached = [site.pk for site in sites]
        user._mhis_scope_site_ids = cached
        user._mhis_scope_sites = {site.code: site for site in sites}
    return cached


def scope_site(user: User, code: str) -> Place | None:
    """The site with this code if it lies in the user's scopes (read with
    :func:`scope_site_ids`, so no query once they are known)."""
    if not user.is_authenticated or not user.is_active:
        return None
    sites: dict[str, Place] | None = getattr(user, "_mhis_scope_sites", None)
    if sites is None:
        if hasattr(user, "_mhis_scope_site_ids"):  # set by hand: read the sites again
            del user._mhis_scope_site_ids
        scope_site_ids(user)
        sites = user._mhis_scope_sites
    return sites.get(code)


def in_scope(user: User | AnonymousUser, place: Place) -> bool:
    return user.is_authenticated and any(place.path.startswith(p) for p in scope_paths(user))


LOG_ROWS_A_STATEMENT = 500


def log_access(user: User, people: Iterable[Person | int], view: str) -> None:
    """Write one access-log row per person shown to `user` in `view`: one multi-row INSERT,
    made before the answer is sent (in the caller's transaction when there is one, or
    committed by itself), so an answered read always has its row (ADR 0034)."""
    ids: list[Any] = [getattr(p, "pk", p) for p in people]
    if not ids:
        return
    meta = AccessLog._meta
    quote = connection.ops.quote_name
    fields = [AccessLog._meta.get_field(f) for f in ("user", "person", "view", "at")]
    at = fields[3].get_db_prep_value(timezone.now(), connection)  # type: ignore[union-attr]
    columns = ", ".join(quote(str(f.column)) for f in fields)  # type: ignore[union-attr]
    chunks = [ids[i : i + LOG_ROWS_A_STATEMENT] for i in range(0, len(ids), LOG_ROWS_A_STATEMENT)]
    whole = transaction.atomic(savepoint=False) if len(chunks) > 1 else nullcontext()
    with whole, connection.cursor() as cursor:
        for chunk in chunks:
            rows = ", ".join(["(%s, %s, %s, %s)"] * len(chunk))
            params: list[Any] = [v for pk in chunk for v in (user.pk, pk, view[:64], at)]
            cursor.execute(
                f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES {rows}",  # noqa: S608 - names from the model
                params,
            )


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


# Tokens a worker has resolved, by digest: the user with their scopes, as read at the access
# version `version` (mhis.access.versions). An entry is used only while the version is the
# same, so a change to a token, a user, a scope or a place is seen by the next request.
TOKEN_CACHE_SECONDS = 60.0  # an entry is read again after this long, whatever the version
TOKEN_CACHE_SIZE = 1024
LAST_USED_EVERY = 60  # seconds between two writes of a token's last use


@dataclass
class _Resolved:
    version: int
    token_id: int
    user: User
    last_used_at: datetime | None
    until: float


_tokens: OrderedDict[str, _Resolved] = OrderedDict()
_tokens_lock = threading.Lock()


def forget_tokens() -> None:
    """Forget every token this process remembers (tests; the version does it otherwise)."""
    with _tokens_lock:
        _tokens.clear()


def _for_request(user: User) -> User:
    """A copy of a remembered user for one request, with its own lists of places: what a
    request sets on it stays in that request."""
    copied = copy.copy(user)
    copied._mhis_scope_paths = list(user._mhis_scope_paths)
    copied._mhis_scope_site_ids = list(user._mhis_scope_site_ids)
    copied._mhis_scope_sites = user._mhis_scope_sites  # read-only, shared
    return copied


def _touch(token_id: int, last_used_at: datetime | None) -> datetime | None:
    now = timezone.now()
    if last_used_at is None or (now - last_used_at).total_seconds() > LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token_id).update(last_used_at=now)
        return now
    return last_used_at


def user_for_token(token: str) -> User | None:
    """The active user a token belongs to, or None.

    One query while this process remembers the token (the access version, which has not
    moved); otherwise the token, its user and their scopes are read and remembered."""
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    digest = _digest(token)
    version = versions.current()
    with _tokens_lock:
        known = _tokens.get(digest)
    if known is not None and known.version == version and time.monotonic() < known.until:
        known.last_used_at = _touch(known.token_id, known.last_used_at)
        return _for_request(known.user)
    row = (
        ApiToken.objects.select_related("user")
        .filter(digest=digest, revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if row is None:
        with _tokens_lock:
            _tokens.pop(digest, None)
        return None
    user = row.user
    # The places are read now, and remembered with the user.
    scope_paths(user)
    scope_site_ids(user)
    last_used_at = _touch(row.pk, row.last_used_at)
    if version is not None:
        with _tokens_lock:
            _tokens[digest] = _Resolved(
                version, row.pk, user, last_used_at, time.monotonic() + TOKEN_CACHE_SECONDS
            )
            _tokens.move_to_end(digest)
            while len(_tokens) > TOKEN_CACHE_SIZE:
                _tokens.popitem(last=False)
    return _for_request(user)


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
