from django import forms
from django.utils.translation import gettext_lazy as _

from mhis.codelists import country_choices
from mhis.formtools import BoundedFileField

from . import codes

MAX_IATI_BYTES = 20 * 1024 * 1024


class PracticeSearchForm(forms.Form):
    q = forms.CharField(label=_("Words"), required=False, max_length=200)
    theme = forms.ChoiceField(
        label=_("Theme"), required=False, choices=[("", "—"), *codes.Theme.choices]
    )
    country = forms.ChoiceField(label=_("Country"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", "—"), *country_choices()]


class IatiImportForm(forms.Form):
    file = BoundedFileField(label=_("IATI activities file (XML)"), max_bytes=MAX_IATI_BYTES)
