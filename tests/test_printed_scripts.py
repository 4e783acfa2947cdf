"""The printed summary carries every script the product stores: the name of a person in
each of the demo's name cultures is drawn (no glyph silently dropped) and is in the PDF's
text layer exactly, as registered (NFC), so it can be copied and searched."""

import io
import logging
import random
import re
import unicodedata
from types import SimpleNamespace

import pytest

from mhis.demo.people import make_name
from mhis.demo.population import SCRIPTS
from mhis.names import detect_script
from mhis.names._lexicon import LEXICON
from mhis.portable import ips, printing

pypdf = pytest.importorskip("pypdf", reason="needs pypdf (dev extra)")

# Every name culture the demo draws people from, and the script its names are written in.
CULTURES = {**SCRIPTS, "vietnamese": "Latn", "spanish": "Latn"}


def _text_layer(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    # A long line wraps at a space; the name is compared with its spaces as spaces.
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text))


def _print(person, **kwargs) -> bytes:
    try:
        return printing.summary_pdf(person, **kwargs)
    except printing.FontsMissing as exc:
        pytest.fail(f"{exc} (make system installs fonts-noto-core)")


def test_the_demo_cultures_cover_each_script_the_demo_holds():
    held = {script for script, *_ in LEXICON} | {"Latn"}
    assert set(CULTURES.values()) == held


@pytest.mark.parametrize("culture", sorted(CULTURES))
def test_a_demo_persons_name_is_in_the_text_layer_exactly(culture, register, caplog):
    name = make_name(random.Random(f"print-{culture}"), culture, "male")
    assert detect_script(name.text) == CULTURES[culture]
    names = [{"text": name.text, **({"latin": name.latin} if name.latin else {})}]
    person = register(names=names)
    with caplog.at_level(logging.WARNING, logger="mhis.portable.printing"):
        text = _text_layer(_print(person, clinic_language="th"))
    assert unicodedata.normalize("NFC", name.text) in text, (name.text, text[:300])
    if name.latin:
        assert name.latin in text
    # Nothing left over from shaping: no control characters, no marker, nothing logged.
    assert not [c for c in text if unicodedata.category(c) == "Cc"], text
    assert printing.MISSING_MARK not in text
    assert not caplog.records


@pytest.mark.parametrize("script", sorted({script for script, *_ in LEXICON}))
def test_every_spelling_the_demo_draws_from_reads_back_exactly(script):
    """Each native spelling of the names lexicon (title, given and family names, ...),
    printed as a person's names, is in the text layer as written."""
    spellings = [native for s, native, *_ in LEXICON if s == script]
    document = {"resourceType": "Bundle", "type": "document", "entry": [
        {"resource": {"resourceType": "Composition", "section": []}},
        {"resource": {"resourceType": "Patient", "name": [{"text": s} for s in spellings]}},
    ]}  # fmt: skip
    person = SimpleNamespace(languages=[], registration_site_id=None)
    text = _text_layer(_print(person, document=document))
    for spelling in spellings:
        assert spelling in text, (spelling, text[:400])


def test_a_character_no_font_draws_is_marked_and_logged_not_dropped(register, caplog):
    person = register(names=[{"text": "김민준", "latin": "Kim Minjun"}])  # Hangul: no font
    with caplog.at_level(logging.WARNING, logger="mhis.portable.printing"):
        text = _text_layer(_print(person))
    assert f"{printing.MISSING_MARK} · Kim Minjun" in text
    assert "a character no font on this server can print" in text
    (record,) = caplog.records
    assert "U+AE40" in record.getMessage() and "김" not in record.getMessage()


def test_the_summary_of_an_export_prints_what_it_holds(register):
    """The printed text of each line (an entry's words) reads back as the bundle holds it."""
    person = register(names=[{"text": "ශ්‍රී නිමල්", "latin": "Sri Nimal"}])
    document = ips.bundle(person)
    text = _text_layer(_print(person, document=document))
    assert "ශ්‍රී නිමල්" in text and "Sri Nimal" in text


def test_make_system_checks_every_font_the_summary_embeds():
    from pathlib import Path

    makefile = (Path(__file__).parents[1] / "Makefile").read_text(encoding="utf-8")
    declared = re.search(r"^PRINT_FONTS :=((?:.*\\\n)*.*)$", makefile, re.M)
    assert declared, "PRINT_FONTS is not in the Makefile"
    listed = declared.group(1).replace("\\\n", " ").split()
    assert {f"{name}-Regular.ttf" for name in listed} == set(printing.FONTS.values())


# Scripts `mhis.names` recognises beyond the demo's (right-to-left names of several words
# among them: they read back in the order written, not the order drawn).
OTHER_SCRIPTS = {"Arab": "محمد علي حسن", "Hebr": "דוד כהן", "Beng": "রহিম উদ্দিন",
                 "Taml": "முருகன் செல்வம்", "Ethi": "አበበ ቢቂላ", "Geor": "გიორგი",
                 "Armn": "Արամ", "Grek": "Νίκος", "Cyrl": "Иван Петров"}  # fmt: skip


@pytest.mark.parametrize(("script", "name"), sorted(OTHER_SCRIPTS.items()))
def test_a_name_in_another_script_names_recognise_is_printed_exactly(script, name, caplog):
    assert detect_script(name) == script
    document = {"resourceType": "Bundle", "type": "document", "entry": [
        {"resource": {"resourceType": "Composition", "section": []}},
        {"resource": {"resourceType": "Patient", "name": [{"text": name}]}},
    ]}  # fmt: skip
    person = SimpleNamespace(languages=[], registration_site_id=None)
    with caplog.at_level(logging.WARNING, logger="mhis.portable.printing"):
        text = _text_layer(_print(person, document=document))
    assert f"Name: {name} " in text
    assert not caplog.records


def test_the_print_page_serves_a_name_no_font_draws_marked(client, people, register):
    person = register(names=[{"text": "김민준", "latin": "Kim Minjun"}])
    client.force_login(people["clinician"])
    response = client.get(f"/record/{person.uuid}/summary.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert printing.MISSING_MARK in _text_layer(response.content)
