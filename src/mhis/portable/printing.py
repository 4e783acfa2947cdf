"""The health summary on paper: one page, labels in the person's language and the clinic's
side by side, the entries as recorded, and the QR code of a SMART Health Link.

Fonts come from the machine (Debian's fonts-noto-core, in MHIS_FONT_DIR) and are embedded
in the PDF, so Burmese, Thai and Khmer print wherever the paper is read; text is shaped
with HarfBuzz (uharfbuzz), which Burmese and Khmer need.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from mhis.qrcodes import qr_png

from . import display, ips

# Font family -> file in MHIS_FONT_DIR. The first is the main font, the others fall back.
FONTS = {
    "NotoSans": "NotoSans-Regular.ttf",
    "NotoSansThai": "NotoSansThai-Regular.ttf",
    "NotoSansMyanmar": "NotoSansMyanmar-Regular.ttf",
    "NotoSansKhmer": "NotoSansKhmer-Regular.ttf",
}

# Printed labels. The page itself follows the interface's catalogues; the paper the person
# carries must also speak the languages of the clinics along the route.
LABELS = {
    "en": {"title": "Health summary", "name": "Name", "birth": "Date of birth", "sex": "Sex",
           "11450-4": "Problems", "48765-2": "Allergies", "10160-0": "Medications",
           "11369-6": "Immunisations", "30954-2": "Test results", "18776-5": "Plan of care",
           "none": "No information", "scan": "Scan to open this summary", "by": "Produced by",
           "date": "Date", "female": "Female", "male": "Male", "other": "Other", "unknown": "Unknown"},
    "es": {"title": "Resumen de salud", "name": "Nombre", "birth": "Fecha de nacimiento", "sex": "Sexo",
           "11450-4": "Problemas de salud", "48765-2": "Alergias", "10160-0": "Medicamentos",
           "11369-6": "Vacunas", "30954-2": "Resultados de pruebas", "18776-5": "Plan de atención",
           "none": "Sin información", "scan": "Escanee para abrir este resumen", "by": "Elaborado por",
           "date": "Fecha", "female": "Mujer", "male": "Hombre", "other": "Otro", "unknown": "Desconocido"},
    "th": {"title": "สรุปข้อมูลสุขภาพ", "name": "ชื่อ", "birth": "วันเกิด", "sex": "เพศ",
           "11450-4": "ปัญหาสุขภาพ", "48765-2": "การแพ้", "10160-0": "ยาที่ใช้",
           "11369-6": "การฉีดวัคซีน", "30954-2": "ผลการตรวจ", "18776-5": "แผนการดูแล",
           "none": "ไม่มีข้อมูล", "scan": "สแกนเพื่อเปิดสรุปนี้", "by": "จัดทำโดย",
           "date": "วันที่", "female": "หญิง", "male": "ชาย", "other": "อื่น ๆ", "unknown": "ไม่ทราบ"},
    "my": {"title": "ကျန်းမာရေး အကျဉ်းချုပ်", "name": "အမည်", "birth": "မွေးနေ့", "sex": "ကျား/မ",
           "11450-4": "ကျန်းမာရေး ပြဿနာများ", "48765-2": "ဓာတ်မတည့်မှုများ", "10160-0": "ဆေးဝါးများ",
           "11369-6": "ကာကွယ်ဆေးများ", "30954-2": "စစ်ဆေးမှု ရလဒ်များ", "18776-5": "ကုသမှု အစီအစဉ်",
           "none": "အချက်အလက် မရှိပါ", "scan": "ဤအကျဉ်းချုပ်ကို ဖွင့်ရန် စကင်ဖတ်ပါ", "by": "ထုတ်ပေးသူ",
           "date": "ရက်စွဲ", "female": "မ", "male": "ကျား", "other": "အခြား", "unknown": "မသိ"},
    "km": {"title": "សេចក្តីសង្ខេបសុខភាព", "name": "ឈ្មោះ", "birth": "ថ្ងៃខែឆ្នាំកំណើត", "sex": "ភេទ",
           "11450-4": "បញ្ហាសុខភាព", "48765-2": "អាឡែស៊ី", "10160-0": "ថ្នាំ",
           "11369-6": "ការចាក់វ៉ាក់សាំង", "30954-2": "លទ្ធផលពិនិត្យ", "18776-5": "ផែនការថែទាំ",
           "none": "គ្មានព័ត៌មាន", "scan": "ស្កេនដើម្បីបើកសេចក្តីសង្ខេបនេះ", "by": "រៀបចំដោយ",
           "date": "កាលបរិច្ឆេទ", "female": "ស្រី", "male": "ប្រុស", "other": "ផ្សេងទៀត", "unknown": "មិនដឹង"},
    "vi": {"title": "Tóm tắt sức khỏe", "name": "Họ tên", "birth": "Ngày sinh", "sex": "Giới tính",
           "11450-4": "Vấn đề sức khỏe", "48765-2": "Dị ứng", "10160-0": "Thuốc đang dùng",
           "11369-6": "Tiêm chủng", "30954-2": "Kết quả xét nghiệm", "18776-5": "Kế hoạch chăm sóc",
           "none": "Không có thông tin", "scan": "Quét để mở bản tóm tắt này", "by": "Lập bởi",
           "date": "Ngày", "female": "Nữ", "male": "Nam", "other": "Khác", "unknown": "Không rõ"},
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
    from fpdf import FPDF

    paths = _font_paths()
    document = document or ips.bundle(person)
    clinic = clinic_language.split("-")[0] if clinic_language else "en"
    clinic = clinic if clinic in LABELS else "en"
    languages = [language_of(person, clinic), clinic]
    patient = display.patient(document)

    pdf = FPDF(format="A4")
    pdf.set_title(_pair("title", languages))
    pdf.set_creator("MHIS")
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=15)
    for family, path in paths.items():
        pdf.add_font(family, fname=str(path))
    pdf.set_text_shaping(True)
    pdf.set_fallback_fonts([f for f in FONTS if f != "NotoSans"], exact_match=False)
    pdf.add_page()

    qr_size = 42
    if link_uri:
        pdf.image(io.BytesIO(qr_png(link_uri)), x=pdf.w - 15 - qr_size, y=12, w=qr_size)
    width = pdf.w - 30 - (qr_size + 4 if link_uri else 0)

    pdf.set_font("NotoSans", size=16)
    pdf.multi_cell(width, 8, _pair("title", languages), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("NotoSans", size=10)
    sex = _pair(patient["gender"] or "unknown", languages, patient["gender"])
    for key, value in (
        ("name", " · ".join(patient["names"])),
        ("birth", patient["birth_date"] or "—"),
        ("sex", sex),
    ):
        pdf.multi_cell(
            width, 5.5, f"{_pair(key, languages)}: {value}", new_x="LMARGIN", new_y="NEXT"
        )
    if link_uri:
        pdf.set_font("NotoSans", size=8)
        pdf.multi_cell(width, 4.5, _pair("scan", languages), new_x="LMARGIN", new_y="NEXT")
        pdf.set_y(max(pdf.get_y(), 12 + qr_size + 2))
    pdf.ln(3)

    for section in display.sections(document):
        pdf.set_font("NotoSans", size=12)
        pdf.multi_cell(
            0,
            6.5,
            _pair(section["code"], languages, str(section["title"])),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_font("NotoSans", size=9.5)
        if section["empty"]:
            pdf.multi_cell(0, 5, _pair("none", languages), new_x="LMARGIN", new_y="NEXT")
        for text, date in section["items"]:
            line = f"• {text}" + (f" ({date})" if date else "")
            pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1.5)

    pdf.ln(2)
    pdf.set_font("NotoSans", size=8)
    site = person.registration_site.name if person.registration_site_id else ""
    stamp = timezone.localdate().isoformat()
    pdf.multi_cell(
        0,
        4.5,
        f"{_pair('by', languages)}: {site} · {_pair('date', languages)}: {stamp}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())
