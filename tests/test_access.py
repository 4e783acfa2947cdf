"""Scopes, roles, tokens and the access log."""

import pytest
from django.core.management import call_command

from mhis.access.models import AccessLog, ApiToken
from mhis.access.services import create_token, in_scope, revoke_token, user_for_token
from mhis.registry.search import get_person, search_people, visible_people

pytestmark = pytest.mark.django_db


def test_scope_covers_every_site_below_the_scoped_place(people, world):
    assert in_scope(people["tak_officer"], world["CLINIC"])
    assert in_scope(people["tak_officer"], world["BRIDGE"])
    assert not in_scope(people["tak_officer"], world["RANONG"])
    assert not in_scope(people["hn_clinician"], world["CLINIC"])


def test_visible_people_follow_scope_and_role(people, register, world):
    maesot = register()
    ranong = register(by=people["chw"], registration_site="RNG-PORT")
    honduras = register(by=people["hn_clinician"], registration_site="SPS-CAMR")
    assert set(visible_people(people["admin"])) == {maesot, ranong}
    assert set(visible_people(people["tak_officer"])) == {maesot}
    assert set(visible_people(people["hn_clinician"])) == {honduras}
    assert list(visible_people(people["hn_analyst"])) == []
    assert list(visible_people(people["unscoped"])) == []


def test_every_read_writes_one_access_log_row(people, register):
    person = register()
    get_person(people["clinician"], person.uuid, view="test:read")
    get_person(people["admin"], person.uuid, view="test:read")
    rows = AccessLog.objects.filter(person=person).order_by("at", "pk")
    assert [(r.user.username, r.view) for r in rows] == [
        ("mae_sot_clinician", "test:read"),
        ("th_admin", "test:read"),
    ]


def test_denied_read_is_not_logged_and_looks_like_absence(people, register):
    person = register()
    with pytest.raises(type(person).DoesNotExist):
        get_person(people["hn_clinician"], person.uuid, view="test:read")
    with pytest.raises(type(person).DoesNotExist):
        get_person(people["clinician"], "not-a-uuid", view="test:read")
    assert not AccessLog.objects.exists()


def test_search_results_are_limited_to_scope(people, register):
    register(names=[{"text": "Thida Aye"}])
    register(by=people["hn_clinician"], registration_site="SPS-CAMR", names=[{"text": "Thida Aye"}])
    assert search_people(people["clinician"], "thida").count() == 1
    assert search_people(people["hn_clinician"], "thida").count() == 1
    assert search_people(people["hn_analyst"], "thida").count() == 0


@pytest.mark.parametrize("candidates", [5000, 1], ids=["ids-first", "joined-in-the-database"])
def test_search_finds_the_same_people_whether_matches_are_read_first_or_joined(
    people, register, monkeypatch, candidates
):
    # Above SEARCH_CANDIDATES matching ids, search joins the name keys inside the database.
    monkeypatch.setattr("mhis.registry.search.SEARCH_CANDIDATES", candidates)
    thida = register(names=[{"text": "Thida Aye"}])
    aye_thida = register(names=[{"text": "Aye Thida Win"}])
    joined = register(names=[{"text": "Thidaaye Soe"}])
    register(names=[{"text": "Thida Win"}])
    register(by=people["hn_clinician"], registration_site="SPS-CAMR", names=[{"text": "Thida Aye"}])
    found = search_people(people["clinician"], "Thida Aye")
    assert set(found) == {thida, aye_thida, joined}
    assert found.count() == 3
    if candidates > 1:
        # Ranked: the whole name, then every word whole (newest first among them).
        assert list(found) == [thida, joined, aye_thida]
    else:
        # Too many to rank one by one: those with the words typed together first, newest first.
        assert list(found) == [joined, thida, aye_thida]


def test_tokens_are_stored_as_digests_and_can_be_revoked(people):
    row, token = create_token(people["clinician"], "laptop")
    assert token not in {row.digest, row.prefix} and row.digest != token
    assert user_for_token(token) == people["clinician"]
    assert user_for_token(token + "x") is None
    revoke_token(row)
    assert user_for_token(token) is None


def test_token_of_a_deactivated_user_stops_working(people):
    _, token = create_token(people["clinician"])
    people["clinician"].is_active = False
    people["clinician"].save()
    assert user_for_token(token) is None


def test_token_command_creates_a_working_token(people, capsys):
    call_command("token", "create", "mae_sot_clinician")
    token = capsys.readouterr().out.strip()
    assert user_for_token(token) == people["clinician"]
    assert ApiToken.objects.filter(user=people["clinician"]).count() == 1


def test_token_command_names_an_unknown_user(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No user named 'ghost'"):
        call_command("token", "create", "ghost")
