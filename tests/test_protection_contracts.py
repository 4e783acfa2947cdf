"""Social health protection declared once: the API's bodies list exactly the models' allowed
values and lengths, a page and the API refuse the same bad value on the same field with the
same message, and the contracts' cross-field and scoped rules hold whatever the door."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from mhis.api import api as ninja_api
from mhis.care.services import record_encounter
from mhis.protection.contracts import EnrolmentInput, PaymentInput, SchemeInput
from mhis.protection.models import Enrolment, Payment, Scheme
from mhis.protection.services import create_scheme, enrol, record_payment

TODAY = timezone.localdate()


def day(n: int) -> str:
    return (TODAY - timedelta(days=n)).isoformat()


@pytest.fixture(scope="module")
def openapi():
    return ninja_api.get_openapi_schema(path_prefix="/api")


def _body(schema: dict, path: str, method: str) -> dict:
    operation = schema["paths"][path][method]
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]


def _branch(prop: dict) -> dict:
    (branch,) = [p for p in prop.get("anyOf", [prop]) if p.get("type") != "null"]
    return branch


def _coded_and_bounded(model: type[models.Model]) -> dict[str, models.Field]:
    """The model's text columns: coded (choices) or of a length."""
    return {
        f.name: f
        for f in model._meta.get_fields()
        if isinstance(f, models.CharField | models.TextField) and (f.choices or f.max_length)
    }


@pytest.mark.parametrize(
    ("path", "method", "model", "expected"),
    [
        ("/api/schemes", "post", Scheme, {"code", "name", "country", "type"}),
        ("/api/persons/{person_id}/enrolments", "post", Enrolment, {"member_number"}),
        ("/api/enrolments/{enrolment_id}", "patch", Enrolment, {"member_number"}),
        ("/api/encounters/{encounter_id}/payments", "post", Payment, {"currency", "payer"}),
        ("/api/payments/{payment_id}", "patch", Payment, {"currency", "payer"}),
    ],
)
def test_api_bodies_list_exactly_the_models_choices_and_lengths(
    openapi, path, method, model, expected
):
    body = _body(openapi, path, method)
    columns = _coded_and_bounded(model)
    checked = set()
    for name, prop in body["properties"].items():
        column = columns.get(name)
        if column is None:
            continue
        branch = _branch(prop)
        if column.choices:
            assert set(branch["enum"]) == {str(v) for v, _label in column.flatchoices}, name
        else:
            assert branch["maxLength"] == column.max_length, name
        checked.add(name)
    assert checked == expected


def test_an_enrolments_scheme_takes_a_code_as_long_as_a_schemes(openapi):
    for path, method in (
        ("/api/persons/{person_id}/enrolments", "post"),
        ("/api/enrolments/{enrolment_id}", "patch"),
    ):
        scheme = _branch(_body(openapi, path, method)["properties"]["scheme"])
        assert scheme["maxLength"] == Scheme._meta.get_field("code").max_length


def test_the_payer_is_the_patient_unless_said_otherwise():
    default = Payment._meta.get_field("payer").default
    assert PaymentInput.check({"amount": "1", "currency": "THB"}).payer == default
    assert PaymentInput.check({"amount": "1", "currency": "THB", "payer": ""}).payer == default


# -- one bad value, one path, one message: page and API ---------------------------------------


@pytest.fixture
def covered(people, register):
    """A person with an encounter, and a scheme to enrol them in."""
    person = register(birth_date="1980")
    create_scheme(
        people["admin"],
        {"code": "TH-MHI", "name": "Migrant health insurance", "country": "TH", "type": "migrant"},
    )
    encounter = record_encounter(
        people["clinician"],
        person,
        {"site": "MSOT-CLIN", "kind": "consultation", "date": day(3), "cost": "100",
         "currency": "THB"},
    )  # fmt: skip
    return person, encounter


def _too_long(model, name) -> str:
    return "x" * (model._meta.get_field(name).max_length + 1)


ENROLMENT = {"scheme": "TH-MHI", "site": "MSOT-CLIN", "start_date": day(30)}
PAYMENT = {"amount": "250", "currency": "THB", "payer": "patient", "paid_on": day(2)}

CASES = [
    # (kind, valid record, field, bad value)
    ("enrolment", ENROLMENT, "member_number", _too_long(Enrolment, "member_number")),
    ("enrolment", ENROLMENT, "end_date", day(31)),  # before the coverage starts
    ("enrolment", ENROLMENT, "scheme", "NOPE"),
    ("payment", PAYMENT, "payer", "bank"),
    ("payment", PAYMENT, "currency", "ZZZ"),
    ("payment", PAYMENT, "amount", "-1"),
    ("payment", PAYMENT, "paid_on", day(10)),  # before the encounter
]


def _page(client, person, encounter, kind, data) -> dict[str, list[str]]:
    if kind == "payment":
        data = {**data, "encounter": str(encounter.pk)}
    response = client.post(
        f"/care/people/{person.uuid}/{kind}/new/", {f"{kind}-{k}": v for k, v in data.items()}
    )
    assert response.status_code == 200
    form = next(a["form"] for a in response.context["adders"] if a["kind"] == kind)
    return {name: list(messages) for name, messages in form.errors.items()}


def _api(caller, person, encounter, kind, data) -> dict[str, list[str]]:
    url = {
        "enrolment": f"/api/persons/{person.uuid}/enrolments",
        "payment": f"/api/encounters/{encounter.pk}/payments",
    }[kind]
    response = caller.post(url, data)
    assert response.status_code == 422, response.content
    errors: dict[str, list[str]] = {}
    for detail in response.json()["detail"]:
        errors.setdefault(".".join(map(str, detail["loc"][1:])), []).append(detail["msg"])
    return errors


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "record", "field", "bad"), CASES)
def test_page_and_api_refuse_the_same_value_on_the_same_field_with_the_same_message(
    client, api, people, covered, kind, record, field, bad
):
    person, encounter = covered
    user = people["clinician"]
    data = {**record, field: bad}
    client.force_login(user)
    from_page = _page(client, person, encounter, kind, data)
    from_api = _api(api(user), person, encounter, kind, data)
    assert set(from_page) == set(from_api) == {field}
    assert from_page == from_api
    assert not Enrolment.objects.exists() and not Payment.objects.exists()


@pytest.mark.django_db
def test_the_same_value_is_refused_by_a_change_as_by_a_new_record(api, people, covered):
    person, encounter = covered
    user = people["clinician"]
    enrolment = enrol(user, person, ENROLMENT)
    payment = record_payment(user, encounter, PAYMENT)
    caller = api(user)
    for url, field, bad in (
        (f"/api/enrolments/{enrolment.pk}", "member_number", _too_long(Enrolment, "member_number")),
        (f"/api/enrolments/{enrolment.pk}", "end_date", day(31)),
        (f"/api/payments/{payment.pk}", "payer", "bank"),
        (f"/api/payments/{payment.pk}", "paid_on", day(10)),
    ):
        response = caller.patch(url, {field: bad})
        assert response.status_code == 422, (field, response.content)
        assert [d["loc"][1:] for d in response.json()["detail"]] == [[field]]
    enrolment.refresh_from_db()
    payment.refresh_from_db()
    assert enrolment.member_number == "" and enrolment.end_date is None
    assert payment.payer == "patient" and payment.paid_on.isoformat() == day(2)


# -- the contracts' rules ------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_empty_currency_is_the_encounters_and_an_encounter_without_one_needs_it(
    people, covered, register
):
    person, encounter = covered
    user = people["clinician"]
    payment = record_payment(user, encounter, {"amount": "10", "currency": ""})
    assert (payment.currency, payment.payer, payment.paid_on) == ("THB", "patient", TODAY)
    free = record_encounter(
        user, person, {"site": "MSOT-CLIN", "kind": "consultation", "date": day(1)}
    )
    with pytest.raises(ValidationError) as caught:
        record_payment(user, free, {"amount": "10"})
    assert caught.value.message_dict == {"currency": ["This field is required."]}


@pytest.mark.django_db
def test_a_change_is_checked_against_the_record_it_changes(people, covered):
    """An end date alone is compared with the start the enrolment has; a second enrolment in
    the same scheme may not overlap the first, but the first may be changed."""
    from mhis.protection.services import update_enrolment

    person, _encounter = covered
    user = people["clinician"]
    first = enrol(user, person, {**ENROLMENT, "end_date": day(10)})
    with pytest.raises(ValidationError) as caught:
        update_enrolment(user, first, {"end_date": day(40)})
    assert caught.value.message_dict == {"end_date": ["Coverage cannot end before it starts."]}
    with pytest.raises(ValidationError) as caught:
        enrol(user, person, {**ENROLMENT, "start_date": day(20)})
    assert set(caught.value.message_dict) == {"start_date"}
    assert update_enrolment(user, first, {"start_date": day(20)}).start_date.isoformat() == day(20)
    assert enrol(user, person, {**ENROLMENT, "start_date": day(9)}).end_date is None


@pytest.mark.django_db
def test_a_schemes_code_is_new_and_its_country_given(people, db, world):
    admin = people["admin"]
    create_scheme(admin, {"code": "S1", "name": "One", "country": "THA", "type": "national"})
    with pytest.raises(ValidationError) as caught:
        create_scheme(admin, {"code": "S1", "name": "Two", "country": "", "type": "insurance"})
    errors = caught.value.message_dict
    assert errors["code"] == ["A scheme with this code already exists."]
    assert errors["country"] == ["This field is required."]
    assert set(errors) == {"code", "country", "type"}
    assert list(Scheme.objects.values_list("country", flat=True)) == ["TH"]


def test_without_context_a_contract_checks_values_only():
    """Checked without the writer (as the API's body is, before the service), codes stay codes
    and no look-up runs."""
    checked = EnrolmentInput.check({"scheme": "ANY", "site": "ANY", "start_date": day(1)})
    assert (checked.scheme, checked.site) == ("ANY", "ANY")
    assert SchemeInput.check({"code": "S", "name": "N", "country": "th", "type": "migrant"})
