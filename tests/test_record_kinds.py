"""The record kinds are declared once (mhis.kinds), and every link to a person is either a
kind or declared to stay with the record it was made on."""

from django.apps import apps

from mhis import kinds
from mhis.registry.models import Person


def _links_to_people() -> set[tuple[str, str]]:
    return {
        (model._meta.label, f.name)
        for model in apps.get_models()
        for f in model._meta.get_fields()
        if f.many_to_one and f.concrete and f.related_model is Person
    }


def test_every_link_to_a_person_is_a_record_kind_or_declared_to_stay():
    declared = {
        (k.model_label, k.person_field) for k in kinds.all_kinds() if "__" not in k.person_field
    }
    stays = set(kinds.staying())
    assert not declared & stays, "a link cannot both follow a merge and stay"
    assert _links_to_people() - declared - stays == set()


def test_every_declared_kind_names_a_real_link_to_a_person():
    for kind in kinds.all_kinds():
        if "__" in kind.person_field:  # reached through another kind's record
            through = kind.model._meta.get_field(kind.person_field.split("__")[0]).related_model
            assert kinds.kind_of_model(through) is not None, kind.name
            continue
        assert (kind.model_label, kind.person_field) in _links_to_people(), kind.name
        if kind.date_field:
            kind.model._meta.get_field(kind.date_field)
    for label, field in kinds.staying():
        assert (label, field) in _links_to_people(), (label, field)


def test_a_kind_cannot_be_declared_twice_differently():
    first = kinds.kind("encounter")
    kinds.register(first)  # the same declaration again is harmless
    try:
        kinds.register(kinds.RecordKind("encounter", "care.Referral"))
    except ValueError as exc:
        assert "encounter" in str(exc)
    else:
        raise AssertionError("a second, different declaration was accepted")
    assert kinds.kind("encounter") is first
