from django import forms
from django.utils.translation import gettext_lazy as _

from mhis.formtools import BoundedFileField

from .links import MAX_LABEL
from .services import MAX_BUNDLE_BYTES


class ImportForm(forms.Form):
    file = BoundedFileField(label=_("Summary file (FHIR JSON)"), max_bytes=MAX_BUNDLE_BYTES)
    site = forms.ChoiceField(
        label=_("Site registering a new person"),
        required=False,
        help_text=_("Used when the summary is of someone not yet registered."),
    )
    source = forms.CharField(
        label=_("Sent by"),
        max_length=200,
        required=False,
        help_text=_("Leave empty to take the name the summary gives."),
    )

    def __init__(self, *args, sites=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].choices = [("", "—")] + [(s.code, s.name) for s in sites]


class LinkForm(forms.Form):
    label = forms.CharField(
        label=_("Label"),
        max_length=MAX_LABEL,
        required=False,
        help_text=_("Shown to whoever opens the link, e.g. “Summary for the TB clinic”."),
    )
    expires = forms.CharField(
        label=_("Expires"),
        initial="30d",
        max_length=20,
        help_text=_("A duration such as 30d, 12h or 2w, or a date (YYYY-MM-DD)."),
    )
    passcode = forms.CharField(
        label=_("Passcode"),
        required=False,
        max_length=40,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Optional. Tell it to the person; it is not stored in the link."),
    )


class ViewerForm(forms.Form):
    link = forms.CharField(label=_("SMART Health Link"), widget=forms.Textarea(attrs={"rows": 3}))
    passcode = forms.CharField(
        label=_("Passcode"),
        required=False,
        max_length=40,
        widget=forms.PasswordInput(render_value=False),
    )
