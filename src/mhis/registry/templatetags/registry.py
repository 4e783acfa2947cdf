"""Labels for codes in pages: countries and languages in the reader's language, statuses, dates."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import template
from django.utils.formats import date_format

from mhis.codelists import country_label, language_label
from mhis.registry.codes import DatePrecision, MigrationStatus

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from mhis.registry.models import Person

register = template.Library()


@register.filter
def country(code: str) -> str:
    """ISO 3166-1 code → the country's name in the current language (the code when unknown)."""
    return country_label(code)


@register.filter
def language(code: str) -> str:
    """ISO 639 code → the language's name in the current language (the code when unknown)."""
    return language_label(code)


@register.filter
def migration_status(code: str) -> StrOrPromise:
    try:
        return MigrationStatus(code).label
    except ValueError:
        return code


@register.filter
def birth(person: Person) -> str:
    """A person's date of birth in the reader's language, with only the precision it has
    (1994; May 1994; 3 May 1994)."""
    if not person.birth_date:
        return ""
    if person.birth_date_precision == DatePrecision.YEAR:
        return str(person.birth_date.year)
    if person.birth_date_precision == DatePrecision.MONTH:
        return date_format(person.birth_date, "YEAR_MONTH_FORMAT")
    return date_format(person.birth_date, "SHORT_DATE_FORMAT")
