"""Pages of the review queue: the pairs to decide, and one pair side by side."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mhis.formtools import error_items
from mhis.registry.presentation import shown_identifiers
from mhis.registry.search import log_listed

from . import merges, services
from .models import CandidatePair, LinkRun, Merge
from .tasks import start_linkage

SCRIPTS = {
    "Latn": gettext_lazy("Latin letters"), "Mymr": gettext_lazy("Myanmar script"),
    "Khmr": gettext_lazy("Khmer script"), "Laoo": gettext_lazy("Lao script"),
    "Thai": gettext_lazy("Thai script"), "Sinh": gettext_lazy("Sinhala script"),
    "Deva": gettext_lazy("Devanagari"), "Arab": gettext_lazy("Arabic script"),
}  # fmt: skip
ORDERS = {"probability": gettext_lazy("Strongest first"), "newest": gettext_lazy("Newest first")}
PAGE_SIZE = 50


@login_required
def queue(request):
    """The review queue, a page at a time, filtered by place and by the script of the
    names, with the runs and a button to start one."""
    filters = services.queue_filters(request.user, request.GET)
    pairs = services.review_queue(request.user, **filters)
    page = Paginator(pairs, PAGE_SIZE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    log_listed(request.user, [p.left for p in shown] + [p.right for p in shown], "page:linkage")
    rows = [{"pair": p, "shown": services.shown_evidence(request.user, p)} for p in shown]
    scripts = [(code, SCRIPTS.get(code, code)) for code in services.queue_scripts(request.user)]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "rows": rows,
        "page": page,
        "query": query.urlencode(),
        "places": services.queue_places(request.user),
        "scripts": scripts,
        "orders": list(ORDERS.items()),
        "chosen": {
            "place": request.GET.get("place", ""),
            "script": filters["script"],
            "order": filters["order"],
        },
        "runs": LinkRun.objects.all()[:5],
    }
    return render(request, "linkage/queue.html", context)


@login_required
@require_POST
def start(request):
    """Start a linkage run on the worker."""
    try:
        start_linkage(request.user, scope=request.POST.get("scope", LinkRun.Scope.NEW))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("The linkage run is queued; its pairs appear here when it is done.")
        )
    return redirect("linkage:queue")


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
        decision, note = request.POST.get("decision", ""), request.POST.get("note", "")
        confirmed = request.POST.get("confirm") == "1"
        try:
            if decision == CandidatePair.Status.SAME and not confirmed:
                # Nothing moves yet: the reviewer sees what would and confirms.
                services.check_decision(request.user, pair, decision, note)
                return _confirm_merge(request, pair, note)
            decided = services.decide(request.user, pair, decision, note)
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
        {
            "label": services.LABELS.get(name, name),
            "weight": weight,
            "agreed": weight > 0,
            "compared": weight != 0,  # 0: a side had no value (the null level)
        }
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
        "conflicts": merges.conflict_messages(merge) if merge else [],
        "errors": errors,
        "error_items": error_items(errors, {"decision": "decision-same", "note": "note"}),
        "typed": request.POST,
    }
    return render(request, "linkage/pair.html", context, status=422 if errors else 200)


def _confirm_merge(request, pair, note: str):
    """The page that asks to confirm a merge, showing what it moves to the earlier record."""
    log_listed(request.user, [pair.left, pair.right], "page:linkage-merge-confirm")
    preview = merges.merge_preview(request.user, pair.left, pair.right)
    context = {
        "pair": pair,
        "survivor": pair.left,
        "merged": pair.right,
        "preview": preview,
        "identifiers": shown_identifiers(pair.right, request.user),
        "note": note,
    }
    return render(request, "linkage/confirm_merge.html", context)


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
