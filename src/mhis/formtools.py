"""Form helpers the apps share: an upload with a size limit, a page's own errors for the
error summary, a form's fields in sections."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


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


def sections(form: forms.Form) -> list[dict[str, Any]]:
    """The form's fields in the short sections its `sections` names — a sequence of (legend,
    field names) — each as {"legend", "fields"} with its bound fields in the form's order, empty
    sections left out.
    A field no section names goes with the field before it in the form (a field added beside
    another joins its section). A form without `sections` is one section without a legend."""
    named: Sequence[tuple[Any, Sequence[str]]] = getattr(form, "sections", ())
    if not named:
        return [{"legend": None, "fields": list(form)}]
    section_of = {name: index for index, (_legend, names) in enumerate(named) for name in names}
    grouped: list[list[forms.BoundField]] = [[] for _ in named]
    current = 0
    for field in form:
        current = section_of.get(field.name, current)
        grouped[current].append(field)
    return [
        {"legend": legend, "fields": fields}
        for (legend, _names), fields in zip(named, grouped, strict=True)
        if fields
    ]
