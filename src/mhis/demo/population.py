"""An evaluation population for record linkage: people registered one to five times, at
different sites and countries, as registries really write them.

Built from documented naming conventions (sources in ``bench/linkage/README.md``):

- **Burmese**: no family name; a name of one to four syllables, preceded by an honorific
  that follows age and sex (Maung/Mg for a boy, Ko for a young man, U for an older man;
  Ma for a girl or young woman, Daw for an older woman), dropped or changed from one
  registration to the next; syllables written apart or joined ("Thi Da", "Thida").
- **Karen**: Burmese-style names after Saw (men) or Naw (women), often with Karen words.
- **Khmer** and **Vietnamese**: family name first, written both ways abroad; Vietnamese
  family names are very concentrated (Nguyễn alone about 38%), with a middle name (Văn for
  men, Thị for women) often dropped, and diacritics dropped on documents.
- **Thai** and **Lao**: given name then family name; Thai family names are near unique to a
  family (Surname Act 1913), both are romanised several ways (RTGS or not: ph/p, ch/j, w/v,
  ee/i, ou/u, x/s).
- **Sinhala**: a ge-name (vasagama) and given names before the surname, written in full or
  as initials ("H.M.N.K. Bandara").
- **Nepali**: given name, a middle name (Bahadur, Bdr, Kumar, Kumari, Maya) often dropped,
  caste or clan name.
- **Spanish** (Honduras): one or two given names, paternal then maternal surname, the
  maternal one often dropped, accents dropped.

Name elements come from the names lexicon (:mod:`mhis.names._lexicon`, with their script
and Latin spellings) and from pools of Latin-only names, drawn with Zipf weights: a few very
common names and a long tail. A registration is written in the original script where every
element has one, or in one of several romanisations, with honorifics added or dropped,
initials, order swapped, typing errors; the date of birth as exact, month, year only,
estimated or a 1 January placeholder; identifiers with or without their issuer. Namesakes
(another person with the same common name, sex and birth year) are drawn on purpose as hard
negatives.

Everything comes from one ``random.Random(seed)``: the same seed and variant give the same
population. :func:`registrations` yields records in the shape
:func:`mhis.linkage.features.features` reads, each with its truth (``true_person``,
``culture``).
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from itertools import accumulate

from mhis.names._lexicon import LEXICON

TODAY = date(2026, 11, 1)

_NATIVE: dict[str, dict[str, str]] = {}  # script -> conventional Latin spelling -> native
_VARIANTS: dict[str, tuple[str, ...]] = {}
for _script, _native, _latin, _variants in LEXICON:
    _NATIVE.setdefault(_script, {}).setdefault(_latin, _native)
    _VARIANTS.setdefault(_latin, _variants)
SCRIPTS = {"burmese": "Mymr", "karen": "Mymr", "khmer": "Khmr", "lao": "Laoo", "thai": "Thai",
           "sinhala": "Sinh", "nepali": "Deva"}  # fmt: skip

_BURMESE_HONORIFICS = {"U", "Daw", "Ko", "Ma"}
BURMESE_SYLLABLES = [
    latin for s, _n, latin, _v in LEXICON if s == "Mymr" and latin not in _BURMESE_HONORIFICS
] + ["Nwe", "Yin", "San", "Thet", "Naung", "Lin", "Kaung", "Khant", "Pyae", "Sandar",
     "Zar", "Thiri", "May", "Shwe", "Ei", "Nyein", "Chit", "Myat", "Hein", "Paing", "Sithu",
     "Htoo", "Yadanar", "Wut", "Yee", "Khaing", "Pwint", "Ohn", "Kay", "Tint", "Nandar"]  # fmt: skip
KAREN_WORDS = ["Paw", "Eh", "Htoo", "Say", "Moo", "Blut", "Gay", "Ler", "Wah", "Mu", "Lah",
               "Hser", "Taw", "Poe", "Kaw", "Nay", "Dah", "Thaw", "Baw", "Plo"]  # fmt: skip
KHMER_FAMILY = ["Sok", "Chan", "Kim", "Heng", "Ly", "Chea", "Mao", "Keo", "Meas", "Prak",
                "Sam", "Seng", "Nhem", "Ouk", "Pen", "Roth", "Som", "Touch", "Yim", "Hun",
                "Long", "Nget", "Phan", "Sin", "Tep", "Un", "Van", "Chhay", "Khun", "Ros"]  # fmt: skip
KHMER_GIVEN = ["Dara", "Sophea", "Sophal", "Vanna", "Samnang", "Pisey", "Bopha", "Sokha",
               "Channary", "Sreymom", "Kosal", "Rithy", "Vibol", "Visal", "Sothea", "Chenda",
               "Kunthea", "Leakena", "Phalla", "Veasna", "Bunthoeun", "Sovann", "Makara",
               "Rotha", "Sreyneang", "Kimheng", "Sopheak", "Ratana", "Chantha", "Narith",
               "Sothy", "Vuthy", "Socheata", "Kanha", "Thida", "Davy", "Mony", "Panha"]  # fmt: skip
LAO_SYLLABLES = ["Boun", "My", "Kham", "Som", "Phone", "Keo", "Thong", "Si", "Vong", "Phanh",
                 "Sy", "Xay", "Chan", "Douang", "Manee", "Vila", "Sack", "Noy", "Souk", "Phet",
                 "Sengh", "Dao", "Vanh", "Lath", "Inh", "Savanh", "Phou", "Mala"]  # fmt: skip
THAI_GIVEN = ["Somchai", "Somsak", "Wichai", "Suda", "Malee", "Prasert", "Somying",
              "Anong", "Arun", "Boonmee", "Chaiya", "Kanya", "Kittisak", "Mayuree", "Nattapong",
              "Niran", "Pornthip", "Rattana", "Siriporn", "Sunee", "Supachai", "Thawatchai",
              "Wanida", "Yupin", "Pranee", "Jintana", "Surachai", "Chalerm"]  # fmt: skip
THAI_FAMILY_PARTS = ["Sri", "Boon", "Kaew", "Chai", "Suk", "Wong", "Thong", "Rat", "Phan",
                     "Sak", "Kham", "Manee", "Jai", "Dee", "Sawat", "Pho", "Rung", "Charoen",
                     "In", "Sa", "Na", "Yot", "Siri", "Porn"]  # fmt: skip
SINHALA_GIVEN = ["Nimal", "Kamala", "Sunil", "Chaminda", "Dilani", "Kumari", "Nirosha",
                 "Ruwan", "Saman", "Priyanka", "Chathura", "Tharindu", "Ishara", "Nadeesha",
                 "Lasantha", "Sanjeewa", "Dinesh", "Anoma", "Malini", "Upul", "Gayani",
                 "Mahesh", "Sampath", "Chandani", "Nuwan", "Kasun", "Dilrukshi"]  # fmt: skip
SINHALA_SURNAME = ["Perera", "Silva", "Bandara", "Kumara", "Jayasinghe", "Fernando",
                   "Dissanayake", "Rathnayake", "Wijesinghe", "Gunasekara", "Herath",
                   "Senanayake", "Weerasinghe", "Ranasinghe", "Karunaratne", "Jayawardena",
                   "Liyanage", "Wickramasinghe", "Samarasinghe", "Ekanayake"]  # fmt: skip
SINHALA_GE_NAMES = ["Mudiyanselage", "Herath Mudiyanselage", "Arachchige", "Liyanage",
                    "Pathirannehelage", "Wasala Mudiyanselage", "Kankanamge",
                    "Hettiarachchige", "Don", "Rajapaksha Mudiyanselage"]  # fmt: skip
NEPALI_GIVEN = {"male": ["Ram", "Shyam", "Hari", "Krishna", "Gopal", "Bishnu", "Dil", "Min",
                         "Raj", "Prakash", "Suresh", "Ramesh", "Dipak", "Santosh", "Bikash",
                         "Nabin", "Arjun", "Bal", "Tek", "Man"],
                "female": ["Sita", "Gita", "Maya", "Laxmi", "Sarita", "Sunita", "Kamala",
                           "Radha", "Parbati", "Sabitri", "Anita", "Bimala", "Durga",
                           "Kabita", "Januka", "Mina", "Rita", "Saraswati"]}  # fmt: skip
NEPALI_MIDDLE = {"male": ["Bahadur", "Kumar", "Prasad", "Raj"], "female": ["Kumari", "Maya"]}
NEPALI_FAMILY = ["Thapa", "Gurung", "Tamang", "Shrestha", "Rai", "Sharma", "Magar", "Limbu",
                 "Karki", "Adhikari", "Bhandari", "KC", "Bishwakarma", "Poudel", "Khadka",
                 "Basnet", "Sherpa", "Lama", "Chhetri", "Yadav", "Pandey", "Ghimire"]  # fmt: skip
VIETNAMESE_FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ",
                     "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"]  # fmt: skip
# Shares of the population (Vietnamese name, after the 2005 census estimate): concentrated.
VIETNAMESE_FAMILY_SHARE = [38, 11, 9.5, 7, 5.1, 4.1, 4.5, 3.9, 3.9, 2.1, 2, 1.4, 1.3, 1.3,
                           1, 0.5]  # fmt: skip
VIETNAMESE_MIDDLE = {"male": ["Văn", "Đức", "Minh", "Quang", "Hữu"],
                     "female": ["Thị", "Ngọc", "Thanh", "Hồng", "Thu"]}  # fmt: skip
VIETNAMESE_GIVEN = ["Minh", "Lan", "Hùng", "Hương", "Tuấn", "Linh", "Dũng", "Thảo", "Phương",
                    "Đức", "Anh", "Hà", "Hải", "Hoa", "Huy", "Khánh", "Long", "Mai", "Nam",
                    "Ngọc", "Nhung", "Phúc", "Quân", "Sơn", "Tâm", "Thắng", "Trang", "Trung",
                    "Tú", "Vân", "Việt", "Yến", "Hiếu", "Bình", "Cường", "Dung"]  # fmt: skip
SPANISH_GIVEN = {"female": ["María", "José", "Ana", "Dilcia", "Yeni", "Karla", "Sofía",
                            "Lourdes", "Gabriela", "Gloria", "Reina", "Marta", "Suyapa",
                            "Rosa", "Iris", "Delmy", "Nohemí", "Elena", "Fátima", "Wendy"],
                 "male": ["José", "Luis", "Carlos", "Juan", "Wilmer", "Kevin", "Marvin",
                          "Óscar", "Héctor", "Mario", "Jorge", "Francisco", "Manuel", "Pedro",
                          "Miguel", "Santos", "Ángel", "Denis", "Nelson", "Edwin"]}  # fmt: skip
SPANISH_FAMILY = ["Hernández", "López", "Martínez", "Rodríguez", "García", "Mejía", "Flores",
                  "Reyes", "Castro", "Zelaya", "Cruz", "Ramírez", "Velásquez", "Banegas",
                  "Pérez", "Sánchez", "Gómez", "Díaz", "Ortiz", "Chávez", "Mendoza", "Romero",
                  "Aguilar", "Rivera", "Matute", "Andino", "Paz", "Murillo", "Alvarado",
                  "Maradiaga", "Bonilla", "Euceda", "Padilla", "Ordóñez"]  # fmt: skip

CULTURES = {  # culture -> (nationality, share of the population)
    "burmese": ("MM", 0.28), "karen": ("MM", 0.07), "khmer": ("KH", 0.14),
    "lao": ("LA", 0.06), "thai": ("TH", 0.05), "sinhala": ("LK", 0.09),
    "nepali": ("NP", 0.11), "vietnamese": ("VN", 0.07), "spanish": ("HN", 0.13),
}  # fmt: skip
DESTINATIONS = {"MM": ["TH", "MY"], "KH": ["TH", "MY"], "LA": ["TH"], "TH": ["MY", "MM"],
                "LK": ["MY", "TH"], "NP": ["MY", "TH"], "VN": ["TH", "KH"],
                "HN": ["GT", "MX"]}  # fmt: skip
SECTORS = ["construction", "agriculture", "fishing", "manufacturing", "domestic", None]

# Romanisations of the same sounds, by naming culture (RTGS and older Thai spellings,
# BGN/PCGN and French-era Lao and Khmer spellings, Spanish b/v and s/z, Sinhala and Nepali
# transcriptions of aspirates and long vowels): (one spelling, another).
ROMANISATIONS = {
    "burmese": [("ee", "i"), ("oo", "u"), ("ai", "ay"), ("ye", "yay")],
    "karen": [("ee", "i"), ("oo", "u"), ("aw", "or")],
    "khmer": [("ea", "ia"), ("ph", "p"), ("kh", "k"), ("ou", "u"), ("y", "i"), ("ch", "j")],
    "lao": [("x", "s"), ("ou", "u"), ("ph", "p"), ("v", "w"), ("nh", "n"), ("ee", "i")],
    "thai": [("ph", "p"), ("th", "t"), ("ch", "j"), ("w", "v"), ("ee", "i"), ("oo", "u"),
             ("ai", "ay"), ("kh", "k")],
    "sinhala": [("th", "t"), ("ee", "i"), ("y", "i"), ("w", "v"), ("dh", "d")],
    "nepali": [("sh", "s"), ("ee", "i"), ("aa", "a"), ("ksh", "x"), ("v", "b"), ("th", "t")],
    "vietnamese": [],
    "spanish": [("v", "b"), ("z", "s"), ("ll", "y"), ("ci", "si")],
}  # fmt: skip


@dataclass(frozen=True)
class Variant:
    """How a population is drawn: the rates that shape its registrations. The held-out
    variant (:data:`HELD_OUT`) draws with other rates, so that a model tuned on the
    default is measured on something it was not tuned on."""

    zipf: float = 1.1  # exponent of name frequencies
    registrations: tuple[float, ...] = (0.40, 0.25, 0.17, 0.10, 0.08)  # 1 … 5 times
    passport: float = 0.40  # people with a passport
    passport_recorded: float = 0.75  # a registration records the passport it has
    issuer_blank: float = 0.25  # … without the issuing country
    renewed: float = 0.08  # a later registration carries a renewed passport
    permit: float = 0.25  # people with a work permit of the destination
    number_typo: float = 0.03
    script: float = 0.35  # written in the original script, where it has one
    latin_too: float = 0.5  # … with a Latin spelling beside it
    respell: float = 0.3  # a word spelt another way
    typo: float = 0.06  # a typing error in the name
    order_swap: float = 0.35  # family-name-first cultures written the other way
    honorific_change: float = 0.5
    dates: tuple[tuple[str, float], ...] = (
        ("exact", 0.50), ("month", 0.10), ("year", 0.20), ("estimated", 0.10),
        ("placeholder", 0.10))  # fmt: skip
    date_typo: float = 0.03
    namesakes: float = 0.04  # people drawn as a namesake of someone already drawn
    sex_missing: float = 0.02


DEFAULT = Variant()
HELD_OUT = replace(
    DEFAULT,
    zipf=1.25,
    registrations=(0.35, 0.25, 0.20, 0.12, 0.08),
    passport=0.35,
    issuer_blank=0.35,
    script=0.45,
    respell=0.4,
    typo=0.08,
    dates=(
        ("exact", 0.45),
        ("month", 0.10),
        ("year", 0.25),
        ("estimated", 0.10),
        ("placeholder", 0.10),
    ),
    namesakes=0.06,
)


@dataclass
class Person:
    id: str
    culture: str
    sex: str
    birth: date
    words: list[str]  # name elements in their usual written order (Latin, conventional)
    given_first: bool  # the usual order puts the given name first
    family: int = 0  # how many leading (or trailing, see given_first) words are family names
    extra: dict = field(default_factory=dict)


class Pool:
    """Names drawn with Zipf weights: the first few very common, a long tail."""

    def __init__(self, names, zipf: float, rng: random.Random, shares=None):
        self.names = list(names)
        if shares is None:
            rng.shuffle(self.names)  # which names are common: by the seed
            shares = [1 / (rank**zipf) for rank in range(1, len(self.names) + 1)]
        self.cumulative = list(accumulate(shares))

    def draw(self, rng: random.Random) -> str:
        return rng.choices(self.names, cum_weights=self.cumulative)[0]


class Population:
    def __init__(self, seed: int, variant: Variant = DEFAULT):
        self.rng = random.Random(seed)
        self.variant = variant
        z, rng = variant.zipf, self.rng
        self.pools = {
            "burmese": Pool(BURMESE_SYLLABLES, z * 0.8, rng),
            "karen": Pool(KAREN_WORDS, z, rng),
            "khmer_family": Pool(KHMER_FAMILY, z, rng),
            "khmer_given": Pool(KHMER_GIVEN, z, rng),
            "lao": Pool(LAO_SYLLABLES, z * 0.8, rng),
            "thai_given": Pool(THAI_GIVEN, z, rng),
            "thai_family": Pool(THAI_FAMILY_PARTS, z * 0.5, rng),
            "sinhala_given": Pool(SINHALA_GIVEN, z, rng),
            "sinhala_surname": Pool(SINHALA_SURNAME, z, rng),
            "sinhala_ge": Pool(SINHALA_GE_NAMES, z, rng),
            "nepali_male": Pool(NEPALI_GIVEN["male"], z, rng),
            "nepali_female": Pool(NEPALI_GIVEN["female"], z, rng),
            "nepali_family": Pool(NEPALI_FAMILY, z, rng),
            "vietnamese_family": Pool(VIETNAMESE_FAMILY, z, rng, VIETNAMESE_FAMILY_SHARE),
            "vietnamese_given": Pool(VIETNAMESE_GIVEN, z, rng),
            "spanish_male": Pool(SPANISH_GIVEN["male"], z, rng),
            "spanish_female": Pool(SPANISH_GIVEN["female"], z, rng),
            "spanish_family": Pool(SPANISH_FAMILY, z, rng),
        }
        self.cultures = Pool(list(CULTURES), 0, rng, [share for _n, share in CULTURES.values()])
        self.drawn: list[Person] = []

    # -- people ---------------------------------------------------------------------------

    def person(self, n: int) -> Person:
        rng, v = self.rng, self.variant
        if self.drawn and rng.random() < v.namesakes:  # a namesake of someone common
            other = rng.choice(self.drawn)
            birth = date(other.birth.year, rng.randrange(1, 13), rng.randrange(1, 29))
            twin = Person(f"P{n}", other.culture, other.sex, birth, list(other.words),
                          other.given_first, other.family, dict(other.extra))  # fmt: skip
            twin.extra["namesake_of"] = other.id
            self.drawn.append(twin)
            return twin
        culture = self.cultures.draw(rng)
        sex = rng.choice(("female", "male"))
        age = max(16, min(75, int(rng.gauss(32, 10))))
        birth = TODAY - timedelta(days=age * 365 + rng.randrange(365))
        person = Person(f"P{n}", culture, sex, birth, *self._name(culture, sex, age))
        self.drawn.append(person)
        return person

    def _name(self, culture: str, sex: str, age: int):
        rng, p = self.rng, self.pools
        if culture in ("burmese", "karen"):
            size = rng.choices((1, 2, 3, 4), (0.08, 0.52, 0.33, 0.07))[0]
            words = [p["burmese"].draw(rng) for _ in range(size)]
            if culture == "karen" and rng.random() < 0.6:
                words[0] = p["karen"].draw(rng)
            return words, True, 0
        if culture == "khmer":
            return [p["khmer_family"].draw(rng), p["khmer_given"].draw(rng)], False, 1
        if culture == "lao":
            given = p["lao"].draw(rng) + p["lao"].draw(rng).lower()
            family = "".join(p["lao"].draw(rng) for _ in range(rng.choice((2, 3))))
            return [given, family.capitalize()], True, 1
        if culture == "thai":
            family = "".join(p["thai_family"].draw(rng) for _ in range(rng.choice((2, 3))))
            return [p["thai_given"].draw(rng), family.lower().capitalize()], True, 1
        if culture == "sinhala":
            given = list(
                dict.fromkeys(p["sinhala_given"].draw(rng) for _ in range(rng.choice((1, 2))))
            )
            return [p["sinhala_ge"].draw(rng), *given, p["sinhala_surname"].draw(rng)], True, 1
        if culture == "nepali":
            words = [p[f"nepali_{sex}"].draw(rng)]
            if rng.random() < 0.6:
                words.append(rng.choice(NEPALI_MIDDLE[sex]))
            return [*words, p["nepali_family"].draw(rng)], True, 1
        if culture == "vietnamese":
            middle = rng.choice(VIETNAMESE_MIDDLE[sex]) if rng.random() < 0.85 else None
            words = [p["vietnamese_family"].draw(rng), middle, p["vietnamese_given"].draw(rng)]
            return [w for w in words if w], False, 1
        if culture == "spanish":
            given = list(
                dict.fromkeys(p[f"spanish_{sex}"].draw(rng) for _ in range(rng.choice((1, 1, 2))))
            )
            first, second = p["spanish_family"].draw(rng), p["spanish_family"].draw(rng)
            return [*given, first, second], True, 2
        raise ValueError(f"unknown naming culture {culture!r}")

    # -- registrations --------------------------------------------------------------------

    def written(self, person: Person, when: date) -> list[str]:
        """The names one registration records for `person`."""
        rng, v = self.rng, self.variant
        words = list(person.words)
        culture = person.culture
        age = (when - person.birth).days // 365
        if culture in ("burmese", "karen"):
            return self._burmese(person, words, age)
        if culture == "sinhala":
            ge, given, surname = words[0], words[1:-1], words[-1]
            style = rng.random()
            if style < 0.35:  # in full
                words = [ge, *given, surname]
            elif style < 0.7:  # initials for the ge-name and given names
                initials = [w[0] + "." for part in (ge, *given) for w in part.split()]
                words = ["".join(initials), surname]
            elif style < 0.85:
                words = [given[0][0] + ".", surname]
            else:
                words = [*given, surname]
        elif culture == "nepali":
            if len(words) == 3 and rng.random() < 0.4:
                words = [words[0], words[2]]
            elif len(words) == 3 and words[1] == "Bahadur" and rng.random() < 0.3:
                words[1] = "Bdr"
        elif culture == "spanish":
            given, surnames = words[:-2], words[-2:]
            if len(given) > 1 and rng.random() < 0.4:
                given = given[:1]
            if rng.random() < 0.45:
                surnames = surnames[:1]
            words = [*given, *surnames]
        elif culture == "vietnamese" and len(words) == 3 and rng.random() < 0.25:
            words = [words[0], words[2]]
        # the order swapped (family name first written last, or the reverse)
        if culture in ("khmer", "vietnamese", "thai", "lao") and rng.random() < v.order_swap:
            words = [*words[1:], words[0]] if not person.given_first else [words[-1], *words[:-1]]
        native = _NATIVE.get(SCRIPTS.get(culture, ""), {})
        if all(w in native for w in words) and rng.random() < v.script:
            return self._with_latin([native[w] for w in words], words, culture)
        words = [self._respell(w, culture) for w in words]
        if culture in ("vietnamese", "spanish") and rng.random() < 0.6:
            words = [_strip_accents(w) for w in words]
        return [self._case(" ".join(self._typo(words)))]

    def _burmese(self, person: Person, words: list[str], age: int) -> list[str]:
        rng, v = self.rng, self.variant
        if person.culture == "karen":
            title = "Naw" if person.sex == "female" else "Saw"
            title = title if rng.random() < 0.8 else None
        elif person.sex == "female":
            title = "Daw" if age >= 35 else "Ma"
        else:
            title = "U" if age >= 40 else ("Ko" if age >= 20 else "Maung")
            if title == "Maung" and rng.random() < 0.5:
                title = "Mg"
        if title and rng.random() < v.honorific_change:
            title = None if rng.random() < 0.7 else rng.choice(["Ma", "Ko", "U", "Daw", "Mg"])
        script = _NATIVE["Mymr"]
        if rng.random() < v.script and all(w in script for w in words):
            native = "".join(script[w] for w in words)
            if title and title in script and person.culture == "burmese":
                native = script[title] + native
            latin = [title, *words] if title else words
            return self._with_latin([native], latin, person.culture)
        spelt = [self._respell(w, person.culture) for w in words]
        if len(spelt) >= 2 and rng.random() < 0.25:  # syllables joined
            spelt = [spelt[0] + "".join(w.lower() for w in spelt[1:])]
        written = [title, *spelt] if title else spelt
        return [self._case(" ".join(self._typo(written)))]

    def _with_latin(self, native: list[str], latin: list[str], culture: str) -> list[str]:
        names = [" ".join(native) if len(native) > 1 else native[0]]
        if self.rng.random() < self.variant.latin_too:
            names.append(self._case(" ".join(self._respell(w, culture) for w in latin if w)))
        return names

    def _respell(self, word: str, culture: str) -> str:
        rng = self.rng
        if rng.random() >= self.variant.respell:
            return word
        if word in _VARIANTS and _VARIANTS[word] and rng.random() < 0.5:
            return rng.choice(_VARIANTS[word])
        lower = word.lower()
        rules = ROMANISATIONS[culture]
        options = [(a, b) for a, b in rules if a in lower]
        options += [(b, a) for a, b in rules if b in lower and len(b) > 1]
        if not options:
            return word
        a, b = rng.choice(options)
        out = lower.replace(a, b, 1)
        return out.capitalize() if word[:1].isupper() else out

    def _typo(self, words: list[str]) -> list[str]:
        rng = self.rng
        if rng.random() >= self.variant.typo:
            return words
        i = rng.randrange(len(words))
        w = words[i]
        if len(w) < 4:
            return words
        j = rng.randrange(1, len(w) - 1)
        kind = rng.random()
        if kind < 0.3:
            w = w[:j] + w[j + 1 :]
        elif kind < 0.6:
            w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
        elif kind < 0.8:
            w = w[:j] + w[j] + w[j:]
        else:
            w = w[:j] + rng.choice("aeiounmrst") + w[j + 1 :]
        return [*words[:i], w, *words[i + 1 :]]

    def _case(self, text: str) -> str:
        roll = self.rng.random()
        return text.upper() if roll < 0.35 else text

    def birth(self, person: Person) -> tuple[date, str]:
        rng, v = self.rng, self.variant
        kind = rng.choices([k for k, _ in v.dates], [w for _, w in v.dates])[0]
        day = person.birth
        if kind == "exact":
            if rng.random() < v.date_typo:
                if day.day <= 12 and day.day != day.month:
                    day = date(day.year, day.day, day.month)  # day and month swapped
                else:
                    day = day.replace(day=max(1, min(28, day.day + rng.choice((-1, 1, 10)))))
            return day, "exact"
        if kind == "month":
            return date(day.year, day.month, 1), "month"
        if kind == "year":
            return date(day.year, 1, 1), "year"
        if kind == "placeholder":
            return date(day.year, 1, 1), "exact"
        # estimated from the age given: this year or a year or two off
        year = day.year + rng.choice((0, 0, 0, -1, 1, -2, 2))
        return date(year, 7, 1), "estimated"

    def people(self, count: int) -> Iterator[tuple[Person, int]]:
        for n in range(count):
            person = self.person(n)
            times = self.rng.choices(range(1, 6), self.variant.registrations)[0]
            yield person, times

    def registrations(self, count: int) -> Iterator[dict]:
        rng, v = self.rng, self.variant
        serial = 0
        for person, times in self.people(count):
            nationality = CULTURES[person.culture][0]
            passport = _number(rng, "passport") if rng.random() < v.passport else None
            destination = rng.choice(DESTINATIONS[nationality])
            arrival = TODAY - timedelta(days=rng.randrange(60, 365 * 12))
            sector = rng.choice(SECTORS)
            permit = _number(rng, "permit") if rng.random() < v.permit else None
            when = arrival
            for k in range(times):
                when = when + timedelta(days=rng.randrange(10, 700))
                if k and rng.random() < 0.2:  # moved on to another country
                    destination = rng.choice(DESTINATIONS[nationality])
                    permit = None
                if k and passport and rng.random() < v.renewed:
                    passport = _number(rng, "passport")
                identifiers = []
                if passport and rng.random() < v.passport_recorded:
                    issuer = "" if rng.random() < v.issuer_blank else nationality
                    identifiers.append(("passport", issuer, _mistyped(rng, passport, v)))
                if permit and rng.random() < 0.6:
                    identifiers.append(("work_permit", destination, permit))
                birth, precision = self.birth(person)
                recorded_arrival = arrival
                roll = rng.random()
                if roll < 0.3:
                    recorded_arrival = arrival + timedelta(days=rng.randrange(-200, 200))
                elif roll < 0.45:
                    recorded_arrival = None
                serial += 1
                yield {
                    "unique_id": f"R{serial}",
                    "names": self.written(person, when),
                    "sex": None if rng.random() < v.sex_missing else person.sex,
                    "birth_date": birth,
                    "birth_precision": precision,
                    "nationality": nationality if rng.random() > 0.03 else None,
                    "origin": nationality if rng.random() > 0.2 else None,
                    "destination": destination,
                    "sector": sector if rng.random() > 0.2 else None,
                    "arrival": recorded_arrival,
                    "identifiers": identifiers,
                    "true_person": person.id,
                    "culture": person.culture,
                }


def _number(rng: random.Random, kind: str) -> str:
    digits = "".join(rng.choice("0123456789") for _ in range(7))
    if kind == "passport":
        return f"{chr(65 + rng.randrange(26))}{chr(65 + rng.randrange(26))}{digits}"
    return f"WP{digits}{rng.randrange(10)}"


def _mistyped(rng: random.Random, number: str, v: Variant) -> str:
    if rng.random() >= v.number_typo:
        return number
    i = rng.randrange(2, len(number) - 1)
    return number[:i] + number[i + 1] + number[i] + number[i + 2 :]


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def registrations(people: int, seed: int = 2026, variant: Variant = DEFAULT) -> Iterator[dict]:
    """The registrations of `people` people (one to five each), in the order they were
    registered person by person, as records for :func:`mhis.linkage.features.features`
    with the truth: ``true_person`` (who it is) and ``culture`` (the naming culture)."""
    return Population(seed, variant).registrations(people)
