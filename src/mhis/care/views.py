"""Care pages: a person's timeline with forms to add records, editing, overdue referrals."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from mhis.access.services import can_read_people, can_write_people, log_access, place_scope_q
from mhis.places.models import Place, PlaceKind
from mhis.registry.models import Person
from mhis.registry.services import get_person

from . import assessments, services
from .codes import REFERRAL_TRANSITIONS, ReferralStatus
from .forms import AssessmentForm, EncounterForm, ReferralForm, ReferralStepForm
from .models import Assessment, Encounter, Referral


def _sites(user):
    return Place.objects.filter(place_scope_q(user, "self"), kind=PlaceKind.SITE).order_by("name")


def _person(request, person_id, view):
    try:
        return get_person(request.user, person_id, view=view)
    except Person.DoesNotExist:
        raise Http404(_("No such person.")) from None


def _timeline_context(
    request, person, encounter_form=None, referral_form=None, assessment_form=None
):
    sites = _sites(request.user)
    items = services.timeline(person)
    for item in items:
        record = item["record"]
        item["history"] = list(services.history(record))
        if item["type"] == "assessment":
            item["missing"] = assessments.missing_steps(record)
            item["flags"] = assessments.quality_flags(record)
            item["rhs15"] = assessments.rhs15(record)
        if item["type"] == "referral" and REFERRAL_TRANSITIONS[ReferralStatus(record.status)]:
            form = ReferralStepForm(prefix=f"step{record.pk}")
            allowed = set(REFERRAL_TRANSITIONS[ReferralStatus(record.status)])
            form.fields["status"].choices = [
                c for c in form.fields["status"].choices if c[0] in allowed
            ]
            item["step_form"] = form
    return {
        "person": person,
        "items": items,
        "can_write": can_write_people(request.user),
        "encounter_form": encounter_form or EncounterForm(prefix="encounter", sites=sites),
        "referral_form": referral_form or ReferralForm(prefix="referral", sites=sites),
        "assessment_form": assessment_form or AssessmentForm(prefix="assessment", sites=sites),
    }


def _render(request, context):
    template = "care/_timeline.html" if request.htmx else "care/timeline.html"
    return render(request, template, context)


@login_required
def timeline(request, person_id):
    person = _person(request, person_id, "page:timeline")
    return _render(request, _timeline_context(request, person))


@login_required
def add_encounter(request, person_id):
    person = _person(request, person_id, "page:encounter_create")
    if request.method != "POST":
        return redirect("care:timeline", person_id=person.uuid)
    if not can_write_people(request.user):
        raise PermissionDenied(_("Your role cannot record care."))
    form = EncounterForm(request.POST, prefix="encounter", sites=_sites(request.user))
    if form.is_valid():
        try:
            services.record_encounter(request.user, person, form.encounter_data())
        except ValidationError as exc:
            form.service_errors(exc)
        else:
            if not request.htmx:
                messages.success(request, _("Encounter recorded."))
                return redirect("care:timeline", person_id=person.uuid)
            form = None
    return _render(request, _timeline_context(request, person, encounter_form=form))


@login_required
def add_referral(request, person_id):
    person = _person(request, person_id, "page:referral_create")
    if request.method != "POST":
        return redirect("care:timeline", person_id=person.uuid)
    if not can_write_people(request.user):
        raise PermissionDenied(_("Your role cannot record care."))
    form = ReferralForm(request.POST, prefix="referral", sites=_sites(request.user))
    if form.is_valid():
        try:
            services.refer(request.user, person, form.cleaned_data)
        except ValidationError as exc:
            form.service_errors(exc)
        else:
            if not request.htmx:
                messages.success(request, _("Referral sent."))
                return redirect("care:timeline", person_id=person.uuid)
            form = None
    return _render(request, _timeline_context(request, person, referral_form=form))


def _record(request, model, record_id, view):
    try:
        return services.get_record(request.user, model, record_id, view=view)
    except model.DoesNotExist:
        raise Http404(_("No such record.")) from None


@login_required
def referral_step(request, referral_id):
    referral = _record(request, Referral, referral_id, "page:referral_step")
    if request.method != "POST":
        return redirect("care:timeline", person_id=referral.person.uuid)
    if not can_write_people(request.user):
        raise PermissionDenied(_("Your role cannot record care."))
    form = ReferralStepForm(request.POST, prefix=f"step{referral.pk}")
    if form.is_valid():
        try:
            services.advance_referral(request.user, referral, form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
    person = referral.person
    if not request.htmx:
        return redirect("care:timeline", person_id=person.uuid)
    return _render(request, _timeline_context(request, person))


@login_required
def edit_encounter(request, encounter_id):
    encounter = _record(request, Encounter, encounter_id, "page:encounter_edit")
    if not can_write_people(request.user):
        raise PermissionDenied(_("Your role cannot record care."))
    initial = {
        "site": encounter.site.code,
        "kind": encounter.kind,
        "date": encounter.date.isoformat(),
        "reason": encounter.reason,
        "treatments": encounter.treatments,
        "diagnoses": ", ".join(d.code for d in encounter.diagnoses.all()),
        "cost": "" if encounter.cost is None else str(encounter.cost),
        "currency": encounter.currency,
        "paid_by": encounter.paid_by,
    }
    form = EncounterForm(request.POST or None, initial=initial, sites=_sites(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_encounter(request.user, encounter, form.encounter_data())
        except ValidationError as exc:
            form.service_errors(exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("care:timeline", person_id=encounter.person.uuid)
    return render(request, "care/encounter_form.html", {"form": form, "encounter": encounter})


@login_required
def overdue(request):
    if not can_read_people(request.user):
        raise PermissionDenied(_("Your role cannot see individual records."))
    rows = list(services.overdue_referrals(request.user).select_related("person")[:500])
    log_access(request.user, {r.person for r in rows}, "page:referrals_overdue")
    return render(request, "care/overdue.html", {"referrals": rows})


@login_required
def add_assessment(request, person_id):
    person = _person(request, person_id, "page:assessment_create")
    if request.method != "POST":
        return redirect("care:timeline", person_id=person.uuid)
    if not can_write_people(request.user):
        raise PermissionDenied(_("Your role cannot record care."))
    form = AssessmentForm(request.POST, prefix="assessment", sites=_sites(request.user))
    if form.is_valid():
        try:
            assessments.assess(request.user, person, form.assessment_data())
        except ValidationError as exc:
            form.service_errors(exc)
        else:
            if not request.htmx:
                messages.success(request, _("Assessment started."))
                return redirect("care:timeline", person_id=person.uuid)
            form = None
    return _render(request, _timeline_context(request, person, assessment_form=form))


@login_required
def edit_assessment(request, assessment_id):
    assessment = _record(request, Assessment, assessment_id, "page:assessment_edit")
    if not can_write_people(request.user):
        raise PermissionDenied(_("Your role cannot record care."))
    form = AssessmentForm(
        request.POST or None,
        initial=AssessmentForm.initial_from(assessment),
        sites=_sites(request.user),
    )
    if request.method == "POST" and form.is_valid():
        try:
            assessments.update_assessment(request.user, assessment, form.assessment_data())
        except ValidationError as exc:
            form.service_errors(exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("care:timeline", person_id=assessment.person.uuid)
    context = {
        "form": form,
        "assessment": assessment,
        "missing": assessments.missing_steps(assessment),
    }
    return render(request, "care/assessment_form.html", context)


@login_required
def pending(request):
    if not can_read_people(request.user):
        raise PermissionDenied(_("Your role cannot see individual records."))
    rows = list(assessments.pending_assessments(request.user)[:500])
    log_access(request.user, {a.person for a in rows}, "page:assessments_pending")
    items = [{"assessment": a, "missing": assessments.missing_steps(a)} for a in rows]
    return render(request, "care/pending.html", {"items": items})
