"""Standard code lists used across apps: ISO 3166-1 countries and ISO 639 languages (pycountry)."""

from __future__ import annotations

from functools import lru_cache

import pycountry
from django.utils.translation import gettext as _


@lru_cache(maxsize=1024)
def normalise_country(code: str) -> str:
    """ISO 3166-1 alpha-2 code for an alpha-2 or alpha-3 code; ValueError if there is none."""
    value = (code or "").strip().upper()
    country = None
    if len(value) == 2:
        country = pycountry.countries.get(alpha_2=value)
    elif len(value) == 3:
        country = pycountry.countries.get(alpha_3=value)
    if country is None:
        raise ValueError(_("“%(code)s” is not an ISO 3166-1 country code.") % {"code": code})
    return country.alpha_2


@lru_cache(maxsize=1024)
def country_of(text: str) -> str:
    """ISO 3166-1 alpha-2 code for an alpha-2 or alpha-3 code or a country's English name
    (common, short or official: "Myanmar", "Viet Nam", "Lao People's Democratic Republic");
    ValueError if it names no country."""
    value = (text or "").strip()
    if len(value) in (2, 3):
        try:
            return normalise_country(value)
        except ValueError:
            pass
    try:
        return pycountry.countries.lookup(value).alpha_2
    except LookupError:
        pass
    raise ValueError(
        _("“%(text)s” is not a country (an ISO 3166-1 code or a country's English name).")
        % {"text": text}
    )


@lru_cache(maxsize=1024)
def normalise_language(code: str) -> str:
    """ISO 639 code (639-1 where one exists, else 639-3) for a 639-1/-2/-3 code."""
    value = (code or "").strip().lower()
    language = None
    if len(value) == 2:
        language = pycountry.languages.get(alpha_2=value)
    elif len(value) == 3:
        language = pycountry.languages.get(alpha_3=value) or pycountry.languages.get(
            bibliographic=value
        )
    if language is None:
        raise ValueError(_("“%(code)s” is not an ISO 639 language code.") % {"code": code})
    return getattr(language, "alpha_2", None) or language.alpha_3


def country_name(code: str) -> str:
    country = pycountry.countries.get(alpha_2=code) if code else None
    return country.name if country else code


def language_name(code: str) -> str:
    language = (
        pycountry.languages.get(alpha_2=code)
        if len(code) == 2
        else pycountry.languages.get(alpha_3=code)
    )
    return language.name if language else code


@lru_cache(maxsize=1)
def country_choices() -> list[tuple[str, str]]:
    return sorted(((c.alpha_2, c.name) for c in pycountry.countries), key=lambda item: item[1])
