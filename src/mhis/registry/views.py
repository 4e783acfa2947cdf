"""Pages of the registry: search, a person's record, registration and editing."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mhis.access.policy import Can, allowed
from mhis.access.services import (
    access_history,
    scope_sites,
)
from mhis.contracts import form_errors

from . import duplicates, households, presentation, services
from .forms import ConsentForm, PersonForm, RegistrationForm, WithdrawalForm
from .search import log_listed, search_people
from .shortcuts import person_or_404
from .validation import format_birth_date

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from mhis.access.models import User
    from mhis.access.views import AuthenticatedHttpRequest

    from .models import Person

    class HtmxRequest(AuthenticatedHttpRequest):
        """A signed-in user's request, with what django-htmx's middleware adds."""

        htmx: HtmxDetails


@login_required
def search(request: HtmxRequest) -> HttpResponse:
    if not allowed(request.user, Can.READ_PERSON):
        raise PermissionDenied(_("Your role cannot see individual records."))
    query = request.GET.get("q", "").strip()[:200]
    people = search_people(request.user, query).select_related("registration_site")
    page = Paginator(people, settings.MHIS_PAGE_SIZE).get_page(request.GET.get("page"))
    log_listed(request.user, page.object_list, "page:search")
    context = {
        "query": query,
        "page": page,
        "can_register": allowed(request.user, Can.WRITE_PERSON),
    }
    template = "registry/_results.html" if request.htmx else "registry/search.html"
    return render(request, template, context)


# What other apps add to the person page, registered in their `AppConfig.ready()`: the name a
# template reads → part(user, person).
PERSON_PAGE_PARTS: dict[str, Callable[[User, Person], object]] = {}


@login_required
def detail(request: AuthenticatedHttpRequest, person_id: UUID) -> HttpResponse:
    person = person_or_404(request, person_id, "page:person")
    if person.merged_into_id and (merged := person.merged_into) is not None:
        # found to be another record's person: show theirs
        messages.info(request, _("The record you opened was merged into this one."))
        return redirect("registry:detail", person_id=merged.uuid)
    context = {
        "person": person,
        "names": person.names.all(),
        **presentation.person_page(person, request.user),
        **_consent_part(request.user, person),
        "household": households.household_of(request.user, person, view="page:person_household"),
        "can_edit": allowed(request.user, Can.WRITE_PERSON),
        "reads": access_history(person)[:20] if allowed(request.user, Can.SEE_ACCESS_LOG) else None,
    }
    context.update({name: part(request.user, person) for name, part in PERSON_PAGE_PARTS.items()})
    return render(request, "registry/detail.html", context)


def _consent_part(
    user: User,
    person: Person,
    *,
    form: ConsentForm | None = None,
    refused: tuple[int, WithdrawalForm] | None = None,
) -> dict[str, object]:
    """The consents section of a person's pages: every consent ever recorded (withdrawn ones
    kept) and, for a role that changes records, the form to record one and a withdrawal form
    for each that stands (`form` and `refused`: a form refused, shown with what was typed)."""
    consents = list(person.consents.select_related("recorded_by", "withdrawn_by"))
    can_record = allowed(user, Can.WRITE_PERSON)
    withdrawals = {}
    if can_record:
        for c in consents:
            if c.withdrawn_on is None:
                withdrawals[c.pk] = WithdrawalForm(prefix=f"consent-{c.pk}")
        if refused is not None:
            withdrawals[refused[0]] = refused[1]
    return {
        "consents": [(c, withdrawals.get(c.pk)) for c in consents],
        "consent_form": (form or ConsentForm()) if can_record else None,
    }


def _consents_page(
    request: AuthenticatedHttpRequest,
    person: Person,
    form: ConsentForm | WithdrawalForm,
    refused: tuple[int, WithdrawalForm] | None = None,
) -> HttpResponse:
    """The consents page; `form` is the one the error summary reads."""
    part = _consent_part(
        request.user,
        person,
        form=form if isinstance(form, ConsentForm) else None,
        refused=refused,
    )
    return render(request, "registry/consents.html", {"person": person, "form": form, **part})


def _to_consents(person: Person) -> HttpResponse:
    return redirect(reverse("registry:detail", kwargs={"person_id": person.uuid}) + "#consents")


@login_required
def consents(request: AuthenticatedHttpRequest, person_id: UUID) -> HttpResponse:
    """A person's consents, and (POST) recording one they give."""
    writing = request.method == "POST"
    view = "page:person_consent_create" if writing else "page:person_consents"
    person = person_or_404(request, person_id, view)
    if person.merged_into_id and (merged := person.merged_into) is not None:
        return redirect("registry:consents", person_id=merged.uuid)
    if not writing:
        scope = request.GET.get("scope", "")
        form = ConsentForm(initial={"scope": scope}) if scope else ConsentForm()
        return _consents_page(request, person, form)
    if not allowed(request.user, Can.WRITE_PERSON):
        raise PermissionDenied(_("Your role cannot change people."))
    form = ConsentForm(request.POST)
    if form.is_valid():
        try:
            consent = services.record_consent(request.user, person, form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(
                request,
                _("Consent recorded: %(scope)s.") % {"scope": consent.get_scope_display()},
            )
            return _to_consents(person)
    return _consents_page(request, person, form)


@login_required
@require_POST
def withdraw_consent(
    request: AuthenticatedHttpRequest, person_id: UUID, consent_id: int
) -> HttpResponse:
    """Record the withdrawal of one of the person's consents."""
    person = person_or_404(request, person_id, "page:person_consent_update")
    if not allowed(request.user, Can.WRITE_PERSON):
        raise PermissionDenied(_("Your role cannot change people."))
    consent = get_object_or_404(person.consents, pk=consent_id)
    form = WithdrawalForm(request.POST, prefix=f"consent-{consent.pk}")
    if form.is_valid():
        try:
            services.withdraw_consent(request.user, consent, form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(
                request,
                _("Withdrawal recorded: %(scope)s.") % {"scope": consent.get_scope_display()},
            )
            return _to_consents(person)
    return _consents_page(request, person, form, refused=(consent.pk, form))


@login_required
def register(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not allowed(request.user, Can.WRITE_PERSON):
        raise PermissionDenied(_("Your role cannot register people."))
    form = RegistrationForm(
        request.POST or None,
        sites=scope_sites(request.user),
        show_status=allowed(request.user, Can.SEE_MIGRATION_STATUS),
    )
    likely: list[duplicates.Likely] = []
    if request.method == "POST" and form.is_valid():
        data = form.person_data()
        # Saved at once when the user said the person is none of those shown them.
        anyway = request.POST.get("different_person") == "1"
        try:
            if not anyway:
                likely = duplicates.likely_duplicates(
                    request.user, data, view="page:register_duplicates"
                )
            if not likely:
                person = services.register_person(request.user, data)
                messages.success(request, _("Registered."))
                return redirect("registry:detail", person_id=person.uuid)
        except ValidationError as exc:
            form.service_errors(exc)
    elif request.method == "POST":
        _check_the_rest(request.user, form)
    return render(
        request,
        "registry/form.html",
        {"form": form, "title": _("Register a person"), "likely": likely},
    )


def _check_the_rest(user: User, form: PersonForm, person: Person | None = None) -> None:
    """A form refused by its own checks is checked by the contract too (nothing is written),
    so the page shows every problem at once."""
    try:
        services.person_fields(user, form.readable_data(), person=person)
    except ValidationError as exc:
        form.service_errors(exc)


@login_required
def edit(request: AuthenticatedHttpRequest, person_id: UUID) -> HttpResponse:
    person = person_or_404(request, person_id, "page:person_edit")
    if not allowed(request.user, Can.WRITE_PERSON):
        raise PermissionDenied(_("Your role cannot change people."))
    names = list(person.names.all())
    initial = {
        "registration_site": person.registration_site.code,
        "name": names[0].text if names else "",
        "latin_name": names[0].latin if names else "",
        "sex": person.sex,
        "birth_date": format_birth_date(person.birth_date, person.birth_date_precision)
        if person.birth_date
        else "",
        "birth_date_precision": person.birth_date_precision,
        "nationality": person.nationality,
        "languages": ", ".join(person.languages),
        "contact": person.contact,
    }
    # The registration site stays a choice even where it is another's (a receiving site edits
    # a person registered elsewhere); a change must be to one of the user's own sites.
    sites = [
        person.registration_site,
        *scope_sites(request.user).exclude(pk=person.registration_site_id),
    ]
    form = PersonForm(request.POST or None, initial=initial, sites=sites)
    if request.method == "POST" and form.is_valid():
        data = form.person_data()
        data["names"] += [{"text": n.text, "latin": n.latin, "use": n.use} for n in names[1:]]
        try:
            services.update_person(request.user, person, data)
        except ValidationError as exc:
            form.service_errors(exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("registry:detail", person_id=person.uuid)
    elif request.method == "POST":
        _check_the_rest(request.user, form, person)
    return render(
        request,
        "registry/form.html",
        {"form": form, "title": _("Edit %(name)s") % {"name": person}, "person": person},
    )
