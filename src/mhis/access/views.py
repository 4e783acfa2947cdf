"""Where a user lands (the first page their role can use), and the second factor."""

from __future__ import annotations

from base64 import b32encode
from typing import TYPE_CHECKING

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import login as otp_login

from mhis.qrcodes import qr_svg

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
    context: dict[str, object] = {"enrolled": enrolled, "error": error, "next": next_url}
    if not enrolled:
        device = pending_device(user)
        context["secret"] = b32encode(device.bin_key).decode()
        context["qr"] = qr_svg(device.config_url)
    return render(request, "access/two_factor.html", context, status=422 if error else 200)
