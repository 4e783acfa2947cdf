"""Administration in the browser: users, roles, place scopes, temporary passwords, second-factor
resets and places, for administrators only and only within their own places; every change in
the administration log, in one transaction; nobody widens a scope or locks themselves out."""

from __future__ import annotations

import re

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from mhis.access import administration
from mhis.access.models import Role, Scope, User
from mhis.access.services import create_user
from mhis.places.models import Place

pytestmark = pytest.mark.django_db

PAGES = ["/administration/users/", "/administration/users/new/", "/administration/places/",
         "/administration/places/new/"]  # fmt: skip


@pytest.fixture
def tak_admin(world):
    """An administrator of Tak only (Thailand › Tak), the insider of these tests."""
    return create_user(username="tak_admin", password=None, role="administrator",
                       places=[world["TAK"]])  # fmt: skip


def scopes(user) -> set[str]:
    return set(Scope.objects.filter(user=user).values_list("place__code", flat=True))


def log_of(user) -> list[str]:
    """The administration log of a user as shown (newest first), in English."""
    return [e.get_change_message() for e in administration.history(user)]


def new_user_form(world, **overrides):
    data = {"username": "mae_sot_chw", "first_name": "Naw", "last_name": "Htoo",
            "email": "", "role": "chw", "places": [world["CLINIC"].pk]}  # fmt: skip
    data.update(overrides)
    return data


def temporary_password_in(response) -> str:
    return re.search(r'id="temporary-password">([^<]+)<', response.content.decode()).group(1)


# -- who reaches the pages ---------------------------------------------------------------------


@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.ADMINISTRATOR])
def test_every_other_role_is_refused_every_administration_page(client, world, people, role):
    someone = create_user(username=f"a-{role}", password=None, role=role, places=[world["TH"]])
    client.force_login(someone)
    for page in PAGES:
        assert client.get(page).status_code == 403, page
    target = people["clinician"].pk
    assert client.get(f"/administration/users/{target}/").status_code == 403
    assert client.post(f"/administration/users/{target}/password/").status_code == 403
    assert client.post(f"/administration/users/{target}/second-factor/").status_code == 403
    created = client.post("/administration/users/new/", new_user_form(world))
    assert created.status_code == 403
    assert not User.objects.filter(username="mae_sot_chw").exists()
    place = world["CLINIC"].pk
    assert client.post(f"/administration/places/{place}/", {"name": "Renamed"}).status_code == 403
    assert Place.objects.get(pk=place).name == "Mae Sot Migrant Clinic"


def test_the_navigation_offers_the_pages_to_administrators_only(client, people):
    client.force_login(people["admin"])
    assert 'href="/administration/users/"' in client.get("/people/").content.decode()
    client.force_login(people["clinician"])
    assert "/administration/" not in client.get("/people/").content.decode()


# -- creating a user, and their first log-in ---------------------------------------------------


def test_an_administrator_creates_a_chw_who_must_choose_a_password_at_first_log_in(
    client, world, people
):
    admin = people["admin"]
    client.force_login(admin)
    response = client.post("/administration/users/new/", new_user_form(world))
    assert response.status_code == 200
    password = temporary_password_in(response)
    chw = User.objects.get(username="mae_sot_chw")
    assert (chw.role, chw.first_name, chw.must_change_password) == ("chw", "Naw", True)
    assert not chw.is_staff
    assert scopes(chw) == {"MSOT-CLIN"}
    assert chw.check_password(password)
    [entry] = LogEntry.objects.filter(object_id=str(chw.pk))
    assert entry.user == admin and entry.is_addition()
    assert entry.get_change_message() == (
        "Added. Added role “chw”. Added place scope “Mae Sot Migrant Clinic”."
    )

    client.logout()
    login = client.post("/login/", {"username": "mae_sot_chw", "password": password})
    assert login.status_code == 302
    people_page = client.get("/people/")
    assert people_page.status_code == 302
    assert people_page["Location"] == "/account/password/?next=%2Fpeople%2F"
    api = client.get("/api/persons")
    assert api.status_code == 403 and "password" in api.json()["detail"]
    weak = client.post("/account/password/", {"old_password": password,
                                              "new_password1": "mae_sot_chw1",
                                              "new_password2": "mae_sot_chw1",
                                              "next": "/people/"})  # fmt: skip
    assert weak.status_code == 422
    assert 'href="#id_new_password2"' in weak.content.decode()  # named in the error summary
    chosen = "a river crossing at dawn"
    done = client.post("/account/password/", {"old_password": password,
                                              "new_password1": chosen,
                                              "new_password2": chosen,
                                              "next": "/people/"})  # fmt: skip
    assert done.status_code == 302 and done["Location"] == "/people/"
    assert client.get("/people/").status_code == 200  # still logged in, and let through
    chw.refresh_from_db()
    assert not chw.must_change_password and chw.check_password(chosen)


def test_a_refused_new_user_names_each_field_in_the_summary_and_keeps_what_was_typed(
    client, world, people
):
    client.force_login(people["admin"])
    response = client.post(
        "/administration/users/new/", new_user_form(world, username="", role="", places=[])
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert 'class="error-summary"' in page
    for field in ("username", "role", "places"):
        # a list of boxes is linked at its first box, the one a click there puts the cursor in
        assert re.search(rf'href="#id_{field}(_0)?"', page), field
    assert 'value="Htoo"' in page  # the last name typed is kept
    # What only the service knows (a name taken) is named the same way.
    taken = people["clinician"].username
    response = client.post("/administration/users/new/", new_user_form(world, username=taken))
    assert response.status_code == 422
    page = response.content.decode()
    assert 'href="#id_username"' in page
    assert "A user with that username already exists." in page
    ticked = re.findall(r'<input type="checkbox" name="places" value="(\d+)"[^>]*checked', page)
    assert ticked == [str(world["CLINIC"].pk)]  # the place ticked stays ticked
    assert User.objects.filter(username=taken).count() == 1


def test_a_new_user_and_its_log_entry_are_written_together_or_not_at_all(
    world, people, monkeypatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("log unavailable")

    monkeypatch.setattr(administration, "_log", broken)
    with pytest.raises(RuntimeError):
        administration.create_account(people["admin"], username="half", role="chw",
                                      places=[world["CLINIC"]])  # fmt: skip
    assert not User.objects.filter(username="half").exists()
    assert not Scope.objects.filter(user__username="half").exists()


# -- the insider: scopes never widen -----------------------------------------------------------


def test_an_administrator_cannot_grant_a_place_outside_their_own(client, world, tak_admin):
    client.force_login(tak_admin)
    # Thailand holds Tak: wider than the administrator's own places; Honduras lies elsewhere.
    for place in (world["TH"], world["SPS"]):
        response = client.post("/administration/users/new/",
                               new_user_form(world, places=[place.pk]))  # fmt: skip
        assert response.status_code == 422
        assert 'href="#id_places_0"' in response.content.decode()  # its first box
    assert not User.objects.filter(username="mae_sot_chw").exists()
    with pytest.raises(ValidationError) as refused:
        administration.create_account(tak_admin, username="x", role="chw", places=[world["TH"]])
    assert refused.value.message_dict["places"] == ["Thailand is not within your places."]


def test_an_administrator_cannot_create_an_administrator_wider_than_themselves(
    client, world, tak_admin
):
    client.force_login(tak_admin)
    wider = new_user_form(world, username="deputy", role="administrator", places=[world["TH"].pk])
    assert client.post("/administration/users/new/", wider).status_code == 422
    assert not User.objects.filter(username="deputy").exists()
    with pytest.raises(ValidationError):
        administration.create_account(tak_admin, username="deputy", role="administrator",
                                      places=[world["TAK"], world["RANONG"]])  # fmt: skip
    # Within their own places, they may.
    narrower = new_user_form(world, username="deputy", role="administrator",
                             places=[world["MAESOT"].pk])  # fmt: skip
    assert client.post("/administration/users/new/", narrower).status_code == 200
    assert scopes(User.objects.get(username="deputy")) == {"TH-63-MSOT"}


def test_an_administrator_cannot_widen_a_users_places_by_editing_them(
    client, world, people, tak_admin
):
    clinician = people["clinician"]  # Mae Sot, inside Tak
    client.force_login(tak_admin)
    form = {"first_name": "", "last_name": "", "email": "", "role": "clinician",
            "is_active": "on", "places": [world["MAESOT"].pk, world["RANONG"].pk]}  # fmt: skip
    assert client.post(f"/administration/users/{clinician.pk}/", form).status_code == 422
    assert scopes(clinician) == {"TH-63-MSOT"}
    with pytest.raises(ValidationError) as refused:
        administration.update_account(tak_admin, clinician, role="clinician", is_active=True,
                                      places=[world["MAESOT"], world["RANONG"]])  # fmt: skip
    assert "places" in refused.value.message_dict
    assert scopes(clinician) == {"TH-63-MSOT"}


def test_users_reaching_beyond_an_administrators_places_are_not_theirs_to_manage(
    client, world, people, tak_admin
):
    client.force_login(tak_admin)
    listed = client.get("/administration/users/").content.decode()
    assert "mae_sot_clinician" in listed and "tak_officer" in listed
    # Thailand's administrator reaches beyond Tak; the others work elsewhere. Taking over
    # their accounts (a new password, no second factor) would widen the insider's reach.
    for other in ("admin", "chw", "hn_clinician", "viewer"):
        target = people[other]
        assert target.username not in listed
        for address in (f"/administration/users/{target.pk}/",):
            assert client.get(address).status_code == 404
        assert client.post(f"/administration/users/{target.pk}/password/").status_code == 404
        assert client.post(f"/administration/users/{target.pk}/second-factor/").status_code == 404
    people["admin"].refresh_from_db()
    assert people["admin"].must_change_password is False


def test_superusers_are_managed_by_superusers_only(client, world, people):
    root = User.objects.create_superuser("root", password="sunlight over the hills")
    client.force_login(people["admin"])
    assert "root" not in client.get("/administration/users/").content.decode()
    assert client.post(f"/administration/users/{root.pk}/password/").status_code == 404
    root.refresh_from_db()
    assert root.check_password("sunlight over the hills") and not root.must_change_password


# -- no lock-out -------------------------------------------------------------------------------


def test_an_administrator_cannot_deactivate_demote_or_unscope_themselves(client, world, people):
    admin = people["admin"]
    client.force_login(admin)
    form = {
        "first_name": "",
        "last_name": "",
        "email": "",
        "role": "viewer",
        "places": [world["TAK"].pk],
    }  # fmt: skip (no is_active: unticked)
    response = client.post(f"/administration/users/{admin.pk}/", form)
    assert response.status_code == 422
    page = response.content.decode()
    for field in ("role", "is_active", "places"):
        # a list of boxes is linked at its first box, the one a click there puts the cursor in
        assert re.search(rf'href="#id_{field}(_0)?"', page), field
    assert "You cannot deactivate yourself" in page
    admin.refresh_from_db()
    assert (admin.role, admin.is_active, scopes(admin)) == ("administrator", True, {"TH"})
    assert log_of(admin) == []
    # Their name they may change.
    same = {**form, "role": "administrator", "is_active": "on", "places": [world["TH"].pk],
            "first_name": "Somchai"}  # fmt: skip
    assert client.post(f"/administration/users/{admin.pk}/", same).status_code == 302
    admin.refresh_from_db()
    assert admin.first_name == "Somchai"


# -- changing, deactivating, passwords, second factor ------------------------------------------


def test_a_role_and_places_change_is_saved_and_logged(client, world, people):
    clinician = people["clinician"]
    client.force_login(people["admin"])
    form = {"first_name": "", "last_name": "", "email": "", "role": "administrator",
            "is_active": "on", "places": [world["MAESOT"].pk, world["RANONG"].pk]}  # fmt: skip
    assert client.post(f"/administration/users/{clinician.pk}/", form).status_code == 302
    clinician.refresh_from_db()
    assert clinician.role == "administrator" and clinician.is_staff  # the admin site follows
    assert scopes(clinician) == {"TH-63-MSOT", "RNG-PORT"}
    [entry] = log_of(clinician)
    assert entry == (
        "Changed role. Added role “administrator”. Added place scope “Ranong port health corner”."
    )


def test_a_deactivated_user_can_no_longer_log_in(client, world, people):
    chw = people["chw"]
    chw.set_password("a long enough passphrase")
    chw.save()
    client.force_login(people["admin"])
    form = {"first_name": "", "last_name": "", "email": "", "role": "chw",
            "places": [world["RANONG"].pk]}  # fmt: skip
    assert client.post(f"/administration/users/{chw.pk}/", form).status_code == 302
    chw.refresh_from_db()
    assert not chw.is_active
    assert log_of(chw) == ["Changed active."]
    client.logout()
    response = client.post("/login/", {"username": chw.username,
                                       "password": "a long enough passphrase"})  # fmt: skip
    assert response.status_code == 200 and SESSION_KEY not in client.session


def test_a_temporary_password_replaces_the_old_one_and_ends_the_users_sessions(
    client, world, people
):
    from django.test import Client

    chw = people["chw"]
    chw.set_password("the old forgotten passphrase")
    chw.save()
    theirs = Client()
    theirs.force_login(chw)
    assert theirs.get("/people/").status_code == 200
    client.force_login(people["admin"])
    response = client.post(f"/administration/users/{chw.pk}/password/")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    password = temporary_password_in(response)
    chw.refresh_from_db()
    assert chw.check_password(password) and not chw.check_password("the old forgotten passphrase")
    assert chw.must_change_password
    assert theirs.get("/people/")["Location"].startswith("/login/")  # their session ended
    assert log_of(chw) == ["Changed temporary password."]
    # Not for one's own account (that is the password page's).
    admin = people["admin"]
    assert client.post(f"/administration/users/{admin.pk}/password/").status_code == 302
    admin.refresh_from_db()
    assert not admin.must_change_password


def test_a_temporary_password_lifts_the_lock_of_a_user_who_tried_too_many_passwords(
    client, people, settings
):
    settings.AXES_FAILURE_LIMIT = 5
    chw = people["chw"]
    for _attempt in range(5):
        client.post("/login/", {"username": chw.username, "password": "wrong guess 12345"})
    client.force_login(people["admin"])
    password = temporary_password_in(client.post(f"/administration/users/{chw.pk}/password/"))
    client.logout()
    response = client.post("/login/", {"username": chw.username, "password": password})
    assert response.status_code == 302 and SESSION_KEY in client.session


def test_a_lost_phone_second_factor_is_forgotten_and_logged(client, people):
    viewer_th = people["clinician"]
    TOTPDevice.objects.create(user=viewer_th, name="authenticator", confirmed=True)
    client.force_login(people["admin"])
    page = client.get(f"/administration/users/{viewer_th.pk}/").content.decode()
    assert "Forget their authenticator app" in page
    assert client.post(f"/administration/users/{viewer_th.pk}/second-factor/").status_code == 302
    assert not TOTPDevice.objects.filter(user=viewer_th).exists()
    assert log_of(viewer_th) == ["Deleted authenticator app “authenticator”."]
    # Not one's own: a stolen session must not set up its own authenticator.
    admin = people["admin"]
    TOTPDevice.objects.create(user=admin, name="authenticator", confirmed=True)
    assert client.post(f"/administration/users/{admin.pk}/second-factor/").status_code == 302
    assert TOTPDevice.objects.filter(user=admin).exists()


# -- places ------------------------------------------------------------------------------------


def test_places_are_listed_and_edited_within_the_administrators_places(client, world, tak_admin):
    client.force_login(tak_admin)
    listed = client.get("/administration/places/").content.decode()
    assert "Friendship Bridge" in listed and "Ranong" not in listed and "Honduras" not in listed
    bridge = world["BRIDGE"]
    form = {"name": "Friendship Bridge 1", "site_type": "border_post", "latitude": "91",
            "longitude": "98.5"}  # fmt: skip
    refused = client.post(f"/administration/places/{bridge.pk}/", form)
    assert refused.status_code == 422 and 'href="#id_latitude"' in refused.content.decode()
    assert 'value="Friendship Bridge 1"' in refused.content.decode()
    form["latitude"] = "16.7"
    assert client.post(f"/administration/places/{bridge.pk}/", form).status_code == 302
    bridge.refresh_from_db()
    assert (bridge.name, str(bridge.latitude)) == ("Friendship Bridge 1", "16.700000")
    assert administration.history(bridge).get().user == tak_admin
    ranong = world["RANONG"]
    assert client.get(f"/administration/places/{ranong.pk}/").status_code == 404
    form = {"name": "Taken over", "site_type": "clinic", "latitude": "", "longitude": ""}
    assert client.post(f"/administration/places/{ranong.pk}/", form).status_code == 404
    ranong.refresh_from_db()
    assert ranong.name == "Ranong port health corner"


def test_an_administrator_adds_a_site_inside_their_places_only(client, world, tak_admin):
    client.force_login(tak_admin)
    site = {"parent": world["MAESOT"].pk, "code": "MSOT-MOB", "name": "Mae Sot mobile clinic",
            "kind": "site", "site_type": "mobile_clinic", "latitude": "", "longitude": ""}  # fmt: skip
    assert client.post("/administration/places/new/", site).status_code == 302
    added = Place.objects.get(code="MSOT-MOB")
    assert added.parent == world["MAESOT"] and added.path.startswith(world["MAESOT"].path)
    outside = {**site, "code": "TH-NEW", "parent": world["TH"].pk}
    assert client.post("/administration/places/new/", outside).status_code == 422
    with pytest.raises(ValidationError) as refused:
        administration.add_place(tak_admin, parent=world["TH"], code="TH-NEW", name="New",
                                 kind="area")  # fmt: skip
    assert "parent" in refused.value.message_dict
    assert not Place.objects.filter(code="TH-NEW").exists()


# -- the first administrator -------------------------------------------------------------------


def test_the_first_administrator_is_made_on_the_server_with_a_temporary_password(db, capsys):
    from django.core.management import call_command

    call_command("administrator", "first_admin", "TH", "MMR")
    out = capsys.readouterr().out
    assert "Country TH added." in out and "Country MM added." in out
    password = re.search(r"Temporary password \(to change at first log-in\): (\S+)", out)[1]
    user = User.objects.get(username="first_admin")
    assert (user.role, user.is_staff, user.must_change_password) == ("administrator", True, True)
    assert user.check_password(password) and not user.is_superuser
    assert scopes(user) == {"TH", "MM"}
    assert Place.objects.get(code="MM").name == "Myanmar"
    # Again, for an existing user: the password stays, the places are added to.
    call_command("administrator", "first_admin", "KH")
    user.refresh_from_db()
    assert user.check_password(password) and scopes(user) == {"TH", "MM", "KH"}
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="No place has the code 'NOWHERE'"):
        call_command("administrator", "first_admin", "NOWHERE")


def test_an_administrator_with_a_temporary_password_confirms_the_second_factor_first(
    client, people, tak_admin, settings
):
    client.force_login(people["admin"])
    password = temporary_password_in(client.post(f"/administration/users/{tak_admin.pk}/password/"))
    client.logout()
    settings.MHIS_TWO_FACTOR_ROLES = ["administrator"]
    assert (
        client.post("/login/", {"username": "tak_admin", "password": password}).status_code == 302
    )
    # The code first (nothing opens before it, the password page included) …
    assert client.get("/people/")["Location"].startswith("/login/code/")
    assert client.get("/account/password/")["Location"].startswith("/login/code/")
    device = TOTPDevice.objects.create(user=tak_admin, name="authenticator", confirmed=True)
    request = RequestFactory().get("/")
    request.session = client.session
    request.user = tak_admin
    otp_login(request, device)
    request.session.save()
    # … then their own password.
    assert client.get("/people/")["Location"] == "/account/password/?next=%2Fpeople%2F"
    assert client.get("/account/password/").status_code == 200
