"""Outreach: recording workers, corners, sessions, contacts and trainings, and the totals of
people reached and people trained.

Every write takes a plain dict (from a form, the API or an import row) and raises one
ValidationError keyed by field. Sites must lie in the writer's places. Totals leave through
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
from mhis.access.services import in_scope, place_scope_q
from mhis.codelists import normalise_language
from mhis.indicators import disclosure
from mhis.indicators.cellkey import MODULUS, record_key
from mhis.indicators.engine import Cell, Request, Table
from mhis.input import (
    Errors,
    begin,
    clean_choice,
    clean_date,
    clean_flag,
    clean_text,
    clean_whole,
    own_site,
)
from mhis.places.models import Place
from mhis.registry.codes import Sex
from mhis.registry.models import Person, PersonSite
from mhis.registry.search import visible_people
from mhis.registry.services import link_site

from .codes import AgeGroup, CornerKind, Topic, WorkerKind
from .models import Contact, HealthCorner, Session, Training, Worker

WORKER_FIELDS = ("code", "name", "kind", "sex", "site", "languages", "active", "since")
CORNER_FIELDS = ("code", "name", "kind", "site", "opened_on", "closed_on")
SESSION_FIELDS = ("site", "corner", "worker", "date", "topic", "language", "females", "males", "others", "notes")  # fmt: skip
CONTACT_FIELDS = ("site", "worker", "corner", "person", "date", "sex", "age_group", "topic", "referred")  # fmt: skip
TRAINING_FIELDS = ("worker", "course", "topic", "date", "provider", "hours")
MAX_GROUP = 10_000


def can_record(user) -> bool:
    return allowed(user, Can.WRITE_PERSON)


def require_recorder(user) -> None:
    if not can_record(user):
        raise PermissionDenied(_("Your role cannot record outreach."))


def can_read_totals(user) -> bool:
    return user.is_authenticated and user.is_active


def _worker(user, code: Any, field: str, errors: Errors, *, required: bool = False) -> Worker | None:  # fmt: skip
    if code in (None, ""):
        if required:
            errors.add(field, _("This field is required."))
        return None
    worker = Worker.objects.filter(code=str(code)).select_related("site").first()
    if worker is None or not in_scope(user, worker.site):
        errors.add(field, _("No worker with this code in your places."))
        return None
    return worker


def _corner(user, code: Any, field: str, errors: Errors) -> HealthCorner | None:
    if code in (None, ""):
        return None
    corner = HealthCorner.objects.filter(code=str(code)).select_related("site").first()
    if corner is None or not in_scope(user, corner.site):
        errors.add(field, _("No health corner with this code in your places."))
        return None
    return corner


def _language(value: Any, field: str, errors: Errors) -> str:
    if value in (None, ""):
        return ""
    try:
        return normalise_language(str(value))
    except ValueError as exc:
        errors.add(field, str(exc))
        return ""


def _unique_code(model, data: Mapping, record, errors: Errors, taken: str) -> str:
    code = clean_text(data.get("code"), "code", errors, required=True, limit=40)
    if code and model.objects.filter(code=code).exclude(pk=record.pk if record else None).exists():
        errors.add("code", taken)
    return code


def _save(model, record, fields: dict, user=None):
    record = record or model()
    for name, value in fields.items():
        setattr(record, name, value)
    if user is not None and hasattr(record, "recorded_by_id") and record.pk is None:
        record.recorded_by = user if user.is_authenticated else None
    record.save()
    return record


def _given(data: Mapping, record) -> callable:
    return lambda field: field in data or record is None


@transaction.atomic
def save_worker(user, data: Mapping[str, Any], worker: Worker | None = None) -> Worker:
    """Add a community health worker or volunteer, or change the fields given."""
    require_recorder(user)
    errors = begin(data, WORKER_FIELDS)
    given = _given(data, worker)
    out: dict[str, Any] = {}
    if given("code"):
        out["code"] = _unique_code(Worker, data, worker, errors, _("Another worker has this code."))
    if given("name"):
        out["name"] = clean_text(data.get("name"), "name", errors, required=True, limit=200)
    if given("kind"):
        out["kind"] = clean_choice(data.get("kind"), "kind", errors, WorkerKind)
    if given("sex"):
        out["sex"] = clean_choice(data.get("sex"), "sex", errors, Sex, Sex.UNKNOWN)
    if given("site"):
        out["site"] = own_site(user, data.get("site"), "site", errors)
    if given("languages"):
        raw = data.get("languages") or []
        if isinstance(raw, str):
            raw = [c for c in raw.replace(",", " ").replace(";", " ").split() if c]
        out["languages"] = [_language(c, "languages", errors) for c in raw][:10]
    if given("active"):
        out["active"] = clean_flag(True if data.get("active") in (None, "") else data.get("active"), "active", errors)  # fmt: skip
    if given("since"):
        out["since"] = clean_date(data.get("since"), "since", errors)
    errors.check()
    return _save(Worker, worker, out)


@transaction.atomic
def save_corner(user, data: Mapping[str, Any], corner: HealthCorner | None = None) -> HealthCorner:
    require_recorder(user)
    errors = begin(data, CORNER_FIELDS)
    given = _given(data, corner)
    out: dict[str, Any] = {}
    if given("code"):
        out["code"] = _unique_code(
            HealthCorner, data, corner, errors, _("Another health corner has this code.")
        )
    if given("name"):
        out["name"] = clean_text(data.get("name"), "name", errors, required=True, limit=200)
    if given("kind"):
        out["kind"] = clean_choice(data.get("kind"), "kind", errors, CornerKind)
    if given("site"):
        out["site"] = own_site(user, data.get("site"), "site", errors)
    for field in ("opened_on", "closed_on"):
        if given(field):
            out[field] = clean_date(data.get(field), field, errors)
    opened = out.get("opened_on", corner.opened_on if corner else None)
    closed = out.get("closed_on", corner.closed_on if corner else None)
    if opened and closed and closed < opened:
        errors.add("closed_on", _("The corner closed before it opened."))
    errors.check()
    return _save(HealthCorner, corner, out)


@transaction.atomic
def record_session(user, data: Mapping[str, Any], session: Session | None = None) -> Session:
    """A health promotion session, or the fields given of one already recorded."""
    require_recorder(user)
    errors = begin(data, SESSION_FIELDS)
    given = _given(data, session)
    out: dict[str, Any] = {}
    if given("site"):
        out["site"] = own_site(user, data.get("site"), "site", errors)
    if given("corner"):
        out["corner"] = _corner(user, data.get("corner"), "corner", errors)
    if given("worker"):
        out["worker"] = _worker(user, data.get("worker"), "worker", errors)
    if given("date"):
        out["date"] = clean_date(data.get("date"), "date", errors, required=True)
    if given("topic"):
        out["topic"] = clean_choice(data.get("topic"), "topic", errors, Topic)
    if given("language"):
        out["language"] = _language(data.get("language"), "language", errors)
    for field in ("females", "males", "others"):
        if given(field):
            out[field] = clean_whole(data.get(field), field, errors, most=MAX_GROUP) or 0
    if given("notes"):
        out["notes"] = clean_text(data.get("notes"), "notes", errors)
    if not errors and session is None and not any(out.get(f) for f in ("females", "males", "others")):  # fmt: skip
        errors.add("females", _("Give how many came, by sex."))
    errors.check()
    return _save(Session, session, out, user)


@transaction.atomic
def record_contact(user, data: Mapping[str, Any], contact: Contact | None = None) -> Contact:
    """One person met by a worker; `person`, when given, is the id of a registered person the
    writer may see, who is then known at the contact's site."""
    require_recorder(user)
    errors = begin(data, CONTACT_FIELDS)
    given = _given(data, contact)
    out: dict[str, Any] = {}
    if given("site"):
        out["site"] = own_site(user, data.get("site"), "site", errors)
    if given("worker"):
        out["worker"] = _worker(user, data.get("worker"), "worker", errors)
    if given("corner"):
        out["corner"] = _corner(user, data.get("corner"), "corner", errors)
    if given("person"):
        out["person"] = None
        if data.get("person") not in (None, ""):
            try:
                out["person"] = visible_people(user).get(uuid=str(data.get("person")).strip())
            except (ValidationError, ValueError, Person.DoesNotExist):  # not an id, or not visible
                errors.add("person", _("No person with this id in your places."))
    if given("date"):
        out["date"] = clean_date(data.get("date"), "date", errors, required=True)
    if given("sex"):
        out["sex"] = clean_choice(data.get("sex"), "sex", errors, Sex, Sex.UNKNOWN)
    if given("age_group"):
        out["age_group"] = clean_choice(data.get("age_group"), "age_group", errors, AgeGroup, AgeGroup.UNK)  # fmt: skip
    if given("topic"):
        out["topic"] = clean_choice(data.get("topic"), "topic", errors, Topic)
    if given("referred"):
        out["referred"] = clean_flag(data.get("referred"), "referred", errors)
    errors.check()
    contact = _save(Contact, contact, out, user)
    if contact.person_id and ("site" in out or "person" in out):  # met there: known there
        link_site(contact.person, contact.site, PersonSite.Reason.SEEN)
    return contact


@transaction.atomic
def record_training(user, data: Mapping[str, Any], training: Training | None = None) -> Training:
    """A course a worker completed (once per worker, course and date)."""
    require_recorder(user)
    errors = begin(data, TRAINING_FIELDS)
    given = _given(data, training)
    out: dict[str, Any] = {}
    if given("worker"):
        out["worker"] = _worker(user, data.get("worker"), "worker", errors, required=True)
    if given("course"):
        out["course"] = clean_text(data.get("course"), "course", errors, required=True, limit=200)
    if given("topic"):
        out["topic"] = clean_choice(data.get("topic"), "topic", errors, Topic, Topic.OTHER)
    if given("date"):
        out["date"] = clean_date(data.get("date"), "date", errors, required=True)
    if given("provider"):
        out["provider"] = clean_text(data.get("provider"), "provider", errors, limit=200)
    if given("hours"):
        out["hours"] = clean_whole(data.get("hours"), "hours", errors, most=1000)
    if not errors:
        worker = out.get("worker") or training.worker
        same = Training.objects.filter(worker=worker, course=out.get("course", training and training.course),
                                       date=out.get("date", training and training.date))  # fmt: skip
        if same.exclude(pk=training.pk if training else None).exists():
            errors.add("course", _("This worker's completion of this course on this date is already recorded."))  # fmt: skip
    errors.check()
    return _save(Training, training, out)


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
