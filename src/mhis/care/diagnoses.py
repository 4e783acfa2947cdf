"""The encounter form's diagnoses: ICD-10 codes or words, each item resolved to one code.

An item that is a code stays; words that name one code become that code; words that name
several are refused with those codes offered as choices (radio buttons, so the page works
without JavaScript), and the code picked replaces the words on the next save. With htmx the
field asks for suggestions as one types (`views.icd10_search`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from django import forms
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .icd10 import Icd10Match, normalise_icd10, search_icd10, titled_icd10

_ITEMS = re.compile(r"[,;]")


@dataclass
class ToPick:
    """Words that match several codes: the item's place in the list and the codes found."""

    index: int
    words: str
    matches: list[Icd10Match]


def split_items(text: str) -> list[str]:
    """The items of a diagnoses field: separated by commas or semicolons; "A15.0 R05" (codes
    separated by spaces, as before) is two items."""
    items: list[str] = []
    for item in (i.strip() for i in _ITEMS.split(text or "")):
        if not item:
            continue
        parts = item.split()
        if len(parts) > 1 and all(normalise_icd10(p) for p in parts):
            items.extend(parts)
        else:
            items.append(item)
    return items


def pick_name(name: str, index: int) -> str:
    return f"{name}_pick_{index}"


class DiagnosesWidget(forms.TextInput):
    """A text input for codes or words; suggestions below it as one types (htmx); after a
    refused save, the codes to pick for words that matched several."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"autocomplete": "off", "spellcheck": "false", **(attrs or {})})
        self.to_pick: list[ToPick] = []

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        attrs = dict(attrs or {})
        field_id = attrs.get("id") or f"id_{name}"
        box = f"{field_id}_suggestions"
        attrs.update(
            {
                "hx-get": reverse("care:icd10_search"),
                "hx-trigger": "input changed delay:400ms, search",
                "hx-target": f"#{box}",
                "hx-swap": "innerHTML",
                "hx-sync": "this:replace",
                "data-icd10-box": box,
                # Which field asks: the suggestions page reads the value sent under its name.
                "hx-vals": json.dumps({"field": name}),
                "aria-controls": box,
            }
        )
        html = super().render(name, value, attrs, renderer)
        suggestions = format_html(
            '<span class="icd10-suggestions" id="{}" aria-live="polite"></span>', box
        )
        script = format_html('<script src="{}" defer></script>', _static("mhis/icd10.js"))
        picks = format_html_join(
            "",
            '<span class="icd10-pick" role="radiogroup" aria-label="{}">'
            '<span class="icd10-pick-title">{}</span>{}</span>',
            (
                (
                    _("Codes for “%(words)s”") % {"words": item.words},
                    _("“%(words)s”: pick one code") % {"words": item.words},
                    format_html_join(
                        "",
                        '<label><input type="radio" name="{}" value="{}"> <code>{}</code> {}</label>',
                        (
                            (pick_name(name, item.index), m.code, m.code, m.title)
                            for m in item.matches
                        ),
                    ),
                )
                for item in self.to_pick
            ),
        )
        return mark_safe(html + suggestions + picks + script)


def _static(path: str) -> str:
    from django.templatetags.static import static

    return static(path)


class DiagnosesField(forms.CharField):
    """ICD-10 codes or words, separated by commas, the main one first; cleaned to codes
    ("A15.0, R05") once every item names one code."""

    widget = DiagnosesWidget

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", gettext_lazy("Diagnoses (ICD-10)"))
        kwargs.setdefault(
            "help_text",
            gettext_lazy(
                "Codes or words (English titles), separated by commas, the main one first, "
                "e.g. A15.0, cough"
            ),
        )
        kwargs.setdefault("max_length", 200)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)


def resolve_diagnoses(text: str, picks: dict[int, str]) -> tuple[str, list[ToPick], list[str]]:
    """The items of `text` with each one that names a code (is one, matches one, is exactly
    one's title, or was picked) replaced by it (comma-separated:
    the codes once nothing is left to pick or unknown), the items still to pick and the items
    that match no code. `picks` gives a code chosen for an item (by its place); it counts
    only if it is among that item's matches."""
    items: list[str] = []
    to_pick: list[ToPick] = []
    unknown: list[str] = []
    for index, item in enumerate(split_items(text)):
        code = normalise_icd10(item)
        matches = [] if code else search_icd10(item)
        picked = picks.get(index)
        if code:
            items.append(code)
        elif len(matches) == 1:
            items.append(matches[0].code)
        elif matches and (titled := titled_icd10(item)):
            items.append(titled)
        elif picked and picked in {m.code for m in matches}:
            items.append(picked)
        else:
            items.append(item)
            if matches:
                to_pick.append(ToPick(index, item, matches))
            else:
                unknown.append(item)
    return ", ".join(items), to_pick, unknown


def diagnosis_problems(to_pick: list[ToPick], unknown: list[str]) -> list[str]:
    """What the diagnoses field says of items that name no single code."""
    return [
        _("“%(words)s” matches several ICD-10 codes: pick one below, then save again.")
        % {"words": item.words}
        for item in to_pick
    ] + [
        _("No ICD-10 code matches “%(words)s”: type a code or other words.") % {"words": words}
        for words in unknown
    ]
