"""The outreach pages: people reached and people trained in the reader's places, and the
form for one person met."""

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from mhis.access.services import place_scope_q, scope_sites
from mhis.contracts import form_errors

from . import services
from .forms import ContactForm
from .models import Contact, HealthCorner, Worker


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
            "can_record": services.can_record(request.user),
        },
    )


# What the next contact's form starts from after a save: a volunteer records many in a row.
KEPT = ("date", "site", "worker", "corner")


@login_required
def contact(request):
    """Record one person met by a worker or volunteer: the date (today), the user's site,
    the topic and whether they were referred; the service checks it as an import row."""
    services.require_recorder(request.user)
    user = request.user
    sites = list(scope_sites(user))
    workers = Worker.objects.filter(place_scope_q(user, "site"), active=True)
    corners = HealthCorner.objects.filter(place_scope_q(user, "site"), closed_on__isnull=True)
    initial = {name: request.GET[name] for name in KEPT if request.GET.get(name)}
    if "site" not in initial and sites:  # the site of their last contact, or their only one
        codes = [s.code for s in sites]
        last = (
            Contact.objects.filter(recorded_by=user)
            .order_by("-pk")
            .values_list("site__code", flat=True)
            .first()
        )
        initial["site"] = last if last in codes else codes[0]
    form = ContactForm(
        request.POST or None, initial=initial, sites=sites, workers=workers, corners=corners
    )
    if request.method == "POST" and form.is_valid():
        try:
            recorded = services.record_contact(user, form.service_data())
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Contact recorded. You can record the next one."))
            kept = {
                "date": recorded.date.isoformat(),
                "site": recorded.site.code,
                "worker": recorded.worker.code if recorded.worker else "",
                "corner": recorded.corner.code if recorded.corner else "",
            }
            query = urlencode({k: v for k, v in kept.items() if v})
            return redirect(f"{reverse('outreach:contact')}?{query}")
    return render(request, "outreach/contact.html", {"form": form})
