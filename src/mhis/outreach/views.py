"""The outreach page: people reached and people trained in the reader's places."""

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone

from . import services


@login_required
def overview(request):
    if not services.can_read_totals(request.user):
        raise PermissionDenied
    this_year = timezone.localdate().year
    try:
        year = int(request.GET.get("year", this_year))
    except ValueError:
        year = this_year
    year = min(max(year, 2000), this_year)
    totals = services.totals(request.user, dt.date(year, 1, 1), dt.date(year + 1, 1, 1))
    return render(
        request,
        "outreach/overview.html",
        {
            "year": year,
            "years": range(this_year, this_year - 10, -1),
            "totals": totals,
        },
    )
