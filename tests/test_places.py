"""The place tree."""

import pytest
from django.core.exceptions import ValidationError

from mhis.places.services import create_place, sites_within

pytestmark = pytest.mark.django_db


def test_paths_and_levels_follow_the_tree(world):
    assert world["CLINIC"].level == 3
    assert world["CLINIC"].path.startswith(world["MAESOT"].path)
    assert world["TH"].contains(world["CLINIC"]) and not world["HN"].contains(world["CLINIC"])
    assert world["CLINIC"].country_code == "TH"


def test_sites_within_collects_sites_at_any_depth(world):
    assert {p.code for p in sites_within([world["TH"]])} == {"MSOT-CLIN", "MSOT-BRDG", "RNG-PORT"}
    assert {p.code for p in sites_within([world["CLINIC"]])} == {"MSOT-CLIN"}


def test_country_code_accepts_alpha3_and_is_checked(db):
    assert create_place(code="LKA", name="Sri Lanka", kind="country").country_code == "LK"
    with pytest.raises(ValidationError) as error:
        create_place(code="XX", name="Nowhere", kind="country")
    assert "country_code" in error.value.message_dict


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": "site", "site_type": "spaceport"}, "site_type"),
        ({"kind": "site", "site_type": "clinic", "latitude": "91"}, "latitude"),
        ({"kind": "site", "site_type": "clinic", "longitude": "abc"}, "longitude"),
        ({"kind": "area", "name": "  "}, "name"),
        ({"kind": "area", "code": "MSOT-CLIN"}, "code"),
        ({"kind": "planet"}, "kind"),
    ],
)
def test_bad_places_are_refused_naming_the_field(world, kwargs, field):
    arguments = {"code": "NEW", "name": "New place", "parent": world["MAESOT"], **kwargs}
    with pytest.raises(ValidationError) as error:
        create_place(**arguments)
    assert field in error.value.message_dict


def test_sites_cannot_contain_places(world):
    with pytest.raises(ValidationError) as error:
        create_place(code="X", name="X", kind="area", parent=world["CLINIC"])
    assert "parent" in error.value.message_dict
