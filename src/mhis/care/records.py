"""Immunisations and lab results: the write layer. Same rules as the other care records."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from mhis.access.policy import Can, require
from mhis.events import announce
from mhis.input import Errors, begin, clean_date, clean_text, not_before_birth, own_site
from mhis.registry.models import Person, PersonSite
from mhis.registry.services import link_site

from .history import apply_changes, days_of, log_change
from .models import Assessment, Immunisation, LabResult, RecordChange
from .vaccines import VACCINES, valid_loinc


def _assessment(person: Person, value: Any, errors: Errors) -> Assessment | None:
    if value in (None, ""):
        return None
    found = (
        Assessment.objects.filter(pk=value, person=person).first()
        if isinstance(value, int)
        else None
    )
    if found is None:
        errors.add("assessment", _("No assessment of this person with this id."))
    return found


IMMUNISATION_FIELDS = ("site", "vaccine", "dose_number", "date", "lot", "assessment")


def _clean_immunisation(
    user, person: Person, data: Mapping[str, Any], record: Immunisation | None
) -> dict:
    errors = begin(data, IMMUNISATION_FIELDS)
    partial = record is not None
    out: dict[str, Any] = {}

    def given(field):
        return field in data or not partial

    if given("site"):
        out["site"] = own_site(user, data.get("site"), "site", errors)
    if given("vaccine"):
        vaccine = data.get("vaccine")
        if vaccine not in VACCINES:
            errors.add(
                "vaccine",
                _("“%(code)s” is not a vaccine code; use one of %(allowed)s.")
                % {"code": vaccine, "allowed": ", ".join(VACCINES)},
            )
        else:
            out["vaccine"] = vaccine
    if given("dose_number"):
        dose = data.get("dose_number")
        vaccine = out.get("vaccine") or (record.vaccine if record else None)
        most = VACCINES[vaccine][1] if vaccine in VACCINES else 99
        if isinstance(dose, bool) or not isinstance(dose, int) or not 1 <= dose <= most:
            errors.add(
                "dose_number", _("The dose number is a whole number from 1 to %(n)s.") % {"n": most}
            )
        else:
            out["dose_number"] = dose
    if given("date"):
        out["date"] = clean_date(data.get("date"), "date", errors, required=True)
        not_before_birth(person, out["date"], "date", errors)
    if given("lot"):
        out["lot"] = clean_text(data.get("lot"), "lot", errors, limit=40)
    if given("assessment"):
        out["assessment"] = _assessment(person, data.get("assessment"), errors)
    errors.check()
    return out


LAB_FIELDS = (
    "site",
    "test",
    "loinc",
    "value",
    "unit",
    "reference_range",
    "collected_on",
    "reported_on",
    "assessment",
)


def _clean_lab(user, person: Person, data: Mapping[str, Any], record: LabResult | None) -> dict:
    errors = begin(data, LAB_FIELDS)
    partial = record is not None
    out: dict[str, Any] = {}

    def given(field):
        return field in data or not partial

    if given("site"):
        out["site"] = own_site(user, data.get("site"), "site", errors)
    if given("test"):
        out["test"] = clean_text(data.get("test"), "test", errors, required=True, limit=120)
    if given("loinc"):
        code = clean_text(data.get("loinc"), "loinc", errors, limit=10)
        if code and not valid_loinc(code):
            errors.add(
                "loinc",
                _("“%(code)s” is not a LOINC code (NNNNN-C with its check digit).")
                % {"code": code},
            )
        out["loinc"] = code
    if given("value"):
        out["value"] = clean_text(data.get("value"), "value", errors, required=True, limit=120)
    if given("unit"):
        out["unit"] = clean_text(data.get("unit"), "unit", errors, limit=30)
    if given("reference_range"):
        out["reference_range"] = clean_text(
            data.get("reference_range"), "reference_range", errors, limit=60
        )
    if given("collected_on"):
        out["collected_on"] = clean_date(
            data.get("collected_on"), "collected_on", errors, required=True
        )
        not_before_birth(person, out["collected_on"], "collected_on", errors)
    if given("reported_on"):
        out["reported_on"] = clean_date(data.get("reported_on"), "reported_on", errors)
    collected = out.get("collected_on") or (record.collected_on if record else None)
    reported = (
        out.get("reported_on") if "reported_on" in out else (record.reported_on if record else None)
    )
    if collected and reported and reported < collected:
        errors.add("reported_on", _("The result is dated before the specimen was collected."))
    if given("assessment"):
        out["assessment"] = _assessment(person, data.get("assessment"), errors)
    errors.check()
    return out


_CLEANERS = {Immunisation: _clean_immunisation, LabResult: _clean_lab}
_DAY = {Immunisation: "date", LabResult: "collected_on"}


@transaction.atomic
def create_record(user, model, person: Person, data: Mapping[str, Any]):
    """Record an immunisation or a lab result for `person`."""
    require(user, Can.WRITE_PERSON)
    fields = _CLEANERS[model](user, person, data, None)
    record = model(person=person, recorded_by=user)
    changes = apply_changes(record, fields)
    record.save()
    log_change(user, record, RecordChange.Action.CREATED, changes)
    announce(record, days=days_of(record, _DAY[model], changes))
    link_site(person, record.site, PersonSite.Reason.SEEN)
    return record


@transaction.atomic
def update_record(user, record, data: Mapping[str, Any]):
    """Change the fields given of an immunisation or a lab result, keeping the history."""
    require(user, Can.WRITE_PERSON)
    model = type(record)
    record = model.objects.select_for_update().select_related("person").get(pk=record.pk)
    fields = _CLEANERS[model](user, record.person, data, record)
    changes = apply_changes(record, fields)
    record.save()
    log_change(user, record, RecordChange.Action.UPDATED, changes)
    announce(record, days=days_of(record, _DAY[model], changes))
    if "site" in fields:
        link_site(record.person, record.site, PersonSite.Reason.SEEN)
    return record
