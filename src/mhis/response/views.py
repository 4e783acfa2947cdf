"""Pages of the response (ADR 0031): assess the risk of an outbreak, alert or signal; add and
close response actions; record an outbreak's 7-1-7 dates; the overdue actions; the 7-1-7
performance by place and quarter (CSV too)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from mhis.access.policy import Can, allowed
from mhis.formtools import error_items
from mhis.places.models import Place, PlaceKind
from mhis.surveillance.outbreaks import visible_outbreaks, visible_signals
from mhis.surveillance.services import visible_alerts

from . import services as svc
from .models import ActionState, Bottleneck, Confidence, Consequence, Likelihood, RiskLevel

RADIOS = {
    "likelihood": "likelihood-0",
    "consequence": "consequence-0",
    "confidence": "confidence-0",
}
RISK_IDS = {f: f for f in svc.ASSESSMENT_FIELDS} | RADIOS | {"subject": ""}


def _assess(request, subject, back: str, title: str):
    """The subject's assessments for those who read alerts there; the form for those who
    handle them."""
    svc._check(request.user, svc.place_of(subject), Can.READ_ALERTS)
    can_assess = allowed(request.user, Can.MANAGE_ALERTS)
    if request.method == "POST":
        svc._check(request.user, svc.place_of(subject))
    errors: dict = {}
    why = svc.refusal(subject)
    if request.method == "POST" and not why:
        data = {k: request.POST.get(k, "") for k in svc.ASSESSMENT_FIELDS}
        try:
            made = svc.assess(request.user, subject, data)
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            messages.success(
                request,
                _("Risk assessment recorded: %(level)s.") % {"level": made.get_level_display()},
            )
            return redirect(back)
    context = {
        "title": title,
        "back": back,
        "refused": why,
        "can_assess": can_assess,
        "previous": svc.assessments(request.user, subject),
        "matrix": svc.matrix_rows(),
        "consequences": Consequence.choices,
        "likelihoods": Likelihood.choices,
        "levels": RiskLevel.choices,
        "confidences": Confidence.choices,
        "typed": request.POST,
        "errors": errors,
        "error_items": error_items(errors, RISK_IDS),
    }
    return render(request, "response/assess.html", context, status=422 if errors else 200)


@login_required
def outbreak_risk(request, outbreak_id):
    found = get_object_or_404(visible_outbreaks(request.user), pk=outbreak_id)
    title = _("Risk assessment: outbreak of %(condition)s, %(area)s") % {
        "condition": found.get_condition_display(),
        "area": found.area.name,
    }
    return _assess(request, found, reverse("surveillance:outbreak", args=[found.pk]), title)


@login_required
def alert_risk(request, alert_id):
    found = get_object_or_404(visible_alerts(request.user).select_related("site"), pk=alert_id)
    title = _("Risk assessment: alert of %(condition)s, %(site)s") % {
        "condition": found.get_condition_display(),
        "site": found.site.name,
    }
    return _assess(request, found, reverse("surveillance:alert", args=[found.pk]), title)


@login_required
def signal_risk(request, signal_id):
    found = get_object_or_404(visible_signals(request.user), pk=signal_id)
    title = _("Risk assessment: signal at %(place)s, %(date)s") % {
        "place": found.place.name,
        "date": found.date.isoformat(),
    }
    return _assess(request, found, reverse("surveillance:signal", args=[found.pk]), title)


ACTION_IDS = {f: f for f in svc.ACTION_FIELDS}


@login_required
def new_action(request, outbreak_id):
    found = get_object_or_404(visible_outbreaks(request.user), pk=outbreak_id)
    svc._check(request.user, found.area)
    errors: dict = {}
    if request.method == "POST":
        data = {k: request.POST.get(k, "") for k in svc.ACTION_FIELDS}
        try:
            made = svc.add_action(request.user, found, data)
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            messages.success(
                request,
                _("Action assigned to %(owner)s.") % {"owner": made.owner.get_username()},
            )
            return redirect("surveillance:outbreak", outbreak_id=found.pk)
    context = {
        "outbreak": found,
        "owners": svc.owner_choices(found),
        "assessments": found.assessments.order_by("-at", "-pk"),
        "today": timezone.localdate().isoformat(),
        "typed": request.POST,
        "errors": errors,
        "error_items": error_items(errors, ACTION_IDS),
    }
    return render(request, "response/action_form.html", context, status=422 if errors else 200)


@login_required
def action(request, action_id):
    found = get_object_or_404(svc.visible_actions(request.user), pk=action_id)
    errors: dict = {}
    if request.method == "POST":
        data = {k: request.POST.get(k, "") for k in ("state", "done_on", "reason")}
        try:
            svc.move_action(request.user, found, data)
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            messages.success(request, _("Action updated."))
            return redirect("response:action", action_id=found.pk)
    context = {
        "action": found,
        "can_move": allowed(request.user, Can.MANAGE_ALERTS) and found.state == ActionState.OPEN,
        "overdue": found.state == ActionState.OPEN and found.due_on < timezone.localdate(),
        "today": timezone.localdate().isoformat(),
        "typed": request.POST,
        "errors": errors,
        "error_items": error_items(
            errors, {"state": "state-0", "done_on": "done_on", "reason": "reason"}
        ),
    }
    return render(request, "response/action.html", context, status=422 if errors else 200)


@login_required
def overdue(request):
    rows = svc.visible_actions(request.user).filter(svc.overdue_q()).order_by("due_on", "pk")[:500]
    return render(request, "response/overdue.html", {"actions": rows})


SEVEN_IDS = {f: f for f in svc.TIMELINESS_FIELDS}


@login_required
def timeliness(request, outbreak_id):
    found = get_object_or_404(visible_outbreaks(request.user), pk=outbreak_id)
    svc._check(request.user, found.area)
    errors: dict = {}
    record = getattr(found, "timeliness", None)
    if request.method == "POST":
        data = {k: request.POST.get(k, "") for k in svc.TIMELINESS_FIELDS}
        try:
            svc.record_timeliness(request.user, found, data)
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            messages.success(request, _("7-1-7 dates recorded."))
            return redirect("surveillance:outbreak", outbreak_id=found.pk)
        typed = request.POST
    else:
        typed = {} if record is not None else svc.suggested_dates(found)
        if record is not None:
            for name in svc.TIMELINESS_FIELDS:
                value = getattr(record, name)
                typed[name] = value.isoformat() if hasattr(value, "isoformat") else value
    result = svc.seven(found)
    labels = svc.date_labels()
    steps = svc.step_labels()
    context = {
        "outbreak": found,
        "dates": [(name, labels[name]) for name in svc.DATES],
        "steps": [(s, steps[s], svc.targets()[s], result.days[s]) for s in svc.STEPS],
        "derived": result.dates["responded_on"] if result.derived else None,
        "suggested": record is None,
        "bottlenecks": Bottleneck.choices,
        "today": timezone.localdate().isoformat(),
        "typed": typed,
        "errors": errors,
        "error_items": error_items(errors, SEVEN_IDS),
    }
    return render(request, "response/timeliness.html", context, status=422 if errors else 200)


@login_required
def performance(request):
    data = {k: request.GET.get(k, "") for k in ("level", "place", "quarter")}
    errors: dict = {}
    try:
        groups, undated, chosen = svc.performance(request.user, data)
    except ValidationError as exc:
        errors = exc.message_dict
        groups, undated, chosen = [], 0, data
    if request.GET.get("format") == "csv" and not errors:
        response = HttpResponse(svc.performance_csv(groups), content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="7-1-7.csv"'
        return response
    from mhis.access.services import place_scope_q

    # The places the filter accepts: those in the user's places (not the ones above them).
    places = (
        Place.objects.filter(place_scope_q(request.user, "self"))
        .exclude(kind=PlaceKind.SITE)
        .order_by("path")
    )
    steps = svc.step_labels()
    context = {
        "groups": groups,
        "undated": undated,
        "chosen": chosen,
        "places": places,
        "levels": [(k, PlaceKind(k).label) for k in svc.LEVELS],
        "steps": [(s, steps[s], svc.targets()[s]) for s in svc.STEPS],
        "errors": errors,
        "error_items": error_items(
            errors, {"level": "level", "place": "place", "quarter": "quarter"}
        ),
        "csv_query": request.GET.urlencode(),
    }
    return render(request, "response/performance.html", context, status=400 if errors else 200)
