"""Second factor: administrators and analysts (the production default) confirm each log-in with a
code from an authenticator app before any page or API call; other roles are not asked."""

import re
import time
from base64 import b32decode

import pytest
from django.core.management import call_command
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from mhis.access.services import create_token

pytestmark = pytest.mark.django_db

PASSWORD = "a long passphrase for testing"


@pytest.fixture(autouse=True)
def _production_roles(settings):
    settings.MHIS_TWO_FACTOR_ROLES = ["administrator", "analyst"]


def code_for(key: bytes, *, steps_ahead: int = 0) -> str:
    """The code an authenticator app shows (a later step when one code was just used)."""
    totp = TOTP(key)
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def log_in(client, user):
    user.set_password(PASSWORD)
    user.save()
    response = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return response


def enrol(client, user) -> bytes:
    page = client.get("/login/code/")
    secret = re.search(r"<code>([A-Z2-7=]+)</code>", page.content.decode()).group(1)
    key = b32decode(secret)
    response = client.post("/login/code/", {"code": code_for(key), "next": "/indicators/"})
    assert response.status_code == 302 and response["Location"] == "/indicators/"
    return key


def test_an_administrator_reaches_nothing_before_setting_up_the_code(client, people):
    log_in(client, people["admin"])
    response = client.get("/people/")
    assert response.status_code == 302
    assert response["Location"] == "/login/code/?next=%2Fpeople%2F"
    api = client.get("/api/persons")
    assert api.status_code == 403 and "authenticator" in api.json()["detail"]
    page = client.get(response["Location"])
    text = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in text  # the QR code to scan
    assert re.search(r"<code>[A-Z2-7=]{16,}</code>", text)  # the key, for typing


def test_setting_up_then_each_new_log_in_asks_for_a_fresh_code(client, people, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # the refused reuse below would slow the next try
    analyst = people["hn_analyst"]
    log_in(client, analyst)
    key = enrol(client, analyst)
    assert TOTPDevice.objects.get(user=analyst).confirmed
    assert client.get("/indicators/").status_code == 200

    client.post("/logout/")
    log_in(client, analyst)
    assert client.get("/indicators/")["Location"].startswith("/login/code/")
    page = client.get("/login/code/")
    assert b"<svg" not in page.content  # set up already: only the code is asked
    # The code just used for set-up does not open a second session.
    reused = client.post("/login/code/", {"code": code_for(key)})
    assert reused.status_code == 422
    response = client.post("/login/code/", {"code": code_for(key, steps_ahead=1)})
    assert response.status_code == 302
    assert client.get("/indicators/").status_code == 200


def test_a_wrong_code_is_refused_naming_the_code_and_slows_the_next_try(client, people, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 60  # seconds after one failure, so the test cannot race
    admin = people["admin"]
    log_in(client, admin)
    key = enrol(client, admin)
    client.post("/logout/")
    log_in(client, admin)
    wrong = client.post("/login/code/", {"code": "12345x"})
    assert wrong.status_code == 422
    assert b'id="code-error"' in wrong.content
    # Listed at the top too, linked to the field.
    summary = wrong.content.split(b"error-summary", 1)[1].split(b"</div>", 1)[0]
    assert b'href="#code"' in summary
    right = code_for(key, steps_ahead=1)
    client.post("/login/code/", {"code": f"{(int(right) + 1) % 1_000_000:06d}"})
    device = TOTPDevice.objects.get(user=admin)
    assert device.throttling_failure_count == 1
    # While throttled, even the right code waits.
    assert client.post("/login/code/", {"code": code_for(key, steps_ahead=1)}).status_code == 422
    assert client.get("/people/").status_code == 302


def test_other_roles_are_not_asked_and_the_setting_decides(client, people, settings):
    client.force_login(people["clinician"])
    assert client.get("/people/").status_code == 200
    settings.MHIS_TWO_FACTOR_ROLES = ["clinician"]
    assert client.get("/people/")["Location"].startswith("/login/code/")


def test_api_tokens_made_by_the_operator_are_not_asked_for_a_code(client, people):
    _, token = create_token(people["admin"])
    response = client.get("/api/persons", headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_a_lost_phone_is_reset_by_the_operator(client, people, capsys):
    admin = people["admin"]
    log_in(client, admin)
    enrol(client, admin)
    call_command("twofactor", "reset", admin.username)
    assert "th_admin" in capsys.readouterr().out
    assert not TOTPDevice.objects.filter(user=admin).exists()
    client.post("/logout/")
    log_in(client, admin)
    assert b"<svg" in client.get("/login/code/").content  # set up again
