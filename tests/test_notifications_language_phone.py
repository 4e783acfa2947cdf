"""Notifications reach each user in their own language and, where an SMS gateway is set, on
their own mobile number: the number is typed in international form (refused otherwise, naming
the field) and stored as E.164; the gateway receives it as stored."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.utils import translation

from mhis.access.models import User
from mhis.access.services import create_user
from mhis.notifications.models import Notification, Outcome
from mhis.notifications.services import HttpSmsGateway
from mhis.surveillance import owners
from mhis.surveillance.models import Alert

from .test_administration import new_user_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def tak_admin(world):
    return create_user(
        username="tak_admin", password=None, role="administrator", places=[world["TAK"]]
    )


def _officer(world, username, **fields):
    return create_user(
        username=username,
        password=None,
        role="surveillance_officer",
        places=[world["MAESOT"]],
        **fields,
    )


def _alert(site):
    return Alert.objects.create(
        site=site, condition="cholera", year=2026, week=47, method="threshold", observed=3,
        threshold=0,
    )  # fmt: skip


def test_each_recipient_reads_the_notification_in_their_own_language(
    world, django_capture_on_commit_callbacks
):
    spanish = _officer(world, "oficial", language="es")
    default = _officer(world, "officer")
    # Raised while the person acting reads French: neither recipient gets French.
    with translation.override("fr"), django_capture_on_commit_callbacks(execute=True):
        owners.on_raised([_alert(world["CLINIC"])])
    es = Notification.objects.get(recipient=spanish).subject
    en = Notification.objects.get(recipient=default).subject
    assert "Cólera" in es and "Cholera" not in es
    assert "Cholera" in en and "Choléra" not in en
    assert "2026-W47" in es and "2026-W47" in en


def test_a_plain_subject_is_sent_as_written(world, django_capture_on_commit_callbacks):
    from mhis.notifications.services import notify

    spanish = _officer(world, "oficial", language="es")
    with django_capture_on_commit_callbacks(execute=True):
        notify([spanish], "alert_raised", "Cholera at Mae Sot", "/x/")
    assert Notification.objects.get(recipient=spanish).subject == "Cholera at Mae Sot"


class _Gateway(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        type(self).received.append(json.loads(self.rfile.read(length)))
        self.send_response(202)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway():
    _Gateway.received = []
    server = HTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/send", _Gateway.received
    server.shutdown()
    server.server_close()


def test_the_gateway_texts_the_stored_number_and_skips_a_user_without_one(
    world, settings, gateway, django_capture_on_commit_callbacks
):
    url, received = gateway
    settings.MHIS_SMS_GATEWAY_URL = url
    settings.MHIS_SMS_BACKEND = "mhis.notifications.services.HttpSmsGateway"
    texted = _officer(world, "texted", phone="+66812345678")
    silent = _officer(world, "silent")
    with django_capture_on_commit_callbacks(execute=True):
        owners.on_raised([_alert(world["CLINIC"])])
    assert [m["to"] for m in received] == ["+66812345678"]
    assert "Cholera" in received[0]["text"] and "/surveillance/alerts/" in received[0]["text"]
    assert Notification.objects.get(recipient=texted).sms == Outcome.SENT
    assert Notification.objects.get(recipient=silent).sms == Outcome.NO_ADDRESS
    assert HttpSmsGateway().send(silent, "x") == Outcome.NO_ADDRESS


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("081 234 5678", "country code"),
        ("+66 12", "is not a valid phone number"),
        ("+abc", "is not a valid phone number"),
    ],
)
def test_an_administrator_s_bad_number_is_refused_naming_the_field(
    client,
    world,
    tak_admin,
    typed,
    message,
):
    client.force_login(tak_admin)
    response = client.post("/administration/users/new/", new_user_form(world, phone=typed))
    assert response.status_code == 422
    body = response.content.decode()
    assert 'href="#id_phone"' in body and message in body
    assert not User.objects.filter(username="mae_sot_chw").exists()


def test_the_number_is_stored_in_international_form_with_the_language(
    client,
    world,
    tak_admin,
):
    client.force_login(tak_admin)
    form = new_user_form(world, phone="+66 81 234 5678", language="th")
    assert client.post("/administration/users/new/", form).status_code == 200
    user = User.objects.get(username="mae_sot_chw")
    assert (user.phone, user.language) == ("+66812345678", "th")
    # Edited: a number cleared, the language back to the deployment's.
    edit = {**form, "phone": "", "language": "", "is_active": "on"}
    del edit["username"]
    client.post(f"/administration/users/{user.pk}/", edit)
    user.refresh_from_db()
    assert (user.phone, user.language) == ("", "")
