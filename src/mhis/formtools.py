"""Form helpers the apps share: an upload with a size limit, a page's own errors for the
error summary, languages picked by name, a form's fields in sections."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from mhis.codelists import language_choices, language_label, language_of, normalise_language


class BoundedFileField(forms.FileField):
    """A file upload refused, naming the limit, when larger than `max_bytes`."""

    def __init__(self, *args, max_bytes: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_bytes = max_bytes

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if upload is not None and upload.size > self.max_bytes:
            raise ValidationError(
                _("The file is larger than %(n)s MB.") % {"n": self.max_bytes // 2**20}
            )
        return upload


def error_items(
    errors: Mapping[str, Iterable[str]], ids: Mapping[str, str] | None = None
) -> list[dict[str, str]]:
    """A page's errors that are not a Django form's (by field name, as a ValidationError's
    `message_dict` gives them) as the error summary (includes/error_summary.html) lists
    them: each message with the id of the field it links to, from `ids` (a name not there
    links to nothing)."""
    ids = ids or {}
    return [
        {"id": ids.get(name, ""), "message": str(message)}
        for name, messages in errors.items()
        for message in messages
    ]


# -- languages: typed or picked by name, stored as ISO 639 codes --------------------------------


class LanguagesWidget(forms.Widget):
    """A few text inputs, one language each, suggesting the languages' names in the reader's
    language as one types (an HTML datalist: no script). One more input than there are
    languages, at least `rows`."""

    def __init__(self, attrs: dict[str, Any] | None = None, rows: int = 3) -> None:
        super().__init__(attrs)
        self.rows = rows

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[str]:
        values = data.getlist(name) if hasattr(data, "getlist") else data.get(name)
        return _entries(values)

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return name not in data

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        attrs = self.build_attrs(self.attrs, attrs)
        field_id = attrs.pop("id", None) or f"id_{name}"
        described = attrs.pop("aria-describedby", None)
        invalid = attrs.pop("aria-invalid", None)
        list_id = f"{field_id}_list"
        shown = [_shown_language(entry) for entry in _entries(value)]
        count = max(self.rows, len(shown) + 1)
        inputs = []
        for i in range(count):
            extra = {
                "id": field_id if i == 0 else f"{field_id}_{i + 1}",
                "aria-describedby": described,
                "aria-invalid": invalid,
                # The label names the first; the others say which they are.
                "aria-label": None if i == 0 else _("Language %(n)s") % {"n": i + 1},
            }
            inputs.append(
                format_html(
                    '<input type="text" name="{}" value="{}" list="{}" autocomplete="off"{}>',
                    name,
                    shown[i] if i < len(shown) else "",
                    list_id,
                    flatatt({**attrs, **{k: v for k, v in extra.items() if v is not None}}),
                )
            )
        options = format_html_join(
            "",
            '<option value="{}"></option>',
            ((f"{label} ({code})",) for code, label in language_choices()),
        )
        return format_html(
            '<span class="languages">{}</span><datalist id="{}">{}</datalist>',
            mark_safe("".join(inputs)),
            list_id,
            options,
        )


def _entries(value: Any) -> list[str]:
    """The languages a value holds: a list, or codes separated by commas or spaces."""
    if value is None:
        return []
    items = [value] if isinstance(value, str) else value
    entries = (e.strip() for item in items for e in str(item).replace(";", ",").split(","))
    return [e for e in entries if e]


def _shown_language(entry: str) -> str:
    """A stored code as "Name (code)"; anything else as it was typed."""
    try:
        code = normalise_language(entry)
    except ValueError:
        return entry
    return f"{language_label(code)} ({code})" if code == entry.lower() else entry


def _codes_of(entry: str) -> list[str]:
    """The codes one entry names: a language, or codes separated by spaces ("my th")."""
    try:
        return [language_of(entry)]
    except ValueError:
        parts = entry.split()
        if len(parts) > 1:
            try:
                return [normalise_language(part) for part in parts]
            except ValueError:
                pass
        raise


class LanguagesField(forms.Field):
    """Languages by name (in the reader's language or English) or ISO 639 code; cleaned to
    the codes separated by commas ("my, th"), as a form or a file gives them to a contract.

    An entry that names no language is passed on as typed (spaces joined by hyphens, so it
    stays one entry), for the contract to refuse with the rest of what is wrong; `problems`
    then says, in the field's words, what to do about each."""

    widget = LanguagesWidget

    def to_python(self, value: Any) -> str:
        codes: list[str] = []
        self.problems: list[str] = []
        for entry in _entries(value):
            try:
                found = _codes_of(entry)
            except ValueError as exc:
                self.problems.append(str(exc))
                found = ["-".join(entry.split())]
            codes.extend(code for code in found if code not in codes)
        return ", ".join(codes)


def sections(form: forms.Form) -> list[dict[str, Any]]:
    """The form's fields in the short sections its `sections` names — a sequence of (legend,
    field names) — each as {"legend", "fields"} with its bound fields in the form's order, empty
    sections left out.
    A field no section names goes with the field before it in the form (a field added beside
    another joins its section). A form without `sections` is one section without a legend. Hidden fields are
    left to the template."""
    named: Sequence[tuple[Any, Sequence[str]]] = getattr(form, "sections", ())
    if not named:
        return [{"legend": None, "fields": list(form.visible_fields())}]
    section_of = {name: index for index, (_legend, names) in enumerate(named) for name in names}
    grouped: list[list[forms.BoundField]] = [[] for _ in named]
    current = 0
    for field in form.visible_fields():
        current = section_of.get(field.name, current)
        grouped[current].append(field)
    return [
        {"legend": legend, "fields": fields}
        for (legend, _names), fields in zip(named, grouped, strict=True)
        if fields
    ]
