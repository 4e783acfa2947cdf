"""Risk assessment and response (ADR 0031): the rapid risk assessment of an outbreak or of a
verified alert or signal (WHO, Rapid Risk Assessment of Acute Public Health Events, 2012),
the response actions with their owners and due dates, and the 7-1-7 timeliness of each
outbreak (detect within 7 days of emergence, notify within 1 day of detection, complete the
early response within 7 days of notification), shown by place and quarter.

Only those who handle alerts in the outbreak's (alert's, signal's) place write; those who read
alerts there read. Nothing here names a person: texts are about the event and a population."""

from __future__ import annotations

import datetime as dt
import io
import statistics
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mhis.access.policy import Can, require
from mhis.access.services import in_scope
from mhis.downloads import CsvWriter
from mhis.input import Errors, begin, clean_choice, clean_date, clean_text
from mhis.notifications.models import Kind
from mhis.notifications.services import notify
from mhis.places.models import Place, PlaceKind
from mhis.surveillance.models import (
    Alert,
    AlertState,
    Outbreak,
    OutbreakEvent,
    OutbreakState,
    Signal,
    SignalState,
)
from mhis.surveillance.outbreaks import period, visible_outbreaks
from mhis.surveillance.owners import officers_of

from .models import (
    ActionState,
    Bottleneck,
    Confidence,
    Consequence,
    Likelihood,
    ResponseAction,
    RiskAssessment,
    RiskLevel,
    Timeliness,
)

# -- the risk matrix ---------------------------------------------------------------------------

L, C, R = Likelihood, Consequence, RiskLevel
# WHO (2012), the risk matrix: a row per likelihood, a column per consequence
# (minimal, minor, moderate, major, severe).
MATRIX: dict[str, tuple[str, ...]] = {
    L.ALMOST_CERTAIN: (R.MODERATE, R.HIGH, R.HIGH, R.VERY_HIGH, R.VERY_HIGH),
    L.HIGHLY_LIKELY: (R.MODERATE, R.HIGH, R.HIGH, R.VERY_HIGH, R.VERY_HIGH),
    L.LIKELY: (R.MODERATE, R.MODERATE, R.HIGH, R.HIGH, R.VERY_HIGH),
    L.UNLIKELY: (R.LOW, R.MODERATE, R.MODERATE, R.HIGH, R.HIGH),
    L.VERY_UNLIKELY: (R.LOW, R.LOW, R.MODERATE, R.MODERATE, R.HIGH),
}
CONSEQUENCES = tuple(C.values)


def risk_level(likelihood: str, consequence: str) -> str:
    """The level the matrix gives a likelihood and a consequence."""
    return MATRIX[likelihood][CONSEQUENCES.index(consequence)]


def matrix_rows() -> list[dict[str, Any]]:
    """The matrix for a page: rows of (likelihood, levels by consequence)."""
    return [
        {"likelihood": L(code).label, "levels": [R(level) for level in MATRIX[code]]}
        for code in L.values
    ]


# -- who may do what ---------------------------------------------------------------------------


def _check(user, place: Place, capability: Can = Can.MANAGE_ALERTS) -> None:
    require(user, capability)
    if not in_scope(user, place):
        raise PermissionDenied(_("This place is not in your places."))


def place_of(subject: Outbreak | Alert | Signal) -> Place:
    if isinstance(subject, Outbreak):
        return subject.area
    if isinstance(subject, Alert):
        return subject.site
    return subject.place


def _begin(data: Any, allowed: tuple[str, ...]) -> Errors:
    """Start checking `data` (an object, known fields only); text holding the NUL character
    is refused naming its field (no database column stores it)."""
    errors = begin(data, allowed)
    for name in allowed:
        value = data.get(name)
        if isinstance(value, str) and "\x00" in value:
            errors.add(name, _("Text cannot contain the NUL character."))
    return errors


YEAR = dt.timedelta(days=366)
# The same action given again by the same user within this time is a double submit.
REPEAT_WINDOW = dt.timedelta(minutes=10)


def _id(value: Any) -> int | None:
    """A record number typed in a form or a body: digits only, at most 18 of them."""
    text = str(value if value is not None else "").strip()
    return int(text) if text.isdigit() and len(text) <= 18 else None


def _note(outbreak: Outbreak, user, what: str, note: str = "") -> None:
    OutbreakEvent.objects.create(outbreak=outbreak, what=what[:200], by=user, note=note)


# -- rapid risk assessment -----------------------------------------------------------------------

ASSESSMENT_FIELDS = (
    "hazard", "exposure", "context", "likelihood", "consequence", "level", "justification",
    "confidence", "actions",
)  # fmt: skip
VERIFIED_ALERT = (AlertState.CONFIRMED, AlertState.RESPONDED)
VERIFIED_SIGNAL = (SignalState.VERIFIED, SignalState.EVENT)


def refusal(subject: Outbreak | Alert | Signal) -> str:
    """Why `subject` cannot be assessed (an alert or signal not verified, an outbreak over),
    or ""."""
    if isinstance(subject, Outbreak) and subject.state == OutbreakState.OVER:
        return _("This outbreak is over; it is not assessed any more.")
    if isinstance(subject, Alert) and subject.state not in VERIFIED_ALERT:
        return _(
            "Only a verified alert is assessed: this alert is “%(state)s”; confirm it first."
        ) % {"state": subject.get_state_display()}
    if isinstance(subject, Signal) and subject.state not in VERIFIED_SIGNAL:
        return _(
            "Only a verified signal is assessed: this signal is “%(state)s”; verify it first."
        ) % {"state": subject.get_state_display()}
    return ""


def assess(user, subject: Outbreak | Alert | Signal, data: Any) -> RiskAssessment:
    """Record a rapid risk assessment of `subject`; the matrix gives the level, and an overall
    level that departs from it needs a justification. Earlier assessments stay as they were."""
    _check(user, place_of(subject))
    why = refusal(subject)
    if why:
        raise ValidationError({"subject": [why]})
    errors = _begin(data, ASSESSMENT_FIELDS)
    data = {k: ("" if isinstance(v, str) and "\x00" in v else v) for k, v in data.items()}
    texts = {
        name: clean_text(data.get(name), name, errors, required=True)
        for name in ("hazard", "exposure", "context")
    }
    likelihood = clean_choice(data.get("likelihood"), "likelihood", errors, Likelihood)
    consequence = clean_choice(data.get("consequence"), "consequence", errors, Consequence)
    confidence = clean_choice(data.get("confidence"), "confidence", errors, Confidence)
    level = data.get("level") or ""
    if level:
        level = clean_choice(level, "level", errors, RiskLevel)
    justification = clean_text(data.get("justification"), "justification", errors)
    actions = clean_text(data.get("actions"), "actions", errors)
    matrix = risk_level(likelihood, consequence) if likelihood and consequence else ""
    if matrix and level and level != matrix and not justification:
        errors.add(
            "justification",
            _("The matrix gives “%(matrix)s”; say why the overall risk is “%(level)s”.")
            % {"matrix": RiskLevel(matrix).label, "level": RiskLevel(level).label},
        )
    errors.check()
    key = {
        Outbreak: "outbreak", Alert: "alert", Signal: "signal"
    }[type(subject)]  # fmt: skip
    with transaction.atomic():
        made = RiskAssessment.objects.create(
            **{key: subject},
            **texts,
            likelihood=likelihood,
            consequence=consequence,
            matrix_level=matrix,
            level=level or matrix,
            justification=justification,
            confidence=confidence,
            actions=actions,
            by=user,
        )
        if isinstance(subject, Outbreak):
            _note(
                subject, user, _("Risk assessed: %(level)s") % {"level": made.get_level_display()}
            )
    return made


def assessments(user, subject: Outbreak | Alert | Signal):
    """The subject's assessments, newest first (the first stands; the others are superseded)."""
    _check(user, place_of(subject), Can.READ_ALERTS)
    return subject.assessments.select_related("by").order_by("-at", "-pk")


# -- response actions ---------------------------------------------------------------------------

ACTION_FIELDS = ("title", "owner", "due_on", "early", "assessment")


def owner_choices(outbreak: Outbreak):
    """Who may own an action: those who handle alerts in the outbreak's area."""
    return officers_of(outbreak.area)


def _action_text(message: Any, action: ResponseAction, **more: Any) -> str:
    """A notification's text, rendered in each recipient's language (`message` is lazy, the
    condition's name translated then too): condition, area and due day. Never the title: it
    is an officer's free text, and a notification travels by email and SMS, outside the
    application's access control (ADR 0030); the link leads to it."""
    outbreak = action.outbreak
    return str(message) % {
        "condition": outbreak.get_condition_display(),
        "area": outbreak.area.name,
        "due": action.due_on.isoformat(),
        **more,
    }


def _link(action: ResponseAction) -> str:
    return reverse("response:action", args=[action.pk])


def add_action(user, outbreak: Outbreak, data: Any) -> ResponseAction:
    """Give the outbreak an action with an owner (told of it) and a due date."""
    _check(user, outbreak.area)
    if outbreak.state == OutbreakState.OVER:
        raise ValidationError({"title": [_("This outbreak is over; it takes no new action.")]})
    errors = _begin(data, ACTION_FIELDS)
    data = {k: ("" if isinstance(v, str) and "\x00" in v else v) for k, v in data.items()}
    title = clean_text(data.get("title"), "title", errors, required=True, limit=200)
    # No owner named (an API call): the caller, who handles alerts in the area.
    owner_id = _id(data.get("owner")) if data.get("owner") not in (None, "") else user.pk
    owner = owner_choices(outbreak).filter(pk=owner_id).first() if owner_id else None
    if owner is None:
        errors.add("owner", _("Choose an owner who handles alerts in this outbreak's area."))
    due = clean_date(data.get("due_on"), "due_on", errors, required=True, future=True)
    if due is not None and due < timezone.localdate():
        errors.add("due_on", _("The due date is in the past."))
    elif due is not None and due > timezone.localdate() + YEAR:
        # Due in 9999, an action would never be overdue, so never escalated.
        errors.add("due_on", _("The due date is more than a year ahead."))
    assessment = None
    picked = str(data.get("assessment") or "").strip()
    if picked:
        number = _id(picked)
        assessment = outbreak.assessments.filter(pk=number).first() if number else None
        if assessment is None:
            errors.add("assessment", _("No assessment with this number for this outbreak."))
    early = data.get("early") in (True, "on", "true", "1", "yes")
    errors.check()
    assert owner is not None and due is not None
    with transaction.atomic():
        # A double submit assigns once: the same open action given by the same user a moment
        # ago is that action (the outbreak's row is locked so two requests find each other).
        Outbreak.objects.select_for_update().filter(pk=outbreak.pk).first()
        same = ResponseAction.objects.filter(
            outbreak=outbreak, created_by=user, title=title, owner=owner, due_on=due,
            early=early, assessment=assessment, state=ActionState.OPEN,
            created_at__gte=timezone.now() - REPEAT_WINDOW,
        ).first()  # fmt: skip
        if same is not None:
            return same
        action = ResponseAction.objects.create(
            outbreak=outbreak, assessment=assessment, title=title, owner=owner, due_on=due,
            early=early, created_by=user,
        )  # fmt: skip
        _note(
            outbreak,
            user,
            _("Action assigned to %(owner)s: %(title)s")
            % {"owner": owner.get_username(), "title": title},
        )
        subject = partial(
            _action_text,
            gettext_lazy("An action was assigned to you: %(condition)s, %(area)s. Due %(due)s."),
            action,
        )
        notify([owner], Kind.ACTION_ASSIGNED, subject, _link(action))
    return action


def visible_actions(user):
    require(user, Can.READ_ALERTS)
    outbreaks = visible_outbreaks(user).values("pk")
    return ResponseAction.objects.filter(outbreak__in=outbreaks).select_related(
        "outbreak", "outbreak__area", "owner"
    )


def move_action(user, action: ResponseAction, data: Any) -> ResponseAction:
    """Mark an open action done (on a day, today by default) or cancelled (with a reason)."""
    _check(user, action.outbreak.area)
    errors = _begin(data, ("state", "done_on", "reason"))
    data = {k: ("" if isinstance(v, str) and "\x00" in v else v) for k, v in data.items()}
    state = clean_choice(data.get("state"), "state", errors, ActionState)
    reason = clean_text(data.get("reason"), "reason", errors)
    done_on = clean_date(data.get("done_on"), "done_on", errors)
    if action.state != ActionState.OPEN:
        errors.add(
            "state",
            _("This action is “%(state)s” already; add a new one instead.")
            % {"state": action.get_state_display()},
        )
    elif state == ActionState.OPEN:
        errors.add("state", _("Choose done or cancelled."))
    elif state == ActionState.CANCELLED and not reason:
        errors.add("reason", _("Say why the action is cancelled."))
    if done_on and done_on < action.created_at.date() - YEAR:
        errors.add("done_on", _("This date is more than a year before the action was added."))
    elif done_on and action.early and state == ActionState.DONE:
        # The early response runs from the notification: done before it, the interval would
        # be negative and the target counted as met. A closed action is never reopened, so a
        # wrong day could not be corrected afterwards.
        record = Timeliness.objects.filter(outbreak=action.outbreak).first()
        notified = record.notified_on if record else None
        began = period(action.outbreak)[0]
        if notified is not None and done_on < notified:
            errors.add(
                "done_on",
                _("An early response action is done after the notification (%(day)s).")
                % {"day": notified.isoformat()},
            )
        elif notified is None and done_on < began:
            errors.add(
                "done_on",
                _("This date is before the outbreak began (%(day)s).") % {"day": began.isoformat()},
            )
    errors.check()
    with transaction.atomic():
        locked = ResponseAction.objects.select_for_update().get(pk=action.pk)
        if locked.state != ActionState.OPEN:
            raise ValidationError({"state": [_("Someone else changed this action; reload it.")]})
        locked.state = state
        if state == ActionState.DONE:
            locked.done_on = done_on or timezone.localdate()
        locked.reason = reason
        locked.save()
        _note(
            locked.outbreak,
            user,
            _("Action %(state)s: %(title)s")
            % {"state": locked.get_state_display(), "title": locked.title},
            reason,
        )
    return locked


def overdue_q(today: dt.date | None = None):
    from django.db.models import Q

    return Q(state=ActionState.OPEN, due_on__lt=today or timezone.localdate())


def escalate_actions(now: dt.datetime | None = None) -> list[int]:
    """Mark every open action past its due date and not yet escalated as escalated, with a
    note in the outbreak's history, and notify its owner and the officers of the place above
    the outbreak's area. Running it again escalates nothing twice."""
    now = now or timezone.now()
    done = []
    with transaction.atomic():
        late = (
            ResponseAction.objects.select_for_update(of=("self",))
            .filter(overdue_q(timezone.localdate(now)), escalated_at__isnull=True)
            .select_related("outbreak", "outbreak__area", "outbreak__area__parent", "owner")
            .order_by("pk")
        )
        for action in late:
            action.escalated_at = now
            action.save(update_fields=["escalated_at"])
            _note(
                action.outbreak,
                None,
                _("Action overdue, escalated: %(title)s (due %(due)s)")
                % {"title": action.title, "due": action.due_on.isoformat()},
            )
            subject = partial(
                _action_text,
                gettext_lazy("Overdue action: %(condition)s, %(area)s, due %(due)s."),
                action,
            )
            recipients = [action.owner, *officers_of(action.outbreak.area.parent)]
            notify(recipients, Kind.ACTION_OVERDUE, subject, _link(action))
            done.append(action.pk)
    return done


# -- 7-1-7 --------------------------------------------------------------------------------------

DATES = ("emerged_on", "detected_on", "notified_on", "responded_on")
STEPS = ("detect", "notify", "respond")
TIMELINESS_FIELDS = (
    *DATES,
    "responded_note",
    *tuple(f"{step}_{what}" for step in STEPS for what in ("bottleneck", "note")),
)


def targets() -> dict[str, int]:
    return {
        "detect": settings.MHIS_717_DETECT_DAYS,
        "notify": settings.MHIS_717_NOTIFY_DAYS,
        "respond": settings.MHIS_717_RESPOND_DAYS,
    }


def date_labels() -> dict[str, str]:
    return {
        "emerged_on": _("Emergence"),
        "detected_on": _("Detection"),
        "notified_on": _("Notification"),
        "responded_on": _("Early response completed"),
    }


def step_labels() -> dict[str, str]:
    return {
        "detect": _("Detection"),
        "notify": _("Notification"),
        "respond": _("Early response"),
    }


def early_response_done(outbreak: Outbreak) -> dt.date | None:
    """The day the last early-response action was done, when every one of them is done or
    cancelled and at least one is done; else None."""
    # From the actions as loaded (prefetched by the table: one query for every outbreak).
    rows = [(a.state, a.done_on) for a in outbreak.actions.all() if a.early]
    if not rows or any(state == ActionState.OPEN for state, _d in rows):
        return None
    done = [day for state, day in rows if state == ActionState.DONE and day]
    return max(done) if done else None


@dataclass
class Seven:
    """An outbreak's 7-1-7 dates, intervals (days) and whether each target was met."""

    dates: dict[str, dt.date | None]
    derived: bool  # the early response date comes from the early-response actions
    days: dict[str, int | None] = field(default_factory=dict)
    met: dict[str, bool | None] = field(default_factory=dict)
    bottlenecks: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def rows(self) -> list[dict[str, Any]]:
        """Per step (detect, notify, respond): label, target, days, met, bottleneck, note."""
        labels, goal = step_labels(), targets()
        return [
            {
                "step": step, "label": labels[step], "target": goal[step],
                "days": self.days.get(step), "met": self.met.get(step),
                "bottleneck": self.bottlenecks.get(step, ""), "note": self.notes.get(step, ""),
            }
            for step in STEPS
        ]  # fmt: skip

    @property
    def missed(self) -> list[str]:
        return [step for step in STEPS if self.met.get(step) is False]

    @property
    def all_met(self) -> bool | None:
        values = [self.met.get(step) for step in STEPS]
        if any(v is False for v in values):
            return False
        return True if all(v is True for v in values) else None


def seven(outbreak: Outbreak, record: Timeliness | None = None) -> Seven:
    """The 7-1-7 of an outbreak from its recorded dates (the early response from its actions
    where they give it)."""
    if record is None:
        record = Timeliness.objects.filter(outbreak=outbreak).first()
    dates: dict[str, dt.date | None] = {name: getattr(record, name, None) for name in DATES}
    derived = early_response_done(outbreak)
    if derived is not None:
        dates["responded_on"] = derived
    result = Seven(dates=dates, derived=derived is not None)
    pairs = {
        "detect": ("emerged_on", "detected_on"),
        "notify": ("detected_on", "notified_on"),
        "respond": ("notified_on", "responded_on"),
    }
    goal = targets()
    for step, (start, end) in pairs.items():
        a, b = dates[start], dates[end]
        days = (b - a).days if a and b else None
        result.days[step] = days
        result.met[step] = None if days is None else days <= goal[step]
        category = getattr(record, f"{step}_bottleneck", "") if record else ""
        result.bottlenecks[step] = str(Bottleneck(category).label) if category else ""
        result.notes[step] = getattr(record, f"{step}_note", "") if record else ""
    return result


def suggested_dates(outbreak: Outbreak) -> dict[str, str]:
    """What the 7-1-7 form offers before anything is recorded: detection on the day of the
    outbreak's first signal or the Monday of its first alert's week, notification on the day
    the outbreak was opened. Only suggestions: the officer corrects them."""
    return {
        "detected_on": period(outbreak)[0].isoformat(),
        "notified_on": timezone.localtime(outbreak.created_at).date().isoformat(),
    }


def record_timeliness(user, outbreak: Outbreak, data: Any) -> Timeliness:
    """Record the outbreak's 7-1-7 dates (in order, none in the future) and, for each target
    missed, the bottleneck that held it up."""
    _check(user, outbreak.area)
    errors = _begin(data, TIMELINESS_FIELDS)
    data = {k: ("" if isinstance(v, str) and "\x00" in v else v) for k, v in data.items()}
    dates = {name: clean_date(data.get(name), name, errors) for name in DATES}
    labels = date_labels()
    derived = early_response_done(outbreak)
    if derived is not None:
        dates["responded_on"] = derived
    began = period(outbreak)[0]
    previous = None
    for name in DATES:
        day = dates[name]
        if day is None:
            continue
        if day < began - YEAR:
            # A typo (0001, 2016 for 2026) would put the outbreak in another century's quarter.
            errors.add(
                name,
                _("This date is more than a year before the outbreak began (%(day)s).")
                % {"day": began.isoformat()},
            )
            continue
        if previous is not None and day < dates[previous]:  # type: ignore[operator]
            errors.add(
                name,
                _("%(this)s (%(day)s) is before %(earlier)s (%(before)s).")
                % {
                    "this": labels[name],
                    "day": day.isoformat(),
                    "earlier": labels[previous],
                    "before": dates[previous].isoformat(),  # type: ignore[union-attr]
                },
            )
        previous = name
    texts = {"responded_note": clean_text(data.get("responded_note"), "responded_note", errors)}
    for step in STEPS:
        category = data.get(f"{step}_bottleneck") or ""
        if category:
            category = clean_choice(category, f"{step}_bottleneck", errors, Bottleneck)
        texts[f"{step}_bottleneck"] = category
        texts[f"{step}_note"] = clean_text(data.get(f"{step}_note"), f"{step}_note", errors)
    if not errors:
        draft = Timeliness(outbreak=outbreak, **dates, **texts)
        result = seven(outbreak, draft)
        for step in result.missed:
            if not texts[f"{step}_bottleneck"]:
                errors.add(
                    f"{step}_bottleneck",
                    _("%(step)s took %(days)s days, the target is %(target)s: name the bottleneck.")
                    % {
                        "step": step_labels()[step],
                        "days": result.days[step],
                        "target": targets()[step],
                    },
                )
    errors.check()
    with transaction.atomic():
        record, _created = Timeliness.objects.update_or_create(
            outbreak=outbreak, defaults={**dates, **texts, "by": user}
        )
        _note(outbreak, user, _("7-1-7 dates recorded"))
    return record


# -- the performance table ----------------------------------------------------------------------

LEVELS = (PlaceKind.COUNTRY, PlaceKind.AREA)


def quarter_of(day: dt.date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


@dataclass
class Line:
    outbreak: Outbreak
    place: str
    quarter: str
    seven: Seven


@dataclass
class Group:
    place: str
    quarter: str
    lines: list[Line]
    median: dict[str, float | None]
    met: dict[str, int]
    measured: dict[str, int]
    all_met: int

    @property
    def cells(self) -> list[dict[str, Any]]:
        return [
            {"median": self.median[s], "met": self.met[s], "measured": self.measured[s]}
            for s in STEPS
        ]


def _ancestor(area: Place, level: str, cache: dict[int, Place]) -> Place:
    ids = [int(i) for i in area.path.strip("/").split("/") if i]
    missing = [i for i in ids if i not in cache]
    if missing:
        cache.update({p.pk: p for p in Place.objects.filter(pk__in=missing)})
    for pk in ids:  # the topmost of that kind: the country, or the region under it
        place = cache.get(pk)
        if place is not None and place.kind == level:
            return place
    return area


def performance(user, data: Any) -> tuple[list[Group], int, dict[str, str]]:
    """The 7-1-7 by place (grouped at `level`: country or area) and quarter (of detection), of
    the outbreaks in the user's places, filtered by `place` (a code) and `quarter` (2026-Q3).
    Returns the groups, how many outbreaks have no detection date yet, and the filters."""
    errors = Errors()
    level = data.get("level") or PlaceKind.COUNTRY
    if level not in LEVELS:
        errors.add(
            "level",
            _("“%(value)s” is not one of the levels: %(allowed)s.")
            % {"value": level, "allowed": ", ".join(LEVELS)},
        )
    code = (data.get("place") or "").strip()
    if "\x00" in code:  # PostgreSQL cannot compare text holding NUL
        errors.add("place", _("Text cannot contain the NUL character."))
        code = ""
    place = Place.objects.filter(code=code).first() if code else None
    if code and (place is None or not in_scope(user, place)):
        errors.add("place", _("No place with this code in your places."))
    quarter = (data.get("quarter") or "").strip().upper()
    if quarter and not _is_quarter(quarter):
        errors.add("quarter", _("Enter a quarter as YYYY-Qn, e.g. 2026-Q3."))
    errors.check()
    rows = visible_outbreaks(user).prefetch_related("actions")
    if place is not None:
        rows = rows.filter(area__path__startswith=place.path)
    records = {t.outbreak_id: t for t in Timeliness.objects.filter(outbreak__in=rows)}
    cache: dict[int, Place] = {}
    groups: dict[tuple[str, str], list[Line]] = {}
    undated = 0
    for outbreak in rows:
        result = seven(outbreak, records.get(outbreak.pk))
        detected = result.dates["detected_on"]
        if detected is None:
            undated += 1
            continue
        q = quarter_of(detected)
        if quarter and q != quarter:
            continue
        name = _ancestor(outbreak.area, level, cache).name
        groups.setdefault((name, q), []).append(Line(outbreak, name, q, result))
    out = []
    for (name, q), lines in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        median, met, measured = {}, {}, {}
        for step in STEPS:
            values = [ln.seven.days[step] for ln in lines if ln.seven.days[step] is not None]
            median[step] = statistics.median(values) if values else None
            measured[step] = len(values)
            met[step] = sum(1 for ln in lines if ln.seven.met[step] is True)
        all_met = sum(1 for ln in lines if ln.seven.all_met is True)
        lines.sort(key=lambda ln: (ln.seven.dates["detected_on"], ln.outbreak.pk))
        out.append(Group(name, q, lines, median, met, measured, all_met))
    return out, undated, {"level": level, "place": code, "quarter": quarter}


def _is_quarter(text: str) -> bool:
    year, sep, q = text.partition("-Q")
    return bool(sep) and year.isdigit() and len(year) == 4 and q in ("1", "2", "3", "4")


def performance_csv(groups: list[Group]) -> bytes:
    """The table as CSV: a row per outbreak (place, quarter, condition, dates, days, met,
    bottlenecks). Aggregate only: no person, no user."""
    out = io.StringIO()
    writer = CsvWriter(out)  # a cell that could run as a formula is neutralised
    writer.writerow(
        ["place", "quarter", "outbreak", "condition", "area", *DATES]
        + [f"{s}_days" for s in STEPS]
        + [f"{s}_met" for s in STEPS]
        + [f"{s}_bottleneck" for s in STEPS]
    )
    for group in groups:
        for line in group.lines:
            s = line.seven
            writer.writerow(
                [group.place, group.quarter, line.outbreak.pk, line.outbreak.condition,
                 line.outbreak.area.name]
                + [s.dates[d].isoformat() if s.dates[d] else "" for d in DATES]  # type: ignore[union-attr]
                + ["" if s.days[x] is None else s.days[x] for x in STEPS]
                + ["" if s.met[x] is None else ("yes" if s.met[x] else "no") for x in STEPS]
                + [s.bottlenecks[x] for x in STEPS]
            )  # fmt: skip
    return out.getvalue().encode("utf-8")


def summary(user, outbreak: Outbreak) -> dict[str, Any]:
    """What the outbreak page shows of the response."""
    require(user, Can.READ_ALERTS)
    latest = outbreak.assessments.select_related("by").order_by("-at", "-pk").first()
    return {
        "assessment": latest,
        "assessment_count": outbreak.assessments.count(),
        "actions": list(outbreak.actions.select_related("owner").order_by("state", "due_on")),
        "seven": seven(outbreak),
        "targets": targets(),
        "today": timezone.localdate(),
    }
