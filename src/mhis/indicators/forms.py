"""The DHIS2 page's forms: a mapping pasted or uploaded, and what to send."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from . import periods as P

MAX_MAPPING_BYTES = 500_000


class MappingForm(forms.Form):
    text = forms.CharField(
        label=_("Mapping (TOML)"),
        widget=forms.Textarea(attrs={"rows": 24, "cols": 80, "spellcheck": "false"}),
        required=False,
    )
    upload = forms.FileField(
        label=_("Or upload a mapping file"),
        required=False,
        help_text=_("A .toml file; it replaces the text above."),
    )

    def clean(self):
        data = super().clean()
        upload = data.get("upload")
        if upload:
            if upload.size > MAX_MAPPING_BYTES:
                self.add_error("upload", _("The file is over 500 kB: a mapping is much smaller."))
                return data
            try:
                data["text"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                self.add_error("upload", _("The file is not UTF-8 text."))
                return data
        data["text"] = (data.get("text") or "").replace("\r\n", "\n")
        if not data["text"].strip():
            self.add_error("text", _("Paste a mapping or upload a file."))
        return data


class PushForm(forms.Form):
    place = forms.CharField(label=_("Place code"), max_length=64)
    period = forms.CharField(
        label=_("Period"), max_length=10, help_text=_("2026-Q1, 2026-02, 2026-W07 or 2026")
    )
    children = forms.BooleanField(label=_("One org unit per place below it"), required=False)

    def clean_period(self):
        key = self.cleaned_data["period"].strip()
        try:
            P.parse(key)
        except ValueError:
            raise forms.ValidationError(
                _("Not a period: write 2026-Q1, 2026-02, 2026-W07 or 2026.")
            ) from None
        return key
