"""Surveillance pages: open alerts, one alert with its series and workflow, the weekly
report form."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.timezone import now
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mhis.access.policy import Can, allowed, require
from mhis.access.services import place_scope_q, scope_sites
from mhis.formtools import error_items
from mhis.indicators.charts import render as render_chart
from mhis.places.models import Place

from . import alertlist, completeness, lists, owners, services
from .conditions import CONDITIONS
from .maps import points_map
from .models import TRANSITIONS, AlertState, ReportSource, Sex, WeeklyReport


def list_page(request, *, template, listing, find, header, row, filename, query=None, **extra):
    """A list of alerts, signals or outbreaks: the query's items filtered and sorted, 50 a
    page; ?format=csv downloads them all, ?view=map shows them counted by place on a map
    with the same counts as a table. Refused filters: a 400 naming each field."""
    query = query if query is not None else request.GET.copy()
    base = {
        "values": query,
        "conditions": CONDITIONS,
        "places": Place.objects.filter(place_scope_q(request.user, "self")).order_by("path"),
        "map_view": query.get("view") == "map",
        **extra,
    }
    try:
        rows = find(request.user, query)
    except ValidationError as exc:
        ids = {f: f for f in listing.fields}
        context = {**base, "page": None, "error_items": error_items(exc.message_dict, ids)}
        return render(request, template, context, status=400)
    if query.get("format") == "csv":
        response = HttpResponse(
            lists.csv_of(header, rows, row), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    keep = query.copy()
    for name in ("page", "format", "view"):
        keep.pop(name, None)
    context = {**base, "keep": keep.urlencode()}
    if base["map_view"]:
        points, table = lists.map_points(listing, rows)
        title, description = extra["map_words"]
        context |= {"page": None, "map": points_map(points, "count", title, description),
                    "map_rows": table}  # fmt: skip
    else:
        page = Paginator(rows, lists.PAGE_SIZE).get_page(query.get("page"))
        context |= {"page": page, "items": page.object_list}
    return render(request, template, context)


@login_required
def alerts(request, overdue=False):
    """Alerts in the user's places: filtered, sorted, paged; ?format=csv downloads them all,
    ?view=map shows them on a map."""
    query = request.GET.copy()
    if overdue:
        query["overdue"] = "1"
    return list_page(
        request,
        template="surveillance/alerts.html",
        listing=alertlist.LISTING,
        find=alertlist.filtered,
        header=alertlist.CSV_HEADER,
        row=alertlist.row,
        filename="alerts.csv",
        query=query,
        show_all=query.get("all") == "1",
        overdue=query.get("overdue") == "1",
        states=AlertState.choices,
        map_words=(
            _("Alerts"),
            _(
                "Alerts by site, at the sites' longitude and latitude; a larger circle is more alerts."
            ),
        ),
    )


@login_required
def overdue(request):
    """Alerts past their verification deadline and still not verified."""
    return alerts(request, overdue=True)


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
    if request.method == "POST" and request.POST.get("action") == "owner":
        try:
            owners.assign_owner(request.user, found, request.POST.get("owner"))
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            messages.success(request, _("Owner assigned."))
            return redirect("surveillance:alert", alert_id=found.pk)
    elif request.method == "POST":
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
    if can_move:
        ids["owner"] = "owner"
    context = {
        "alert": found,
        "week": services.week_label(found.year, found.week),
        "chart": _chart(found, series),
        "events": found.events.select_related("by"),
        "next_states": next_states,
        "can_move": can_move,
        "owner_choices": owners.owner_choices(found) if can_move else [],
        "overdue": found.escalated_at is not None
        or (found.due_at is not None and found.state in owners.AWAITING and found.due_at < now()),
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


CHANGED_KEY = "surveillance_report_alerts"


def _same(typed: str, before: str) -> bool:
    """A typed cell equals the saved one ("007" is 7; blank is 0)."""
    a, b = typed.strip() or "0", before.strip() or "0"
    return a == b or (a.isdigit() and b.isdigit() and int(a) == int(b))


def _posted_report(request, sites):
    """The current version of the posted site's week, when there is one (a correction)."""
    site = next((s for s in sites if s.code == request.POST.get("site", "")), None)
    match = services.WEEK.match(request.POST.get("week", "").strip().upper())
    if site is None or not match:
        return None
    return services.current_report(site, int(match[1]), int(match[2]))


def _changed_alerts(request, shown) -> list:
    """The alerts the save just before raised, updated or closed, each with what happened to
    it: taken from the session once, for the site and week saved."""
    record = request.session.pop(CHANGED_KEY, None)
    label = services.week_label(shown.year, shown.week)
    if not record or record.get("site") != shown.site.code or record.get("week") != label:
        return []
    what = dict(record.get("alerts", []))
    found = {a.pk: a for a in services.alerts_of(shown) if a.pk in what}
    return [(found[pk], what[pk]) for pk in what if pk in found]


@login_required
def report(request):
    require(request.user, Can.SUBMIT_REPORTS)
    sites = list(scope_sites(request.user))
    errors: dict = {}
    values: dict = {}
    raised: list = []
    sent: list[tuple[str, str]] = []  # the cells sent, in order, for the errors' places
    correcting = False
    if request.method == "POST":
        values = request.POST
        current = _posted_report(request, sites)
        saved_values = _saved_values(current) if current is not None else {}
        correcting = current is not None
        counts = []
        for condition in CONDITIONS:
            # On a correction a blank cell keeps what was sent before; a condition whose
            # cells are all as before is not sent, so it keeps its counts (and age groups).
            cells = {}
            for sex in SEXES:
                key = f"{condition.code}-{sex}"
                raw = request.POST.get(key, "").strip()
                cells[sex] = raw or saved_values.get(key, "")
            before = {s: saved_values.get(f"{condition.code}-{s}", "") for s in SEXES}
            if current is not None and all(_same(cells[s], before[s]) for s in SEXES):
                continue
            for sex in SEXES:
                if cells[sex]:
                    counts.append({"condition": condition.code, "sex": sex, "count": cells[sex]})
                    sent.append((condition.code, sex))
        data = {
            "site": request.POST.get("site", ""),
            "week": request.POST.get("week", ""),
            "counts": counts,
            "note": request.POST.get("note", ""),
            "confirm": request.POST.get("confirm") == "1",
        }
        try:
            saved, created = services.submit_report(request.user, data, source=ReportSource.FORM)
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            label = services.week_label(saved.year, saved.week)
            # The page after the save lists only the alerts this report raised or changed.
            changed = (getattr(saved, "evaluation", None) or {}).get("changed", [])
            request.session[CHANGED_KEY] = {
                "site": saved.site.code,
                "week": label,
                "alerts": [[pk, what] for pk, what in changed],
            }
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
            raised = _changed_alerts(request, shown)
            correcting = True
        elif site is not None:
            values = {"site": site.code, "week": request.GET.get("week", "")}
    # Which row each error belongs to: "counts.3.count" names the 4th cell sent.
    row_errors: dict[str, list[str]] = {}
    cell_ids = {}
    if errors:
        cells = sent
        for field, message in errors.items():
            parts = field.split(".")
            if parts[0] == "counts" and len(parts) > 1 and parts[1].isdigit():
                code, sex = cells[int(parts[1])]
                row_errors.setdefault(code, []).extend(message)
                cell_ids[field] = f"{code}-{sex}"
            elif parts[0] == "counts":
                cell_ids[field] = f"{CONDITIONS[0].code}-{SEXES[0]}"
            elif parts[0] == "confirm":
                cell_ids[field] = "confirm"
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
        "correcting": correcting,
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


@login_required
def completeness_page(request):
    """Completeness and timeliness of the user's reporting sites over the last weeks
    (?weeks=8, ?place=…; ?format=csv downloads the table); a POST sends the reminders for
    the sites missing the last full week (once per site and week)."""
    require(request.user, Can.READ_REPORTS)
    if request.method == "POST":
        try:
            sent = completeness.remind(request.user, place_code=request.POST.get("place", ""))
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            if sent:
                people = sum(r.recipients for r in sent)
                messages.success(
                    request,
                    ngettext(
                        "Reminder sent for %(sites)s site to %(people)s people.",
                        "Reminders sent for %(sites)s sites to %(people)s people.",
                        len(sent),
                    )
                    % {"sites": len(sent), "people": people},
                )
            else:
                messages.info(
                    request, _("No reminder to send: every missing site was already reminded.")
                )
        query = urlencode({k: request.POST[k] for k in ("weeks", "place") if request.POST.get(k)})
        return redirect(reverse("surveillance:completeness") + (f"?{query}" if query else ""))
    values = request.GET
    places = Place.objects.filter(place_scope_q(request.user, "self")).order_by("path")
    try:
        weeks = completeness.clean_weeks(values.get("weeks"))
        found = completeness.table(request.user, weeks, values.get("place", ""))
    except ValidationError as exc:
        context = {
            "values": values,
            "places": places,
            "found": None,
            "error_items": error_items(exc.message_dict, {"weeks": "weeks", "place": "place"}),
        }
        return render(request, "surveillance/completeness.html", context, status=400)
    if values.get("format") == "csv":
        response = HttpResponse(completeness.to_csv(found), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="completeness.csv"'
        return response
    keep = values.copy()
    keep.pop("format", None)
    context = {
        "values": values,
        "weeks": weeks,
        "places": places,
        "found": found,
        "keep": keep.urlencode(),
        "last_week": services.week_label(*found.last),
        "can_remind": allowed(request.user, Can.MANAGE_ALERTS),
        "unreminded": [r for r in found.missing if r.reminded is None],
    }
    return render(request, "surveillance/completeness.html", context)
