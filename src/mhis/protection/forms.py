"""The timeline's forms for social health protection: enrolments and payments. Their choices
and lengths are the contracts' (protection.contracts); the services check the values."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from mhis.care.forms import ServiceForm
from mhis.care.models import Encounter
from mhis.contracts import ContractChoiceField, form_field

from .contracts import EnrolmentInput, PaymentInput
from .models import Scheme


class EnrolmentForm(ServiceForm):
    contract = EnrolmentInput

    scheme = ContractChoiceField(label=_("Scheme"))  # a code the service looks up
    site = forms.ChoiceField(label=_("Enrolled at"))
    member_number = form_field(EnrolmentInput, "member_number", label=_("Member number"))
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
    currency = form_field(
        PaymentInput,
        "currency",
        label=_("Currency"),
        help_text=_("ISO 4217; the encounter's when empty"),
    )
    payer = form_field(
        PaymentInput,
        "payer",
        label=_("Paid by"),
        initial=PaymentInput.model_fields["payer"].default,
        required=True,
    )
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
