"""Labels for codes in pages: countries and languages in the reader's language, statuses, dates."""

from __future__ import annotations

import gettext
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import pycountry
from django import template
from django.utils.formats import date_format
from django.utils.translation import get_language

from mhis import formtools
from mhis.codelists import country_name, language_name
from mhis.registry import banner
from mhis.registry.codes import DatePrecision, MigrationStatus

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from mhis.registry.models import Person

register = template.Library()


@lru_cache(maxsize=32)
def _catalogue(domain: str, language: str) -> gettext.NullTranslations:
    return gettext.translation(domain, pycountry.LOCALES_DIR, languages=[language], fallback=True)


@register.filter
def country(code: str) -> str:
    """ISO 3166-1 code → the country's name in the current language (the code when unknown)."""
    if not code:
        return ""
    return _catalogue("iso3166-1", get_language() or "en").gettext(country_name(code))


@register.filter
def language(code: str) -> str:
    if not code:
        return ""
    return _catalogue("iso639-3", get_language() or "en").gettext(language_name(code))


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
