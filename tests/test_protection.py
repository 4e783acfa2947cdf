"""Social health protection: schemes, enrolments with coverage periods, out-of-pocket payments."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from mhis.care.services import record_encounter
from mhis.protection.models import Enrolment, Payment, Scheme
from mhis.protection.services import create_scheme, out_of_pocket

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def day(n):
    return (TODAY - timedelta(days=n)).isoformat()


def locs(response):
    return {tuple(d["loc"][1:]) for d in response.json()["detail"]}


@pytest.fixture
def scheme(people):
    return create_scheme(
        people["admin"],
        {
            "code": "HN-IHSS-RET",
            "name": "Returnee women's coverage",
            "country": "HN",
            "type": "programme",
        },
    )


@pytest.fixture
def returnee(register, people):
    return register(
        by=people["hn_clinician"],
        registration_site="SPS-CAMR",
        names=[{"text": "Dilcia Mejía Flores"}],
        sex="female",
        birth_date="1994",
        nationality="HN",
        identifiers=[],
        episodes=[{"status": "RET_INT", "origin_country": "HN"}],
    )


def test_returnee_woman_is_enrolled_and_covered(api, people, scheme, returnee):
    caller = api(people["hn_clinician"])
    response = caller.post(
        f"/api/persons/{returnee.uuid}/enrolments",
        {
            "scheme": "HN-IHSS-RET",
            "site": "SPS-CAMR",
            "member_number": "RET-2026-0042",
            "start_date": day(90),
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["covers_today"] is True and body["member_number"] == "RET-2026-0042"
    ended = caller.patch(f"/api/enrolments/{body['id']}", {"end_date": day(1)})
    assert ended.json()["covers_today"] is False
    history = caller.get(f"/api/enrolments/{body['id']}/history").json()
    assert history[-1]["changes"]["end_date"] == [None, day(1)]
    assert "RET-2026-0042" not in str(history)


def test_member_number_is_encrypted_at_rest(api, people, scheme, returnee):
    api(people["hn_clinician"]).post(
        f"/api/persons/{returnee.uuid}/enrolments",
        {
            "scheme": "HN-IHSS-RET",
            "site": "SPS-CAMR",
            "member_number": "RET-2026-0042",
            "start_date": day(9),
        },
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT member_number FROM protection_enrolment")
        assert "RET-2026-0042" not in cursor.fetchone()[0]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"scheme": "NOPE"}, ("scheme",)),
        ({"end_date": day(200)}, ("end_date",)),
        ({"start_date": "1990-01-01"}, ("start_date",)),
        ({"site": "MSOT-CLIN"}, ("site",)),
        ({"start_date": day(30)}, ("start_date",)),  # overlaps the existing enrolment
    ],
)
def test_bad_enrolments_name_the_field(api, people, scheme, returnee, change, field):
    caller = api(people["hn_clinician"])
    caller.post(
        f"/api/persons/{returnee.uuid}/enrolments",
        {"scheme": "HN-IHSS-RET", "site": "SPS-CAMR", "start_date": day(60)},
    )
    response = caller.post(
        f"/api/persons/{returnee.uuid}/enrolments",
        {"scheme": "HN-IHSS-RET", "site": "SPS-CAMR", "start_date": day(100), **change},
    )
    assert response.status_code == 422 and field in locs(response), response.content
    assert Enrolment.objects.count() == 1


def test_enrolments_are_404_out_of_scope(api, people, scheme, returnee):
    eid = (
        api(people["hn_clinician"])
        .post(
            f"/api/persons/{returnee.uuid}/enrolments",
            {"scheme": "HN-IHSS-RET", "site": "SPS-CAMR", "start_date": day(9)},
        )
        .json()["id"]
    )
    outsider = api(people["clinician"])
    assert outsider.get(f"/api/enrolments/{eid}").status_code == 404
    assert outsider.patch(f"/api/enrolments/{eid}", {"end_date": day(1)}).status_code == 404
    assert outsider.get(f"/api/persons/{returnee.uuid}/enrolments").status_code == 404


def test_only_administrators_add_schemes(api, people, db, world):
    response = api(people["clinician"]).post(
        "/api/schemes", {"code": "X", "name": "X", "country": "TH", "type": "migrant"}
    )
    assert response.status_code == 403
    bad = api(people["admin"]).post(
        "/api/schemes", {"code": "X", "name": "X", "country": "QQ", "type": "migrant"}
    )
    assert bad.status_code == 422 and ("country",) in locs(bad)
    good = api(people["admin"]).post(
        "/api/schemes",
        {"code": "TH-MHI", "name": "Migrant health insurance", "country": "THA", "type": "migrant"},
    )
    assert good.status_code == 201 and good.json()["country"] == "TH"
    assert [s["code"] for s in api(people["clinician"]).get("/api/schemes").json()] == ["TH-MHI"]
    assert Scheme.objects.count() == 1


def test_out_of_pocket_payments_for_encounters(api, people, returnee):
    encounter = record_encounter(
        people["hn_clinician"],
        returnee,
        {
            "site": "SPS-CAMR",
            "kind": "consultation",
            "date": day(3),
            "cost": "800",
            "currency": "HNL",
            "paid_by": "patient",
        },
    )
    caller = api(people["hn_clinician"])
    assert (
        caller.post(
            f"/api/encounters/{encounter.pk}/payments", {"amount": "500", "paid_on": day(3)}
        ).status_code
        == 201
    )
    assert (
        caller.post(
            f"/api/encounters/{encounter.pk}/payments",
            {"amount": "300", "payer": "programme", "paid_on": day(2)},
        ).status_code
        == 201
    )
    assert [p["amount"] for p in caller.get(f"/api/encounters/{encounter.pk}/payments").json()] == [
        "500.00",
        "300.00",
    ]
    assert out_of_pocket([encounter]) == {"HNL": {"total": "800.00", "patient": "500.00"}}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"amount": "-1"}, ("amount",)),
        ({"amount": "10", "currency": "ZZZ"}, ("currency",)),
        ({"amount": "10", "paid_on": day(10)}, ("paid_on",)),
        ({"amount": "10", "payer": "bank"}, ("payer",)),
        ({}, ("amount",)),
    ],
)
def test_bad_payments_name_the_field(api, people, returnee, payload, field):
    encounter = record_encounter(
        people["hn_clinician"],
        returnee,
        {
            "site": "SPS-CAMR",
            "kind": "consultation",
            "date": day(3),
            "cost": "100",
            "currency": "HNL",
        },
    )
    response = api(people["hn_clinician"]).post(f"/api/encounters/{encounter.pk}/payments", payload)
    assert response.status_code == 422 and field in locs(response), response.content
    assert not Payment.objects.exists()


def test_payments_are_404_out_of_scope_and_403_for_read_only_roles(api, people, returnee):
    encounter = record_encounter(
        people["hn_clinician"],
        returnee,
        {"site": "SPS-CAMR", "kind": "consultation", "date": day(3)},
    )
    assert (
        api(people["clinician"])
        .post(f"/api/encounters/{encounter.pk}/payments", {"amount": "1", "currency": "HNL"})
        .status_code
        == 404
    )
    assert (
        api(people["hn_analyst"]).get(f"/api/encounters/{encounter.pk}/payments").status_code == 404
    )
    assert not Payment.objects.exists()


def test_a_payment_is_corrected_and_its_history_keeps_the_old_amount(api, people, returnee, client):
    encounter = record_encounter(
        people["hn_clinician"],
        returnee,
        {
            "site": "SPS-CAMR",
            "kind": "consultation",
            "date": day(3),
            "cost": "800",
            "currency": "HNL",
            "paid_by": "patient",
        },
    )
    caller = api(people["hn_clinician"])
    pid = caller.post(
        f"/api/encounters/{encounter.pk}/payments", {"amount": "500", "paid_on": day(3)}
    ).json()["id"]
    changed = caller.patch(f"/api/payments/{pid}", {"amount": "450"})
    assert changed.status_code == 200 and changed.json()["amount"] == "450.00"
    assert caller.get(f"/api/payments/{pid}/history").json()[-1]["changes"]["amount"] == [
        "500.00",
        "450.00",
    ]
    assert caller.patch(f"/api/payments/{pid}", {"amount": "-1"}).status_code == 422
    assert api(people["clinician"]).get(f"/api/payments/{pid}").status_code == 404
    assert (
        api(people["hn_analyst"]).patch(f"/api/payments/{pid}", {"amount": "1"}).status_code == 404
    )
    client.force_login(people["hn_clinician"])
    page = client.get(f"/care/payment/{pid}/edit/")
    data = {k: ("" if v is None else v) for k, v in page.context["form"].initial.items()}
    data["amount"] = "400"
    assert client.post(f"/care/payment/{pid}/edit/", data).status_code == 302
    assert Payment.objects.get(pk=pid).amount == 400
    client.force_login(people["clinician"])
    assert client.get(f"/care/payment/{pid}/edit/").status_code == 404


def test_an_overlong_scheme_name_is_refused_not_cut(people, db, world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        create_scheme(
            people["admin"],
            {"code": "X" * 41, "name": "N" * 201, "country": "TH", "type": "migrant"},
        )
    assert {"code", "name"} <= set(error.value.message_dict)
    assert not Scheme.objects.exists()
