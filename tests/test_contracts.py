"""One declaration per record kind: every input contract's allowed values and lengths are
the model's, the OpenAPI document says so, and a bad value is refused on the same field path
by a page, the API and an import."""

import csv
from datetime import timedelta

import pytest
from django.utils import timezone

from mhis.api import api
from mhis.care.models import Encounter
from mhis.contracts import Contract
from mhis.intake import services as intake

TODAY = timezone.localdate()
YESTERDAY = (TODAY - timedelta(days=1)).isoformat()


def _contracts() -> list[type[Contract]]:
    found, todo = [], list(Contract.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.model is not None and not cls.is_update:
            found.append(cls)
    return found


def _column(contract, name):
    try:
        column = contract.model._meta.get_field(name)
    except Exception:
        return None
    return column if getattr(column, "concrete", False) else None


def _resolve(schema: dict, components: dict) -> dict:
    if "$ref" in schema:
        return _resolve(components[schema["$ref"].rsplit("/", 1)[1]], components)
    for key in ("anyOf", "allOf"):
        for option in schema.get(key, ()):
            option = _resolve(option, components)
            if option.get("type") != "null":
                return {**option, **{k: v for k, v in schema.items() if k != key}}
    return schema


def _openapi_bodies() -> dict[str, dict]:
    """Each request body's schema in the OpenAPI document, by its schema name."""
    document = api.get_openapi_schema()
    components = document["components"]["schemas"]
    bodies = {}
    for path in document["paths"].values():
        for operation in path.values():
            content = operation.get("requestBody", {}).get("content", {})
            for media in content.values():
                ref = media["schema"].get("$ref")
                if ref:
                    name = ref.rsplit("/", 1)[1]
                    bodies[name] = _resolve(components[name], components)
    return bodies, components


def test_there_are_contracts_to_check():
    assert Encounter in {c.model for c in _contracts()}


@pytest.mark.parametrize("contract", _contracts(), ids=lambda c: c.__name__)
def test_a_contracts_allowed_values_and_lengths_are_its_models(contract):
    checked = 0
    schema = contract.model_json_schema()
    for name, prop in schema["properties"].items():
        column = _column(contract, name)
        if column is None or not hasattr(column, "max_length"):
            continue
        prop = _resolve(prop, schema.get("$defs", {}))
        if column.choices:
            allowed = {str(v) for v, _label in column.flatchoices}
            assert set(prop["enum"]) - {""} == allowed, name
            checked += 1
        elif column.max_length:
            assert prop["maxLength"] == column.max_length, name
            checked += 1
    assert checked, f"{contract.__name__} has no coded or bounded text field to compare"


def test_the_openapi_document_lists_the_same_values_and_lengths_for_each_body():
    bodies, components = _openapi_bodies()
    contracts = {c.__name__: c for c in _contracts()}
    compared = 0
    for name, body in bodies.items():
        base = name.removesuffix("Change")
        contract = contracts.get(base)
        if contract is None:
            continue
        for field, prop in body["properties"].items():
            column = _column(contract, field)
            prop = _resolve(prop, components)
            if column is not None and column.choices:
                assert set(prop["enum"]) - {""} == {str(v) for v, _ in column.flatchoices}
                compared += 1
            elif column is not None and getattr(column, "max_length", None):
                assert prop["maxLength"] == column.max_length, (name, field)
                compared += 1
    assert "EncounterInput" in bodies and "EncounterInputChange" in bodies
    assert compared >= 8


# -- the same bad value through every door ------------------------------------------------------

BAD = {
    "kind": "house_call",  # not an encounter kind
    "paid_by": "neighbour",  # not a payer
    "currency": "XYZ",  # not ISO 4217
    "chief_complaint": "ZZ9",  # not ICD-10
    "reason": "x" * 4001,  # longer than free text may be
}
GOOD = {"site": "MSOT-CLIN", "kind": "consultation", "date": YESTERDAY, "paid_by": "waived"}


def _page_paths(client, person, field, value) -> set[str]:
    data = {f"encounter-{k}": v for k, v in {**GOOD, field: value}.items()}
    response = client.post(f"/care/people/{person.uuid}/encounter/new/", data)
    form = next(a["form"] for a in response.context["adders"] if a["kind"] == "encounter")
    return set(form.errors)


def _api_paths(api_client, person, field, value) -> set[str]:
    response = api_client.post(f"/api/persons/{person.uuid}/encounters", {**GOOD, field: value})
    assert response.status_code == 422, response.content
    return {".".join(str(p) for p in e["loc"][1:]) for e in response.json()["detail"]}


def _import_paths(user, person, field, value, tmp_path) -> set[str]:
    row = {**GOOD, "person": str(person.uuid), field: value}
    path = tmp_path / f"bad-{field}.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
    job = intake.run_import(user, path, kind="encounters", source="contract-test")
    return set(job.rows.filter(outcome="rejected").values_list("field", flat=True))


@pytest.mark.parametrize("field", sorted(BAD))
def test_a_bad_value_is_refused_on_the_same_path_by_page_api_and_import(
    field, client, api, people, register, tmp_path
):
    user = people["clinician"]
    person = register()
    client.force_login(user)
    api_client = api(user)
    value = BAD[field]
    assert _page_paths(client, person, field, value) == {field}
    assert _api_paths(api_client, person, field, value) == {field}
    assert _import_paths(user, person, field, value, tmp_path) == {field}
    assert not Encounter.objects.filter(person=person).exists()


def test_the_chief_complaint_is_taken_coded_and_shown_by_every_door(client, api, people, register):
    user = people["clinician"]
    person = register()
    response = api(user).post(
        f"/api/persons/{person.uuid}/encounters", {**GOOD, "chief_complaint": "r05"}
    )
    assert response.status_code == 201, response.content
    assert response.json()["chief_complaint"] == "R05"
    assert Encounter.objects.get(person=person).chief_complaint == "R05"
    client.force_login(user)
    page = client.get(f"/care/people/{person.uuid}/timeline/").content.decode()
    assert 'name="encounter-chief_complaint"' in page and "R05" in page
