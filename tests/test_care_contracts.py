"""Care and outreach records declared once: the API's OpenAPI document lists exactly the
allowed values and the lengths of the models' fields, and a page, the API and an import (or,
for outreach, a service call and an import) refuse the same bad value on the same field."""

import csv
from datetime import timedelta

import pytest
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone

from mhis.api import api as ninja_api
from mhis.care.models import (
    Assessment,
    Immunisation,
    LabResult,
    Referral,
    ReferralStep,
    SputumSpecimen,
)
from mhis.care.vaccines import VACCINES
from mhis.contracts import MAX_TEXT
from mhis.intake import services as intake
from mhis.outreach import services as outreach
from mhis.outreach.models import Contact, Session, Training, Worker

TODAY = timezone.localdate()
DAY = (TODAY - timedelta(days=3)).isoformat()


@pytest.fixture(scope="module")
def openapi():
    return ninja_api.get_openapi_schema(path_prefix="/api")


def _resolve(schema: dict, node: dict) -> dict:
    if "$ref" in node:
        return schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _body(schema: dict, path: str, method: str) -> dict:
    operation = schema["paths"][path][method]
    return _resolve(schema, operation["requestBody"]["content"]["application/json"]["schema"])


def _branches(prop: dict) -> list[dict]:
    """The non-null alternatives of a property (a nullable field is anyOf [x, null])."""
    return [p for p in prop.get("anyOf", [prop]) if p.get("type") != "null"]


def _check_against_model(body: dict, model: type[models.Model]) -> list[str]:
    """Every property of the body that fills a text or coded column of `model`: its allowed
    values are exactly the column's choices (and the empty value, when the column may be
    blank), its length the column's. Returns the names checked."""
    checked = []
    for name, prop in body["properties"].items():
        try:
            column = model._meta.get_field(name)
        except FieldDoesNotExist:  # a field of the contract only (a look-up by code)
            continue
        if not isinstance(column, models.CharField | models.TextField):
            continue
        (branch,) = _branches(prop)
        if column.choices:
            expected = {str(value) for value, _label in column.flatchoices}
            if column.blank and not column.has_default():
                expected.add("")
            assert set(branch["enum"]) == expected, name
        elif isinstance(column, models.TextField):
            assert branch["maxLength"] == MAX_TEXT, name
        else:  # free text, or a code list kept outside the model (vaccines): codes that fit
            assert branch["maxLength"] == column.max_length, name
            assert max(map(len, branch.get("enum", [""]))) <= column.max_length, name
        checked.append(name)
    return checked


@pytest.mark.parametrize(
    ("path", "method", "model", "expected"),
    [
        ("/api/persons/{person_id}/referrals", "post", Referral,
         {"kind", "reason", "urgency", "to_facility", "to_country", "outcome"}),
        ("/api/referrals/{record_id}", "patch", Referral, {"reason", "urgency", "outcome"}),
        ("/api/referrals/{referral_id}/steps", "post", ReferralStep, {"status", "note"}),
        ("/api/persons/{person_id}/assessments", "post", Assessment,
         {"type", "programme", "destination_country", "history", "examination", "xray_result", "xpert_result", "dst_result",
          "igra_result", "hiv_result", "syphilis_result", "hepatitis_b_result", "malaria_result",
          "pregnancy_result", "counselling", "tb_classification", "fit_to_travel", "fit_reason"}),
        ("/api/assessments/{record_id}", "patch", Assessment,
         {"type", "xray_result", "fit_to_travel", "tb_classification", "history"}),
        ("/api/persons/{person_id}/immunisations", "post", Immunisation, {"vaccine", "lot"}),
        ("/api/immunisations/{record_id}", "patch", Immunisation, {"vaccine", "lot"}),
        ("/api/persons/{person_id}/lab-results", "post", LabResult,
         {"test", "loinc", "value", "unit", "reference_range"}),
        ("/api/lab-results/{record_id}", "patch", LabResult,
         {"test", "loinc", "value", "unit", "reference_range"}),
    ],
)  # fmt: skip
def test_api_bodies_list_the_models_choices_and_lengths(openapi, path, method, model, expected):
    body = _body(openapi, path, method)
    assert expected <= set(_check_against_model(body, model))


def test_sputum_specimens_in_the_assessment_body_list_their_results(openapi):
    for path, method in (
        ("/api/persons/{person_id}/assessments", "post"),
        ("/api/assessments/{record_id}", "patch"),
    ):
        specimens = _branches(_body(openapi, path, method)["properties"]["specimens"])[0]
        item = _resolve(openapi, specimens["items"])
        assert {"smear_result", "culture_result"} <= set(_check_against_model(item, SputumSpecimen))
        number = _branches(item["properties"]["number"])[0]
        assert (number["minimum"], number["maximum"]) == (1, 3)


def test_vaccines_and_programmes_are_enums_of_their_code_lists(openapi):
    from mhis.care.codes import TB_CLASSIFICATIONS

    for path, method in (
        ("/api/persons/{person_id}/immunisations", "post"),
        ("/api/immunisations/{record_id}", "patch"),
    ):
        vaccine = _branches(_body(openapi, path, method)["properties"]["vaccine"])[0]
        assert set(vaccine["enum"]) == set(VACCINES)
        assert max(map(len, vaccine["enum"])) <= Immunisation._meta.get_field("vaccine").max_length
    programme = _body(openapi, "/api/persons/{person_id}/assessments", "post")["properties"]
    assert set(_branches(programme["programme"])[0]["enum"]) == set(TB_CLASSIFICATIONS)
    assert programme["programme"]["maxLength"] == Assessment._meta.get_field("programme").max_length


@pytest.mark.parametrize(
    ("contract", "model"),
    [
        ("WorkerInput", Worker),
        ("SessionInput", Session),
        ("ContactInput", Contact),
        ("TrainingInput", Training),
    ],
)
def test_outreach_contracts_list_the_models_choices_and_lengths(contract, model):
    from mhis.outreach import contracts

    for kind in (getattr(contracts, contract), getattr(contracts, contract).update()):
        checked = _check_against_model(kind.model_json_schema(), model)
        columns = {
            f.name
            for f in model._meta.get_fields()
            if isinstance(f, models.CharField | models.TextField)
        }
        assert set(checked) == columns & set(kind.model_fields)


# -- one bad value, one path: page, API and import ------------------------------------------


def _too_long(model, name) -> str:
    column = model._meta.get_field(name)
    return "x" * ((column.max_length or MAX_TEXT) + 1)


def _imported(user, tmp_path, kind, row: dict, source="contracts"):
    path = tmp_path / f"{kind}.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(list(row))
        writer.writerow(list(row.values()))
    job = intake.run_import(user, path, kind=kind, source=source)
    return {r.field: r.reason for r in job.rows.filter(outcome="rejected")}


def _page(client, person, kind, data: dict) -> set[str]:
    response = client.post(
        f"/care/people/{person.uuid}/{kind}/new/", {f"{kind}-{k}": v for k, v in data.items()}
    )
    form = next(a["form"] for a in response.context["adders"] if a["kind"] == kind)
    return set(form.errors)


def _api(caller, person, plural, data: dict) -> dict[str, str]:
    response = caller.post(f"/api/persons/{person.uuid}/{plural}", data)
    assert response.status_code == 422, response.content
    return {".".join(map(str, d["loc"][1:])): d["msg"] for d in response.json()["detail"]}


REFERRAL = {"site": "MSOT-CLIN", "kind": "medical", "reason": "Chest pain", "urgency": "urgent",
            "to_site": "MWD-HOSP", "sent_on": DAY}  # fmt: skip
ASSESSMENT = {"site": "MSOT-CLIN", "type": "on_arrival", "date": DAY, "programme": "GEN"}
IMMUNISATION = {"site": "MSOT-CLIN", "vaccine": "MR", "dose_number": "1", "date": DAY}
LAB_RESULT = {"site": "MSOT-CLIN", "test": "Glucose", "value": "5.1", "collected_on": DAY}

CASES = [
    # (page kind, API plural, import kind, valid record, field, bad value)
    ("referral", "referrals", "referrals", REFERRAL, "kind", "teleport"),
    ("referral", "referrals", "referrals", REFERRAL, "urgency", "whenever"),
    (
        "referral",
        "referrals",
        "referrals",
        REFERRAL,
        "to_facility",
        _too_long(Referral, "to_facility"),
    ),
    ("assessment", "assessments", "assessments", ASSESSMENT, "xray_result", "blurry"),
    ("assessment", "assessments", "assessments", ASSESSMENT, "type", "routine"),
    ("assessment", "assessments", "assessments", ASSESSMENT, "fit_to_travel", "maybe"),
    (
        "assessment",
        "assessments",
        "assessments",
        ASSESSMENT,
        "history",
        _too_long(Assessment, "history"),
    ),
    ("immunisation", "immunisations", "immunisations", IMMUNISATION, "vaccine", "SMALLPOX"),
    (
        "immunisation",
        "immunisations",
        "immunisations",
        IMMUNISATION,
        "lot",
        _too_long(Immunisation, "lot"),
    ),
    ("lab_result", "lab-results", None, LAB_RESULT, "unit", _too_long(LabResult, "unit")),
    ("lab_result", "lab-results", None, LAB_RESULT, "test", _too_long(LabResult, "test")),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("page", "plural", "kind", "record", "field", "bad"), CASES)
def test_page_api_and_import_refuse_the_same_value_on_the_same_field(
    client, api, people, register, tmp_path, page, plural, kind, record, field, bad
):
    person = register(birth_date="1980")
    user = people["clinician"]
    data = {**record, field: bad}
    client.force_login(user)
    assert field in _page(client, person, page, data)
    from_api = _api(api(user), person, plural, data)
    assert field in from_api
    if kind is not None:  # lab results are not imported
        from_import = _imported(user, tmp_path, kind, {"person": str(person.uuid), **data})
        assert set(from_import) == {field}
        assert from_import[field] == from_api[field]  # the same message, whatever the door
    model = {"referrals": Referral, "assessments": Assessment, "immunisations": Immunisation,
             "lab-results": LabResult}[plural]  # fmt: skip
    assert not model.objects.exists()


@pytest.mark.django_db
def test_a_referral_step_outside_the_statuses_is_refused_on_status(api, people, register):
    from mhis.care.services import refer

    person = register(birth_date="1980")
    referral = refer(people["clinician"], person, REFERRAL)
    response = api(people["clinician"]).post(
        f"/api/referrals/{referral.pk}/steps", {"status": "opened"}
    )
    assert response.status_code == 422
    assert [d["loc"][1:] for d in response.json()["detail"]] == [["status"]]
    too_long = "x" * (MAX_TEXT + 1)
    response = api(people["clinician"]).post(
        f"/api/referrals/{referral.pk}/steps", {"status": "received", "note": too_long}
    )
    assert [d["loc"][1:] for d in response.json()["detail"]] == [["note"]]
    referral.refresh_from_db()
    assert referral.status == "sent"


@pytest.mark.django_db
def test_a_changed_referral_keeps_its_ends_and_refuses_bad_values_by_field(api, people, register):
    from mhis.care.services import refer

    person = register(birth_date="1980")
    referral = refer(people["clinician"], person, REFERRAL)
    caller = api(people["clinician"])
    for change, field in (
        ({"urgency": "whenever"}, "urgency"),
        ({"to_site": "RNG-PORT"}, "to_site"),
        ({"outcome": "x" * (MAX_TEXT + 1)}, "outcome"),
    ):
        response = caller.patch(f"/api/referrals/{referral.pk}", change)
        assert response.status_code == 422
        assert [d["loc"][1:] for d in response.json()["detail"]] == [[field]], change
    # An empty expected date keeps the one the referral has.
    response = caller.patch(f"/api/referrals/{referral.pk}", {"due_on": "", "reason": "Pain"})
    assert response.status_code == 200, response.content
    assert response.json()["due_on"] == (TODAY - timedelta(days=3) + timedelta(days=7)).isoformat()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "write", "record", "field", "bad"),
    [
        ("workers", outreach.save_worker,
         {"code": "CHW-9", "name": "Ma Aye", "kind": "chw", "site": "MSOT-CLIN"}, "kind", "doctor"),
        ("workers", outreach.save_worker,
         {"code": "CHW-9", "name": "Ma Aye", "kind": "chw", "site": "MSOT-CLIN"},
         "name", _too_long(Worker, "name")),
        ("workers", outreach.save_worker,
         {"code": "CHW-9", "name": "Ma Aye", "kind": "chw", "site": "MSOT-CLIN"},
         "code", _too_long(Worker, "code")),
        ("sessions", outreach.record_session,
         {"site": "MSOT-CLIN", "date": DAY, "topic": "tb", "females": "3"}, "topic", "gossip"),
        ("sessions", outreach.record_session,
         {"site": "MSOT-CLIN", "date": DAY, "topic": "tb", "females": "3"}, "males", "20000"),
        ("contacts", outreach.record_contact,
         {"site": "MSOT-CLIN", "date": DAY, "topic": "tb"}, "age_group", "Y200"),
        ("contacts", outreach.record_contact,
         {"site": "MSOT-CLIN", "date": DAY, "topic": "tb"}, "referred", "perhaps"),
        ("trainings", outreach.record_training,
         {"worker": "CHW-1", "course": "TB case finding", "date": DAY}, "topic", "knitting"),
        ("trainings", outreach.record_training,
         {"worker": "CHW-1", "course": "TB case finding", "date": DAY},
         "course", _too_long(Training, "course")),
    ],
)  # fmt: skip
def test_outreach_service_and_import_refuse_the_same_value_on_the_same_field(
    people, tmp_path, kind, write, record, field, bad
):
    from django.core.exceptions import ValidationError

    user = people["clinician"]
    outreach.save_worker(user, {"code": "CHW-1", "name": "Ma Thida", "kind": "chw", "site": "MSOT-CLIN"})  # fmt: skip
    data = {**record, field: bad}
    with pytest.raises(ValidationError) as caught:
        write(user, data)
    assert set(caught.value.message_dict) == {field}
    row = {"source_key": "row-1", **data}
    from_import = _imported(user, tmp_path, kind, row, source="outreach")
    assert set(from_import) == {field}
    assert from_import[field] == caught.value.message_dict[field][0]
    assert Worker.objects.count() == 1
    assert not (Session.objects.exists() or Contact.objects.exists() or Training.objects.exists())
