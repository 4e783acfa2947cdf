"""The authorization matrix: every page and API operation, read from the URL configuration and
the API's schema, with the rule it must obey. A route missing here fails the suite.

A rule says whether the route is public and, for a route about one record (a person, one of
their records, an alert, an import, a site's reports…), which record and which roles it serves
when that record lies in the user's places. Those routes are then called, reads and writes, by
every role in scope and out of scope; writes carry a valid body (`BODIES`) so that a refusal
is the rule's doing, not the body's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.urls import URLPattern, URLResolver, get_resolver

from mhis.access.policy import Can, roles_with

# The roles each rule serves, read from the access policy's one table.
READ = roles_with(Can.READ_PERSON)
WRITE = roles_with(Can.WRITE_PERSON)
MERGE = roles_with(Can.MERGE_PEOPLE)
REPORT = roles_with(Can.SUBMIT_REPORTS)
REPORT_READ = roles_with(Can.READ_REPORTS)
ALERT_READ = roles_with(Can.READ_ALERTS)
ALERT_WRITE = roles_with(Can.MANAGE_ALERTS)
# Those who may import some kind of record; each sees their own imports.
IMPORT = WRITE | REPORT


@dataclass(frozen=True)
class Rule:
    public: bool = False
    # The record the route is about (a key of the matrix's `subjects`), or None.
    subject: str | None = None
    # The roles served when the subject lies in the user's places; all others get 403 or 404.
    roles: frozenset = frozenset()
    # Only POST is served (a GET redirects or refuses).
    post_only: bool = False
    # Fixed values for other parts of the address (e.g. the kind of record a page edits).
    fill: dict = field(default_factory=dict, hash=False)
    # The body field naming the subject, where the body names it: a refusal may then be a
    # 422 naming that field (the same body is served in scope, so the scope is the reason).
    body_field: str | None = None


PUBLIC = Rule(public=True)
LOGIN = Rule()
PERSON_READ = Rule(subject="person", roles=READ)
PERSON_WRITE = Rule(subject="person", roles=WRITE)
POST_ONLY = Rule(post_only=True)


def _on(subject, roles, **rule) -> Rule:
    return Rule(subject=subject, roles=roles, **rule)


# Pages, by URL name. The Django admin has its own staff check and is left to it.
PAGES = {
    "home": LOGIN,
    "login": PUBLIC,
    "logout": PUBLIC,
    "two_factor": LOGIN,
    "password_change": LOGIN,
    # Administration: roles, own places and the insider's attempts in tests/test_administration.py.
    "administration:users": LOGIN,
    "administration:user_new": LOGIN,
    "administration:user": LOGIN,
    "administration:user_password": POST_ONLY,
    "administration:user_second_factor": POST_ONLY,
    "administration:places": LOGIN,
    "administration:place_new": LOGIN,
    "administration:place": LOGIN,
    "set_language": PUBLIC,
    "registry:search": LOGIN,
    "registry:register": LOGIN,
    "registry:detail": PERSON_READ,
    "registry:edit": PERSON_WRITE,
    # Reading a person's consents; recording one is a POST to the same page, covered with
    # withdrawing one by `tests/test_consent_pages.py`.
    "registry:consents": PERSON_READ,
    "registry:withdraw-consent": _on("consent", WRITE, post_only=True),
    "care:timeline": PERSON_READ,
    "care:add_record": _on("person", WRITE, post_only=True, fill={"kind": "encounter"}),
    "care:edit_record": _on("encounter", WRITE, fill={"kind": "encounter"}),
    "care:referral_step": _on("referral", WRITE, post_only=True),
    "care:overdue": LOGIN,
    "care:edit_assessment": _on("assessment", WRITE),
    "care:pending": LOGIN,
    "care:icd10_search": LOGIN,  # the code list, the same for everyone
    "indicators:overview": LOGIN,
    "indicators:indicator": LOGIN,
    # The DHIS2 mapping and push: roles granted manage_exchange, in tests/test_dhis2_push.py.
    "indicators:dhis2": LOGIN,
    "linkage:queue": LOGIN,
    "linkage:pair": _on("pair", MERGE),
    # Un-merging needs a merge; `tests/test_linkage_merge.py` covers who may.
    "linkage:unmerge": POST_ONLY,
    # Starting a run: `tests/test_linkage_runs.py` covers who may.
    "linkage:start": POST_ONLY,
    "surveillance:alerts": LOGIN,
    "surveillance:alert": _on("alert", ALERT_READ),
    # Overdue alerts: the alert list's filter, the user's places (tests/test_surveillance_notifications.py).
    "surveillance:overdue": LOGIN,
    # One's own notifications only (tests/test_surveillance_notifications.py).
    "notifications:list": LOGIN,
    "notifications:read": POST_ONLY,
    "notifications:count": LOGIN,
    "surveillance:report": LOGIN,
    # Reading weekly reports, the user's places only: tests/test_surveillance_roundtrip.py.
    "surveillance:export_reports": LOGIN,
    # Signals and outbreaks, the user's places only: tests/test_surveillance_outbreaks.py.
    "surveillance:signals": LOGIN,
    "surveillance:report_signal": LOGIN,
    "surveillance:signal": _on("signal", ALERT_READ),
    "surveillance:outbreaks": LOGIN,
    "surveillance:outbreak": _on("outbreak", ALERT_READ),
    "surveillance:outbreak_from_alert": _on("alert", ALERT_WRITE, post_only=True),
    # Across borders: a share is read by the twin's side or the sender's, the original never
    # by the twin (tests/test_crossborder_sharing.py, tests/test_crossborder_twinning.py).
    "crossborder:inbox": LOGIN,
    "crossborder:sent": LOGIN,
    "crossborder:share": LOGIN,
    "crossborder:share_new": LOGIN,
    "crossborder:twinnings": LOGIN,
    # Completeness of the user's places, reminders by those who handle alerts:
    # tests/test_surveillance_completeness.py.
    "surveillance:completeness": LOGIN,
    # Risk assessment and response (ADR 0031): assessments read by those who read alerts in
    # the place, forms for those who handle them; an action, the overdue actions and the 7-1-7
    # table, the user's places only: tests/test_response_pages.py.
    "response:outbreak_risk": _on("outbreak", ALERT_READ),
    "response:alert_risk": _on("alert", ALERT_READ),
    "response:signal_risk": _on("signal", ALERT_READ),
    "response:new_action": _on("outbreak", ALERT_WRITE),
    "response:timeliness": _on("outbreak", ALERT_WRITE),
    "response:action": LOGIN,
    "response:overdue": LOGIN,
    "response:performance": LOGIN,
    "portable:import": LOGIN,
    "portable:summary-json": PERSON_READ,
    "portable:summary-pdf": PERSON_READ,
    "portable:links": PERSON_READ,
    "portable:revoke": _on("link", WRITE, post_only=True),
    # SMART Health Links are opened by whoever holds the link (and its passcode).
    "portable:manifest": PUBLIC,
    "portable:file": PUBLIC,
    "portable:viewer": PUBLIC,
    # Programme portfolios are the agencies' projects (published as IATI), not people's data.
    "programmes:dashboard": LOGIN,
    "programmes:project": LOGIN,
    "programmes:record-actual": POST_ONLY,
    "programmes:practices": LOGIN,
    # Workplans and attendance: tests/test_programme_fieldwork.py covers roles and countries.
    "programmes:workplan": LOGIN,
    "programmes:activity-new": LOGIN,
    "programmes:activity-edit": LOGIN,
    "programmes:events": LOGIN,
    "programmes:attendance": LOGIN,
    "programmes:attendance-new": LOGIN,
    "programmes:attendance-edit": LOGIN,
    "programmes:iati-export": LOGIN,
    "programmes:iati-import": LOGIN,
    "intake:imports": LOGIN,
    "intake:job": _on("job", IMPORT),
    "intake:rejected": _on("job", IMPORT),
    # Resuming needs a stopped import and its file; it finds the job as the two above do.
    "intake:resume": POST_ONLY,
    "intake:field-form": LOGIN,
    "outreach:overview": LOGIN,
    # Not about a record: the site is chosen in the form, among the user's own; roles and
    # places are covered by `tests/test_outreach_contact_page.py`.
    "outreach:contact": LOGIN,
    # The API's own routes are checked operation by operation below.
    "api:openapi-json": PUBLIC,
    "api:openapi-view": PUBLIC,
}

# API operations, as "METHOD /path" from the OpenAPI schema. A person's records are read by
# READ and written by WRITE; the subject of each is named by the path.
CARE_RECORDS = {
    "encounter": "/api/encounters/{record_id}",
    "referral": "/api/referrals/{record_id}",
    "assessment": "/api/assessments/{record_id}",
    "immunisation": "/api/immunisations/{record_id}",
    "lab_result": "/api/lab-results/{record_id}",
    "enrolment": "/api/enrolments/{enrolment_id}",
    "payment": "/api/payments/{payment_id}",
}
API = {
    "GET /api/persons/{person_id}": PERSON_READ,
    "PATCH /api/persons/{person_id}": PERSON_WRITE,
    "GET /api/persons/{person_id}/timeline": PERSON_READ,
    "GET /api/persons/{person_id}/household": PERSON_READ,
    "POST /api/persons/{person_id}/household": PERSON_WRITE,
}
for collection in ("encounters", "referrals", "assessments", "immunisations", "lab-results",
                   "enrolments"):  # fmt: skip
    API[f"GET /api/persons/{{person_id}}/{collection}"] = PERSON_READ
    API[f"POST /api/persons/{{person_id}}/{collection}"] = PERSON_WRITE
for subject, path in CARE_RECORDS.items():
    API[f"GET {path}"] = _on(subject, READ)
    API[f"PATCH {path}"] = _on(subject, WRITE)
    API[f"GET {path}/history"] = _on(subject, READ)
API.update(
    {
        "GET /api/encounters/{encounter_id}/payments": _on("encounter", READ),
        "POST /api/encounters/{encounter_id}/payments": _on("encounter", WRITE),
        "POST /api/referrals/{referral_id}/steps": _on("referral", WRITE),
        # These name their site in the body: the site must be the user's.
        "POST /api/persons": _on("site", WRITE, body_field="registration_site"),
        "POST /api/persons/matches": _on("site", WRITE, body_field="registration_site"),
        "POST /api/linkage/pairs/{pair_id}/decision": _on("pair", MERGE),
        "POST /api/surveillance/reports": _on("site", REPORT, body_field="site"),
        "GET /api/surveillance/reports/{site}/{week}": _on("site", REPORT_READ),
        "POST /api/surveillance/populations": _on("site", ALERT_WRITE, body_field="site"),
        "GET /api/surveillance/alerts/{alert_id}": _on("alert", ALERT_READ),
        "POST /api/surveillance/alerts/{alert_id}/transition": _on("alert", ALERT_WRITE),
        "GET /api/surveillance/signals/{signal_id}": _on("signal", ALERT_READ),
        "POST /api/surveillance/signals/{signal_id}/transition": _on("signal", ALERT_WRITE),
        "GET /api/surveillance/outbreaks/{outbreak_id}": _on("outbreak", ALERT_READ),
        "POST /api/surveillance/outbreaks/{outbreak_id}/links": _on("outbreak", ALERT_WRITE),
        "POST /api/surveillance/outbreaks/{outbreak_id}/transition": _on("outbreak", ALERT_WRITE),
        "GET /api/surveillance/outbreaks/{outbreak_id}/response": _on("outbreak", ALERT_READ),
        "POST /api/surveillance/outbreaks/{outbreak_id}/assessments": _on("outbreak", ALERT_WRITE),
        "POST /api/surveillance/outbreaks/{outbreak_id}/actions": _on("outbreak", ALERT_WRITE),
        "POST /api/surveillance/outbreaks/{outbreak_id}/717": _on("outbreak", ALERT_WRITE),
    }
)
API.update(
    {
        f"{method} {path}": LOGIN
        for method, path in [
            ("GET", "/api/persons"),
            ("GET", "/api/referrals/overdue"),
            ("GET", "/api/assessments/pending"),
            ("GET", "/api/schemes"),
            ("POST", "/api/schemes"),
            ("GET", "/api/indicators"),
            ("GET", "/api/indicators/{code}"),
            ("GET", "/api/linkage/pairs"),
            ("GET", "/api/linkage/runs"),
            ("POST", "/api/linkage/runs"),
            ("GET", "/api/surveillance/conditions"),
            ("GET", "/api/surveillance/completeness"),
            ("POST", "/api/surveillance/evaluate"),
            ("GET", "/api/surveillance/alerts"),
            # Signals and outbreaks in the user's places: tests/test_surveillance_outbreaks.py.
            ("POST", "/api/surveillance/signals"),
            ("GET", "/api/surveillance/signals"),
            ("GET", "/api/surveillance/outbreaks"),
            ("POST", "/api/surveillance/outbreaks"),
            # Across borders: tests/test_crossborder_sharing.py.
            ("GET", "/api/crossborder/shared-with-us"),
            ("GET", "/api/crossborder/shares/{share_id}"),
            ("POST", "/api/crossborder/shares/{share_id}/acknowledge"),
            # The 7-1-7 table of the user's places: tests/test_response_services.py.
            ("GET", "/api/surveillance/response/717"),
        ]
    }
)


# Valid bodies for the writes probed above, from the matrix's `subjects` (so that a refusal
# is the rule's and not a validation error's).
def bodies(s: dict) -> dict:
    day = s["day"]
    site = {"site": s["site"]}
    return {
        "POST /api/persons": {"registration_site": s["site"], "names": [{"text": "Naw Eh Say"}]},
        "POST /api/persons/matches": {
            "registration_site": s["site"],
            "names": [{"text": "Naw Eh Say"}],
        },
        "POST /api/persons/{person_id}/household": {
            "member": str(s["relative"]),
            "relationship": "sibling",
        },
        "POST /api/persons/{person_id}/encounters": {**site, "kind": "consultation", "date": day},
        "POST /api/persons/{person_id}/referrals": {
            **site,
            "kind": "tb_continuation",
            "reason": "Continue treatment",
            "to_site": "RNG-PORT",
        },
        "POST /api/persons/{person_id}/assessments": {**site, "type": "on_arrival"},
        "POST /api/persons/{person_id}/immunisations": {
            **site,
            "vaccine": "MR",
            "dose_number": 2,
            "date": day,
        },
        "POST /api/persons/{person_id}/lab-results": {
            **site,
            "test": "Glucose",
            "value": "5.1",
            "collected_on": day,
        },
        "POST /api/persons/{person_id}/enrolments": {
            **site,
            "scheme": s["scheme"],
            "start_date": day,
        },
        "POST /api/encounters/{encounter_id}/payments": {"amount": "20", "currency": "THB"},
        "POST /api/referrals/{referral_id}/steps": {"status": "received"},
        "POST /api/linkage/pairs/{pair_id}/decision": {"decision": "different"},
        "POST /api/surveillance/reports": {**site, "week": s["week"]},
        "POST /api/surveillance/populations": {**site, "since": day, "population": 5000},
        "POST /api/surveillance/alerts/{alert_id}/transition": {"state": "verifying"},
        "POST /api/surveillance/signals/{signal_id}/transition": {"state": "triaged"},
        "POST /api/surveillance/outbreaks/{outbreak_id}/links": {
            "action": "remove",
            "alert": s["alert"],
        },
        "POST /api/surveillance/outbreaks/{outbreak_id}/transition": {"state": "declared"},
        "POST /api/surveillance/outbreaks/{outbreak_id}/assessments": {
            "hazard": "Acute watery diarrhoea",
            "exposure": "Porters at the market",
            "context": "Rainy season",
            "likelihood": "likely",
            "consequence": "moderate",
            "confidence": "moderate",
        },
        "POST /api/surveillance/outbreaks/{outbreak_id}/actions": {
            "title": "Chlorinate the water points",
            "due_on": str(date.today() + timedelta(days=3)),
        },
        "POST /api/surveillance/outbreaks/{outbreak_id}/717": {
            "emerged_on": day,
            "detected_on": day,
            "notified_on": day,
        },
        # Pages
        "care:add_record": {"date": day},
        "care:referral_step": {"status": "received"},
    }


def page_routes(resolver=None, prefix="", namespace=""):
    """(address pattern, URL name) of every page, the admin and the API's own aside."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        pattern = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if pattern.startswith("admin/"):
                continue
            inner = namespace + (f"{entry.namespace}:" if entry.namespace else "")
            yield from page_routes(entry, pattern, inner)
        elif isinstance(entry, URLPattern):
            name = namespace + (entry.name or "")
            if name.startswith("api:") and name not in ("api:openapi-json", "api:openapi-view"):
                continue  # operations: see api_operations()
            yield pattern, name


def api_operations():
    """'METHOD /path' of every API operation, with whether it declares authentication."""
    from mhis.api import api

    schema = api.get_openapi_schema(path_prefix="/api")
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", bool(operation.get("security"))
