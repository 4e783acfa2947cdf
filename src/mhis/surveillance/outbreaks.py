"""Event-based surveillance and outbreaks (ADR 0029).

A signal is anything heard or seen that may be an outbreak (a rumour, a media report, a
cluster a community volunteer noticed): anyone who sends weekly reports may report one in
their places; surveillance officers triage it, verify or discard it (with a reason), and a
verified signal becomes an event when it joins an outbreak.

An outbreak groups the alerts and signals about one condition in one area (the place it was
opened from, or that site's parent). Its line of cases is the encounters with the condition's
ICD-10 codes at its sites in its period: names only for roles that read people, every person
shown logged, never a migration status; other roles see counts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from mhis.access.policy import Can, allowed, require
from mhis.access.services import in_scope, log_access, place_scope_q
from mhis.care.models import Diagnosis, Encounter
from mhis.input import Errors, begin, clean_choice, clean_date, clean_text
from mhis.places.models import Place, PlaceKind

from .conditions import BY_CODE
from .models import (
    OUTBREAK_TRANSITIONS,
    SIGNAL_TRANSITIONS,
    Alert,
    Outbreak,
    OutbreakEvent,
    OutbreakState,
    Signal,
    SignalEvent,
    SignalSource,
    SignalState,
)
from .services import monday, week_label, week_of

SIGNAL_FIELDS = ("text", "source", "place", "date", "condition")
# How old the thing seen or heard may be: a signal is an early warning, and a mistyped year
# would stretch its outbreak's period (and curve) back for years.
SIGNAL_DAYS = 90


def _condition(value: Any, field: str, errors: Errors, *, required: bool) -> str:
    if value in (None, ""):
        if required:
            errors.add(field, _("This field is required."))
        return ""
    if value not in BY_CODE:
        errors.add(
            field,
            _("“%(value)s” is not one of the conditions: %(allowed)s.")
            % {"value": value, "allowed": ", ".join(BY_CODE)},
        )
        return ""
    return str(value)


def _own_place(user, code: Any, field: str, errors: Errors) -> Place | None:
    place = Place.objects.filter(code=code).first() if isinstance(code, str) and code else None
    if not code:
        errors.add(field, _("This field is required."))
    elif place is None or not in_scope(user, place):
        errors.add(field, _("No place with this code in your places."))
        return None
    return place


# -- signals ---------------------------------------------------------------------------------


def report_signal(user, data: Any) -> Signal:
    """Record a signal in one of the user's places, with its first history line."""
    require(user, Can.SUBMIT_REPORTS)
    errors = begin(data, SIGNAL_FIELDS)
    text = clean_text(data.get("text"), "text", errors, required=True)
    source = clean_choice(data.get("source"), "source", errors, SignalSource)
    place = _own_place(user, data.get("place"), "place", errors)
    date = clean_date(data.get("date"), "date", errors, required=True)
    condition = _condition(data.get("condition"), "condition", errors, required=False)
    if date is not None and date < timezone.localdate() - dt.timedelta(days=SIGNAL_DAYS):
        errors.add(
            "date",
            _("A signal is about something recent: at most %(n)s days ago.") % {"n": SIGNAL_DAYS},
        )
    errors.check()
    assert place is not None and date is not None
    with transaction.atomic():
        signal = Signal.objects.create(
            text=text, source=source, place=place, date=date, condition=condition, reported_by=user
        )
        SignalEvent.objects.create(signal=signal, to_state=SignalState.NEW, by=user)
    return signal


def visible_signals(user, states=None):
    require(user, Can.READ_ALERTS)
    rows = Signal.objects.filter(place_scope_q(user, "place")).select_related(
        "place", "reported_by"
    )
    if states:
        unknown = sorted(set(states) - set(SignalState.values))
        if unknown:
            raise ValidationError(
                {
                    "state": [
                        _("Unknown state: %(value)s. The states are: %(states)s.")
                        % {"value": ", ".join(unknown), "states": ", ".join(SignalState.values)}
                    ]
                }
            )
        rows = rows.filter(state__in=states)
    return rows


def move_signal(user, signal: Signal, to_state: Any, note: Any = "", condition: Any = "") -> Signal:
    """Triage, verify or discard a signal (discarding needs a reason), recording who, when
    and why. Verifying may name the condition, when the report did not."""
    require(user, Can.MANAGE_ALERTS)
    if not in_scope(user, signal.place):
        raise PermissionDenied(_("This place is not in your places."))
    errors = Errors()
    note = clean_text(note, "note", errors)
    condition = _condition(condition, "condition", errors, required=False)
    allowed_states = SIGNAL_TRANSITIONS[SignalState(signal.state)]
    if to_state not in allowed_states:
        names = ", ".join(str(SignalState(s).label) for s in allowed_states) or _("nowhere")
        errors.add(
            "state",
            _("A signal that is “%(state)s” can go to: %(allowed)s.")
            % {"state": SignalState(signal.state).label, "allowed": names},
        )
    elif to_state == SignalState.DISCARDED and not note:
        errors.add("note", _("Say why the signal is discarded."))
    errors.check()
    with transaction.atomic():
        locked = Signal.objects.select_for_update().get(pk=signal.pk)
        if locked.state != signal.state:
            raise ValidationError({"state": [_("Someone else changed this signal; reload it.")]})
        SignalEvent.objects.create(
            signal=locked, from_state=locked.state, to_state=to_state, by=user, note=note
        )
        locked.state = to_state
        fields = ["state"]
        if condition:
            locked.condition = condition
            fields.append("condition")
        locked.save(update_fields=fields)
    return locked


# -- outbreaks -------------------------------------------------------------------------------


def visible_outbreaks(user, states=None):
    require(user, Can.READ_ALERTS)
    rows = Outbreak.objects.filter(place_scope_q(user, "area")).select_related("area")
    if states:
        unknown = sorted(set(states) - set(OutbreakState.values))
        if unknown:
            raise ValidationError(
                {
                    "state": [
                        _("Unknown state: %(value)s. The states are: %(states)s.")
                        % {"value": ", ".join(unknown), "states": ", ".join(OutbreakState.values)}
                    ]
                }
            )
        rows = rows.filter(state__in=states)
    return rows.prefetch_related(
        Prefetch("alerts", queryset=Alert.objects.select_related("site")),
        Prefetch("signals", queryset=Signal.objects.select_related("place")),
        Prefetch("events", queryset=OutbreakEvent.objects.select_related("by")),
    )


def _area_of(user, place: Place) -> Place:
    """The area an outbreak opened at `place` covers: a site's parent (its neighbours share
    the outbreak), when that parent is in the user's places; else the place itself."""
    parent = place.parent if place.kind == PlaceKind.SITE else None
    return parent if parent is not None and in_scope(user, parent) else place


def _check_manage(user, outbreak: Outbreak) -> None:
    require(user, Can.MANAGE_ALERTS)
    if not in_scope(user, outbreak.area):
        raise PermissionDenied(_("This place is not in your places."))


def _fits(outbreak: Outbreak, condition: str, place: Place, field: str, errors: Errors) -> None:
    if condition != outbreak.condition:
        errors.add(
            field,
            _("It is about %(other)s; this outbreak is about %(condition)s.")
            % {
                "other": BY_CODE[condition].name if condition in BY_CODE else _("no condition"),
                "condition": outbreak.get_condition_display(),
            },
        )
    elif not (place.path.startswith(outbreak.area.path)):
        errors.add(
            field,
            _("%(place)s is outside this outbreak's area, %(area)s.")
            % {"place": place.name, "area": outbreak.area.name},
        )


def _note(outbreak, user, what: str, note: str = "", to_state: str = "") -> None:
    OutbreakEvent.objects.create(
        outbreak=outbreak, what=what[:200], by=user, note=note, to_state=to_state
    )


def open_outbreak(user, *, alert: Alert | None = None, signal: Signal | None = None) -> Outbreak:
    """Open a suspected outbreak from an alert or a verified signal, which it then holds."""
    require(user, Can.MANAGE_ALERTS)
    subject_place = alert.site if alert is not None else signal.place if signal else None
    if subject_place is None:
        raise ValidationError({"from": [_("Open an outbreak from an alert or a signal.")]})
    if not in_scope(user, subject_place):
        raise PermissionDenied(_("This place is not in your places."))
    if signal is not None:
        _check_signal_joinable(signal, "signal")
        condition = signal.condition
    else:
        assert alert is not None
        condition = alert.condition
        held = alert.outbreaks.exclude(state=OutbreakState.OVER).first()
        if held is not None:
            raise ValidationError(
                {"alert": [_("This alert is already part of outbreak %(id)s.") % {"id": held.pk}]}
            )
    with transaction.atomic():
        outbreak = Outbreak.objects.create(
            condition=condition, area=_area_of(user, subject_place), created_by=user
        )
        _note(outbreak, user, _("Suspected"), to_state=OutbreakState.SUSPECTED)
        if alert is not None:
            _link_alert(user, outbreak, alert)
        else:
            assert signal is not None
            _link_signal(user, outbreak, signal)
    return outbreak


def _check_signal_joinable(signal: Signal, field: str) -> None:
    errors = Errors()
    if signal.state != SignalState.VERIFIED:
        errors.add(field, _("Only a verified signal joins an outbreak."))
    elif not signal.condition:
        errors.add(field, _("Name the signal's condition when verifying it first."))
    errors.check()


def _link_alert(user, outbreak, alert) -> None:
    outbreak.alerts.add(alert)
    _note(
        outbreak,
        user,
        _("Alert added: %(site)s, %(week)s")
        % {"site": alert.site.name, "week": week_label(alert.year, alert.week)},
    )


def _link_signal(user, outbreak, signal) -> None:
    outbreak.signals.add(signal)
    SignalEvent.objects.create(
        signal=signal,
        from_state=signal.state,
        to_state=SignalState.EVENT,
        by=user,
        note=_("Part of outbreak %(id)s.") % {"id": outbreak.pk},
    )
    Signal.objects.filter(pk=signal.pk).update(state=SignalState.EVENT)
    _note(
        outbreak,
        user,
        _("Signal added: %(place)s, %(date)s")
        % {"place": signal.place.name, "date": signal.date.isoformat()},
    )


def link(user, outbreak: Outbreak, *, alert_id: Any = None, signal_id: Any = None) -> Outbreak:
    """Add an alert or a verified signal about the same condition in the outbreak's area."""
    _check_manage(user, outbreak)
    errors = Errors()
    if alert_id not in (None, ""):
        alert = Alert.objects.filter(place_scope_q(user, "site"), pk=_int(alert_id)).first()
        if alert is None:
            raise ValidationError({"alert": [_("No alert with this number in your places.")]})
        _fits(outbreak, alert.condition, alert.site, "alert", errors)
        errors.check()
        with transaction.atomic():
            _link_alert(user, outbreak, alert)
    elif signal_id not in (None, ""):
        signal = Signal.objects.filter(place_scope_q(user, "place"), pk=_int(signal_id)).first()
        if signal is None:
            raise ValidationError({"signal": [_("No signal with this number in your places.")]})
        _check_signal_joinable(signal, "signal")
        _fits(outbreak, signal.condition, signal.place, "signal", errors)
        errors.check()
        with transaction.atomic():
            _link_signal(user, outbreak, signal)
    else:
        raise ValidationError({"alert": [_("Choose an alert or a signal to add.")]})
    return outbreak


def unlink(user, outbreak: Outbreak, *, alert_id: Any = None, signal_id: Any = None) -> Outbreak:
    """Take an alert or a signal out of the outbreak (a signal goes back to verified)."""
    _check_manage(user, outbreak)
    with transaction.atomic():
        if alert_id not in (None, ""):
            alert = outbreak.alerts.filter(pk=_int(alert_id)).select_related("site").first()
            if alert is None:
                raise ValidationError({"alert": [_("This alert is not part of the outbreak.")]})
            outbreak.alerts.remove(alert)
            _note(
                outbreak,
                user,
                _("Alert removed: %(site)s, %(week)s")
                % {"site": alert.site.name, "week": week_label(alert.year, alert.week)},
            )
        elif signal_id not in (None, ""):
            signal = outbreak.signals.filter(pk=_int(signal_id)).select_related("place").first()
            if signal is None:
                raise ValidationError({"signal": [_("This signal is not part of the outbreak.")]})
            outbreak.signals.remove(signal)
            if not signal.outbreaks.exists():
                SignalEvent.objects.create(
                    signal=signal,
                    from_state=signal.state,
                    to_state=SignalState.VERIFIED,
                    by=user,
                    note=_("Taken out of outbreak %(id)s.") % {"id": outbreak.pk},
                )
                Signal.objects.filter(pk=signal.pk).update(state=SignalState.VERIFIED)
            _note(
                outbreak,
                user,
                _("Signal removed: %(place)s, %(date)s")
                % {"place": signal.place.name, "date": signal.date.isoformat()},
            )
        else:
            raise ValidationError({"alert": [_("Choose an alert or a signal to remove.")]})
    return outbreak


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def move_outbreak(user, outbreak: Outbreak, to_state: Any, note: Any = "") -> Outbreak:
    """Declare an outbreak or call it over, recording the day and who."""
    _check_manage(user, outbreak)
    errors = Errors()
    note = clean_text(note, "note", errors)
    allowed_states = OUTBREAK_TRANSITIONS[OutbreakState(outbreak.state)]
    if to_state not in allowed_states:
        names = ", ".join(str(OutbreakState(s).label) for s in allowed_states) or _("nowhere")
        errors.add(
            "state",
            _("An outbreak that is “%(state)s” can go to: %(allowed)s.")
            % {"state": OutbreakState(outbreak.state).label, "allowed": names},
        )
    errors.check()
    today = timezone.localdate()
    with transaction.atomic():
        locked = Outbreak.objects.select_for_update().get(pk=outbreak.pk)
        if locked.state != outbreak.state:
            raise ValidationError({"state": [_("Someone else changed this outbreak; reload it.")]})
        locked.state = to_state
        if to_state == OutbreakState.DECLARED:
            locked.declared_on, locked.declared_by = today, user
        else:
            locked.over_on, locked.over_by = today, user
        locked.save()
        _note(locked, user, str(OutbreakState(to_state).label), note=note, to_state=to_state)
    return locked


def candidates(user, outbreak: Outbreak) -> tuple[list[Alert], list[Signal]]:
    """Alerts and verified signals about the outbreak's condition in its area, not yet in it."""
    area = Q(site__path__startswith=outbreak.area.path)
    alerts = (
        Alert.objects.filter(place_scope_q(user, "site"), area, condition=outbreak.condition)
        .exclude(outbreaks=outbreak)
        .select_related("site")[:50]
    )
    signals = (
        Signal.objects.filter(
            place_scope_q(user, "place"),
            place__path__startswith=outbreak.area.path,
            condition=outbreak.condition,
            state=SignalState.VERIFIED,
        )
        .exclude(outbreaks=outbreak)
        .select_related("place")[:50]
    )
    return list(alerts), list(signals)


# -- what an outbreak holds ----------------------------------------------------------------


def sites(outbreak: Outbreak) -> list[Place]:
    """The sites of its alerts and of its signals reported at a site."""
    found = {a.site for a in outbreak.alerts.all()}
    found |= {s.place for s in outbreak.signals.all() if s.place.kind == PlaceKind.SITE}
    return sorted(found, key=lambda p: p.name)


def period(outbreak: Outbreak) -> tuple[dt.date, dt.date]:
    """From the first alert's week or signal's date to the day it was over (else today)."""
    starts = [monday(a.year, a.week) for a in outbreak.alerts.all()]
    starts += [s.date for s in outbreak.signals.all()]
    end = outbreak.over_on or timezone.localdate()
    start = min(starts) if starts else end
    return start, max(end, start)


def _cases(outbreak: Outbreak):
    codes = BY_CODE[outbreak.condition].icd10
    site_ids = [s.pk for s in sites(outbreak)]
    start, end = period(outbreak)
    coded = Q()
    for code in codes:
        coded |= Q(code__istartswith=code)
    encounter_ids = Diagnosis.objects.filter(coded).values("encounter_id")
    return Encounter.objects.filter(
        pk__in=encounter_ids, site_id__in=site_ids, date__gte=start, date__lte=end
    ).select_related("site", "person")


def case_count(user, outbreak: Outbreak) -> int:
    """How many cases the outbreak holds (no one named, so nothing to log)."""
    require(user, Can.READ_ALERTS)
    if not in_scope(user, outbreak.area):
        raise PermissionDenied(_("This place is not in your places."))
    return _cases(outbreak).count()


@dataclass
class CaseLine:
    date: dt.date
    site: str
    codes: str
    person: Any | None  # only for roles that read people
    sex: str
    age: int | None


CASE_LIMIT = 500


def line_of_cases(user, outbreak: Outbreak, *, view: str) -> tuple[int, list[CaseLine]]:
    """The outbreak's cases: how many, and for roles that read people, the line (date, site,
    codes, person, sex, age; never a migration status), each person shown logged."""
    require(user, Can.READ_ALERTS)
    if not in_scope(user, outbreak.area):
        raise PermissionDenied(_("This place is not in your places."))
    cases = _cases(outbreak)
    total = cases.count()
    if not allowed(user, Can.READ_PERSON):
        return total, []
    rows = list(cases.prefetch_related("diagnoses").order_by("date", "pk")[:CASE_LIMIT])
    log_access(user, {r.person for r in rows}, view)
    lines = []
    for r in rows:
        birth = r.person.birth_date
        age = (r.date.year - birth.year - ((r.date.month, r.date.day) < (birth.month, birth.day))
               if birth else None)  # fmt: skip
        lines.append(
            CaseLine(
                date=r.date,
                site=r.site.name,
                codes=", ".join(d.code for d in r.diagnoses.all()),
                person=r.person,
                sex=r.person.get_sex_display(),
                age=age,
            )
        )
    return total, lines


def curve(outbreak: Outbreak) -> list[dict]:
    """Cases by ISO week over the outbreak's period (every week, zero included)."""
    start, end = period(outbreak)
    counts: dict[tuple[int, int], int] = {}
    for day in _cases(outbreak).values_list("date", flat=True):
        key = week_of(day)
        counts[key] = counts.get(key, 0) + 1
    rows = []
    week = monday(*week_of(start))
    while week <= end:
        key = week_of(week)
        rows.append({"week": week_label(*key), "cases": counts.get(key, 0)})
        week += dt.timedelta(weeks=1)
    return rows[-104:]


def map_points(outbreak: Outbreak) -> list[dict]:
    """The outbreak's sites that have coordinates, with their case counts."""
    by_site: dict[int, int] = {}
    for site_id in _cases(outbreak).values_list("site_id", flat=True):
        by_site[site_id] = by_site.get(site_id, 0) + 1
    return [
        {
            "site": s.name,
            "latitude": float(s.latitude),
            "longitude": float(s.longitude),
            "cases": by_site.get(s.pk, 0),
        }
        for s in sites(outbreak)
        if s.latitude is not None and s.longitude is not None
    ]
