"""The timeline's forms for social health protection: enrolments and payments."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from mhis.care.codes import Payer
from mhis.care.forms import ServiceForm
from mhis.care.models import Encounter

from .models import Scheme


class EnrolmentForm(ServiceForm):
    scheme = forms.ChoiceField(label=_("Scheme"))
    site = forms.ChoiceField(label=_("Enrolled at"))
    member_number = forms.CharField(label=_("Member number"), max_length=60, required=False)
    start_date = forms.CharField(
        label=_("Coverage starts"), max_length=10, help_text="YYYY-MM-DD", required=False
    )
    end_date = forms.CharField(
        label=_("Coverage ends"), max_length=10, help_text="YYYY-MM-DD", required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scheme"].choices = [
            (s.code, f"{s.name} ({s.country})") for s in Scheme.objects.filter(active=True)
        ]


class PaymentForm(ServiceForm):
    encounter = forms.ChoiceField(label=_("Encounter"))
    amount = forms.CharField(label=_("Amount"), max_length=20, required=False)
    currency = forms.CharField(
        label=_("Currency"),
        max_length=3,
        required=False,
        help_text=_("ISO 4217; the encounter's when empty"),
    )
    payer = forms.ChoiceField(label=_("Paid by"), choices=Payer.choices, initial=Payer.PATIENT)
    paid_on = forms.CharField(
        label=_("Paid on"),
        max_length=10,
        required=False,
        help_text=_("YYYY-MM-DD; today when empty"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        encounters = (
            Encounter.objects.filter(person=self.person).select_related("site").order_by("-date")
        )
        self.fields["encounter"].choices = (
            [(e.pk, f"{e.date:%Y-%m-%d} · {e.get_kind_display()} · {e.site}") for e in encounters]
            if self.person
            else []
        )
