"""Pages of the portfolio: the dashboard, a project, the compendium, IATI in and out."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mhis.codelists import collation_key, country_label
from mhis.contracts import form_errors
from mhis.formtools import error_items

from . import codes, iati, maps, services
from .forms import ActivityForm, AttendanceForm, IatiImportForm, PracticeSearchForm
from .models import Attendance, Event, Project, ResultPeriod, WorkplanActivity


@login_required
def dashboard(request):
    services.require_reader(request.user)
    country = request.GET.get("country", "")[:2]
    status = request.GET.get("status", "")[:1]
    kind = request.GET.get("type", "")[:12]
    projects = services.projects_in(country=country, status=status, type=kind)
    summary = services.portfolio(projects)
    labels = {
        "type": dict(codes.ProjectType.choices),
        "status": dict(codes.Status.choices),
        "country": {c: country_label(c) for c in summary.by.get("country", {}) if c != "—"},
    }
    tables = []
    for dimension, title in (
        ("type", _("By type")),
        ("region", _("By region")),
        ("country", _("By country")),
        ("status", _("By status")),
        ("year", _("By budget year")),
    ):
        rows = [
            {
                "value": labels.get(dimension, {}).get(value, value),
                "n": cell["n"],
                "budget": cell["budget"],
            }
            for value, cell in summary.by.get(dimension, {}).items()
        ]
        rows.sort(key=lambda row: collation_key(str(row["value"])))
        tables.append({"title": title, "rows": rows, "dimension": dimension})
    progress = services.results_against_targets(request.user, projects)
    counts = {c: cell["n"] for c, cell in summary.by.get("country", {}).items() if c != "—"}
    context = {
        "summary": summary,
        "tables": tables,
        "projects": projects,
        "progress": progress,
        "map": maps.benefiting(counts, _("Projects")) if counts else "",
        "countries": sorted(
            ((c, country_label(c)) for c in summary.countries),
            key=lambda item: collation_key(item[1]),
        ),
        "filters": {"country": country, "status": status, "type": kind},
        "statuses": codes.Status.choices,
        "types": codes.ProjectType.choices,
        "can_write": services.can_write(request.user),
        "partner_activities": services.projects_in(
            country=country, status=status, type=kind, partners=True
        ),
    }
    return render(request, "programmes/dashboard.html", context)


@login_required
def project(request, code):
    services.require_reader(request.user)
    item = get_object_or_404(Project, code=code)
    return render(request, "programmes/project.html", _project_context(request, item))


def _project_context(request, item, failed=None):
    """The project page's context; `failed` is a refused actual: {"period": its pk, "value":
    what was typed, "errors": the messages}."""
    results = []
    for result in item.results.prefetch_related("indicators__periods"):
        indicators = []
        for indicator in result.indicators.all():
            periods = [
                {"period": p, "actual": services.actual(request.user, p)}
                for p in indicator.periods.all()
            ]
            mismatch = next(
                (
                    services.units_differ(indicator, p["actual"])
                    for p in periods
                    if not services.comparable(indicator, p["actual"])
                ),
                "",
            )
            indicators.append({"indicator": indicator, "periods": periods, "mismatch": mismatch})
        results.append({"result": result, "indicators": indicators})
    context = {
        "project": item,
        "countries": [country_label(c) for c in item.countries or []],
        "themes": [codes.Theme(t).label for t in item.themes or [] if t in codes.Theme.values],
        "participations": item.participations.select_related("organisation"),
        "budgets": item.budgets.all(),
        "results": results,
        "activities": item.activities.all(),
        "timeline": maps.timeline(
            [
                {
                    "title": a.title,
                    "start": (a.actual_start or a.planned_start).isoformat(),
                    "end": (a.actual_end or a.planned_end).isoformat(),
                    "status": a.get_status_display(),
                }
                for a in item.activities.all()
            ],
            timezone.localdate(),
        )
        if item.activities.exists()
        else "",
        "events": item.events.prefetch_related("attendance", "action_plans__items"),
        "trained": services.trained(item),
        "publications": item.publications.all(),
        "documents": item.documents.all(),
        "bodies": item.bodies.prefetch_related("members__organisation"),
        "today": timezone.localdate(),
        "can_write": services.can_write(request.user),
        "can_edit": services.can_write(request.user)
        and services.in_places(request.user, item)
        and not item.is_partner,  # a partner's activity is theirs to change
        "failed": failed,
        "error_items": error_items({"actual": failed["errors"]}, {"actual": failed["id"]})
        if failed
        else [],
    }
    return context


@login_required
@require_POST
def record_actual(request, code, period_id):
    services.require_writer(request.user)
    period = get_object_or_404(
        ResultPeriod.objects.select_related("indicator"),
        pk=period_id,
        indicator__result__project__code=code,
    )
    typed = request.POST.get("actual", "")
    try:
        services.record_actual(request.user, period, typed)
    except ValidationError as exc:
        found = (
            exc.message_dict.get("actual", exc.messages)
            if hasattr(exc, "error_dict")
            else exc.messages
        )
        label = f"{period.start:%Y-%m-%d} – {period.end:%Y-%m-%d}"
        failed = {
            "period": period.pk,
            "id": f"actual-{period.pk}",
            "value": typed,
            "errors": [
                _("Actual for %(period)s: %(error)s") % {"period": label, "error": message}
                for message in found
            ],
        }
        project = period.indicator.result.project
        context = _project_context(request, project, failed)
        return render(request, "programmes/project.html", context, status=422)
    messages.success(request, _("Actual recorded."))
    return redirect(reverse("programmes:project", args=[code]) + f"#period-{period.pk}")


@login_required
def practices(request):
    services.require_reader(request.user)
    form = PracticeSearchForm(request.GET or None)
    found = services.search_practices()
    if form.is_valid():
        found = services.search_practices(
            form.cleaned_data["q"],
            theme=form.cleaned_data["theme"],
            country=form.cleaned_data["country"],
        )
    return render(request, "programmes/practices.html", {"form": form, "practices": found[:200]})


@login_required
def iati_export(request):
    services.require_writer(request.user)  # publishing gives projects their identifiers
    try:
        data = iati.export()
    except ValidationError as exc:  # the IATI Standard ruleset: each failure named
        items = [{"id": "", "message": message} for message in exc.messages]
        return render(
            request, "programmes/iati_export_refused.html", {"error_items": items}, status=400
        )
    response = HttpResponse(data, content_type="application/xml")
    response["Content-Disposition"] = 'attachment; filename="iati-activities.xml"'
    return response


@login_required
def iati_import(request):
    services.require_writer(request.user)
    form = IatiImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            report = iati.import_activities(form.cleaned_data["file"].read(), request.user)
        except ValidationError as exc:
            form_errors(form, exc, fallback="file")
        else:
            messages.success(
                request,
                _(
                    "%(created)s projects created, %(updated)s updated, of which %(partners)s "
                    "are partners' activities; %(refused)s activities refused."
                )
                % {
                    "created": report.created,
                    "updated": report.updated,
                    "partners": report.partners,
                    "refused": report.refused,
                },
            )
    return render(request, "programmes/iati_import.html", {"form": form, "report": report})


# -- workplans and event attendance -----------------------------------------------------------


@login_required
def workplan(request, code):
    services.require_reader(request.user)
    item = get_object_or_404(Project, code=code)
    context = {
        "project": item,
        "activities": item.activities.all(),
        "today": timezone.localdate(),
        "can_edit": services.can_write(request.user) and services.in_places(request.user, item),
    }
    return render(request, "programmes/workplan.html", context)


@login_required
def activity_form(request, code, activity_id=None):
    item = get_object_or_404(Project, code=code)
    services.require_editor(request.user, item)
    activity = (
        get_object_or_404(WorkplanActivity, pk=activity_id, project=item) if activity_id else None
    )
    if activity is not None:
        initial = {f: getattr(activity, f) for f in ActivityForm.base_fields}
    else:
        initial = {"planned_start": timezone.localdate(), "status": codes.WorkStatus.PLANNED}
    form = ActivityForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_activity(request.user, item, form.cleaned_data, activity)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Activity “%(title)s” saved.") % {"title": saved.title})
            return redirect(reverse("programmes:workplan", args=[code]) + f"#activity-{saved.pk}")
    return render(
        request,
        "programmes/activity_form.html",
        {"project": item, "activity": activity, "form": form},
    )


@login_required
def events(request):
    services.require_reader(request.user)
    found = Event.objects.select_related("project").annotate(people=Sum("attendance__count"))
    return render(request, "programmes/events.html", {"events": found})


@login_required
def attendance(request, event_id):
    services.require_reader(request.user)
    event = get_object_or_404(Event.objects.select_related("project"), pk=event_id)
    rows = event.attendance.select_related("organisation")
    context = {
        "event": event,
        "rows": [
            {"row": r, "country": country_label(r.country) if r.country else ""} for r in rows
        ],
        "totals": services.attendance_totals(event),
        "can_edit": services.can_write(request.user) and services.in_places(request.user, event),
    }
    return render(request, "programmes/attendance.html", context)


@login_required
def attendance_form(request, event_id, row_id=None):
    event = get_object_or_404(Event.objects.select_related("project"), pk=event_id)
    services.require_editor(request.user, event)
    row = get_object_or_404(Attendance, pk=row_id, event=event) if row_id else None
    initial = {"country": event.country}
    if row is not None:
        initial = {
            "count": row.count,
            "sex": row.sex,
            "role": row.role,
            "country": row.country,
            "organisation": str(row.organisation_id or ""),
        }
    form = AttendanceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_attendance(request.user, event, form.cleaned_data, row)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(
                request,
                _("Attendance saved: %(count)s %(role)s.")
                % {"count": saved.count, "role": saved.get_role_display()},
            )
            return redirect(reverse("programmes:attendance", args=[event.pk]) + f"#row-{saved.pk}")
    return render(
        request, "programmes/attendance_form.html", {"event": event, "row": row, "form": form}
    )
