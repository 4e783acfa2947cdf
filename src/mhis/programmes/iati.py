"""Projects as IATI activities (standard 2.03): export in the element order the schema
requires, and import of activity files (ours, or a donor's), reporting what could not be
mapped. A project's IATI identifier is set when it is first published and kept after.

What IATI has no element for (project type, themes, GCM objectives, region) travels as
tags of vocabulary 99 ("reporting organisation") with an `mhis:` prefix, so a file MHIS
wrote reads back into the same projects.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET  # writing only; reading goes through defusedxml
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from defusedxml import ElementTree as SafeET
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mhis.codelists import normalise_language

from . import codes
from .models import (
    Budget,
    DocumentLink,
    Organisation,
    Participation,
    Project,
    Result,
    ResultIndicator,
    ResultPeriod,
)
from .services import in_places

VERSION = "2.03"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
OURS = "99"  # IATI TagVocabulary / IndicatorVocabulary: the reporting organisation's own
SECTOR = {"assessment": "12220", "promotion": "12220", "crisis": "72010", "policy": "12110"}
DATE_TYPES = (("1", "planned_start"), ("2", "actual_start"), ("3", "planned_end"), ("4", "actual_end"))  # fmt: skip
MAPPED = {
    "iati-identifier", "reporting-org", "title", "description", "participating-org",
    "other-identifier", "activity-status", "activity-date", "activity-scope",
    "recipient-country", "tag", "budget", "document-link", "result", "sector",
}  # fmt: skip


def reporting_org() -> dict:
    return {
        "ref": getattr(settings, "MHIS_IATI_REPORTING_ORG", "XM-DAC-47066"),
        "name": getattr(
            settings, "MHIS_IATI_REPORTING_ORG_NAME", "International Organization for Migration"
        ),
        "type": getattr(settings, "MHIS_IATI_REPORTING_ORG_TYPE", "40"),
    }


def _text(parent: ET.Element, tag: str, text: str, **attrs) -> ET.Element:
    element = ET.SubElement(parent, tag, {k.replace("_", "-"): v for k, v in attrs.items()})
    ET.SubElement(element, "narrative").text = text
    return element


def _empty(parent: ET.Element, tag: str, **attrs) -> ET.Element:
    return ET.SubElement(parent, tag, {k.replace("_", "-"): str(v) for k, v in attrs.items()})


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}"


@transaction.atomic
def publish_identifiers(projects) -> None:
    """Give each project its IATI identifier the first time it is published."""
    prefix = reporting_org()["ref"]
    now = timezone.now()
    for project in projects:
        if not project.iati_identifier:
            project.iati_identifier = f"{prefix}-{project.code}"
            project.published_at = now
            project.save(update_fields=["iati_identifier", "published_at"])


def _activity(root: ET.Element, project: Project, org: dict) -> None:
    problems = []
    if not any(getattr(project, name) for _, name in DATE_TYPES):
        problems.append(
            _("%(code)s: give at least one date (planned or actual start or end).")
            % {"code": project.code}
        )
    if problems:
        raise ValidationError(problems)
    activity = _empty(
        root,
        "iati-activity",
        last_updated_datetime=project.updated_at.replace(microsecond=0).isoformat(),
        default_currency=project.default_currency,
    )
    activity.set(XML_LANG, project.language or "en")
    ET.SubElement(activity, "iati-identifier").text = project.iati_identifier
    _text(activity, "reporting-org", org["name"], ref=org["ref"], type=org["type"])
    _text(activity, "title", project.title)
    _text(activity, "description", project.description or project.title, type="1")
    participations = list(project.participations.select_related("organisation"))
    if not participations:
        _text(
            activity, "participating-org", org["name"], ref=org["ref"], type=org["type"], role="2"
        )
    for p in participations:
        attrs = {"role": p.role}
        if p.organisation.ref:
            attrs["ref"] = p.organisation.ref
        if p.organisation.type:
            attrs["type"] = p.organisation.type
        _text(activity, "participating-org", p.organisation.name, **attrs)
    _empty(activity, "other-identifier", ref=project.code, type="A1")
    _empty(activity, "activity-status", code=project.status)
    for code, name in DATE_TYPES:
        if day := getattr(project, name):
            _empty(activity, "activity-date", iso_date=day.isoformat(), type=code)
    _empty(activity, "activity-scope", code=codes.SCOPE_OF[project.coverage])
    countries = project.countries or []
    shares = _shares(len(countries))
    for country, share in zip(countries, shares, strict=True):
        _empty(activity, "recipient-country", code=country, percentage=share)
    _empty(activity, "sector", code=SECTOR[project.type], vocabulary="1")
    tags = [("type", project.type, codes.ProjectType(project.type).label)]
    tags += [
        ("theme", t, codes.Theme(t).label) for t in project.themes or [] if t in codes.Theme.values
    ]
    tags += [("gcm", str(n), f"GCM objective {n}") for n in project.gcm_objectives or []]
    if project.region:
        tags.append(("region", project.region, project.region))
    for kind, value, label in tags:
        _text(activity, "tag", str(label), code=f"mhis:{kind}:{value}", vocabulary=OURS)
    for line in project.budgets.all():
        budget = _empty(activity, "budget", type="1", status="1")
        _empty(budget, "period-start", iso_date=line.period_start.isoformat())
        _empty(budget, "period-end", iso_date=line.period_end.isoformat())
        value = _empty(
            budget, "value", currency=line.currency, value_date=line.value_date.isoformat()
        )
        value.text = _number(line.amount)
    for document in project.documents.all():
        link = _empty(activity, "document-link", format="text/html", url=document.url)
        _text(link, "title", document.title)
        _empty(link, "category", code=document.category)
        _empty(link, "language", code=document.language)
        if document.date:
            _empty(link, "document-date", iso_date=document.date.isoformat())
    for result in project.results.prefetch_related("indicators__periods"):
        indicators = list(result.indicators.all())
        if not indicators:
            continue  # IATI needs at least one indicator per result
        element = _empty(activity, "result", type=result.type)
        _text(element, "title", result.title)
        if result.description:
            _text(element, "description", result.description)
        for indicator in indicators:
            node = _empty(
                element,
                "indicator",
                measure=indicator.measure,
                ascending="1" if indicator.ascending else "0",
            )
            _text(node, "title", indicator.title)
            if indicator.mhis_indicator:
                _empty(node, "reference", vocabulary=OURS, code=f"mhis:{indicator.mhis_indicator}")
            if indicator.baseline_year:
                attrs = {"year": str(indicator.baseline_year)}
                if indicator.baseline_value is not None:
                    attrs["value"] = _number(indicator.baseline_value)
                _empty(node, "baseline", **attrs)
            for period in indicator.periods.all():
                item = _empty(node, "period")
                _empty(item, "period-start", iso_date=period.start.isoformat())
                _empty(item, "period-end", iso_date=period.end.isoformat())
                if period.target is not None:
                    _empty(item, "target", value=_number(period.target))
                if period.actual is not None:
                    _empty(item, "actual", value=_number(period.actual))


def _shares(n: int) -> list[str]:
    if n == 0:
        return []
    base = (Decimal(100) / n).quantize(Decimal("0.01"))
    shares = [base] * n
    shares[-1] = Decimal(100) - base * (n - 1)
    return [_number(s) for s in shares]


def export(projects=None, *, now: dt.datetime | None = None) -> bytes:
    """IATI activity XML 2.03 of `projects` (all by default), publishing identifiers first."""
    projects = list(projects if projects is not None else Project.objects.all())
    publish_identifiers(projects)
    org = reporting_org()
    now = (now or timezone.now()).replace(microsecond=0)
    root = ET.Element(
        "iati-activities", {"version": VERSION, "generated-datetime": now.isoformat()}
    )
    errors = []
    for project in (
        Project.objects.filter(pk__in=[p.pk for p in projects])
        .prefetch_related("budgets", "documents")
        .order_by("code")
    ):
        try:
            _activity(root, project, org)
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


# -- import -------------------------------------------------------------------------------


@dataclass
class ActivityReport:
    identifier: str
    code: str
    created: bool
    unmapped: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    activities: list[ActivityReport] = field(default_factory=list)

    @property
    def created(self) -> int:
        return sum(1 for a in self.activities if a.created)

    @property
    def updated(self) -> int:
        return sum(1 for a in self.activities if not a.created)


def _narrative(element, lang: str = "") -> str:
    if element is None:
        return ""
    narratives = element.findall("narrative")
    for narrative in narratives:
        if not lang or narrative.get(XML_LANG, "") in ("", lang):
            return (narrative.text or "").strip()
    return (narratives[0].text or "").strip() if narratives else ""


def _date(value: str | None, where: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        raise ValidationError(
            _("%(where)s: “%(value)s” is not a date.") % {"where": where, "value": value}
        ) from None


def _decimal(value: str | None, where: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(value.strip())
    except InvalidOperation:
        raise ValidationError(
            _("%(where)s: “%(value)s” is not a number.") % {"where": where, "value": value}
        ) from None


def _organisation(element) -> Organisation:
    name = _narrative(element) or element.get("ref") or _("unnamed organisation")
    ref = element.get("ref", "")
    found = Organisation.objects.filter(ref=ref).first() if ref else None
    found = found or Organisation.objects.filter(name=name[:200]).first()
    if found is None:
        kind = element.get("type", "")
        found = Organisation.objects.create(
            name=name[:200],
            ref=ref[:100],
            type=kind if kind in codes.OrganisationType.values else "",
        )
    return found


def _ours(user, project: Project) -> bool:
    """Whether `user` may write `project` (None: the server's command, anything)."""
    if user is None or user.is_superuser:
        return True
    return in_places(user, project)


def _read_activity(activity, default_lang: str, user=None) -> ActivityReport:
    identifier = (activity.findtext("iati-identifier") or "").strip()
    if not identifier:
        raise ValidationError(_("An activity has no iati-identifier."))
    where = identifier
    lang = activity.get(XML_LANG) or default_lang or "en"
    code = next(
        (
            o.get("ref")
            for o in activity.findall("other-identifier")
            if o.get("type") == "A1" and o.get("ref")
        ),
        "",
    )
    project = Project.objects.filter(iati_identifier=identifier).first()
    if project is None and code:
        project = Project.objects.filter(code=code, iati_identifier__isnull=True).first()
    created = project is None
    if project is not None and not _ours(user, project):
        raise ValidationError(
            _("%(project)s is a project outside your places.") % {"project": project.code}
        )
    project = project or Project(code=(code or identifier)[:50])
    project.iati_identifier = identifier
    project.published_at = project.published_at or timezone.now()
    project.title = _narrative(activity.find("title"), lang)[:300] or identifier
    descriptions = activity.findall("description")
    general = next((d for d in descriptions if d.get("type", "1") == "1"), None)
    project.description = _narrative(general, lang)
    try:
        project.language = normalise_language(lang)
    except ValueError:
        project.language = "en"
    status = activity.find("activity-status")
    project.status = (
        status.get("code")
        if status is not None and status.get("code") in codes.Status.values
        else codes.Status.IMPLEMENTATION
    )
    for kind, name in DATE_TYPES:
        node = next((d for d in activity.findall("activity-date") if d.get("type") == kind), None)
        setattr(
            project,
            name,
            _date(node.get("iso-date"), f"{where} activity-date") if node is not None else None,
        )
    scope = activity.find("activity-scope")
    project.coverage = codes.COVERAGE_OF.get(
        scope.get("code") if scope is not None else "", codes.Coverage.NATIONAL
    )
    project.default_currency = activity.get("default-currency") or project.default_currency or "USD"
    project.countries = [
        c.get("code", "").upper() for c in activity.findall("recipient-country") if c.get("code")
    ]
    unmapped: list[str] = []
    themes, gcm, kind, region = [], [], "", ""
    for tag in activity.findall("tag"):
        value = tag.get("code", "")
        if tag.get("vocabulary") == OURS and value.startswith("mhis:") and value.count(":") >= 2:
            _prefix, what, rest = value.split(":", 2)
            if what == "type" and rest in codes.ProjectType.values:
                kind = rest
            elif what == "theme" and rest in codes.Theme.values:
                themes.append(rest)
            elif what == "gcm" and rest.isdigit():
                gcm.append(int(rest))
            elif what == "region":
                region = rest
            continue
        unmapped.append(f"tag {tag.get('vocabulary')}:{value}")
    project.type = kind or project.type or codes.ProjectType.POLICY
    project.themes, project.gcm_objectives, project.region = themes, gcm, region[:100]
    if not _ours(user, project):  # as read: its countries, too, must be the user's
        raise ValidationError(
            _("%(project)s is a project outside your places.") % {"project": project.code}
        )
    project.save()

    project.participations.all().delete()
    for node in activity.findall("participating-org"):
        role = node.get("role", "")
        if role not in codes.Role.values:
            unmapped.append(f"participating-org role {role}")
            continue
        Participation.objects.get_or_create(
            project=project, organisation=_organisation(node), role=role
        )
    project.budgets.all().delete()
    for node in activity.findall("budget"):
        value = node.find("value")
        amount = _decimal(value.text if value is not None else None, f"{where} budget")
        start = _date(
            node.find("period-start").get("iso-date")
            if node.find("period-start") is not None
            else None,
            f"{where} budget",
        )
        end = _date(
            node.find("period-end").get("iso-date")
            if node.find("period-end") is not None
            else None,
            f"{where} budget",
        )
        if amount is None or start is None or end is None:
            unmapped.append("budget without value or period")
            continue
        Budget.objects.create(
            project=project,
            period_start=start,
            period_end=end,
            amount=amount,
            currency=value.get("currency") or project.default_currency,
            value_date=_date(value.get("value-date"), f"{where} budget") or start,
        )
    project.documents.all().delete()
    for node in activity.findall("document-link"):
        category = node.find("category")
        language = node.find("language")
        date = node.find("document-date")
        DocumentLink.objects.create(
            project=project,
            url=node.get("url", "")[:500],
            title=_narrative(node.find("title"))[:300] or node.get("url", "")[:300],
            category=category.get("code", "A01") if category is not None else "A01",
            language=language.get("code", "en") if language is not None else "en",
            date=_date(date.get("iso-date"), f"{where} document-link")
            if date is not None
            else None,
        )
    project.results.all().delete()
    for node in activity.findall("result"):
        kind = node.get("type", "")
        if kind not in codes.ResultType.values:
            unmapped.append(f"result type {kind}")
            continue
        result = Result.objects.create(
            project=project,
            type=kind,
            title=_narrative(node.find("title"))[:300],
            description=_narrative(node.find("description")),
        )
        for item in node.findall("indicator"):
            reference = next(
                (
                    r.get("code", "")
                    for r in item.findall("reference")
                    if r.get("vocabulary") == OURS and r.get("code", "").startswith("mhis:")
                ),
                "",
            )
            baseline = item.find("baseline")
            indicator = ResultIndicator.objects.create(
                result=result,
                title=_narrative(item.find("title"))[:300],
                measure=item.get("measure")
                if item.get("measure") in codes.Measure.values
                else codes.Measure.UNIT,
                ascending=item.get("ascending", "1") in ("1", "true"),
                baseline_year=int(baseline.get("year"))
                if baseline is not None and (baseline.get("year") or "").isdigit()
                else None,
                baseline_value=_decimal(baseline.get("value"), f"{where} baseline")
                if baseline is not None
                else None,
                mhis_indicator=reference.removeprefix("mhis:")[:60],
            )
            if item.get("measure") not in codes.Measure.values:
                unmapped.append(f"indicator measure {item.get('measure')}")
            for period in item.findall("period"):
                target, actual = period.find("target"), period.find("actual")
                ResultPeriod.objects.create(
                    indicator=indicator,
                    start=_date(
                        period.find("period-start").get("iso-date"), f"{where} result period"
                    ),
                    end=_date(period.find("period-end").get("iso-date"), f"{where} result period"),
                    target=_decimal(target.get("value"), f"{where} target")
                    if target is not None
                    else None,
                    actual=_decimal(actual.get("value"), f"{where} actual")
                    if actual is not None
                    else None,
                )
    for child in activity:
        if child.tag not in MAPPED and isinstance(child.tag, str):
            unmapped.append(child.tag)
    counted = {}
    for item in unmapped:
        counted[item] = counted.get(item, 0) + 1
    notes = [f"{k} ×{n}" if n > 1 else k for k, n in counted.items()]
    return ActivityReport(identifier=identifier, code=project.code, created=created, unmapped=notes)


def import_activities(data: bytes, user=None) -> ImportReport:
    """Read an IATI activities file into projects: an activity already read (same IATI
    identifier) updates its project and replaces its partners, budgets, documents and
    results; everything is written or nothing. With `user` (the page), every project read,
    as it was and as it is read, lies in the user's places (`services.in_places`)."""
    try:
        root = SafeET.fromstring(data)
    except SafeET.ParseError as exc:
        raise ValidationError({"file": _("Not XML: %(error)s") % {"error": exc}}) from None
    except Exception as exc:  # defusedxml refuses entities and DTDs
        raise ValidationError({"file": _("Refused: %(error)s") % {"error": exc}}) from None
    if root.tag != "iati-activities":
        raise ValidationError({"file": _("This is not an IATI activities file.")})
    version = root.get("version", "")
    if not version.startswith("2."):
        raise ValidationError(
            {"file": _("IATI version %(v)s is not read; give 2.0x.") % {"v": version or "?"}}
        )
    report = ImportReport()
    with transaction.atomic():
        for activity in root.findall("iati-activity"):
            try:
                report.activities.append(_read_activity(activity, root.get(XML_LANG, ""), user))
            except ValidationError as exc:
                raise ValidationError({"file": exc.messages}) from None
    return report
