"""What social health protection adds to a person's timeline page: the forms that add and
change enrolments and payments (the enrolments themselves are a record kind on the timeline,
see recordkinds). Registered by `ProtectionConfig.ready()`."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from mhis.care import views
from mhis.care.models import Encounter

from . import services
from .forms import EnrolmentForm, PaymentForm
from .models import Enrolment, Payment


def _record_payment(user, person, data):
    encounter = Encounter.objects.get(pk=data.pop("encounter"), person=person)
    return services.record_payment(user, encounter, data)


def register() -> None:
    views.ADDERS["enrolment"] = (
        EnrolmentForm,
        lambda f: f.cleaned_data,
        services.enrol,
        gettext_lazy("Enrolment recorded."),
        gettext_lazy("Enrol in a health protection scheme"),
    )
    views.ADDERS["payment"] = (
        PaymentForm,
        lambda f: f.cleaned_data,
        _record_payment,
        gettext_lazy("Payment recorded."),
        gettext_lazy("Record a payment for an encounter"),
    )
    views.EDITORS["enrolment"] = (
        Enrolment,
        EnrolmentForm,
        lambda f: f.cleaned_data,
        services.update_enrolment,
    )
    views.EDITORS["payment"] = (
        Payment,
        PaymentForm,
        lambda f: {k: v for k, v in f.cleaned_data.items() if k != "encounter"},
        services.update_payment,
    )
