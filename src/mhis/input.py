"""Checking input for the write layers: one error collection keyed by field, and the checks.

Every service that takes a plain dict (from a form, a JSON body or an import row) uses these,
so the same problem gets the same message everywhere.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Annotated, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import AfterValidator, ValidationInfo

from mhis.access.services import in_scope, scope_site
from mhis.contracts import Day, RequiredDay, SiteCode, context_of
from mhis.dates import parse_date
from mhis.places.models import Place, PlaceKind

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from openpyxl.workbook.workbook import Workbook

    from mhis.access.models import User

MAX_TEXT = 4000
# -- scoped checks of the contracts (mhis.contracts): run when the service gives the context ---


def _own_site(code: Any, info: ValidationInfo) -> Any:
    """The site with this code in the writing user's places (the Place itself)."""
    user = context_of(info, "user")
    if user is None:
        return code
    site = scope_site(user, code)
    if site is None:
        raise ValueError(_("No site with this code in your places."))
    return site


def _after_birth(day: date | None, info: ValidationInfo) -> date | None:
    person = context_of(info, "person")
    if day and person is not None and person.birth_date and day < person.earliest_birth():
        raise ValueError(_("This date is before the person's date of birth."))
    return day


OwnSite = Annotated[SiteCode, AfterValidator(_own_site)]
CareDay = Annotated[RequiredDay, AfterValidator(_after_birth)]
OptionalCareDay = Annotated[Day, AfterValidator(_after_birth)]


class Errors(dict[str, list[str]]):
    def add(self, field: str, message: str) -> None:
        self.setdefault(field, []).append(str(message))

    def check(self) -> None:
        if self:
            raise ValidationError(dict(self))


def begin(data: Any, allowed: tuple[str, ...]) -> Errors:
    """Start checking `data`: it must be an object, and fields outside `allowed` are errors."""
    if not isinstance(data, Mapping):
        raise ValidationError({"__all__": [_("Expected an object.")]})
    errors = Errors()
    for field in sorted(set(data) - set(allowed)):
        errors.add(field, _("Unknown field."))
    return errors


@lru_cache(maxsize=256)
def _values(choices: type[models.TextChoices]) -> frozenset[str]:
    return frozenset(choices.values)


def clean_choice(
    value: Any,
    field: str,
    errors: Errors,
    choices: type[models.TextChoices],
    default: str | None = None,
) -> str:
    if value in (None, "") and default is not None:
        return default
    if value not in _values(choices):
        errors.add(
            field,
            _("“%(value)s” is not one of the allowed values: %(allowed)s.")
            % {"value": value, "allowed": ", ".join(choices.values)},
        )
        return default or ""
    chosen: str = value  # one of the choices' values
    return chosen


def clean_text(
    value: Any, field: str, errors: Errors, *, required: bool = False, limit: int = MAX_TEXT
) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.add(field, _("Expected text."))
        return ""
    text: str = value.strip()
    if required and not text:
        errors.add(field, _("This field is required."))
    if len(text) > limit:
        errors.add(field, _("At most %(n)s characters.") % {"n": limit})
    return text


def clean_date(
    value: Any, field: str, errors: Errors, *, required: bool = False, future: bool = False
) -> date | None:
    """A full date (YYYY-MM-DD); dates after today only with `future` (e.g. a coverage end)."""
    if value in (None, ""):
        if required:
            errors.add(field, _("This field is required."))
        return None
    if isinstance(value, date):
        parsed = value
    elif not isinstance(value, str):
        errors.add(field, _("Enter a date as YYYY-MM-DD."))
        return None
    else:
        try:
            parsed = parse_date(value)
        except ValueError as exc:
            errors.add(field, str(exc))
            return None
    if not future and parsed > timezone.localdate():
        errors.add(field, _("This date is in the future."))
        return None
    return parsed


def own_site(user: User | AnonymousUser, code: Any, field: str, errors: Errors) -> Place | None:
    site = (
        Place.objects.filter(code=code, kind=PlaceKind.SITE).first()
        if isinstance(code, str) and code
        else None
    )
    if not code:
        errors.add(field, _("This field is required."))
    elif site is None or not in_scope(user, site):
        errors.add(field, _("No site with this code in your places."))
        return None
    return site


def open_workbook(path: str | os.PathLike[str]) -> Workbook:
    """An XLSX workbook opened for streaming, once what it unpacks to is known to be within
    MHIS_IMPORT_MAX_UNPACKED_BYTES (an XLSX is a ZIP: a small file could otherwise expand into
    gigabytes; `mhis.uploads.check`, which imports run first, also counts its rows). A
    damaged, foreign or oversized file is refused naming `file`; what the reader said of it
    goes to the log only, since it can hold the file's path on this server."""
    import zipfile

    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(path) as archive:
            # Reads stop at each member's declared size (a member that lies fails its check).
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError):
        raise ValidationError({"file": _("Not a readable XLSX file.")}) from None
    limit = settings.MHIS_IMPORT_MAX_UNPACKED_BYTES
    if unpacked > limit:
        raise ValidationError(
            {
                "file": _(
                    "The workbook unpacks to %(size)s MB, more than the %(limit)s MB allowed."
                )
                % {"size": f"{unpacked / 1e6:,.0f}", "limit": f"{limit / 1e6:,.0f}"}
            }
        )
    try:
        return load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # a damaged or hostile workbook
        logging.getLogger(__name__).info("workbook refused: %s", exc)
        raise ValidationError({"file": _("Not a readable XLSX file.")}) from None
