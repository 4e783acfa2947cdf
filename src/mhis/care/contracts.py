"""What each care record kind takes: one typed contract per kind (see mhis.contracts)."""

from __future__ import annotations

from typing import Annotated, Any

from django.utils.translation import gettext as _
from pydantic import BeforeValidator, Field, ValidationInfo, field_validator, model_validator

from mhis.contracts import Contract, Currency, Money, field, split_list
from mhis.input import CareDay, OwnSite

from .codes import Payer
from .icd10 import normalise_icd10
from .models import Diagnosis, Encounter

MAX_DIAGNOSES = 20


def _icd10(value: Any) -> Any:
    if not isinstance(value, str) or not value.strip():
        return value
    code = normalise_icd10(value)
    if code is None:
        raise ValueError(_("“%(code)s” is not an ICD-10 code.") % {"code": value})
    return code


def _diagnosis_list(value: Any) -> Any:
    """Codes as a form or a spreadsheet cell writes them ("A15.0, R05": the main one first) or
    as objects."""
    value = split_list(value.replace(" ", ",") if isinstance(value, str) else value)
    if isinstance(value, list):
        return [{"code": item} if isinstance(item, str) else item for item in value]
    return value


class DiagnosisInput(Contract):
    model = Diagnosis

    code: Annotated[field(Diagnosis, "code"), BeforeValidator(_icd10)] = Field(
        description="WHO ICD-10 code, e.g. A15.0"
    )
    primary: bool | None = Field(None, description="The main diagnosis (default: the first)")


class EncounterInput(Contract):
    """An encounter: a consultation, a mobile clinic visit, emergency care or psychosocial
    support, with its diagnoses and what it cost."""

    model = Encounter

    site: OwnSite
    kind: field(Encounter, "kind")
    date: CareDay
    chief_complaint: Annotated[field(Encounter, "chief_complaint"), BeforeValidator(_icd10)] = ""
    reason: field(Encounter, "reason") = ""
    treatments: field(Encounter, "treatments") = ""
    diagnoses: Annotated[
        list[DiagnosisInput], BeforeValidator(_diagnosis_list), Field(max_length=MAX_DIAGNOSES)
    ] = Field(default_factory=list, description="The main diagnosis first")
    cost: Money = None
    currency: Currency = Field("", validate_default=True)
    paid_by: field(Encounter, "paid_by") = Payer.UNKNOWN

    @field_validator("currency")
    @classmethod
    def _currency_of_cost(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("cost") is not None and not value and not cls.is_update:
            raise ValueError(_("Give the currency of the cost."))
        return value

    @model_validator(mode="after")
    def _main_diagnosis(self):
        for i, diagnosis in enumerate(self.diagnoses or ()):
            if diagnosis.primary is None:
                diagnosis.primary = i == 0
        return self


EncounterChange = EncounterInput.update()
