"""A log-in by a role that needs a second factor goes no further than the code page until the
code is given (MHIS_TWO_FACTOR_ROLES); a user given a temporary password by an administrator
goes no further than the page for choosing their own until they have."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from .models import User
from .services import needs_second_factor

# Views reachable before the code: the code page itself, leaving, and the language switch.
OPEN_VIEWS = frozenset({"two_factor", "logout", "login", "set_language"})
# … and, for a temporary password, the page for choosing a new one.
PASSWORD_VIEWS = OPEN_VIEWS | {"password_change"}


class SecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponseBase],
        view_args: tuple[object, ...],
        view_kwargs: dict[str, object],
    ) -> HttpResponse | None:
        user: User | AnonymousUser | None = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        match = request.resolver_match
        if not needs_second_factor(user):
            if not getattr(user, "must_change_password", False):
                return None
            if match is not None and match.view_name in PASSWORD_VIEWS:
                return None
            if match is not None and match.namespace == "api":
                return JsonResponse(
                    {"detail": _("Choose your own password first: log in in the browser.")},
                    status=403,
                )
            target = reverse("password_change")
            return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        if match is not None and match.view_name in OPEN_VIEWS:
            return None
        if match is not None and match.namespace == "api":
            return JsonResponse(
                {"detail": _("Confirm your log-in with your authenticator code first.")},
                status=403,
            )
        return redirect(f"{reverse('two_factor')}?{urlencode({'next': request.get_full_path()})}")
