"""Surveillance pages: open alerts, one alert with its series and workflow, the weekly
report form."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from mhis.access.policy import Can, allowed, require
from mhis.access.services import scope_sites
from mhis.indicators.charts import render as render_chart

from . import services
from .conditions import CONDITIONS
from .models import OPEN_STATES, TRANSITIONS, AlertState, ReportSource, Sex


@login_required
def alerts(request):
    show_all = request.GET.get("all") == "1"
    rows = services.visible_alerts(request.user, None if show_all else OPEN_STATES)
    return render(request, "surveillance/alerts.html", {"alerts": rows[:500], "show_all": show_all})


def _chart(alert, series):
    threshold = max(alert.threshold, 0)
    return render_chart(
        {
            "width": 520,
            "height": 180,
            "layer": [
                {
                    "data": {"values": series},
                    "mark": {"type": "bar"},
                    "encoding": {
                        "x": {
                            "field": "week",
                            "type": "ordinal",
                            "title": _("ISO week"),
                            "axis": {"labelAngle": -60, "labelOverlap": True},
                        },
                        # Whole cases: no 0.2-case steps on a small count.
                        "y": {
                            "field": "cases",
                            "type": "quantitative",
                            "title": _("Cases"),
                            "axis": {"tickMinStep": 1, "format": "d"},
                        },
                    },
                },
                {
                    "data": {"values": [{"threshold": threshold}]},
                    "mark": {"type": "rule", "color": "#b3261e", "strokeDash": [4, 3]},
                    "encoding": {"y": {"field": "threshold", "type": "quantitative"}},
                },
            ],
        }
    )


@login_required
def alert(request, alert_id):
    found = get_object_or_404(services.visible_alerts(request.user), pk=alert_id)
    errors = {}
    if request.method == "POST":
        try:
            services.transition(
                request.user, found, request.POST.get("state", ""), request.POST.get("note", "")
            )
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            messages.success(request, _("Alert updated."))
            return redirect("surveillance:alert", alert_id=found.pk)
    series = services.alert_series(found)
    context = {
        "alert": found,
        "week": services.week_label(found.year, found.week),
        "chart": _chart(found, series),
        "events": found.events.select_related("by"),
        "next_states": [AlertState(s) for s in TRANSITIONS[AlertState(found.state)]],
        "can_move": allowed(request.user, Can.MANAGE_ALERTS),
        "errors": errors,
    }
    return render(request, "surveillance/alert.html", context, status=422 if errors else 200)


SEXES = (Sex.FEMALE, Sex.MALE, Sex.UNKNOWN)


@login_required
def report(request):
    require(request.user, Can.SUBMIT_REPORTS)
    sites = scope_sites(request.user)
    errors, values = {}, {}
    if request.method == "POST":
        values = request.POST
        counts = []
        for condition in CONDITIONS:
            for sex in SEXES:
                raw = request.POST.get(f"{condition.code}-{sex}", "").strip()
                if raw:
                    counts.append({"condition": condition.code, "sex": sex, "count": raw})
        data = {
            "site": request.POST.get("site", ""),
            "week": request.POST.get("week", ""),
            "counts": counts,
            "note": request.POST.get("note", ""),
        }
        try:
            saved, created = services.submit_report(request.user, data, source=ReportSource.FORM)
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            label = services.week_label(saved.year, saved.week)
            if not created:
                messages.info(request, _("Nothing changed: these counts were already sent."))
            elif saved.version > 1:
                messages.success(
                    request,
                    _("Correction for %(week)s saved (version %(v)s).")
                    % {"week": label, "v": saved.version},
                )
            else:
                messages.success(request, _("Report for %(week)s saved.") % {"week": label})
            raised = [a.get_condition_display() for a in services.open_alerts_for(saved)]
            if raised:
                messages.warning(
                    request,
                    _(
                        "These counts raise an alert for %(conditions)s: the surveillance officers see it now."
                    )
                    % {"conditions": ", ".join(str(c) for c in raised)},
                )
            return redirect("surveillance:report")
    # Which row each error belongs to: "counts.3.count" names the 4th non-empty cell.
    row_errors = {}
    if errors:
        cells = [
            (c.code, s)
            for c in CONDITIONS
            for s in SEXES
            if request.POST.get(f"{c.code}-{s}", "").strip()
        ]
        for field, message in errors.items():
            parts = field.split(".")
            if parts[0] == "counts" and len(parts) > 1 and parts[1].isdigit():
                row_errors.setdefault(cells[int(parts[1])][0], []).extend(message)
    rows = [
        {
            "condition": c,
            "cells": [(f"{c.code}-{s}", values.get(f"{c.code}-{s}", ""), s.label) for s in SEXES],
            "errors": row_errors.get(c.code, []),
        }
        for c in CONDITIONS
    ]
    context = {
        "sites": sites,
        "rows": rows,
        "sexes": SEXES,
        "errors": errors,
        "values": values,
        "default_week": services.week_label(*services.last_full_week()),
    }
    return render(request, "surveillance/report.html", context, status=422 if errors else 200)
