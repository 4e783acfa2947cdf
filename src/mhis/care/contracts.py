"""What each care record kind takes: one typed contract per kind (see mhis.contracts)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Self

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from mhis.contracts import (
    AnyDay,
    Contract,
    Country,
    Currency,
    Day,
    Money,
    SiteCode,
    blank_to,
    coded,
    context_of,
    field,
    flag,
    refuse,
    split_list,
    today_if_blank,
    whole,
)
from mhis.input import CareDay, OptionalCareDay, OwnSite
from mhis.places.models import Place, PlaceKind

from .codes import (
    DEFAULT_DUE_DAYS,
    REFERRAL_TRANSITIONS,
    RHS15_ITEMS,
    SPUTUM_SPECIMENS,
    TB_CLASSIFICATIONS,
    Payer,
    ReferralStatus,
    Urgency,
)
from .icd10 import normalise_icd10
from .models import (
    Assessment,
    Diagnosis,
    Encounter,
    Immunisation,
    LabResult,
    Referral,
    ReferralStep,
    SputumSpecimen,
)
from .vaccines import VACCINES, valid_loinc

MAX_DIAGNOSES = 20
DOSE = gettext_lazy("The dose number is a whole number from 1 to %(n)s.")
MAX_DOSES = 99


# The types of the fields that take their values and lengths from the models (mhis.contracts
# .field, .coded, .whole, .flag) are built when the module loads; the type checker reads each
# as the value it holds. A change's field left out is None (a default is not checked).
if TYPE_CHECKING:
    DiagnosisCode = str
    EncounterKindCode = str
    ComplaintCode = str
    EncounterReason = str
    Treatments = str
    PaidByCode = str
    ReferralKindCode = str
    ReferralReason = str
    UrgencyCode = str
    Facility = str
    Outcome = str
    ReasonChange = str | None
    UrgencyChange = str | None
    OutcomeChange = str | None
    StepStatusCode = str
    StepNote = str
    ProgrammeCode = str
    SpecimenNumber = int
    SmearResultCode = str
    CultureResultCode = str
    AssessmentTypeCode = str
    History = str
    Examination = str
    TbSymptoms = bool | None
    XrayResultCode = str
    XpertResultCode = str
    DstResultCode = str
    IgraResultCode = str
    HivResultCode = str
    SyphilisResultCode = str
    HepatitisBResultCode = str
    MalariaResultCode = str
    PregnancyResultCode = str
    Induration = int | None
    Thermometer = int | None
    Counselling = str
    TbClassCode = str
    TbTreatmentCode = str
    TbFlag = bool | None
    Override = bool
    OverrideReason = str
    FitToTravelCode = str
    FitReason = str
    VaccineCode = str
    DoseNumber = int
    Lot = str
    TestName = str
    LoincCode = str
    LabValue = str
    LabUnit = str
    ReferenceRange = str
else:
    DiagnosisCode = field(Diagnosis, "code")
    EncounterKindCode = field(Encounter, "kind")
    ComplaintCode = field(Encounter, "chief_complaint")
    EncounterReason = field(Encounter, "reason")
    Treatments = field(Encounter, "treatments")
    PaidByCode = field(Encounter, "paid_by")
    ReferralKindCode = field(Referral, "kind")
    ReferralReason = field(Referral, "reason")
    UrgencyCode = field(Referral, "urgency")
    Facility = field(Referral, "to_facility")
    Outcome = field(Referral, "outcome")
    ReasonChange = field(Referral, "reason")
    UrgencyChange = field(Referral, "urgency")
    OutcomeChange = field(Referral, "outcome")
    StepStatusCode = field(ReferralStep, "status")
    StepNote = field(ReferralStep, "note")
    ProgrammeCode = coded(Assessment, "programme", TB_CLASSIFICATIONS, default="GEN")
    SpecimenNumber = whole(
        1,
        SPUTUM_SPECIMENS,
        required=True,
        message=gettext_lazy("A specimen is numbered 1, 2 or 3."),
    )
    SmearResultCode = field(SputumSpecimen, "smear_result")
    CultureResultCode = field(SputumSpecimen, "culture_result")
    AssessmentTypeCode = field(Assessment, "type")
    History = field(Assessment, "history")
    Examination = field(Assessment, "examination")
    TbSymptoms = flag(None)
    XrayResultCode = field(Assessment, "xray_result")
    XpertResultCode = field(Assessment, "xpert_result")
    DstResultCode = field(Assessment, "dst_result")
    IgraResultCode = field(Assessment, "igra_result")
    HivResultCode = field(Assessment, "hiv_result")
    SyphilisResultCode = field(Assessment, "syphilis_result")
    HepatitisBResultCode = field(Assessment, "hepatitis_b_result")
    MalariaResultCode = field(Assessment, "malaria_result")
    PregnancyResultCode = field(Assessment, "pregnancy_result")
    Induration = whole(
        0, 50, message=gettext_lazy("Induration is a whole number of millimetres from 0 to 50.")
    )
    Thermometer = whole(0, 10, message=gettext_lazy("The distress thermometer reads from 0 to 10."))
    Counselling = field(Assessment, "counselling")
    TbClassCode = field(Assessment, "tb_classification")
    TbTreatmentCode = field(Assessment, "tb_treatment")
    TbFlag = flag(None)
    Override = flag(False)
    OverrideReason = field(Assessment, "tb_override_reason")
    FitToTravelCode = field(Assessment, "fit_to_travel")
    FitReason = field(Assessment, "fit_reason")
    VaccineCode = coded(Immunisation, "vaccine", VACCINES)
    DoseNumber = whole(1, MAX_DOSES, required=True, message=DOSE)
    Lot = field(Immunisation, "lot")
    TestName = field(LabResult, "test")
    LoincCode = field(LabResult, "loinc")
    LabValue = field(LabResult, "value")
    LabUnit = field(LabResult, "unit")
    ReferenceRange = field(LabResult, "reference_range")


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

    code: Annotated[DiagnosisCode, BeforeValidator(_icd10)] = Field(
        description="WHO ICD-10 code, e.g. A15.0"
    )
    primary: bool | None = Field(None, description="The main diagnosis (default: the first)")


class EncounterInput(Contract):
    """An encounter: a consultation, a mobile clinic visit, emergency care or psychosocial
    support, with its diagnoses and what it cost."""

    model = Encounter

    site: OwnSite
    kind: EncounterKindCode
    date: CareDay
    chief_complaint: Annotated[ComplaintCode, BeforeValidator(_icd10)] = ""
    reason: EncounterReason = ""
    treatments: Treatments = ""
    diagnoses: Annotated[
        list[DiagnosisInput], BeforeValidator(_diagnosis_list), Field(max_length=MAX_DIAGNOSES)
    ] = Field(default_factory=list, description="The main diagnosis first")
    cost: Money = None
    currency: Currency = Field("", validate_default=True)
    paid_by: PaidByCode = Payer.UNKNOWN

    @field_validator("currency")
    @classmethod
    def _currency_of_cost(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("cost") is not None and not value and not cls.is_update:
            raise ValueError(_("Give the currency of the cost."))
        return value

    @model_validator(mode="after")
    def _main_diagnosis(self) -> Self:
        for i, diagnosis in enumerate(self.diagnoses or ()):
            if diagnosis.primary is None:
                diagnosis.primary = i == 0
        return self


if TYPE_CHECKING:  # a contract of a change is its contract's subclass
    EncounterChange = EncounterInput
else:
    EncounterChange = EncounterInput.update()


# -- shared pieces -----------------------------------------------------------------------------

# A country as stored: its alpha-2 code (an alpha-3 code given is made alpha-2 first).
CountryCode = Annotated[Country, Field(max_length=2)]

# A date that is today when left empty (a referral sent, a step taken, an examination, today).
TodayCareDay = Annotated[CareDay, BeforeValidator(today_if_blank)]
if TYPE_CHECKING:
    TodayDay = date  # an empty value is today, so there is always one
else:
    TodayDay = Annotated[Day, BeforeValidator(today_if_blank)]


def _code(place: Any) -> Any:
    return getattr(place, "code", place)


def _assessment_of(value: int | None, info: ValidationInfo) -> Any:
    """The assessment of the person written about with this id (checked with the context)."""
    person = context_of(info, "person")
    if value is None or person is None:
        return value
    found = Assessment.objects.filter(pk=value, person=person).first()
    if found is None:
        raise ValueError(_("No assessment of this person with this id."))
    return found


AssessmentId = Annotated[
    int | None,
    AfterValidator(_assessment_of),
    BeforeValidator(blank_to(None)),
    Field(description="Id of an assessment of this person"),
]


# -- referrals ---------------------------------------------------------------------------------


def _any_site(code: Any, info: ValidationInfo) -> Any:
    """A site anywhere in MHIS (a referral may cross every border), by code."""
    if code is None or context_of(info, "user") is None:
        return code
    site = Place.objects.filter(code=code, kind=PlaceKind.SITE).first()
    if site is None:
        raise ValueError(_("No site with this code in MHIS; name a facility outside MHIS instead."))
    return site


AnySite = Annotated[
    SiteCode | None,
    AfterValidator(_any_site),
    BeforeValidator(blank_to(None)),
    Field(description="Code of the receiving site, anywhere in MHIS"),
]
DueDay = Annotated[
    AnyDay,
    Field(description="YYYY-MM-DD, expected attendance; from the urgency when empty"),
]


def _due_on_problems(
    contract: ReferralInput | ReferralChange, info: ValidationInfo
) -> dict[str, str]:
    sent_on = getattr(contract, "sent_on", None) or getattr(
        context_of(info, "record"), "sent_on", None
    )
    due_on = contract.due_on
    if sent_on and due_on and due_on < sent_on:
        return {"due_on": _("The expected date is before the referral was sent.")}
    return {}


class ReferralInput(Contract):
    """A referral from a site in your places to another site of MHIS (`to_site`, anywhere) or
    to a facility outside MHIS (`to_facility`, in `to_country`)."""

    model = Referral

    site: OwnSite
    kind: ReferralKindCode
    reason: ReferralReason
    urgency: UrgencyCode = Urgency.ROUTINE
    to_site: AnySite = None
    to_facility: Facility = ""
    to_country: CountryCode = ""
    sent_on: TodayCareDay = Field(default_factory=timezone.localdate)
    due_on: DueDay = None
    outcome: Outcome = ""

    @model_validator(mode="after")
    def _destination(self, info: ValidationInfo) -> Self:
        problems: dict[str, str] = {}
        if self.to_site is not None:
            if _code(self.to_site) == _code(self.site):
                problems["to_site"] = _("A referral goes to another site.")
            elif isinstance(self.to_site, Place):
                self.to_country = self.to_site.country_code
        elif not self.to_facility:
            problems["to_site"] = _("Give the site or the facility the person is referred to.")
        elif not self.to_country:
            problems["to_country"] = _("This field is required.")
        problems.update(_due_on_problems(self, info))
        refuse(problems)
        if self.due_on is None:
            self.due_on = self.sent_on + timedelta(days=DEFAULT_DUE_DAYS[Urgency(self.urgency)])
        return self


SENT_ONLY = ("site", "kind", "to_site", "to_facility", "to_country", "sent_on")


class ReferralChange(Contract):
    """What may change after a referral is sent: only the fields given change. The sending and
    receiving ends never change."""

    model = Referral
    is_update = True

    reason: ReasonChange = None
    urgency: UrgencyChange = None
    due_on: DueDay = None
    outcome: OutcomeChange = None

    @model_validator(mode="before")
    @classmethod
    def _sent_only(cls, data: Any) -> Any:
        given = getattr(data, "_obj", data)  # ninja may hand the body wrapped
        if isinstance(given, Mapping):
            refuse({k: _("This cannot change after sending.") for k in SENT_ONLY if k in given})
        return data

    @model_validator(mode="after")
    def _due_after_sent(self, info: ValidationInfo) -> Self:
        refuse(_due_on_problems(self, info))
        if self.due_on is None:  # an empty date keeps the expected date
            self.model_fields_set.discard("due_on")
        return self


class ReferralStepInput(Contract):
    """A referral's next status (sent → received → attended → closed, or lost to follow-up)."""

    model = ReferralStep

    status: StepStatusCode
    on: TodayDay = Field(default_factory=timezone.localdate)
    note: StepNote = ""

    @model_validator(mode="after")
    def _workflow(self, info: ValidationInfo) -> Self:
        referral = context_of(info, "record")
        if referral is None:
            return self
        problems: dict[str, str] = {}
        if self.status not in REFERRAL_TRANSITIONS[ReferralStatus(referral.status)]:
            problems["status"] = _("A referral that is “%(current)s” cannot become “%(next)s”.") % {
                "current": referral.get_status_display(),
                "next": ReferralStatus(self.status).label,
            }
        last = referral.steps.order_by("-on", "-pk").first()
        if last and self.on < last.on:
            problems["on"] = _("This is before the referral's previous step (%(day)s).") % {
                "day": last.on.isoformat()
            }
        refuse(problems)
        return self


# -- assessments -------------------------------------------------------------------------------


def _scores(value: Any) -> Any:
    """The RHS-15 item scores, as a list or as a form or a cell writes them ("1 0 2; 1…")."""
    if isinstance(value, str):
        value = [v for v in value.replace(",", " ").replace(";", " ").split() if v]
        value = [int(v) if v.isdigit() else v for v in value] or None
    if value is None:
        return None
    if (
        not isinstance(value, list | tuple)
        or len(value) != RHS15_ITEMS
        or any(isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 4 for v in value)
    ):
        raise ValueError(_("Give the %(n)s item scores, each from 0 to 4.") % {"n": RHS15_ITEMS})
    return list(value)


Rhs15Items = Annotated[
    list[Annotated[int, Field(ge=0, le=4)]] | None,
    Field(
        min_length=RHS15_ITEMS,
        max_length=RHS15_ITEMS,
        description="Refugee Health Screener-15 items 1-14, each 0-4",
    ),
    BeforeValidator(_scores),
    BeforeValidator(blank_to(None)),
]
Programme = Annotated[
    ProgrammeCode,
    Field(description="Destination programme of the TB classification"),
]


class SpecimenInput(Contract):
    """Sputum specimen 1, 2 or 3: the fields given change."""

    model = SputumSpecimen
    is_update = True  # a specimen's fields not given are left as they are

    number: SpecimenNumber
    collected_on: OptionalCareDay = None
    smear_result: SmearResultCode = ""
    smear_reported_on: Day = None
    culture_result: CultureResultCode = ""
    culture_reported_on: Day = None


class AssessmentInput(Contract):
    """A migration health assessment and its TB screening: results, specimens and outcome."""

    model = Assessment

    site: OwnSite
    type: AssessmentTypeCode
    date: TodayCareDay = Field(default_factory=timezone.localdate)
    programme: Programme = "GEN"
    destination_country: CountryCode = ""
    history: History = ""
    examination: Examination = ""
    tb_symptoms: TbSymptoms = None
    xray_result: XrayResultCode = ""
    xray_date: OptionalCareDay = None
    xpert_result: XpertResultCode = ""
    xpert_date: OptionalCareDay = None
    dst_result: DstResultCode = ""
    dst_date: OptionalCareDay = None
    igra_result: IgraResultCode = ""
    tst_mm: Induration = None
    hiv_result: HivResultCode = ""
    syphilis_result: SyphilisResultCode = ""
    hepatitis_b_result: HepatitisBResultCode = ""
    malaria_result: MalariaResultCode = ""
    pregnancy_result: PregnancyResultCode = ""
    rhs15_items: Rhs15Items = None
    rhs15_thermometer: Thermometer = None
    counselling: Counselling = ""
    tb_contact: TbFlag = None
    extrapulmonary_tb: TbFlag = None
    tb_treatment: TbTreatmentCode = ""
    specimens: Annotated[list[SpecimenInput], Field(max_length=SPUTUM_SPECIMENS)] = Field(
        default_factory=list, description="Sputum specimens: the fields given of each number"
    )
    tb_classification: TbClassCode = Field(
        "", description="A code of the programme's TB classifications"
    )
    fit_to_travel: FitToTravelCode = ""
    fit_reason: FitReason = ""
    tb_override: Override = Field(
        False,
        description="Keep a TB classification or fit-to-travel decision that contradicts the "
        "programme's decision table; needs tb_override_reason",
    )
    tb_override_reason: OverrideReason = ""

    @model_validator(mode="after")
    def _cross_field(self, info: ValidationInfo) -> Self:
        """Every cross-field rule at once: the specimens', then the classification's."""
        problems: dict[str, str] = {}
        seen: set[int] = set()
        for i, specimen in enumerate(self.specimens or ()):
            if specimen.number in seen:
                problems[f"specimens.{i}.number"] = _("Specimen %(n)s is given twice.") % {
                    "n": specimen.number
                }
            seen.add(specimen.number)
            for kind in ("smear", "culture"):
                reported = getattr(specimen, f"{kind}_reported_on")
                if reported and specimen.collected_on and reported < specimen.collected_on:
                    problems[f"specimens.{i}.{kind}_reported_on"] = _(
                        "The result is dated before the specimen was collected."
                    )
        programme = self.value_of("programme", info)  # None: a change checked without its record
        code = self.tb_classification
        if code and programme and code not in TB_CLASSIFICATIONS.get(programme, {}):
            problems["tb_classification"] = _(
                "“%(code)s” is not a TB classification of the %(programme)s programme."
            ) % {"code": code, "programme": programme}
        refuse(problems)
        return self


if TYPE_CHECKING:  # a contract of a change is its contract's subclass
    AssessmentChange = AssessmentInput
else:
    AssessmentChange = AssessmentInput.update()


# -- immunisations and lab results -------------------------------------------------------------


class ImmunisationInput(Contract):
    """A vaccine dose given."""

    model = Immunisation

    site: OwnSite
    vaccine: Annotated[
        VaccineCode,
        Field(description="Vaccine code, e.g. MR, BCG, TD, HEPB, OCV"),
    ]
    dose_number: DoseNumber
    date: CareDay
    lot: Lot = ""
    assessment: AssessmentId = None

    @model_validator(mode="after")
    def _dose_of_vaccine(self, info: ValidationInfo) -> Self:
        vaccine = self.value_of("vaccine", info)
        most = VACCINES[vaccine][1] if vaccine in VACCINES else MAX_DOSES
        dose = self.dose_number
        if dose is not None and dose > most:
            refuse({"dose_number": str(DOSE) % {"n": most}})
        return self


if TYPE_CHECKING:  # a contract of a change is its contract's subclass
    ImmunisationChange = ImmunisationInput
else:
    ImmunisationChange = ImmunisationInput.update()


def _loinc(code: str) -> str:
    if code and not valid_loinc(code):
        raise ValueError(
            _("“%(code)s” is not a LOINC code (NNNNN-C with its check digit).") % {"code": code}
        )
    return code


class LabResultInput(Contract):
    """A laboratory result: what was tested, the value and when."""

    model = LabResult

    site: OwnSite
    test: TestName
    loinc: Annotated[LoincCode, AfterValidator(_loinc)] = Field(
        "", description="LOINC code, e.g. 718-7"
    )
    value: LabValue
    unit: LabUnit = ""
    reference_range: ReferenceRange = ""
    collected_on: CareDay
    reported_on: Day = None
    assessment: AssessmentId = None

    @model_validator(mode="after")
    def _reported_after_collected(self, info: ValidationInfo) -> Self:
        collected = self.value_of("collected_on", info)
        reported = self.value_of("reported_on", info)
        if collected and reported and reported < collected:
            refuse({"reported_on": _("The result is dated before the specimen was collected.")})
        return self


if TYPE_CHECKING:  # a contract of a change is its contract's subclass
    LabResultChange = LabResultInput
else:
    LabResultChange = LabResultInput.update()
