"""What social health protection takes: one typed contract per write (see mhis.contracts).

Schemes are named by their code. With the writer in the context (`user`), an enrolment's
scheme is looked up among the active schemes and its site among the writer's places; with the
person (`person`) its coverage is checked against their other enrolments; a payment's currency
and date are checked against its encounter (`encounter`).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import AfterValidator, BeforeValidator, Field, ValidationInfo, model_validator

from mhis.contracts import (
    AnyDay,
    Contract,
    Country,
    Currency,
    Money,
    RequiredDay,
    context_of,
    field,
    refuse,
    today_if_blank,
)
from mhis.input import CareDay, OwnSite

from .models import Enrolment, Payment, Scheme


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _present(value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError(_("This field is required."))
    return value


# -- schemes -------------------------------------------------------------------------------------


def _new_code(code: str, info: ValidationInfo) -> str:
    """A code no scheme has yet (checked when the writer is in the context)."""
    if context_of(info, "user") is not None and Scheme.objects.filter(code=code).exists():
        raise ValueError(_("A scheme with this code already exists."))
    return code


# The fields taken from the models, by name (the checker reads them as what they hold).
if TYPE_CHECKING:
    SchemeCodeText = str
    SchemeName = str
    SchemeTypeCode = str
    MemberNumber = str
    PayerCode = str
else:
    SchemeCodeText = field(Scheme, "code")
    SchemeName = field(Scheme, "name")
    SchemeTypeCode = field(Scheme, "type")
    MemberNumber = field(Enrolment, "member_number")
    PayerCode = field(Payment, "payer")


class SchemeInput(Contract):
    """A social health protection scheme of a country (added by administrators)."""

    model = Scheme

    code: Annotated[SchemeCodeText, AfterValidator(_new_code)]
    name: SchemeName
    country: Annotated[Country, BeforeValidator(_present)]
    type: SchemeTypeCode


# -- enrolments ----------------------------------------------------------------------------------


def _active_scheme(code: Any, info: ValidationInfo) -> Any:
    """The active scheme with this code (the Scheme itself, with the writer in the context)."""
    if code is None or context_of(info, "user") is None:
        return code
    scheme = Scheme.objects.filter(code=code, active=True).first()
    if scheme is None:
        raise ValueError(_("No active scheme with this code."))
    return scheme


SchemeCode = Annotated[
    str,
    Field(
        max_length=Scheme._meta.get_field("code").max_length,
        description="Code of an active scheme",
    ),
    AfterValidator(_active_scheme),
    BeforeValidator(_present),
    BeforeValidator(_strip),
]
CoverageEnd = Annotated[AnyDay, Field(description="YYYY-MM-DD (may be in the future)")]


class EnrolmentInput(Contract):
    """A person's enrolment in a scheme for a coverage period, from the site that enrolled them."""

    model = Enrolment

    scheme: SchemeCode
    site: OwnSite
    member_number: MemberNumber = ""
    start_date: CareDay
    end_date: CoverageEnd = None

    @model_validator(mode="after")
    def _coverage(self, info: ValidationInfo) -> EnrolmentInput:
        start = self.value_of("start_date", info)
        end = self.value_of("end_date", info)
        if start and end and end < start:
            refuse({"end_date": _("Coverage cannot end before it starts.")})
        scheme, person = self.value_of("scheme", info), context_of(info, "person")
        if not isinstance(scheme, Scheme) or person is None or start is None:
            return self  # checked again with the context
        others = Enrolment.objects.filter(person=person, scheme=scheme)
        record = context_of(info, "record")
        if record is not None:
            others = others.exclude(pk=record.pk)
        for other in others:
            if other.start_date <= (end or date.max) and start <= (other.end_date or date.max):
                refuse(
                    {
                        "start_date": _(
                            "The person is already enrolled in this scheme for part of this period."
                        )
                    }
                )
        return self


EnrolmentChange = EnrolmentInput.update()


# -- payments ------------------------------------------------------------------------------------

PaymentAmount = Annotated[Money, BeforeValidator(_present)]
PaidOn = Annotated[
    RequiredDay,
    BeforeValidator(today_if_blank),
    Field(description="YYYY-MM-DD, not after today; today when empty"),
]


def _currency_of_encounter(code: str, info: ValidationInfo) -> str:
    """An empty currency is the encounter's (the encounter being in the context)."""
    encounter = context_of(info, "encounter")
    if code or encounter is None:
        return code
    if not encounter.currency:
        raise ValueError(_("This field is required."))
    return str(encounter.currency)


class PaymentInput(Contract):
    """Money paid for an encounter, and by whom: the patient's payments are out of pocket."""

    model = Payment

    amount: PaymentAmount
    currency: Annotated[
        Currency,
        AfterValidator(_currency_of_encounter),
        Field(description="ISO 4217, e.g. THB; the encounter's when empty"),
    ] = Field("", validate_default=True)
    payer: PayerCode = Payment._meta.get_field("payer").default
    paid_on: PaidOn = Field(default_factory=timezone.localdate)

    @model_validator(mode="after")
    def _after_the_encounter(self, info: ValidationInfo) -> PaymentInput:
        encounter = context_of(info, "encounter")
        if encounter is not None and self.paid_on and self.paid_on < encounter.date:
            refuse({"paid_on": _("A payment for an encounter is not made before the encounter.")})
        return self


PaymentChange = PaymentInput.update()
