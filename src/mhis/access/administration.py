"""Administration in the browser: users, their role and place scopes, temporary passwords,
second-factor resets, and the place tree, each within the administrator's own places.

Rules (tested in tests/test_administration.py):
- Only roles granted `manage_users` / `manage_places` reach any of this (403 for others).
- An administrator manages the users all of whose place scopes lie inside their own places;
  any other user is "not found" to them (a 404, as a person outside one's places is).
  Superusers, and users with no place scope (inside nobody's places), are managed by
  superusers only.
- A scope given is always inside the giver's places, so nobody can grant a scope wider than
  their own, nor make an administrator who reaches more than they do.
- Administrators cannot change their own role, places or active status: another administrator
  must, so nobody locks themselves (or the last of their places' administrators) out by mistake.
- Every change is one transaction and one entry in the administration log (Django's
  `LogEntry`, the history the admin site keeps of the same records), and is announced.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Sequence
from typing import Any

from axes.utils import reset as axes_reset
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth.password_validation import validate_password
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_otp.plugins.otp_totp.models import TOTPDevice

from mhis.codelists import country_name, normalise_country
from mhis.events import announce
from mhis.places.models import Place, PlaceKind
from mhis.places.services import create_place, trails, under, update_place

from .models import Role, Scope, User
from .phones import normalise_phone
from .policy import POLICY, Can, require
from .services import has_second_factor, in_scope, place_scope_q, reset_second_factor, scope_paths

# Temporary passwords: four groups of four from letters and digits that are not easily mixed up
# when read aloud or copied from a screen (no 0/o, 1/l/i).
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def require_user_manager(by: User) -> None:
    require(by, Can.MANAGE_USERS)


def require_place_manager(by: User) -> None:
    require(by, Can.MANAGE_PLACES)


# -- what an administrator reaches -----------------------------------------------------------


def manageable_users(by: User) -> QuerySet[User]:
    """The users `by` may manage: every place scope of theirs inside `by`'s places. A user
    with no place scope lies inside nobody's places: superusers alone manage them."""
    require_user_manager(by)
    outside = Scope.objects.exclude(under(scope_paths(by), "place")).values("user_id")
    users = User.objects.exclude(pk__in=outside)
    if not by.is_superuser:
        users = users.exclude(is_superuser=True).filter(pk__in=Scope.objects.values("user_id"))
    return users.order_by("username")


def manageable_user(by: User, pk: int) -> User:
    """One user `by` may manage (User.DoesNotExist for any other, existing or not)."""
    return manageable_users(by).get(pk=pk)


def manageable_places(by: User) -> QuerySet[Place]:
    """The places inside `by`'s own places, in tree order."""
    require_place_manager(by)
    return Place.objects.filter(place_scope_q(by, "self")).order_by("path")


def scope_choices(by: User) -> list[tuple[int, str]]:
    """(id, "Country › Area › Site") of every place `by` may give as a scope, in tree order."""
    require_user_manager(by)
    places = list(Place.objects.filter(place_scope_q(by, "self")).order_by("path"))
    names = trails(places)
    return [(p.pk, names[p.pk]) for p in places]


def scopes_of(users: Iterable[User]) -> dict[int, list[str]]:
    """The places each user is scoped to, as trails, by user id."""
    rows = list(Scope.objects.filter(user__in=list(users)).select_related("place"))
    names = trails([row.place for row in rows])
    scopes: dict[int, list[str]] = {}
    for row in rows:
        scopes.setdefault(row.user_id, []).append(names[row.place_id])
    return {pk: sorted(found) for pk, found in scopes.items()}


def history(subject: Model) -> QuerySet[LogEntry]:
    """The administration log of one user or place, newest first."""
    return (
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(subject._meta.model),
            object_id=str(subject.pk),
        )
        .select_related("user")
        .order_by("-action_time")
    )


# -- writing ---------------------------------------------------------------------------------


# What the log says, in the form of Django's admin log (a list of "added" / "changed" /
# "deleted" parts): field and record names are stored untranslated and translated when shown
# (LogEntry.get_change_message), on these pages and in the admin site's history alike.
TEMPORARY_PASSWORD = gettext_noop("temporary password")
AUTHENTICATOR = gettext_noop("authenticator app")
PLACE_SCOPE = gettext_noop("place scope")
ROLE = gettext_noop("role")


def _fields(model: type[Model], names: Iterable[str]) -> list[str]:
    """The untranslated verbose names of fields, as the admin log stores them."""
    with translation.override(None):
        return [str(getattr(model._meta.get_field(name), "verbose_name", name)) for name in names]


def _scopes_changed(added: Iterable[Place], removed: Iterable[Place]) -> list[dict[str, Any]]:
    return [{"added": {"name": PLACE_SCOPE, "object": p.name}} for p in added] + [
        {"deleted": {"name": PLACE_SCOPE, "object": p.name}} for p in removed
    ]


def _log(by: User, subject: Model, flag: int, parts: list[dict[str, Any]]) -> None:
    LogEntry.objects.create(
        user=by,
        content_type=ContentType.objects.get_for_model(subject._meta.model),
        object_id=str(subject.pk),
        object_repr=str(subject)[:200],
        action_flag=flag,
        change_message=json.dumps(parts, ensure_ascii=False),
    )


def _places_errors(by: User, places: Sequence[Place]) -> list[str]:
    if not places:
        return [_("Choose at least one place: a user with no place sees nobody.")]
    return [
        _("%(place)s is not within your places.") % {"place": place.name}
        for place in places
        if not in_scope(by, place)
    ]


def _role_error(role: str) -> str | None:
    return None if role in Role.values else _("Choose a role.")


def temporary_password(user: User) -> str:
    """A new random password that the password rules accept for `user`."""
    for _attempt in range(20):
        password = "-".join(
            "".join(secrets.choice(_ALPHABET) for _i in range(4)) for _g in range(4)
        )
        try:
            validate_password(password, user)
        except ValidationError:
            continue
        return password
    raise RuntimeError("no temporary password passed the password rules")  # pragma: no cover


@transaction.atomic
def create_account(
    by: User,
    *,
    username: str,
    role: str,
    places: Sequence[Place],
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    phone: str = "",
    language: str = "",
) -> tuple[User, str]:
    """A new user with a role and place scopes inside `by`'s places, and a temporary password
    they must change at their first log-in (returned, to be handed over; never stored in the
    clear). Raises ValidationError naming the fields."""
    require_user_manager(by)
    user = User(
        username=(username or "").strip(),
        role=role,
        first_name=(first_name or "").strip(),
        last_name=(last_name or "").strip(),
        email=(email or "").strip(),
        language=(language or "").strip(),
        must_change_password=True,
        is_staff=role in POLICY and Can.USE_ADMIN_SITE in POLICY[role],
    )
    errors: dict[str, list[str]] = {}
    try:
        user.phone = normalise_phone(phone)
    except ValidationError as exc:
        errors["phone"] = exc.messages
    try:
        user.full_clean(exclude=["password", "role", "phone"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if role_error := _role_error(role):
        errors["role"] = [role_error]
    if places_errors := _places_errors(by, places):
        errors["places"] = places_errors
    if errors:
        raise ValidationError(errors)
    password = temporary_password(user)
    user.set_password(password)
    user.save()
    Scope.objects.bulk_create([Scope(user=user, place=place) for place in places])
    _log(by, user, ADDITION, [{"added": {}}, {"added": {"name": ROLE, "object": role}},
                              *_scopes_changed(places, [])])  # fmt: skip
    announce(User, days=None, by=by)
    return user, password


@transaction.atomic
def update_account(
    by: User,
    user: User,
    *,
    role: str,
    places: Sequence[Place],
    is_active: bool,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    phone: str | None = None,
    language: str | None = None,
) -> list[str]:
    """Change a user's name, e-mail, role, place scopes or whether they may log in. Returns
    the names of the fields changed; raises ValidationError naming the fields."""
    require_user_manager(by)
    user = manageable_user(by, user.pk)  # the rows as they are now, and refused if not ours
    held = {s.place_id: s.place for s in Scope.objects.filter(user=user).select_related("place")}
    before_places = set(held)
    errors: dict[str, list[str]] = {}
    if role_error := _role_error(role):
        errors["role"] = [role_error]
    if places_errors := _places_errors(by, places):
        errors["places"] = places_errors
    if user.pk == by.pk:
        # Another administrator must: nobody locks themselves out by a slip of the mouse.
        if role != user.role:
            errors.setdefault("role", []).append(
                _("You cannot change your own role; another administrator can.")
            )
        if not is_active:
            errors.setdefault("is_active", []).append(
                _("You cannot deactivate yourself; another administrator can.")
            )
        if {p.pk for p in places} != set(before_places):
            errors.setdefault("places", []).append(
                _("You cannot change your own places; another administrator can.")
            )
    values: dict[str, Any] = {
        "first_name": (first_name or "").strip(),
        "last_name": (last_name or "").strip(),
        "email": (email or "").strip(),
        "role": role,
        "is_active": bool(is_active),
    }
    if language is not None:
        values["language"] = (language or "").strip()
    if phone is not None:
        try:
            values["phone"] = normalise_phone(phone)
        except ValidationError as exc:
            errors.setdefault("phone", []).extend(exc.messages)
    before = {field: getattr(user, field) for field in values}
    for field, value in values.items():
        setattr(user, field, value)
    try:
        user.full_clean(exclude=["password", "role", "username", "phone"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    changed = [field for field, value in values.items() if before[field] != value]
    if "role" in changed:
        user.is_staff = user.is_superuser or Can.USE_ADMIN_SITE in POLICY[role]
    user.save()
    wanted = {p.pk: p for p in places}
    if set(wanted) != set(before_places):
        Scope.objects.filter(user=user).exclude(place_id__in=list(wanted)).delete()
        Scope.objects.bulk_create(
            [Scope(user=user, place=p) for pk, p in wanted.items() if pk not in before_places]
        )
        changed.append("places")
    if changed:
        parts: list[dict[str, Any]] = []
        fields = [f for f in changed if f != "places"]
        if fields:
            parts.append({"changed": {"fields": _fields(User, fields)}})
        if "role" in changed:
            parts.append({"added": {"name": ROLE, "object": role}})
        parts += _scopes_changed(
            [p for pk, p in wanted.items() if pk not in before_places],
            [p for pk, p in held.items() if pk not in wanted],
        )
        _log(by, user, CHANGE, parts)
        announce(User, days=None, by=by)
    return changed


@transaction.atomic
def reset_password(by: User, user: User) -> str:
    """Give the user a new temporary password (returned, to be handed over) that they must
    change at their next log-in; their open sessions end, and the lock on their user name
    after too many wrong passwords is lifted."""
    user = manageable_user(by, user.pk)
    if user.pk == by.pk:
        raise ValidationError({"password": [_("Change your own password from the password page.")]})
    password = temporary_password(user)
    user.set_password(password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    # Someone locked out after too many wrong passwords can log in with the new one at once.
    axes_reset(username=user.username)
    _log(by, user, CHANGE, [{"changed": {"fields": [TEMPORARY_PASSWORD]}}])
    announce(User, days=None, by=by)
    return password


@transaction.atomic
def reset_two_factor(by: User, user: User) -> int:
    """Forget the user's authenticator apps (a lost phone): their next log-in sets one up."""
    user = manageable_user(by, user.pk)
    if user.pk == by.pk:
        raise ValidationError(
            {"second_factor": [_("Another administrator must reset your own second factor.")]}
        )
    devices = list(TOTPDevice.objects.filter(user=user).values_list("name", flat=True))
    removed = reset_second_factor(user)
    parts = [{"deleted": {"name": AUTHENTICATOR, "object": name}} for name in devices]
    _log(by, user, CHANGE, parts or [{"changed": {"fields": [AUTHENTICATOR]}}])
    announce(User, days=None, by=by)
    return removed


@transaction.atomic
def choose_password(user: User, password: str) -> None:
    """The user's own new password (checked against the password rules), ending the demand
    to change a temporary one."""
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"new_password1": exc.messages}) from None
    user.set_password(password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    _log(user, user, CHANGE, [{"changed": {"fields": _fields(User, ["password"])}}])


def second_factor_enrolled(user: User) -> bool:
    return has_second_factor(user)


# -- places ----------------------------------------------------------------------------------


def manageable_place(by: User, pk: int) -> Place:
    """One place inside `by`'s places (Place.DoesNotExist for any other)."""
    return manageable_places(by).get(pk=pk)


@transaction.atomic
def edit_place(
    by: User,
    place: Place,
    *,
    name: str,
    site_type: str = "",
    latitude: Any = None,
    longitude: Any = None,
) -> list[str]:
    """Rename a place inside `by`'s places, or change a site's type or position."""
    place = manageable_place(by, place.pk)
    changed = update_place(
        place, name=name, site_type=site_type, latitude=latitude, longitude=longitude
    )
    if changed:
        _log(by, place, CHANGE, [{"changed": {"fields": _fields(Place, changed)}}])
        announce(Place, days=None, by=by)
    return changed


@transaction.atomic
def add_place(
    by: User,
    *,
    parent: Place | None,
    code: str,
    name: str,
    kind: str,
    site_type: str = "",
    latitude: Any = None,
    longitude: Any = None,
) -> Place:
    """An area or a site inside one of `by`'s places (countries are added on the server)."""
    require_place_manager(by)
    errors: dict[str, list[str]] = {}
    if kind not in (PlaceKind.AREA, PlaceKind.SITE):
        errors["kind"] = [_("Choose an area or a site.")]
    if parent is None:
        errors["parent"] = [_("Choose the place it belongs to.")]
    elif not in_scope(by, parent):
        errors["parent"] = [_("%(place)s is not within your places.") % {"place": parent.name}]
    if errors:
        raise ValidationError(errors)
    place = create_place(
        code=code,
        name=name,
        kind=kind,
        parent=parent,
        site_type=site_type,
        latitude=latitude,
        longitude=longitude,
    )
    _log(by, place, ADDITION, [{"added": {}}])
    announce(Place, days=None, by=by)
    return place


# -- the first administrator, made on the server -----------------------------------------------


@transaction.atomic
def make_administrator(username: str, codes: Sequence[str]) -> tuple[User, str | None, list[str]]:
    """On the server (`mhis administrator`): make `username` an administrator of the places with
    `codes`, creating the user (with a temporary password, returned, to change at the first
    log-in) and any country named by an ISO code that is not yet a place. Returns the user,
    the temporary password (None for an existing user, whose password stays) and the codes of
    the countries added. ValueError says what is wrong."""
    places: list[Place] = []
    added: list[str] = []
    for code in codes:
        place = Place.objects.filter(code=code).first()
        if place is None:
            try:
                iso = normalise_country(code)
            except ValueError:
                raise ValueError(f"No place has the code {code!r}.") from None
            place = Place.objects.filter(code=iso, kind=PlaceKind.COUNTRY).first() or create_place(
                code=iso, name=country_name(iso), kind=PlaceKind.COUNTRY, country_code=iso
            )
            added.append(place.code)
        places.append(place)
    if not places:
        raise ValueError("Name at least one place: an administrator with no place sees nobody.")
    user = User.objects.filter(username=username).first()
    password: str | None = None
    if user is None:
        user = User(username=username, must_change_password=True)
        try:
            user.full_clean(exclude=["password"])
        except ValidationError as exc:
            raise ValueError("; ".join(exc.messages)) from None
        password = temporary_password(user)
        user.set_password(password)
    user.role = Role.ADMINISTRATOR
    user.is_staff = True
    user.save()
    have = set(Scope.objects.filter(user=user).values_list("place_id", flat=True))
    new = [p for p in places if p.pk not in have]
    Scope.objects.bulk_create([Scope(user=user, place=p) for p in new])
    first: dict[str, Any] = {"added": {}} if password else {"changed": {"fields": [ROLE]}}
    _log(user, user, ADDITION if password else CHANGE,
         [first, {"added": {"name": ROLE, "object": user.role}}, *_scopes_changed(new, [])])  # fmt: skip
    announce(User, days=None)
    return user, password, added
