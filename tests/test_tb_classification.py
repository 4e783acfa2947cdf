"""TB classification by the destination programme's decision table (ADR 0019).

The expected classes below are written again from the instructions, as a table of their own,
not by calling the implementation: the US CDC Tuberculosis Technical Instructions for Panel
Physicians and the UK Tuberculosis Technical Instructions (pre-entry screening).
"""

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from mhis.care import tb
from mhis.care.models import Assessment, RecordChange, SputumSpecimen

TODAY = timezone.localdate()

SYMPTOMS = (False, True)
XRAYS = ("", "normal", "suggestive", "other_abnormal", "not_done")
HIV = (False, True)
SMEARS = ("", "negative", "positive")
CULTURES = ("", "negative", "mtb", "ntm", "contaminated")
XPERTS = ("", "not_detected", "rif_not_detected", "rif_detected", "rif_indeterminate", "invalid")
DSTS = ("", "susceptible", "mdr")
TREATMENTS = ("", "none", "ongoing", "completed")
FLAGS = (False, True)


def us_expected(symptoms, xray, hiv, smear, culture, xpert, dst, treatment, contact, extra, ltbi):
    """(proposed, allowed) by the CDC technical instructions, in the order the physician asks."""
    detected = culture == "mtb" or xpert.startswith("rif_") or dst != ""
    if treatment == "ongoing":
        return "A", {"A", "A_WAIVER"}  # under treatment: Class A until DOT is completed
    if treatment == "completed":
        return "B0", {"B0", "A", "A_WAIVER"}  # B0: DOT completed; A if the treatment failed
    if detected or smear == "positive":
        return "A", {"A", "A_WAIVER"}  # positive smear or culture: TB disease
    if xray == "suggestive" or symptoms or hiv:
        # Sputum negative: B1 pulmonary, unless the physician diagnoses TB clinically (A).
        allowed = {"B1_PULM", "A", "A_WAIVER"} | ({"B1_EXTRA"} if extra else set())
        return "B1_PULM", allowed
    if extra:
        return "B1_EXTRA", {"B1_EXTRA"}
    if ltbi:
        return "B2", {"B2", "B3"} if contact else {"B2"}
    if contact:
        return "B3", {"B3"}
    return "NONE", {"NONE"}


US_TRAVEL = {"A": "none", "A_WAIVER": "conditions"}  # every other class: fit


def uk_expected(symptoms, xray, hiv, smear, culture, xpert, dst, treatment, contact, extra, ltbi):
    """(proposed, allowed) by the UK technical instructions: a certificate only without
    active pulmonary TB; the screening reads the X-ray, symptoms and sputum only."""
    detected = culture == "mtb" or xpert.startswith("rif_") or dst != ""
    if treatment == "ongoing" or detected or smear == "positive":
        return "UK_TB", {"UK_TB"}
    if xray == "suggestive" or symptoms:
        return "UK_CLEAR", {"UK_CLEAR", "UK_TB"}
    return "UK_CLEAR", {"UK_CLEAR"}


UK_TRAVEL = {"UK_TB": "none"}


def gen_expected(symptoms, xray, hiv, smear, culture, xpert, dst, treatment, contact, extra, ltbi):
    """(proposed, allowed) by the WHO case definitions, for assessments with no programme."""
    bacteriological = culture == "mtb" or xpert.startswith("rif_") or dst != ""
    bacteriological = bacteriological or smear == "positive"
    if treatment == "ongoing":
        return (
            ("ACTIVE_BC", {"ACTIVE_BC"})
            if bacteriological
            else (
                "ACTIVE_CD",
                {"ACTIVE_CD", "ACTIVE_BC"},
            )
        )
    if treatment == "completed":
        return "NO_TB", {"NO_TB", "ACTIVE_BC", "ACTIVE_CD"}
    if bacteriological:
        return "ACTIVE_BC", {"ACTIVE_BC"}
    if xray == "suggestive" or symptoms or hiv:
        return ("ACTIVE_CD", {"ACTIVE_CD"}) if extra else ("NO_TB", {"NO_TB", "ACTIVE_CD"})
    if extra:
        return "ACTIVE_CD", {"ACTIVE_CD"}
    if ltbi:
        return "LTBI", {"LTBI", "CONTACT"} if contact else {"LTBI"}
    if contact:
        return "CONTACT", {"CONTACT"}
    return "NO_TB", {"NO_TB"}


GEN_TRAVEL = {"ACTIVE_BC": "none", "ACTIVE_CD": "none"}


@pytest.mark.parametrize(
    ("programme", "expected", "travel"),
    [
        ("US", us_expected, US_TRAVEL),
        ("UK", uk_expected, UK_TRAVEL),
        ("GEN", gen_expected, GEN_TRAVEL),
    ],
)
def test_every_combination_the_instructions_distinguish(programme, expected, travel):
    wrong = []
    space = itertools.product(
        SYMPTOMS, XRAYS, HIV, SMEARS, CULTURES, XPERTS, DSTS, TREATMENTS, FLAGS, FLAGS, FLAGS
    )
    count = 0
    for combo in space:
        count += 1
        symptoms, xray, hiv, smear, culture, xpert, dst, treatment, contact, extra, ltbi = combo
        decision = tb.decide(
            programme,
            tb.Findings(
                symptoms=symptoms,
                xray=xray,
                hiv_positive=hiv,
                smear=smear,
                culture=culture,
                xpert=xpert,
                dst=dst,
                treatment=treatment,
                contact=contact,
                extrapulmonary=extra,
                ltbi_test_positive=ltbi,
            ),
        )
        proposed, allowed = expected(*combo)
        fitness = {c: travel.get(c, "fit") for c in allowed}
        got = {c: tb.clearance(programme, c).value for c in decision.allowed}
        if (decision.proposed, set(decision.allowed), got) != (proposed, allowed, fitness):
            wrong.append((combo, decision.proposed, decision.allowed))
    assert count == 2 * 5 * 2 * 3 * 5 * 6 * 3 * 4 * 2 * 2 * 2
    assert wrong == [], wrong[:5]


def test_a_positive_result_never_allows_no_class_or_travel_without_treatment():
    """The rule behind the issue's case, for every programme: any positive smear, culture or
    Xpert, untreated, allows neither "no TB" nor an unconditional fit to travel."""
    for programme, culture, smear, xpert in itertools.product(
        ("US", "UK", "GEN"), CULTURES, SMEARS, XPERTS
    ):
        findings = tb.Findings(
            xray="suggestive", symptoms=True, smear=smear, culture=culture, xpert=xpert
        )
        positive = culture == "mtb" or smear == "positive" or xpert.startswith("rif_")
        decision = tb.decide(programme, findings)
        if positive:
            assert not {"NONE", "NO_TB", "UK_CLEAR"} & set(decision.allowed), (programme, findings)
            assert tb.may_travel(decision) != tb.Clearance.FIT, (programme, findings)


def test_the_findings_summarise_the_specimens():
    f = tb.summarise(
        tb_symptoms=None,
        xray_result="normal",
        hiv_result="negative",
        xpert_result="",
        dst_result="",
        igra_result="negative",
        tst_mm=10,
        tb_treatment="",
        tb_contact=None,
        extrapulmonary_tb=False,
        smears=["negative", "scanty", ""],
        cultures=["negative", "ntm", "mtb"],
    )
    assert (f.smear, f.culture, f.mtb, f.ltbi_test_positive) == ("positive", "mtb", True, True)
    f = tb.summarise(
        tb_symptoms=True,
        xray_result="",
        hiv_result="",
        xpert_result="",
        dst_result="",
        igra_result="",
        tst_mm=9,
        tb_treatment="",
        tb_contact=True,
        extrapulmonary_tb=None,
        smears=["negative", ""],
        cultures=["contaminated", "negative"],
    )
    assert (f.smear, f.culture, f.mtb, f.ltbi_test_positive, f.symptoms, f.contact) == (
        "negative",
        "contaminated",
        False,
        False,
        True,
        True,
    )


# -- the case of issue 29, through the API and the page ------------------------------------------

pytestmark = pytest.mark.django_db


def day(n):
    return (TODAY - timedelta(days=n)).isoformat()


def locs(response):
    return {tuple(d["loc"][1:]) for d in response.json()["detail"]}


def messages(response):
    return " ".join(d["msg"] for d in response.json()["detail"])


def the_case(**outcome):
    """Symptoms, X-ray suggestive, sputum culture 1 positive for M. tuberculosis complex."""
    return {
        "site": "MSOT-CLIN",
        "type": "pre_departure",
        "date": day(60),
        "programme": "US",
        "destination_country": "US",
        "tb_symptoms": True,
        "xray_result": "suggestive",
        "xray_date": day(60),
        "hiv_result": "negative",
        "dst_result": "susceptible",
        "dst_date": day(5),
        "specimens": [
            {
                "number": n,
                "collected_on": day(59),
                "smear_result": "negative",
                "culture_result": "mtb" if n == 1 else "negative",
                "culture_reported_on": day(10),
            }
            for n in (1, 2, 3)
        ],
        **outcome,
    }


@pytest.mark.parametrize("programme,no_tb", [("US", "NONE"), ("GEN", "NO_TB"), ("UK", "UK_CLEAR")])
def test_the_case_is_refused_by_the_api(api, people, register, programme, no_tb):
    person = register()
    caller = api(people["clinician"])
    response = caller.post(
        f"/api/persons/{person.uuid}/assessments",
        the_case(programme=programme, tb_classification=no_tb, fit_to_travel="fit"),
    )
    assert response.status_code == 422, response.content
    assert {("tb_classification",), ("fit_to_travel",)} <= locs(response)
    assert "Culture 1: M. tuberculosis complex" in messages(response)
    assert not Assessment.objects.exists()


def test_the_api_proposes_class_a_and_accepts_it_with_unfit(api, people, register):
    person = register()
    caller = api(people["clinician"])
    started = caller.post(f"/api/persons/{person.uuid}/assessments", the_case())
    assert started.status_code == 201, started.content
    body = started.json()
    assert (body["tb_proposed"], body["tb_allowed"]) == ("A", ["A", "A_WAIVER"])
    aid = body["id"]
    # Fit with conditions is no way round it either, and "Class A" with "fit" is refused.
    for outcome in (
        {"tb_classification": "A", "fit_to_travel": "fit"},
        {"tb_classification": "A", "fit_to_travel": "fit_with_conditions", "fit_reason": "x"},
        {"tb_classification": "B1_PULM", "fit_to_travel": "temporarily_unfit", "fit_reason": "x"},
    ):
        refused = caller.patch(f"/api/assessments/{aid}", outcome)
        assert refused.status_code == 422, outcome
    done = caller.patch(
        f"/api/assessments/{aid}",
        {
            "tb_classification": "A",
            "fit_to_travel": "temporarily_unfit",
            "fit_reason": "TB treatment under DOT",
            "tb_treatment": "ongoing",
        },
    )
    assert done.status_code == 200, done.content
    assert done.json()["completed_on"] == TODAY.isoformat()


def test_class_a_with_waiver_allows_travel_only_with_conditions(api, people, register):
    person = register()
    caller = api(people["clinician"])
    refused = caller.post(
        f"/api/persons/{person.uuid}/assessments",
        the_case(tb_classification="A_WAIVER", fit_to_travel="fit"),
    )
    assert refused.status_code == 422 and ("fit_to_travel",) in locs(refused)
    assert "only with conditions" in messages(refused)
    accepted = caller.post(
        f"/api/persons/{person.uuid}/assessments",
        the_case(
            tb_classification="A_WAIVER",
            fit_to_travel="fit_with_conditions",
            fit_reason="Waiver granted; treatment continued on arrival",
        ),
    )
    assert accepted.status_code == 201, accepted.content


def test_a_class_the_results_do_not_allow_is_refused_without_a_positive_result(
    api, people, register
):
    person = register()
    response = api(people["clinician"]).post(
        f"/api/persons/{person.uuid}/assessments",
        {
            "site": "MSOT-CLIN",
            "type": "pre_departure",
            "programme": "US",
            "xray_result": "normal",
            "igra_result": "positive",
            "tb_classification": "NONE",
            "fit_to_travel": "fit",
        },
    )
    assert response.status_code == 422 and locs(response) == {("tb_classification",)}
    assert "Class B2" in messages(response)


def test_an_override_needs_its_reason_and_keeps_it_in_history(api, people, register):
    person = register()
    caller = api(people["clinician"])
    no_reason = caller.post(
        f"/api/persons/{person.uuid}/assessments",
        the_case(tb_classification="NONE", fit_to_travel="fit", tb_override=True),
    )
    assert no_reason.status_code == 422 and ("tb_override_reason",) in locs(no_reason)
    reason = "Culture 1 a laboratory cross-contamination, confirmed by the reference laboratory"
    kept = caller.post(
        f"/api/persons/{person.uuid}/assessments",
        the_case(
            tb_classification="NONE",
            fit_to_travel="fit",
            tb_override=True,
            tb_override_reason=reason,
        ),
    )
    assert kept.status_code == 201, kept.content
    body = kept.json()
    assert body["tb_override_reason"] == reason and body["missing"] == []
    history = caller.get(f"/api/assessments/{body['id']}/history").json()
    assert history[0]["changes"]["tb_override_reason"] == ["", reason]
    # Changing a TB result asks for the override again; another field does not.
    assert (
        caller.patch(f"/api/assessments/{body['id']}", {"counselling": "Done"}).status_code == 200
    )
    again = caller.patch(f"/api/assessments/{body['id']}", {"xpert_result": "rif_not_detected"})
    assert again.status_code == 422 and ("tb_classification",) in locs(again)


def assessment_page(**fields):
    data = {
        "site": "MSOT-CLIN",
        "type": "pre_departure",
        "date": day(60),
        "programme": "US",
        "destination_country": "US",
        "tb_symptoms": "true",
        "xray_result": "suggestive",
        "hiv_result": "negative",
        "dst_result": "",
        "tb_classification": "NONE",
        "fit_to_travel": "fit",
        "fit_reason": "",
    }
    for n in (1, 2, 3):
        data[f"sputum{n}_collected_on"] = day(59)
        data[f"sputum{n}_smear_result"] = "negative"
        data[f"sputum{n}_culture_result"] = "mtb" if n == 1 else "negative"
        data[f"sputum{n}_culture_reported_on"] = day(10)
    data.update(fields)
    return data


@pytest.fixture
def opened(people, register):
    from mhis.care.assessments import assess

    person = register()
    return assess(
        people["clinician"],
        person,
        {"site": "MSOT-CLIN", "type": "pre_departure", "programme": "US", "date": day(60)},
    )


def test_the_case_is_refused_through_the_form_and_still_missing_names_dst(client, people, opened):
    client.force_login(people["clinician"])
    response = client.post(f"/care/assessments/{opened.pk}/", assessment_page())
    assert response.status_code == 200
    page = response.content.decode()
    errors = response.context["form"].errors
    assert {"tb_classification", "fit_to_travel"} <= set(errors)
    assert 'class="error-summary"' in page
    # "Still missing" is read from what was typed: the DST the culture needs, the contradiction.
    missing = response.context["missing"]
    codes = [m["code"] for m in missing]
    assert "dst" in codes and "Drug-susceptibility testing" in page
    assert 'value="mtb" selected' in page  # what was typed is kept
    opened.refresh_from_db()
    assert opened.tb_classification == "" and not opened.specimens.exists()

    # With DST, the contradiction alone is refused and named.
    response = client.post(
        f"/care/assessments/{opened.pk}/", assessment_page(dst_result="susceptible")
    )
    codes = [m["code"] for m in response.context["missing"]]
    assert "dst" not in codes and {"tb_contradiction", "fit_contradiction"} <= set(codes)
    assert "Class A: TB disease, infectious" in response.content.decode()


def test_an_override_through_the_form_is_saved_and_shown_in_history(client, people, opened):
    client.force_login(people["clinician"])
    no_reason = client.post(
        f"/care/assessments/{opened.pk}/",
        assessment_page(dst_result="susceptible", tb_override="on"),
    )
    assert "tb_override_reason" in no_reason.context["form"].errors
    assert "tb_override_reason" in [m["code"] for m in no_reason.context["missing"]]
    reason = "Reference laboratory reports cross-contamination of culture 1"
    saved = client.post(
        f"/care/assessments/{opened.pk}/",
        assessment_page(dst_result="susceptible", tb_override="on", tb_override_reason=reason),
    )
    assert saved.status_code == 302, saved.context["form"].errors if saved.context else saved
    opened.refresh_from_db()
    assert opened.tb_override_reason == reason and opened.completed_on == TODAY
    change = RecordChange.objects.filter(record_type="assessment", record_id=opened.pk).last()
    assert change.changes["tb_override_reason"][1] == reason
    timeline = client.get(f"/care/people/{opened.person.uuid}/timeline/").content.decode()
    assert reason in timeline


REFUSALS = {
    # requirement code → the page's fields that make the save refuse it
    "results": {"tb_classification": "NONE", "fit_to_travel": "", "sputum1_culture_result": ""},
    "dst": {"dst_result": "", "tb_classification": "A", "fit_to_travel": ""},
    "tb_classification": {"dst_result": "susceptible", "tb_classification": ""},
    "fit_reason": {
        "dst_result": "susceptible",
        "tb_classification": "A",
        "fit_to_travel": "unfit",
    },
    "tb_contradiction": {"dst_result": "susceptible", "fit_to_travel": ""},
    "fit_contradiction": {"dst_result": "susceptible", "tb_classification": "A"},
    "tb_override_reason": {"dst_result": "susceptible", "tb_override": "on"},
}


@pytest.mark.parametrize("requirement", sorted(REFUSALS))
def test_still_missing_names_every_requirement_the_save_refuses(
    client, people, opened, requirement
):
    client.force_login(people["clinician"])
    response = client.post(
        f"/care/assessments/{opened.pk}/", assessment_page(**REFUSALS[requirement])
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    missing = response.context["missing"]
    assert errors
    page = response.content.decode()
    for field in errors:
        # Each refused field is linked from "Still missing" by a requirement naming it.
        assert any(m["field"] == field for m in missing), (field, missing)
        assert f'href="#id_{field}"' in page
    if requirement != "results":
        assert requirement in [m["code"] for m in missing]
    else:
        assert "culture_1" in [m["code"] for m in missing]


def stored_contradiction(person, site, **fields):
    """An assessment saved before the decision tables: culture positive, no TB, fit."""
    a = Assessment.objects.create(
        person=person,
        site=site,
        type="pre_departure",
        date=TODAY - timedelta(days=70),
        programme="US",
        tb_symptoms=True,
        xray_result="suggestive",
        dst_result="susceptible",
        tb_classification="NONE",
        fit_to_travel="fit",
        completed_on=TODAY - timedelta(days=5),
        **fields,
    )
    for n in (1, 2, 3):
        SputumSpecimen.objects.create(
            assessment=a,
            number=n,
            collected_on=a.date,
            smear_result="negative",
            culture_result="mtb" if n == 1 else "negative",
        )
    return a


def test_the_pending_list_flags_a_stored_contradiction(client, api, people, register, world):
    from mhis.places.models import Place

    site = Place.objects.get(code="MSOT-CLIN")
    flagged = stored_contradiction(register(), site)
    stored_contradiction(register(), site, tb_override_reason="Reviewed: contamination")
    fine = Assessment.objects.create(
        person=register(),
        site=site,
        type="pre_employment",
        date=TODAY - timedelta(days=3),
        xray_result="normal",
        tb_classification="NO_TB",
        fit_to_travel="fit",
        completed_on=TODAY,
    )
    client.force_login(people["clinician"])
    page = client.get("/care/assessments/pending/").content.decode()
    assert "Contradicts its results" in page
    assert f"/care/assessments/{flagged.pk}/" in page
    assert page.count("Contradicts its results") == 1  # the overridden one is not flagged
    assert f"/care/assessments/{fine.pk}/" not in page
    listed = api(people["clinician"]).get("/api/assessments/pending").json()
    assert [a["id"] for a in listed] == [flagged.pk]
    assert "tb_contradiction" in [m["code"] for m in listed[0]["missing"]]
    client.force_login(people["hn_clinician"])
    assert (
        f"/care/assessments/{flagged.pk}/"
        not in client.get("/care/assessments/pending/").content.decode()
    )


def test_the_timeline_form_starts_an_assessment_for_the_programme_chosen(client, people, register):
    person = register()
    client.force_login(people["clinician"])
    form = {
        "assessment-site": "MSOT-CLIN",
        "assessment-type": "pre_departure",
        "assessment-programme": "US",
        "assessment-tb_symptoms": "unknown",
    }
    response = client.post(f"/care/people/{person.uuid}/assessment/new/", form)
    assert response.status_code in (200, 302)
    assert Assessment.objects.get(person=person).programme == "US"
