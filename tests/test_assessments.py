"""Health assessments: the TB screening workflow from registration to classification and fit-to-travel."""

from datetime import timedelta

import pytest
from django.utils import timezone

from mhis.care.models import Assessment

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def day(n):
    return (TODAY - timedelta(days=n)).isoformat()


def codes(steps):
    return [s["code"] for s in steps]


def locs(response):
    return {tuple(d["loc"][1:]) for d in response.json()["detail"]}


def test_pre_departure_assessment_from_registration_to_fit_to_travel(api, people, world):
    caller = api(people["clinician"])
    registered = caller.post(
        "/api/persons",
        {
            "registration_site": "MSOT-CLIN",
            "names": [{"text": "ဒေါ်ခင်အေး"}],
            "sex": "female",
            "birth_date": "1992-06",
            "nationality": "MM",
            "episodes": [{"status": "REF", "origin_country": "MM", "destination_country": "US"}],
        },
    )
    assert registered.status_code == 201, registered.content
    person = registered.json()["id"]

    started = caller.post(
        f"/api/persons/{person}/assessments",
        {
            "site": "MSOT-CLIN",
            "type": "pre_departure",
            "date": day(60),
            "programme": "US",
            "destination_country": "US",
            "history": "No previous TB",
            "tb_symptoms": False,
            "xray_result": "suggestive",
            "xray_date": day(60),
            "hiv_result": "negative",
            "syphilis_result": "negative",
            "hepatitis_b_result": "negative",
            "malaria_result": "negative",
            "pregnancy_result": "negative",
            "rhs15_items": [1, 0, 1, 2, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0],
            "rhs15_thermometer": 3,
        },
    )
    assert started.status_code == 201, started.content
    assessment = started.json()
    aid = assessment["id"]
    assert assessment["presumptive_tb"] is True
    assert codes(assessment["missing"]) == [
        "sputum_1",
        "sputum_2",
        "sputum_3",
        "tb_classification",
        "fit_to_travel",
    ]
    assert assessment["rhs15"] == {"score": 8, "thermometer": 3, "positive": False}
    assert [a["id"] for a in caller.get("/api/assessments/pending").json()] == [aid]

    too_early = caller.patch(f"/api/assessments/{aid}", {"tb_classification": "B1_PULM"})
    assert too_early.status_code == 422 and ("tb_classification",) in locs(too_early)

    smears = caller.patch(
        f"/api/assessments/{aid}",
        {
            "specimens": [
                {
                    "number": n,
                    "collected_on": day(59 - n),
                    "smear_result": "negative",
                    "smear_reported_on": day(58 - n),
                }
                for n in (1, 2, 3)
            ]
        },
    )
    assert codes(smears.json()["missing"]) == [
        "culture_1",
        "culture_2",
        "culture_3",
        "tb_classification",
        "fit_to_travel",
    ]

    not_yet_fit = caller.patch(f"/api/assessments/{aid}", {"fit_to_travel": "fit"})
    assert not_yet_fit.status_code == 422 and ("fit_to_travel",) in locs(not_yet_fit)

    cultures = caller.patch(
        f"/api/assessments/{aid}",
        {
            "specimens": [
                {"number": n, "culture_result": "negative", "culture_reported_on": day(10)}
                for n in (1, 2, 3)
            ]
        },
    )
    assert codes(cultures.json()["missing"]) == ["tb_classification", "fit_to_travel"]
    assert cultures.json()["specimens"][0]["smear_result"] == "negative"  # earlier results kept

    done = caller.patch(
        f"/api/assessments/{aid}", {"tb_classification": "B1_PULM", "fit_to_travel": "fit"}
    )
    assert done.status_code == 200, done.content
    body = done.json()
    assert body["missing"] == [] and body["quality_flags"] == []
    assert body["completed_on"] == TODAY.isoformat()
    assert caller.get("/api/assessments/pending").json() == []
    history = caller.get(f"/api/assessments/{aid}/history").json()
    assert history[-1]["changes"]["tb_classification"] == ["", "B1_PULM"]
    assert [h["action"] for h in history] == [
        "created",
        "updated",
        "updated",
        "updated",
    ]  # refused changes leave none
    assert history[1]["changes"]["specimen_1.smear_result"] == ["", "negative"]


def test_a_positive_culture_needs_dst_and_is_flagged_until_done(api, people, register):
    person = register()
    caller = api(people["clinician"])
    aid = caller.post(
        f"/api/persons/{person.uuid}/assessments",
        {
            "site": "MSOT-CLIN",
            "type": "on_arrival",
            "date": day(30),
            "xray_result": "suggestive",
            "specimens": [
                {
                    "number": n,
                    "collected_on": day(29),
                    "smear_result": "1+",
                    "culture_result": "mtb" if n == 1 else "negative",
                }
                for n in (1, 2, 3)
            ],
        },
    ).json()["id"]
    body = caller.get(f"/api/assessments/{aid}").json()
    assert "dst" in codes(body["missing"])
    assert codes(body["quality_flags"]) == ["culture_positive_no_dst"]
    body = caller.patch(
        f"/api/assessments/{aid}", {"dst_result": "susceptible", "dst_date": day(5)}
    ).json()
    assert "dst" not in codes(body["missing"]) and body["quality_flags"] == []


def test_no_sputum_needed_without_presumptive_tb(api, people, register):
    person = register()
    body = (
        api(people["clinician"])
        .post(
            f"/api/persons/{person.uuid}/assessments",
            {
                "site": "MSOT-CLIN",
                "type": "pre_employment",
                "xray_result": "normal",
                "tb_classification": "NO_TB",
                "fit_to_travel": "fit",
            },
        )
        .json()
    )
    assert (
        body["presumptive_tb"] is False
        and body["missing"] == []
        and body["completed_on"] == TODAY.isoformat()
    )


@pytest.mark.parametrize(
    ("items", "thermometer", "positive"),
    [
        ([1] * 12 + [0, 0], 0, True),
        ([1] * 11 + [0, 0, 0], 4, False),
        ([0] * 14, 5, True),
        ([4] * 14, None, True),
    ],
)
def test_rhs15_is_scored_to_its_cutoff(api, people, register, items, thermometer, positive):
    person = register()
    body = (
        api(people["clinician"])
        .post(
            f"/api/persons/{person.uuid}/assessments",
            {
                "site": "MSOT-CLIN",
                "type": "post_arrival",
                "rhs15_items": items,
                "rhs15_thermometer": thermometer,
            },
        )
        .json()
    )
    assert body["rhs15"]["positive"] is positive
    assert body["rhs15"]["score"] == sum(items)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"tb_classification": "B1_PULM"}, ("tb_classification",)),  # a US class, programme GEN
        ({"programme": "XX"}, ("programme",)),
        (
            {
                "specimens": [
                    {
                        "number": 1,
                        "collected_on": day(5),
                        "culture_result": "negative",
                        "culture_reported_on": day(9),
                    }
                ]
            },
            ("specimens", 0, "culture_reported_on"),
        ),
        ({"specimens": [{"number": 4}]}, ("specimens", 0, "number")),
        ({"specimens": [{"number": 1, "smear_result": "4+"}]}, ("specimens", 0, "smear_result")),
        ({"rhs15_items": [1, 2, 3]}, ("rhs15_items",)),
        ({"rhs15_items": [5] * 14}, ("rhs15_items",)),
        ({"rhs15_thermometer": 11}, ("rhs15_thermometer",)),
        ({"date": "1980-01-01"}, ("date",)),
        ({"xray_result": "blurry"}, ("xray_result",)),
        ({"hiv_result": "maybe"}, ("hiv_result",)),
        ({"tst_mm": 90}, ("tst_mm",)),
        ({"site": "SPS-CAMR"}, ("site",)),
        ({"type": "routine"}, ("type",)),
        ({"fit_to_travel": "unfit"}, ("fit_reason",)),
    ],
)
def test_bad_assessments_name_the_field_and_write_nothing(api, people, register, change, field):
    person = register(birth_date="1990")
    payload = {"site": "MSOT-CLIN", "type": "pre_departure", "date": day(10), **change}
    response = api(people["clinician"]).post(f"/api/persons/{person.uuid}/assessments", payload)
    assert response.status_code == 422, response.content
    assert field in locs(response), response.json()
    assert not Assessment.objects.exists()


def test_assessments_are_404_out_of_scope_and_403_for_read_only_roles(api, people, register):
    person = register()
    aid = (
        api(people["clinician"])
        .post(
            f"/api/persons/{person.uuid}/assessments", {"site": "MSOT-CLIN", "type": "on_arrival"}
        )
        .json()["id"]
    )
    outsider = api(people["hn_clinician"])
    assert outsider.get(f"/api/assessments/{aid}").status_code == 404
    assert outsider.patch(f"/api/assessments/{aid}", {"xray_result": "normal"}).status_code == 404
    assert outsider.get(f"/api/persons/{person.uuid}/assessments").status_code == 404
    assert outsider.get("/api/assessments/pending").json() == []
    officer = api(people["tak_officer"])
    assert officer.get(f"/api/assessments/{aid}").status_code == 200
    assert officer.patch(f"/api/assessments/{aid}", {"xray_result": "normal"}).status_code == 403
    assert [a["id"] for a in officer.get("/api/assessments/pending").json()] == [aid]


def test_a_later_result_reopens_a_completed_assessment(api, people, register):
    person = register()
    caller = api(people["clinician"])
    aid = caller.post(
        f"/api/persons/{person.uuid}/assessments",
        {
            "site": "MSOT-CLIN",
            "type": "pre_employment",
            "xray_result": "normal",
            "tb_classification": "NO_TB",
            "fit_to_travel": "fit",
        },
    ).json()["id"]
    # New symptoms make TB presumptive: sputum is now missing, so the classification is refused.
    response = caller.patch(f"/api/assessments/{aid}", {"tb_symptoms": True})
    assert response.status_code == 422 and ("tb_classification",) in locs(response)
    reopened = caller.patch(
        f"/api/assessments/{aid}",
        {
            "tb_symptoms": True,
            "tb_classification": "",
            "fit_to_travel": "temporarily_unfit",
            "fit_reason": "Sputum pending",
        },
    )
    assert reopened.status_code == 200, reopened.content
    assert reopened.json()["completed_on"] is None
