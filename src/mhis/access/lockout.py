"""Failed log-ins: a user name from one address, and an address over all user names.

django-axes locks a user name from one address after AXES_FAILURE_LIMIT failures
(MHIS_LOGIN_FAILURE_LIMIT). That never stops password spraying: one address trying one
common password against many user names fails once per name. This handler (AXES_HANDLER)
also locks the address once the failures from it within the cool-off reach
MHIS_LOGIN_ADDRESS_FAILURE_LIMIT, every user name counted.

A clinic behind one NAT shares an address, so the count is kept from punishing typing:
- a successful log-in clears that user's failures from the address (AXES_RESET_ON_SUCCESS),
  so only failures never followed by the right password count;
- each user name counts for at most AXES_FAILURE_LIMIT failures, so one user (or one
  stubborn script) can lock their own name but never the address: that takes failures under
  at least MHIS_LOGIN_ADDRESS_FAILURE_LIMIT / AXES_FAILURE_LIMIT different names.
While an address is locked even the right password is refused (otherwise the spraying would
still learn which guess was right). docs/admin-guide.md states the trade-off.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

if TYPE_CHECKING:

    class AxesRequest(HttpRequest):
        """A log-in request as django-axes has marked it (AxesMiddleware, the handler), and this
        handler after it."""

        axes_ip_address: str | None
        axes_locked_out: bool
        axes_credentials: dict[str, Any] | None
        mhis_address_locked: bool


class LockoutHandler(AxesDatabaseHandler):  # type: ignore[misc]  # django-axes has no types
    def address_failures(
        self, request: AxesRequest, credentials: dict[str, Any] | None = None
    ) -> int:
        """Failures from the request's address within the cool-off, each user name counted
        for at most the per-name limit (at least the address limit when it is reached)."""
        limit = settings.MHIS_LOGIN_ADDRESS_FAILURE_LIMIT
        per_name: int = get_failure_limit(request, credentials)
        by_name = (
            AccessAttempt.objects.filter(
                ip_address=request.axes_ip_address,
                attempt_time__gte=get_cool_off_threshold(request),
            )
            .values("username")
            .annotate(failures=Sum("failures_since_start"))
            .values_list("failures", flat=True)
        )
        # Each name counts at least once: `limit` names are enough to know (and bound the read
        # while a spraying goes on).
        return sum(min(failures, per_name) for failures in by_name.order_by()[:limit])

    def address_locked(
        self, request: AxesRequest, credentials: dict[str, Any] | None = None
    ) -> bool:
        limit = settings.MHIS_LOGIN_ADDRESS_FAILURE_LIMIT
        locked = bool(limit) and self.address_failures(request, credentials) >= limit
        if locked:
            request.mhis_address_locked = True
        return locked

    def is_locked(self, request: AxesRequest, credentials: dict[str, Any] | None = None) -> bool:
        return super().is_locked(request, credentials) or self.address_locked(request, credentials)

    def user_login_failed(
        self,
        sender: object,
        credentials: dict[str, Any],
        request: AxesRequest | None = None,
        **kwargs: Any,
    ) -> None:
        super().user_login_failed(sender, credentials, request, **kwargs)
        if (
            request is None
            or request.axes_locked_out
            or self.is_whitelisted(request, credentials)
            or not self.address_locked(request, credentials)
        ):
            return
        request.axes_locked_out = True
        request.axes_credentials = credentials
        user_locked_out.send(
            "axes",
            request=request,
            username=get_client_username(request, credentials),
            ip_address=request.axes_ip_address,
        )


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """The page a locked-out log-in gets (AXES_LOCKOUT_CALLABLE): 429, saying whether the
    user name or the whole address is locked, and for how long."""
    cool_off = get_cool_off(request)
    context = {
        "by_address": getattr(request, "mhis_address_locked", False),
        "minutes": int(cool_off.total_seconds() // 60) if cool_off else None,
    }
    return render(request, "access/locked_out.html", context, status=429)
