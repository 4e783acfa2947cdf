"""Outreach: recording workers, corners, sessions, contacts and trainings, and the totals of
people reached and people trained.

Every write takes its contract (outreach.contracts), or a plain dict (from a field form or an
import row) checked by it, and raises one ValidationError keyed by field. Sites must lie in the writer's places. Totals leave through
small-cell suppression like every other aggregate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from mhis.access.policy import Can, allowed
from mhis.access.services import place_scope_q
from mhis.contracts import Contract
from mhis.indicators import disclosure
from mhis.indicators.cellkey import MODULUS, record_key
from mhis.indicators.engine import Cell, Request, Table
from mhis.places.models import Place
from mhis.registry.models import PersonSite
from mhis.registry.services import link_site

from .contracts import ContactInput, CornerInput, SessionInput, TrainingInput, WorkerInput
from .models import Contact, HealthCorner, Session, Training, Worker

WORKER_FIELDS = WorkerInput.columns()
CORNER_FIELDS = CornerInput.columns()
SESSION_FIELDS = SessionInput.columns()
CONTACT_FIELDS = ContactInput.columns()
TRAINING_FIELDS = TrainingInput.columns()


def can_record(user) -> bool:
    return allowed(user, Can.WRITE_PERSON)


def require_recorder(user) -> None:
    if not can_record(user):
        raise PermissionDenied(_("Your role cannot record outreach."))


def can_read_totals(user) -> bool:
    return user.is_authenticated and user.is_active


def _checked(contract: type[Contract], user, data, record) -> dict[str, Any]:
    """The fields to write, checked with the writer's places (a change: those given)."""
    return contract.check(data, update=record is not None, user=user, record=record).given()


def _unique_code(model, fields: dict, record, taken: str) -> None:
    code = fields.get("code")
    if code and model.objects.filter(code=code).exclude(pk=record.pk if record else None).exists():
        raise ValidationError({"code": [taken]})


def _save(model, record, fields: dict, user=None):
    record = record or model()
    for name, value in fields.items():
        setattr(record, name, value)
    if user is not None and hasattr(record, "recorded_by_id") and record.pk is None:
        record.recorded_by = user if user.is_authenticated else None
    record.save()
    return record


@transaction.atomic
def save_worker(
    user, data: WorkerInput | Mapping[str, Any], worker: Worker | None = None
) -> Worker:
    """Add a community health worker or volunteer, or change the fields given."""
    require_recorder(user)
    fields = _checked(WorkerInput, user, data, worker)
    _unique_code(Worker, fields, worker, _("Another worker has this code."))
    return _save(Worker, worker, fields)


@transaction.atomic
def save_corner(
    user, data: CornerInput | Mapping[str, Any], corner: HealthCorner | None = None
) -> HealthCorner:
    require_recorder(user)
    fields = _checked(CornerInput, user, data, corner)
    _unique_code(HealthCorner, fields, corner, _("Another health corner has this code."))
    return _save(HealthCorner, corner, fields)


@transaction.atomic
def record_session(
    user, data: SessionInput | Mapping[str, Any], session: Session | None = None
) -> Session:
    """A health promotion session, or the fields given of one already recorded."""
    require_recorder(user)
    return _save(Session, session, _checked(SessionInput, user, data, session), user)


@transaction.atomic
def record_contact(
    user, data: ContactInput | Mapping[str, Any], contact: Contact | None = None
) -> Contact:
    """One person met by a worker; `person`, when given, is the id of a registered person the
    writer may see, who is then known at the contact's site."""
    require_recorder(user)
    fields = _checked(ContactInput, user, data, contact)
    contact = _save(Contact, contact, fields, user)
    if contact.person_id and ("site" in fields or "person" in fields):  # met there: known there
        link_site(contact.person, contact.site, PersonSite.Reason.SEEN)
    return contact


@transaction.atomic
def record_training(
    user, data: TrainingInput | Mapping[str, Any], training: Training | None = None
) -> Training:
    """A course a worker completed (once per worker, course and date)."""
    require_recorder(user)
    fields = _checked(TrainingInput, user, data, training)
    once = {k: fields.get(k, getattr(training, k, None)) for k in ("worker", "course", "date")}
    if Training.objects.filter(**once).exclude(pk=training.pk if training else None).exists():
        raise ValidationError(
            {
                "course": [
                    _("This worker's completion of this course on this date is already recorded.")
                ]
            }
        )
    return _save(Training, training, fields)


# -- totals -----------------------------------------------------------------------------------

MEASURES = ("session_attendance", "contacts", "reached", "trained")


def totals(user, start: dt.date, end: dt.date) -> dict:
    """People reached (session attendance and individual contacts) and people trained
    (distinct workers who completed a course), on [start, end), by site in the user's
    places, every figure through disclosure control: exact for roles that see the people,
    else with the cell-key adjustment (each attendee of a session, each contact and each
    worker trained brings its record key, so "reached" and its two parts are protected
    together).

    Returns {"rows": [{"site": Place or None (the total), measure: text, …}], "legend": […]}.
    """
    if not can_read_totals(user):
        raise PermissionDenied
    counted: dict[str, dict[int, list[int]]] = {m: {} for m in MEASURES}  # site → [n, key]

    def add(measure, site, n, key):
        cell = counted[measure].setdefault(site, [0, 0])
        cell[0] += n
        cell[1] += key

    sessions = Session.objects.filter(place_scope_q(user, "site"), date__gte=start, date__lt=end)
    for pk, site, n in sessions.annotate(n=F("females") + F("males") + F("others")).values_list(
        "pk", "site", "n"
    ):
        for measure in ("session_attendance", "reached"):
            add(measure, site, n or 0, (n or 0) * record_key("session", pk))
    for pk, site in Contact.objects.filter(
        place_scope_q(user, "site"), date__gte=start, date__lt=end
    ).values_list("pk", "site"):
        for measure in ("contacts", "reached"):
            add(measure, site, 1, record_key("contact", pk))
    trained = set(
        Training.objects.filter(place_scope_q(user, "worker__site"), date__gte=start, date__lt=end)
        .values_list("worker__site", "worker")
        .distinct()
    )
    for site, worker in trained:
        add("trained", site, 1, record_key("worker", worker))
    sites = {p.pk: p for p in Place.objects.filter(pk__in={s for m in counted.values() for s in m})}
    exact = allowed(user, Can.EXACT_INDICATORS)
    shown: dict[str, dict] = {}
    for measure, by_site in counted.items():
        cells = _protected(by_site, start, end, exact)
        shown[measure] = {c.key[1]: disclosure.text(c, "count") for c in cells}
    order = sorted(sites, key=lambda pk: sites[pk].name)
    rows = [{"site": sites[pk], **{m: shown[m].get(pk, "0") for m in MEASURES}} for pk in order]
    rows.append({"site": None, **{m: shown[m].get(None, "0") for m in MEASURES}})
    return {"rows": rows, "legend": disclosure.legend("count", exact=exact)}


def _protected(by_site: dict[int, list[int]], start: dt.date, end: dt.date, exact: bool):
    indicator = SimpleNamespace(unit="count", suppression="default", statuses=None)
    table = Table(indicator, Request(start, end, "year", by=("place",)))
    for site, (n, key) in by_site.items():
        table.cells[(None, site)] = Cell(n, None, float(n), key=key % MODULUS)
    n = sum(c[0] for c in by_site.values())
    key = sum(c[1] for c in by_site.values()) % MODULUS
    table.cells[(None, None)] = Cell(n, None, float(n), key=key)
    return disclosure.protect(table, exact=exact)
