"""Names across scripts: cleaning, script detection, romanisation and search keys.

A small library with no Django inside, shared by the registry, the demo world and record
linkage. Public API::

    clean_name(text) -> str                 # validated, normalised display form
    detect_script(text) -> str              # ISO 15924 code of the dominant script
    fold(text) -> str                       # case- and accent-insensitive form
    romanise(text) -> str                   # conventional Latin spelling
    index_keys(text, latin=None) -> set     # keys stored for search
    query_plan(text) -> QueryPlan           # what a search for `text` must match
    name_tokens(text) -> list               # canonical Latin words, honorifics dropped
    match_rank(query, names) -> int | None  # how well names answer a search (EXACT … NEAR)
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from itertools import groupby

from anyascii import anyascii

from . import _burmese
from ._lexicon import ABBREVIATIONS, LEXICON
from ._lexicon import HONORIFICS_LATIN as _LEXICON_HONORIFICS_LATIN
from ._lexicon import HONORIFICS_SCRIPT as _LEXICON_HONORIFICS_SCRIPT

__all__ = [
    "EXACT",
    "JOINERS",
    "MAX_NAME_LENGTH",
    "NEAR",
    "PREFIX",
    "WHOLE_WORDS",
    "InvalidName",
    "QueryPlan",
    "clean_name",
    "describe_character",
    "detect_script",
    "fold",
    "index_keys",
    "match_rank",
    "may_be_misspelt",
    "name_tokens",
    "one_letter_off",
    "query_plan",
    "romanise",
]

MAX_NAME_LENGTH = 200

_SCRIPT_PREFIXES = {
    "LATIN": "Latn",
    "MYANMAR": "Mymr",
    "KHMER": "Khmr",
    "LAO": "Laoo",
    "THAI": "Thai",
    "SINHALA": "Sinh",
    "DEVANAGARI": "Deva",
    "ARABIC": "Arab",
    "CYRILLIC": "Cyrl",
    "GREEK": "Grek",
    "BENGALI": "Beng",
    "TAMIL": "Taml",
    "HANGUL": "Hang",
    "CJK": "Hani",
    "HIRAGANA": "Hira",
    "KATAKANA": "Kana",
    "ETHIOPIC": "Ethi",
    "HEBREW": "Hebr",
    "GEORGIAN": "Geor",
    "ARMENIAN": "Armn",
}
# Scripts whose combining marks are accents (dropped when folding); in the others the marks
# are vowels and tones that make the name and must be kept.
_ACCENTED_SCRIPTS = frozenset({"Latn", "Grek", "Cyrl"})
# Letters that do not decompose into base + accent but are folded all the same.
_EXTRA_FOLDS = str.maketrans({"đ": "d", "Đ": "d", "ø": "o", "Ø": "o", "ł": "l", "Ł": "l", "ı": "i"})
# Separators between name parts. Not \W: in Brahmic scripts vowel signs are not word characters.
_SEPARATORS = re.compile(r"[\s.,;:/\\\-‐‑–—'’‘`\"()\[\]{}|_+&*#@!?=~^<>]+")

_TO_LATIN: dict[str, str] = {}
_CANONICAL: dict[str, str] = dict(ABBREVIATIONS)
# Spellings of more than one word ("De Silva", "Som-ying"), as folded words -> the name.
_PHRASES: dict[tuple[str, ...], str] = {}


# The only format characters (Unicode category Cf) a name may hold inside it: the zero-width
# non-joiner and joiner, which Persian, Sinhala, Burmese, Devanagari … spellings need.
JOINERS = frozenset({"\u200c", "\u200d"})


class InvalidName(ValueError):
    """A name that cannot be stored; `code` says why (not_text, control, format, no_letter,
    too_long); for ``format``, `character` is the offending character."""

    def __init__(self, code: str, message: str, character: str = ""):
        super().__init__(message)
        self.code = code
        self.character = character


def describe_character(ch: str) -> str:
    """A character as people can look it up: ``U+202E RIGHT-TO-LEFT OVERRIDE``."""
    return f"U+{ord(ch):04X} {unicodedata.name(ch, '')}".rstrip()


@lru_cache(maxsize=8192)
def _char_script(ch: str) -> str | None:
    name = unicodedata.name(ch, "")
    first = name.split(" ", 1)[0]
    return _SCRIPT_PREFIXES.get(first)


def clean_name(text: str) -> str:
    """Return the display form of a name, or raise InvalidName saying what is wrong.

    Normalises to NFC, collapses runs of whitespace and strips invisible format characters at
    the ends (right-to-left marks pasted from other systems). Inside the name, format
    characters are refused but for the zero-width joiner and non-joiner that Sinhala, Burmese,
    Persian and Devanagari spellings need: a direction override, embedding, isolate or mark
    inside a name makes it display as something other than what is stored (``Aung`` + U+202E
    + ``niW`` shows as "AungWin"), so a record could pass for another person's.
    """
    if not isinstance(text, str):
        raise InvalidName("not_text", "A name must be text.")
    return _clean_name(text)


@lru_cache(maxsize=65536)  # pure; an import meets the same names again and again
def _clean_name(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    if any(unicodedata.category(ch) == "Cc" and not ch.isspace() for ch in text):
        raise InvalidName("control", "A name cannot contain control characters.")
    text = " ".join(text.split())
    while text and unicodedata.category(text[0]) == "Cf":
        text = text[1:].lstrip()
    while text and unicodedata.category(text[-1]) == "Cf":
        text = text[:-1].rstrip()
    for ch in text:
        if unicodedata.category(ch) == "Cf" and ch not in JOINERS:
            character = describe_character(ch)
            raise InvalidName("format", f"A name cannot contain {character}.", ch)
    if not any(unicodedata.category(ch)[0] == "L" for ch in text):
        raise InvalidName("no_letter", "A name must contain at least one letter.")
    if len(text) > MAX_NAME_LENGTH:
        raise InvalidName("too_long", f"A name can have at most {MAX_NAME_LENGTH} characters.")
    return text


@lru_cache(maxsize=65536)  # pure; an import meets the same names again and again
def detect_script(text: str) -> str:
    """ISO 15924 code of the script most letters of `text` are written in (``Zyyy`` if none)."""
    counts: dict[str, int] = {}
    for ch in text:
        if unicodedata.category(ch)[0] == "L":
            script = _char_script(ch) or "Zzzz"
            counts[script] = counts.get(script, 0) + 1
    if not counts:
        return "Zyyy"
    return max(sorted(counts), key=counts.__getitem__)


@lru_cache(maxsize=65536)  # pure; an import meets the same names again and again
def fold(text: str) -> str:
    """Case- and accent-insensitive form for comparison and search.

    Accents are dropped from Latin, Greek and Cyrillic letters only (``Nguyễn`` → ``nguyen``);
    vowel signs and tone marks of Brahmic and South-East Asian scripts are kept, since
    dropping them changes the name.
    """
    out: list[str] = []
    base_script: str | None = None
    # Decomposed first, so that a letter built on one of them (ǿ: ø + acute) is folded too.
    for ch in unicodedata.normalize("NFD", text.casefold()).translate(_EXTRA_FOLDS):
        if unicodedata.category(ch) == "Mn":
            if base_script in _ACCENTED_SCRIPTS:
                continue
        else:
            base_script = _char_script(ch)
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


def _split(text: str) -> list[str]:
    return [
        t
        for t in _SEPARATORS.split(text)
        if t and not all(unicodedata.category(c) == "Cf" for c in t)
    ]


for _script, _native, _latin, _variants in LEXICON:
    _TO_LATIN.setdefault(unicodedata.normalize("NFC", _native), _latin)
    for _spelling in (_latin, *_variants):
        _words = tuple(_split(fold(_spelling)))
        if len(_words) == 1:
            _CANONICAL.setdefault(_words[0], _latin.lower())
        elif _words:
            # Word by word, "de" would read as "silva" everywhere: the words go together.
            _PHRASES.setdefault(_words, _latin.lower())
# Burmese, Karen, Mon and Shan syllables and titles (mhis.names._burmese), after the lexicon.
for _latin in _burmese.SYLLABLES.values():
    _words = tuple(_split(fold(_latin)))
    if len(_words) == 1:
        _CANONICAL.setdefault(_words[0], _words[0])
for _variant, _conventional in _burmese.VARIANTS.items():
    _CANONICAL.setdefault(_variant, _CANONICAL.get(_conventional, _conventional))
HONORIFICS_LATIN = _LEXICON_HONORIFICS_LATIN | _burmese.HONORIFICS_LATIN
HONORIFICS_SCRIPT = _LEXICON_HONORIFICS_SCRIPT | _burmese.HONORIFICS
_LONGEST_NATIVE = max(len(k) for k in _TO_LATIN)
_LONGEST_PHRASE = max((len(k) for k in _PHRASES), default=1)


def _collapse(tokens: list[str]) -> list[str]:
    """`tokens` with each run that spells a name in several words ("de silva") replaced by
    that name ("silva")."""
    out, i = [], 0
    while i < len(tokens):
        for size in range(min(_LONGEST_PHRASE, len(tokens) - i), 1, -1):
            name = _PHRASES.get(tuple(tokens[i : i + size]))
            if name is not None:
                out.append(name)
                i += size
                break
        else:
            out.append(tokens[i])
            i += 1
    return out


@lru_cache(maxsize=65536)
def romanise(text: str) -> str:
    """Conventional Latin spelling of a name written in any script.

    Known name elements take the spelling used on passports and permits (``မောင်`` → Maung);
    anything else falls back to a generic transliteration. Latin text is returned folded of
    nothing but returned as written.
    """
    text = unicodedata.normalize("NFC", text)
    words: list[str] = []
    for part in text.split():
        script = detect_script(part)
        if script in ("Latn", "Zyyy"):
            words.append(part)
            continue
        if script == "Mymr":
            # Syllable by syllable, each a word as on a passport (Naw Wa Wa Moe).
            burmese = _burmese.romanise_burmese(part)
            if burmese is not None:
                words.extend(burmese)
                continue
        i = 0
        pending = ""
        while i < len(part):
            for size in range(min(_LONGEST_NATIVE, len(part) - i), 0, -1):
                latin = _TO_LATIN.get(part[i : i + size])
                if latin is not None:
                    if pending:
                        words.append(anyascii(pending).capitalize())
                        pending = ""
                    words.append(latin)
                    i += size
                    break
            else:
                pending += part[i]
                i += 1
        if pending:
            words.append(anyascii(pending).capitalize())
    return " ".join(w for w in words if w.strip())


def _canonical(token: str) -> str:
    return _CANONICAL.get(token, token)


@lru_cache(maxsize=65536)
def _latin_keys(latin: str) -> frozenset[str]:
    tokens = _split(fold(latin))
    canon = [_canonical(t) for t in _collapse(tokens)]
    keys = set(tokens) | set(canon)
    # Joined runs let "Thida" find "Thi Da" and "Mathida" find "Ma Thi Da".
    for seq in (tokens, canon):
        for i in range(len(seq) - 1):
            keys.add("".join(seq[i:]))
    return frozenset(keys)


def index_keys(text: str, latin: str | None = None) -> set[str]:
    """Search keys stored for a name written as `text`, with an optional Latin spelling.
    Worked out once per spelling: an import meets the same names again and again."""
    return set(_index_keys(text, latin or ""))


@lru_cache(maxsize=65536)
def _index_keys(text: str, latin: str) -> frozenset[str]:
    keys = set(_split(fold(text)))
    # A Burmese name is found by what follows its title too: ဝါဝါမိုး finds နော်ဝါဝါမိုး.
    keys |= {fold(_burmese.strip_honorifics(k)) for k in keys if detect_script(k) == "Mymr"}
    keys |= _latin_keys(latin)
    if detect_script(text) not in ("Latn", "Zyyy"):
        keys |= _latin_keys(romanise(text))
    else:
        keys |= _latin_keys(text)
    return frozenset(k[:64] for k in keys if k)


@dataclass(frozen=True)
class QueryPlan:
    """What a name search must match: every group (one alternative of each), or `joined`;
    and, for a word typed twice or more in a row (``Maung Maung``), the start of a key with
    it repeated (`repeated`: ``maungmaung``), so that one Maung is not enough."""

    groups: tuple[frozenset[str], ...]
    joined: str
    repeated: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.groups)


def query_plan(text: str) -> QueryPlan:
    """Turn a typed search into prefix alternatives over :func:`index_keys`.

    Honorifics (U, Daw, Ko, Ma …) are optional when other words are given.
    """
    tokens = _collapse(_split(fold(unicodedata.normalize("NFC", text))))
    # Repeated as typed, titles and all: "Kaung Ko Kaung" repeats no word.
    typed = [
        _canonical(t)
        if detect_script(t) in ("Latn", "Zyyy")
        else "".join(_canonical(w) for w in _split(fold(romanise(t))))
        for t in tokens
    ]
    repeated = ["".join(run)[:64] for run in (list(r) for _w, r in groupby(typed)) if len(run) > 1]
    named = [t for t in tokens if t not in HONORIFICS_LATIN and t not in HONORIFICS_SCRIPT]
    if named:
        tokens = named
    groups: list[frozenset[str]] = []
    joined_parts: list[str] = []
    for token in tokens:
        alternatives = {token, _canonical(token)}
        if detect_script(token) not in ("Latn", "Zyyy"):
            romanised = "".join(_canonical(t) for t in _split(fold(romanise(token))))
            alternatives.add(romanised)
            joined_parts.append(romanised)
        else:
            joined_parts.append(_canonical(token))
        group = frozenset(a[:64] for a in alternatives if a)
        if group not in groups:
            groups.append(group)
    return QueryPlan(
        groups=tuple(groups), joined="".join(joined_parts)[:64], repeated=tuple(repeated)
    )


def name_tokens(text: str) -> list[str]:
    """The words of a name in canonical Latin spelling, in order, for matching.

    Written in any script (romanised first), folded, abbreviations expanded (Mg → maung) and
    leading honorifics dropped (Ma, Daw, U, Ko …) when a name remains after them:
    ``မသီတာ``, ``Ma Thida`` and ``MA THI DA`` all give words that join to ``thida``.
    """
    text = unicodedata.normalize("NFC", text)
    latin = text if detect_script(text) in ("Latn", "Zyyy") else romanise(text)
    tokens = [_canonical(t) for t in _collapse(_split(fold(latin)))]
    while len(tokens) > 1 and tokens[0] in HONORIFICS_LATIN:
        tokens = tokens[1:]
    return tokens


# -- ranking: how well a name answers a search --------------------------------------------------

EXACT, WHOLE_WORDS, PREFIX, NEAR = 0, 1, 2, 3
# Shortest word of a query read with one letter wrong: in a query of several words, and alone.
NEAR_MIN_LENGTH, NEAR_MIN_LENGTH_ALONE = 3, 5
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


@lru_cache(maxsize=65536)
def _words_variants(text: str, *, query: bool = False) -> tuple[tuple[str, ...], ...]:
    """Ways of reading a name for comparison: canonical Latin words without leading titles,
    and the folded words as written (their script, their spelling); for a query, also
    without its titles wherever they are (they are optional in a search)."""
    folded = _split(fold(unicodedata.normalize("NFC", text)))
    variants = [name_tokens(text), folded]
    if query:
        canonical = [_canonical(t) for t in _collapse(folded)]
        variants.append([t for t in canonical if t not in HONORIFICS_LATIN])
    burmese = [fold(_burmese.strip_honorifics(w)) for w in folded if detect_script(w) == "Mymr"]
    if burmese:
        variants.append(burmese)
    unique: dict[tuple[str, ...], None] = {tuple(v): None for v in variants if v}
    return tuple(unique)


def one_letter_off(token: str) -> set[str]:
    """Latin words one letter from `token` (a letter left out, added, changed or two swapped):
    what a search for `token` also finds, ranked after the rest. Empty for short words and
    other scripts."""
    if not token.isascii() or not token.isalpha():
        return set()
    out: set[str] = set()
    for i in range(len(token) + 1):
        head, tail = token[:i], token[i:]
        if tail:
            out.add(head + tail[1:])
            if len(tail) > 1:
                out.add(head + tail[1] + tail[0] + tail[2:])
        for letter in _LETTERS:
            out.add(head + letter + tail)
            if tail:
                out.add(head + letter + tail[1:])
    out.discard(token)
    return out


def _near(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1 or a == b:
        return a == b
    return b in one_letter_off(a)


def may_be_misspelt(token: str, alone: bool = False) -> bool:
    """Whether a word of a query is read with one letter wrong too: long enough, and not
    itself a name known to the lexicon (Maung is not a misspelt Aung, nor Win a Min: Burmese
    name syllables are a letter apart from each other)."""
    least = NEAR_MIN_LENGTH_ALONE if alone else NEAR_MIN_LENGTH
    return len(token) >= least and token not in _CANONICAL and token.isascii()


def _assign(
    query: tuple[str, ...], name: tuple[str, ...], fits: Callable[[str, str], bool]
) -> bool:
    """Each query word matched to its own word of the name, by `fits(q, word)`."""
    if not query:
        return True
    first, rest = query[0], query[1:]
    for i, word in enumerate(name):
        if fits(first, word) and _assign(rest, name[:i] + name[i + 1 :], fits):
            return True
    return False


def _runs(words: tuple[str, ...]) -> list[str]:
    return ["".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, len(words) + 1)]


def _rank_words(query: tuple[str, ...], name: tuple[str, ...]) -> int | None:
    joined = "".join(query)
    if joined == "".join(name):
        return EXACT
    runs = _runs(name)
    if joined in runs or _assign(query, name, str.__eq__):
        return WHOLE_WORDS
    if any(r.startswith(joined) for r in runs) or _assign(
        query, name, lambda q, w: w.startswith(q)
    ):
        return PREFIX
    alone = len(query) == 1

    def fits(q: str, w: str) -> bool:
        return w.startswith(q) or (may_be_misspelt(q, alone) and _near(q, w))

    if _assign(query, name, fits):
        return NEAR
    return None


def match_rank(query: str, names: list[tuple[str, str]]) -> int | None:
    """How well a person's names (text, Latin spelling) answer a search for `query`: EXACT
    (the whole name), WHOLE_WORDS (each word of the query is a word of the name, as often as
    typed), PREFIX (each starts one), NEAR (with one letter wrong), or None (the name does
    not have every word typed: ``Maung Maung`` is not answered by Maung Aung)."""
    queries = _words_variants(query, query=True)
    best: int | None = None
    for text, latin in names:
        for name in _words_variants(text) + (_words_variants(latin) if latin else ()):
            for words in queries:
                rank = _rank_words(words, name)
                if rank is not None and (best is None or rank < best):
                    best = rank
                    if best == EXACT:
                        return best
    return best
