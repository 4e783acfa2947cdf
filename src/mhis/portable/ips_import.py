"""Reading an International Patient Summary another system produced (IPS 2.0.0, FHIR R4).

Three kinds of trouble, three answers (ADR 0024):

- What the whole document depends on — a document Bundle with its identifier and
  timestamp, one Composition and it first, one Patient with a birth date (or the reason it
  is absent), the Composition about that Patient, the required sections, a narrative in
  every section — is checked by :func:`faults`; any fault refuses the bundle whole.
- What one entry depends on — the entry itself, who it is about, the members of a panel,
  its medication — and a number that is not a number (NaN, Infinity) refuse that entry
  only, named with the reason; the rest is read.
- A reference to context that is not in the bundle (an encounter, a practitioner) is kept
  as the words it carried, and said.

Nested content is kept: the members of an Observation panel (`hasMember`) and the
Medication a statement or request names become `contained` resources of the entry, so
that values, form, ingredients and strengths stay with it and it stays valid FHIR.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import sys
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mhis.crypto import keyed_hash

from . import ips

OURS = "urn:ietf:rfc:3986"  # the system of the identifiers MHIS gives people in a summary
ABSENT = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
SUBJECT_KEYS = ("subject", "patient")  # who an entry is about
CONTAINED = "mhis-"  # prefix of the ids of what is contained when read
_NOT_A_NUMBER = re.compile(r"[+-]?(nan|inf|infinity)", re.IGNORECASE)
_QUANTITY_KEYS = {"unit", "system", "code", "comparator"}
_NUMBER_KEYS = {"valueDecimal", "valueInteger", "valueUnsignedInt", "valuePositiveInt"}


class NonFinite(str):
    """`NaN`, `Infinity` or `-Infinity` where JSON allows none of them: kept as the word
    it was so the entry holding it can be named and refused."""


def loads(text: str | bytes) -> Any:
    """JSON as FHIR allows it: a bare NaN or Infinity comes back as a :class:`NonFinite`
    (never a float), for :func:`non_finite` to find."""
    return json.loads(text, parse_constant=NonFinite)


MAX_DEPTH = 64  # levels of JSON a summary may nest: FHIR resources need far fewer


def too_deep(node, limit: int = MAX_DEPTH) -> bool:
    """Whether `node` nests deeper than `limit` levels (walked without recursion, so a
    hostile file cannot exhaust the stack of what reads it next)."""
    stack = [(node, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > limit:
                return True
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children)
    return False


def non_finite(node, path: str = "") -> list[str]:
    """Where `node` holds a number that is not a finite number: a bare NaN/Infinity, or the
    words "NaN"/"Infinity" given as a decimal (a Quantity's value, valueDecimal…)."""
    found = []
    if isinstance(node, dict):
        quantity = bool(_QUANTITY_KEYS & node.keys())
        for key, value in node.items():
            where = f"{path}.{key}" if path else key
            if (
                isinstance(value, NonFinite)
                or _beyond(value)
                or (
                    isinstance(value, str)
                    and _NOT_A_NUMBER.fullmatch(value.strip())
                    and (key in _NUMBER_KEYS or (quantity and key == "value"))
                )
            ):
                found.append(where)
            else:
                found += non_finite(value, where)
    elif isinstance(node, list):
        for item in node:
            found += non_finite(item, path)
    elif isinstance(node, NonFinite) or _beyond(node):
        found.append(path or "value")
    return found


def _beyond(value) -> bool:
    """A float that is not finite (1e400 reads as infinity), or a whole number too large
    for any number a reader holds (a 400-digit integer)."""
    if isinstance(value, float):
        return not math.isfinite(value)
    return (
        isinstance(value, int) and not isinstance(value, bool) and abs(value) > sys.float_info.max
    )


def _not_finite(where: str) -> str:
    return _("%(where)s is not a finite number") % {"where": where}


def _unresolved(reference) -> str:
    return _("the reference %(reference)s resolves to no entry of the bundle") % {
        "reference": reference
    }


# --- What refuses the whole document ----------------------------------------------------


def _resources(document: dict) -> list[dict]:
    return [
        e.get("resource") if isinstance(e.get("resource"), dict) else {}
        for e in document.get("entry") or []
        if isinstance(e, dict)
    ]


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _birth_given(patient: dict) -> bool:
    if isinstance(patient.get("birthDate"), str) and patient["birthDate"].strip():
        return True
    extensions = (patient.get("_birthDate") or {}).get("extension") or []
    return any(isinstance(e, dict) and e.get("url") == ABSENT for e in extensions)


def _code(section: dict) -> str:
    for coding in (section.get("code") or {}).get("coding") or []:
        if isinstance(coding, dict) and coding.get("code"):
            return str(coding["code"])
    return ""


MALFORMED = (TypeError, AttributeError, KeyError, ValueError, IndexError)


def faults(document) -> list[str]:
    """What keeps `document` from being an IPS document we can read at all, each fault in
    words (IPS 2.0.0: Bundle-uv-ips, Composition-uv-ips, Patient-uv-ips and bdl-ips-1)."""
    try:
        return _faults(document)
    except MALFORMED:  # an element of the wrong JSON type where the Bundle's frame is
        return [
            _(
                "the bundle is malformed: an element of its frame (entries, Composition, "
                "sections, Patient) has the wrong type"
            )
        ]


def _faults(document) -> list[str]:
    if not isinstance(document, dict) or document.get("resourceType") != "Bundle":
        return ["not a FHIR Bundle"]
    out = []
    if document.get("type") != "document":
        out.append(_("Bundle.type is not “document”"))
    identifier = document.get("identifier")
    if not isinstance(identifier, dict) or not str(identifier.get("value") or "").strip():
        out.append(_("Bundle.identifier is missing: a document is known by it"))
    if not isinstance(document.get("timestamp"), str) or not document["timestamp"].strip():
        out.append(_("Bundle.timestamp is missing: a document says when it was assembled"))
    resources = _resources(document)
    composition = resources[0] if resources else {}
    if composition.get("resourceType") != "Composition":
        out.append(_("the first entry is not a Composition"))
        composition = {}
    for number, resource in enumerate(resources[1:], start=2):
        if resource.get("resourceType") == "Composition":
            out.append(
                _("a second Composition (entry %(n)s); an IPS has exactly one") % {"n": number}
            )
    patients = [r for r in resources if r.get("resourceType") == "Patient"]
    if len(patients) != 1:
        out.append(_("%(n)s Patient resources; an IPS has exactly one") % {"n": len(patients)})
    else:
        (patient,) = patients
        if not any(ips.human_name(ips._plain_name(n)) for n in _list(patient.get("name"))):
            out.append(_("Patient.name is missing: an IPS gives a text, family or given name"))
        if not _birth_given(patient):
            out.append(
                _("Patient.birthDate is missing (an IPS gives it, or the reason it is absent)")
            )
        out += [_not_finite(f"Patient.{where}") for where in non_finite(patient)]
    urls = ips._index(document)
    if composition:
        subject = (composition.get("subject") or {}).get("reference")
        if len(patients) == 1 and urls.get(subject) is not patients[0]:
            out.append(
                _("Composition.subject (%(reference)s) is not the bundle's Patient")
                % {"reference": subject or "—"}
            )
        sections = {}
        for number, section in enumerate(composition.get("section") or [], start=1):
            if not isinstance(section, dict):
                out.append(_("section %(n)s is not a section") % {"n": number})
                continue
            code = _code(section)
            sections.setdefault(code, section)
            if not str((section.get("text") or {}).get("div") or "").strip():
                name = section.get("title") or code or number
                out.append(
                    _("the section %(code)s (%(title)s) has no text (narrative)")
                    % {"code": code or number, "title": name}
                )
            if (
                code in ips.REQUIRED_SECTIONS  # ips-comp-1: the required sections only
                and not section.get("entry")
                and not section.get("emptyReason")
            ):
                out.append(
                    _("the section %(code)s has neither entries nor an empty reason")
                    % {"code": code}
                )
        for code in sorted(ips.REQUIRED_SECTIONS):
            if code not in sections:
                out.append(_("the required section %(code)s is missing") % {"code": code})
        out += [_not_finite(f"Composition.{where}") for where in non_finite(composition)]
    return out


# --- Reading, entry by entry -------------------------------------------------------------


class Refused(Exception):
    """An entry that cannot be read: the reason, in words."""


@dataclass
class Reading:
    """What a bundle says, ready to be kept: the patient, the source, the sections with
    their narratives (as received), the entries read, and those refused with the reason."""

    patient: dict
    source: str
    identifier: str
    composed_at: str
    document_key: str = ""
    patient_keys: list[str] = field(default_factory=list)
    sections: dict[str, dict] = field(default_factory=dict)  # code -> {title, narrative}
    items: list[dict] = field(
        default_factory=list
    )  # {section, resource_type, text, date, resource}
    skipped: list[str] = field(default_factory=list)  # refused entries and dropped references


def _resolve(index: dict, reference) -> dict | None:
    if not isinstance(reference, str):
        return None
    if reference in index:
        return index[reference]
    # An absolute reference to a resource the bundle holds as Type/id (FHIR's rule for
    # resolving references in a bundle against the same base).
    parts = reference.rstrip("/").split("/")
    if len(parts) >= 2 and "://" in reference:
        return index.get(f"{parts[-2]}/{parts[-1]}")
    return None


def _label(resource: dict, reference: str) -> str:
    text = ips.describe(resource)[0] if resource else ""
    kind = resource.get("resourceType", "") if resource else ""
    return f"{kind} {reference}".strip() + (f" ({text})" if text and text != kind else "")


class _Keeper:
    """Keeps one entry: references to the patient marked, panel members and the
    medication contained, other references replaced by what they name."""

    def __init__(self, index: dict, patient: dict):
        self.index, self.patient = index, patient
        self.contained: list[dict] = []
        self.ids: dict[int, str] = {}
        self.notes: list[str] = []

    def contain(self, resource: dict, reference: str) -> str:
        key = id(resource)
        if key not in self.ids and (bad := non_finite(resource)):
            kind = resource.get("resourceType", "")
            raise Refused(
                f"{reference}: " + _not_finite(", ".join(f"{kind}.{where}" for where in bad))
            )
        if key not in self.ids:
            self.ids[key] = f"{CONTAINED}{len(self.ids) + 1}"
            kept = {k: v for k, v in resource.items() if k not in ("meta", "text", "contained")}
            kept["id"] = self.ids[key]
            at = len(self.contained)
            self.contained.append(kept)  # its place is taken first: members nest and repeat
            self.contained[at] = self.keep(kept)
        return "#" + self.ids[key]

    def reference(self, node: dict, key: str) -> dict:
        reference = node.get("reference")
        target = _resolve(self.index, reference)
        if target is self.patient:
            return {"reference": ips.PATIENT}
        if key in SUBJECT_KEYS:
            raise Refused(
                _("it is about %(reference)s, not the bundle's patient") % {"reference": reference}
            )
        if target is None:
            if key in ("hasMember", "medicationReference"):
                raise Refused(_unresolved(reference))
            note = _unresolved(reference)
            if note not in self.notes:
                self.notes.append(note)
            return {"display": str(node.get("display") or reference)[:200]}
        if key == "hasMember" or key == "medicationReference":
            kept = {"reference": self.contain(target, reference)}
            if node.get("display"):
                kept["display"] = node["display"]
            return kept
        return {"display": node.get("display") or ips._name_of(target)}

    def keep(self, node, key: str = ""):
        if isinstance(node, list):
            return [self.keep(item, key) for item in node]
        if not isinstance(node, dict):
            return node
        reference = node.get("reference")
        if isinstance(reference, str) and not reference.startswith("#"):
            return self.reference(node, key)
        return {k: self.keep(v, k) for k, v in node.items()}


def keep(resource: dict, index: dict, patient: dict) -> tuple[dict, list[str]]:
    """An entry as kept (see :class:`_Keeper`) and the notes on what was left out; raises
    :class:`Refused` when what it depends on is not in the bundle or not finite."""
    if bad := non_finite(resource):
        kind = resource.get("resourceType", "")
        raise Refused(_not_finite(", ".join(f"{kind}.{where}" for where in bad)))
    keeper = _Keeper(index, patient)
    kept = {k: v for k, v in resource.items() if k not in ("id", "meta", "text")}
    kept = keeper.keep(kept)
    if keeper.contained:
        kept["contained"] = [*(kept.get("contained") or []), *keeper.contained]
    return kept, keeper.notes


def describe(resource: dict) -> tuple[str, str]:
    """A line of text and a date for a kept entry: as `ips.describe`, the medication's
    name taken from the Medication it contains."""
    medication = contained(resource, (resource.get("medicationReference") or {}).get("reference"))
    if medication and "medicationCodeableConcept" not in resource:
        resource = {**resource, "medicationCodeableConcept": medication.get("code") or {}}
    return ips.describe(resource)


def contained(resource: dict, reference) -> dict | None:
    if not isinstance(reference, str) or not reference.startswith("#"):
        return None
    return next(
        (
            c
            for c in resource.get("contained") or []
            if isinstance(c, dict) and c.get("id") == reference[1:]
        ),
        None,
    )


def _key(system, value, purpose: str) -> str:
    return keyed_hash(f"{str(system or '').strip()}|{str(value or '').strip()}", purpose=purpose)


def patient_keys(patient: dict) -> list[str]:
    """Keyed hashes of the patient's identifiers from other systems (system and value; an
    identifier without a system names nobody for sure and is left out)."""
    out = []
    for identifier in patient.get("identifier") or []:
        if not isinstance(identifier, dict):
            continue
        system, value = identifier.get("system"), identifier.get("value")
        if isinstance(system, str) and system and isinstance(value, str) and value.strip():
            if system == OURS and value.startswith("urn:uuid:"):
                continue  # one of ours: found by `services._ours`
            out.append(_key(system, value, "ips-patient"))
    return sorted(set(out))


def _party(ref, index: dict) -> tuple[str, bool]:
    """The name of who a reference names, and whether it is a device (a generator of
    documents: named only when no person or organisation is)."""
    if not isinstance(ref, dict):
        return "", False
    target = _resolve(index, ref.get("reference")) or {}
    kind = target.get("resourceType", "")
    if ref.get("display"):
        return str(ref["display"]), kind == "Device"
    if kind == "Device":
        owner = target.get("owner")
        if isinstance(owner, dict) and (name := _party(owner, index)[0]):
            return name, False
        return ips.device_name(target), True  # its name, else maker and model, else type
    if kind == "PractitionerRole":
        for key in ("organization", "practitioner"):
            if name := _party(target.get(key), index)[0]:
                return name, False
        return "", False
    name = ips._name_of(target) if target else ""
    return ("" if name == kind else str(name)), False


def _source(composition: dict, index: dict) -> str:
    """Who sent the summary: the custodian, else an attester, else an author — a person or
    an organisation before a device (never the word "Device")."""
    attesters = [a.get("party") for a in composition.get("attester") or [] if isinstance(a, dict)]
    device = ""
    for ref in [composition.get("custodian"), *attesters, *(composition.get("author") or [])]:
        name, is_device = _party(ref, index)
        if name and not is_device:
            return name
        device = device or name
    return device


def read(document: dict) -> Reading:
    """Read a bundle that has no `faults`: the patient, the source (custodian or first
    author), the sections and their entries; entries that cannot be read are refused one by
    one, named with the reason, and everything else is read."""
    index = ips._index(document)
    resources = _resources(document)
    composition = resources[0]
    patient = next(r for r in resources if r.get("resourceType") == "Patient")
    source = _source(composition, index)
    identifier = document.get("identifier") or {}
    reading = Reading(
        patient=patient,
        source=str(source)[:200],
        identifier=str(identifier.get("value") or "")[:200],
        composed_at=str(composition.get("date") or "")[:40],
        document_key=_key(identifier.get("system"), identifier.get("value"), "ips-document"),
        patient_keys=patient_keys(patient),
    )
    read_already: set[tuple[str, int]] = set()  # listed twice in a section: read once
    for section in composition.get("section") or []:
        code = _code(section)[:20]
        codings = (section.get("code") or {}).get("coding") or [{}]
        title = str(section.get("title") or codings[0].get("display") or code)
        reading.sections[code] = {
            "title": title[:200],
            "narrative": (section.get("text") or {}).get("div", ""),
        }
        for entry in section.get("entry") or []:
            reference = entry.get("reference") if isinstance(entry, dict) else None
            target = _resolve(index, reference)
            if target is not None and (code, id(target)) in read_already:
                reading.skipped.append(
                    _("%(section)s: %(entry)s is listed again; it is read once")
                    % {"section": title, "entry": _label(target, reference)}
                )
                continue
            if target is not None:
                read_already.add((code, id(target)))
            if target is None:
                reading.skipped.append(
                    _("%(section)s: the entry %(reference)s resolves to no entry of the bundle")
                    % {"section": title, "reference": reference}
                )
                continue
            if target.get("resourceType") in ("Patient", "Composition"):
                reading.skipped.append(
                    _("%(section)s: %(entry)s is not an entry")
                    % {"section": title, "entry": _label(target, reference)}
                )
                continue
            try:
                kept, notes = keep(target, index, patient)
                text, date = describe(kept)
                details(kept)
                json.dumps(kept, allow_nan=False)
            except Refused as exc:
                reading.skipped.append(
                    _("%(section)s: %(entry)s refused: %(reason)s")
                    % {"section": title, "entry": _label(target, reference), "reason": exc}
                )
                continue
            except MALFORMED:
                reading.skipped.append(
                    _("%(section)s: %(entry)s refused: %(reason)s")
                    % {
                        "section": title,
                        "entry": f"{target.get('resourceType', '')} {reference}",
                        "reason": _("an element has the wrong type"),
                    }
                )
                continue
            reading.skipped += [
                _("%(section)s: %(entry)s: %(reason)s; read without it")
                % {"section": title, "entry": _label(target, reference), "reason": n}
                for n in notes
            ]
            reading.items.append(
                {
                    "section": code,
                    "resource_type": str(target["resourceType"])[:40],
                    "text": text,
                    "date": date,
                    "resource": kept,
                }
            )
    return reading


def person_part(patient: dict) -> dict:
    """A Patient as it says who the person is (without its id, meta and narrative)."""
    return {k: v for k, v in patient.items() if k not in ("id", "meta", "text")}


def fingerprint(resource: dict) -> str:
    """The same content, the same fingerprint (whatever the order of keys)."""
    return hashlib.sha256(
        json.dumps(resource, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()


# --- What a kept entry holds inside ------------------------------------------------------


def _ratio(ratio) -> str:
    if not isinstance(ratio, dict):
        return ""
    top = (
        ips.value_text({"valueQuantity": ratio.get("numerator")}) if ratio.get("numerator") else ""
    )
    bottom = ratio.get("denominator")
    if isinstance(bottom, dict) and (bottom.get("value") not in (None, 1) or bottom.get("unit")):
        under = ips.value_text({"valueQuantity": bottom})
        return f"{top}/{under}" if under else top
    return top


def details(
    resource: dict, root: dict | None = None, depth: int = 0, shown: set | None = None
) -> list[tuple[Any, str]]:
    """What an entry holds beyond its line: each panel member with its value (members of
    members indented, each member's own members shown once however many panels name it),
    each component's value, the medication's form, ingredients with their strength and
    amount, and the dosage. (label, text) pairs; labels translatable."""
    root = root or resource
    shown = set() if shown is None else shown
    out: list[tuple[Any, str]] = []
    indent = "— " * depth
    for component in resource.get("component") or []:
        if isinstance(component, dict):
            out.append(
                (gettext_lazy("Component"), f"{indent}{ips.concept_text(component.get('code'))}: "
                 f"{ips.value_text(component) or '—'}")
            )  # fmt: skip
    for member in resource.get("hasMember") or []:
        found = contained(root, (member or {}).get("reference")) if depth < 5 else None
        if found is None:
            if isinstance(member, dict) and member.get("display"):
                out.append((gettext_lazy("Member"), f"{indent}{member['display']}"))
            continue
        text, date = ips.describe(found)
        out.append((gettext_lazy("Member"), f"{indent}{text}" + (f" ({date})" if date else "")))
        if id(found) not in shown:  # members that name each other: each opened once
            shown.add(id(found))
            out += details(found, root, depth + 1, shown)
    medication = contained(root, (resource.get("medicationReference") or {}).get("reference"))
    if resource.get("resourceType") == "Medication":
        medication = resource
    if medication:
        if form := ips.concept_text(medication.get("form")):
            out.append((gettext_lazy("Form"), form))
        for ingredient in medication.get("ingredient") or []:
            if not isinstance(ingredient, dict):
                continue
            item = ips.concept_text(ingredient.get("itemCodeableConcept")) or str(
                (ingredient.get("itemReference") or {}).get("display") or ""
            )
            strength = _ratio(ingredient.get("strength"))
            out.append((gettext_lazy("Ingredient"), f"{item} {strength}".strip()))
        if amount := _ratio(medication.get("amount")):
            out.append((gettext_lazy("Amount"), amount))
    for dosage in [*(resource.get("dosage") or []), *(resource.get("dosageInstruction") or [])]:
        if not isinstance(dosage, dict):
            continue
        words = [str(dosage["text"])] if dosage.get("text") else []
        for rate in dosage.get("doseAndRate") or []:
            if isinstance(rate, dict) and rate.get("doseQuantity"):
                words.append(ips.value_text({"valueQuantity": rate["doseQuantity"]}))
        if route := ips.concept_text(dosage.get("route")):
            words.append(route)
        if words:
            out.append((gettext_lazy("Dosage"), "; ".join(w for w in words if w)))
    return out
