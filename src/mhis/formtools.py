"""Form helpers the apps share: an upload with a size limit, and a service's validation
errors put on the form fields they name."""

from __future__ import annotations

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


def add_service_errors(form: forms.Form, exc: ValidationError, fallback: str | None = None) -> None:
    """Each message of `exc` on the form field it names; messages naming no field of the
    form go to `fallback` (a field name, or None for the form as a whole)."""
    errors = exc.message_dict if hasattr(exc, "error_dict") else {fallback: exc.messages}
    for field, messages in errors.items():
        for message in messages:
            form.add_error(field if field in form.fields else fallback, message)
