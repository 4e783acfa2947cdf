"""Dashboards: an overview per place and period, a page per indicator with its chart, table,
drill-down by place and downloads. Everything shown has been through the firewall and
disclosure control (`services.published`)."""

from __future__ import annotations

import datetime as dt
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mhis.access.policy import Can, allowed, require
from mhis.care.codes import AssessmentType, EncounterKind, ReferralKind, ReferralStatus
from mhis.care.templatetags.care import vaccine
from mhis.places.models import Place, PlaceKind
from mhis.registry.codes import MigrationStatus, Sex
from mhis.registry.templatetags.registry import country

from . import charts, dhis2, exports, services
from . import periods as P
from .definitions import DefinitionError
from .disclosure import Shown, legend, no_data, text
from .forms import MappingForm, PushForm
from .models import ExportMapping

DIMENSION_LABELS = {
    "sex": gettext_lazy("Sex"),
    "age_group": gettext_lazy("Age group"),
    "nationality": gettext_lazy("Nationality"),
    "migration_status": gettext_lazy("Migration status"),
    "place": gettext_lazy("Place"),
    "antigen": gettext_lazy("Antigen"),
    "kind": gettext_lazy("Kind"),
    "type": gettext_lazy("Type"),
    "status": gettext_lazy("Status"),
    "programme": gettext_lazy("Destination programme"),
}
AGE_LABELS = {
    "Y0T4": gettext_lazy("0–4 years"),
    "Y5T14": gettext_lazy("5–14 years"),
    "Y15T24": gettext_lazy("15–24 years"),
    "Y25T49": gettext_lazy("25–49 years"),
    "Y50T64": gettext_lazy("50–64 years"),
    "Y_GE65": gettext_lazy("65 years and over"),
    "UNK": gettext_lazy("Unknown"),
}
UNIT_LABELS = {
    "count": gettext_lazy("number"),
    "percentage": gettext_lazy("%"),
    "per100k": gettext_lazy("per 100,000"),
    "median_days": gettext_lazy("days (median)"),
    "p90_days": gettext_lazy("days (90th percentile)"),
}
PERIOD_LABELS = {
    "week": gettext_lazy("Week"),
    "month": gettext_lazy("Month"),
    "quarter": gettext_lazy("Quarter"),
    "year": gettext_lazy("Year"),
}
CODED = {
    "sex": Sex,
    "migration_status": MigrationStatus,
    "type": AssessmentType,
    "status": ReferralStatus,
}


class Labels:
    """How dimensions and their values read on a page, in the current language."""

    def __init__(self, place: Place | None):
        below = Place.objects.filter(path__startswith=place.path) if place else Place.objects.all()
        self.places = {p.path: p for p in below.only("path", "name", "code")}

    def dimension(self, dim: str) -> str:
        return str(DIMENSION_LABELS.get(dim, dim))

    def value(self, dim: str, value) -> str:
        if value is None:
            return _("All")
        if dim == "place":
            return self.places[value].name if value in self.places else value
        if dim == "age_group":
            return str(AGE_LABELS.get(value, value))
        if dim == "nationality":
            return _("Unknown") if value == "UNK" else country(value)
        if dim == "antigen":
            return vaccine(value)
        if dim == "kind":
            for choices in (EncounterKind, ReferralKind):
                if value in choices.values:
                    return str(choices(value).label)
        if dim in CODED and value in CODED[dim].values:
            return str(CODED[dim](value).label)
        return str(value)


def _choices(request):
    """Place, period kind, period and disaggregation from the query, with defaults."""
    user = request.user
    code = request.GET.get("place")
    if code:
        place = Place.objects.filter(code=code).first()
        if place is None:
            raise Http404(_("No such place."))
    else:
        place = services.home_place(user)
        if place is None:
            raise PermissionDenied(_("You have no place in your scope yet."))
    services.check_place(user, place)
    kind = request.GET.get("every", "quarter")
    if kind not in PERIOD_LABELS:
        kind = "quarter"
    key = request.GET.get("period") or P.containing(timezone.localdate(), kind).key
    today = timezone.localdate()
    try:
        period = P.parse(key)
    except ValueError:
        period = P.containing(today, kind)
    if "every" in request.GET and period.type != kind:
        # Another kind of period was chosen: the one of that kind within the period shown
        # (its latest, up to today), so "Month" after 2026-Q4 shows a month of that quarter.
        last = min(period.end - dt.timedelta(days=1), max(today, period.start))
        period = P.containing(last, kind)
    return place, period.type, period


def _previous(period: P.Period, n: int) -> list[P.Period]:
    """`period` and the n − 1 before it, oldest first — fewer at the calendar's beginning."""
    out = [period]
    while len(out) < n:
        before = P.containing(out[0].start - dt.timedelta(days=1), period.type)
        if before.start.year < P.FIRST_YEAR:
            break
        out.insert(0, before)
    return out


def _trail(place: Place) -> list[Place]:
    ids = [int(i) for i in place.path.strip("/").split("/")]
    by_id = {p.pk: p for p in Place.objects.filter(pk__in=ids)}
    return [by_id[i] for i in ids if i in by_id]


def _link(place: Place, period: P.Period, **extra) -> str:
    return "?" + urlencode(
        {"place": place.code, "period": period.key, "every": period.type, **extra}
    )


@login_required
def overview(request):
    place, kind, period = _choices(request)
    previous = _previous(period, 2)[0]  # the period itself at the calendar's beginning
    shared: dict = {}
    rows = []
    exact = False
    for indicator in services.visible_indicators(request.user):
        result = services.published(
            request.user,
            indicator.code,
            sorted({previous.key, period.key}),
            place,
            (),
            shared=shared,
        )
        exact = result.exact
        by_period = {c.key[0]: c for c in result.cells}
        rows.append(
            {
                "indicator": indicator,
                "name": _(indicator.name),
                "unit": UNIT_LABELS[indicator.unit],
                "now": _shown(
                    _present(by_period.get(period.key), indicator, period.key), indicator
                ),
                "before": _shown(
                    _present(by_period.get(previous.key), indicator, previous.key), indicator
                ),
            }
        )
    return render(
        request,
        "indicators/overview.html",
        {
            "place": place,
            "trail": _trail(place),
            "period": period,
            "previous": previous,
            "kinds": PERIOD_LABELS,
            "kind": kind,
            "rows": rows,
            "legend": legend("percentage", exact=exact),
            "exchange": allowed(request.user, Can.MANAGE_EXCHANGE),
            "step": {
                "back": _link(place, _previous(period, 2)[0]),
                "next": _link(place, P.containing(period.end, kind)),
            },
        },
    )


def _present(cell, indicator, key):
    """The cell, or where the table has none (nothing recorded): a count of 0 for a count,
    as every empty category of a breakdown is; nothing for a rate, a median or a percentile."""
    if cell is None and indicator.unit == "count":
        return Shown((key,), 0, None, 0.0)
    return cell


def _shown(cell, indicator) -> dict:
    """A cell as a table shows it: its text and what it is (shown, withheld, no data)."""
    status = _status(cell)
    if status == charts.NO_DATA:
        return {"text": no_data(), "status": status}
    return {"text": text(cell, indicator.unit, indicator.suppression), "status": status}


def _status(cell) -> str:
    if cell is None:
        return charts.NO_DATA
    if cell.hidden:
        return charts.WITHHELD
    return charts.NO_DATA if cell.value is None else charts.SHOWN


@login_required
def indicator_page(request, code):
    place, kind, period = _choices(request)
    try:
        indicator = services.get(code)
    except ValidationError:
        raise Http404(_("No such indicator.")) from None
    if indicator not in services.visible_indicators(request.user):
        raise Http404(_("No such indicator."))
    dims = services.dimensions(request.user, indicator, place)
    by = request.GET.get("by", "place" if "place" in dims else "")
    if by and by not in dims:
        if by in indicator.disaggregations:
            messages.info(request, _("That breakdown is not available to you for this place."))
        by = ""
    labels = Labels(place)
    current = services.published(request.user, code, [period.key], place, (by,) if by else ())
    trend_periods = _previous(period, 8)
    trend = services.published(request.user, code, [p.key for p in trend_periods], place, ())
    fmt = request.GET.get("format")
    if fmt in ("dhis2", "adx"):
        try:
            mapping, values, _withheld = exports.for_indicator(
                request.user, code, place, [period.key]
            )
            if fmt == "dhis2":
                document = exports.dhis2(mapping, values)
                body = json.dumps(document, ensure_ascii=False, indent=1).encode()
                content_type, suffix = "application/json", "json"
            else:
                body = exports.adx(mapping, values)
                content_type, suffix = "application/adx+xml", "adx.xml"
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        except ValueError as exc:  # nothing left to send
            messages.error(request, str(exc))
        else:
            response = HttpResponse(body, content_type=content_type)
            response["Content-Disposition"] = (
                f'attachment; filename="{code}_{place.code}_{period.key}.{suffix}"'
            )
            return response
    if fmt in ("csv", "xlsx"):
        rows = exports.shown_rows(current, labels)
        name = f"{code}_{place.code}_{period.key}"
        if fmt == "csv":
            response = HttpResponse(exports.to_csv(rows), content_type="text/csv; charset=utf-8")
        else:
            response = HttpResponse(
                exports.to_xlsx(rows, code),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
        return response
    table = []
    for cell in current.cells:
        value = cell.key[1] if by else None
        child = labels.places.get(value) if by == "place" and value != place.path else None
        table.append(
            {
                "label": labels.value(by, value) if by else _("All"),
                "total": by and value is None,
                "numerator": cell.numerator,
                "denominator": cell.denominator,
                **_shown(cell, indicator),
                "hidden": cell.hidden,
                "drill": _link(child, period, by="place") if child else "",
            }
        )
    # Every part in the chart, in the table's order: a withheld part or one without data is
    # a marked gap, never a bar of 0.
    bars = [
        {"label": row["label"], "value": cell.value, "status": row["status"], "mark": row["text"]}
        for row, cell in zip(table, current.cells, strict=True)
        if not row["total"]
    ]
    by_period = {c.key[0]: c for c in trend.cells}
    line = []
    for p in trend_periods:
        cell = _present(by_period.get(p.key), indicator, p.key)
        shown = _shown(cell, indicator)
        line.append(
            {
                "period": p.key,
                "value": cell.value if cell else None,
                "status": shown["status"],
                "mark": shown["text"],
            }
        )
    unit = str(UNIT_LABELS[indicator.unit])
    return render(
        request,
        "indicators/indicator.html",
        {
            "indicator": indicator,
            "name": _(indicator.name),
            "description": _(indicator.description) if indicator.description else "",
            "unit": unit,
            "place": place,
            "trail": _trail(place),
            "period": period,
            "kind": kind,
            "kinds": PERIOD_LABELS,
            "by": by,
            "dims": [(d, labels.dimension(d)) for d in dims],
            "by_label": labels.dimension(by) if by else "",
            "table": table,
            "rate": indicator.denominator is not None,
            "chart": charts.bars(bars, labels.dimension(by) if by else "", unit)
            if any(b["status"] == charts.SHOWN for b in bars)
            else "",
            "trend": charts.line(line, str(PERIOD_LABELS[kind]), unit)
            if sum(p["status"] == charts.SHOWN for p in line) > 1
            else "",
            "legend": legend(
                indicator.unit,
                indicator.suppression,
                exact=current.exact,
                status="migration_status" in current.by,
            ),
            "download": _link(place, period, by=by),
            "exchange": _link(place, period)
            if exports.exportable(request.user, code, place)
            else "",
        },
    )


@login_required
def dhis2_page(request):
    """The DHIS2 mapping (see it, check a new one line by line, save it) and a push to the
    DHIS2 server: a dry run first, its import summary shown, then the import when asked."""
    require(request.user, Can.MANAGE_EXCHANGE)
    try:
        text, source = exports.mapping_text()
    except DefinitionError as exc:
        text, source = "", str(exc)
    saved = ExportMapping.objects.select_related("saved_by").order_by("-saved_at", "-pk").first()
    mapping_form = MappingForm(initial={"text": text})
    home = services.home_place(request.user)
    push_form = PushForm(
        initial={
            "place": home.code if home else "",
            "period": P.containing(timezone.localdate(), "quarter").key,
        }
    )
    problems: list[str] = []
    error_items: list[dict] = []
    summaries: list[dhis2.Summary] = []
    left_out: list[str] = []
    action = request.POST.get("action", "")
    if request.method == "POST" and action in ("check", "save"):
        mapping_form = MappingForm(request.POST, request.FILES)
        if mapping_form.is_valid():
            new = mapping_form.cleaned_data["text"]
            _mapping, found = exports.check_mapping(new, _("the mapping"))
            if not found and not request.user.is_superuser:
                found = exports.remapped_outside(request.user, new)
            problems = [
                (_("Line %(n)s: %(field)s: %(message)s") if line else "%(field)s: %(message)s")
                % {"n": line, "field": field, "message": message}
                for line, field, message in found
            ]
            error_items = [{"id": "id_text", "message": p} for p in problems]
            if not found and action == "save":
                ExportMapping.objects.create(text=new, saved_by=request.user)
                messages.success(request, _("Mapping saved: it is now the one in force."))
                return redirect("indicators:dhis2")
            if not found:
                messages.success(request, _("The mapping is valid. Save it to put it in force."))
            mapping_form = MappingForm(initial={"text": new})
    elif request.method == "POST" and action in ("dry_run", "commit"):
        push_form = PushForm(request.POST)
        if push_form.is_valid():
            summaries, left_out, error_items = _push(request, push_form.cleaned_data, action)
    return render(
        request,
        "indicators/dhis2.html",
        {
            "mapping_form": mapping_form,
            "push_form": push_form,
            "source": source,
            "saved": saved,
            "problems": problems,
            "error_items": error_items,
            "summaries": summaries,
            "left_out": left_out,
            "server": dhis2.Server.from_settings().shown,
        },
    )


def _push(request, data, action):
    """A dry run, then (action "commit", and only when the dry run is clean) the import."""
    place = Place.objects.filter(code=data["place"].strip()).first()
    if place is None:
        return [], [], [{"id": "id_place", "message": _("No place has this code.")}]
    keys = [data["period"]]
    try:
        mapping, rows, withheld, left_out = exports.for_push(
            request.user, place, keys, children=data["children"] and place.kind != PlaceKind.SITE
        )
        if not rows:
            raise ValueError(_("Nothing to send: every value is empty."))
        document = exports.dhis2(mapping, rows)
        summaries = [dhis2.push(document, dry_run=True)]
        if action == "commit" and summaries[0].clean:
            summaries.append(dhis2.push(document, dry_run=False))
        elif action == "commit":
            messages.error(request, _("Nothing imported: the dry run reports conflicts."))
    except PermissionDenied:
        raise
    except (ValueError, ValidationError, dhis2.PushError) as exc:
        message = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        return [], [], [{"id": "", "message": message}]
    messages.info(
        request,
        _("%(n)s values, %(w)s of them withheld (sent as a comment without a value).")
        % {"n": len(rows), "w": withheld},
    )
    return summaries, left_out, []
