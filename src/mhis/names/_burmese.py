"""Burmese and Karen names in the Latin spellings of passports, permits and clinic cards.

A Burmese name is a run of syllables written without spaces (``နော်ဝါဝါမိုး``); on a
passport each syllable is a Latin word (Naw Wa Wa Moe). :func:`syllables` cuts the written
name into syllables; :func:`romanise_syllable` spells one: a table of the syllables names are
made of, in the spelling in use on documents, then, for the rest, rules for the parts of a
syllable (initial, medials, vowel and final) in the same conventional style.

The conventions (see ADR 0003, amendment): the Myanmar Language Commission's and the
BGN/PCGN romanisations of Burmese describe the sounds; names on documents use the older
conventional spellings instead (ကျော် Kyaw, ထွန်း Htun, မိုး Moe, ဦး U), each syllable a word.
"""

from __future__ import annotations

import re
import unicodedata
from itertools import pairwise

ASAT = "\u103a"  # ် killer: the consonant before it closes the syllable
VIRAMA = "\u1039"  # ္ stacks the next consonant under this one
DOT_BELOW = "\u1037"  # ့ creaky tone
VISARGA = "\u1038"  # း high tone

# A syllable starts at a consonant or an independent vowel, unless the consonant closes the
# syllable before (it carries the asat, maybe after the creaky dot, or the virama that
# stacks the next consonant, which starts the next syllable: သဉ္ဇာ Thin Zar).
_START = re.compile(
    r"(?=[\u1000-\u102a\u103f\u104c-\u104f\u105a-\u105d\u1061\u1065\u1066"
    r"\u106e-\u1070\u1075-\u1081\u108e])(?![\u1000-\u102a][\u1037]?[\u103a\u1039])"
)

# Syllables of names, in the spelling used on documents; first the honorifics and titles
# that come before a name (see HONORIFICS below), then common name syllables. Where the
# rules below give the same spelling the entry is there all the same: the table is also
# the list of spellings that are checked by the tests.
SYLLABLES: dict[str, str] = {
    # Titles (Burmese, Karen, Mon, Shan, Pa-O).
    "ဦး": "U",
    "ဒေါ်": "Daw",
    "ကို": "Ko",
    "မ": "Ma",
    "မောင်": "Maung",
    "နော်": "Naw",
    "စော": "Saw",
    "မိ": "Mi",
    "နန်း": "Nang",
    "စိုင်း": "Sai",
    "ခွန်": "Khun",
    "စဝ်": "Sao",
    # Name syllables.
    "အောင်": "Aung",
    "ကျော်": "Kyaw",
    "ဇော်": "Zaw",
    "ထွန်း": "Htun",
    "လွင်": "Lwin",
    "နေ": "Nay",
    "မင်း": "Min",
    "သန့်": "Thant",
    "ခိုင်": "Khaing",
    "စိုး": "Soe",
    "မိုး": "Moe",
    "ဝါ": "Wa",
    "ဝင်း": "Win",
    "မြင့်": "Myint",
    "မြတ်": "Myat",
    "မြ": "Mya",
    "စု": "Su",
    "ဆု": "Hsu",
    "ကြည်": "Kyi",
    "ကြီး": "Gyi",
    "လှ": "Hla",
    "ခင်": "Khin",
    "နိုင်": "Naing",
    "သိန်း": "Thein",
    "ထက်": "Htet",
    "ဖြိုး": "Phyo",
    "သူ": "Thu",
    "ဖြူ": "Phyu",
    "နှင်း": "Hnin",
    "အေး": "Aye",
    "သန်း": "Than",
    "တင်": "Tin",
    "သီ": "Thi",
    "ဒါ": "Da",
    "ဇင်": "Zin",
    "ထား": "Htar",
    "ဝေ": "Wai",
    "ရဲ": "Ye",
    "ချို": "Cho",
    "ညို": "Nyo",
    "ထူး": "Htoo",
    "ပေါ": "Paw",
    "လာ": "Lar",
    "မာ": "Mar",
    "အုန်း": "Ohn",
    "အိ": "Ei",
    "အိမ့်": "Eaint",
    "မွန်": "Mon",
    "ဖုန်း": "Phone",
    "ပိုင်": "Paing",
    "ဟိန်း": "Hein",
    "ရှိန်း": "Shein",
    "ဆွေ": "Swe",
    "ဆန်း": "San",
    "စန်း": "San",
    "ညွန့်": "Nyunt",
    "ရီ": "Yi",
    "ယု": "Yu",
    "ဗိုလ်": "Bo",
    "ဘ": "Ba",
    "ဘို": "Bo",
    "ကောင်း": "Kaung",
    "ခန့်": "Khant",
    "ပြည့်": "Pyae",
    "ပြည်": "Pyi",
    "သွေး": "Thway",
    "နွယ်": "Nwe",
    "ဇာ": "Zar",
    "ချမ်း": "Chan",
    "မြေ့": "Myae",
    "ငြိမ်း": "Nyein",
    "ဟန်": "Han",
    "ယဉ်": "Yin",
    "ရင်": "Yin",
    "ကြူ": "Kyu",
    "အဲ": "Eh",
    "ဂျူ": "Ju",
}

# Other spellings of the same syllables seen on documents, as folded word -> conventional
# spelling (search treats them as the same word). Titles first.
VARIANTS: dict[str, str] = {
    "mg": "maung",
    "nan": "nang",
    "tun": "htun",
    "htoon": "htun",
    "nae": "nay",
    "ne": "nay",
    "khine": "khaing",
    "so": "soe",
    "mo": "moe",
}

# Titles before a Burmese, Karen, Mon or Shan name: optional in a search, dropped when
# names are compared. Not Maung: as often a name as a title.
HONORIFICS = frozenset({"ဦး", "ဒေါ်", "ကို", "မ", "နော်", "စော", "မိ", "နန်း", "စိုင်း", "ခွန်", "စဝ်"})
HONORIFICS_LATIN = frozenset(
    {"u", "daw", "ko", "ma", "naw", "saw", "mi", "nang", "nan", "sai", "khun", "sao", "sr", "sra"}
)

# -- rules for the syllables the table does not hold ---------------------------------------------

_INITIALS = {
    "က": "K", "ခ": "Kh", "ဂ": "G", "ဃ": "G", "င": "Ng", "စ": "S", "ဆ": "Hs", "ဇ": "Z",
    "ဈ": "Z", "ည": "Ny", "ဉ": "Ny", "ဋ": "T", "ဌ": "Ht", "ဍ": "D", "ဎ": "D", "ဏ": "N",
    "တ": "T", "ထ": "Ht", "ဒ": "D", "ဓ": "D", "န": "N", "ပ": "P", "ဖ": "Ph", "ဗ": "B",
    "ဘ": "B", "မ": "M", "ယ": "Y", "ရ": "Y", "လ": "L", "ဝ": "W", "သ": "Th", "ဟ": "H",
    "ဠ": "L", "အ": "", "ဿ": "Th",
}  # fmt: skip
# Initial + medial ya (ျ) or ra (ြ): ကျ Ky, ချ Ch, ပြ Py, ဖြ Phy, မြ My.
_WITH_Y = {
    "K": "Ky",
    "Kh": "Ch",
    "G": "Gy",
    "P": "Py",
    "Ph": "Phy",
    "B": "By",
    "M": "My",
    "L": "Ly",
}
# Initial + medial ha (ှ): လှ Hl, မှ Hm, နှ Hn, ရှ Sh, ယှ Sh, ဝှ Wh.
_WITH_H = {"L": "Hl", "M": "Hm", "N": "Hn", "Ng": "Hng", "Ny": "Hny", "Y": "Sh", "W": "Wh"}
_INDEPENDENT = {"ဣ": "I", "ဤ": "I", "ဥ": "U", "ဦ": "U", "ဧ": "Ay", "ဩ": "Aw", "ဪ": "Aw"}
# Vowel signs (as written, in storage order) + final consonant -> rhyme.
_RHYMES = {
    ("", ""): "a", ("ါ", ""): "a", ("ာ", ""): "a",
    ("ိ", ""): "i", ("ီ", ""): "i", ("ု", ""): "u", ("ူ", ""): "u",
    ("ေ", ""): "ay", ("ဲ", ""): "e", ("ေါ", ""): "aw", ("ော", ""): "aw",
    ("ို", ""): "o", ("ံ", ""): "an", ("ုံ", ""): "one", ("ိုံ", ""): "ome",
    ("", "က"): "et", ("", "င"): "in", ("", "စ"): "it", ("", "ည"): "i", ("", "ဉ"): "in",
    ("", "တ"): "at", ("", "န"): "an", ("", "ပ"): "at", ("", "မ"): "an", ("", "ယ"): "e",
    ("", "ဏ"): "an", ("", "လ"): "an",
    ("ိ", "တ"): "eik", ("ိ", "န"): "ein", ("ိ", "ပ"): "eik", ("ိ", "မ"): "ein",
    ("ု", "တ"): "oke", ("ု", "န"): "one", ("ု", "ပ"): "oke", ("ု", "မ"): "one",
    ("ေါ", "က"): "auk", ("ော", "က"): "auk", ("ေါ", "င"): "aung", ("ော", "င"): "aung",
    ("ို", "က"): "aik", ("ို", "င"): "aing", ("ေါ", "်"): "aw", ("ော", "်"): "aw",
    ("ို", "လ"): "o",
}  # fmt: skip
_MEDIALS = "\u103b\u103c\u103d\u103e"  # ျ ြ ွ ှ
_VOWEL_SIGNS = "\u102b\u102c\u102d\u102e\u102f\u1030\u1031\u1032\u1036"
_TONES = DOT_BELOW + VISARGA


def syllables(text: str) -> list[str]:
    """A Burmese word cut into its syllables: ``နော်ဝါဝါမိုး`` -> နော်, ဝါ, ဝါ, မိုး."""
    text = unicodedata.normalize("NFC", text)
    cuts = [m.start() for m in _START.finditer(text)]
    if not cuts or cuts[0] != 0:
        cuts.insert(0, 0)
    cuts.append(len(text))
    return [text[a:b] for a, b in pairwise(cuts) if a < b]


def _by_rule(syllable: str) -> str | None:
    """A syllable spelled from its parts, or None when it has a part the rules do not know."""
    rest = syllable
    first = rest[0]
    if first in _INDEPENDENT:
        latin, rest = _INDEPENDENT[first], rest[1:]
        return latin if not rest.strip(_TONES) else None
    if first not in _INITIALS:
        return None
    initial, rest = _INITIALS[first], rest[1:]
    medial_w = False
    while rest and rest[0] in _MEDIALS:
        mark, rest = rest[0], rest[1:]
        if mark in "\u103b\u103c":
            initial = _WITH_Y.get(initial, initial + "y")
        elif mark == "\u103d":
            medial_w = True
        elif mark == "\u103e":
            initial = _WITH_H.get(initial, "H" + initial.lower() if initial else "H")
    vowel = ""
    while rest and rest[0] in _VOWEL_SIGNS:
        vowel, rest = vowel + rest[0], rest[1:]
    creaky = DOT_BELOW in rest
    high = VISARGA in rest
    rest = rest.replace(DOT_BELOW, "").replace(VISARGA, "")
    final = ""
    if rest:
        if len(rest) == 2 and rest[1] in (ASAT, VIRAMA):
            final = rest[0]
        elif rest == ASAT:
            final = ASAT
        else:
            return None
    if medial_w and final in ("န", "တ", "မ", "ပ") and not vowel:
        rhyme = {"န": "un", "မ": "un", "တ": "ut", "ပ": "ut"}[final]
        medial_w = False
    else:
        rhyme = _RHYMES.get((vowel, final))  # type: ignore[assignment]
        if rhyme is None:
            return None
    if creaky and final in ("င", "န") and rhyme.endswith("n"):
        rhyme += "t"  # မြင့် Myint, သန့် Thant
    if vowel == "ို" and not final and high and len(initial) <= 1:
        rhyme = "oe"  # မိုး Moe, စိုး Soe (but ဖြိုး Phyo)
    if medial_w:
        initial += "w"
    if not initial:  # the vowel carrier အ
        spelled = {"a": "A", "i": "Ei", "u": "U", "ay": "Ay", "e": "Eh", "o": "O", "one": "Ohn"}
        return spelled.get(rhyme, rhyme.capitalize())
    return initial + rhyme


def romanise_syllable(syllable: str) -> str | None:
    """The conventional spelling of one syllable, or None when it cannot be read."""
    known = SYLLABLES.get(syllable)
    if known is not None:
        return known
    return _by_rule(syllable)


def romanise_burmese(word: str) -> list[str] | None:
    """A Burmese word as Latin words, one a syllable (two syllables the table knows together
    first), or None when a syllable cannot be read (the caller then transliterates)."""
    parts = syllables(word)
    out: list[str] = []
    i = 0
    while i < len(parts):
        pair = "".join(parts[i : i + 2])
        if i + 1 < len(parts) and pair in SYLLABLES:
            out.append(SYLLABLES[pair])
            i += 2
            continue
        latin = romanise_syllable(parts[i])
        if latin is None:
            return None
        out.append(latin)
        i += 1
    return out


def strip_honorifics(word: str) -> str:
    """A Burmese word without the titles it starts with (``နော်ဝါဝါမိုး`` -> ``ဝါဝါမိုး``),
    unchanged when nothing else is left."""
    parts = syllables(word)
    i = 0
    while i < len(parts) - 1 and parts[i] in HONORIFICS:
        i += 1
    return "".join(parts[i:])
