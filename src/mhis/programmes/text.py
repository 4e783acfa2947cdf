"""Text of the compendium made comparable across languages."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Text for matching in any language: case folded, accents taken off Latin letters
    (vacunación → vacunacion), other scripts kept whole (Thai and Burmese marks are letters)."""
    out = []
    for ch in unicodedata.normalize("NFKD", text or ""):
        if unicodedata.category(ch) == "Mn" and out and out[-1] < "\u0250":
            continue
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out)).casefold()
