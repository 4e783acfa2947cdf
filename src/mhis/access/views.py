"""Where a user lands (the first page their role can use), the second factor, one's own
password, and the administration pages (users, their places, and the place tree)."""

from __future__ import annotations

from base64 import b32encode
from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.password_validation import password_validators_help_texts
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from mhis.contracts import form_errors
from mhis.formtools import error_items
from mhis.places.models import Place, PlaceKind
from mhis.places.services import trails
from mhis.qrcodes import qr_svg

from . import administration
from .forms import AccountForm, PlaceForm
from .models import Role, User
from .services import (
    check_second_factor,
    confirm_second_factor,
    has_second_factor,
    needs_second_factor,
    pending_device,
)

if TYPE_CHECKING:

    class AuthenticatedHttpRequest(HttpRequest):
        """A request to a view behind `login_required`: its user has signed in."""

        user: User


LANDING: dict[str, str] = {
    Role.PROGRAMME_MANAGER: "programmes:dashboard",
    Role.ANALYST: "indicators:overview",
}


@login_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    return redirect(LANDING.get(request.user.role, "registry:search"))


@login_required
def two_factor(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Set up an authenticator app (scan the code, type one code) or confirm a log-in with it."""
    user = request.user
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, {request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("home")
    if not needs_second_factor(user):
        return redirect(next_url)
    enrolled = has_second_factor(user)
    error: str | None = None
    if request.method == "POST":
        code = request.POST.get("code", "")
        try:
            device = (check_second_factor if enrolled else confirm_second_factor)(user, code)
        except ValidationError as exc:
            error = exc.message_dict["code"][0]
        else:
            otp_login(request, device)
            return redirect(next_url)
    context: dict[str, object] = {
        "enrolled": enrolled,
        "error": error,
        "error_items": error_items({"code": [error]}, {"code": "code"}) if error else [],
        "next": next_url,
    }
    if not enrolled:
        device = pending_device(user)
        context["secret"] = b32encode(device.bin_key).decode()
        context["qr"] = qr_svg(device.config_url)
    return render(request, "access/two_factor.html", context, status=422 if error else 200)


# -- administration ---------------------------------------------------------------------------


def _place_rows(ids: list[int]) -> list[Place]:
    return list(Place.objects.filter(pk__in=ids))


@login_required
def users(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The users an administrator manages, with their role, places and whether they can log in."""
    found = administration.manageable_users(request.user)
    query = request.GET.get("q", "").strip()
    if query:
        found = found.filter(
            Q(username__icontains=query)
            | Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
        )
    rows = list(found[:500])
    scopes = administration.scopes_of(rows)
    return render(
        request,
        "access/users.html",
        {"rows": [(u, scopes.get(u.pk, [])) for u in rows], "query": query},
    )


def _show_password(request: AuthenticatedHttpRequest, user: User, password: str) -> HttpResponse:
    # Shown once, in the answer to the POST that made it: never stored in the clear, nor put
    # in a session or an address.
    response = render(
        request, "access/temporary_password.html", {"account": user, "password": password}
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
def user_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    choices = administration.scope_choices(request.user)
    form = AccountForm(request.POST or None, places=choices, editing=False)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user, password = administration.create_account(
                request.user,
                username=data["username"],
                role=data["role"],
                places=_place_rows(data["places"]),
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                phone=data["phone"],
                language=data["language"],
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            return _show_password(request, user, password)
    status = 422 if form.errors else 200
    return render(request, "access/user_form.html", {"form": form, "account": None}, status=status)


@login_required
def user_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    try:
        account = administration.manageable_user(request.user, pk)
    except User.DoesNotExist:
        raise Http404 from None
    choices = administration.scope_choices(request.user)
    initial = {
        "first_name": account.first_name,
        "last_name": account.last_name,
        "email": account.email,
        "phone": account.phone,
        "language": account.language,
        "role": account.role,
        "is_active": account.is_active,
        "places": list(account.scope_rows.values_list("place_id", flat=True)),
    }
    form = AccountForm(request.POST or None, initial=initial, places=choices, editing=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            changed = administration.update_account(
                request.user,
                account,
                role=data["role"],
                places=_place_rows(data["places"]),
                is_active=data["is_active"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                phone=data["phone"],
                language=data["language"],
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            if changed:
                messages.success(request, _("%(user)s saved.") % {"user": account.username})
            else:
                messages.info(request, _("Nothing changed."))
            return redirect("administration:user", pk=account.pk)
    context = {
        "form": form,
        "account": account,
        "history": administration.history(account)[:50],
        "enrolled": administration.second_factor_enrolled(account),
    }
    return render(request, "access/user_form.html", context, status=422 if form.errors else 200)


@login_required
@require_POST
def user_password(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    try:
        account = administration.manageable_user(request.user, pk)
        password = administration.reset_password(request.user, account)
    except User.DoesNotExist:
        raise Http404 from None
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("administration:user", pk=pk)
    return _show_password(request, account, password)


@login_required
@require_POST
def user_second_factor(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    try:
        account = administration.manageable_user(request.user, pk)
    except User.DoesNotExist:
        raise Http404 from None
    try:
        administration.reset_two_factor(request.user, account)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("administration:user", pk=pk)
    messages.success(
        request,
        _("%(user)s's authenticator app is forgotten: they set up a new one at their next log-in.")
        % {"user": account.username},
    )
    return redirect("administration:user", pk=pk)


@login_required
def places(request: AuthenticatedHttpRequest) -> HttpResponse:
    rows = list(administration.manageable_places(request.user)[:2000])
    names = trails(rows)
    return render(request, "access/places.html", {"rows": [(p, names[p.pk]) for p in rows]})


def _parents(request: AuthenticatedHttpRequest) -> list[tuple[int, str]]:
    rows = list(administration.manageable_places(request.user).exclude(kind=PlaceKind.SITE))
    names = trails(rows)
    return [(p.pk, names[p.pk]) for p in rows]


@login_required
def place_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    parents = _parents(request)
    initial = {"parent": request.GET.get("parent", ""), "kind": PlaceKind.SITE}
    form = PlaceForm(request.POST or None, initial=initial, parents=parents)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            place = administration.add_place(
                request.user,
                parent=Place.objects.filter(pk=data["parent"]).first(),
                code=data["code"],
                name=data["name"],
                kind=data["kind"],
                site_type=data["site_type"],
                latitude=data["latitude"],
                longitude=data["longitude"],
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("%(place)s added.") % {"place": place.name})
            return redirect("administration:places")
    status = 422 if form.errors else 200
    return render(request, "access/place_form.html", {"form": form, "place": None}, status=status)


@login_required
def place_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    try:
        place = administration.manageable_place(request.user, pk)
    except Place.DoesNotExist:
        raise Http404 from None
    initial = {
        "name": place.name,
        "site_type": place.site_type,
        "latitude": "" if place.latitude is None else str(place.latitude),
        "longitude": "" if place.longitude is None else str(place.longitude),
    }
    form = PlaceForm(request.POST or None, initial=initial, parents=None)
    if place.kind != PlaceKind.SITE:
        del form.fields["site_type"]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            changed = administration.edit_place(
                request.user,
                place,
                name=data["name"],
                site_type=data.get("site_type", ""),
                latitude=data["latitude"],
                longitude=data["longitude"],
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            if changed:
                messages.success(request, _("%(place)s saved.") % {"place": place.name})
            else:
                messages.info(request, _("Nothing changed."))
            return redirect("administration:places")
    context = {
        "form": form,
        "place": place,
        "trail": trails([place])[place.pk],
        "history": administration.history(place)[:50],
    }
    return render(request, "access/place_form.html", context, status=422 if form.errors else 200)


@login_required
def password_change(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Choose one's own password: the temporary one an administrator gave, or any time."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, {request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("home")
    form = PasswordChangeForm(request.user, request.POST or None)
    # The rules as one sentence (Django's list would sit in the label's paragraph).
    form.fields["new_password1"].help_text = " ".join(password_validators_help_texts())
    if request.method == "POST" and form.is_valid():
        try:
            administration.choose_password(request.user, form.cleaned_data["new_password1"])
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, _("Your new password is saved."))
            return redirect(next_url)
    context = {"form": form, "next": next_url, "forced": request.user.must_change_password}
    return render(
        request, "access/password_change.html", context, status=422 if form.errors else 200
    )
