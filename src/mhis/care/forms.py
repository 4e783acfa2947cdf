"""Page forms of care records. They collect fields; care.services validates them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mhis.codelists import country_choices
from mhis.contracts import Contract, ContractForm, form_errors, form_field
from mhis.places.models import Place, PlaceKind

from .codes import DESTINATION_PROGRAMMES, TB_CLASSIFICATIONS, Payer, ReferralStatus, Urgency
from .contracts import (
    AssessmentInput,
    EncounterInput,
    ImmunisationInput,
    LabResultInput,
    ReferralChange,
    ReferralInput,
    ReferralStepInput,
    SpecimenInput,
)
from .diagnoses import DiagnosesField, DiagnosesWidget, diagnosis_problems, resolve_diagnoses
from .models import Assessment, Encounter, Immunisation, LabResult, Referral

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from mhis.registry.models import Person

_R = TypeVar("_R", bound=Model)


def _values(data: Any, key: str) -> list[str]:
    """Every value `data` (a QueryDict or a plain mapping) has for `key`."""
    return list(data.getlist(key)) if hasattr(data, "getlist") else [data[key]]


def choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    """The form's field `name`, one of its choice fields."""
    return cast(forms.ChoiceField, form.fields[name])


class ServiceForm(ContractForm, Generic[_R]):
    """A form whose values are checked by a service; its errors land on the matching fields.

    Forms on a person's timeline are built with the user's sites and the person; a form that
    changes a record shows the values of one of its kind (`_R`). A new record's form starts
    from sensible defaults: today in its `today_fields`, and the user's site (their only
    one, or else the person's registration site when it is one of theirs).
    """

    today_fields: tuple[str, ...] = ()

    def __init__(
        self,
        *args: Any,
        sites: Iterable[Place] = (),
        person: Person | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.sites, self.person = list(sites), person
        if "site" in self.fields:
            choice_field(self, "site").choices = [(s.code, s.name) for s in self.sites]
        if not self.is_bound:
            self._defaults()

    def _defaults(self) -> None:
        today = timezone.localdate().isoformat()
        for name in self.today_fields:
            self.initial.setdefault(name, today)
        if "site" in self.fields and "site" not in self.initial:
            site = self.sites[0] if len(self.sites) == 1 else None
            if site is None and self.person is not None:
                site = next(
                    (s for s in self.sites if s.pk == self.person.registration_site_id), None
                )
            if site is not None:
                self.initial["site"] = site.code

    @classmethod
    def initial_from(cls, record: _R) -> dict[str, Any]:
        """The record's values as this form shows them (places and schemes by code)."""
        initial: dict[str, Any] = {}
        for name in cls.base_fields:
            value: object = getattr(record, name, None)
            if hasattr(value, "code"):
                value = value.code
            elif isinstance(value, Model):  # a record without a code
                value = value.pk
            elif hasattr(value, "isoformat"):
                value = value.isoformat()
            initial[name] = "" if value is None else value
        return initial

    def service_errors(self, exc: ValidationError) -> None:
        form_errors(self, exc)

    def service_data(self) -> dict[str, Any]:
        """What the form collected, as the kind's service takes it."""
        return dict(self.cleaned_data)


class EncounterForm(ServiceForm[Encounter]):
    today_fields = ("date",)

    contract = EncounterInput

    site = forms.ChoiceField(label=_("Site"))
    kind = form_field(EncounterInput, "kind", label=_("Kind"), required=True)
    date = forms.CharField(label=_("Date"), max_length=10, help_text="YYYY-MM-DD", required=False)
    reason = form_field(
        EncounterInput, "reason", label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2})
    )
    chief_complaint = DiagnosesField(
        label=_("Chief complaint (ICD-10)"),
        max_length=100,
        help_text=_("A code or words (English titles), e.g. R05 or cough"),
    )
    diagnoses = DiagnosesField()
    treatments = form_field(
        EncounterInput,
        "treatments",
        label=_("Treatments"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    cost = forms.CharField(label=_("Cost"), required=False, max_length=20)
    currency = form_field(
        EncounterInput, "currency", label=_("Currency"), help_text=_("ISO 4217, e.g. THB")
    )
    paid_by = form_field(
        EncounterInput, "paid_by", label=_("Paid by"), initial=Payer.UNKNOWN, required=True
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._code_problems: dict[str, list[str]] = {}  # field → what its items need

    @classmethod
    def initial_from(cls, record: Encounter) -> dict[str, Any]:
        initial = super().initial_from(record)
        initial["diagnoses"] = ", ".join(d.code for d in record.diagnoses.all())
        initial["cost"] = "" if record.cost is None else str(record.cost)
        return initial

    def _codes(self, name: str) -> str:
        """Codes for the words typed in the ICD-10 field `name`. Words that match several
        codes, or none, stay as typed: the service refuses them with the rest of what is
        wrong, and `service_errors` says what to do (the codes to pick are listed under the
        field; the one picked comes back with the next save). Items resolved are shown as
        their codes if the page comes back."""
        widget = cast(DiagnosesWidget, self.fields[name].widget)
        prefix = self.add_prefix(name) + "_pick_"
        picks = {
            int(key[len(prefix) :]): str(value)
            for key, value in self.data.items()
            if key.startswith(prefix) and key[len(prefix) :].isdigit()
        }
        text, widget.to_pick, unknown = resolve_diagnoses(self.cleaned_data.get(name) or "", picks)
        self._code_problems[name] = diagnosis_problems(widget.to_pick, unknown)
        data = QueryDict(mutable=True)
        for key in self.data:
            data.setlist(key, _values(self.data, key))
        data[self.add_prefix(name)] = text
        self.data = data
        return text

    def clean_chief_complaint(self) -> str:
        return self._codes("chief_complaint")

    def clean_diagnoses(self) -> str:
        return self._codes("diagnoses")

    def service_errors(self, exc: ValidationError) -> None:
        super().service_errors(exc)
        for name, problems in self._code_problems.items():
            if problems:
                self.errors.pop(name, None)
                for message in problems:
                    self.add_error(name, message)

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class ReferralForm(ServiceForm[Referral]):
    today_fields = ("sent_on",)

    site = forms.ChoiceField(label=_("From site"))
    kind = form_field(ReferralInput, "kind", label=_("Kind"), required=True)
    urgency = form_field(
        ReferralInput, "urgency", label=_("Urgency"), initial=Urgency.ROUTINE, required=True
    )
    reason = form_field(
        ReferralInput, "reason", label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2})
    )
    to_site = forms.ChoiceField(label=_("To site"), required=False)
    to_facility = form_field(ReferralInput, "to_facility", label=_("Or to a facility outside MHIS"))
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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        targets = Place.objects.filter(kind=PlaceKind.SITE).order_by("country_code", "name")
        choice_field(self, "to_site").choices = [
            ("", "—"),
            *((p.code, f"{p.name} ({p.country_code})") for p in targets),
        ]
        choice_field(self, "to_country").choices = [("", "—"), *country_choices()]


class ReferralStepForm(ServiceForm[Referral]):
    status = form_field(ReferralStepInput, "status", label=_("New status"), required=True)
    on = forms.CharField(
        label=_("On"), required=False, max_length=10, help_text=_("YYYY-MM-DD; today when empty")
    )
    note = form_field(ReferralStepInput, "note", label=_("Note"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        status = choice_field(self, "status")
        # The contract's values as `form_field` lists them.
        listed = cast("list[tuple[str, StrOrPromise]]", status.choices)
        status.choices = [c for c in listed if c[0] != ReferralStatus.SENT]


def _text(contract: type[Contract], name: str, label: StrOrPromise, rows: int = 2) -> forms.Field:
    return form_field(contract, name, label=label, widget=forms.Textarea(attrs={"rows": rows}))


class AssessmentForm(ServiceForm[Assessment]):
    """One page for the whole assessment; empty fields are left as they are."""

    # The page in short sections (mhis.formtools.sections); a field not named joins the one
    # before it.
    sections = (
        (_("Assessment"), ("site", "type", "date", "programme", "destination_country")),
        (_("History and examination"), ("history", "examination", "tb_symptoms", "tb_contact",
                                         "extrapulmonary_tb", "tb_treatment")),
        (_("Chest X-ray and TB tests"), ("xray_result", "xray_date", "xpert_result", "xpert_date",
                                          "dst_result", "dst_date", "igra_result", "tst_mm")),
        (_("Sputum"), tuple(f"sputum{n}_{part}" for n in (1, 2, 3) for part in (
            "collected_on", "smear_result", "smear_reported_on", "culture_result",
            "culture_reported_on"))),
        (_("Other tests"), ("hiv_result", "syphilis_result", "hepatitis_b_result",
                            "malaria_result", "pregnancy_result")),
        (_("Mental health"), ("rhs15_items", "rhs15_thermometer", "counselling")),
        (_("Outcome"), ("tb_classification", "fit_to_travel", "fit_reason")),
    )  # fmt: skip

    site = forms.ChoiceField(label=_("Site"))
    type = form_field(AssessmentInput, "type", label=_("Type"), required=True)
    date = forms.CharField(
        label=_("Examination date"),
        required=False,
        max_length=10,
        help_text=_("YYYY-MM-DD; today when empty"),
    )
    programme = form_field(
        AssessmentInput,
        "programme",
        label=_("Destination programme"),
        choices=list(DESTINATION_PROGRAMMES.items()),
        initial="GEN",
        required=True,
    )
    destination_country = forms.ChoiceField(label=_("Destination country"), required=False)
    history = _text(AssessmentInput, "history", _("History"))
    examination = _text(AssessmentInput, "examination", _("Examination"))
    tb_symptoms = forms.NullBooleanField(label=_("TB symptoms"), required=False)
    xray_result = form_field(AssessmentInput, "xray_result", label=_("Chest X-ray"))
    xray_date = forms.CharField(label=_("Chest X-ray date"), required=False, max_length=10)
    xpert_result = form_field(AssessmentInput, "xpert_result", label=_("Xpert MTB/RIF"))
    xpert_date = forms.CharField(label=_("Xpert date"), required=False, max_length=10)
    dst_result = form_field(AssessmentInput, "dst_result", label=_("Drug-susceptibility testing"))
    dst_date = forms.CharField(label=_("DST date"), required=False, max_length=10)
    igra_result = form_field(AssessmentInput, "igra_result", label=_("IGRA"))
    tst_mm = forms.IntegerField(label=_("TST induration (mm)"), required=False)
    hiv_result = form_field(AssessmentInput, "hiv_result", label=_("HIV"))
    syphilis_result = form_field(AssessmentInput, "syphilis_result", label=_("Syphilis"))
    hepatitis_b_result = form_field(
        AssessmentInput, "hepatitis_b_result", label=_("Hepatitis B (HBsAg)")
    )
    malaria_result = form_field(AssessmentInput, "malaria_result", label=_("Malaria rapid test"))
    pregnancy_result = form_field(AssessmentInput, "pregnancy_result", label=_("Pregnancy test"))
    rhs15_items = forms.CharField(
        label=_("RHS-15 items 1–14"),
        required=False,
        max_length=60,
        help_text=_("14 scores from 0 to 4, separated by spaces"),
    )
    rhs15_thermometer = forms.IntegerField(label=_("RHS-15 distress thermometer"), required=False)
    counselling = _text(AssessmentInput, "counselling", _("Counselling"))
    tb_contact = forms.NullBooleanField(label=_("Contact of a known TB case"), required=False)
    extrapulmonary_tb = forms.NullBooleanField(
        label=_("Signs of extrapulmonary TB"), required=False
    )
    tb_treatment = form_field(AssessmentInput, "tb_treatment", label=_("TB treatment"))
    tb_classification = forms.ChoiceField(label=_("TB classification"), required=False)
    fit_to_travel = form_field(AssessmentInput, "fit_to_travel", label=_("Fit to travel"))
    fit_reason = form_field(AssessmentInput, "fit_reason", label=_("Reason"))
    tb_override = forms.BooleanField(
        label=_("Override the TB rules"),
        required=False,
        help_text=_(
            "Only to keep a TB classification or fit-to-travel decision the results contradict; "
            "give the reason below. The reason is kept in the assessment's history."
        ),
    )
    tb_override_reason = _text(AssessmentInput, "tb_override_reason", _("Reason for the override"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "destination_country").choices = [("", "—"), *country_choices()]
        choice_field(self, "tb_classification").choices = [("", "—")] + [
            (code, f"{programme}: {label}")
            for programme, classes in TB_CLASSIFICATIONS.items()
            for code, label in classes.items()
        ]
        for n in (1, 2, 3):
            self.fields[f"sputum{n}_collected_on"] = forms.CharField(
                label=_("Sputum %(n)s collected on") % {"n": n}, required=False, max_length=10
            )
            self.fields[f"sputum{n}_smear_result"] = form_field(
                SpecimenInput, "smear_result", label=_("Smear %(n)s") % {"n": n}
            )
            self.fields[f"sputum{n}_smear_reported_on"] = forms.CharField(
                label=_("Smear %(n)s reported on") % {"n": n}, required=False, max_length=10
            )
            self.fields[f"sputum{n}_culture_result"] = form_field(
                SpecimenInput, "culture_result", label=_("Culture %(n)s") % {"n": n}
            )
            self.fields[f"sputum{n}_culture_reported_on"] = forms.CharField(
                label=_("Culture %(n)s reported on") % {"n": n}, required=False, max_length=10
            )

    @staticmethod
    def initial_from(assessment: Assessment) -> dict[str, Any]:
        initial: dict[str, Any] = {
            field: getattr(assessment, field)
            for field in (
                "type",
                "programme",
                "destination_country",
                "history",
                "examination",
                "tb_symptoms",
                "xray_result",
                "xpert_result",
                "dst_result",
                "igra_result",
                "tst_mm",
                "hiv_result",
                "syphilis_result",
                "hepatitis_b_result",
                "malaria_result",
                "pregnancy_result",
                "rhs15_thermometer",
                "counselling",
                "tb_contact",
                "extrapulmonary_tb",
                "tb_treatment",
                "tb_classification",
                "fit_to_travel",
                "fit_reason",
            )
        }
        initial["site"] = assessment.site.code
        for field in ("date", "xray_date", "xpert_date", "dst_date"):
            value = getattr(assessment, field)
            initial[field] = value.isoformat() if value else ""
        initial["rhs15_items"] = " ".join(str(v) for v in assessment.rhs15_items or [])
        for sp in assessment.specimens.all():
            for key in (
                "collected_on",
                "smear_result",
                "smear_reported_on",
                "culture_result",
                "culture_reported_on",
            ):
                value = getattr(sp, key)
                initial[f"sputum{sp.number}_{key}"] = (
                    value.isoformat() if hasattr(value, "isoformat") else value
                )
        return initial

    def service_errors(self, exc: ValidationError) -> None:
        remapped: dict[str, list[str]] = {}
        for field, messages in exc.message_dict.items():
            parts = field.split(".")
            if parts[0] == "specimens" and len(parts) == 3:
                number = self._specimen_numbers[int(parts[1])]
                field = f"sputum{number}_{parts[2]}"
            remapped.setdefault(field, []).extend(messages)
        for field, messages in remapped.items():
            target = field if field in self.fields else None
            for message in messages:
                self.add_error(target, message if target else f"{field}: {message}")

    def service_data(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if not k.startswith("sputum")}
        data["rhs15_items"] = data.pop("rhs15_items") or None  # the contract reads the scores
        specimens: list[dict[str, Any]] = []
        self._specimen_numbers: list[int] = []
        for n in (1, 2, 3):
            values = {
                k: self.cleaned_data[f"sputum{n}_{k}"]
                for k in (
                    "collected_on",
                    "smear_result",
                    "smear_reported_on",
                    "culture_result",
                    "culture_reported_on",
                )
            }
            if any(values.values()):
                specimens.append({"number": n, **values})
                self._specimen_numbers.append(n)
        data["specimens"] = specimens
        return data


class ImmunisationForm(ServiceForm[Immunisation]):
    today_fields = ("date",)

    site = forms.ChoiceField(label=_("Site"))
    vaccine = forms.ChoiceField(label=_("Vaccine"))
    dose_number = forms.IntegerField(label=_("Dose number"), min_value=1, initial=1)
    date = forms.CharField(label=_("Date"), max_length=10, help_text="YYYY-MM-DD", required=False)
    lot = form_field(ImmunisationInput, "lot", label=_("Lot"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from .vaccines import vaccine_choices

        super().__init__(*args, **kwargs)
        choice_field(self, "vaccine").choices = vaccine_choices()


class LabResultForm(ServiceForm[LabResult]):
    today_fields = ("collected_on",)

    site = forms.ChoiceField(label=_("Site"))
    test = form_field(LabResultInput, "test", label=_("Test"))
    loinc = form_field(
        LabResultInput, "loinc", label=_("LOINC code"), help_text=_("Optional, e.g. 718-7")
    )
    value = form_field(LabResultInput, "value", label=_("Value"))
    unit = form_field(LabResultInput, "unit", label=_("Unit"))
    reference_range = form_field(LabResultInput, "reference_range", label=_("Reference range"))
    collected_on = forms.CharField(
        label=_("Collected on"), max_length=10, help_text="YYYY-MM-DD", required=False
    )
    reported_on = forms.CharField(
        label=_("Reported on"), max_length=10, help_text="YYYY-MM-DD", required=False
    )


class ReferralEditForm(ServiceForm[Referral]):
    """What may change after a referral is sent; its steps move it on."""

    reason = _text(ReferralChange, "reason", _("Reason"))
    urgency = form_field(ReferralChange, "urgency", label=_("Urgency"), required=True)
    due_on = forms.CharField(
        label=_("Expected by"), required=False, max_length=10, help_text="YYYY-MM-DD"
    )
    outcome = _text(ReferralChange, "outcome", _("Outcome"))
