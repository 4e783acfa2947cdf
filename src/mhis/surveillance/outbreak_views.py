"""Pages for signals and outbreaks (ADR 0029): report a signal, the signals to triage, one
signal, the outbreaks, one outbreak with its links, line of cases, curve and map."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mhis.access.policy import Can, allowed, require
from mhis.access.services import scope_sites
from mhis.formtools import error_items
from mhis.indicators.charts import render as render_chart
from mhis.places.models import Place

from . import lists
from . import outbreaks as svc
from .conditions import CONDITIONS
from .maps import points_map
from .models import (
    OUTBREAK_TRANSITIONS,
    SIGNAL_TRANSITIONS,
    OutbreakState,
    SignalSource,
    SignalState,
)
from .views import list_page

SIGNAL_IDS = {f: f for f in ("text", "place", "date", "condition")} | {"source": "source-0"}


def _places(user):
    """The user's places a signal can be reported at: their sites and the areas above."""
    sites = list(scope_sites(user))
    ids = {int(i) for s in sites for i in s.path.strip("/").split("/")}
    return list(Place.objects.filter(pk__in=ids).order_by("path"))


@login_required
def report_signal(request):
    require(request.user, Can.SUBMIT_REPORTS)
    errors: dict = {}
    typed = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        data = {k: request.POST.get(k, "") for k in svc.SIGNAL_FIELDS}
        try:
            svc.report_signal(request.user, data)
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            messages.success(request, _("Signal sent. A surveillance officer will look at it."))
            return redirect("surveillance:report_signal")
    context = {
        "places": _places(request.user),
        "sources": SignalSource.choices,
        "conditions": CONDITIONS,
        "typed": typed,
        "today": timezone.localdate().isoformat(),
        "errors": errors,
        "error_items": error_items(errors, SIGNAL_IDS),
    }
    return render(request, "surveillance/signal_form.html", context, status=422 if errors else 200)


@login_required
def signals(request):
    """Signals in the user's places: filtered, sorted, paged, as CSV or on a map."""
    return list_page(
        request,
        template="surveillance/signals.html",
        listing=lists.SIGNALS,
        find=lists.filtered_signals,
        header=lists.SIGNAL_CSV,
        row=lists.signal_row,
        filename="signals.csv",
        states=SignalState.choices,
        map_words=(
            _("Signals"),
            _(
                "Signals by place, at the places' longitude and latitude (an area at the middle "
                "of its sites); a larger circle is more signals."
            ),
        ),
    )


@login_required
def signal(request, signal_id):
    found = get_object_or_404(svc.visible_signals(request.user), pk=signal_id)
    errors: dict = {}
    if request.method == "POST":
        try:
            if request.POST.get("action") == "outbreak":
                outbreak = svc.open_outbreak(request.user, signal=found)
                messages.success(request, _("Outbreak opened."))
                return redirect("surveillance:outbreak", outbreak_id=outbreak.pk)
            svc.move_signal(
                request.user,
                found,
                request.POST.get("state", ""),
                request.POST.get("note", ""),
                request.POST.get("condition", ""),
            )
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            messages.success(request, _("Signal updated."))
            return redirect("surveillance:signal", signal_id=found.pk)
    can_move = allowed(request.user, Can.MANAGE_ALERTS)
    next_states = [SignalState(s) for s in SIGNAL_TRANSITIONS[SignalState(found.state)]]
    ids = {"state": "state-0", "note": "note", "condition": "condition"} if can_move else {}
    context = {
        "signal": found,
        "events": found.events.select_related("by"),
        "outbreaks": found.outbreaks.select_related("area"),
        "next_states": next_states,
        "can_move": can_move,
        "conditions": CONDITIONS,
        "errors": errors,
        "error_items": error_items(errors, ids),
        "typed": request.POST,
    }
    return render(request, "surveillance/signal.html", context, status=422 if errors else 200)


@login_required
def outbreak_list(request):
    """Outbreaks in the user's places: filtered, sorted, paged, as CSV or on a map."""
    return list_page(
        request,
        template="surveillance/outbreaks.html",
        listing=lists.OUTBREAKS,
        find=lists.filtered_outbreaks,
        header=lists.OUTBREAK_CSV,
        row=lists.outbreak_row,
        filename="outbreaks.csv",
        states=OutbreakState.choices,
        map_words=(
            _("Outbreaks"),
            _(
                "Outbreaks by area, at the middle of each area's sites; a larger circle is more "
                "outbreaks."
            ),
        ),
    )


@login_required
@require_POST
def outbreak_from_alert(request, alert_id):
    from .services import visible_alerts

    found = get_object_or_404(visible_alerts(request.user), pk=alert_id)
    try:
        outbreak = svc.open_outbreak(request.user, alert=found)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("surveillance:alert", alert_id=found.pk)
    messages.success(request, _("Outbreak opened."))
    return redirect("surveillance:outbreak", outbreak_id=outbreak.pk)


def _curve(rows):
    return render_chart(
        {
            "width": 520,
            "height": 180,
            "data": {"values": rows},
            "mark": {"type": "bar"},
            "encoding": {
                "x": {
                    "field": "week",
                    "type": "ordinal",
                    "title": _("ISO week"),
                    "axis": {"labelAngle": -60, "labelOverlap": True},
                },
                "y": {
                    "field": "cases",
                    "type": "quantitative",
                    "title": _("Cases"),
                    "axis": {"tickMinStep": 1, "format": "d"},
                },
            },
        }
    )


@login_required
def outbreak(request, outbreak_id):
    found = get_object_or_404(svc.visible_outbreaks(request.user), pk=outbreak_id)
    errors: dict = {}
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "state":
                svc.move_outbreak(
                    request.user, found, request.POST.get("state", ""), request.POST.get("note")
                )
            elif action == "add":
                svc.link(
                    request.user,
                    found,
                    alert_id=request.POST.get("alert"),
                    signal_id=request.POST.get("signal"),
                )
            elif action == "remove":
                svc.unlink(
                    request.user,
                    found,
                    alert_id=request.POST.get("alert"),
                    signal_id=request.POST.get("signal"),
                )
            else:
                raise ValidationError({"action": [_("Choose what to do.")]})
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            messages.success(request, _("Outbreak updated."))
            return redirect("surveillance:outbreak", outbreak_id=found.pk)
        found = get_object_or_404(svc.visible_outbreaks(request.user), pk=outbreak_id)
    total, lines = svc.line_of_cases(request.user, found, view="outbreak")
    can_move = allowed(request.user, Can.MANAGE_ALERTS)
    alerts, signals = svc.candidates(request.user, found) if can_move else ([], [])
    start, end = svc.period(found)
    context = {
        "outbreak": found,
        "sites": svc.sites(found),
        "start": start,
        "end": end,
        "total": total,
        "lines": lines,
        "reads_people": allowed(request.user, Can.READ_PERSON),
        "curve": _curve(svc.curve(found)),
        "map": points_map(
            svc.map_points(found),
            "cases",
            _("Cases"),
            _("The outbreak's sites by longitude and latitude; a larger circle is more cases."),
        ),
        "candidate_alerts": alerts,
        "candidate_signals": signals,
        "next_states": [OutbreakState(s) for s in OUTBREAK_TRANSITIONS[OutbreakState(found.state)]],
        "can_move": can_move,
        "errors": errors,
        "error_items": error_items(errors, {"state": "state-0", "note": "note"}),
        "typed": request.POST,
    }
    return render(request, "surveillance/outbreak.html", context, status=422 if errors else 200)
