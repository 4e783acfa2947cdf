"""The firewall and the publication rules at their edges: indicators whose population is
defined by migration status, medians of few people, periods off the calendar or too many."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from mhis.access.services import create_token, create_user

YEAR = dt.date.today().year - 1


def _seen(clinician, register, status: str, n: int, day: dt.date, site="MSOT-CLIN"):
    from mhis.care import services as care

    for _ in range(n):
        person = register(episodes=[{"status": status, "origin_country": "MM",
                                     "destination_country": "TH", "start_date": "2019-06-01"}])  # fmt: skip
        care.record_encounter(clinician, person, {"site": site, "kind": "consultation",
                                                  "date": day.isoformat()})  # fmt: skip


def _week(day: dt.date) -> str:
    iso = day.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def test_an_indicator_counted_by_status_is_served_where_a_status_breakdown_is(
    world, people, register, api
):
    """SHP_ENROLMENT_MIGRANTS counts "everyone but the host community": beside PEOPLE_SEEN for
    the same site and week, it would split a site's week by status, which the status breakdown
    refuses below the first-level areas — so it is refused there too, and served for Tak."""
    analyst = create_user(
        username="th_analyst", password=None, role="analyst", places=[world["TH"]]
    )
    day = dt.date(YEAR, 3, 11)
    _seen(people["clinician"], register, "REG_LAB", 9, day)
    _seen(people["clinician"], register, "HOST", 7, day)
    client = api(analyst)
    for place in ("MSOT-CLIN", "TH-63-MSOT"):
        assert client.get("/api/indicators/PEOPLE_SEEN", place=place, period=_week(day),
                          by="migration_status").status_code == 422  # fmt: skip
        refused = client.get(
            "/api/indicators/SHP_ENROLMENT_MIGRANTS", place=place, period=_week(day)
        )
        assert refused.status_code == 422 and refused.json()["detail"][0]["loc"][-1] == "by"
    assert client.get("/api/indicators/SHP_ENROLMENT_MIGRANTS", place="TH-63",
                      period=_week(day)).status_code == 200  # fmt: skip


def test_an_indicator_of_highest_sensitivity_statuses_follows_their_rules(
    world, people, register, api, settings, tmp_path
):
    """An operator's "irregular migrants seen" (population: IRR) is refused below the first
    level and, where served, withholds a count under 10 as "<10"."""
    from mhis.indicators import services

    (tmp_path / "local.toml").write_text(
        '[IRREGULAR_SEEN]\nname = "Irregular migrants seen"\nunit = "count"\n'
        'source = "encounter"\nwhere = { migration_status = "IRR" }\nnumerator = {}\n'
    )
    settings.MHIS_INDICATOR_DIRS = [str(tmp_path)]
    services.catalogue.cache_clear()
    try:
        analyst = create_user(username="th_analyst", password=None, role="analyst",
                              places=[world["TH"]])  # fmt: skip
        day = dt.date(YEAR, 3, 11)
        _seen(people["clinician"], register, "IRR", 6, day)
        _seen(people["clinician"], register, "REG_LAB", 5, day)
        client = api(analyst)
        assert client.get("/api/indicators/IRREGULAR_SEEN", place="MSOT-CLIN",
                          period=_week(day)).status_code == 422  # fmt: skip
        answer = client.get("/api/indicators/IRREGULAR_SEEN", place="TH-63", period=_week(day))
        [cell] = answer.json()["cells"]
        assert cell["hidden"] == "sensitive" or cell["value"] == 0, cell  # 6 ± 5: under 10
    finally:
        services.catalogue.cache_clear()


def _assessed(clinician, person, day: dt.date, days: int):
    from mhis.care import assessments

    specimens = [
        {"number": n, "collected_on": day.isoformat(), "smear_result": "negative",
         "smear_reported_on": day.isoformat(), "culture_result": "negative",
         "culture_reported_on": (day + dt.timedelta(days=days)).isoformat()}
        for n in (1, 2, 3)
    ]  # fmt: skip
    return assessments.assess(clinician, person, {"site": "MSOT-CLIN", "type": "pre_departure",
                                                  "date": day.isoformat(), "specimens": specimens})  # fmt: skip


def test_a_median_of_fewer_than_five_people_is_never_published(world, people, register, api):
    """A median or 90th percentile is exact: it is published only when it summarises five
    values or more in truth, whatever the adjustment of its n (4 work-ups a month, 12 months)."""
    clinician = people["clinician"]
    viewer = create_user(username="th_viewer", password=None, role="viewer", places=[world["TH"]])
    keys = []
    for month in range(1, 13):
        keys.append(f"{YEAR}-{month:02d}")
        for i, days in enumerate([6 + month, 9 + month, 15 + month, 40 + month]):
            _assessed(clinician, register(), dt.date(YEAR, month, 2 + i), days)
    for code in ("TIME_TO_RESULTS_MEDIAN", "TIME_TO_RESULTS_P90"):
        body = api(viewer).get(f"/api/indicators/{code}", place="MSOT-CLIN", period=keys).json()
        assert len(body["cells"]) == 12
        assert all(c["value"] is None and c["hidden"] for c in body["cells"]), body["cells"]


@pytest.mark.parametrize("period", ["9999-W52", "9999-11", "0001-W01", "1899-Q4", "2200"])
def test_a_period_off_the_calendar_is_refused_naming_the_field(people, period):
    client = Client(raise_request_exception=False)
    _row, token = create_token(people["viewer"])
    response = client.get("/api/indicators/ENCOUNTERS", {"place": "KH", "period": period},
                          headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert response.status_code == 422 and "periods" in response.content.decode()


@pytest.mark.parametrize("period, every", [("9999-11", "month"), ("9999-Q3", "quarter"),
                                            ("0001-01", "month"), ("0001-W01", "week"),
                                            ("0001", "year"), ("2199-12", "month"),
                                            ("1900-W01", "week")])  # fmt: skip
def test_the_dashboard_answers_at_either_end_of_the_calendar(people, period, every):
    client = Client(raise_request_exception=False)
    client.force_login(people["viewer"])
    for url in ("/indicators/", "/indicators/ENCOUNTERS/"):
        response = client.get(url, {"place": "KH", "period": period, "every": every})
        assert response.status_code == 200, (url, period, response.status_code)


def test_only_the_periods_asked_for_are_published_and_not_too_many(people, api, register):
    first, last = f"{YEAR - 100}-W01", f"{YEAR}-W01"
    client = api(people["clinician"])
    response = client.get("/api/indicators/ENCOUNTERS", place="TH-63-MSOT", period=[first, last],
                          by="sex")  # fmt: skip
    assert response.status_code == 200
    assert {c["period"] for c in response.json()["cells"]} == {first, last}
    many = [f"{YEAR}-{m:02d}" for m in range(1, 13)] * 11  # 132 keys, 12 periods
    assert (
        client.get("/api/indicators/ENCOUNTERS", place="TH-63-MSOT", period=many).status_code == 200
    )
    weeks = [f"{y}-W{w:02d}" for y in (YEAR - 2, YEAR - 1, YEAR) for w in range(1, 53)]
    refused = client.get("/api/indicators/ENCOUNTERS", place="TH-63-MSOT", period=weeks)
    assert refused.status_code == 422 and "periods" in refused.content.decode()


def test_a_result_period_off_the_calendar_leaves_the_portfolio_pages_working(world, people):
    from mhis.programmes.models import Project, Result, ResultIndicator, ResultPeriod

    project = Project.objects.create(code="P9", title="Registration drive", type="promotion")
    result = Result.objects.create(project=project, type="2", title="People registered")
    indicator = ResultIndicator.objects.create(result=result, title="People registered",
                                               mhis_indicator="PEOPLE_REGISTERED", place=world["TH"])  # fmt: skip
    ResultPeriod.objects.create(indicator=indicator, start=dt.date(9999, 1, 1),
                                end=dt.date(9999, 12, 31), target=10)  # fmt: skip
    client = Client(raise_request_exception=False)
    client.force_login(people["admin"])
    for url in ("/programmes/", "/programmes/projects/P9/"):
        assert client.get(url).status_code == 200, url
