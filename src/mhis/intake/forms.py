import json

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from mhis.formtools import BoundedFileField

from .fieldforms import FORMS
from .kinds import KINDS


def what_choices():
    tables = [(f"kind:{k.name}", k.label) for k in KINDS.values()]
    submissions = [(f"form:{f.form_id}", f.title) for f in FORMS.values()]
    return [
        (_("A table (CSV or XLSX)"), tables),
        (_("Submissions of a field form (ODK Central, KoboToolbox)"), submissions),
    ]


SOURCE_HELP = _(
    "Who the file comes from, e.g. “Tak mobile clinic”. Rows are matched by their key within "
    "the source, among the imports of people with your places; the column mapping is "
    "remembered for it."
)


MAPPING_HELP = _(
    "Where each MHIS field is in the file: a column, a column with its values recoded, a value "
    "for every row, or a country for the registration site (the user guide explains each). "
    "Left empty, the mapping saved for the source is used, else the columns named like the "
    "fields; given, it is saved for the source."
)
MAPPING_EXAMPLE = (  # JSON, the same in every language
    '{"name": "Full Name", "sex": {"column": "Sex", "values": {"M": "male", "F": "female"}}, '
    '"identifier_type": {"value": "passport"}}'
)


class UploadForm(forms.Form):
    file = BoundedFileField(
        label=_("File (CSV, XLSX, or a form's JSON or ZIP export)"),
        max_bytes=settings.MHIS_IMPORT_MAX_BYTES,
    )
    what = forms.ChoiceField(label=_("What the file holds"), choices=what_choices)
    source = forms.CharField(
        label=_("Source"), max_length=100, required=False, help_text=SOURCE_HELP
    )
    mapping = forms.CharField(
        label=_("Column mapping (JSON, optional)"),
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 6, "spellcheck": "false", "placeholder": MAPPING_EXAMPLE}
        ),
        help_text=MAPPING_HELP,
    )

    def clean_mapping(self):
        text = self.cleaned_data["mapping"].strip()
        if not text:
            return None
        try:
            return json.loads(text)
        except ValueError as exc:
            raise forms.ValidationError(
                _("The mapping is not JSON: %(error)s") % {"error": exc}
            ) from None
