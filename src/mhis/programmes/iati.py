"""Projects as IATI activities (standard 2.03): export in the element order the schema
requires, checked against the IATI Standard ruleset before it is offered, and import of
activity files (ours, or other publishers'), reporting per activity what was not kept.

Another publisher's activity keeps its reporting organisation: it becomes a partner's
activity (`Project.reporting_org_ref`), shown beside our projects and never published as
ours. A project's IATI identifier is set when it is first published and kept after.

What IATI has no element for (project type, themes, GCM objectives, region) travels as
tags of vocabulary 99 ("reporting organisation") with an `mhis:` prefix, so a file MHIS
wrote reads back into the same projects.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET  # writing only; reading goes through defusedxml
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
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
    "recipient-country", "recipient-region", "tag", "budget", "document-link", "result",
    "sector",
}  # fmt: skip
CENT = Decimal("0.01")
LIMIT = Decimal("1e14")  # the amounts' columns hold 16 digits, 2 after the point


def reporting_org() -> dict:
    return {
        "ref": getattr(settings, "MHIS_IATI_REPORTING_ORG", "XM-DAC-47066"),
        "name": getattr(
            settings, "MHIS_IATI_REPORTING_ORG_NAME", "International Organization for Migration"
        ),
        "type": getattr(settings, "MHIS_IATI_REPORTING_ORG_TYPE", "40"),
    }


def ours():
    """Our own projects: every project that is not another publisher's activity."""
    return Project.objects.filter(reporting_org_ref="")


def partners():
    """Other publishers' activities read from their IATI files."""
    return Project.objects.exclude(reporting_org_ref="")


def _text(parent: ET.Element, tag: str, text: str, translations=None, **attrs) -> ET.Element:
    element = ET.SubElement(parent, tag, {k.replace("_", "-"): v for k, v in attrs.items()})
    ET.SubElement(element, "narrative").text = text
    for lang, other in (translations or {}).items():
        ET.SubElement(element, "narrative", {XML_LANG: lang}).text = other
    return element


def _empty(parent: ET.Element, tag: str, **attrs) -> ET.Element:
    return ET.SubElement(parent, tag, {k.replace("_", "-"): str(v) for k, v in attrs.items()})


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}"


@transaction.atomic
def publish_identifiers(projects) -> None:
    """Give each of our projects its IATI identifier the first time it is published."""
    prefix = reporting_org()["ref"]
    now = timezone.now()
    for project in projects:
        if not project.iati_identifier and not project.is_partner:
            project.iati_identifier = f"{prefix}-{project.code}"
            project.published_at = now
            project.save(update_fields=["iati_identifier", "published_at"])


# -- the IATI Standard ruleset ----------------------------------------------------------------

FORBIDDEN = re.compile(r"[/&|?]")  # IATI-Rulesets standard.json, "regex_matches"
ONE_YEAR = 366  # days; "time_limit": a budget period is at most one year


def _country_shares(project: Project) -> list[tuple[str, str | None]]:
    """Each recipient country with the percentage written: the publisher's when given, an
    even split of our own multi-country projects otherwise (ADR 0009), none for one."""
    countries = list(project.countries or [])
    given = project.country_shares or {}
    if given:
        return [(c, given.get(c)) for c in countries]
    if len(countries) == 1 and not project.regions:
        return [(countries[0], "100")]
    if project.regions:
        return [(c, None) for c in countries]
    return list(zip(countries, _shares(len(countries)), strict=True))


def _sectors(project: Project) -> list[dict]:
    if project.sectors:
        return list(project.sectors)
    return [{"vocabulary": "1", "code": SECTOR[project.type], "percentage": "", "name": ""}]


def _sum(values) -> Decimal | None:
    try:
        return sum((Decimal(str(v)) for v in values), Decimal(0))
    except (InvalidOperation, ValueError):
        return None


def ruleset_failures(project: Project, today: dt.date | None = None) -> list[str]:
    """What `project` breaks of the IATI Standard ruleset (IATI-Rulesets `standard.json`,
    and the recipient-country/region rule of the activity standard), each failure naming
    the project and the IATI field."""
    today = today or timezone.localdate()
    failures: list[tuple[str, str]] = []
    identifier = project.iati_identifier or f"{reporting_org()['ref']}-{project.code}"
    if FORBIDDEN.search(identifier):
        failures.append(("iati-identifier", _("must not contain /, &, | or ?.")))
    holder = (
        Project.objects.filter(iati_identifier=identifier).exclude(pk=project.pk).first()
        if not project.iati_identifier
        else None
    )
    if holder is not None:  # read from a file that gave an activity our prefix and this code
        failures.append(
            (
                "iati-identifier",
                _(
                    "%(identifier)s is the identifier of the activity %(holder)s already read "
                    "from an IATI file (%(publisher)s): give this project another code before "
                    "it is published."
                )
                % {
                    "identifier": identifier,
                    "holder": holder.code,
                    "publisher": holder.reporting_org_name
                    or holder.reporting_org_ref
                    or reporting_org()["name"],
                },
            )
        )
    countries = _country_shares(project)
    regions = list(project.regions or [])
    if not countries and not regions:
        failures.append(
            ("recipient-country", _("give a benefiting country or region (recipient-region)."))
        )
    elif len(countries) + len(regions) > 1:
        shares = [share for _code, share in countries] + [r.get("percentage") for r in regions]
        total = _sum(s for s in shares if s not in (None, ""))
        if any(s in (None, "") for s in shares) or total != 100:
            failures.append(
                (
                    "recipient-country/@percentage",
                    _(
                        "the shares of the countries and regions must add up to 100 (they add up to %(total)s)."
                    )
                    % {"total": total if total is not None else "?"},
                )
            )
    by_vocabulary: dict[str, list] = {}
    for sector in _sectors(project):
        by_vocabulary.setdefault(sector.get("vocabulary") or "1", []).append(
            sector.get("percentage")
        )
    for vocabulary, shares in by_vocabulary.items():
        if len(shares) > 1 or any(s not in (None, "") for s in shares):
            total = _sum(s or 0 for s in shares)
            if total != 100:
                failures.append(
                    (
                        "sector/@percentage",
                        _(
                            "the sectors of vocabulary %(vocabulary)s must add up to 100 (they add up to %(total)s)."
                        )
                        % {"vocabulary": vocabulary, "total": total if total is not None else "?"},
                    )
                )
    if not (project.planned_start or project.actual_start):
        failures.append(("activity-date", _("give a planned or an actual start.")))
    if project.planned_start and project.planned_end and project.planned_end < project.planned_start:  # fmt: skip
        failures.append(("activity-date", _("the planned end is before the planned start.")))
    if project.actual_start and project.actual_end and project.actual_end < project.actual_start:  # fmt: skip
        failures.append(("activity-date", _("the actual end is before the actual start.")))
    for name, label in (("actual_start", _("actual start")), ("actual_end", _("actual end"))):
        day = getattr(project, name)
        if day and day > today:
            failures.append(
                (
                    "activity-date",
                    _("the %(date)s (%(day)s) is in the future: give it as planned.")
                    % {"date": label, "day": day.isoformat()},
                )
            )
    for line in project.budgets.all():
        period = f"{line.period_start.isoformat()} – {line.period_end.isoformat()}"
        if line.period_end < line.period_start:
            failures.append(
                ("budget", _("%(period)s: the period ends before it starts.") % {"period": period})
            )
        elif (line.period_end - line.period_start).days >= ONE_YEAR:
            failures.append(
                (
                    "budget",
                    _("%(period)s: a budget period is at most one year; give one line a year.")
                    % {"period": period},
                )
            )
    return [
        _("%(code)s — %(field)s: %(problem)s")
        % {"code": project.code, "field": where, "problem": problem}
        for where, problem in failures
    ]


def check(projects=None) -> list[str]:
    """The ruleset failures of our `projects` (all by default) that would be published."""
    found = ours().prefetch_related("budgets")
    if projects is not None:
        found = found.filter(pk__in=[p.pk for p in projects])
    failures = []
    for project in found.order_by("code"):
        failures.extend(ruleset_failures(project))
    return failures


def _activity(root: ET.Element, project: Project, org: dict) -> None:
    activity = _empty(
        root,
        "iati-activity",
        last_updated_datetime=project.updated_at.replace(microsecond=0).isoformat(),
        default_currency=project.default_currency,
    )
    activity.set(XML_LANG, project.language or "en")
    if project.humanitarian is not None:
        activity.set("humanitarian", "1" if project.humanitarian else "0")
    if project.hierarchy is not None:
        activity.set("hierarchy", str(project.hierarchy))
    translations = project.translations or {}
    ET.SubElement(activity, "iati-identifier").text = project.iati_identifier
    _text(activity, "reporting-org", org["name"], ref=org["ref"], type=org["type"])
    _text(activity, "title", project.title, translations.get("title"))
    _text(
        activity,
        "description",
        project.description or project.title,
        translations.get("description"),
        type="1",
    )
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
    for country, share in _country_shares(project):
        attrs = {"code": country}
        if share not in (None, ""):
            attrs["percentage"] = share
        _empty(activity, "recipient-country", **attrs)
    for region in project.regions or []:
        attrs = {"code": region["code"], "vocabulary": region.get("vocabulary") or "1"}
        if region.get("percentage"):
            attrs["percentage"] = region["percentage"]
        _empty(activity, "recipient-region", **attrs)
    for sector in _sectors(project):
        attrs = {"vocabulary": sector.get("vocabulary") or "1", "code": sector["code"]}
        if sector.get("percentage"):
            attrs["percentage"] = sector["percentage"]
        if sector.get("name"):
            _text(activity, "sector", sector["name"], **attrs)
        else:
            _empty(activity, "sector", **attrs)
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
        budget = _empty(activity, "budget", type=line.type, status=line.status)
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
                for kind in ("target", "actual"):
                    number, words = getattr(period, kind), getattr(period, f"{kind}_text")
                    if number is not None:
                        _empty(item, kind, value=_number(number))
                    elif words:
                        _text(_empty(item, kind), "comment", words)
                    for part in period.breakdown or []:
                        if part.get("kind") != kind:
                            continue
                        value = _empty(item, kind, value=part.get("value", ""))
                        for name, given in part.get("dimensions", []):
                            _empty(value, "dimension", name=name, value=given)


def _shares(n: int) -> list[str]:
    if n == 0:
        return []
    base = (Decimal(100) / n).quantize(Decimal("0.01"))
    shares = [base] * n
    shares[-1] = Decimal(100) - base * (n - 1)
    return [_number(s) for s in shares]


def export(projects=None, *, now: dt.datetime | None = None) -> bytes:
    """IATI activity XML 2.03 of our `projects` (all by default), publishing identifiers
    first. Partners' activities are never written; a project that breaks the IATI Standard
    ruleset stops the export, every failure named (`ruleset_failures`)."""
    chosen = ours() if projects is None else ours().filter(pk__in=[p.pk for p in projects])
    failures = check(chosen)
    if failures:
        raise ValidationError(failures)
    projects = list(chosen)
    publish_identifiers(projects)
    org = reporting_org()
    now = (now or timezone.now()).replace(microsecond=0)
    root = ET.Element(
        "iati-activities", {"version": VERSION, "generated-datetime": now.isoformat()}
    )
    for project in (
        Project.objects.filter(pk__in=[p.pk for p in projects])
        .prefetch_related("budgets", "documents")
        .order_by("code")
    ):
        _activity(root, project, org)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


# -- import -------------------------------------------------------------------------------


@dataclass
class ActivityReport:
    identifier: str
    code: str = ""
    created: bool = False
    partner: str = ""  # the reporting organisation of another publisher's activity
    refused: str = ""  # why nothing of this activity was kept
    unmapped: list[str] = field(default_factory=list)  # what of it was not kept, and why


@dataclass
class ImportReport:
    activities: list[ActivityReport] = field(default_factory=list)

    @property
    def created(self) -> int:
        return sum(1 for a in self.activities if a.created and not a.refused)

    @property
    def updated(self) -> int:
        return sum(1 for a in self.activities if not a.created and not a.refused)

    @property
    def refused(self) -> int:
        return sum(1 for a in self.activities if a.refused)

    @property
    def partners(self) -> int:
        return sum(1 for a in self.activities if a.partner and not a.refused)


class Refused(Exception):
    """Nothing of this activity can be kept; the message says why."""


def _narratives(element, default: str) -> dict[str, str]:
    """The element's narratives by language (`default` for those that name none)."""
    out: dict[str, str] = {}
    if element is None:
        return out
    for narrative in element.findall("narrative"):
        text = (narrative.text or "").strip()
        if text:
            out.setdefault((narrative.get(XML_LANG) or default or "en").lower(), text)
    return out


def _narrative(element, lang: str = "") -> str:
    found = _narratives(element, lang)
    if not found:
        return ""
    return found.get(lang.lower()) or next(iter(found.values()))


def _date(value: str | None) -> dt.date | None:
    """The date of an IATI `iso-date`, or None; ValueError when it is not one."""
    if not value:
        return None
    return dt.date.fromisoformat(value.strip()[:10])


THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")
DECIMAL_COMMA = re.compile(r"^-?\d+,\d+$")
PLAIN = re.compile(r"^-?\d+(\.\d+)?$")


def lenient_number(value: str | None) -> tuple[Decimal | None, str]:
    """A number as publishers write it: "50,000" (thousands), "12254,1" (a decimal comma),
    "95%" or " 1 250 ". Returns the number (to the cent) and how it was read when that was
    not plain, or (None, "") when it is not a number at all."""
    if value is None:
        return None, ""
    text = value.strip().replace("\u00a0", "").replace("\u202f", "")
    read = text.removesuffix("%").replace(" ", "")
    if THOUSANDS.match(read):
        read = read.replace(",", "")
    elif DECIMAL_COMMA.match(read):
        read = read.replace(",", ".")
    if not PLAIN.match(read):
        return None, ""
    number = Decimal(read)
    if abs(number) >= LIMIT:  # before rounding, which fails past 28 digits
        return None, ""
    number = number.quantize(CENT, ROUND_HALF_UP)
    if abs(number) >= LIMIT:
        return None, ""
    how = (
        ""
        if read == text
        else _("“%(value)s” read as %(number)s") % {"value": value, "number": _number(number)}
    )
    return number, how


def _organisation(element, lang: str) -> Organisation:
    name = (_narrative(element, lang) or element.get("ref") or _("unnamed organisation"))[:200]
    ref = (element.get("ref") or "").strip()[:100]
    found = Organisation.objects.filter(ref=ref).first() if ref else None
    found = found or Organisation.objects.filter(name=name).first()
    if found is None:
        kind = element.get("type", "")
        found = Organisation.objects.create(
            name=name, ref=ref, type=kind if kind in codes.OrganisationType.values else ""
        )
    return found


def _may_write(user, project: Project) -> bool:
    """Whether `user` may write `project` (None: the server's command, anything)."""
    if user is None or user.is_superuser:
        return True
    return in_places(user, project)


def _code_for(wanted: str, project: Project) -> str:
    """A project code free for `project` from `wanted`: characters a web address cannot
    carry become "-", and a number is added when another project holds it."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", wanted).strip("-")[:46] or "IATI"
    code, n = base, 1
    while Project.objects.filter(code=code).exclude(pk=project.pk).exists():
        n += 1
        code = f"{base}-{n}"
    return code


def _updated(value: str | None, notes: list) -> dt.datetime | None:
    """An activity's ``last-updated-datetime`` (xsd:dateTime; one without a zone read as UTC)."""
    if not (value or "").strip():
        return None
    try:
        found = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        notes.append(_("last-updated-datetime “%(value)s” is not a date and time") % {"value": value[:40]})  # fmt: skip
        return None
    return found if found.tzinfo else found.replace(tzinfo=dt.UTC)


def _flag(value: str | None) -> bool | None:
    if value in ("1", "true"):
        return True
    if value in ("0", "false"):
        return False
    return None


class _Notes(list):
    def add(self, text: str) -> None:
        self.append(text)


def _read_activity(activity, default_lang: str, user, version: str) -> ActivityReport:
    identifier = (activity.findtext("iati-identifier") or "").strip()
    report = ActivityReport(identifier=identifier or "?")
    if not identifier:
        raise Refused(_("The activity has no iati-identifier."))
    if len(identifier) > 150:
        raise Refused(_("The iati-identifier is longer than 150 characters."))
    version = activity.get("version") or version
    if not version.startswith("2."):
        raise Refused(_("IATI version %(v)s is not read; give 2.0x.") % {"v": version or "?"})
    notes = _Notes()
    lang = (activity.get(XML_LANG) or default_lang or "en").lower()
    org = reporting_org()
    reporting = activity.find("reporting-org")
    publisher = (reporting.get("ref") or "").strip() if reporting is not None else ""
    partner = publisher != org["ref"]
    if partner:
        report.partner = (
            (_narrative(reporting, lang) if reporting is not None else "")
            or publisher
            or _("unknown publisher")
        )
    project = Project.objects.filter(iati_identifier=identifier).first()
    code = next(
        (
            o.get("ref")
            for o in activity.findall("other-identifier")
            if o.get("type") == "A1" and o.get("ref")
        ),
        "",
    )
    if project is None and code and not partner:
        project = Project.objects.filter(
            code=code, iati_identifier__isnull=True, reporting_org_ref=""
        ).first()
    if project is not None and partner and not project.is_partner:
        raise Refused(
            _(
                "%(project)s is one of our projects: another publisher's activity "
                "(%(publisher)s) does not replace it."
            )
            % {"project": project.code, "publisher": publisher or "?"}
        )
    report.created = project is None
    updated = _updated(activity.get("last-updated-datetime"), notes)
    kept = project.source_updated_at if project is not None else None
    if updated and kept and updated < kept:
        raise Refused(
            _(
                "This file's version of the activity was last updated on %(given)s, before "
                "the version already read (%(kept)s): an older file does not replace a newer one."
            )
            % {"given": updated.isoformat(), "kept": kept.isoformat()}
        )
    if project is not None and not _may_write(user, project):
        raise Refused(
            _("%(project)s is a project outside your places.") % {"project": project.code}
        )
    project = project or Project()
    project.code = project.code or _code_for(identifier if partner else (code or identifier), project)  # fmt: skip
    report.code = project.code
    project.iati_identifier = identifier
    project.reporting_org_ref = (publisher or "?")[:100] if partner else ""
    project.reporting_org_name = report.partner[:200] if partner else ""
    project.published_at = project.published_at or timezone.now()
    project.source_updated_at = updated or project.source_updated_at
    try:
        project.language = normalise_language(lang.split("-")[0])
    except ValueError:
        notes.add(_("language “%(lang)s” not known: read as English") % {"lang": lang})
        project.language = "en"
    titles = _narratives(activity.find("title"), lang)
    project.title = (titles.pop(lang, "") or next(iter(titles.values()), "") or identifier)[:300]  # fmt: skip
    titles.pop(next((k for k, v in titles.items() if v == project.title), None), None)
    descriptions = activity.findall("description")
    general = next((d for d in descriptions if d.get("type", "1") == "1"), None)
    texts = _narratives(general, lang)
    project.description = texts.pop(lang, "") or (texts.pop(next(iter(texts)), "") if texts else "")  # fmt: skip
    project.translations = {
        kind: found for kind, found in (("title", titles), ("description", texts)) if found
    }
    others = [d for d in descriptions if d is not general]
    if others:
        notes.add(
            _("descriptions of type %(types)s")
            % {"types": ", ".join(sorted({d.get("type", "1") for d in others}))}
        )
    project.humanitarian = _flag(activity.get("humanitarian"))
    hierarchy = activity.get("hierarchy", "")
    project.hierarchy = int(hierarchy) if hierarchy.isdigit() and int(hierarchy) < 100 else None
    status = activity.find("activity-status")
    given = status.get("code") if status is not None else None
    project.status = given if given in codes.Status.values else codes.Status.IMPLEMENTATION
    if given is not None and given not in codes.Status.values:
        notes.add(_("activity-status %(code)s: read as implementation") % {"code": given})
    for kind, name in DATE_TYPES:
        node = next((d for d in activity.findall("activity-date") if d.get("type") == kind), None)
        day = None
        if node is not None:
            try:
                day = _date(node.get("iso-date"))
            except ValueError:
                notes.add(
                    _("activity-date type %(type)s: “%(value)s” is not a date")
                    % {"type": kind, "value": node.get("iso-date")}
                )
        setattr(project, name, day)
    scope = activity.find("activity-scope")
    project.coverage = codes.COVERAGE_OF.get(
        scope.get("code") if scope is not None else "", codes.Coverage.NATIONAL
    )
    currency = (activity.get("default-currency") or project.default_currency or "USD")[:3]
    project.default_currency = currency.upper()
    countries, shares = [], {}
    for node in activity.findall("recipient-country"):
        country = (node.get("code") or "").strip().upper()
        if len(country) != 2:
            if country:
                notes.add(_("recipient-country “%(code)s”") % {"code": country})
            continue
        countries.append(country)
        if node.get("percentage") not in (None, ""):
            shares[country] = node.get("percentage").strip()
    project.countries, project.country_shares = countries, shares
    project.regions = [
        {
            "code": node.get("code").strip()[:20],
            "vocabulary": (node.get("vocabulary") or "1").strip()[:5],
            "percentage": (node.get("percentage") or "").strip()[:10],
        }
        for node in activity.findall("recipient-region")
        if (node.get("code") or "").strip()
    ]
    project.sectors = [
        {
            "vocabulary": (node.get("vocabulary") or "1").strip()[:5],
            "code": node.get("code").strip()[:50],
            "percentage": (node.get("percentage") or "").strip()[:10],
            "name": _narrative(node, lang)[:300],
        }
        for node in activity.findall("sector")
        if (node.get("code") or "").strip()
    ]
    on_transactions = sorted(
        {
            f"{s.get('vocabulary') or '1'}:{s.get('code')}"
            for s in activity.findall("transaction/sector")
            if s.get("code")
        }
    )
    if on_transactions and not project.sectors:
        notes.add(
            _("sectors given on transactions only (%(codes)s)")
            % {"codes": ", ".join(on_transactions)}
        )
    themes, gcm, kind, region = [], [], "", ""
    for tag in activity.findall("tag"):
        value = tag.get("code", "")
        if not partner and tag.get("vocabulary") == OURS and value.startswith("mhis:") and value.count(":") >= 2:  # fmt: skip
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
        notes.add(f"tag {tag.get('vocabulary')}:{value}")
    project.type = kind or project.type or codes.ProjectType.POLICY
    project.themes, project.gcm_objectives, project.region = themes, gcm, region[:100]
    if not _may_write(user, project):  # as read: its countries, too, must be the user's
        raise Refused(
            _("%(project)s is a project outside your places.") % {"project": project.code}
        )
    project.save()

    project.participations.all().delete()
    for node in activity.findall("participating-org"):
        role = node.get("role", "")
        if role not in codes.Role.values:
            notes.add(f"participating-org role {role or '?'}")
            continue
        Participation.objects.get_or_create(
            project=project, organisation=_organisation(node, lang), role=role
        )
    project.budgets.all().delete()
    for node in activity.findall("budget"):
        _read_budget(project, node, notes)
    project.documents.all().delete()
    for node in activity.findall("document-link"):
        category = node.find("category")
        language = node.find("language")
        day = None
        if node.find("document-date") is not None:
            try:
                day = _date(node.find("document-date").get("iso-date"))
            except ValueError:
                notes.add(_("document-link: a document-date that is not a date"))
        url = (node.get("url") or "").strip()
        if not url:
            notes.add(_("document-link without an address"))
            continue
        DocumentLink.objects.create(
            project=project,
            url=url[:500],
            title=_narrative(node.find("title"), lang)[:300] or url[:300],
            category=(category.get("code", "A01") if category is not None else "A01")[:3],
            language=(language.get("code", "en") if language is not None else "en")[:3],
            date=day,
        )
    project.results.all().delete()
    for node in activity.findall("result"):
        _read_result(project, node, lang, notes)
    for child in activity:
        if isinstance(child.tag, str) and child.tag not in MAPPED:
            # A publisher's own extension: its name, then its namespace.
            space, _brace, local = child.tag[1:].partition("}") if child.tag.startswith("{") else ("", "", child.tag)  # fmt: skip
            notes.add(f"{local} ({space})" if space else local)
    counted: dict[str, int] = {}
    for item in notes:
        counted[item] = counted.get(item, 0) + 1
    report.unmapped = [f"{k} ×{n}" if n > 1 else k for k, n in counted.items()]
    return report


def _read_budget(project: Project, node, notes: _Notes) -> None:
    value = node.find("value")
    given = value.text if value is not None else None
    amount, how = lenient_number(given)
    try:
        start = _date(node.find("period-start").get("iso-date")) if node.find("period-start") is not None else None  # fmt: skip
        end = _date(node.find("period-end").get("iso-date")) if node.find("period-end") is not None else None  # fmt: skip
        value_date = _date(value.get("value-date")) if value is not None else None
    except ValueError:
        notes.add(_("budget: a date that is not a date"))
        return
    period = f"{start or '?'} – {end or '?'}"
    if amount is None or start is None or end is None:
        notes.add(
            _("budget %(period)s: no value or no period (“%(value)s”)")
            % {"period": period, "value": (given or "").strip()}
        )
        return
    if amount < 0:
        notes.add(
            _("budget %(period)s: a negative amount (%(value)s) is not kept")
            % {"period": period, "value": _number(amount)}
        )
        return
    if end < start:
        notes.add(_("budget %(period)s: the period ends before it starts") % {"period": period})
        return
    if how:
        notes.add(_("budget %(period)s: %(how)s") % {"period": period, "how": how})
    kind = node.get("type") or "1"
    status = node.get("status") or "1"
    Budget.objects.create(
        project=project,
        period_start=start,
        period_end=end,
        amount=amount,
        currency=((value.get("currency") if value is not None else "") or project.default_currency)[
            :3
        ].upper(),
        value_date=value_date or start,
        type=kind if kind in codes.BudgetType.values else "1",
        status=status if status in codes.BudgetStatus.values else "1",
    )


def _read_value(node, kind: str, lang: str, measure: str, notes: _Notes):
    """A target or actual: (number, text), the text for a qualitative one or words."""
    given = node.get("value")
    comment = _narrative(node.find("comment"), lang)
    if measure == codes.Measure.QUALITATIVE:
        return None, (comment or (given or "").strip())[:500]
    number, how = lenient_number(given)
    if how:
        notes.add(f"{kind}: {how}")
    if number is None and (given or "").strip():
        notes.add(
            _("%(kind)s “%(value)s” is not a number: kept as text")
            % {"kind": kind, "value": given.strip()}
        )
        return None, given.strip()[:500]
    return number, "" if number is not None else comment[:500]


def _read_result(project: Project, node, lang: str, notes: _Notes) -> None:
    kind = node.get("type", "")
    if kind not in codes.ResultType.values:
        notes.add(f"result type {kind or '?'}")
        return
    result = Result.objects.create(
        project=project,
        type=kind,
        title=_narrative(node.find("title"), lang)[:300] or _("untitled result"),
        description=_narrative(node.find("description"), lang),
    )
    for item in node.findall("indicator"):
        measure = item.get("measure") or "1"
        if measure not in codes.Measure.values:
            notes.add(_("indicator measure %(m)s: read as unit") % {"m": measure})
            measure = codes.Measure.UNIT
        reference = next(
            (
                r.get("code", "")
                for r in item.findall("reference")
                if r.get("vocabulary") == OURS and r.get("code", "").startswith("mhis:")
            ),
            "",
        )
        baseline = item.find("baseline")
        year = (baseline.get("year") or "") if baseline is not None else ""
        baseline_value, how = lenient_number(baseline.get("value") if baseline is not None else None)  # fmt: skip
        if how:
            notes.add(f"baseline: {how}")
        indicator = ResultIndicator.objects.create(
            result=result,
            title=_narrative(item.find("title"), lang)[:300] or _("untitled indicator"),
            measure=measure,
            ascending=item.get("ascending", "1") in ("1", "true"),
            baseline_year=int(year) if year.isdigit() and 1900 <= int(year) <= 2200 else None,
            baseline_value=baseline_value if measure != codes.Measure.QUALITATIVE else None,
            mhis_indicator=reference.removeprefix("mhis:")[:60],
        )
        for period in item.findall("period"):
            try:
                start = _date(period.find("period-start").get("iso-date"))
                end = _date(period.find("period-end").get("iso-date"))
            except (AttributeError, ValueError):
                start = end = None
            if start is None or end is None or end < start:
                notes.add(_("result period without a start and an end in order"))
                continue
            values: dict[str, tuple] = {}
            breakdown = []
            for kind_ in ("target", "actual"):
                for value in period.findall(kind_):
                    dimensions = [
                        [d.get("name", "")[:100], d.get("value", "")[:100]]
                        for d in value.findall("dimension")
                        if d.get("name")
                    ]
                    if dimensions or kind_ in values:
                        breakdown.append(
                            {
                                "kind": kind_,
                                "value": (value.get("value") or "")[:100],
                                "dimensions": dimensions,
                            }
                        )
                        continue
                    values[kind_] = _read_value(value, kind_, lang, measure, notes)
            target, target_text = values.get("target", (None, ""))
            actual, actual_text = values.get("actual", (None, ""))
            ResultPeriod.objects.create(
                indicator=indicator,
                start=start,
                end=end,
                target=target,
                actual=actual,
                target_text=target_text,
                actual_text=actual_text,
                breakdown=breakdown,
            )


def import_activities(data: bytes, user=None) -> ImportReport:
    """Read an IATI activities file into projects, in one transaction. An activity already
    read (same IATI identifier) updates its project and replaces its partners, budgets,
    documents and results. Another publisher's activity stays theirs: a partner's activity
    (`Project.reporting_org_ref`), never published as ours. An activity that cannot be kept
    is refused alone, with why; what of a kept one was not kept is listed with it. With
    `user` (the page), every project read, as it was and as it is read, lies in the user's
    places (`services.in_places`)."""
    try:
        root = SafeET.fromstring(data)
    except SafeET.ParseError as exc:
        raise ValidationError({"file": _("Not XML: %(error)s") % {"error": exc}}) from None
    except DefusedXmlException:  # entities, of an entity bomb or reading a file or address
        raise ValidationError(
            {
                "file": _(
                    "The file declares entities in a DOCTYPE, which an IATI activities file "
                    "never holds: it is refused and nothing was read."
                )
            }
        ) from None
    except Exception as exc:
        raise ValidationError({"file": _("Refused: %(error)s") % {"error": exc}}) from None
    if root.tag != "iati-activities":
        raise ValidationError({"file": _("This is not an IATI activities file.")})
    version = root.get("version", "")
    activities = root.findall("iati-activity")
    # D-Portal's extracts carry the version on each activity rather than on the file.
    if not version and activities and all(a.get("version") for a in activities):
        version = "2."
    if not version.startswith("2."):
        raise ValidationError(
            {"file": _("IATI version %(v)s is not read; give 2.0x.") % {"v": version or "?"}}
        )
    report = ImportReport()
    seen: set[str] = set()
    with transaction.atomic():
        for activity in activities:
            identifier = (activity.findtext("iati-identifier") or "").strip()
            if identifier and identifier in seen:
                report.activities.append(
                    ActivityReport(
                        identifier=identifier,
                        refused=_("The file gives this activity twice: the first was kept."),
                    )
                )
                continue
            seen.add(identifier)
            try:
                with transaction.atomic():
                    found = _read_activity(activity, root.get(XML_LANG, ""), user, version)
            except Refused as exc:
                found = ActivityReport(identifier=identifier or "?", refused=str(exc))
            except (DatabaseError, ValueError, ValidationError) as exc:
                found = ActivityReport(
                    identifier=identifier or "?",
                    refused=_("Could not be stored: %(error)s") % {"error": exc},
                )
            report.activities.append(found)
    return report
