"""Creating places and asking the tree questions. Every write goes through here."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from mhis.codelists import normalise_country

from .models import Place, PlaceKind, SiteType


def _coordinate(value, field: str, limit: int) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValidationError({field: _("Enter a number.")}) from None
    if not number.is_finite() or abs(number) > limit:
        raise ValidationError(
            {field: _("Must be between -%(limit)s and %(limit)s.") % {"limit": limit}}
        )
    return number.quantize(Decimal("0.000001"))


@transaction.atomic
def create_place(
    *,
    code: str,
    name: str,
    kind: str,
    parent: Place | None = None,
    country_code: str | None = None,
    site_type: str = "",
    latitude=None,
    longitude=None,
) -> Place:
    """Add a place under `parent` (a country has none); raise ValidationError naming the field."""
    errors: dict[str, str] = {}
    code = (code or "").strip()
    name = " ".join((name or "").split())
    if not code:
        errors["code"] = _("This field is required.")
    elif Place.objects.filter(code=code).exists():
        errors["code"] = _("A place with this code already exists.")
    if not name:
        errors["name"] = _("This field is required.")
    if kind not in PlaceKind.values:
        errors["kind"] = _("Unknown place kind.")
    if kind == PlaceKind.COUNTRY:
        if parent is not None:
            errors["parent"] = _("A country has no parent.")
        try:
            country_code = normalise_country(country_code or code)
        except ValueError as exc:
            errors["country_code"] = str(exc)
    elif parent is None:
        errors["parent"] = _("Areas and sites belong to a parent place.")
    else:
        if parent.kind == PlaceKind.SITE:
            errors["parent"] = _("A site cannot contain other places.")
        country_code = parent.country_code
    if kind == PlaceKind.SITE and site_type not in SiteType.values:
        errors["site_type"] = _("Choose a site type.")
    if kind != PlaceKind.SITE:
        site_type = ""
    try:
        lat = _coordinate(latitude, "latitude", 90)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        lat = None
    try:
        lon = _coordinate(longitude, "longitude", 180)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        lon = None
    if errors:
        raise ValidationError(errors)
    place = Place.objects.create(
        code=code,
        name=name,
        kind=kind,
        parent=parent,
        country_code=country_code,
        site_type=site_type,
        latitude=lat,
        longitude=lon,
        level=0 if parent is None else parent.level + 1,
        path="",
    )
    place.path = f"{parent.path if parent else '/'}{place.pk}/"
    place.save(update_fields=["path"])
    return place


@transaction.atomic
def update_place(
    place: Place,
    *,
    name: str,
    site_type: str = "",
    latitude=None,
    longitude=None,
) -> list[str]:
    """Rename a place, or change a site's type and position; its code, kind and parent stay
    (imports and the place paths rest on them). Returns the names of the fields changed;
    raises ValidationError naming the field."""
    errors: dict[str, str] = {}
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = _("This field is required.")
    if place.kind == PlaceKind.SITE:
        if site_type not in SiteType.values:
            errors["site_type"] = _("Choose a site type.")
    else:
        site_type = ""
    values: dict[str, object] = {"name": name, "site_type": site_type}
    for field, limit, value in (("latitude", 90, latitude), ("longitude", 180, longitude)):
        try:
            values[field] = _coordinate(value, field, limit)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    changed = [field for field, value in values.items() if getattr(place, field) != value]
    for field in changed:
        setattr(place, field, values[field])
    if changed:
        place.save(update_fields=changed)
    return changed


def trails(places) -> dict[int, str]:
    """Each place with the places above it, from the country down ("Thailand › Tak › Mae
    Sot"), by id; one query for all the names."""
    chains = {p.pk: [int(i) for i in p.path.strip("/").split("/") if i] for p in places}
    ids = {i for chain in chains.values() for i in chain}
    names = dict(Place.objects.filter(pk__in=ids).values_list("pk", "name"))
    return {pk: " › ".join(names.get(i, "?") for i in chain) for pk, chain in chains.items()}


def under(paths, field: str | None = None) -> Q:
    """A condition on places (or on the place in `field`) lying under any of `paths`.

    A place counts as under itself; no paths matches nothing.
    """
    lookup = f"{field}__path__startswith" if field else "path__startswith"
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(**{lookup: path})
    return condition


def sites_within(places) -> list[Place]:
    """Every site under any of `places` (a place that is a site counts itself)."""
    return list(
        Place.objects.filter(under([p.path for p in places]), kind=PlaceKind.SITE).order_by("name")
    )
