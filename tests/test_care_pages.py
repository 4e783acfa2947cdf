"""Care pages: the timeline with its forms (full page and htmx), editing, steps, overdue list."""

from datetime import timedelta

import pytest
from django.utils import timezone

from mhis.access.models import AccessLog
from mhis.care.models import Encounter, Immunisation, LabResult, RecordChange, Referral
from mhis.care.records import create_record
from mhis.care.services import record_encounter, refer

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def person(register):
    return register(names=[{"text": "ကျော်ဝင်း"}], birth_date="1988")


def encounter_form(**overrides):
    return {
        "encounter-site": "MSOT-CLIN",
        "encounter-kind": "consultation",
        "encounter-date": (TODAY - timedelta(days=1)).isoformat(),
        "encounter-reason": "Fever",
        "encounter-diagnoses": "B54",
        "encounter-treatments": "",
        "encounter-cost": "",
        "encounter-currency": "",
        "encounter-paid_by": "waived",
        **overrides,
    }


def test_timeline_page_is_logged_once_and_404_out_of_scope(client, people, person):
    client.force_login(people["clinician"])
    assert client.get(f"/care/people/{person.uuid}/timeline/").status_code == 200
    assert AccessLog.objects.filter(person=person, view="page:timeline").count() == 1
    client.force_login(people["hn_clinician"])
    assert client.get(f"/care/people/{person.uuid}/timeline/").status_code == 404


def test_encounter_form_with_htmx_returns_the_updated_timeline(client, people, person):
    client.force_login(people["clinician"])
    response = client.post(
        f"/care/people/{person.uuid}/encounter/new/",
        encounter_form(),
        headers={"HX-Request": "true"},
    )
    page = response.content.decode()
    assert response.status_code == 200 and '<div id="timeline">' in page and "<html" not in page
    assert "Unspecified malaria" in page
    assert Encounter.objects.get().diagnoses.get().code == "B54"


def test_encounter_form_errors_are_shown_by_field_and_nothing_is_written(client, people, person):
    client.force_login(people["clinician"])
    response = client.post(
        f"/care/people/{person.uuid}/encounter/new/",
        encounter_form(
            **{"encounter-diagnoses": "ZZ9", "encounter-cost": "-3", "encounter-date": "1970-01-01"}
        ),
    )
    form = next(a["form"] for a in response.context["adders"] if a["kind"] == "encounter")
    assert {"diagnoses", "cost", "date"} <= set(form.errors)
    assert not Encounter.objects.exists()


def test_read_only_roles_cannot_post_records(client, people, person):
    client.force_login(people["tak_officer"])
    assert (
        client.post(f"/care/people/{person.uuid}/encounter/new/", encounter_form()).status_code
        == 403
    )
    assert not Encounter.objects.exists()


def test_edit_encounter_page_keeps_history(client, people, person):
    encounter = record_encounter(
        people["clinician"],
        person,
        {
            "site": "MSOT-CLIN",
            "kind": "consultation",
            "date": TODAY.isoformat(),
            "diagnoses": [{"code": "J06.9"}],
        },
    )
    client.force_login(people["clinician"])
    response = client.post(
        f"/care/encounter/{encounter.pk}/edit/",
        {
            "site": "MSOT-CLIN",
            "kind": "consultation",
            "date": TODAY.isoformat(),
            "reason": "Sore throat",
            "diagnoses": "J02.9",
            "treatments": "",
            "cost": "",
            "currency": "",
            "paid_by": "unknown",
        },
    )
    assert response.status_code == 302
    change = RecordChange.objects.filter(record_id=encounter.pk, action="updated").get()
    assert change.changes["diagnoses"] == [["J06.9"], ["J02.9"]]
    timeline = client.get(f"/care/people/{person.uuid}/timeline/").content.decode()
    assert "J06.9" in timeline and "Sore throat" in timeline
    client.force_login(people["hn_clinician"])
    assert client.get(f"/care/encounter/{encounter.pk}/edit/").status_code == 404


def test_referral_form_and_steps_from_the_timeline(client, people, person):
    client.force_login(people["clinician"])
    response = client.post(
        f"/care/people/{person.uuid}/referral/new/",
        {
            "referral-site": "MSOT-CLIN",
            "referral-kind": "medical",
            "referral-urgency": "emergency",
            "referral-reason": "Suspected appendicitis",
            "referral-to_site": "MWD-HOSP",
        },
    )
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert referral.to_site.code == "MWD-HOSP" and referral.due_on == TODAY + timedelta(days=1)
    client.force_login(people["mm_clinician"])
    page = client.post(
        f"/care/referrals/{referral.pk}/steps/",
        {f"step{referral.pk}-status": "received"},
        headers={"HX-Request": "true"},
    ).content.decode()
    referral.refresh_from_db()
    assert referral.status == "received" and "Received" in page


def test_invalid_step_is_reported_and_changes_nothing(client, people, person):
    referral = refer(
        people["clinician"],
        person,
        {
            "site": "MSOT-CLIN",
            "kind": "medical",
            "reason": "x",
            "to_site": "MWD-HOSP",
        },
    )
    client.force_login(people["clinician"])
    response = client.post(
        f"/care/referrals/{referral.pk}/steps/",
        {f"step{referral.pk}-status": "closed"},
        follow=True,
    )
    referral.refresh_from_db()
    assert referral.status == "sent"
    assert "cannot become" in response.content.decode()


def test_overdue_page_lists_overdue_referrals_in_scope(client, people, person):
    refer(
        people["clinician"],
        person,
        {
            "site": "MSOT-CLIN",
            "kind": "medical",
            "reason": "x",
            "to_site": "MWD-HOSP",
            "sent_on": (TODAY - timedelta(days=40)).isoformat(),
        },
    )
    client.force_login(people["clinician"])
    assert str(person) in client.get("/care/referrals/overdue/").content.decode()
    client.force_login(people["hn_clinician"])
    assert "No overdue referrals." in client.get("/care/referrals/overdue/").content.decode()
    client.force_login(people["hn_analyst"])
    assert client.get("/care/referrals/overdue/").status_code == 403


def assessment_form(**overrides):
    fields = {
        "site": "MSOT-CLIN",
        "type": "on_arrival",
        "date": (TODAY - timedelta(days=20)).isoformat(),
        "programme": "GEN",
        "destination_country": "",
        "history": "",
        "examination": "",
        "tb_symptoms": "unknown",
        "xray_result": "suggestive",
        "xray_date": "",
        "xpert_result": "",
        "xpert_date": "",
        "dst_result": "",
        "dst_date": "",
        "igra_result": "",
        "tst_mm": "",
        "hiv_result": "negative",
        "syphilis_result": "",
        "hepatitis_b_result": "",
        "malaria_result": "",
        "pregnancy_result": "",
        "rhs15_items": "",
        "rhs15_thermometer": "",
        "counselling": "",
        "tb_classification": "",
        "fit_to_travel": "",
        "fit_reason": "",
    }
    fields.update(overrides)
    return fields


def test_assessment_from_the_timeline_to_completion_in_pages(client, people, person):
    from mhis.care.models import Assessment

    client.force_login(people["clinician"])
    form = {f"assessment-{k}": v for k, v in assessment_form().items()}
    page = client.post(
        f"/care/people/{person.uuid}/assessment/new/", form, headers={"HX-Request": "true"}
    ).content.decode()
    assessment = Assessment.objects.get()
    assert "Sputum specimen 1 not collected" in page
    assert (
        "Sputum specimen 1 not collected"
        in client.get("/care/assessments/pending/").content.decode()
    )
    collected = (TODAY - timedelta(days=19)).isoformat()
    results = {}
    for n in (1, 2, 3):
        results.update(
            {
                f"sputum{n}_collected_on": collected,
                f"sputum{n}_smear_result": "negative",
                f"sputum{n}_culture_result": "negative",
                f"sputum{n}_culture_reported_on": TODAY.isoformat(),
            }
        )
    response = client.post(
        f"/care/assessments/{assessment.pk}/",
        assessment_form(**results, tb_classification="NO_TB", fit_to_travel="fit"),
    )
    assert response.status_code == 302, (
        response.context["form"].errors if response.context else response
    )
    assessment.refresh_from_db()
    assert assessment.completed_on == TODAY and assessment.specimens.count() == 3
    assert "No pending assessments." in client.get("/care/assessments/pending/").content.decode()


def test_assessment_page_errors_land_on_the_specimen_fields(client, people, person):
    from mhis.care.assessments import assess

    assessment = assess(
        people["clinician"],
        person,
        {"site": "MSOT-CLIN", "type": "on_arrival", "xray_result": "suggestive"},
    )
    client.force_login(people["clinician"])
    response = client.post(
        f"/care/assessments/{assessment.pk}/",
        assessment_form(
            sputum2_collected_on=TODAY.isoformat(),
            sputum2_culture_result="negative",
            sputum2_culture_reported_on=(TODAY - timedelta(days=3)).isoformat(),
            tb_classification="B3",
        ),
    )
    errors = response.context["form"].errors
    assert "sputum2_culture_reported_on" in errors and "tb_classification" in errors
    assert not assessment.specimens.exists()


def test_assessment_pages_are_404_out_of_scope(client, people, person):
    from mhis.care.assessments import assess

    assessment = assess(people["clinician"], person, {"site": "MSOT-CLIN", "type": "on_arrival"})
    client.force_login(people["hn_clinician"])
    assert client.get(f"/care/assessments/{assessment.pk}/").status_code == 404
    assert "No pending assessments." in client.get("/care/assessments/pending/").content.decode()


def test_immunisation_and_lab_result_from_the_timeline(client, people, person):
    from mhis.care.models import Immunisation, LabResult

    client.force_login(people["clinician"])
    day = (TODAY - timedelta(days=2)).isoformat()
    page = client.post(
        f"/care/people/{person.uuid}/immunisation/new/",
        {
            "immunisation-site": "MSOT-CLIN",
            "immunisation-vaccine": "MR",
            "immunisation-dose_number": "2",
            "immunisation-date": day,
            "immunisation-lot": "MR-2291",
        },
        headers={"HX-Request": "true"},
    ).content.decode()
    assert "Measles and rubella" in page and Immunisation.objects.get().lot == "MR-2291"
    page = client.post(
        f"/care/people/{person.uuid}/lab_result/new/",
        {
            "lab_result-site": "MSOT-CLIN",
            "lab_result-test": "Haemoglobin",
            "lab_result-loinc": "718-7",
            "lab_result-value": "9.8",
            "lab_result-unit": "g/dL",
            "lab_result-reference_range": "12-16",
            "lab_result-collected_on": day,
            "lab_result-reported_on": "",
        },
        headers={"HX-Request": "true"},
    ).content.decode()
    assert "Haemoglobin" in page and LabResult.objects.get().value == "9.8"


def test_unknown_record_kind_is_404(client, people, person):
    client.force_login(people["clinician"])
    assert client.post(f"/care/people/{person.uuid}/surgery/new/", {}).status_code == 404


def test_enrolment_and_payment_from_the_timeline(client, people, person):
    from mhis.protection.models import Enrolment, Payment
    from mhis.protection.services import create_scheme

    create_scheme(
        people["admin"],
        {"code": "TH-MHI", "name": "Migrant health insurance", "country": "TH", "type": "migrant"},
    )
    encounter = record_encounter(
        people["clinician"],
        person,
        {
            "site": "MSOT-CLIN",
            "kind": "consultation",
            "date": (TODAY - timedelta(days=3)).isoformat(),
            "cost": "400",
            "currency": "THB",
            "paid_by": "patient",
        },
    )
    client.force_login(people["clinician"])
    page = client.post(
        f"/care/people/{person.uuid}/enrolment/new/",
        {
            "enrolment-scheme": "TH-MHI",
            "enrolment-site": "MSOT-CLIN",
            "enrolment-member_number": "",
            "enrolment-start_date": (TODAY - timedelta(days=30)).isoformat(),
            "enrolment-end_date": "",
        },
        headers={"HX-Request": "true"},
    ).content.decode()
    assert "Migrant health insurance" in page and Enrolment.objects.filter(person=person).exists()
    page = client.post(
        f"/care/people/{person.uuid}/payment/new/",
        {
            "payment-encounter": str(encounter.pk),
            "payment-amount": "250",
            "payment-currency": "",
            "payment-payer": "patient",
            "payment-paid_on": "",
        },
        headers={"HX-Request": "true"},
    ).content.decode()
    payment = Payment.objects.get()
    assert payment.currency == "THB" and payment.amount == 250 and "250.00 THB" in page
    bad = client.post(
        f"/care/people/{person.uuid}/payment/new/",
        {
            "payment-encounter": str(encounter.pk),
            "payment-amount": "-4",
            "payment-payer": "patient",
        },
    )
    assert (
        "amount" in next(a["form"] for a in bad.context["adders"] if a["kind"] == "payment").errors
    )
    assert Payment.objects.count() == 1


def _immunisation(user, person):
    return create_record(
        user,
        Immunisation,
        person,
        {
            "site": "MSOT-CLIN",
            "vaccine": "TD",
            "dose_number": 1,
            "date": TODAY.isoformat(),
            "lot": "A1",
        },
    )


def _lab_result(user, person):
    return create_record(
        user,
        LabResult,
        person,
        {"site": "MSOT-CLIN", "test": "Glucose", "value": "5.0", "collected_on": TODAY.isoformat()},
    )


def _referral(user, person):
    return refer(
        user, person, {"site": "MSOT-CLIN", "kind": "medical", "reason": "x", "to_site": "MWD-HOSP"}
    )


def _enrolment(user, person):
    from mhis.access.models import User
    from mhis.protection.services import create_scheme, enrol

    create_scheme(
        User.objects.get(username="th_admin"),
        {"code": "S1", "name": "S", "country": "TH", "type": "migrant"},
    )
    return enrol(
        user, person, {"scheme": "S1", "site": "MSOT-CLIN", "start_date": TODAY.isoformat()}
    )


@pytest.mark.parametrize(
    ("kind", "create", "change", "field", "new"),
    [
        ("enrolment", _enrolment, {"member_number": "M-77"}, "member_number", "M-77"),
        ("immunisation", _immunisation, {"lot": "B2"}, "lot", "B2"),
        ("lab_result", _lab_result, {"value": "6.1"}, "value", "6.1"),
        ("referral", _referral, {"reason": "Chest pain"}, "reason", "Chest pain"),
    ],
)
def test_edit_pages_change_records_and_keep_history(
    client, people, person, kind, create, change, field, new
):
    record = create(people["clinician"], person)
    client.force_login(people["clinician"])
    page = client.get(f"/care/{kind}/{record.pk}/edit/")
    assert page.status_code == 200
    data = {k: ("" if v is None else v) for k, v in page.context["form"].initial.items()}
    data.update(change)
    response = client.post(f"/care/{kind}/{record.pk}/edit/", data)
    assert response.status_code == 302, response.context["form"].errors if response.context else ""
    record.refresh_from_db()
    assert getattr(record, field) == new
    assert RecordChange.objects.filter(
        record_id=record.pk, record_type=record._meta.model_name, action="updated"
    ).exists()
    client.force_login(people["hn_clinician"])
    assert client.get(f"/care/{kind}/{record.pk}/edit/").status_code == 404


def test_edit_page_of_an_unknown_kind_is_404(client, people):
    client.force_login(people["clinician"])
    assert client.get("/care/surgery/1/edit/").status_code == 404


def test_the_sending_site_is_not_offered_received_and_is_refused_it(client, people, person):
    referral = refer(
        people["clinician"],
        person,
        {"site": "MSOT-CLIN", "kind": "medical", "reason": "x", "to_site": "MWD-HOSP"},
    )
    status_field = f'name="step{referral.pk}-status"'
    client.force_login(people["clinician"])
    timeline = client.get(f"/care/people/{person.uuid}/timeline/").content.decode()
    form = timeline[timeline.index(status_field) :]
    form = form[: form.index("</select>")]
    assert 'value="lost"' in form and 'value="received"' not in form
    refused = client.post(
        f"/care/referrals/{referral.pk}/steps/",
        {f"step{referral.pk}-status": "received"},
        follow=True,
    )
    referral.refresh_from_db()
    assert referral.status == "sent" and referral.received_on is None
    assert "Only the receiving site (Myawaddy Hospital)" in refused.content.decode()
    client.force_login(people["mm_clinician"])
    timeline = client.get(f"/care/people/{person.uuid}/timeline/").content.decode()
    form = timeline[timeline.index(status_field) :]
    assert 'value="received"' in form[: form.index("</select>")]
