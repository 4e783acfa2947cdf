"""Immunisations and lab results: the write layer. Same rules as the other care records."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import transaction

from mhis.access.policy import Can, require
from mhis.contracts import Contract
from mhis.events import announce
from mhis.registry.models import Person, PersonSite
from mhis.registry.services import link_site

from .contracts import ImmunisationInput, LabResultInput
from .history import apply_changes, days_of, log_change
from .models import Immunisation, LabResult, RecordChange

IMMUNISATION_FIELDS = ImmunisationInput.columns()
LAB_FIELDS = LabResultInput.columns()
_CONTRACTS: dict[type[Immunisation | LabResult], type[Contract]] = {
    Immunisation: ImmunisationInput,
    LabResult: LabResultInput,
}
_DAY: dict[type[Immunisation | LabResult], str] = {Immunisation: "date", LabResult: "collected_on"}

if TYPE_CHECKING:
    from mhis.access.models import User

_Record = TypeVar("_Record", Immunisation, LabResult)


@transaction.atomic
def create_record(
    user: User, model: type[_Record], person: Person, data: Contract | Mapping[str, Any]
) -> _Record:
    """Record an immunisation or a lab result for `person`."""
    require(user, Can.WRITE_PERSON)
    fields = _CONTRACTS[model].check(data, user=user, person=person).given()
    record = model(person=person, recorded_by=user)
    changes = apply_changes(record, fields)
    record.save()
    log_change(user, record, RecordChange.Action.CREATED, changes)
    announce(record, days=days_of(record, _DAY[model], changes))
    link_site(person, record.site, PersonSite.Reason.SEEN)
    return record


@transaction.atomic
def update_record(user: User, record: _Record, data: Contract | Mapping[str, Any]) -> _Record:
    """Change the fields given of an immunisation or a lab result, keeping the history."""
    require(user, Can.WRITE_PERSON)
    model = type(record)
    record = model.objects.select_for_update().select_related("person").get(pk=record.pk)
    fields = (
        _CONTRACTS[model]
        .check(data, update=True, user=user, person=record.person, record=record)
        .given()
    )
    changes = apply_changes(record, fields)
    record.save()
    log_change(user, record, RecordChange.Action.UPDATED, changes)
    announce(record, days=days_of(record, _DAY[model], changes))
    if "site" in fields:
        link_site(record.person, record.site, PersonSite.Reason.SEEN)
    return record
