"""Weekly reports, series, alert evaluation and the alert workflow."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from mhis.surveillance import services
from mhis.surveillance.models import Alert, AlertState, ReportCount, WeeklyReport

TODAY = dt.date(2026, 11, 23)  # a Monday: week 2026-W48 has begun


def _week(weeks_ago: int) -> str:
    year, week = services.week_of(TODAY - dt.timedelta(weeks=weeks_ago))
    return services.week_label(year, week)


def _now(day=None):
    """When the reports are sent: by default the Monday after TODAY's week, once week
    2026-W48 is over (the unfinished week is refused)."""
    day = day or TODAY + dt.timedelta(days=7)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(9)))


def _send(user, site, week, counts, note="", now=None):
    """A report as the API takes it, left for `evaluate_week` (which these tests examine)."""
    return services.submit_report(
        user,
        {"site": site, "week": week, "counts": counts, "note": note},
        now=now or _now(),
        evaluate=False,
    )


def _errors(exc) -> dict:
    return exc.value.message_dict


def test_a_correction_replaces_the_count_and_keeps_the_first_version(people, world):
    chw = people["chw"]
    first, created = _send(chw, "RNG-PORT", "2026-W46", [{"condition": "awd", "count": 3}])
    assert created and first.version == 1 and first.on_time is False  # due by 2026-11-18
    again, created = _send(chw, "RNG-PORT", "2026-W46", [{"condition": "awd", "count": 3}])
    assert not created and again.pk == first.pk  # the same counts: nothing new
    fixed, created = _send(chw, "RNG-PORT", "2026-W46", [{"condition": "awd", "count": 5}])
    assert created and fixed.version == 2
    history = services.report_history(chw, world["RANONG"], 2026, 46)
    assert [r.version for r in history] == [2, 1] and [r.current for r in history] == [True, False]
    series = services.weekly_series([world["RANONG"].pk], 2026, 46, conditions=["awd"])
    assert series[(world["RANONG"].pk, "awd")][-1] == 5  # never 8: a correction, not a sum
    assert ReportCount.objects.filter(report__site=world["RANONG"]).count() == 2


def test_a_report_in_its_week_or_within_three_days_is_on_time(people):
    report, _ = _send(people["chw"], "RNG-PORT", "2026-W47", [], now=_now(TODAY))  # Sun + 1
    assert report.on_time


@pytest.mark.parametrize(
    ("site", "week", "counts", "field"),
    [
        ("RNG-PORT", "2026-W47", [{"condition": "awd", "count": -2}], "counts.0.count"),
        ("RNG-PORT", "2026-W50", [], "week"),  # has not begun
        ("RNG-PORT", "2026-W60", [], "week"),
        ("RNG-PORT", "last week", [], "week"),
        ("MSOT-CLIN", "2026-W47", [], "site"),  # not the volunteer's site
        ("RNG-PORT", "2026-W47", [{"condition": "plague?", "count": 1}], "counts.0.condition"),
        ("RNG-PORT", "2026-W47", [{"condition": "awd", "sex": "x", "count": 1}], "counts.0.sex"),
        ("RNG-PORT", "2026-W47", [{"condition": "awd", "count": 1},
                                  {"condition": "awd", "count": 2}], "counts.1"),
        ("RNG-PORT", "2026-W47", [{"condition": "awd", "count": "many"}], "counts.0.count"),
    ],
)  # fmt: skip
def test_bad_reports_are_refused_naming_the_field_and_nothing_is_written(
    people, site, week, counts, field
):
    with pytest.raises(ValidationError) as exc:
        _send(people["chw"], site, week, counts)
    assert field in _errors(exc)
    assert not WeeklyReport.objects.exists()


def test_a_viewer_sends_no_report(people):
    with pytest.raises(PermissionDenied):
        _send(people["viewer"], "BAV-BRDR", "2026-W47", [])


def test_case_based_counts_fill_weeks_without_a_report(people, world, register):
    from mhis.care.models import Diagnosis, Encounter

    person = register()
    clinic = world["CLINIC"]
    for day, code in [(dt.date(2026, 11, 10), "A09.0"), (dt.date(2026, 11, 11), "A09"),
                      (dt.date(2026, 11, 17), "B05.9"), (dt.date(2026, 11, 18), "J45")]:  # fmt: skip
        encounter = Encounter.objects.create(
            person=person, site=clinic, kind="outpatient", date=day
        )
        Diagnosis.objects.create(encounter=encounter, code=code, primary=True)
    # Week 47 (16–22 Nov) is reported: its report counts, not the encounters.
    _send(people["clinician"], "MSOT-CLIN", "2026-W47", [{"condition": "awd", "count": 7}])
    series = services.weekly_series([clinic.pk], 2026, 47, conditions=["awd", "measles"])
    awd, measles = series[(clinic.pk, "awd")], series[(clinic.pk, "measles")]
    assert list(awd) == [2, 7]  # the site's data begin in week 46
    assert list(measles) == [0, 0]  # week 47's measles case is inside a report that has none


def _history(user, site, weeks, count):
    for n in range(weeks, 0, -1):
        _send(user, site, _week(n), [{"condition": "awd", "count": count(n)}])


def test_a_weekly_report_raises_an_alert_that_is_verified_and_closed(people, world, api):
    """The whole walk: a volunteer's reports, the week's evaluation, an officer verifying,
    confirming, responding and closing, each step recorded with who and why."""
    chw, officer = people["chw"], people["admin"]
    _history(chw, "RNG-PORT", 14, lambda n: 2 + n % 2)  # 14 quiet weeks: EARS C2's history
    _send(chw, "RNG-PORT", _week(0), [{"condition": "awd", "count": 30},
                                                    {"condition": "measles", "count": 1}])  # fmt: skip
    year, week = services.week_of(TODAY)
    summary = services.evaluate_week(year, week, user=officer)
    assert summary["new_alerts"] == 2
    awd = Alert.objects.get(condition="awd")
    assert awd.method == "ears_c2" and awd.observed == 30 and awd.threshold < 30
    measles = Alert.objects.get(condition="measles")
    assert measles.method == "threshold" and measles.threshold == 0  # one case is an alert
    # Evaluating again raises nothing new.
    assert services.evaluate_week(year, week, user=officer)["new_alerts"] == 0

    client = api(officer)
    listed = client.get("/api/surveillance/alerts", state=["new"]).json()
    assert {a["condition"] for a in listed} == {"awd", "measles"}
    path = f"/api/surveillance/alerts/{awd.pk}/transition"
    refused = client.post(path, {"state": "closed"})
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "state"]
    for state, note in [("verifying", "Called the port clinic"),
                        ("confirmed", "12 stool samples, 4 positive for rotavirus"),
                        ("responded", "ORS corner and hygiene sessions"),
                        ("closed", "Two weeks back under threshold")]:  # fmt: skip
        response = client.post(path, {"state": state, "note": note})
        assert response.status_code == 200, response.json()
    body = client.get(f"/api/surveillance/alerts/{awd.pk}").json()
    assert body["state"] == "closed"
    assert [(e["from_state"], e["to_state"]) for e in body["events"]] == [
        ("", "new"), ("new", "verifying"), ("verifying", "confirmed"),
        ("confirmed", "responded"), ("responded", "closed"),
    ]  # fmt: skip
    assert {e["by"] for e in body["events"][1:]} == {officer.username}
    # Measles: a false report, discarded with a reason.
    no_reason = client.post(
        f"/api/surveillance/alerts/{measles.pk}/transition", {"state": "discarded"}
    )
    assert no_reason.status_code == 422
    assert no_reason.json()["detail"][0]["loc"] == ["body", "note"]
    assert client.post(f"/api/surveillance/alerts/{measles.pk}/transition",
                       {"state": "discarded", "note": "Rash was scabies"}).status_code == 200  # fmt: skip
    assert services.visible_alerts(officer, [AlertState.NEW]).count() == 0


def test_alerts_stay_within_places_and_roles(people, world, api):
    _history(people["chw"], "RNG-PORT", 0, lambda n: 0)
    _send(people["chw"], "RNG-PORT", _week(0), [{"condition": "cholera", "count": 1}])
    services.evaluate_week(*services.week_of(TODAY))
    alert = Alert.objects.get()
    assert api(people["hn_analyst"]).get(f"/api/surveillance/alerts/{alert.pk}").status_code == 404
    assert api(people["viewer"]).get("/api/surveillance/alerts").status_code == 403
    clinician = api(people["clinician"])  # Mae Sot: reads its own area's alerts only
    assert clinician.get("/api/surveillance/alerts").json() == []
    moved = api(people["tak_officer"]).post(
        f"/api/surveillance/alerts/{alert.pk}/transition", {"state": "verifying"}
    )
    assert moved.status_code == 404  # Ranong is outside Tak


def test_the_api_takes_a_report_and_answers_a_correction_with_its_version(people, api):
    client = api(people["chw"])
    body = {"site": "RNG-PORT", "week": "2026-W47",
            "counts": [{"condition": "dengue", "sex": "female", "age_group": "15-49", "count": 4}]}  # fmt: skip
    first = client.post("/api/surveillance/reports", body)
    assert first.status_code == 201 and first.json()["version"] == 1
    assert client.post("/api/surveillance/reports", body).status_code == 200  # unchanged
    body["counts"][0]["count"] = 6
    fixed = client.post("/api/surveillance/reports", body)
    assert fixed.status_code == 201 and fixed.json()["version"] == 2
    history = client.get("/api/surveillance/reports/RNG-PORT/2026-W47").json()
    assert [(r["version"], r["current"], r["counts"][0]["count"]) for r in history] == [
        (2, True, 6), (1, False, 4)
    ]  # fmt: skip
    bad = client.post(
        "/api/surveillance/reports", dict(body, counts=[{"condition": "awd", "count": -1}])
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "counts", 0, "count"]
    week = client.get("/api/surveillance/reports/RNG-PORT/last-week")  # a path parameter
    assert week.status_code == 422 and week.json()["detail"][0]["loc"] == ["path", "week"]


def test_completeness_counts_a_corrected_week_once(people, world):
    chw = people["chw"]
    _send(chw, "RNG-PORT", "2026-W45", [])
    _send(chw, "RNG-PORT", "2026-W47", [{"condition": "awd", "count": 1}], now=_now(TODAY))
    _send(chw, "RNG-PORT", "2026-W47", [{"condition": "awd", "count": 2}])
    rows = services.completeness(chw, (2026, 44), (2026, 47))
    ranong = next(r for r in rows if r["site"] == world["RANONG"])
    assert (ranong["expected"], ranong["received"], ranong["on_time"]) == (4, 2, 1)
    assert ranong["completeness"] == 0.5


def test_importing_reports_twice_changes_nothing_and_bad_rows_name_row_and_field(
    people, world, tmp_path
):
    from django.core.management import CommandError, call_command

    table = tmp_path / "weeks.csv"
    table.write_text(
        "site,week,condition,sex,age_group,count\n"
        "RNG-PORT,2026-W45,awd,female,0-4,3\n"
        "RNG-PORT,2026-W45,awd,male,0-4,2\n"
        "RNG-PORT,2026-W46,,,,\n"
        "RNG-PORT,2026-W47,dengue,female,15-49,-4\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="1 site-weeks rejected"):
        call_command("surveillance", "import", str(table), user="ranong_chw", verbosity=0)
    assert WeeklyReport.objects.count() == 2  # W45 and an empty W46; W47 refused
    lines = services.import_reports(people["chw"], services.read_table(table))
    assert [line["status"] for line in lines] == ["unchanged", "unchanged", "rejected"]
    assert lines[2]["errors"] == [
        {"row": 5, "field": "count", "message": "A count of cases cannot be negative."}
    ]
    assert WeeklyReport.objects.count() == 2
    w45 = services.weekly_series([world["RANONG"].pk], 2026, 45, conditions=["awd"])
    assert w45[(world["RANONG"].pk, "awd")][-1] == 5


def test_the_command_evaluates_a_week(people, world, capsys):
    from django.core.management import CommandError, call_command

    _send(people["chw"], "RNG-PORT", "2026-W47", [{"condition": "cholera", "count": 2}])
    call_command("surveillance", "evaluate", week="2026-W47")
    assert "1 new alerts" in capsys.readouterr().out
    assert Alert.objects.get().condition == "cholera"
    with pytest.raises(CommandError, match="--week"):
        call_command("surveillance", "evaluate", week="2026-W99")


def test_the_pages_take_a_report_show_the_alert_and_move_it(client, people, world):
    chw, officer = people["chw"], people["admin"]
    client.force_login(chw)
    page = client.get("/surveillance/report/")
    assert page.status_code == 200 and "Ranong port health corner" in page.content.decode()
    bad = client.post("/surveillance/report/", {"site": "RNG-PORT", "week": "2026-W47",
                                                "cholera-female": "-1"})  # fmt: skip
    assert bad.status_code == 422 and "cannot be negative" in bad.content.decode()
    sent = client.post("/surveillance/report/", {"site": "RNG-PORT", "week": "2026-W47",
                                                 "cholera-female": "1", "awd-male": "4"})  # fmt: skip
    assert sent.status_code == 302
    counts = {(c.condition, c.sex): c.count for c in ReportCount.objects.all()}
    assert counts == {("cholera", "female"): 1, ("awd", "male"): 4}
    # The report is evaluated as it is saved: the cholera case raises its alert at once.
    alert = Alert.objects.get(condition="cholera")
    assert (alert.site.code, alert.year, alert.week) == ("RNG-PORT", 2026, 47)
    shown = client.get(sent.url).content.decode()  # back on the same site and week
    assert "This report changed an alert" in shown and "Cholera" in shown
    assert "new alert" in shown
    client.force_login(officer)
    listing = client.get("/surveillance/alerts/").content.decode()
    assert f"/surveillance/alerts/{alert.pk}/" in listing and "Cholera" in listing
    page = client.get(f"/surveillance/alerts/{alert.pk}/").content.decode()
    assert "<svg" in page and "2026-W47" in page
    moved = client.post(
        f"/surveillance/alerts/{alert.pk}/", {"state": "verifying", "note": "On it"}
    )
    assert moved.status_code == 302
    alert.refresh_from_db()
    assert alert.state == AlertState.VERIFYING
    wrong = client.post(f"/surveillance/alerts/{alert.pk}/", {"state": "closed"})
    assert wrong.status_code == 422
    client.force_login(people["viewer"])
    assert client.get("/surveillance/report/").status_code == 403


def test_an_xlsx_file_imports_like_a_csv_one(people, world, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Site", "Week", "Condition", "Sex", "Age_group", "Count"])
    sheet.append(["RNG-PORT", "2026-W46", "malaria", "male", "15-49", 6])
    sheet.append([None, None, None, None, None, None])
    sheet.append(["RNG-PORT", "2026-W46", "malaria", "female", "15-49", 2])
    path = tmp_path / "weeks.xlsx"
    book.save(path)
    lines = services.import_reports(people["chw"], services.read_table(path))
    assert [(line["status"], line["rows"]) for line in lines] == [("new", [2, 4])]
    series = services.weekly_series([world["RANONG"].pk], 2026, 46, conditions=["malaria"])
    assert series[(world["RANONG"].pk, "malaria")][-1] == 8


def test_the_api_gives_completeness_per_site(people, api):
    _send(people["chw"], "RNG-PORT", "2026-W47", [], now=_now(TODAY))
    client = api(people["chw"])
    rows = client.get("/api/surveillance/completeness", start="2026-W46", end="2026-W47").json()
    assert rows == [{"site": "RNG-PORT", "name": "Ranong port health corner", "expected": 2,
                     "received": 1, "on_time": 1, "completeness": 0.5, "timeliness": 0.5}]  # fmt: skip
    bad = client.get("/api/surveillance/completeness", start="2026-W47", end="2026-W40")
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "end"]


def test_a_statistical_alarm_waits_for_five_cases_in_four_weeks(people, world):
    _history(people["chw"], "RNG-PORT", 14, lambda n: 0)
    _send(people["chw"], "RNG-PORT", _week(0), [{"condition": "scabies", "count": 3}])
    year, week = services.week_of(TODAY)
    series = services.weekly_series([world["RANONG"].pk], year, week, conditions=["scabies"])
    assert services.detection.ears_c2(series[(world["RANONG"].pk, "scabies")]).alarm[0]
    assert services.evaluate_week(year, week)["new_alerts"] == 0  # 3 cases: not yet
    _send(people["chw"], "RNG-PORT", _week(0), [{"condition": "scabies", "count": 5}])
    assert services.evaluate_week(year, week)["new_alerts"] == 1


def _years_of_reports(site, weeks, count):
    """`weeks` weekly reports up to the last full week before TODAY, written directly."""
    reports = []
    for n in range(weeks, 0, -1):
        year, week = services.week_of(TODAY - dt.timedelta(weeks=n))
        reports.append(WeeklyReport(site=site, year=year, week=week, source="import", on_time=True))
    WeeklyReport.objects.bulk_create(reports)
    ReportCount.objects.bulk_create(
        ReportCount(report=r, condition="awd", count=count(n)) for n, r in enumerate(reports)
    )


def test_a_camp_influx_raises_what_is_expected_instead_of_an_alert(people, world, api):
    camp = world["BRIDGE"]
    _years_of_reports(camp, 300, lambda n: 4)
    _send(people["admin"], "MSOT-BRDG", _week(0), [{"condition": "awd", "count": 15}])
    year, week = services.week_of(TODAY)
    client = api(people["tak_officer"])
    # Without a population: 15 cases against 4 a week is an outbreak.
    assert services.evaluate_week(year, week)["new_alerts"] == 1
    Alert.objects.all().delete()
    # The population was 1,000 and grew to 5,000 ten weeks ago: 15 cases are fewer than
    # the 20 now expected.
    for since, population in [("2020-01-01", 1000), (str(TODAY - dt.timedelta(weeks=10)), 5000)]:
        response = client.post("/api/surveillance/populations",
                               {"site": "MSOT-BRDG", "since": since, "population": population})  # fmt: skip
        assert response.status_code == 200, response.json()
    assert services.evaluate_week(year, week)["new_alerts"] == 0
    offsets = services.population_series([camp.pk], year, week, 12)[camp.pk]
    assert list(offsets) == [1000] + [5000] * 11  # in force from the Monday 10 weeks back
    bad = client.post("/api/surveillance/populations",
                      {"site": "MSOT-BRDG", "since": "2026-01-01", "population": 0})  # fmt: skip
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "population"]
    assert api(people["chw"]).post("/api/surveillance/populations",
                                   {"site": "RNG-PORT", "since": "2026-01-01",
                                    "population": 10}).status_code == 403  # fmt: skip
