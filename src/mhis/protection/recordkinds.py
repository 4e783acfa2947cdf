"""The social health protection record kinds (see mhis.kinds): enrolments, on the person's
timeline, and payments, recorded against an encounter."""

from django.utils.translation import gettext_lazy as _

from mhis.kinds import RecordKind, register


def declare() -> None:
    from mhis.care.models import Encounter

    from . import services
    from .api import EnrolmentOut, enrolment_out
    from .contracts import EnrolmentInput, PaymentInput
    from .forms import EnrolmentForm, PaymentForm

    def record_payment(user, person, data):
        encounter = Encounter.objects.get(pk=data.pop("encounter"), person=person)
        return services.record_payment(user, encounter, data)

    def update_payment(user, payment, data):
        return services.update_payment(
            user, payment, {k: v for k, v in data.items() if k != "encounter"}
        )

    register(
        RecordKind(
            "enrolment",
            "protection.Enrolment",
            _("Enrolment"),
            date_field="start_date",
            contract=EnrolmentInput,
            create=services.enrol,
            update=services.update_enrolment,
            output=enrolment_out,
            output_schema=EnrolmentOut,
            form=EnrolmentForm,
            added=_("Enrolment recorded."),
            add_title=_("Enrol in a health protection scheme"),
            site_fields=("site",),
            on_timeline=True,
            related=("site", "scheme", "person"),
        ),
        # A payment belongs to its encounter, and follows it.
        RecordKind(
            "payment",
            "protection.Payment",
            _("Payment"),
            person_field="encounter__person",
            contract=PaymentInput,
            create=record_payment,
            update=update_payment,
            form=PaymentForm,
            added=_("Payment recorded."),
            add_title=_("Record a payment for an encounter"),
        ),
    )
