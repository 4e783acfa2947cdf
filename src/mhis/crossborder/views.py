"""Pages for sharing across borders (docs/decisions/0032): what twins shared with us and what
we sent, one shared item with its acknowledgement, the confirmation page that shows exactly
what will be sent, and the twinnings. The rules live in `services`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from mhis.access.policy import Can, allowed, require
from mhis.formtools import error_items
from mhis.surveillance import outbreaks as outbreak_svc
from mhis.surveillance.conditions import BY_CODE
from mhis.surveillance.models import AlertState, OutbreakState, SignalSource, SignalState
from mhis.surveillance.services import visible_alerts

from . import services as svc
from .models import Share, ShareKind


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


# The alert's method as its page names it.
METHODS = {
    "threshold": lambda: _("a fixed number of cases"),
    "farrington": lambda: _("improved Farrington method"),
    "ears_c2": lambda: _("EARS C2, a short history"),
}


def condition_label(c: dict) -> str:
    """The snapshot's condition in the reader's language (from its code)."""
    code = c.get("condition")
    return str(BY_CODE[code].name) if code in BY_CODE else str(c.get("condition_name", ""))


def describe(c: dict) -> list[tuple[str, object]]:
    """A snapshot as the lines the pages show (labels in the reader's language); every key
    of the snapshot but the curve and the message is one line."""
    kind = c.get("kind")
    condition = (
        BY_CODE[c["condition"]].name if c.get("condition") in BY_CODE else c.get("condition_name")
    )
    lines: list[tuple[str, object]] = [
        (_("What"), _label(ShareKind, kind)),
        (_("Condition"), condition or "—"),
        (_("Place"), f"{c.get('place')} ({c.get('country')})"),
        (_("Sent to"), c.get("twin")),
        (_("Agreement"), c.get("agreement")),
    ]
    if kind == ShareKind.ALERT:
        lines += [
            (_("Site"), c.get("site") or _("not named (a small site)")),
            (_("ISO week"), c.get("week")),
            (_("Cases"), c.get("observed")),
            (_("Expected"), "—" if c.get("expected") is None else c.get("expected")),
            (_("Alert above"), c.get("threshold")),
            (
                _("Method"),
                METHODS[c["method"]]() if c.get("method") in METHODS else c.get("method"),
            ),
            (_("State"), _label(AlertState, c.get("state"))),
        ]
    elif kind == ShareKind.SIGNAL:
        lines += [
            (_("Site"), c.get("site") or _("not named (a small site)")),
            (_("Date"), c.get("date")),
            (_("Source"), _label(SignalSource, c.get("source"))),
            (_("State"), _label(SignalState, c.get("state"))),
        ]
    elif kind == ShareKind.OUTBREAK:
        lines += [
            (_("Sites"), ", ".join(c.get("sites") or []) or _("not named (small sites)")),
            (_("State"), _label(OutbreakState, c.get("state"))),
            (_("Declared"), c.get("declared_on") or "—"),
            (_("Period"), f"{c.get('start')} – {c.get('end')}"),
            (_("Alerts"), c.get("alerts")),
            (_("Signals"), c.get("signals")),
        ]
    return lines


def _list(request, rows_of, template_title, sent: bool):
    state = request.GET.get("state", "")
    try:
        rows = list(rows_of(request.user, state)[:500])
        for row in rows:
            row.condition_label = condition_label(row.content)
    except ValidationError as exc:
        context = {"rows": [], "error_items": error_items(exc.message_dict), "sent": sent}
        return render(request, "crossborder/list.html", context, status=400)
    context = {
        "rows": rows,
        "state": state,
        "states": [
            ("unacknowledged", _("Not yet acknowledged")),
            ("acknowledged", _("Acknowledged")),
        ],
        "sent": sent,
        "title": template_title,
    }
    return render(request, "crossborder/list.html", context)


@login_required
def inbox(request):
    return _list(request, svc.shared_with_us, _("Shared with us"), sent=False)


@login_required
def sent(request):
    return _list(request, svc.sent_by_us, _("Sent by us"), sent=True)


@login_required
def share_detail(request, share_id):
    try:
        row = svc.visible_share(request.user, share_id)
    except Share.DoesNotExist:
        raise Http404 from None
    errors: dict = {}
    if request.method == "POST":
        try:
            row, done = svc.acknowledge(request.user, row, request.POST.get("reply", ""))
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            if done:
                messages.success(request, _("Acknowledged. The sender is told."))
            else:
                messages.info(
                    request,
                    _("Already acknowledged by %(user)s.")
                    % {"user": row.acknowledged_by.username if row.acknowledged_by else "—"},
                )
            return redirect("crossborder:share", share_id=row.pk)
    context = {
        "share": row,
        "c": row.content,
        "condition": condition_label(row.content),
        "lines": describe(row.content),
        "received": svc.received(request.user, row),
        "can_acknowledge": svc.can_acknowledge(request.user, row),
        "errors": errors,
        "error_items": error_items(errors, {"reply": "reply"}),
        "typed": request.POST,
    }
    return render(request, "crossborder/share.html", context, status=422 if errors else 200)


def _original(user, kind: str, object_id: int):
    if kind == ShareKind.ALERT:
        return get_object_or_404(visible_alerts(user), pk=object_id)
    if kind == ShareKind.SIGNAL:
        return get_object_or_404(outbreak_svc.visible_signals(user), pk=object_id)
    if kind == ShareKind.OUTBREAK:
        return get_object_or_404(outbreak_svc.visible_outbreaks(user), pk=object_id)
    raise Http404


@login_required
def share_new(request, kind, object_id):
    """The confirmation page: exactly what will be sent to the chosen twin, a message, Send."""
    require(request.user, Can.MANAGE_ALERTS)
    obj = _original(request.user, kind, object_id)
    _kind, place = svc.subject_of(obj)
    twins = svc.twins_of(place)
    if not twins:
        raise Http404(_("This place is not twinned with a place across a border."))
    chosen = request.POST.get("twin") or request.GET.get("twin") or str(twins[0][0].pk)
    errors: dict = {}
    if request.method == "POST" and request.POST.get("action") == "send":
        try:
            row = svc.share(
                request.user,
                obj,
                chosen,
                request.POST.get("message", ""),
                seen=request.POST.get("seen", ""),
            )
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            messages.success(request, _("Sent to %(twin)s.") % {"twin": row.to_place.name})
            return redirect("crossborder:share", share_id=row.pk)
    try:
        data = svc.preview(request.user, obj, chosen)
    except ValidationError:
        chosen = str(twins[0][0].pk)
        data = svc.preview(request.user, obj, chosen)
    context = {
        "obj": obj,
        "kind": kind,
        "twins": twins,
        "chosen": chosen,
        "c": data,
        "lines": describe(data),
        "seen": svc.digest(data),
        "back": svc.link_of(obj),
        "errors": errors,
        "error_items": error_items(errors, {"message": "message"}),
        "typed": request.POST,
    }
    return render(request, "crossborder/confirm.html", context, status=422 if errors else 200)


@login_required
def twinnings(request):
    """The twinnings of the user's places; administrators add one and end or resume them."""
    rows = svc.visible_twinnings(request.user)
    manages = allowed(request.user, Can.MANAGE_PLACES)
    errors: dict = {}
    if request.method == "POST":
        require(request.user, Can.MANAGE_PLACES)
        try:
            if request.POST.get("action") in ("end", "resume"):
                number = request.POST.get("twinning", "").strip()
                found = get_object_or_404(
                    rows, pk=int(number) if number.isdigit() and len(number) <= 18 else 0
                )
                svc.set_active(request.user, found, request.POST["action"] == "resume")
                messages.success(request, _("Twinning updated."))
            else:
                svc.twin(
                    request.user,
                    request.POST.get("place", ""),
                    request.POST.get("twin", ""),
                    request.POST.get("agreement", ""),
                )
                messages.success(request, _("Places twinned."))
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            return redirect("crossborder:twinnings")
    context = {
        "rows": list(rows),
        "manages": manages,
        "errors": errors,
        "error_items": error_items(
            errors, {"place": "place", "twin": "twin", "agreement": "agreement"}
        ),
        "typed": request.POST,
    }
    return render(request, "crossborder/twinnings.html", context, status=422 if errors else 200)
