"""Failed log-ins through the real log-in pages: a user name is locked after
MHIS_LOGIN_FAILURE_LIMIT failures from one address, and an address after
MHIS_LOGIN_ADDRESS_FAILURE_LIMIT failures over all user names (one password sprayed over many
names), while the typing mistakes of many users behind one address lock nobody else."""

import pytest
from django.core.management import call_command

from mhis.access.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "a-Strong-passphrase-42"
SPRAYED = "Summer2025!Summer"  # one guess, tried against every name


@pytest.fixture
def limits(settings):
    """5 failures lock a name from an address; 12 over all names lock the address."""
    settings.AXES_FAILURE_LIMIT = 5
    settings.MHIS_LOGIN_ADDRESS_FAILURE_LIMIT = 12
    return settings


@pytest.fixture
def staff(people):
    """Everyone at the clinic, with a password."""
    users = list(User.objects.filter(username__in=[
        "mae_sot_clinician", "tak_officer", "th_admin", "ranong_chw", "cambodia_viewer",
        "honduras_clinician", "myawaddy_clinician"]).order_by("username"))  # fmt: skip
    for user in users:
        user.set_password(PASSWORD)
        user.save()
    return users


def log_in(client, username, password, address="203.0.113.5", page="/login/"):
    client.logout()
    return client.post(page, {"username": username, "password": password}, REMOTE_ADDR=address)


def logged_in(response) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.client.session


@pytest.mark.parametrize("page", ["/login/", "/admin/login/"])
def test_one_password_sprayed_over_many_user_names_locks_the_address(client, limits, staff, page):
    # One failure per name: no name ever reaches its own limit.
    answers = [log_in(client, f"user{i}", SPRAYED, page=page).status_code for i in range(12)]
    assert 429 not in answers[:11] and answers[11] == 429
    # From that address nobody logs in now, not even with the right password (or the
    # spraying would learn which of its guesses was right) …
    locked = log_in(client, "mae_sot_clinician", PASSWORD, page=page)
    assert locked.status_code == 429 and not logged_in(locked)
    assert "from this network" in locked.content.decode()
    # … while the same user from another address does.
    assert logged_in(log_in(client, "mae_sot_clinician", PASSWORD, address="198.51.100.7"))
    # An administrator lifts the lock early.
    call_command("axes_reset_ip", "203.0.113.5", verbosity=0)
    assert logged_in(log_in(client, "mae_sot_clinician", PASSWORD))


def test_spraying_is_still_locked_when_each_name_is_tried_a_few_times(client, limits, staff):
    for i in range(3):
        for _ in range(4):  # under the per-name limit
            log_in(client, f"user{i}", SPRAYED)
    assert log_in(client, "user3", SPRAYED).status_code == 429  # 4 + 4 + 4 + 1 > 12
    assert log_in(client, "tak_officer", PASSWORD).status_code == 429


def test_a_clinics_typing_mistakes_behind_one_address_lock_nobody_else(client, limits, staff):
    # Every user mistypes four times, then types the right password: the failures they make
    # good are forgiven, so far more than the address limit lock nobody.
    for user in staff:
        for _ in range(4):
            assert log_in(client, user.username, "Wrong-passphrase-42").status_code == 200
        assert logged_in(log_in(client, user.username, PASSWORD))
    assert len(staff) * 4 > limits.MHIS_LOGIN_ADDRESS_FAILURE_LIMIT
    # One user who keeps on failing locks their own name, never the address: a name counts
    # for at most the per-name limit.
    for _ in range(limits.MHIS_LOGIN_ADDRESS_FAILURE_LIMIT * 2):
        log_in(client, "th_admin", "Wrong-passphrase-42")
    locked = log_in(client, "th_admin", PASSWORD)
    assert locked.status_code == 429 and "This account is locked" in locked.content.decode()
    assert logged_in(log_in(client, "mae_sot_clinician", PASSWORD))
    # Two such users neither (5 + 5 < 12).
    for _ in range(10):
        log_in(client, "ranong_chw", "Wrong-passphrase-42")
    assert logged_in(log_in(client, "tak_officer", PASSWORD))


def test_no_address_limit_when_it_is_set_to_zero(client, limits, staff):
    limits.MHIS_LOGIN_ADDRESS_FAILURE_LIMIT = 0
    for i in range(30):
        log_in(client, f"user{i}", SPRAYED)
    assert logged_in(log_in(client, "mae_sot_clinician", PASSWORD))
