"""Who answers for an alert, by when, and who hears of it (docs/decisions/0030).

An alert gets a verification deadline when it is raised (MHIS_ALERT_VERIFY_HOURS, or the
condition's own hours) and may be given an owner: a user who handles alerts and whose places
cover the alert's site. An alert still New or Under verification past its deadline is
overdue; escalating marks it once, and notifies its owner and the officers of the site's
parent place. Notifications carry the condition, site, week, counts and a link — never a
person."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mhis.access.policy import Can, require, roles_with
from mhis.access.services import in_scope
from mhis.notifications.models import Kind
from mhis.notifications.services import notify
from mhis.places.models import Place

from .models import Alert, AlertEvent, AlertState

# Other overdue work escalated by the same hourly job and command (each app registers its
# function, taking `now` and returning the ids escalated): response actions (ADR 0031).
ALSO_ESCALATE: list = []

# The states in which an alert waits for its verification.
AWAITING = (AlertState.NEW, AlertState.VERIFYING)


def verify_hours(condition: str) -> int:
    """Hours to verify an alert of `condition`: MHIS_ALERT_VERIFY_HOURS_BY_CONDITION
    ("cholera=6,measles=12") or else MHIS_ALERT_VERIFY_HOURS."""
    for part in (settings.MHIS_ALERT_VERIFY_HOURS_BY_CONDITION or "").split(","):
        code, _sep, hours = part.partition("=")
        if code.strip() == condition and hours.strip().isdigit():
            return int(hours.strip())
    return settings.MHIS_ALERT_VERIFY_HOURS


def due_for(condition: str, raised: dt.datetime | None = None) -> dt.datetime:
    return (raised or timezone.now()) + dt.timedelta(hours=verify_hours(condition))


def officers_of(place: Place | None):
    """Active users who handle alerts and whose places cover `place`."""
    User = get_user_model()
    if place is None:
        return User.objects.none()
    prefixes = [place.path[: i + 1] for i, c in enumerate(place.path) if c == "/"]
    return (
        User.objects.filter(
            is_active=True,
            role__in=roles_with(Can.MANAGE_ALERTS),
            scope_rows__place__path__in=prefixes,
        )
        .distinct()
        .order_by("username")
    )


def _link(alert: Alert) -> str:
    return reverse("surveillance:alert", args=[alert.pk])


def _text(message: Any, alert: Alert, **more: Any) -> str:
    """A notification's text: aggregate numbers only (condition, site, week, counts). Called
    when it is sent, in the recipient's language (the message is lazy text)."""
    values = {
        "condition": alert.get_condition_display(),
        "site": alert.site.name,
        "week": f"{alert.year}-W{alert.week:02d}",
        "observed": alert.observed,
        "threshold": f"{alert.threshold:g}",
        **more,
    }
    return str(message) % values


def on_raised(alerts: Iterable[Alert]) -> None:
    """Give new alerts their deadline and tell the officers of each site."""
    for alert in alerts:
        alert.due_at = due_for(alert.condition, alert.created_at)
        alert.save(update_fields=["due_at"])
        subject = partial(
            _text,
            gettext_lazy(
                "Alert: %(condition)s at %(site)s, %(week)s — %(observed)s cases "
                "(threshold %(threshold)s). Verify by %(due)s."
            ),
            alert,
            due=timezone.localtime(alert.due_at).strftime("%Y-%m-%d %H:%M"),
        )
        notify(officers_of(alert.site), Kind.ALERT_RAISED, subject, _link(alert))


def owner_choices(alert: Alert):
    """Who may own the alert: officers whose places cover its site."""
    return officers_of(alert.site)


def assign_owner(user, alert: Alert, owner_id: Any) -> Alert:
    """Make `owner_id` (a user id) the alert's owner, noted in its history; the new owner is
    notified. Only a user who handles alerts in the alert's place may be owner."""
    require(user, Can.MANAGE_ALERTS)
    if not in_scope(user, alert.site):
        raise PermissionDenied(_("This site is not in your places."))
    text = str(owner_id or "").strip()
    owner = None
    if text.isdigit():
        owner = owner_choices(alert).filter(pk=int(text)).first()
    if owner is None:
        raise ValidationError(
            {"owner": [_("Choose an owner who handles alerts in this alert's place.")]}
        )
    with transaction.atomic():
        locked = Alert.objects.select_for_update().select_related("site").get(pk=alert.pk)
        if locked.owner_id == owner.pk:
            return locked
        AlertEvent.objects.create(
            alert=locked,
            from_state=locked.state,
            to_state=locked.state,
            by=user,
            note=_("owner: %(owner)s") % {"owner": owner.get_username()},
        )
        locked.owner = owner
        locked.save(update_fields=["owner", "updated_at"])
        due = locked.due_at and timezone.localtime(locked.due_at).strftime("%Y-%m-%d %H:%M")
        subject = partial(
            _text,
            gettext_lazy(
                "Alert assigned to you: %(condition)s at %(site)s, %(week)s — %(observed)s cases."
                " Verify by %(due)s."
            ),
            locked,
            due=due or "—",
        )
        notify([owner], Kind.ALERT_ASSIGNED, subject, _link(locked))
    return locked


def overdue_q(now: dt.datetime | None = None):
    from django.db.models import Q

    return Q(state__in=AWAITING, due_at__lt=now or timezone.now())


def escalate(now: dt.datetime | None = None) -> list[int]:
    """Mark every overdue alert not yet escalated as escalated, with a note in its history,
    and notify its owner and the officers of its site's parent place. Running it again
    escalates nothing twice. Returns the ids escalated."""
    now = now or timezone.now()
    done = []
    with transaction.atomic():
        late = (
            Alert.objects.select_for_update(of=("self",))  # the owner may be null
            .filter(overdue_q(now), escalated_at__isnull=True)
            .select_related("site", "site__parent", "owner")
            .order_by("pk")
        )
        for alert in late:
            alert.escalated_at = now
            alert.save(update_fields=["escalated_at", "updated_at"])
            AlertEvent.objects.create(
                alert=alert,
                from_state=alert.state,
                to_state=alert.state,
                note=_("escalated: not verified by %(due)s")
                % {"due": timezone.localtime(alert.due_at).strftime("%Y-%m-%d %H:%M")},
            )
            subject = partial(
                _text,
                gettext_lazy(
                    "Overdue alert: %(condition)s at %(site)s, %(week)s — %(observed)s cases, "
                    "not verified by %(due)s."
                ),
                alert,
                due=timezone.localtime(alert.due_at).strftime("%Y-%m-%d %H:%M"),
            )
            recipients = [alert.owner, *officers_of(alert.site.parent)]
            notify(recipients, Kind.ALERT_OVERDUE, subject, _link(alert))
            done.append(alert.pk)
    return done
