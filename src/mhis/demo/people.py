"""Synthetic people: names in their own script with the Latin spellings clinics really write.

Every draw comes from one ``random.Random``: the same seed gives the same world.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from mhis.names._lexicon import LEXICON

_BY_SCRIPT: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {}
for _script, _native, _latin, _variants in LEXICON:
    _BY_SCRIPT.setdefault(_script, []).append((_native, _latin, _variants))

_BURMESE_HONORIFICS = {"ဦး", "ဒေါ်", "ကို", "မ"}
BURMESE = [e for e in _BY_SCRIPT["Mymr"] if e[0] not in _BURMESE_HONORIFICS]
BURMESE_TITLES = {
    "female": [("မ", "Ma"), ("ဒေါ်", "Daw")],
    "male": [("မောင်", "Maung"), ("ကို", "Ko"), ("ဦး", "U")],
}
KAREN_TITLES = {"female": ("နော်", "Naw"), "male": ("စော", "Saw")}
KHMER_FAMILY = [
    e for e in _BY_SCRIPT["Khmr"] if e[1] in {"Sok", "Chan", "Kim", "Heng", "Ly", "Chea", "Mao"}
]
KHMER_GIVEN = [e for e in _BY_SCRIPT["Khmr"] if e not in KHMER_FAMILY]
LAO = _BY_SCRIPT["Laoo"]
THAI_GIVEN = [
    e
    for e in _BY_SCRIPT["Thai"]
    if e[1] in {"Somchai", "Somsak", "Wichai", "Suda", "Malee", "Prasert", "Somying"}
]
THAI_FAMILY = [e for e in _BY_SCRIPT["Thai"] if e not in THAI_GIVEN]
SINHALA_GIVEN = [
    e for e in _BY_SCRIPT["Sinh"] if e[1] in {"Nimal", "Kamala", "Sunil", "Chaminda", "Dilani"}
]
SINHALA_FAMILY = [e for e in _BY_SCRIPT["Sinh"] if e not in SINHALA_GIVEN]
NEPALI_GIVEN = [
    e for e in _BY_SCRIPT["Deva"] if e[1] in {"Ram", "Shyam", "Sita", "Gita", "Maya", "Laxmi"}
]
NEPALI_MIDDLE = [e for e in _BY_SCRIPT["Deva"] if e[1] in {"Bahadur", "Kumar"}]
NEPALI_FAMILY = [
    e
    for e in _BY_SCRIPT["Deva"]
    if e[1] in {"Thapa", "Gurung", "Tamang", "Shrestha", "Rai", "Sharma"}
]
VIETNAMESE_FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Võ", "Đặng"]
VIETNAMESE_GIVEN = ["Minh", "Lan", "Hùng", "Hương", "Tuấn", "Linh", "Dũng", "Thảo", "Phương", "Đức"]
SPANISH_GIVEN = {
    "female": ["María José", "Ana", "Dilcia", "Yeni", "Karla", "Sofía", "Lourdes", "Gabriela"],
    "male": ["José Luis", "Carlos", "Juan", "Wilmer", "Kevin", "Marvin", "Óscar", "Héctor"],
}
SPANISH_FAMILY = [
    "Hernández",
    "López",
    "Martínez",
    "Rodríguez",
    "García",
    "Mejía",
    "Flores",
    "Reyes",
    "Castro",
    "Zelaya",
    "Cruz",
    "Ramírez",
    "Velásquez",
    "Banegas",
]


@dataclass
class DemoName:
    text: str
    latin: str


def _spell(rng: random.Random, entry, variant_rate: float) -> str:
    _native, latin, variants = entry
    return rng.choice(variants) if variants and rng.random() < variant_rate else latin


def _strip_accents(text: str) -> str:
    import unicodedata

    return (
        "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
        .replace("đ", "d")
        .replace("Đ", "D")
    )


def make_name(rng: random.Random, culture: str, sex: str) -> DemoName:
    """A person's name as written in their script, with its conventional Latin spelling."""
    if culture in ("burmese", "karen"):
        parts = rng.sample(BURMESE, rng.choice((2, 2, 3)))
        if culture == "karen":
            title = KAREN_TITLES.get(sex)
        else:
            title = (
                rng.choice(BURMESE_TITLES[sex])
                if sex in BURMESE_TITLES and rng.random() < 0.3
                else None
            )
        text = "".join(p[0] for p in parts)
        latin = " ".join(p[1] for p in parts)
        if title:
            text = f"{title[0]}{text}" if culture == "burmese" else f"{title[0]} {text}"
            latin = f"{title[1]} {latin}"
        return DemoName(text, latin)
    if culture == "khmer":
        family, given = rng.choice(KHMER_FAMILY), rng.choice(KHMER_GIVEN)
        return DemoName(f"{family[0]} {given[0]}", f"{family[1]} {given[1]}")
    if culture == "lao":
        given, family = rng.sample(LAO, 2), rng.sample(LAO, 2)
        return DemoName(
            f"{given[0][0]}{given[1][0]} {family[0][0]}{family[1][0]}",
            f"{given[0][1]}{given[1][1].lower()} {family[0][1]}{family[1][1].lower()}",
        )
    if culture == "thai":
        given, family = rng.choice(THAI_GIVEN), rng.choice(THAI_FAMILY)
        return DemoName(f"{given[0]} {family[0]}", f"{given[1]} {family[1]}")
    if culture == "sinhala":
        given, family = rng.choice(SINHALA_GIVEN), rng.choice(SINHALA_FAMILY)
        return DemoName(f"{given[0]} {family[0]}", f"{given[1]} {family[1]}")
    if culture == "nepali":
        given, family = rng.choice(NEPALI_GIVEN), rng.choice(NEPALI_FAMILY)
        middle = rng.choice(NEPALI_MIDDLE) if sex == "male" and rng.random() < 0.6 else None
        parts = [given, middle, family] if middle else [given, family]
        return DemoName(" ".join(p[0] for p in parts), " ".join(p[1] for p in parts))
    if culture == "vietnamese":
        middle = "Thị" if sex == "female" else "Văn"
        text = f"{rng.choice(VIETNAMESE_FAMILY)} {middle} {rng.choice(VIETNAMESE_GIVEN)}"
        return DemoName(text, "")
    if culture == "spanish":
        given = rng.choice(SPANISH_GIVEN.get(sex) or SPANISH_GIVEN["female"])
        first, second = rng.sample(SPANISH_FAMILY, 2)
        return DemoName(f"{given} {first} {second}", "")
    raise ValueError(f"unknown name culture {culture!r}")


def variant_of(rng: random.Random, culture: str, name: DemoName) -> DemoName:
    """The same name as another clinic writes it: another Latin spelling, order, or script."""
    if culture in ("burmese", "karen"):
        native = {e[1]: e for e in _BY_SCRIPT["Mymr"]}
        words = []
        for word in name.latin.split():
            entry = native.get(word)
            words.append(_spell(rng, entry, 0.7) if entry else word)
        if words and words[0] in ("Ma", "Daw", "U", "Ko") and rng.random() < 0.5:
            words = words[1:]
        latin = " ".join(words)
        if rng.random() < 0.3:
            latin = latin.upper()
        # Half the duplicates were registered with the Latin spelling only.
        return DemoName(latin if rng.random() < 0.5 else name.text, latin)
    if culture in ("vietnamese", "spanish"):
        text = _strip_accents(name.text)
        words = text.split()
        if culture == "spanish" and len(words) > 2 and rng.random() < 0.6:
            words = words[:-1]  # the second surname dropped
        if culture == "vietnamese" and rng.random() < 0.5:
            words = [*words[1:], words[0]]  # given name first
        return DemoName(" ".join(words), "")
    if culture == "khmer" and rng.random() < 0.5:
        family, given = name.latin.split(" ", 1)
        return DemoName(f"{given} {family}".upper(), "")
    words = []
    for word in name.latin.split():
        entry = LEXICON_BY_LATIN.get(word)
        words.append(_spell(rng, entry, 0.8) if entry else word)
    if culture == "sinhala" and len(words) > 1 and rng.random() < 0.5:
        words = [f"{words[0][0]}.", *words[1:]]  # given name as an initial
    return DemoName(" ".join(words), "")


LEXICON_BY_LATIN = {latin: (native, latin, variants) for _s, native, latin, variants in LEXICON}


def birth(rng: random.Random, today: date) -> tuple[date, str]:
    """A date of birth with the precision a registration often has."""
    age = max(0, min(85, int(rng.gauss(31, 12))))
    day = today - timedelta(days=age * 365 + rng.randrange(365))
    roll = rng.random()
    if roll < 0.6:
        return day, "exact"
    if roll < 0.75:
        return date(day.year, day.month, 1), "month"
    if roll < 0.95:
        return date(day.year, 1, 1), "year"
    return day, "estimated"


def identifier_value(rng: random.Random, kind: str, country: str) -> str:
    digits = "".join(rng.choice("0123456789") for _ in range(8))
    if kind == "passport":
        return f"{chr(65 + rng.randrange(26))}{chr(65 + rng.randrange(26))}{digits[:7]}"
    if kind == "work_permit":
        return f"WP-{digits}"
    if kind == "refugee_number":
        return f"MLA-{digits[:6]}"
    if kind == "national_id":
        if country == "HN":
            return f"0{rng.randrange(1, 19):02d}1-{rng.randrange(1950, 2008)}-{digits[:5]}"
        return f"{country}{digits}{rng.randrange(10)}"
    return f"C{digits[:6]}"
