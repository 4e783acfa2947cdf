"""Across borders (docs/decisions/0032): places twinned by agreement, and alerts, signals and
outbreaks shared with the twin's surveillance officers as aggregate snapshots.

What is sent is built by :func:`content` and nothing else: the condition, the place (the
twinned place, and a site's name only where the site is a public facility serving many), the
week or dates, counts, states, and the sharer's message. Never a person, an encounter, an
identifier, a migration status, nor the free text of a signal (which may name someone). The
snapshot is stored as it was shown on the confirmation page and never changed; the receiving
side reads the snapshot only, the original staying in its own places.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mhis.access.models import Scope, User
from mhis.access.policy import Can, allowed, require, roles_with
from mhis.access.services import in_scope, place_scope_q
from mhis.input import Errors, clean_text
from mhis.notifications.models import Kind
from mhis.notifications.services import notify
from mhis.places.models import Place, PlaceKind, SiteType
from mhis.surveillance import outbreaks as outbreak_svc
from mhis.surveillance.conditions import BY_CODE
from mhis.surveillance.models import (
    Alert,
    AlertEvent,
    Outbreak,
    OutbreakEvent,
    ReportCount,
    Signal,
    SignalEvent,
)
from mhis.surveillance.services import monday, week_label, week_of

from .models import Share, ShareKind, Twinning

# A site is named in what is sent only when it serves many people: a hospital, a border post,
# a clinic. A community site or a mobile clinic's round can come down to a few households, so
# what is sent names the twinned place (a district) instead.
NAMED_SITE_TYPES = frozenset(
    {
        SiteType.HOSPITAL,
        SiteType.BORDER_POST,
        SiteType.CLINIC,
        SiteType.HEALTH_CORNER,
        SiteType.ASSESSMENT_CENTRE,
        SiteType.CAMP,
    }
)
CURVE_WEEKS = 52
# The same snapshot and message sent again by the same user within this time is a double
# submit, not a new share.
REPEAT_WINDOW = dt.timedelta(minutes=10)
STATES = ("unacknowledged", "acknowledged")

# The keys of a snapshot, by kind: a test holds them, so that adding one is a decision.
COMMON_KEYS = ("kind", "condition", "condition_name", "place", "country", "twin", "agreement")
KEYS = {
    ShareKind.ALERT: (
        *COMMON_KEYS, "site", "week", "observed", "expected", "threshold", "method", "state",
    ),
    ShareKind.SIGNAL: (*COMMON_KEYS, "site", "date", "source", "state"),
    ShareKind.OUTBREAK: (
        *COMMON_KEYS, "sites", "state", "declared_on", "start", "end", "alerts", "signals",
        "curve",
    ),
}  # fmt: skip


# -- twinning -------------------------------------------------------------------------------


def _text(value: Any, field: str, errors: Errors, limit: int, required: bool = False) -> str:
    """Text as any form takes it, and never holding the NUL character (no database column
    stores it, nor PostgreSQL's JSON)."""
    text = clean_text(value, field, errors, required=required, limit=limit)
    if "\x00" in text:
        errors.add(field, _("%(field)s: text cannot contain the NUL character.") % {"field": field})
        return ""
    return text


def _place(code: Any, field: str, errors: Errors) -> Place | None:
    if not isinstance(code, str) or not code.strip():
        errors.add(field, _("This field is required."))
        return None
    if "\x00" in code:
        errors.add(field, _("%(field)s: text cannot contain the NUL character.") % {"field": field})
        return None
    place = Place.objects.filter(code=code.strip()).first()
    if place is None:
        errors.add(field, _("No place with the code “%(code)s”.") % {"code": code.strip()})
    return place


def twin(by: User | None, code_a: Any, code_b: Any, agreement: Any) -> Twinning:
    """Twin two places in different countries under an agreement. `by` None: the command
    line (the server's operator); otherwise an administrator with both places in scope."""
    if by is not None:
        require(by, Can.MANAGE_PLACES)
    errors = Errors()
    a = _place(code_a, "place", errors)
    b = _place(code_b, "twin", errors)
    note = _text(agreement, "agreement", errors, limit=200, required=True)
    if a is not None and b is not None:
        if a.pk == b.pk:
            errors.add("twin", _("A place cannot be twinned with itself."))
        elif a.country_code == b.country_code:
            errors.add(
                "twin",
                _("%(a)s and %(b)s are in the same country; twinning is across a border.")
                % {"a": a.name, "b": b.name},
            )
        elif by is not None and not (in_scope(by, a) and in_scope(by, b)):
            errors.add("twin", _("Both places must be in your places."))
        elif pair(a, b).exists():
            errors.add(
                "twin",
                _("%(a)s and %(b)s are already twinned.") % {"a": a.name, "b": b.name},
            )
    errors.check()
    assert a is not None and b is not None
    first, second = sorted((a, b), key=lambda p: p.pk)
    return Twinning.objects.create(place_a=first, place_b=second, agreement=note, created_by=by)


def pair(a: Place, b: Place):
    first, second = sorted((a.pk, b.pk))
    return Twinning.objects.filter(place_a_id=first, place_b_id=second)


def set_active(by: User | None, twinning: Twinning, active: bool) -> Twinning:
    """End a twinning (what was shared stays) or take it up again."""
    if by is not None:
        require(by, Can.MANAGE_PLACES)
        if not (in_scope(by, twinning.place_a) and in_scope(by, twinning.place_b)):
            raise PermissionDenied(_("Both places must be in your places."))
    twinning.active = active
    twinning.save(update_fields=["active"])
    return twinning


def visible_twinnings(user: User):
    require(user, Can.READ_ALERTS)
    return Twinning.objects.filter(
        place_scope_q(user, "place_a") | place_scope_q(user, "place_b")
    ).select_related("place_a", "place_b", "created_by")


# -- what is shared -------------------------------------------------------------------------


def subject_of(obj: Alert | Signal | Outbreak) -> tuple[str, Place]:
    if isinstance(obj, Alert):
        return ShareKind.ALERT, obj.site
    if isinstance(obj, Signal):
        return ShareKind.SIGNAL, obj.place
    if isinstance(obj, Outbreak):
        return ShareKind.OUTBREAK, obj.area
    raise TypeError(f"Cannot share a {type(obj).__name__}")


def twins_of(place: Place) -> list[tuple[Twinning, Place, Place]]:
    """The active twinnings of the places `place` lies in (or is): (twinning, our twinned
    place, the twin)."""
    ancestors = [int(i) for i in place.path.strip("/").split("/") if i]
    rows = Twinning.objects.filter(
        Q(place_a_id__in=ancestors) | Q(place_b_id__in=ancestors), active=True
    ).select_related("place_a", "place_b")
    found = []
    for row in rows:
        ours = row.place_a if row.place_a_id in ancestors else row.place_b
        found.append((row, ours, row.other(ours.pk)))
    return sorted(found, key=lambda t: t[2].name)


def _site_name(place: Place) -> str | None:
    if place.kind == PlaceKind.SITE and place.site_type in NAMED_SITE_TYPES:
        return place.name
    return None


def _condition(code: str) -> tuple[str, str]:
    """The code, and the name in English whatever the sender's language: the snapshot is read
    across a border (the pages show the name in the reader's language, from the code)."""
    with translation.override("en"):
        return code, str(BY_CODE[code].name) if code in BY_CODE else ""


def report_curve(outbreak: Outbreak) -> list[dict]:
    """Cases of the outbreak's condition by ISO week from the weekly reports of its sites (the
    current version of each); a week no site reported is null, not zero."""
    start, end = outbreak_svc.period(outbreak)
    site_ids = [s.pk for s in outbreak_svc.sites(outbreak)]
    weeks = []
    week = monday(*week_of(start))
    while week <= end:
        weeks.append(week_of(week))
        week += dt.timedelta(weeks=1)
    weeks = weeks[-CURVE_WEEKS:]
    if not weeks or not site_ids:
        return [{"week": week_label(*w), "cases": None} for w in weeks]
    years = {y for y, _w in weeks}
    counts = (
        ReportCount.objects.filter(
            report__site_id__in=site_ids,
            report__current=True,
            report__year__in=years,
            condition=outbreak.condition,
        )
        .values("report__year", "report__week")
        .annotate(cases=Sum("count"))
    )
    by_week = {(r["report__year"], r["report__week"]): r["cases"] for r in counts}
    from mhis.surveillance.models import WeeklyReport

    reported = set(
        WeeklyReport.objects.filter(site_id__in=site_ids, current=True, year__in=years)
        .values_list("year", "week")
        .distinct()
    )
    return [
        {"week": week_label(*w), "cases": by_week.get(w, 0) if w in reported else None}
        for w in weeks
    ]


def content(obj: Alert | Signal | Outbreak, twinning: Twinning, ours: Place) -> dict:
    """The snapshot sent to the twin: aggregate content only (see the module's docstring)."""
    kind, place = subject_of(obj)
    twin_place = twinning.other(ours.pk)
    condition = obj.condition
    code, name = _condition(condition)
    data: dict[str, Any] = {
        "kind": str(kind),
        "condition": code,
        "condition_name": name,
        "place": ours.name,
        "country": ours.country_code,
        "twin": twin_place.name,
        "agreement": twinning.agreement,
    }
    if isinstance(obj, Alert):
        data |= {
            "site": _site_name(place),
            "week": week_label(obj.year, obj.week),
            "observed": obj.observed,
            "expected": round(obj.expected, 1) if obj.expected is not None else None,
            "threshold": round(obj.threshold, 1),
            "method": obj.method,
            "state": obj.state,
        }
    elif isinstance(obj, Signal):
        data |= {
            "site": _site_name(place),
            "date": obj.date.isoformat(),
            "source": obj.source,
            "state": obj.state,
        }
    else:
        start, end = outbreak_svc.period(obj)
        named = [n for n in (_site_name(s) for s in outbreak_svc.sites(obj)) if n]
        data |= {
            "sites": named,
            "state": obj.state,
            "declared_on": obj.declared_on.isoformat() if obj.declared_on else None,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "alerts": obj.alerts.count(),
            "signals": obj.signals.count(),
            "curve": report_curve(obj),
        }
    assert tuple(data) == KEYS[kind], "a snapshot's keys are decided in KEYS"
    return data


def digest(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def _check_sharer(user: User, obj: Alert | Signal | Outbreak) -> Place:
    require(user, Can.MANAGE_ALERTS)
    _kind, place = subject_of(obj)
    if not in_scope(user, place):
        raise PermissionDenied(_("This place is not in your places."))
    return place


def _twin_choice(place: Place, twinning_id: Any) -> tuple[Twinning, Place]:
    twins = twins_of(place)
    for row, ours, _other in twins:
        if str(row.pk) == str(twinning_id):
            return row, ours
    if not twins:
        raise ValidationError(
            {"twin": [_("This place is not twinned with a place across a border.")]}
        )
    raise ValidationError({"twin": [_("Choose one of the twin places.")]})


def preview(user: User, obj: Alert | Signal | Outbreak, twinning_id: Any) -> dict:
    """What sharing `obj` with the twin of `twinning_id` would send (without the message)."""
    place = _check_sharer(user, obj)
    twinning, ours = _twin_choice(place, twinning_id)
    return content(obj, twinning, ours)


def share(
    user: User,
    obj: Alert | Signal | Outbreak,
    twinning_id: Any,
    message: Any = "",
    seen: Any = None,
) -> Share:
    """Send `obj`'s snapshot to the twin's surveillance officers, in one transaction: the
    share, a line in the original's history, and a notification to each receiver. `seen` is
    the digest of the content the confirmation page showed: if it changed since, nothing is
    sent and the page is shown again."""
    place = _check_sharer(user, obj)
    twinning, ours = _twin_choice(place, twinning_id)
    errors = Errors()
    note = _text(message, "message", errors, limit=2000)
    data = content(obj, twinning, ours)
    if seen is not None and seen != digest(data):
        errors.add(
            "twin", _("What would be sent changed since the page was shown; check it again.")
        )
    errors.check()
    data["message"] = note
    kind, _place = subject_of(obj)
    to_place = twinning.other(ours.pk)
    with transaction.atomic():
        # A double submit (two clicks on Send) sends once: the same content and message sent
        # by the same user to the same twin a moment ago is that share. The original's row
        # is locked so that two requests at once find each other.
        type(obj).objects.select_for_update().filter(pk=obj.pk).first()
        recent = (
            Share.objects.filter(
                twinning=twinning,
                shared_by=user,
                shared_at__gte=timezone.now() - REPEAT_WINDOW,
                **{str(kind): obj},
            )
            .order_by("-shared_at", "-pk")
            .first()
        )
        if recent is not None and recent.content == data:
            return recent
        row = Share.objects.create(
            twinning=twinning,
            kind=kind,
            alert=obj if isinstance(obj, Alert) else None,
            signal=obj if isinstance(obj, Signal) else None,
            outbreak=obj if isinstance(obj, Outbreak) else None,
            origin=place,
            to_place=to_place,
            content=data,
            shared_by=user,
        )
        _history(
            obj,
            user,
            _("Shared with %(twin)s") % {"twin": to_place.name},
            note,
        )
        notify(
            receivers(to_place),
            Kind.SHARED_WITH_US,
            partial(
                _subject,
                gettext_lazy(
                    "Shared with us across the border: %(condition)s, %(place)s (%(country)s)"
                ),
                data,
                place=ours.name,
                country=ours.country_code,
            ),
            reverse("crossborder:share", args=[row.pk]),
        )
    return row


def _history(obj: Alert | Signal | Outbreak, user: User, what: str, note: str) -> None:
    if isinstance(obj, Outbreak):
        OutbreakEvent.objects.create(outbreak=obj, what=what[:200], by=user, note=note)
        return
    text = f"{what}: {note}" if note else what
    if isinstance(obj, Alert):
        AlertEvent.objects.create(
            alert=obj, from_state=obj.state, to_state=obj.state, by=user, note=text
        )
    else:
        SignalEvent.objects.create(
            signal=obj, from_state=obj.state, to_state=obj.state, by=user, note=text
        )


def receivers(place: Place):
    """Active surveillance officers and administrators whose places cover `place`."""
    ancestors = [int(i) for i in place.path.strip("/").split("/") if i]
    users = Scope.objects.filter(place_id__in=ancestors).values("user_id")
    return User.objects.filter(
        pk__in=users, role__in=roles_with(Can.MANAGE_ALERTS), is_active=True
    ).order_by("username")


# -- lists, one share, acknowledgement -------------------------------------------------------


def _state_filter(rows, state: Any):
    if state in (None, ""):
        return rows
    if state not in STATES:
        raise ValidationError(
            {
                "state": [
                    _("Unknown state: %(value)s. The states are: %(states)s.")
                    % {"value": state, "states": ", ".join(STATES)}
                ]
            }
        )
    return rows.filter(acknowledged_at__isnull=state == "unacknowledged")


def _rows():
    return Share.objects.select_related(
        "origin", "to_place", "shared_by", "acknowledged_by", "twinning"
    )


def shared_with_us(user: User, state: Any = None):
    """What twins sent to places the user's scope covers."""
    require(user, Can.READ_ALERTS)
    return _state_filter(_rows().filter(place_scope_q(user, "to_place")), state)


def sent_by_us(user: User, state: Any = None):
    """What was sent from the user's places."""
    require(user, Can.READ_ALERTS)
    return _state_filter(_rows().filter(place_scope_q(user, "origin")), state)


def visible_share(user: User, share_id: Any) -> Share:
    require(user, Can.READ_ALERTS)
    row = (
        _rows()
        .filter(place_scope_q(user, "to_place") | place_scope_q(user, "origin"))
        .filter(pk=share_id if str(share_id).isdigit() else 0)
        .first()
    )
    if row is None:
        raise Share.DoesNotExist
    return row


def received(user: User, row: Share) -> bool:
    return in_scope(user, row.to_place)


def can_acknowledge(user: User, row: Share) -> bool:
    return allowed(user, Can.MANAGE_ALERTS) and in_scope(user, row.to_place) and row.twinning.active


def acknowledge(user: User, row: Share, reply: Any = "") -> tuple[Share, bool]:
    """Record that the twin's side received it (who, when, a reply), tell the sender, and
    note it in the original's history. Once: a second acknowledgement changes nothing and
    says so (False)."""
    require(user, Can.MANAGE_ALERTS)
    if not in_scope(user, row.to_place):
        raise PermissionDenied(_("This was not sent to your places."))
    errors = Errors()
    note = _text(reply, "reply", errors, limit=2000)
    errors.check()
    with transaction.atomic():
        locked = Share.objects.select_for_update().get(pk=row.pk)
        if locked.acknowledged_at is not None:
            return _rows().get(pk=row.pk), False
        # An ended agreement exchanges nothing more: the reply would still reach the sender's
        # records and inbox. What was shared stays readable.
        if not Twinning.objects.filter(pk=locked.twinning_id, active=True).exists():
            raise ValidationError(
                {"twinning": [_("This twinning has ended; nothing more is exchanged under it.")]}
            )
        locked.acknowledged_by, locked.acknowledged_at, locked.reply = user, timezone.now(), note
        locked.save(update_fields=["acknowledged_by", "acknowledged_at", "reply"])
        original = locked.alert or locked.signal or locked.outbreak
        if original is not None:
            _history(
                original,
                user,
                _("Acknowledged by %(twin)s") % {"twin": row.to_place.name},
                note,
            )
        link = _original_link(locked)
        notify(
            [locked.shared_by] if locked.shared_by else [],
            Kind.SHARE_ACKNOWLEDGED,
            partial(
                _subject,
                gettext_lazy("%(twin)s acknowledged what you shared: %(condition)s"),
                locked.content,
                twin=row.to_place.name,
            ),
            link,
        )
    return _rows().get(pk=row.pk), True


def _subject(message: Any, data: dict, **values: Any) -> str:
    """A notification's text, built when it is stored, in its recipient's language: the
    condition is named in that language (the snapshot itself keeps the English name)."""
    code = data.get("condition", "")
    known = BY_CODE.get(code)
    condition = str(known.name) if known else data.get("condition_name", code)
    return str(message) % {"condition": condition, **values}


def _original_link(row: Share) -> str:
    original = row.outbreak or row.alert or row.signal
    return link_of(original) if original else reverse("crossborder:share", args=[row.pk])


def link_of(obj: Alert | Signal | Outbreak) -> str:
    """The original's own page (for its own side)."""
    kind, _place = subject_of(obj)
    return reverse(f"surveillance:{kind}", args=[obj.pk])


def shares_of(obj: Alert | Signal | Outbreak):
    """The shares of one original, newest first (its page shows them to its own side)."""
    kind, _place = subject_of(obj)
    return _rows().filter(**{str(kind): obj})
