"""Standard code lists used across apps: ISO 3166-1 countries and ISO 639 languages (pycountry),
named in the reader's language from the translations pycountry ships (the iso3166-1, iso639-3
and iso639-5 catalogues) and sorted in that language's order."""

from __future__ import annotations

import gettext
import re
import unicodedata
from functools import lru_cache

import pycountry
from django.utils.translation import get_language
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
        language = (
            pycountry.languages.get(alpha_3=value)
            or pycountry.languages.get(bibliographic=value)
            # A collective code of ISO 639-2/639-5 ("kar", Karen languages).
            or pycountry.language_families.get(alpha_3=value)
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
        else pycountry.languages.get(alpha_3=code) or pycountry.language_families.get(alpha_3=code)
    )
    return language.name if language else code


# -- in the reader's language ------------------------------------------------------------------

# Languages offered first-hand besides those with a two-letter code: those spoken by the
# migrants MHIS serves that ISO 639-1 leaves out (Karen, Shan, Mon, Rohingya, Kachin, Chin,
# Hmong, the hill-tribe languages of northern Thailand, Isan, Dari, Central American languages).
# Any other ISO 639 code can still be typed.
REGIONAL_LANGUAGES = (
    "kar", "ksw", "pwo", "kjp", "blk", "kyu", "shn", "mnw", "rhg", "kac", "cnh", "cfm", "rki",
    "hmn", "lhu", "ahk", "lis", "tts", "nod", "khb", "yue", "cmn", "ceb", "tgl", "prs",
    "cab", "miq",
)  # fmt: skip
# Thai and Lao vowels written before the consonant they follow in speech; dictionaries sort
# by the consonant.
_LEADING_VOWELS = "เแโใไເແໂໃໄ"
_CODE_IN_BRACKETS = re.compile(r"\(\s*([A-Za-z]{2,3})\s*\)\s*$")


def _reader(language: str | None) -> str:
    return (language or get_language() or "en").split("-")[0]


@lru_cache(maxsize=64)
def _catalogue(domain: str, language: str) -> gettext.NullTranslations:
    return gettext.translation(domain, pycountry.LOCALES_DIR, languages=[language], fallback=True)


def collation_key(text: str) -> tuple[str, str]:
    """A key that sorts names as a reader expects, without a collation library: accents
    after the letter they sit on ("Émirats" with the E's), case ignored, Thai and Lao words by
    their first consonant."""
    words = [
        word[1] + word[0] + word[2:] if len(word) > 1 and word[0] in _LEADING_VOWELS else word
        for word in text.split(" ")
    ]
    reordered = " ".join(words)
    plain = "".join(
        c for c in unicodedata.normalize("NFKD", reordered) if not unicodedata.combining(c)
    )
    return plain.casefold(), reordered


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def country_label(code: str, language: str | None = None) -> str:
    """The country's name in `language` (the reader's when None); the code when unknown."""
    if not code:
        return ""
    return _catalogue("iso3166-1", _reader(language)).gettext(country_name(code))


def language_label(code: str, language: str | None = None) -> str:
    """The language's name in `language` (the reader's when None); the code when unknown."""
    if not code:
        return ""
    domain = "iso639-5" if pycountry.language_families.get(alpha_3=code) else "iso639-3"
    return _capital(_catalogue(domain, _reader(language)).gettext(language_name(code)))


@lru_cache(maxsize=16)
def _country_choices(language: str) -> tuple[tuple[str, str], ...]:
    named = ((c.alpha_2, country_label(c.alpha_2, language)) for c in pycountry.countries)
    return tuple(sorted(named, key=lambda item: collation_key(item[1])))


def country_choices(language: str | None = None) -> list[tuple[str, str]]:
    """Every country by its ISO 3166-1 alpha-2 code, named and sorted in `language` (the
    reader's when None)."""
    return list(_country_choices(_reader(language)))


@lru_cache(maxsize=16)
def _language_choices(language: str) -> tuple[tuple[str, str], ...]:
    codes = [lang.alpha_2 for lang in pycountry.languages if hasattr(lang, "alpha_2")]
    named = ((code, language_label(code, language)) for code in [*codes, *REGIONAL_LANGUAGES])
    return tuple(sorted(named, key=lambda item: collation_key(item[1])))


def language_choices(language: str | None = None) -> list[tuple[str, str]]:
    """The languages offered in lists (every one with an ISO 639-1 code and those of
    `REGIONAL_LANGUAGES`), named and sorted in `language` (the reader's when None)."""
    return list(_language_choices(_reader(language)))


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join(
        "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split()
    )


@lru_cache(maxsize=16)
def _language_names(language: str) -> dict[str, str]:
    """Every ISO 639-3 language and 639-5 family by its English name and its name in
    `language`, without accents or case → its code (the offered lists' names win a tie)."""
    names: dict[str, str] = {}
    everything = [
        *((lang, "iso639-3") for lang in pycountry.languages),
        *((family, "iso639-5") for family in pycountry.language_families),
    ]
    for lang, domain in everything:
        code = getattr(lang, "alpha_2", None) or lang.alpha_3
        translated = _catalogue(domain, language).gettext(lang.name)
        for name in (lang.name, translated):
            names.setdefault(_plain(name), code)
            # A family is also known by its bare name ("Karen languages": "Karen").
            names.setdefault(_plain(name.removesuffix(" languages")), code)
    for code, name in _language_choices(language):
        names[_plain(name)] = code
    return names


def language_of(text: str, language: str | None = None) -> str:
    """The ISO 639 code (as `normalise_language` stores it) of what someone typed: a code,
    a language's name in `language` (the reader's when None) or in English, or a list's
    "Name (code)"; ValueError naming the text when it is none of them."""
    value = (text or "").strip()
    bracketed = _CODE_IN_BRACKETS.search(value)
    if bracketed:
        value = bracketed.group(1)
    if 2 <= len(value) <= 3 and value.isascii() and value.isalpha():
        try:
            return normalise_language(value)
        except ValueError:
            pass
    code = _language_names(_reader(language)).get(_plain(value))
    if code is None:
        raise ValueError(
            _("“%(text)s” is not a language: pick one from the list or type its ISO 639 code.")
            % {"text": text.strip()}
        )
    return normalise_language(code)
