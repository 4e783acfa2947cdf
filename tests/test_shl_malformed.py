"""Every public SMART Health Link endpoint (the manifest, the file location, the viewer page)
answers malformed requests with a 4xx and a message saying what is wrong, never a server
error: a table of requests a link holder, a broken client or an attacker may send, then
generated ones (hypothesis). Each request runs in a savepoint, so a failed statement on
PostgreSQL cannot spoil the next."""

from __future__ import annotations

import base64
import json
import secrets
from urllib.parse import quote

import pytest
from django.core import signing
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mhis.portable import links
from mhis.portable.models import SharedLink

BASE = "https://mhis.example.org"
SHARING = [{"scope": "care", "given_on": "2026-01-15"}, {"scope": "sharing", "given_on": "2026-01-15"}]  # fmt: skip
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _shlink(payload) -> str:
    return "shlink:/" + _b64(json.dumps(payload).encode("utf-8"))


@pytest.fixture
def link(people, register) -> SharedLink:
    person = register(consents=SHARING)
    return links.create_link(people["clinician"], person.uuid, expires="30d", passcode="7391")


@pytest.fixture
def anonymous() -> Client:
    """A visitor whose server errors come back as responses, so that all are listed."""
    return Client(raise_request_exception=False)


def _send(client, method, path, body=b"", content_type="application/json"):
    with transaction.atomic():
        response = client.generic(method, path, body, content_type=content_type)
        transaction.set_rollback(True)
    return response


def _message(response) -> str:
    if response.get("Content-Type", "").startswith("application/json"):
        return str(response.json().get("error", ""))
    return response.content.decode(errors="replace")


def _link_texts(link: SharedLink) -> dict[str, str]:
    """Damaged or forged links, each beside the real one it is made from."""
    real = json.loads(base64.urlsafe_b64decode(links.uri(link, BASE)[8:] + "=="))
    url = real["url"]
    return {
        "wrong key": _shlink({**real, "key": _b64(secrets.token_bytes(32))}),
        "short key": _shlink({**real, "key": _b64(secrets.token_bytes(16))}),
        "key not base64": _shlink({**real, "key": "!!!!"}),
        "key a number": _shlink({**real, "key": 5}),
        "no key": _shlink({k: v for k, v in real.items() if k != "key"}),
        "url a number": _shlink({**real, "url": 5}),
        "no url": _shlink({k: v for k, v in real.items() if k != "url"}),
        "another server": _shlink({**real, "url": "https://elsewhere.example/m/abc"}),
        "unknown id": _shlink({**real, "url": f"{BASE}/shl/m/{'A' * 43}"}),
        "NUL in id": _shlink({**real, "url": f"{BASE}/shl/m/ab\x00cd"}),
        "long id": _shlink({**real, "url": f"{BASE}/shl/m/{'A' * 5000}"}),
        "exp text": _shlink({**real, "exp": "soon"}),
        "exp huge": _shlink({**real, "exp": 10**30}),
        "exp NaN": "shlink:/" + _b64(json.dumps({**real, "exp": float("nan")}).encode()),
        "label an object": _shlink({**real, "label": {"a": 1}}),
        "a list": _shlink([url]),
        "null": _shlink(None),
        "deep nesting": "shlink:/" + _b64(b"[" * 100_000),
        "not base64": "shlink:/notbase64!!",
        "not UTF-8": "shlink:/" + _b64(b"\xff\xfe{}"),
        "not ASCII": "shlink:/ñandú",
        "empty": "shlink:/",
        "not a link": "hello",
        "long": "shlink:/" + "A" * 200_000,
    }


def _cases(link: SharedLink):
    """(label, method, path, body, content type) of malformed requests to each endpoint."""
    manifest = f"/shl/m/{link.manifest_id}"
    good = json.dumps({"recipient": "Ranong Hospital", "passcode": "7391"})
    for method in METHODS:
        if method != "POST":
            yield f"manifest {method}", method, manifest, good, "application/json"
        if method not in ("GET", "HEAD"):
            yield f"file {method}", method, "/shl/f/x", b"", "application/json"
        if method not in ("GET", "HEAD", "POST"):
            yield f"viewer {method}", method, "/shl/view/", b"", "application/json"
    for label, body in {
        "empty": b"",
        "not JSON": b"recipient=x",
        "a list": b"[]",
        "null": b"null",
        "a number": b"1",
        "recipient a number": b'{"recipient": 5}',
        "recipient empty": b'{"recipient": "  "}',
        "recipient NUL": b'{"recipient": "Ranong\\u0000"}',
        "recipient long": json.dumps({"recipient": "x" * 100_000}).encode(),
        "passcode an object": b'{"recipient": "x", "passcode": {"a": 1}}',
        "passcode NUL": b'{"recipient": "x", "passcode": "73\\u000091"}',
        "embeddedLengthMax true": b'{"recipient": "x", "embeddedLengthMax": true}',
        "embeddedLengthMax huge": b'{"recipient": "x", "embeddedLengthMax": 1e400}',
        "embeddedLengthMax negative": b'{"recipient": "x", "embeddedLengthMax": -1}',
        "deep nesting": b"[" * 100_000,
        "not UTF-8": b'{"recipient": "\xff\xfe"}',
        "too large": b'{"recipient": "' + b"x" * 2_000_000 + b'"}',
    }.items():
        yield f"manifest body {label}", "POST", manifest, body, "application/json"
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                         "multipart/form-data; boundary=x", "application/xml"):  # fmt: skip
        yield f"manifest as {content_type}", "POST", manifest, good, content_type
    for label, manifest_id in {
        "unknown": "A" * 43,
        "NUL": "%00",
        "long": "A" * 5000,
        "not ASCII": quote("ñandú"),
        "dots": "..",
    }.items():
        yield f"manifest id {label}", "POST", f"/shl/m/{manifest_id}", good, "application/json"
    signer = signing.TimestampSigner(salt="shl-file")
    for label, token in {
        "forged": "forged-token",
        "NUL": "%00",
        "long": "A" * 5000,
        "unknown id": signer.sign("A" * 43),
        "NUL id": quote(signer.sign("ab\x00cd")),
        "signed by another salt": signing.TimestampSigner(salt="x").sign(link.manifest_id),
    }.items():
        yield f"file token {label}", "GET", f"/shl/f/{token}", b"", "application/json"
    form = "application/x-www-form-urlencoded"
    for label, text in _link_texts(link).items():
        body = f"link={quote(text)}&passcode=7391"
        yield f"viewer link {label}", "POST", "/shl/view/", body, form
    for label, body, content_type in (
        ("no link", "passcode=7391", form),
        ("NUL in link", "link=shlink%3A%2F%00", form),
        ("long passcode", f"link={quote(links.uri(link, BASE))}&passcode={'7' * 5000}", form),
        ("as JSON", json.dumps({"link": links.uri(link, BASE)}), "application/json"),
        ("broken multipart", "--x\r\nContent-Disposition: form-data\r\n\r\nx", "multipart/form-data; boundary=x"),
        ("multipart without boundary", "x", "multipart/form-data"),
        ("too large", "link=" + "A" * 2_000_000, form),
        ("too many fields", "&".join(f"f{i}=1" for i in range(2000)), form),
    ):  # fmt: skip
        yield f"viewer {label}", "POST", "/shl/view/", body, content_type


def test_every_public_link_endpoint_answers_malformed_requests_with_a_named_4xx(anonymous, link):
    problems = []
    for label, method, path, body, content_type in _cases(link):
        response = _send(anonymous, method, path, body, content_type)
        status = response.status_code
        if not 400 <= status < 500:
            problems.append(f"{label}: {status}")
        elif method != "HEAD" and not _message(response).strip():
            problems.append(f"{label}: {status} without a message")
    assert not problems, "\n".join(problems)
    # None of it opened the link or used up its attempts.
    link.refresh_from_db()
    assert link.active and link.attempts_left == 5


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=st.text(max_size=300), passcode=st.text(max_size=50))
def test_any_text_given_to_the_viewer_answers_below_500(anonymous, link, text, passcode):
    for candidate in (text, "shlink:/" + text):
        response = _send(anonymous, "POST", "/shl/view/",
                         f"link={quote(candidate)}&passcode={quote(passcode)}",
                         "application/x-www-form-urlencoded")  # fmt: skip
        assert response.status_code < 500, (candidate, passcode)


FIELDS = ("url", "key", "exp", "flag", "label", "v")
VALUES = (st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=60)
          | st.binary(min_size=0, max_size=40).map(_b64) | st.lists(st.integers(), max_size=3))  # fmt: skip


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    changes=st.dictionaries(st.sampled_from(FIELDS), VALUES),
    dropped=st.sets(st.sampled_from(FIELDS)),
)
def test_a_real_link_with_any_of_its_fields_changed_answers_below_500(
    anonymous, link, changes, dropped
):
    real = json.loads(base64.urlsafe_b64decode(links.uri(link, BASE)[8:] + "=="))
    payload = {k: v for k, v in {**real, **changes}.items() if k not in dropped}
    text = "shlink:/" + _b64(json.dumps(payload).encode("utf-8"))
    response = _send(anonymous, "POST", "/shl/view/", f"link={quote(text)}&passcode=7391",
                     "application/x-www-form-urlencoded")  # fmt: skip
    assert response.status_code < 500, payload


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(manifest_id=st.text(min_size=1, max_size=100), body=st.binary(max_size=300))
def test_any_manifest_request_answers_below_500(anonymous, link, manifest_id, body):
    for path in (f"/shl/m/{quote(manifest_id, safe='')}", f"/shl/m/{link.manifest_id}"):
        response = _send(anonymous, "POST", path, body)
        assert response.status_code < 500, (path, body)
    response = _send(anonymous, "GET", f"/shl/f/{quote(manifest_id, safe='')}")
    assert response.status_code < 500, manifest_id
