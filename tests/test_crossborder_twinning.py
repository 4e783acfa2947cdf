"""Twinning places across a border (ADR 0032): two existing places, in different countries,
twinned once whichever is named first; every refusal names its field; administrators only."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from mhis.crossborder import services
from mhis.crossborder.models import Twinning

AGREEMENT = "MBDS Mae Sot–Myawaddy"


def _refused(*args, by=None):
    with pytest.raises(ValidationError) as refused:
        services.twin(by, *args)
    return refused.value.message_dict


def test_two_places_in_different_countries_are_twinned_once_and_symmetrically(world):
    row = services.twin(None, "MWD-HOSP", "TH-63-MSOT", AGREEMENT)
    assert (row.place_a, row.place_b, row.agreement, row.active) == (
        world["MAESOT"], world["MYAWADDY"], AGREEMENT, True,
    )  # fmt: skip
    # Each side sees the other as its twin, from the place itself and from below it.
    assert [(t.pk, o.code, w.code) for t, o, w in services.twins_of(world["BRIDGE"])] == [
        (row.pk, "TH-63-MSOT", "MWD-HOSP")
    ]
    assert [w.code for _t, _o, w in services.twins_of(world["MYAWADDY"])] == ["TH-63-MSOT"]
    assert services.twins_of(world["RANONG"]) == []
    assert services.twins_of(world["TAK"]) == []  # above the twinned place: not in it
    # Named the other way round, it is the same pair.
    assert _refused("TH-63-MSOT", "MWD-HOSP", AGREEMENT) == {
        "twin": ["Mae Sot and Myawaddy Hospital are already twinned."]
    }
    assert Twinning.objects.count() == 1


def test_each_refusal_names_its_field(world):
    assert _refused("NOWHERE", "", "") == {
        "place": ["No place with the code “NOWHERE”."],
        "twin": ["This field is required."],
        "agreement": ["This field is required."],
    }
    assert _refused("TH-63-MSOT", "TH-63-MSOT", AGREEMENT) == {
        "twin": ["A place cannot be twinned with itself."]
    }
    assert _refused("TH-63-MSOT", "RNG-PORT", AGREEMENT) == {
        "twin": [
            "Mae Sot and Ranong port health corner are in the same country; "
            "twinning is across a border."
        ]
    }
    assert _refused("TH-63-MSOT", "MWD-HOSP", "x" * 201) == {
        "agreement": ["At most 200 characters."]
    }
    assert _refused("TH-63\x00", "MWD-HOSP", "MBDS\x00") == {
        "place": ["place: text cannot contain the NUL character."],
        "agreement": ["agreement: text cannot contain the NUL character."],
    }
    assert not Twinning.objects.exists()


def test_only_an_administrator_with_both_places_twins(world, people):
    with pytest.raises(PermissionDenied):
        services.twin(people["tak_officer"], "TH-63-MSOT", "MWD-HOSP", AGREEMENT)
    # The Thai administrator's places hold Mae Sot, not Myawaddy.
    assert _refused("TH-63-MSOT", "MWD-HOSP", AGREEMENT, by=people["admin"]) == {
        "twin": ["Both places must be in your places."]
    }
    assert not Twinning.objects.exists()


def test_the_command_twins_and_names_the_field_it_refuses(world):
    out = io.StringIO()
    call_command("crossborder", "twin", "TH-63-MSOT", "MWD-HOSP", "--note", AGREEMENT, stdout=out)
    assert "twinned: TH-63-MSOT ↔ MWD-HOSP (MBDS Mae Sot–Myawaddy)" in out.getvalue()
    with pytest.raises(
        CommandError, match="twin: Myawaddy Hospital and Mae Sot are already twinned"
    ):
        call_command("crossborder", "twin", "MWD-HOSP", "TH-63-MSOT", "--note", "again")
    with pytest.raises(CommandError, match="place: No place with the code “XX”"):
        call_command("crossborder", "twin", "XX", "MWD-HOSP", "--note", AGREEMENT)
    call_command("crossborder", "end", "MWD-HOSP", "TH-63-MSOT", stdout=io.StringIO())
    assert services.twins_of(world["BRIDGE"]) == []  # an ended twinning shares nothing
    listed = io.StringIO()
    call_command("crossborder", "list", stdout=listed)
    assert listed.getvalue().split("\t")[:3] == ["TH-63-MSOT", "MWD-HOSP", "ended"]


def test_the_twinnings_page_refuses_with_the_error_summary_and_twins(client, world):
    from mhis.access.services import create_user

    admin = create_user(
        username="region_admin", password=None, role="administrator",
        places=[world["TH"], world["MM"]],
    )  # fmt: skip
    client.force_login(admin)
    page = client.post(
        "/across-borders/twinnings/", {"place": "TH-63-MSOT", "twin": "RNG-PORT", "agreement": "x"}
    )
    body = page.content.decode()
    assert page.status_code == 422
    assert 'class="error-summary"' in body and "twinning is across a border" in body
    page = client.post(
        "/across-borders/twinnings/",
        {"place": "TH-63-MSOT", "twin": "MWD-HOSP", "agreement": AGREEMENT},
    )
    assert page.status_code == 302
    assert Twinning.objects.filter(agreement=AGREEMENT, active=True).count() == 1
    officer = create_user(
        username="mm_off", password=None, role="surveillance_officer", places=[world["MM"]]
    )
    client.force_login(officer)
    assert AGREEMENT in client.get("/across-borders/twinnings/").content.decode()
    page = client.post(
        "/across-borders/twinnings/", {"place": "TH-63-MSOT", "twin": "BAV-BRDR", "agreement": "x"}
    )
    assert page.status_code == 403


def test_the_admin_site_lists_twinnings_and_shares_read_only(client, world, django_user_model):
    row = services.twin(None, "TH-63-MSOT", "MWD-HOSP", AGREEMENT)
    root = django_user_model.objects.create_superuser(username="root", password=None)
    client.force_login(root)
    listed = client.get("/admin/crossborder/twinning/")
    assert listed.status_code == 200 and AGREEMENT in listed.content.decode()
    assert client.get(f"/admin/crossborder/twinning/{row.pk}/change/").status_code == 200
    assert client.get("/admin/crossborder/twinning/add/").status_code == 403
    assert client.get("/admin/crossborder/share/").status_code == 200
