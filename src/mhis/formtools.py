"""Form helpers the apps share: an upload with a size limit."""

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
