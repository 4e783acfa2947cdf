"""Care pages: a person's timeline with forms to add records, editing, overdue referrals."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

from django import forms as djforms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from mhis.access.policy import Can, allowed
from mhis.access.services import scope_sites
from mhis.kinds import addable, changeable
from mhis.registry.shortcuts import person_or_404

from . import assessments, services
from .codes import REFERRAL_TRANSITIONS, ReferralStatus
from .diagnoses import split_items
from .forms import AssessmentForm, ReferralStepForm, ServiceForm, choice_field
from .history import history_by_record
from .icd10 import search_icd10
from .models import Assessment, Referral
from .shortcuts import record_or_404
from .timeline import timeline as person_timeline

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails
    from django_stubs_ext import StrOrPromise

    from mhis.access.views import AuthenticatedHttpRequest
    from mhis.registry.models import Person

    from .history import PersonsRecord

    class HtmxRequest(AuthenticatedHttpRequest):
        """A signed-in user's request, with what django-htmx's middleware adds."""

        htmx: HtmxDetails


# A kind's page form and its writers: `addable()` and `changeable()` give kinds that have them.
_Form = type[ServiceForm[Model]]
_Write = Callable[..., Model]


def _timeline_context(
    request: HtmxRequest, person: Person, forms: dict[str, djforms.Form] | None = None
) -> dict[str, Any]:
    sites = scope_sites(request.user)
    items = person_timeline(person)
    changes = history_by_record(person)
    for item in items:
        record = item["record"]
        item["history"] = changes.get((record._meta.model_name, record.pk), [])
        if item["type"] == "assessment":
            item["missing"] = assessments.missing_steps(record)
            item["flags"] = assessments.quality_flags(record)
            item["rhs15"] = assessments.rhs15(record)
        moves = (
            REFERRAL_TRANSITIONS[ReferralStatus(record.status)]
            if item["type"] == "referral"
            else ()
        )
        if moves and any(services.may_record_step(request.user, record, m) for m in moves):
            form = ReferralStepForm(prefix=f"step{record.pk}")
            status = choice_field(form, "status")
            # The contract's values as `form_field` lists them.
            listed = cast("list[tuple[str, StrOrPromise]]", status.choices)
            status.choices = [
                c
                for c in listed
                if c[0] in moves and services.may_record_step(request.user, record, c[0])
            ]
            item["step_form"] = form
    forms = forms or {}
    return {
        "person": person,
        "items": items,
        "can_write": allowed(request.user, Can.WRITE_PERSON),
        "adders": [
            {
                "kind": kind.name,
                "title": kind.add_title,
                "form": forms.get(kind.name)
                or cast(_Form, kind.form)(prefix=kind.name, sites=sites, person=person),
            }
            for kind in addable()
        ],
    }


def _render(request: HtmxRequest, context: dict[str, Any]) -> HttpResponse:
    template = "care/_timeline.html" if request.htmx else "care/timeline.html"
    return render(request, template, context)


@login_required
def timeline(request: HtmxRequest, person_id: UUID) -> HttpResponse:
    person = person_or_404(request, person_id, "page:timeline")
    return _render(request, _timeline_context(request, person))


@login_required
def add_record(request: HtmxRequest, person_id: UUID, kind: str) -> HttpResponse:
    """Add a record of `kind` from the timeline's form; htmx gets the timeline back."""
    adder = next((k for k in addable() if k.name == kind), None)
    if adder is None:
        raise Http404
    person = person_or_404(request, person_id, f"page:{kind}_create")
    if request.method != "POST":
        return redirect("care:timeline", person_id=person.uuid)
    if not allowed(request.user, Can.WRITE_PERSON):
        raise PermissionDenied(_("Your role cannot record care."))
    form_class, create = cast(_Form, adder.form), cast(_Write, adder.create)
    form: ServiceForm[Model] | None  # none once added: htmx gets the adders empty
    form = form_class(request.POST, prefix=kind, sites=scope_sites(request.user), person=person)
    if form.is_valid():
        try:
            create(request.user, person, form.service_data())
        except ValidationError as exc:
            form.service_errors(exc)
        else:
            if not request.htmx:
                messages.success(request, adder.added)
                return redirect("care:timeline", person_id=person.uuid)
            form = None
    return _render(
        request, _timeline_context(request, person, forms={kind: form} if form else None)
    )


@login_required
def referral_step(request: HtmxRequest, referral_id: int) -> HttpResponse:
    referral = record_or_404(request, Referral, referral_id, "page:referral_step")
    if request.method != "POST":
        return redirect("care:timeline", person_id=referral.person.uuid)
    if not allowed(request.user, Can.WRITE_PERSON):
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
def edit_record(request: AuthenticatedHttpRequest, kind: str, record_id: int) -> HttpResponse:
    """Change a record; every change is kept in its history."""
    editor = next((k for k in changeable() if k.name == kind), None)
    if editor is None:
        raise Http404
    model, form_class = editor.model, cast(_Form, editor.change_form or editor.form)
    update = cast(_Write, editor.update)
    record = record_or_404(request, model, record_id, f"page:{kind}_edit")
    if not allowed(request.user, Can.WRITE_PERSON):
        raise PermissionDenied(_("Your role cannot record care."))
    person = cast("PersonsRecord", record).person  # its own, or its encounter's (a payment)
    form = form_class(
        request.POST or None,
        initial=form_class.initial_from(record),
        sites=scope_sites(request.user),
        person=person,
    )
    if request.method == "POST" and form.is_valid():
        try:
            update(request.user, record, form.service_data())
        except ValidationError as exc:
            form.service_errors(exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("care:timeline", person_id=person.uuid)
    context = {"form": form, "record": record, "title": model._meta.verbose_name}
    return render(request, "care/record_form.html", context)


# Suggestions a user may ask for in a minute: typing pauses ask once each (htmx waits for a
# pause), so this is far above a person typing and far below a script walking the list.
ICD10_SEARCHES_PER_MINUTE = 60


@login_required
def icd10_search(request: AuthenticatedHttpRequest) -> HttpResponse:
    """ICD-10 codes whose titles have the words typed, as a short list to pick from: `q`, or
    the last item of the field that asks (htmx sends the field by its name, and `field`). The
    code list is the same for everyone, so no place is checked and nothing is logged."""
    asked = request.GET.get("q")
    text = asked if asked is not None else request.GET.get(request.GET.get("field", ""), "")
    items = split_items(text)
    words = items[-1] if items else ""
    key = f"icd10-search:{request.user.pk}:{int(time.time() // 60)}"
    cache.add(key, 0, timeout=120)
    if cache.incr(key) > ICD10_SEARCHES_PER_MINUTE:
        return HttpResponse(_("Too many searches: wait a minute."), status=429)
    matches = search_icd10(words) if len(words) >= 2 else []
    return render(request, "care/_icd10_suggestions.html", {"matches": matches, "words": words})


@login_required
def overdue(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not allowed(request.user, Can.READ_PERSON):
        raise PermissionDenied(_("Your role cannot see individual records."))
    rows = services.shown_rows(
        request.user, services.overdue_referrals(request.user), view="page:referrals_overdue"
    )
    return render(request, "care/overdue.html", {"referrals": rows})


@login_required
def edit_assessment(request: AuthenticatedHttpRequest, assessment_id: int) -> HttpResponse:
    assessment = record_or_404(request, Assessment, assessment_id, "page:assessment_edit")
    if not allowed(request.user, Can.WRITE_PERSON):
        raise PermissionDenied(_("Your role cannot record care."))
    initial = AssessmentForm.initial_from(assessment)
    missing = assessments.requirements(assessment)
    decision = assessments.tb_decision(assessment)
    results_in = not any(m["code"].startswith(assessments.RESULT_STEPS) for m in missing)
    if not assessment.tb_classification and results_in:
        initial["tb_classification"] = decision.proposed  # the table's proposal, to confirm
    form = AssessmentForm(request.POST or None, initial=initial, sites=scope_sites(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        try:
            assessments.update_assessment(request.user, assessment, data)
        except ValidationError as exc:
            form.service_errors(exc)
            # What the refused save was checked against: the values typed, not those stored.
            draft = assessments.preview(request.user, assessment, data)
            if draft is not None:
                missing, decision = draft
        else:
            messages.success(request, _("Saved."))
            return redirect("care:timeline", person_id=assessment.person.uuid)
    context = {
        "form": form,
        "assessment": assessment,
        "missing": missing,
        "proposal": assessments.proposal(assessment, decision),
    }
    return render(request, "care/assessment_form.html", context)


@login_required
def pending(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not allowed(request.user, Can.READ_PERSON):
        raise PermissionDenied(_("Your role cannot see individual records."))
    rows = services.shown_rows(
        request.user, assessments.pending_assessments(request.user), view="page:assessments_pending"
    )
    items = []
    for a in rows:
        missing = assessments.missing_steps(a)
        contradictions = [m for m in missing if m["code"] in assessments.CONTRADICTIONS]
        items.append({"assessment": a, "missing": missing, "contradictions": contradictions})
    return render(request, "care/pending.html", {"items": items})
