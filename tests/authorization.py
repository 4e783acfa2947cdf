"""The authorization matrix: every page and API operation, read from the URL configuration and
the API's schema, with the rule it must obey. A route missing here fails the suite.

A rule says whether the route is public, and for routes about one person (a `person_id` in
the address) which roles may read it; reads of a person are then probed for every role, in
scope and out of scope.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

READ = frozenset({"administrator", "clinician", "chw", "surveillance_officer", "viewer"})
WRITE = frozenset({"administrator", "clinician", "chw"})


@dataclass(frozen=True)
class Rule:
    public: bool = False
    # Roles that may read the route for a person in their places (None: not about a person).
    person_readers: frozenset | None = None
    # Only POST is served (a GET redirects or refuses).
    post_only: bool = False


PUBLIC = Rule(public=True)
LOGIN = Rule()
PERSON_READ = Rule(person_readers=READ)
PERSON_WRITE = Rule(person_readers=WRITE)
POST_ONLY = Rule(post_only=True)

# Pages, by URL name. The Django admin has its own staff check and is left to it.
PAGES = {
    "home": LOGIN,
    "login": PUBLIC,
    "logout": PUBLIC,
    "two_factor": LOGIN,
    "set_language": PUBLIC,
    "registry:search": LOGIN,
    "registry:register": LOGIN,
    "registry:detail": PERSON_READ,
    "registry:edit": PERSON_WRITE,
    "care:timeline": PERSON_READ,
    "care:add_record": Rule(post_only=True, person_readers=WRITE),
    "care:edit_record": LOGIN,
    "care:referral_step": POST_ONLY,
    "care:overdue": LOGIN,
    "care:edit_assessment": LOGIN,
    "care:pending": LOGIN,
    "indicators:overview": LOGIN,
    "indicators:indicator": LOGIN,
    "linkage:queue": LOGIN,
    "linkage:pair": LOGIN,
    "linkage:unmerge": POST_ONLY,
    "surveillance:alerts": LOGIN,
    "surveillance:alert": LOGIN,
    "surveillance:report": LOGIN,
    "portable:import": LOGIN,
    "portable:summary-json": PERSON_READ,
    "portable:summary-pdf": PERSON_READ,
    "portable:links": PERSON_READ,
    "portable:revoke": POST_ONLY,
    # SMART Health Links are opened by whoever holds the link (and its passcode).
    "portable:manifest": PUBLIC,
    "portable:file": PUBLIC,
    "portable:viewer": PUBLIC,
    "programmes:dashboard": LOGIN,
    "programmes:project": LOGIN,
    "programmes:record-actual": POST_ONLY,
    "programmes:practices": LOGIN,
    "programmes:iati-export": LOGIN,
    "programmes:iati-import": LOGIN,
    "intake:imports": LOGIN,
    "intake:job": LOGIN,
    "intake:rejected": LOGIN,
    "intake:resume": POST_ONLY,
    "intake:field-form": LOGIN,
    "outreach:overview": LOGIN,
    # The API's own routes are checked operation by operation below.
    "api:openapi-json": PUBLIC,
    "api:openapi-view": PUBLIC,
}

# API operations, as "METHOD /path" from the OpenAPI schema.
API_PERSON_READS = [
    "/api/persons/{person_id}",
    "/api/persons/{person_id}/household",
    "/api/persons/{person_id}/timeline",
    "/api/persons/{person_id}/encounters",
    "/api/persons/{person_id}/referrals",
    "/api/persons/{person_id}/assessments",
    "/api/persons/{person_id}/immunisations",
    "/api/persons/{person_id}/lab-results",
    "/api/persons/{person_id}/enrolments",
]
API = {f"GET {path}": PERSON_READ for path in API_PERSON_READS}
API.update(
    {
        f"{method} {path}": LOGIN
        for method, path in [
            ("GET", "/api/persons"),
            ("POST", "/api/persons"),
            ("PATCH", "/api/persons/{person_id}"),
            ("POST", "/api/persons/{person_id}/household"),
            ("POST", "/api/persons/{person_id}/encounters"),
            ("GET", "/api/encounters/{encounter_id}"),
            ("PATCH", "/api/encounters/{encounter_id}"),
            ("GET", "/api/encounters/{encounter_id}/history"),
            ("POST", "/api/persons/{person_id}/referrals"),
            ("GET", "/api/referrals/overdue"),
            ("GET", "/api/referrals/{referral_id}"),
            ("PATCH", "/api/referrals/{referral_id}"),
            ("POST", "/api/referrals/{referral_id}/steps"),
            ("GET", "/api/referrals/{referral_id}/history"),
            ("POST", "/api/persons/{person_id}/assessments"),
            ("GET", "/api/assessments/pending"),
            ("GET", "/api/assessments/{assessment_id}"),
            ("PATCH", "/api/assessments/{assessment_id}"),
            ("GET", "/api/assessments/{assessment_id}/history"),
            ("POST", "/api/persons/{person_id}/immunisations"),
            ("GET", "/api/immunisations/{record_id}"),
            ("PATCH", "/api/immunisations/{record_id}"),
            ("GET", "/api/immunisations/{record_id}/history"),
            ("POST", "/api/persons/{person_id}/lab-results"),
            ("GET", "/api/lab-results/{record_id}"),
            ("PATCH", "/api/lab-results/{record_id}"),
            ("GET", "/api/lab-results/{record_id}/history"),
            ("GET", "/api/schemes"),
            ("POST", "/api/schemes"),
            ("POST", "/api/persons/{person_id}/enrolments"),
            ("GET", "/api/enrolments/{enrolment_id}"),
            ("PATCH", "/api/enrolments/{enrolment_id}"),
            ("GET", "/api/enrolments/{enrolment_id}/history"),
            ("GET", "/api/encounters/{encounter_id}/payments"),
            ("POST", "/api/encounters/{encounter_id}/payments"),
            ("GET", "/api/payments/{payment_id}"),
            ("PATCH", "/api/payments/{payment_id}"),
            ("GET", "/api/payments/{payment_id}/history"),
            ("GET", "/api/indicators"),
            ("GET", "/api/indicators/{code}"),
            ("GET", "/api/linkage/pairs"),
            ("POST", "/api/linkage/pairs/{pair_id}/decision"),
            ("GET", "/api/surveillance/conditions"),
            ("POST", "/api/surveillance/reports"),
            ("GET", "/api/surveillance/reports/{site}/{week}"),
            ("GET", "/api/surveillance/completeness"),
            ("POST", "/api/surveillance/populations"),
            ("POST", "/api/surveillance/evaluate"),
            ("GET", "/api/surveillance/alerts"),
            ("GET", "/api/surveillance/alerts/{alert_id}"),
            ("POST", "/api/surveillance/alerts/{alert_id}/transition"),
        ]
    }
)


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
