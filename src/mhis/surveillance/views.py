"""Surveillance pages: open alerts, one alert with its series and workflow, the weekly
report form."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from mhis.access.policy import Can, allowed, require
from mhis.access.services import place_scope_q, scope_sites
from mhis.formtools import error_items
from mhis.indicators.charts import render as render_chart
from mhis.places.models import Place

from . import services
from .conditions import CONDITIONS
from .models import OPEN_STATES, TRANSITIONS, AlertState, ReportSource, Sex, WeeklyReport


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
    next_states = [AlertState(s) for s in TRANSITIONS[AlertState(found.state)]]
    can_move = allowed(request.user, Can.MANAGE_ALERTS)
    # A refused step links to its field when the form is there (none once an alert is closed).
    ids = {"state": "state-0", "note": "note"} if can_move and next_states else {}
    context = {
        "alert": found,
        "week": services.week_label(found.year, found.week),
        "chart": _chart(found, series),
        "events": found.events.select_related("by"),
        "next_states": next_states,
        "can_move": can_move,
        "errors": errors,
        "error_items": error_items(errors, ids),
        "typed": request.POST,
    }
    return render(request, "surveillance/alert.html", context, status=422 if errors else 200)


SEXES = (Sex.FEMALE, Sex.MALE, Sex.UNKNOWN)


def _saved_values(report) -> dict[str, str]:
    """The form's values for a saved report: its site, week, counts by condition and sex (age
    groups added up, as the form has no column for them) and note."""
    values = {
        "site": report.site.code,
        "week": services.week_label(report.year, report.week),
        "note": report.note,
    }
    for count in report.counts.all():
        key = f"{count.condition}-{count.sex}"
        values[key] = str(int(values.get(key, 0)) + count.count)
    return values


def _shown_report(request, sites):
    """The report the page shows after a save (?site=…&week=…): the current version of that
    site's week, when the site is one of the user's; else None."""
    code, week = request.GET.get("site", ""), request.GET.get("week", "")
    site = next((s for s in sites if s.code == code), None)
    if site is None or not week:
        return site, None
    match = services.WEEK.match(week.strip().upper())
    if not match:
        return site, None
    return site, (
        WeeklyReport.objects.filter(site=site, year=int(match[1]), week=int(match[2]), current=True)
        .select_related("site")
        .prefetch_related("counts")
        .first()
    )


@login_required
def report(request):
    require(request.user, Can.SUBMIT_REPORTS)
    sites = list(scope_sites(request.user))
    errors: dict = {}
    values: dict = {}
    raised: list = []
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
            # Back to the same site and week, showing what was sent and what it raised.
            query = urlencode({"site": saved.site.code, "week": label})
            return redirect(reverse("surveillance:report") + "?" + query)
    else:
        site, shown = _shown_report(request, sites)
        if shown is not None:
            values = _saved_values(shown)
            raised = list(services.open_alerts_for(shown))
        elif site is not None:
            values = {"site": site.code, "week": request.GET.get("week", "")}
    # Which row each error belongs to: "counts.3.count" names the 4th non-empty cell.
    row_errors: dict[str, list[str]] = {}
    cell_ids = {}
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
                code, sex = cells[int(parts[1])]
                row_errors.setdefault(code, []).extend(message)
                cell_ids[field] = f"{code}-{sex}"
            elif parts[0] == "counts":
                cell_ids[field] = f"{CONDITIONS[0].code}-{SEXES[0]}"
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
        "error_items": error_items(
            errors, {"site": "site", "week": "week", "note": "note", **cell_ids}
        ),
        "values": values,
        "raised": raised,
        "can_read_alerts": allowed(request.user, Can.READ_ALERTS),
        "can_read_reports": allowed(request.user, Can.READ_REPORTS),
        "default_week": services.week_label(*services.last_full_week()),
    }
    return render(request, "surveillance/report.html", context, status=422 if errors else 200)


EXPORT_IDS = {"place": "place", "from": "from", "to": "to", "format": "format-csv"}


@login_required
def export_reports(request):
    """The weekly reports of a place and weeks as a file the import reads back: the form
    (?place=…&from=…&to=…&format=csv|xlsx downloads it; refused values show on the form)."""
    require(request.user, Can.READ_REPORTS)
    errors: dict = {}
    values = request.GET
    if "place" in request.GET:
        data = {k: request.GET[k] for k in services.EXPORT_FIELDS if k in request.GET}
        try:
            name, media, body = services.export_reports(request.user, data)
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            response = HttpResponse(body, content_type=media)
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
    else:
        last = services.week_label(*services.last_full_week())
        values = {"from": last, "to": last, "format": "csv"}
    places = Place.objects.filter(place_scope_q(request.user, "self")).order_by("path")
    context = {
        "places": places,
        "values": values,
        "errors": errors,
        "error_items": error_items(errors, EXPORT_IDS),
    }
    return render(
        request, "surveillance/export_reports.html", context, status=422 if errors else 200
    )
