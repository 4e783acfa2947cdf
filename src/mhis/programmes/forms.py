from django import forms
from django.utils.translation import gettext_lazy as _

from mhis.codelists import country_choices
from mhis.formtools import BoundedFileField

from . import codes
from .models import Organisation

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


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class ActivityForm(forms.Form):
    """A workplan activity as typed; the rules are the service's (`services.save_activity`)."""

    title = forms.CharField(label=_("Activity"), max_length=300)
    owner = forms.CharField(
        label=_("Owner"),
        max_length=200,
        required=False,
        help_text=_("Who leads it: a person, team or partner."),
    )
    planned_start = forms.DateField(label=_("Planned start"), widget=DateInput)
    planned_end = forms.DateField(label=_("Planned end"), widget=DateInput)
    status = forms.ChoiceField(label=_("Status"), choices=codes.WorkStatus.choices)
    actual_start = forms.DateField(label=_("Actual start"), required=False, widget=DateInput)
    actual_end = forms.DateField(
        label=_("Actual end"),
        required=False,
        widget=DateInput,
        help_text=_("Needed once the activity is done."),
    )


class AttendanceForm(forms.Form):
    """One row of an event's attendance; the rules are the service's
    (`services.save_attendance`)."""

    count = forms.IntegerField(label=_("Number of people"), min_value=1)
    sex = forms.ChoiceField(label=_("Sex"), choices=codes.Sex.choices)
    role = forms.ChoiceField(label=_("Role"), choices=codes.ParticipantRole.choices)
    country = forms.ChoiceField(label=_("Country they came from"), required=False)
    organisation = forms.ChoiceField(label=_("Organisation"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["count"].widget.attrs["inputmode"] = "numeric"
        self.fields["country"].choices = [("", "—"), *country_choices()]
        self.fields["organisation"].choices = [
            ("", "—"),
            *((str(o.pk), o.name) for o in Organisation.objects.only("pk", "name")),
        ]
