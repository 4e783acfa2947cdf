"""Health assessments and their TB screening workflow: the write layer and its questions.

The workflow is derived, never stored: ``presumptive_tb``, ``missing_steps`` and
``quality_flags`` read the assessment as it is. An assessment is complete on the day its
outcome (TB classification and fit-to-travel) is recorded with nothing missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from mhis.access.policy import Can, allowed, require
from mhis.access.services import place_scope_q
from mhis.codelists import normalise_country
from mhis.events import announce
from mhis.input import Errors, clean_choice, clean_date, clean_text, not_before_birth, own_site
from mhis.registry.models import Person, PersonSite
from mhis.registry.services import link_site

from .codes import (
    RHS15_ITEM_CUTOFF,
    RHS15_ITEMS,
    RHS15_THERMOMETER_CUTOFF,
    SPUTUM_SPECIMENS,
    TB_CLASSIFICATIONS,
    TB_DISEASE_CLASSES,
    AssessmentType,
    CultureResult,
    DstResult,
    FitToTravel,
    SmearResult,
    TestResult,
    XpertResult,
    XrayResult,
)
from .history import apply_changes, days_of, log_change
from .models import Assessment, RecordChange, SputumSpecimen

RESULT_FIELDS = {
    "xray_result": XrayResult,
    "xpert_result": XpertResult,
    "dst_result": DstResult,
    "igra_result": TestResult,
    "hiv_result": TestResult,
    "syphilis_result": TestResult,
    "hepatitis_b_result": TestResult,
    "malaria_result": TestResult,
    "pregnancy_result": TestResult,
}
DATE_FIELDS = ("xray_date", "xpert_date", "dst_date")
TEXT_FIELDS = ("history", "examination", "counselling", "fit_reason")
SPECIMEN_FIELDS = (
    "number",
    "collected_on",
    "smear_result",
    "smear_reported_on",
    "culture_result",
    "culture_reported_on",
)
ASSESSMENT_FIELDS = (
    "site",
    "type",
    "date",
    "programme",
    "destination_country",
    "tb_symptoms",
    "tst_mm",
    "rhs15_items",
    "rhs15_thermometer",
    "tb_classification",
    "fit_to_travel",
    "specimens",
    *RESULT_FIELDS,
    *DATE_FIELDS,
    *TEXT_FIELDS,
)
XPERT_DETECTED = frozenset(
    {XpertResult.RIF_NOT_DETECTED, XpertResult.RIF_DETECTED, XpertResult.RIF_INDETERMINATE}
)


# -- questions the workflow asks -----------------------------------------------------------------


def rhs15(assessment: Assessment) -> dict | None:
    """Refugee Health Screener-15 score and result, or None when not administered."""
    if assessment.rhs15_items is None and assessment.rhs15_thermometer is None:
        return None
    score = sum(assessment.rhs15_items or [])
    thermometer = assessment.rhs15_thermometer
    positive = score >= RHS15_ITEM_CUTOFF or (
        thermometer is not None and thermometer >= RHS15_THERMOMETER_CUTOFF
    )
    return {"score": score, "thermometer": thermometer, "positive": positive}


def presumptive_tb(assessment: Assessment) -> bool:
    """Chest X-ray suggestive of TB, TB symptoms, HIV positive, or MTB detected by Xpert."""
    return (
        assessment.xray_result == XrayResult.SUGGESTIVE
        or assessment.tb_symptoms is True
        or assessment.hiv_result == TestResult.POSITIVE
        or assessment.xpert_result in XPERT_DETECTED
    )


def _specimens(assessment: Assessment) -> dict[int, SputumSpecimen]:
    return {s.number: s for s in assessment.specimens.all()}


def _mtb_found(assessment: Assessment, specimens: dict[int, SputumSpecimen]) -> bool:
    return assessment.xpert_result in XPERT_DETECTED or any(
        s.culture_result == CultureResult.MTB for s in specimens.values()
    )


def missing_steps(assessment: Assessment) -> list[dict[str, str]]:
    """What the assessment still needs, in the order the work is done."""
    steps: list[tuple[str, str]] = []
    specimens = _specimens(assessment)
    if not assessment.xray_result:
        steps.append(("chest_xray", _("Chest X-ray result")))
    if presumptive_tb(assessment):
        for n in range(1, SPUTUM_SPECIMENS + 1):
            specimen = specimens.get(n)
            if specimen is None or not specimen.collected_on:
                steps.append((f"sputum_{n}", _("Sputum specimen %(n)s not collected") % {"n": n}))
                continue
            if not specimen.smear_result:
                steps.append((f"smear_{n}", _("Smear %(n)s result pending") % {"n": n}))
            if not specimen.culture_result:
                steps.append((f"culture_{n}", _("Culture %(n)s result pending") % {"n": n}))
    if _mtb_found(assessment, specimens) and not assessment.dst_result:
        steps.append(("dst", _("Drug-susceptibility testing")))
    if not assessment.tb_classification:
        steps.append(("tb_classification", _("TB classification")))
    if not assessment.fit_to_travel:
        steps.append(("fit_to_travel", _("Fit-to-travel decision")))
    return [{"code": code, "message": str(message)} for code, message in steps]


def quality_flags(assessment: Assessment) -> list[dict[str, str]]:
    """Data-quality rules of assessment programmes that this assessment breaks."""
    flags: list[tuple[str, str]] = []
    specimens = _specimens(assessment)
    if (
        any(s.culture_result == CultureResult.MTB for s in specimens.values())
        and not assessment.dst_result
    ):
        flags.append(("culture_positive_no_dst", _("Culture positive but DST not done")))
    has_micro = assessment.xpert_result or any(
        s.smear_result or s.culture_result for s in specimens.values()
    )
    if assessment.tb_classification in TB_DISEASE_CLASSES and not has_micro:
        flags.append(("class_without_microbiology", _("TB class without microbiology")))
    return [{"code": code, "message": str(message)} for code, message in flags]


def pending_assessments(user) -> QuerySet[Assessment]:
    """Assessments at the user's sites that are not complete, oldest first."""
    if not allowed(user, Can.READ_PERSON):
        return Assessment.objects.none()
    return (
        Assessment.objects.filter(place_scope_q(user, "site"), completed_on__isnull=True)
        .select_related("person", "site")
        .prefetch_related("specimens")
        .order_by("date", "pk")
    )


# -- input ---------------------------------------------------------------------------------------


def _clean_specimens(raw: Any, person: Person, errors: Errors) -> list[dict]:
    if raw in (None, ""):
        return []
    if not isinstance(raw, list | tuple) or len(raw) > SPUTUM_SPECIMENS:
        errors.add(
            "specimens", _("Expected a list of at most %(n)s specimens.") % {"n": SPUTUM_SPECIMENS}
        )
        return []
    cleaned, seen = [], set()
    for i, item in enumerate(raw):
        field = f"specimens.{i}"
        if not isinstance(item, Mapping):
            errors.add(field, _("Expected an object describing a sputum specimen."))
            continue
        for key in sorted(set(item) - set(SPECIMEN_FIELDS)):
            errors.add(f"{field}.{key}", _("Unknown field."))
        number = item.get("number")
        if number not in range(1, SPUTUM_SPECIMENS + 1) or isinstance(number, bool):
            errors.add(f"{field}.number", _("A specimen is numbered 1, 2 or 3."))
            continue
        if number in seen:
            errors.add(f"{field}.number", _("Specimen %(n)s is given twice.") % {"n": number})
            continue
        seen.add(number)
        out = {"number": number}
        for key in ("collected_on", "smear_reported_on", "culture_reported_on"):
            if key in item:
                out[key] = clean_date(item.get(key), f"{field}.{key}", errors)
        if "smear_result" in item:
            out["smear_result"] = clean_choice(
                item.get("smear_result"), f"{field}.smear_result", errors, SmearResult, ""
            )
        if "culture_result" in item:
            out["culture_result"] = clean_choice(
                item.get("culture_result"), f"{field}.culture_result", errors, CultureResult, ""
            )
        collected = out.get("collected_on")
        not_before_birth(person, collected, f"{field}.collected_on", errors)
        for kind in ("smear", "culture"):
            reported = out.get(f"{kind}_reported_on")
            if reported and collected and reported < collected:
                errors.add(
                    f"{field}.{kind}_reported_on",
                    _("The result is dated before the specimen was collected."),
                )
        cleaned.append(out)
    return cleaned


def _clean(
    user, person: Person, data: Mapping[str, Any], assessment: Assessment | None
) -> tuple[dict, list[dict]]:
    if not isinstance(data, Mapping):
        raise ValidationError({"__all__": [_("Expected an object.")]})
    errors = Errors()
    for field in sorted(set(data) - set(ASSESSMENT_FIELDS)):
        errors.add(field, _("Unknown field."))
    partial = assessment is not None
    out: dict[str, Any] = {}

    def given(field):
        return field in data or not partial

    if given("site"):
        out["site"] = own_site(user, data.get("site"), "site", errors)
    if given("type"):
        out["type"] = clean_choice(data.get("type"), "type", errors, AssessmentType)
    if given("date"):
        out["date"] = clean_date(
            data.get("date") or timezone.localdate(), "date", errors, required=True
        )
        not_before_birth(person, out["date"], "date", errors)
    if given("programme"):
        programme = data.get("programme") or "GEN"
        if programme not in TB_CLASSIFICATIONS:
            errors.add(
                "programme",
                _("Unknown destination programme; choose one of %(allowed)s.")
                % {"allowed": ", ".join(TB_CLASSIFICATIONS)},
            )
        else:
            out["programme"] = programme
    if given("destination_country"):
        try:
            code = data.get("destination_country") or ""
            out["destination_country"] = normalise_country(code) if code else ""
        except ValueError as exc:
            errors.add("destination_country", str(exc))
    for field in TEXT_FIELDS:
        if given(field):
            out[field] = clean_text(data.get(field), field, errors)
    if given("tb_symptoms"):
        value = data.get("tb_symptoms")
        if value is not None and not isinstance(value, bool):
            errors.add("tb_symptoms", _("Expected true, false or nothing."))
        else:
            out["tb_symptoms"] = value
    for field, choices in RESULT_FIELDS.items():
        if given(field):
            out[field] = clean_choice(data.get(field), field, errors, choices, "")
    for field in DATE_FIELDS:
        if given(field):
            out[field] = clean_date(data.get(field), field, errors)
            not_before_birth(person, out[field], field, errors)
    if given("tst_mm"):
        value = data.get("tst_mm")
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 50
        ):
            errors.add("tst_mm", _("Induration is a whole number of millimetres from 0 to 50."))
        else:
            out["tst_mm"] = value
    if given("rhs15_items"):
        items = data.get("rhs15_items")
        if items is not None and (
            not isinstance(items, list | tuple)
            or len(items) != RHS15_ITEMS
            or any(isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 4 for v in items)
        ):
            errors.add(
                "rhs15_items",
                _("Give the %(n)s item scores, each from 0 to 4.") % {"n": RHS15_ITEMS},
            )
        else:
            out["rhs15_items"] = list(items) if items is not None else None
    if given("rhs15_thermometer"):
        value = data.get("rhs15_thermometer")
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10
        ):
            errors.add("rhs15_thermometer", _("The distress thermometer reads from 0 to 10."))
        else:
            out["rhs15_thermometer"] = value
    specimens = (
        _clean_specimens(data.get("specimens"), person, errors) if given("specimens") else []
    )
    programme = out.get("programme") or (assessment.programme if assessment else "GEN")
    if given("tb_classification"):
        code = data.get("tb_classification") or ""
        if code and code not in TB_CLASSIFICATIONS.get(programme, {}):
            errors.add(
                "tb_classification",
                _("“%(code)s” is not a TB classification of the %(programme)s programme.")
                % {"code": code, "programme": programme},
            )
        else:
            out["tb_classification"] = code
    if given("fit_to_travel"):
        out["fit_to_travel"] = clean_choice(
            data.get("fit_to_travel"), "fit_to_travel", errors, FitToTravel, ""
        )
    errors.check()
    return out, specimens


def _check_outcome(assessment: Assessment, missing: list[dict[str, str]]) -> None:
    """Refuse an outcome the results do not support yet; say what is missing."""
    errors = Errors()
    results = [m for m in missing if m["code"] not in ("tb_classification", "fit_to_travel")]
    if assessment.tb_classification and results:
        errors.add(
            "tb_classification",
            _("Results are still missing: %(steps)s.")
            % {"steps": "; ".join(m["message"] for m in results)},
        )
    if (
        assessment.fit_to_travel in (FitToTravel.FIT, FitToTravel.FIT_WITH_CONDITIONS)
        and not assessment.tb_classification
    ):
        errors.add(
            "fit_to_travel",
            _("Give the TB classification before declaring the person fit to travel."),
        )
    if (
        assessment.fit_to_travel
        and assessment.fit_to_travel != FitToTravel.FIT
        and not assessment.fit_reason
    ):
        errors.add("fit_reason", _("Give the reason for this decision."))
    errors.check()


def _write_specimens(assessment: Assessment, specimens: list[dict]) -> dict[str, list]:
    changes: dict[str, list] = {}
    existing = _specimens(assessment)
    for values in specimens:
        number = values["number"]
        specimen = existing.get(number) or SputumSpecimen(assessment=assessment, number=number)
        for field, pair in apply_changes(
            specimen, {k: v for k, v in values.items() if k != "number"}
        ).items():
            changes[f"specimen_{number}.{field}"] = pair
        specimen.save()
    return changes


def _settle(assessment: Assessment, changes: dict) -> None:
    """Check the outcome against the results, then date completion (or undo it)."""
    missing = missing_steps(assessment)
    _check_outcome(assessment, missing)
    completed_on = None if missing else (assessment.completed_on or timezone.localdate())
    completion = apply_changes(assessment, {"completed_on": completed_on})
    if completion:
        changes.update(completion)
        assessment.save(update_fields=["completed_on", "updated_at"])


@transaction.atomic
def assess(user, person: Person, data: Mapping[str, Any]) -> Assessment:
    """Start (and possibly complete) a health assessment."""
    require(user, Can.WRITE_PERSON)
    fields, specimens = _clean(user, person, data, None)
    assessment = Assessment(person=person, recorded_by=user)
    changes = apply_changes(assessment, fields)
    assessment.save()
    changes.update(_write_specimens(assessment, specimens))
    _settle(assessment, changes)
    log_change(user, assessment, RecordChange.Action.CREATED, changes)
    announce(assessment, days=[assessment.date])
    link_site(person, assessment.site, PersonSite.Reason.SEEN)
    return assessment


@transaction.atomic
def update_assessment(user, assessment: Assessment, data: Mapping[str, Any]) -> Assessment:
    """Add results or the outcome; specimens given replace those numbers' fields given."""
    require(user, Can.WRITE_PERSON)
    assessment = (
        Assessment.objects.select_for_update().select_related("person").get(pk=assessment.pk)
    )
    fields, specimens = _clean(user, assessment.person, data, assessment)
    changes = apply_changes(assessment, fields)
    assessment.save()
    changes.update(_write_specimens(assessment, specimens))
    _settle(assessment, changes)
    log_change(user, assessment, RecordChange.Action.UPDATED, changes)
    announce(assessment, days=days_of(assessment, "date", changes))
    if "site" in fields:
        link_site(assessment.person, assessment.site, PersonSite.Reason.SEEN)
    return assessment


def assessments_of(person: Person) -> QuerySet[Assessment]:
    return (
        Assessment.objects.filter(person=person)
        .select_related("site", "person")
        .prefetch_related("specimens")
    )
