"""Health assessments and their TB screening workflow: the write layer and its questions.

The workflow is derived, never stored: ``presumptive_tb``, ``missing_steps`` and
``quality_flags`` read the assessment as it is. An assessment is complete on the day its
outcome (TB classification and fit-to-travel) is recorded with nothing missing.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from mhis.access.policy import Can, allowed, require
from mhis.access.services import place_scope_q
from mhis.events import announce
from mhis.input import Errors
from mhis.registry.models import Person, PersonSite
from mhis.registry.services import link_site

from . import tb
from .codes import (
    DESTINATION_PROGRAMMES,
    RHS15_ITEM_CUTOFF,
    RHS15_THERMOMETER_CUTOFF,
    SPUTUM_SPECIMENS,
    TB_CLASSIFICATIONS,
    TB_DISEASE_CLASSES,
    CultureResult,
    FitToTravel,
    TbTreatment,
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


def _mtb_found(assessment: Assessment, specimens: Mapping[int, SputumSpecimen]) -> bool:
    return assessment.xpert_result in XPERT_DETECTED or any(
        s.culture_result == CultureResult.MTB for s in specimens.values()
    )


# The fields whose change asks for the override again (a stored reason covers only the
# results and outcome it was given for).
TB_FIELDS = frozenset(
    {
        "programme",
        "tb_symptoms",
        "xray_result",
        "xpert_result",
        "dst_result",
        "igra_result",
        "tst_mm",
        "hiv_result",
        "tb_treatment",
        "tb_contact",
        "extrapulmonary_tb",
        "tb_classification",
        "fit_to_travel",
    }
)
CONTRADICTIONS = frozenset({"tb_contradiction", "fit_contradiction"})
RESULT_STEPS = ("chest_xray", "sputum_", "smear_", "culture_", "dst")


def findings(
    assessment: Assessment, specimens: Mapping[int, SputumSpecimen] | None = None
) -> tb.Findings:
    specimens = _specimens(assessment) if specimens is None else specimens
    return tb.summarise(
        tb_symptoms=assessment.tb_symptoms,
        xray_result=assessment.xray_result,
        hiv_result=assessment.hiv_result,
        xpert_result=assessment.xpert_result,
        dst_result=assessment.dst_result,
        igra_result=assessment.igra_result,
        tst_mm=assessment.tst_mm,
        tb_treatment=assessment.tb_treatment,
        tb_contact=assessment.tb_contact,
        extrapulmonary_tb=assessment.extrapulmonary_tb,
        smears=[s.smear_result for s in specimens.values()],
        cultures=[s.culture_result for s in specimens.values()],
    )


def tb_decision(
    assessment: Assessment, specimens: Mapping[int, SputumSpecimen] | None = None
) -> tb.Decision:
    """The destination programme's decision table read with the assessment's results."""
    return tb.decide(assessment.programme, findings(assessment, specimens))


def _class_label(programme: str, code: str) -> str:
    classes = TB_CLASSIFICATIONS.get(programme) or TB_CLASSIFICATIONS["GEN"]
    return str(classes.get(code, code))


def _what_was_found(
    assessment: Assessment, specimens: Mapping[int, SputumSpecimen], decision: tb.Decision
) -> str:
    """The results behind the decision, as a clinician names them."""
    found: list[str] = []
    match decision.basis:
        case tb.Basis.TREATING | tb.Basis.TREATED:
            found.append(str(TbTreatment(assessment.tb_treatment).label))
        case tb.Basis.MTB | tb.Basis.SMEAR:
            for n, s in sorted(specimens.items()):
                if s.culture_result == CultureResult.MTB:
                    found.append(
                        _("Culture %(n)s: %(result)s")
                        % {"n": n, "result": s.get_culture_result_display()}
                    )
                if s.smear_result in tb.SMEAR_POSITIVE:
                    found.append(
                        _("Smear %(n)s: %(result)s")
                        % {"n": n, "result": s.get_smear_result_display()}
                    )
            if assessment.xpert_result in XPERT_DETECTED:
                found.append(
                    _("Xpert: %(result)s") % {"result": assessment.get_xpert_result_display()}
                )
            if assessment.dst_result:
                found.append(_("DST: %(result)s") % {"result": assessment.get_dst_result_display()})
        case tb.Basis.SUSPECTED:
            found.append(_("TB suspected (X-ray, symptoms or HIV), bacteriology negative"))
        case tb.Basis.EXTRAPULMONARY:
            found.append(_("Signs of extrapulmonary TB"))
        case tb.Basis.LTBI:
            found.append(_("IGRA or tuberculin skin test positive"))
        case tb.Basis.CONTACT:
            found.append(_("Contact of a known TB case"))
        case _:
            found.append(_("No sign of TB"))
    return "; ".join(found)


def _contradictions(
    assessment: Assessment,
    specimens: Mapping[int, SputumSpecimen],
    results_missing: bool,
) -> list[tuple[str, str, str]]:
    """(code, field, message) of the outcome the decision table does not allow.

    A class is judged once the results are in, or as soon as a positive result decides it;
    fit to travel, whenever the results or the class say the person may not travel."""
    decision = tb_decision(assessment, specimens)
    if results_missing and not decision.positive:
        return []
    programme = decision.programme
    found: list[tuple[str, str, str]] = []
    given = assessment.tb_classification
    what = _what_was_found(assessment, specimens, decision)
    if given and given not in decision.allowed:
        found.append(
            (
                "tb_contradiction",
                "tb_classification",
                _("“%(given)s” contradicts the results (%(found)s). By %(programme)s: %(allowed)s.")
                % {
                    "given": _class_label(programme, given),
                    "found": what,
                    "programme": DESTINATION_PROGRAMMES.get(programme, programme),
                    "allowed": _(" or ").join(
                        f"“{_class_label(programme, c)}”" for c in decision.allowed
                    ),
                },
            )
        )
    fit = assessment.fit_to_travel
    if fit in (FitToTravel.FIT, FitToTravel.FIT_WITH_CONDITIONS):
        # The class given decides when the results allow it; otherwise the results do, and a
        # positive result keeps the person from travelling whatever the class says.
        if given in decision.allowed:
            level = tb.clearance(programme, given)
        else:
            level = tb.Clearance.NONE if decision.positive else tb.may_travel(decision)
        if level == tb.Clearance.NONE:
            found.append(
                (
                    "fit_contradiction",
                    "fit_to_travel",
                    _(
                        "“%(fit)s” contradicts the results (%(found)s): not fit to travel "
                        "until treated."
                    )
                    % {"fit": assessment.get_fit_to_travel_display(), "found": what},
                )
            )
        elif level == tb.Clearance.CONDITIONS and fit == FitToTravel.FIT:
            found.append(
                (
                    "fit_contradiction",
                    "fit_to_travel",
                    _("“%(given)s” allows travel only with conditions.")
                    % {"given": _class_label(programme, given)},
                )
            )
    return found


def requirements(
    assessment: Assessment,
    specimens: Mapping[int, SputumSpecimen] | None = None,
    *,
    overridden: bool | None = None,
    override_without_reason: bool = False,
) -> list[dict[str, Any]]:
    """Everything the assessment still needs, in the order the work is done: the steps not
    done yet and the outcome the results refuse. Each says its `code`, its `message`, and the
    `field` whose save it refuses (None: a step not done is no error yet).

    The one source of both "Still missing" (`missing_steps`) and the save's checks
    (`_settle`): a save is refused exactly for the items with a field."""
    specimens = _specimens(assessment) if specimens is None else specimens
    overridden = bool(assessment.tb_override_reason) if overridden is None else overridden
    classified = bool(assessment.tb_classification)
    declared_fit = assessment.fit_to_travel in (FitToTravel.FIT, FitToTravel.FIT_WITH_CONDITIONS)
    items: list[dict[str, Any]] = []

    def need(code: str, message: str, field: str | None = None) -> None:
        items.append({"code": code, "message": str(message), "field": field})

    result_field = "tb_classification" if classified else None
    if not assessment.xray_result:
        need("chest_xray", _("Chest X-ray result"), result_field)
    if presumptive_tb(assessment):
        for n in range(1, SPUTUM_SPECIMENS + 1):
            specimen = specimens.get(n)
            if specimen is None or not specimen.collected_on:
                need(
                    f"sputum_{n}", _("Sputum specimen %(n)s not collected") % {"n": n}, result_field
                )
                continue
            if not specimen.smear_result:
                need(f"smear_{n}", _("Smear %(n)s result pending") % {"n": n}, result_field)
            if not specimen.culture_result:
                need(f"culture_{n}", _("Culture %(n)s result pending") % {"n": n}, result_field)
    if _mtb_found(assessment, specimens) and not assessment.dst_result:
        need("dst", _("Drug-susceptibility testing"), result_field)
    results_missing = bool(items)
    if not classified:
        need(
            "tb_classification",
            _("TB classification"),
            "fit_to_travel" if declared_fit else None,
        )
    if not assessment.fit_to_travel:
        need("fit_to_travel", _("Fit-to-travel decision"))
    elif assessment.fit_to_travel != FitToTravel.FIT and not assessment.fit_reason:
        need("fit_reason", _("Reason for the fit-to-travel decision"), "fit_reason")
    if override_without_reason:
        need("tb_override_reason", _("Reason for overriding the TB rules"), "tb_override_reason")
    if not overridden:
        for code, field, message in _contradictions(assessment, specimens, results_missing):
            need(code, message, field)
    return items


def missing_steps(assessment: Assessment) -> list[dict[str, str]]:
    """What the assessment still needs, in the order the work is done (see `requirements`)."""
    return [{"code": r["code"], "message": r["message"]} for r in requirements(assessment)]


def refusals(items: list[dict[str, Any]]) -> Errors:
    """The save's errors of `requirements`, each on its field; results missing before a
    classification are named together."""
    errors = Errors()
    results = [r["message"] for r in items if r["code"].startswith(RESULT_STEPS) and r["field"]]
    if results:
        errors.add(
            "tb_classification",
            _("Results are still missing: %(steps)s.") % {"steps": "; ".join(results)},
        )
    for r in items:
        if not r["field"] or r["code"].startswith(RESULT_STEPS):
            continue
        if r["code"] == "tb_classification":
            message = _("Give the TB classification before declaring the person fit to travel.")
        elif r["code"] == "fit_reason":
            message = _("Give the reason for this decision.")
        elif r["code"] == "tb_override_reason":
            message = _("Give the reason for overriding the TB rules.")
        else:
            message = r["message"]
        errors.add(r["field"], message)
    return errors


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


def proposal(assessment: Assessment, decision: tb.Decision | None = None) -> dict[str, Any]:
    """The class the programme's table proposes and the others it allows, as labels."""
    decision = decision or tb_decision(assessment)
    return {
        "programme": DESTINATION_PROGRAMMES.get(decision.programme, decision.programme),
        "proposed": decision.proposed,
        "label": _class_label(decision.programme, decision.proposed),
        "others": [_class_label(decision.programme, c) for c in decision.allowed[1:]],
        "may_travel": tb.may_travel(decision) != tb.Clearance.NONE,
    }


def contradicted(assessment: Assessment) -> bool:
    """The assessment keeps an outcome its results contradict, with no override."""
    return any(r["code"] in CONTRADICTIONS for r in requirements(assessment))


def _may_contradict() -> Q:
    """Completed assessments whose outcome the decision tables might refuse: an outcome
    given, no override, and some finding beyond a clear screening or a class beyond none."""
    finding = (
        Q(xray_result=XrayResult.SUGGESTIVE)
        | Q(tb_symptoms=True)
        | Q(hiv_result=TestResult.POSITIVE)
        | Q(igra_result=TestResult.POSITIVE)
        | Q(tst_mm__gte=tb.TST_POSITIVE_MM)
        | Q(xpert_result__in=XPERT_DETECTED)
        | ~Q(dst_result="")
        | ~Q(tb_treatment__in=("", TbTreatment.NONE))
        | Q(tb_contact=True)
        | Q(extrapulmonary_tb=True)
        | Q(specimens__smear_result__in=tb.SMEAR_POSITIVE)
        | Q(specimens__culture_result=CultureResult.MTB)
        | ~Q(tb_classification__in=("", "NONE", "NO_TB", "UK_CLEAR"))
    )
    return Q(completed_on__isnull=False, tb_override_reason="") & finding


def pending_assessments(user: User | AnonymousUser) -> QuerySet[Assessment]:
    """Assessments at the user's sites that are not complete, and those completed with an
    outcome their results contradict (saved before the decision tables), oldest first."""
    if not allowed(user, Can.READ_PERSON):
        return Assessment.objects.none()
    scoped = Assessment.objects.filter(place_scope_q(user, "site"))
    candidates = scoped.filter(_may_contradict()).distinct().prefetch_related("specimens")
    stored = [a.pk for a in candidates if contradicted(a)]
    return (
        scoped.filter(Q(completed_on__isnull=True) | Q(pk__in=stored))
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
) -> tuple[dict[str, Any], list[dict[str, Any]], tuple[bool, str]]:
    """The checked fields (the site as a Place in the user's places), the specimens given,
    each with the fields given, and the override asked for with its reason."""
    checked = AssessmentInput.check(
        data, update=assessment is not None, user=user, person=person, record=assessment
    )
    fields = checked.given()
    specimens = [s.given() for s in fields.pop("specimens", None) or ()]
    asked = bool(fields.pop("tb_override", False))
    reason = (fields.pop("tb_override_reason", None) or "").strip()
    return fields, specimens, (asked, reason)


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


def _review(
    assessment: Assessment,
    specimens: Mapping[int, SputumSpecimen] | None,
    changes: Mapping[str, Any],
    override: tuple[bool, str],
) -> tuple[list[dict[str, Any]], str | None]:
    """The requirements of the assessment as this save leaves it, and the override reason to
    keep (None: leave it as it is). An override asked for covers the contradictions with its
    reason; a stored reason covers them while the save changes no TB field."""
    asked, reason = override
    tb_changed = any(k in TB_FIELDS or k.startswith("specimen_") for k in changes)
    overridden = bool(reason) if asked else bool(assessment.tb_override_reason) and not tb_changed
    items = requirements(
        assessment, specimens, overridden=overridden, override_without_reason=asked and not reason
    )
    contradicted = requirements(assessment, specimens, overridden=False)
    if not any(r["code"] in CONTRADICTIONS for r in contradicted):
        return items, ""  # nothing to override: a reason kept would cover a later change
    return items, reason if asked and reason else None


def _settle(
    assessment: Assessment, changes: dict[str, list[Any]], override: tuple[bool, str]
) -> None:
    """Check the outcome against the results, then date completion (or undo it)."""
    items, reason = _review(assessment, None, changes, override)
    refusals(items).check()
    completed_on = None if items else (assessment.completed_on or timezone.localdate())
    values: dict[str, Any] = {"completed_on": completed_on}
    if reason is not None:
        values["tb_override_reason"] = reason
    settled = apply_changes(assessment, values)
    if settled:
        changes.update(settled)
        assessment.save(update_fields=[*settled, "updated_at"])


def preview(
    user: User, assessment: Assessment, data: AssessmentInput | Mapping[str, Any]
) -> tuple[list[dict[str, Any]], tb.Decision] | None:
    """What the assessment would still need with `data` saved (the requirements a refused
    save was checked against) and the decision table's answer for it, without writing; None
    when `data` itself is refused."""
    try:
        fields, specimens, override = _fields(user, assessment.person, data, assessment)
    except ValidationError:
        return None
    draft = copy.copy(assessment)
    changes = apply_changes(draft, fields)
    drafts = {n: copy.copy(s) for n, s in _specimens(assessment).items()}
    for values in specimens:
        number = values["number"]
        specimen = drafts.setdefault(number, SputumSpecimen(number=number))
        for field, pair in apply_changes(
            specimen, {k: v for k, v in values.items() if k != "number"}
        ).items():
            changes[f"specimen_{number}.{field}"] = pair
    items, _reason = _review(draft, drafts, changes, override)
    return items, tb_decision(draft, drafts)


@transaction.atomic
def assess(user: User, person: Person, data: AssessmentInput | Mapping[str, Any]) -> Assessment:
    """Start (and possibly complete) a health assessment."""
    require(user, Can.WRITE_PERSON)
    fields, specimens, override = _fields(user, person, data, None)
    assessment = Assessment(person=person, recorded_by=user)
    changes = apply_changes(assessment, fields)
    assessment.save()
    changes.update(_write_specimens(assessment, specimens))
    _settle(assessment, changes, override)
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
    fields, specimens, override = _fields(user, assessment.person, data, assessment)
    changes = apply_changes(assessment, fields)
    assessment.save()
    changes.update(_write_specimens(assessment, specimens))
    _settle(assessment, changes, override)
    log_change(user, assessment, RecordChange.Action.UPDATED, changes)
    announce(assessment, days=days_of(assessment, "date", changes))
    if "site" in fields:
        link_site(assessment.person, assessment.site, PersonSite.Reason.SEEN)
    return assessment
