"""Personas and a small place tree, built through the real service functions.

Mae Sot clinician (Tak › Mae Sot), Tak surveillance officer (Tak), Honduras analyst and
Honduras clinician (Honduras), a Thailand administrator, a Ranong CHW, a Cambodia viewer,
and an anonymous visitor.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from mhis.access.services import create_token, create_user
from mhis.places.services import create_place

from .factories import PersonDataFactory


def pytest_report_header(config):
    import django
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return f"MHIS test database: {engine} (Django {django.get_version()})"


@pytest.fixture(autouse=True)
def _default_language(settings):
    """Requests activate their language in the test's thread; start every test in the default."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def world(db):
    """Thailand › Tak › Mae Sot › two sites; Thailand › Ranong › one site; Honduras › Cortés › one site;
    Cambodia › Svay Rieng › one site."""
    th = create_place(code="TH", name="Thailand", kind="country")
    tak = create_place(code="TH-63", name="Tak", kind="area", parent=th)
    maesot = create_place(code="TH-63-MSOT", name="Mae Sot", kind="area", parent=tak)
    clinic = create_place(
        code="MSOT-CLIN",
        name="Mae Sot Migrant Clinic",
        kind="site",
        parent=maesot,
        site_type="clinic",
    )
    bridge = create_place(
        code="MSOT-BRDG",
        name="Friendship Bridge",
        kind="site",
        parent=maesot,
        site_type="border_post",
        latitude="16.7006",
        longitude="98.5164",
    )
    ranong_area = create_place(code="TH-85", name="Ranong", kind="area", parent=th)
    ranong = create_place(
        code="RNG-PORT",
        name="Ranong port health corner",
        kind="site",
        parent=ranong_area,
        site_type="health_corner",
    )
    hn = create_place(code="HN", name="Honduras", kind="country")
    cortes = create_place(code="HN-CR", name="Cortés", kind="area", parent=hn)
    sps = create_place(
        code="SPS-CAMR",
        name="San Pedro Sula returnee centre",
        kind="site",
        parent=cortes,
        site_type="assessment_centre",
    )
    kh = create_place(code="KH", name="Cambodia", kind="country")
    svay = create_place(code="KH-20", name="Svay Rieng", kind="area", parent=kh)
    bavet = create_place(
        code="BAV-BRDR", name="Bavet border post", kind="site", parent=svay, site_type="border_post"
    )
    mm = create_place(code="MM", name="Myanmar", kind="country")
    kayin = create_place(code="MM-13", name="Kayin State", kind="area", parent=mm)
    myawaddy = create_place(
        code="MWD-HOSP", name="Myawaddy Hospital", kind="site", parent=kayin, site_type="hospital"
    )
    return {
        "MM": mm,
        "MYAWADDY": myawaddy,
        "TH": th,
        "TAK": tak,
        "MAESOT": maesot,
        "CLINIC": clinic,
        "BRIDGE": bridge,
        "RANONG": ranong,
        "HN": hn,
        "SPS": sps,
        "KH": kh,
        "BAVET": bavet,
    }


@pytest.fixture
def people(world):
    """Users by persona."""
    return {
        "clinician": create_user(
            username="mae_sot_clinician", password=None, role="clinician", places=[world["MAESOT"]]
        ),
        "tak_officer": create_user(
            username="tak_officer",
            password=None,
            role="surveillance_officer",
            places=[world["TAK"]],
        ),
        "hn_analyst": create_user(
            username="honduras_analyst", password=None, role="analyst", places=[world["HN"]]
        ),
        "hn_clinician": create_user(
            username="honduras_clinician", password=None, role="clinician", places=[world["HN"]]
        ),
        "admin": create_user(
            username="th_admin", password=None, role="administrator", places=[world["TH"]]
        ),
        "chw": create_user(
            username="ranong_chw", password=None, role="chw", places=[world["RANONG"]]
        ),
        "viewer": create_user(
            username="cambodia_viewer", password=None, role="viewer", places=[world["KH"]]
        ),
        "mm_clinician": create_user(
            username="myawaddy_clinician",
            password=None,
            role="clinician",
            places=[world["MYAWADDY"]],
        ),
        "unscoped": create_user(
            username="nobody_clinician", password=None, role="clinician", places=[]
        ),
    }


@pytest.fixture
def register(people):
    """register(site_code=…, **overrides) → Person, registered by the Mae Sot clinician unless `by`."""
    from mhis.registry.services import register_person

    def _register(by=None, **overrides):
        data = PersonDataFactory(**overrides)
        return register_person(by or people["clinician"], data)

    return _register


@pytest.fixture
def api(client):
    """api(user).get(path) … with a bearer token for `user` (None: anonymous)."""

    class _Api:
        def __init__(self, user):
            self.headers = {}
            if user is not None:
                _, token = create_token(user)
                self.headers["Authorization"] = f"Bearer {token}"

        def get(self, path, **params):
            return client.get(path, params, headers=self.headers)

        def post(self, path, body):
            return client.post(path, body, content_type="application/json", headers=self.headers)

        def patch(self, path, body):
            return client.patch(path, body, content_type="application/json", headers=self.headers)

    return _Api


@pytest.fixture
def vendor():
    return connection.vendor


def _day(days_ago: int) -> str:
    return (dt.date.today() - dt.timedelta(days=days_ago)).isoformat()


@pytest.fixture
def subjects(world, people, register):
    """One of every record a route is about, all at the Mae Sot clinic (in Thailand)."""
    from mhis.care import assessments
    from mhis.care import services as care
    from mhis.care.models import Immunisation, LabResult
    from mhis.care.records import create_record
    from mhis.linkage.models import CandidatePair, LinkRun
    from mhis.portable import links
    from mhis.portable.services import export_ips
    from mhis.protection import services as protection
    from mhis.surveillance.models import Alert

    clinician = people["clinician"]
    site = {"site": "MSOT-CLIN"}
    # A regular labour migrant, consented to sharing; a relative; a possible duplicate.
    sharing = [{"scope": s, "given_on": _day(60)} for s in ("care", "sharing")]
    person, relative, twin = register(consents=sharing), register(), register()
    encounter = care.record_encounter(clinician, person,
                                      {**site, "kind": "consultation", "date": _day(3)})  # fmt: skip
    referral = care.refer(clinician, person, {**site, "kind": "tb_continuation",
                                              "reason": "Continue treatment", "to_site": "RNG-PORT"})  # fmt: skip
    assessment = assessments.assess(clinician, person, {**site, "type": "on_arrival"})
    immunisation = create_record(clinician, Immunisation, person,
                                 {**site, "vaccine": "MR", "dose_number": 1, "date": _day(3)})  # fmt: skip
    lab_result = create_record(clinician, LabResult, person,
                               {**site, "test": "Glucose", "value": "5", "collected_on": _day(3)})  # fmt: skip
    scheme = protection.create_scheme(people["admin"], {"code": "TH-MHI", "name": "Migrant health",
                                                        "country": "TH", "type": "migrant"})  # fmt: skip
    enrolment = protection.enrol(clinician, person, {**site, "scheme": scheme.code,
                                                     "start_date": _day(30), "end_date": _day(10)})  # fmt: skip
    payment = protection.record_payment(clinician, encounter, {"amount": "10", "currency": "THB"})
    year, week = (dt.date.today() - dt.timedelta(days=7)).isocalendar()[:2]
    alert = Alert.objects.create(site=world["CLINIC"], condition="awd", year=year, week=week,
                                 method="cusum", observed=9, threshold=3)  # fmt: skip
    from mhis.surveillance.models import Outbreak, Signal

    signal = Signal.objects.create(text="Several people with watery diarrhoea", source="media",
                                   place=world["CLINIC"], date=dt.date.today())  # fmt: skip
    outbreak = Outbreak.objects.create(condition="awd", area=world["CLINIC"])
    outbreak.alerts.add(alert)
    run = LinkRun.objects.create(threshold=0.5, cluster_threshold=0.5, status=LinkRun.Status.DONE)
    pair = CandidatePair.objects.create(run=run, left=person, right=twin, probability=0.9, weight=3)
    link = links.create_link(clinician, person.uuid, expires="30d",
                             summary=export_ips(clinician, person.uuid))  # fmt: skip
    return {
        "person": person.uuid, "relative": relative.uuid, "encounter": encounter.pk,
        "referral": referral.pk, "assessment": assessment.pk, "immunisation": immunisation.pk,
        "lab_result": lab_result.pk, "enrolment": enrolment.pk, "payment": payment.pk,
        "alert": alert.pk, "signal": signal.pk, "outbreak": outbreak.pk, "pair": pair.pk, "link": link.pk, "site": "MSOT-CLIN",
        "consent": person.consents.get(scope="care").pk,
        "scheme": scheme.code, "week": f"{year}-W{week:02d}", "day": _day(2),
    }  # fmt: skip
