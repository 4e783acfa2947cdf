"""The client's address behind trusted proxies: what log-in throttling and the SMART Health
Link passcode limit count by."""

import ipaddress

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from mhis.access.addresses import client_address
from mhis.env import envnetworks

PROXY = [ipaddress.ip_network("10.0.0.0/24"), ipaddress.ip_network("127.0.0.1")]


def _address(remote, forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_address(RequestFactory().get("/", **meta))


@pytest.mark.parametrize(
    ("trusted", "remote", "forwarded", "expected"),
    [
        ([], "203.0.113.5", "198.51.100.7", "203.0.113.5"),  # no proxy: the header is ignored
        (PROXY, "203.0.113.5", "198.51.100.7", "203.0.113.5"),  # not from a proxy: ignored
        (PROXY, "127.0.0.1", "198.51.100.7", "198.51.100.7"),  # one proxy
        (PROXY, "127.0.0.1", "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # the client's own entry
        (PROXY, "127.0.0.1", "198.51.100.7, 10.0.0.3", "198.51.100.7"),  # two proxies
        (PROXY, "127.0.0.1", "2001:db8::7", "2001:db8::7"),
        (PROXY, "127.0.0.1", "", "127.0.0.1"),  # nothing forwarded
        (PROXY, "127.0.0.1", "not-an-address", "127.0.0.1"),
        (PROXY, "127.0.0.1", "10.0.0.3", "127.0.0.1"),  # only proxies
    ],
)
def test_the_client_address_is_the_one_the_trusted_proxies_forwarded(
    settings, trusted, remote, forwarded, expected
):
    settings.MHIS_TRUSTED_PROXIES = trusted
    assert _address(remote, forwarded) == expected


def test_a_bad_proxy_list_stops_start_up_naming_the_setting(monkeypatch):
    monkeypatch.setenv("MHIS_TRUSTED_PROXIES", "10.0.0.0/24, proxy.example.org")
    with pytest.raises(ImproperlyConfigured, match="MHIS_TRUSTED_PROXIES"):
        envnetworks("MHIS_TRUSTED_PROXIES")
    monkeypatch.setenv("MHIS_TRUSTED_PROXIES", "10.0.0.0/24, ::1")
    assert [str(n) for n in envnetworks("MHIS_TRUSTED_PROXIES")] == ["10.0.0.0/24", "::1/128"]


def test_behind_a_proxy_log_in_failures_lock_out_the_client_not_the_proxy(client, people, settings):
    from mhis.access.models import User

    settings.MHIS_TRUSTED_PROXIES = PROXY
    user = User.objects.get(username="mae_sot_clinician")
    user.set_password("a-Strong-passphrase-42")
    user.save()

    def log_in(password, forwarded):
        return client.post("/login/", {"username": "mae_sot_clinician", "password": password},
                           REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)  # fmt: skip

    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in("wrong", "203.0.113.5")
    assert log_in("a-Strong-passphrase-42", "203.0.113.5").status_code == 429
    # The same proxy, another client: not locked out.
    assert log_in("a-Strong-passphrase-42", "198.51.100.7").status_code == 302
