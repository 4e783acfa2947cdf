"""Page forms of care records. They collect fields; care.services validates them."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from mhis.codelists import country_choices
from mhis.places.models import Place, PlaceKind

from .codes import EncounterKind, Payer, ReferralKind, ReferralStatus, Urgency


class ServiceForm(forms.Form):
    """A form whose values are checked by a service; its errors land on the matching fields."""

    def service_errors(self, exc: ValidationError) -> None:
        for field, messages in exc.message_dict.items():
            target = field.split(".", 1)[0]
            if target not in self.fields:
                target, messages = None, [f"{field}: {m}" for m in messages]
            for message in messages:
                self.add_error(target, message)


class EncounterForm(ServiceForm):
    site = forms.ChoiceField(label=_("Site"))
    kind = forms.ChoiceField(label=_("Kind"), choices=EncounterKind.choices)
    date = forms.CharField(label=_("Date"), max_length=10, help_text="YYYY-MM-DD", required=False)
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )
    diagnoses = forms.CharField(
        label=_("Diagnoses (ICD-10)"),
        required=False,
        max_length=200,
        help_text=_("Codes separated by commas, the main one first, e.g. A15.0, R05"),
    )
    treatments = forms.CharField(
        label=_("Treatments"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    cost = forms.CharField(label=_("Cost"), required=False, max_length=20)
    currency = forms.CharField(
        label=_("Currency"), required=False, max_length=3, help_text=_("ISO 4217, e.g. THB")
    )
    paid_by = forms.ChoiceField(label=_("Paid by"), choices=Payer.choices, initial=Payer.UNKNOWN)

    def __init__(self, *args, sites=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].choices = [(s.code, s.name) for s in sites]

    def encounter_data(self) -> dict:
        data = dict(self.cleaned_data)
        codes = [c.strip() for c in data.pop("diagnoses").replace(";", ",").split(",") if c.strip()]
        data["diagnoses"] = [{"code": c} for c in codes]
        return data


class ReferralForm(ServiceForm):
    site = forms.ChoiceField(label=_("From site"))
    kind = forms.ChoiceField(label=_("Kind"), choices=ReferralKind.choices)
    urgency = forms.ChoiceField(
        label=_("Urgency"), choices=Urgency.choices, initial=Urgency.ROUTINE
    )
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )
    to_site = forms.ChoiceField(label=_("To site"), required=False)
    to_facility = forms.CharField(
        label=_("Or to a facility outside MHIS"), required=False, max_length=200
    )
    to_country = forms.ChoiceField(label=_("Country of that facility"), required=False)
    sent_on = forms.CharField(
        label=_("Sent on"),
        required=False,
        max_length=10,
        help_text=_("YYYY-MM-DD; today when empty"),
    )
    due_on = forms.CharField(
        label=_("Expected by"),
        required=False,
        max_length=10,
        help_text=_("YYYY-MM-DD; from the urgency when empty"),
    )

    def __init__(self, *args, sites=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].choices = [(s.code, s.name) for s in sites]
        targets = Place.objects.filter(kind=PlaceKind.SITE).order_by("country_code", "name")
        self.fields["to_site"].choices = [
            ("", "—"),
            *((p.code, f"{p.name} ({p.country_code})") for p in targets),
        ]
        self.fields["to_country"].choices = [("", "—"), *country_choices()]


class ReferralStepForm(ServiceForm):
    status = forms.ChoiceField(
        label=_("New status"), choices=[c for c in ReferralStatus.choices if c[0] != "sent"]
    )
    on = forms.CharField(
        label=_("On"), required=False, max_length=10, help_text=_("YYYY-MM-DD; today when empty")
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=4000)
