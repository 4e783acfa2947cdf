"""Labels for codes in pages: countries and languages in the reader's language, statuses, dates."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import template
from django.utils.formats import date_format

from mhis import formtools
from mhis.codelists import country_label, language_label
from mhis.registry import banner
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


@register.inclusion_tag("includes/patient_banner.html", takes_context=True)
def patient_banner(
    context: template.Context, person: Person, heading: bool = False
) -> dict[str, Any]:
    """The banner of a page about `person` (`heading`: the person's name is the page's h1)."""
    return {**banner.patient_banner(person, context["request"].user), "heading": heading}


@register.filter
def sections(form: Any) -> list[dict[str, Any]]:
    """The form's fields in its short sections (mhis.formtools.sections)."""
    return formtools.sections(form)
