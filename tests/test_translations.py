"""Every word of the interface is translatable and translated: template text outside the
translation tags is only acronyms and symbols, gettext is called by names the extractor sees,
and each language offered has a complete catalogue."""

import re
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "mhis"
sys.path.insert(0, str(ROOT / "scripts"))
from check_messages import parse_po  # noqa: E402

SKIPPED = [
    r"\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}", r"\{#.*?#\}", r"<!--.*?-->",
    r"\{%\s*blocktranslate.*?\{%\s*endblocktranslate\s*%\}", r"<script.*?</script>",
    r"<style.*?</style>",
]  # fmt: skip
# Text a reader sees: between tags, and in these attributes.
SEEN_ATTRIBUTES = re.compile(r'\s(?:title|placeholder|aria-label|alt)="([^"]*)"')


def unmarked(template: str) -> list[str]:
    """Pieces of visible text in a template that are not marked for translation. Acronyms
    and symbols (MHIS, CSV, RHS-15, ·) need none: a piece counts when it holds a lower-case
    or a non-Latin letter."""
    for pattern in SKIPPED:
        template = re.sub(pattern, " ", template, flags=re.S)
    pieces = SEEN_ATTRIBUTES.findall(template)
    template = re.sub(r"\{%.*?%\}|\{\{.*?\}\}", " ", template, flags=re.S)
    pieces += re.sub(r"<[^>]*>", "\n", template, flags=re.S).splitlines()
    found = []
    for piece in pieces:
        piece = re.sub(r"\{%.*?%\}|\{\{.*?\}\}", " ", piece).strip()
        if any(ch.isalpha() and (ch.islower() or not ch.isascii()) for ch in piece):
            found.append(piece)
    return found


def test_the_check_finds_unmarked_text_and_passes_marked_text():
    assert unmarked('<p>Save the record</p><abbr title="Tuberculosis">TB</abbr>') == [
        "Tuberculosis",
        "Save the record",
    ]
    assert unmarked('<p>{% translate "Save" %} · MHIS <code>{{ code }}</code> (LOINC)</p>') == []
    assert unmarked("{% blocktranslate %}Cases seen{% endblocktranslate %}<td>ผู้ป่วย</td>") == [
        "ผู้ป่วย"
    ]


def test_every_template_string_is_marked_for_translation():
    problems = {
        str(path.relative_to(PACKAGE)): found
        for path in sorted(PACKAGE.rglob("templates/**/*.html"))
        if (found := unmarked(path.read_text(encoding="utf-8")))
    }
    assert not problems, f"text not marked for translation: {problems}"


def test_gettext_is_imported_under_names_the_extractor_knows():
    """`makemessages` finds _(), gettext(), gettext_lazy() … but not an alias such as
    `_lazy`: strings passed to an alias are never extracted, so never translated."""
    alias = re.compile(r"import\s+(?:n|p|np)?gettext(?:_lazy|_noop)?\s+as\s+(?!_\b)(\w+)")
    hidden = {
        str(path.relative_to(PACKAGE)): alias.findall(text)
        for path in PACKAGE.rglob("*.py")
        if alias.search(text := path.read_text(encoding="utf-8"))
    }
    assert not hidden, f"gettext imported under other names: {hidden}"


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES if code != "en"])
def test_each_language_offered_has_a_complete_catalogue(language):
    catalogue = PACKAGE / "locale" / language / "LC_MESSAGES"
    entries = parse_po(catalogue / "django.po")
    reference = parse_po(PACKAGE / "locale" / "es" / "LC_MESSAGES" / "django.po")
    assert set(entries) == set(reference), "the catalogue misses or adds messages"
    missing = [key[1] for key, e in entries.items() if e["fuzzy"] or not all(e["str"])]
    assert not missing, f"{len(missing)} messages untranslated or fuzzy, e.g. {missing[:3]}"
    mo = catalogue / "django.mo"
    assert mo.exists(), "compile the catalogue (make messages)"
