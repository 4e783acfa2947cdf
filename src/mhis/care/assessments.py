"""Health assessments and their TB screening workflow: the write layer and its questions.

The workflow is derived, never stored: ``presumptive_tb``, ``missing_steps`` and
``quality_flags`` read the assessment as it is. An assessment is complete on the day its
outcome (TB classification and fit-to-travel) is recorded with nothing missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from mhis.access.policy import Can, allowed, require
from mhis.access.services import place_scope_q
from mhis.events import announce
from mhis.input import Errors
from mhis.registry.models import Person, PersonSite
from mhis.registry.services import link_site

from .codes import (
    RHS15_ITEM_CUTOFF,
    RHS15_THERMOMETER_CUTOFF,
    SPUTUM_SPECIMENS,
    TB_DISEASE_CLASSES,
    CultureResult,
    FitToTravel,
    TestResult,
    XpertResult,
    XrayResult,
)
from .contracts import AssessmentInput
from .history import apply_changes, days_of, log_change
from .models import Assessment, RecordChange, SputumSpecimen

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from mhis.access.models import User

ASSESSMENT_FIELDS = AssessmentInput.columns()
XPERT_DETECTED = frozenset(
    {XpertResult.RIF_NOT_DETECTED, XpertResult.RIF_DETECTED, XpertResult.RIF_INDETERMINATE}
)


# -- questions the workflow asks -----------------------------------------------------------------


def rhs15(assessment: Assessment) -> dict[str, Any] | None:
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


def pending_assessments(user: User | AnonymousUser) -> QuerySet[Assessment]:
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


def _fields(
    user: User,
    person: Person,
    data: AssessmentInput | Mapping[str, Any],
    assessment: Assessment | None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The checked fields (the site as a Place in the user's places) and the specimens given,
    each with the fields given."""
    checked = AssessmentInput.check(
        data, update=assessment is not None, user=user, person=person, record=assessment
    )
    fields = checked.given()
    specimens = [s.given() for s in fields.pop("specimens", None) or ()]
    return fields, specimens


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


def _write_specimens(
    assessment: Assessment, specimens: list[dict[str, Any]]
) -> dict[str, list[Any]]:
    changes: dict[str, list[Any]] = {}
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


def _settle(assessment: Assessment, changes: dict[str, list[Any]]) -> None:
    """Check the outcome against the results, then date completion (or undo it)."""
    missing = missing_steps(assessment)
    _check_outcome(assessment, missing)
    completed_on = None if missing else (assessment.completed_on or timezone.localdate())
    completion = apply_changes(assessment, {"completed_on": completed_on})
    if completion:
        changes.update(completion)
        assessment.save(update_fields=["completed_on", "updated_at"])


@transaction.atomic
def assess(user: User, person: Person, data: AssessmentInput | Mapping[str, Any]) -> Assessment:
    """Start (and possibly complete) a health assessment."""
    require(user, Can.WRITE_PERSON)
    fields, specimens = _fields(user, person, data, None)
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
def update_assessment(
    user: User, assessment: Assessment, data: AssessmentInput | Mapping[str, Any]
) -> Assessment:
    """Add results or the outcome; specimens given replace those numbers' fields given."""
    require(user, Can.WRITE_PERSON)
    assessment = (
        Assessment.objects.select_for_update().select_related("person").get(pk=assessment.pk)
    )
    fields, specimens = _fields(user, assessment.person, data, assessment)
    changes = apply_changes(assessment, fields)
    assessment.save()
    changes.update(_write_specimens(assessment, specimens))
    _settle(assessment, changes)
    log_change(user, assessment, RecordChange.Action.UPDATED, changes)
    announce(assessment, days=days_of(assessment, "date", changes))
    if "site" in fields:
        link_site(assessment.person, assessment.site, PersonSite.Reason.SEEN)
    return assessment
