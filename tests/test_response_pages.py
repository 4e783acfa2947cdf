"""The response's pages (ADR 0031): the outbreak page's section, the assessment, action and
7-1-7 forms (refusals at the top, 422), the action page, the overdue actions and the 7-1-7
table with its CSV, each in the user's places only."""

from __future__ import annotations

import datetime as dt

import pytest

from mhis.response import services
from mhis.response.models import ResponseAction, RiskAssessment
from mhis.surveillance import outbreaks
from mhis.surveillance.models import Alert

TODAY = dt.date.today()


def _day(n):
    return (TODAY - dt.timedelta(days=n)).isoformat()


@pytest.fixture
def outbreak(people, world):
    year, week = (TODAY - dt.timedelta(days=7)).isocalendar()[:2]
    alert = Alert.objects.create(
        site=world["BRIDGE"], condition="cholera", year=year, week=week, method="threshold",
        observed=4, threshold=1, state="confirmed",
    )  # fmt: skip
    return outbreaks.open_outbreak(people["tak_officer"], alert=alert)


def test_the_officer_assesses_assigns_and_records_717_from_the_outbreak_page(
    client, people, outbreak
):
    client.force_login(people["tak_officer"])
    page = client.get(f"/surveillance/outbreaks/{outbreak.pk}/").content.decode()
    assert "Risk and response" in page and "Not assessed yet." in page
    assert f"/surveillance/outbreaks/{outbreak.pk}/risk/" in page
    refused = client.post(f"/surveillance/outbreaks/{outbreak.pk}/risk/", {"hazard": "x"})
    assert refused.status_code == 422
    body = refused.content.decode()
    assert "There is a problem" in body and 'href="#exposure"' in body
    done = client.post(
        f"/surveillance/outbreaks/{outbreak.pk}/risk/",
        {"hazard": "AWD", "exposure": "2,000 porters", "context": "Rainy season",
         "likelihood": "likely", "consequence": "major", "confidence": "high"},
    )  # fmt: skip
    assert done.status_code == 302
    assert RiskAssessment.objects.get().level == "high"
    refused = client.post(
        f"/surveillance/outbreaks/{outbreak.pk}/actions/",
        {"title": "Chlorinate", "owner": people["clinician"].pk, "due_on": _day(-2)},
    )
    assert refused.status_code == 422 and 'href="#owner"' in refused.content.decode()
    assert (
        client.post(
            f"/surveillance/outbreaks/{outbreak.pk}/actions/",
            {"title": "Chlorinate", "owner": people["tak_officer"].pk, "due_on": _day(-2)},
        ).status_code
        == 302
    )
    refused = client.post(
        f"/surveillance/outbreaks/{outbreak.pk}/717/",
        {"emerged_on": _day(3), "detected_on": _day(5)},
    )
    assert refused.status_code == 422 and 'href="#detected_on"' in refused.content.decode()
    assert (
        client.post(
            f"/surveillance/outbreaks/{outbreak.pk}/717/",
            {"emerged_on": _day(6), "detected_on": _day(3), "notified_on": _day(3)},
        ).status_code
        == 302
    )
    page = client.get(f"/surveillance/outbreaks/{outbreak.pk}/").content.decode()
    assert "High risk" in page and "Chlorinate" in page and "3 days" in page
    table = client.get("/surveillance/response/717/").content.decode()
    assert "Thailand" in table and "3 days" in table and "0 days" in table


def test_a_viewer_or_clinician_reads_the_section_without_forms_and_is_refused_them(
    client, people, outbreak
):
    services.assess(
        people["tak_officer"], outbreak,
        {"hazard": "Vibrio cholerae", "exposure": "Porters", "context": "Rainy season",
         "likelihood": "likely", "consequence": "major", "confidence": "high"},
    )  # fmt: skip
    client.force_login(people["clinician"])
    page = client.get(f"/surveillance/outbreaks/{outbreak.pk}/").content.decode()
    assert "Risk and response" in page and "Re-assess the risk" not in page
    base = f"/surveillance/outbreaks/{outbreak.pk}"
    assert f"{base}/actions/" not in page and f"{base}/717/" not in page
    read = client.get(f"/surveillance/outbreaks/{outbreak.pk}/risk/").content.decode()
    assert (
        "Vibrio cholerae" in read and "<form" not in read.split("<main", 1)[-1].split("</main>")[0]
    )
    assert client.post(f"/surveillance/outbreaks/{outbreak.pk}/risk/", {}).status_code == 403
    for path in ("actions/", "717/"):
        assert client.get(f"/surveillance/outbreaks/{outbreak.pk}/{path}").status_code == 403
        assert client.post(f"/surveillance/outbreaks/{outbreak.pk}/{path}", {}).status_code == 403
    client.force_login(people["viewer"])
    assert client.get(f"/surveillance/outbreaks/{outbreak.pk}/risk/").status_code == 403


def test_an_action_page_and_the_overdue_list_stay_in_the_users_places(client, people, outbreak):
    officer = people["tak_officer"]
    action = services.add_action(
        officer, outbreak, {"title": "Supplies", "owner": officer.pk, "due_on": _day(0)}
    )
    ResponseAction.objects.filter(pk=action.pk).update(due_on=TODAY - dt.timedelta(days=3))
    services.escalate_actions()
    client.force_login(officer)
    assert "Supplies" in client.get("/surveillance/response/actions/overdue/").content.decode()
    refused = client.post(f"/surveillance/response/actions/{action.pk}/", {"state": "cancelled"})
    assert (
        refused.status_code == 422
        and "Say why the action is cancelled." in refused.content.decode()
    )
    client.force_login(people["hn_clinician"])
    assert client.get(f"/surveillance/response/actions/{action.pk}/").status_code == 404
    assert "Supplies" not in client.get("/surveillance/response/actions/overdue/").content.decode()
    client.force_login(people["chw"])  # does not read alerts
    assert client.get("/surveillance/response/717/").status_code == 403


def test_the_717_csv_and_a_bad_filter(client, people, outbreak):
    services.record_timeliness(
        people["tak_officer"], outbreak,
        {"emerged_on": _day(6), "detected_on": _day(3), "notified_on": _day(3)},
    )  # fmt: skip
    client.force_login(people["tak_officer"])
    got = client.get("/surveillance/response/717/?level=country&format=csv")
    assert got["Content-Type"] == "text/csv"
    body = got.content.decode()
    assert body.splitlines()[1].startswith('"Thailand",')
    assert "tak_officer" not in body
    bad = client.get("/surveillance/response/717/?quarter=Q9&format=csv")
    assert bad.status_code == 400 and "Enter a quarter as YYYY-Qn" in bad.content.decode()


def test_an_unverified_alert_shows_why_it_cannot_be_assessed(client, people, world):
    year, week = (TODAY - dt.timedelta(days=7)).isocalendar()[:2]
    alert = Alert.objects.create(
        site=world["CLINIC"], condition="measles", year=year, week=week, method="threshold",
        observed=4, threshold=1,
    )  # fmt: skip
    client.force_login(people["tak_officer"])
    page = client.post(f"/surveillance/alerts/{alert.pk}/risk/", {"hazard": "x"})
    assert page.status_code == 200
    assert "Only a verified alert is assessed" in page.content.decode()
    assert not RiskAssessment.objects.exists()


def test_the_717_form_suggests_detection_and_notification_from_the_outbreak(
    client, people, outbreak
):
    client.force_login(people["tak_officer"])
    page = client.get(f"/surveillance/outbreaks/{outbreak.pk}/717/").content.decode()
    first = outbreaks.period(outbreak)[0].isoformat()
    assert f'id="detected_on" name="detected_on" max="{TODAY.isoformat()}" value="{first}"' in page
    assert "check them before saving" in page
