"""Pages of the review queue: the pairs to decide, and one pair side by side."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mhis.registry.services import log_listed, person_summary

from . import services
from .models import CandidatePair

LABELS = {
    "name": gettext_lazy("Name"), "birth": gettext_lazy("Date of birth"),
    "identifiers": gettext_lazy("Identifiers"), "sex": gettext_lazy("Sex"),
    "nationality": gettext_lazy("Nationality"), "origin": gettext_lazy("Country of origin"),
}  # fmt: skip


@login_required
def queue(request):
    pairs = list(services.review_queue(request.user)[:100])
    log_listed(request.user, [p.left for p in pairs] + [p.right for p in pairs], "page:linkage")
    return render(request, "linkage/queue.html", {"pairs": pairs})


@login_required
def pair(request, pair_id):
    services.review_queue(request.user)  # the same role check as the queue
    pair = get_object_or_404(
        CandidatePair.objects.select_related("left__registration_site", "right__registration_site"),
        pk=pair_id,
    )
    errors = {}
    if request.method == "POST":
        try:
            services.decide(request.user, pair, request.POST.get("decision", ""),
                            request.POST.get("note", ""))  # fmt: skip
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            messages.success(request, _("Decision recorded."))
            return redirect("linkage:queue")
    log_listed(request.user, [pair.left, pair.right], "page:linkage-pair")
    evidence = [
        {"label": LABELS.get(name, name), "weight": weight, "agreed": weight > 0}
        for name, weight in sorted(pair.evidence.items(), key=lambda item: -item[1])
    ]
    context = {"pair": pair, "left": person_summary(pair.left), "right": person_summary(pair.right),
               "evidence": evidence, "errors": errors}  # fmt: skip
    return render(request, "linkage/pair.html", context, status=422 if errors else 200)
