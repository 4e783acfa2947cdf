"""The health summary on paper: one page, labels in the person's language and the clinic's
side by side, the entries as recorded, and the QR code of a SMART Health Link.

Fonts come from the machine (Debian's fonts-noto-core, in MHIS_FONT_DIR) and are embedded
in the PDF, so every script a name can be written in (see `mhis.names`) prints wherever the
paper is read; text is shaped with HarfBuzz (uharfbuzz), which Burmese, Khmer, Sinhala and
Devanagari need. A character no font draws is printed as a visible marker and logged, never
dropped. The PDF's text layer carries the exact text printed (see :func:`_exact_text_layer`),
so a name copied or searched in the PDF is the name as registered.
"""

from __future__ import annotations

import functools
import io
import logging
import unicodedata
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from mhis.qrcodes import qr_png

from . import display, ips

logger = logging.getLogger(__name__)

# Font family -> file in MHIS_FONT_DIR. The first is the main font (Latin, Greek, Cyrillic),
# the others fall back: one for each script `mhis.names` recognises that Debian's
# fonts-noto-core covers (the demo's Thai, Burmese and Karen, Khmer, Lao, Sinhala and Nepali
# names among them). Chinese, Japanese and Korean need fonts-noto-cjk, which the server
# does not install: their characters print as MISSING_MARK.
FONTS = {
    "NotoSans": "NotoSans-Regular.ttf",
    "NotoSansThai": "NotoSansThai-Regular.ttf",
    "NotoSansMyanmar": "NotoSansMyanmar-Regular.ttf",
    "NotoSansKhmer": "NotoSansKhmer-Regular.ttf",
    "NotoSansLao": "NotoSansLao-Regular.ttf",
    "NotoSansSinhala": "NotoSansSinhala-Regular.ttf",
    "NotoSansDevanagari": "NotoSansDevanagari-Regular.ttf",
    "NotoSansBengali": "NotoSansBengali-Regular.ttf",
    "NotoSansTamil": "NotoSansTamil-Regular.ttf",
    "NotoSansArabic": "NotoSansArabic-Regular.ttf",
    "NotoSansHebrew": "NotoSansHebrew-Regular.ttf",
    "NotoSansEthiopic": "NotoSansEthiopic-Regular.ttf",
    "NotoSansGeorgian": "NotoSansGeorgian-Regular.ttf",
    "NotoSansArmenian": "NotoSansArmenian-Regular.ttf",
}
# Printed in place of a character that no font draws (the page also says what it means).
MISSING_MARK = "[?]"
# A glyph that draws part of a character another glyph of its cluster already carries (a
# Sinhala or Khmer vowel drawn in two pieces) is mapped to this code point, and the mapping
# written as empty (see _empty_mappings): the text layer then holds each character once.
_NOTHING = 0x10FFFD

# Printed labels. The page itself follows the interface's catalogues; the paper the person
# carries must also speak the languages of the clinics along the route.
LABELS = {
    "en": {"title": "Health summary", "name": "Name", "birth": "Date of birth", "sex": "Sex",
           "11450-4": "Problems", "48765-2": "Allergies", "10160-0": "Medications",
           "11369-6": "Immunisations", "30954-2": "Test results", "18776-5": "Plan of care",
           "none": "No information", "scan": "Scan to open this summary", "by": "Produced by",
           "date": "Date", "female": "Female", "male": "Male", "other": "Other", "unknown": "Unknown",
           "missing": "[?]: a character no font on this server can print"},
    "es": {"title": "Resumen de salud", "name": "Nombre", "birth": "Fecha de nacimiento", "sex": "Sexo",
           "11450-4": "Problemas de salud", "48765-2": "Alergias", "10160-0": "Medicamentos",
           "11369-6": "Vacunas", "30954-2": "Resultados de pruebas", "18776-5": "Plan de atención",
           "none": "Sin información", "scan": "Escanee para abrir este resumen", "by": "Elaborado por",
           "date": "Fecha", "female": "Mujer", "male": "Hombre", "other": "Otro", "unknown": "Desconocido",
           "missing": "[?]: un carácter que ninguna fuente de este servidor puede imprimir"},
    "th": {"title": "สรุปข้อมูลสุขภาพ", "name": "ชื่อ", "birth": "วันเกิด", "sex": "เพศ",
           "11450-4": "ปัญหาสุขภาพ", "48765-2": "การแพ้", "10160-0": "ยาที่ใช้",
           "11369-6": "การฉีดวัคซีน", "30954-2": "ผลการตรวจ", "18776-5": "แผนการดูแล",
           "none": "ไม่มีข้อมูล", "scan": "สแกนเพื่อเปิดสรุปนี้", "by": "จัดทำโดย",
           "date": "วันที่", "female": "หญิง", "male": "ชาย", "other": "อื่น ๆ", "unknown": "ไม่ทราบ",
           "missing": "[?]: อักขระที่ไม่มีแบบอักษรใดบนเซิร์ฟเวอร์นี้พิมพ์ได้"},
    "my": {"title": "ကျန်းမာရေး အကျဉ်းချုပ်", "name": "အမည်", "birth": "မွေးနေ့", "sex": "ကျား/မ",
           "11450-4": "ကျန်းမာရေး ပြဿနာများ", "48765-2": "ဓာတ်မတည့်မှုများ", "10160-0": "ဆေးဝါးများ",
           "11369-6": "ကာကွယ်ဆေးများ", "30954-2": "စစ်ဆေးမှု ရလဒ်များ", "18776-5": "ကုသမှု အစီအစဉ်",
           "none": "အချက်အလက် မရှိပါ", "scan": "ဤအကျဉ်းချုပ်ကို ဖွင့်ရန် စကင်ဖတ်ပါ", "by": "ထုတ်ပေးသူ",
           "date": "ရက်စွဲ", "female": "မ", "male": "ကျား", "other": "အခြား", "unknown": "မသိ",
           "missing": "[?]: ဤဆာဗာရှိ မည်သည့်ဖောင့်မျှ ပုံနှိပ်၍မရသော စာလုံး"},
    "km": {"title": "សេចក្តីសង្ខេបសុខភាព", "name": "ឈ្មោះ", "birth": "ថ្ងៃខែឆ្នាំកំណើត", "sex": "ភេទ",
           "11450-4": "បញ្ហាសុខភាព", "48765-2": "អាឡែស៊ី", "10160-0": "ថ្នាំ",
           "11369-6": "ការចាក់វ៉ាក់សាំង", "30954-2": "លទ្ធផលពិនិត្យ", "18776-5": "ផែនការថែទាំ",
           "none": "គ្មានព័ត៌មាន", "scan": "ស្កេនដើម្បីបើកសេចក្តីសង្ខេបនេះ", "by": "រៀបចំដោយ",
           "date": "កាលបរិច្ឆេទ", "female": "ស្រី", "male": "ប្រុស", "other": "ផ្សេងទៀត", "unknown": "មិនដឹង",
           "missing": "[?]: តួអក្សរដែលគ្មានពុម្ពអក្សរណាមួយនៅលើម៉ាស៊ីនមេនេះអាចបោះពុម្ពបាន"},
    "vi": {"title": "Tóm tắt sức khỏe", "name": "Họ tên", "birth": "Ngày sinh", "sex": "Giới tính",
           "11450-4": "Vấn đề sức khỏe", "48765-2": "Dị ứng", "10160-0": "Thuốc đang dùng",
           "11369-6": "Tiêm chủng", "30954-2": "Kết quả xét nghiệm", "18776-5": "Kế hoạch chăm sóc",
           "none": "Không có thông tin", "scan": "Quét để mở bản tóm tắt này", "by": "Lập bởi",
           "date": "Ngày", "female": "Nữ", "male": "Nam", "other": "Khác", "unknown": "Không rõ",
           "missing": "[?]: ký tự mà không phông chữ nào trên máy chủ này in được"},
}  # fmt: skip


class FontsMissing(RuntimeError):
    pass


def _font_paths() -> dict[str, Path]:
    folder = Path(settings.MHIS_FONT_DIR)
    paths = {family: folder / name for family, name in FONTS.items()}
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:  # the files are named in the log, not to the reader (paths on this server)
        logging.getLogger(__name__).error(
            "fonts missing for the printed summary: %s", ", ".join(missing)
        )
        raise FontsMissing(
            _(
                "Fonts for the printed summary are missing on the server: install fonts-noto-core or set MHIS_FONT_DIR."
            )
        )
    return paths


def _shape_text(self, text: str, font_size_pt: float, text_shaping_params):
    """fpdf2's `TTFFont.shape_text` with a text layer that reads back exactly.

    HarfBuzz returns the glyphs of a cluster (a Burmese syllable whose vowel is drawn before
    its consonant, a Sinhala vowel drawn in two pieces) in the order they are drawn; fpdf2
    gives the whole cluster's text to the first glyph and none to the others, so a PDF
    reader shows their raw codes (control characters) in the text. Here the cluster's
    characters are dealt out to its glyphs in drawing order (the last glyph takes what is
    left; a glyph left without one maps to nothing), so reading the glyphs in order gives
    the characters in their logical order. And a mark moved onto its base is drawn without
    new text positions around it (a reader takes those for a gap between words).
    """
    if not text:
        return []
    infos, positions = self.perform_harfbuzz_shaping(text, font_size_pt, text_shaping_params)
    starts = sorted({int(info.cluster) for info in infos})
    ends = dict(zip(starts, [*starts[1:], len(text)], strict=True))
    members: dict[int, list[int]] = {}
    for index, info in enumerate(infos):
        members.setdefault(int(info.cluster), []).append(index)
    codes: dict[int, tuple[int, ...]] = {}
    for start, indexes in members.items():
        chars = [ord(c) for c in text[start : ends[start]]]
        for rank, index in enumerate(indexes):
            if rank < len(indexes) - 1:
                codes[index] = (chars[rank],) if rank < len(chars) else (_NOTHING,)
            else:
                codes[index] = tuple(chars[rank:]) or (_NOTHING,)
    out = []
    for index, (info, position) in enumerate(zip(infos, positions, strict=True)):
        name = self.ttfont.getGlyphName(info.codepoint)
        x_offset = position.x_offset
        after = positions[index + 1].x_offset if index + 1 < len(positions) else 0
        # The glyph's width in the PDF is where the next one is drawn, measured from where
        # this one is: the pen lands there without a new text position (which a reader
        # may take for a word gap) unless a glyph is raised or lowered.
        width = position.x_advance + after - x_offset
        glyph = self.subset.get_glyph(
            glyph=info.codepoint, unicode=codes[index], glyph_name=name, glyph_width=width
        )
        if glyph is None:
            continue
        out.append(
            {
                "mapped_char": self.subset.pick_glyph(glyph),
                "x_advance": position.x_advance,
                "y_advance": position.y_advance,
                "x_offset": x_offset,
                "y_offset": position.y_offset,
                "force_positioning": bool(position.y_offset or position.y_advance),
            }
        )
    return out


def _empty_mappings() -> None:
    """Write a glyph mapped to _NOTHING as mapping to no text in the ToUnicode table."""
    from fpdf import output

    build = getattr(output, "_build_cmap_blocks", None)
    if build is None or getattr(build, "_mhis", False):
        return
    nothing = "<DBFFDFFD>"  # _NOTHING as fpdf2 writes it (a UTF-16 surrogate pair)

    def _build(entries, operator):
        return build([e.replace(nothing, "<>") for e in entries], operator)

    _build._mhis = True  # type: ignore[attr-defined]
    output._build_cmap_blocks = _build


def _exact_text_layer(pdf) -> None:
    """Shape the text of `pdf`'s fonts with :func:`_shape_text`."""
    from fpdf.fonts import TTFFont

    class ExactText(TTFFont):
        __slots__ = ()
        shape_text = _shape_text

    _empty_mappings()
    for font in pdf.fonts.values():
        if type(font) is TTFFont:
            font.__class__ = ExactText


@functools.cache
def _paper():
    """fpdf2's FPDF, keeping a space between two runs of one fallback font in that font.

    A name of several words in a script the main font lacks is drawn in the script's font
    but its spaces in the main one, so a right-to-left name became one run per word, which
    readers put back in drawing order (last word first). Kept in one run, the words read
    back in the order they were written.
    """
    from fpdf import FPDF

    class Paper(FPDF):
        def _parse_chars(self, text, markdown, **kwargs):
            fragments = list(super()._parse_chars(text, markdown, **kwargs))
            index = 0
            while index < len(fragments):
                fragment = fragments[index]
                while index + 2 < len(fragments):
                    gap, following = fragments[index + 1], fragments[index + 2]
                    if not (
                        following.font is fragment.font
                        and gap.font is not fragment.font
                        and gap.characters
                        and all(c == " " for c in gap.characters)
                        and 0x20 in getattr(fragment.font, "cmap", {})
                        and fragment.link == gap.link == following.link
                    ):
                        break
                    fragment.characters = [
                        *fragment.characters,
                        *gap.characters,
                        *following.characters,
                    ]
                    index += 2
                yield fragment
                index += 1

    return Paper


def _printable(text: str, drawn: set[int], missing: set[str]) -> str:
    """`text` with each character no font draws replaced by MISSING_MARK (and noted in
    `missing`); spaces, joiners and other format characters need no glyph."""
    out = []
    for char in text:
        if ord(char) in drawn or char.isspace() or unicodedata.category(char) == "Cf":
            out.append(char)
        else:
            missing.add(f"U+{ord(char):04X}")
            if not out or out[-1] != MISSING_MARK:
                out.append(MISSING_MARK)
    return "".join(out)


def language_of(person, default: str = "en") -> str:
    """The first of the person's languages that the paper speaks."""
    for code in person.languages or []:
        if code in LABELS:
            return code
    return default


def _pair(key: str, languages: list[str], fallback: str = "") -> str:
    words = []
    for language in languages:
        word = LABELS[language].get(key) or fallback
        if word and word not in words:
            words.append(word)
    return " / ".join(words) or fallback


def summary_pdf(
    person, *, clinic_language: str = "en", link_uri: str = "", document: dict | None = None
) -> bytes:
    """The printed summary of `person` (or of `document`, an IPS of theirs) as PDF bytes."""
    paths = _font_paths()
    document = document or ips.bundle(person)
    clinic = clinic_language.split("-")[0] if clinic_language else "en"
    clinic = clinic if clinic in LABELS else "en"
    languages = [language_of(person, clinic), clinic]
    patient = display.patient(document)

    pdf = _paper()(format="A4")
    pdf.set_title(_pair("title", languages))
    pdf.set_creator("MHIS")
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=15)
    for family, path in paths.items():
        pdf.add_font(family, fname=str(path))
    pdf.set_text_shaping(True)
    pdf.set_fallback_fonts([f for f in FONTS if f != "NotoSans"], exact_match=False)
    _exact_text_layer(pdf)
    drawn = {code for font in pdf.fonts.values() for code in getattr(font, "cmap", {})}
    missing: set[str] = set()

    def write(w: float, h: float, text: str) -> None:
        pdf.multi_cell(w, h, _printable(text, drawn, missing), new_x="LMARGIN", new_y="NEXT")

    pdf.add_page()

    qr_size = 42
    if link_uri:
        pdf.image(io.BytesIO(qr_png(link_uri)), x=pdf.w - 15 - qr_size, y=12, w=qr_size)
    width = pdf.w - 30 - (qr_size + 4 if link_uri else 0)

    pdf.set_font("NotoSans", size=16)
    write(width, 8, _pair("title", languages))
    pdf.ln(2)
    pdf.set_font("NotoSans", size=10)
    sex = _pair(patient["gender"] or "unknown", languages, patient["gender"])
    for key, value in (
        ("name", " · ".join(patient["names"])),
        ("birth", patient["birth_date"] or "—"),
        ("sex", sex),
    ):
        write(width, 5.5, f"{_pair(key, languages)}: {value}")
    if link_uri:
        pdf.set_font("NotoSans", size=8)
        write(width, 4.5, _pair("scan", languages))
        pdf.set_y(max(pdf.get_y(), 12 + qr_size + 2))
    pdf.ln(3)

    for section in display.sections(document):
        pdf.set_font("NotoSans", size=12)
        write(0, 6.5, _pair(section["code"], languages, str(section["title"])))
        pdf.set_font("NotoSans", size=9.5)
        if section["empty"]:
            write(0, 5, _pair("none", languages))
        for text, date in section["items"]:
            line = f"• {text}" + (f" ({date})" if date else "")
            write(0, 5, line)
        pdf.ln(1.5)

    pdf.ln(2)
    pdf.set_font("NotoSans", size=8)
    site = person.registration_site.name if person.registration_site_id else ""
    stamp = timezone.localdate().isoformat()
    write(0, 4.5, f"{_pair('by', languages)}: {site} · {_pair('date', languages)}: {stamp}")
    if missing:  # said on the paper, and logged by code point (never the text: a name)
        write(0, 4.5, _pair("missing", languages, LABELS["en"]["missing"]))
        logger.warning(
            "printed summary: no font for %s (printed as %s)",
            ", ".join(sorted(missing)),
            MISSING_MARK,
        )
    return bytes(pdf.output())
