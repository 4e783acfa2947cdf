"""An IPS document as a reader sees it: sections by their translated titles, each entry
as a line of text and a date, taken from the coded data (never from received markup)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from . import ips, ips_import

TITLES = {
    "11450-4": _("Problems"),
    "48765-2": _("Allergies and intolerances"),
    "10160-0": _("Medications"),
    "11369-6": _("Immunisations"),
    "30954-2": _("Results"),
    "18776-5": _("Plan of care"),
    "47519-4": _("Procedures"),
    "8716-3": _("Vital signs"),
    "29762-2": _("Social history"),
    "11348-0": _("Past problems"),
    "10162-6": _("Pregnancy"),
    "46264-8": _("Medical devices"),
    "42348-3": _("Advance directives"),
    "47420-5": _("Functional status"),
    "104605-1": _("Alerts"),
    "81338-6": _("Patient story"),
}


class Line(tuple):
    """An entry as (text, date), with what it holds inside (`details`: panel members,
    medication form and ingredients, dosage) as (label, text) pairs."""

    details: list = []


def _line(resource: dict) -> Line:
    try:
        line = Line(ips_import.describe(resource))
        line.details = ips_import.details(resource)
    except ips_import.MALFORMED:
        line = Line((resource.get("resourceType", ""), ""))
    return line


def sections(document: dict) -> list[dict]:
    index = ips._index(document)
    out = []
    for section in document["entry"][0]["resource"].get("section") or []:
        codings = (section.get("code") or {}).get("coding") or [{}]
        code = codings[0].get("code", "")
        items = []
        for entry in section.get("entry") or []:
            resource = index.get(entry.get("reference"))
            if resource:
                items.append(_line(resource))
        out.append(
            {
                "code": code,
                "title": TITLES.get(code) or section.get("title") or code,
                "items": items,
                "empty": not items,
            }
        )
    return out


def authors(document: dict) -> list[str]:
    """Who wrote the summary, by name, as the import names its source: an organisation, a
    person, or a system (a Device, by its owner, name, maker and model or type; never the
    word "Device")."""
    index = ips._index(document)
    composition = document["entry"][0]["resource"]
    out = []
    for ref in composition.get("author") or []:
        name, is_device = ips_import._party(ref, index)
        if not name and is_device:
            name = str(_("an unnamed system"))
        if name and name not in out:
            out.append(name)
    return out


def patient(document: dict) -> dict:
    found = next(
        e["resource"] for e in document["entry"] if e["resource"].get("resourceType") == "Patient"
    )
    return {
        "names": [ips.human_name(n) for n in found.get("name") or []],
        "gender": found.get("gender", ""),
        "birth_date": found.get("birthDate", ""),
    }
