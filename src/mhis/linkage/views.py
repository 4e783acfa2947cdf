"""Pages of the review queue: the pairs to decide, and one pair side by side."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mhis.registry.search import log_listed

from . import merges, services
from .models import CandidatePair, Merge

LABELS = {
    "name": gettext_lazy("Name"), "birth": gettext_lazy("Date of birth"),
    "identifiers": gettext_lazy("Identifiers"), "sex": gettext_lazy("Sex"),
    "nationality": gettext_lazy("Nationality"), "origin": gettext_lazy("Country of origin"),
    "destination": gettext_lazy("Country of destination"),
    "sector": gettext_lazy("Occupation sector"), "arrival": gettext_lazy("Arrival date"),
}  # fmt: skip


@login_required
def queue(request):
    pairs = list(services.review_queue(request.user)[:100])
    log_listed(request.user, [p.left for p in pairs] + [p.right for p in pairs], "page:linkage")
    rows = [{"pair": p, "shown": services.shown_evidence(request.user, p)} for p in pairs]
    return render(request, "linkage/queue.html", {"rows": rows})


@login_required
def pair(request, pair_id):
    pair = get_object_or_404(
        services.visible_pairs(request.user).select_related(
            "left__registration_site", "right__registration_site"
        ),
        pk=pair_id,
    )
    errors = {}
    if request.method == "POST":
        try:
            decided = services.decide(
                request.user, pair, request.POST.get("decision", ""), request.POST.get("note", "")
            )
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            if decided.status == CandidatePair.Status.SAME:
                messages.success(
                    request,
                    _("Decision recorded: the later record is merged into the earlier one."),
                )
                return redirect("linkage:pair", pair_id=pair.pk)
            messages.success(request, _("Decision recorded."))
            return redirect("linkage:queue")
    log_listed(request.user, [pair.left, pair.right], "page:linkage-pair")
    shown = services.shown_evidence(request.user, pair)
    evidence = [
        {"label": LABELS.get(name, name), "weight": weight, "agreed": weight > 0}
        for name, weight in sorted(shown.comparisons.items(), key=lambda item: -item[1])
    ]
    merge = Merge.objects.filter(pair=pair, undone_at__isnull=True).first()
    context = {
        "pair": pair,
        "left": pair.left,
        "right": pair.right,
        "evidence": evidence,
        "shown": shown,
        "merge": merge,
        "errors": errors,
    }
    return render(request, "linkage/pair.html", context, status=422 if errors else 200)


@login_required
@require_POST
def unmerge(request, merge_id):
    """Undo a merge made from the queue; the pair goes back to the queue."""
    merge = get_object_or_404(merges.visible_merges(request.user), pk=merge_id)
    try:
        merges.unmerge(request.user, merge)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("The merge is undone: the two records stand on their own again.")
        )
    if merge.pair_id:
        return redirect("linkage:pair", pair_id=merge.pair_id)
    return redirect("registry:detail", person_id=merge.merged.uuid)
