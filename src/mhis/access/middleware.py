"""A log-in by a role that needs a second factor goes no further than the code page until the
code is given (MHIS_TWO_FACTOR_ROLES)."""

from urllib.parse import urlencode

from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from .services import needs_second_factor

# Views reachable before the code: the code page itself, leaving, and the language switch.
OPEN_VIEWS = frozenset({"two_factor", "logout", "login", "set_language"})


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not needs_second_factor(user):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in OPEN_VIEWS:
            return None
        if match is not None and match.namespace == "api":
            return JsonResponse(
                {"detail": _("Confirm your log-in with your authenticator code first.")},
                status=403,
            )
        return redirect(f"{reverse('two_factor')}?{urlencode({'next': request.get_full_path()})}")
