"""SMART Health Links: the payload decrypts with a standard JOSE library to the exact
exported summary; expiry, revocation, passcodes and the attempt limit are enforced; the
viewer, the pages and the command; the printed summary embeds the fonts of its scripts."""

import base64
import datetime as dt
import io
import json
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from mhis.access.models import Role
from mhis.access.policy import Can, roles_with
from mhis.portable import ips_import, links
from mhis.portable.models import LinkAccess, SharedLink
from mhis.portable.services import export_ips

BASE = "https://mhis.example.org"
SHARING = [{"scope": "care", "given_on": "2026-01-15"}, {"scope": "sharing", "given_on": "2026-01-15"}]  # fmt: skip


@pytest.fixture
def person(register):
    return register(names=[{"text": "မောင်မောင်", "latin": "Maung Maung"}], languages=["my"],
                    consents=SHARING)  # fmt: skip


@pytest.fixture
def public_url(settings):
    settings.MHIS_PUBLIC_URL = BASE


def payload_of(uri: str) -> dict:
    encoded = uri.split("shlink:/", 1)[1]
    return json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))


def fetch(client, link, headers=None, **body):
    body.setdefault("recipient", "Ranong Hospital")
    return client.post(f"/shl/m/{link.manifest_id}", json.dumps(body),
                       content_type="application/json", **(headers or {}))  # fmt: skip


def test_the_link_decrypts_with_a_standard_jose_library_to_the_exact_export(client, people, person):
    joserfc = pytest.importorskip("joserfc.jwe", reason="needs joserfc (dev extra)")
    from joserfc.jwk import OctKey

    exported = export_ips(people["clinician"], person.uuid)
    link = links.create_link(people["clinician"], person.uuid, expires="30d", label="For Ranong",
                             summary=exported)  # fmt: skip
    payload = payload_of(links.uri(link, BASE))
    assert payload["url"] == f"{BASE}/shl/m/{link.manifest_id}"
    assert payload["label"] == "For Ranong" and "flag" not in payload and payload["v"] == 1
    key = base64.urlsafe_b64decode(payload["key"] + "=")
    assert len(key) == 32 and len(link.manifest_id) >= 43  # 256 random bits each
    assert abs(payload["exp"] - (timezone.now() + dt.timedelta(days=30)).timestamp()) < 60

    response = fetch(client, link)
    assert response.status_code == 200
    (file,) = response.json()["files"]
    assert file["contentType"] == "application/fhir+json"
    token = joserfc.decrypt_compact(file["embedded"], OctKey.import_key(key), algorithms=["dir", "A256GCM"])  # fmt: skip
    assert token.headers()["alg"] == "dir" and token.headers()["enc"] == "A256GCM"
    assert token.plaintext == exported.encode("utf-8")
    assert LinkAccess.objects.get(link=link).outcome == "served"


def test_a_link_needs_the_persons_consent_to_sharing(people, register):
    person = register()  # consented to care only
    with pytest.raises(ValidationError) as refused:
        links.create_link(people["clinician"], person.uuid, expires="30d")
    assert "consent" in refused.value.message_dict
    assert not SharedLink.objects.exists()


@pytest.mark.parametrize(
    ("expires", "field"), [("0d", "expires"), ("400d", "expires"), ("soon", "expires"), ("2020-01-01", "expires")]
)  # fmt: skip
def test_an_impossible_expiry_is_refused_by_name(people, person, expires, field):
    with pytest.raises(ValidationError) as refused:
        links.create_link(people["clinician"], person.uuid, expires=expires)
    assert field in refused.value.message_dict


def test_an_expired_or_revoked_link_is_refused(client, people, person):
    expired = links.create_link(people["clinician"], person.uuid, expires="1h")
    SharedLink.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))  # fmt: skip
    assert fetch(client, expired).status_code == 404

    revoked = links.create_link(people["clinician"], person.uuid, expires="30d")
    assert fetch(client, revoked).status_code == 200
    links.revoke(people["clinician"], revoked)
    assert fetch(client, revoked).status_code == 404
    assert (
        client.post(
            "/shl/m/nonexistent", '{"recipient": "x"}', content_type="application/json"
        ).status_code
        == 404
    )
    assert list(LinkAccess.objects.filter(link=revoked).values_list("outcome", flat=True)) == ["refused", "served"]  # fmt: skip


def test_a_wrong_passcode_is_refused_and_the_attempt_limit_locks_the_link(
    client, people, person, settings
):
    settings.MHIS_SHL_PASSCODE_ATTEMPTS = 3
    link = links.create_link(people["clinician"], person.uuid, expires="30d", passcode="7391")
    assert payload_of(links.uri(link, BASE))["flag"] == "P"
    assert fetch(client, link).status_code == 401  # none given
    response = fetch(client, link, passcode="0000")
    assert response.status_code == 401 and response.json()["remainingAttempts"] == 1
    assert fetch(client, link, passcode="7391").status_code == 200  # right: served
    assert fetch(client, link, passcode="1111").status_code == 401  # the last attempt
    locked = fetch(client, link, passcode="7391")
    assert locked.status_code == 404  # locked for good, even with the right passcode
    link.refresh_from_db()
    assert link.locked and not link.active


def test_wrong_passcodes_from_one_address_are_limited_over_all_links(
    client, people, person, settings
):
    settings.MHIS_SHL_ADDRESS_LIMIT = 3
    first, second = (links.create_link(people["clinician"], person.uuid, expires="30d",
                                       passcode="7391") for _ in range(2))  # fmt: skip
    guesser = {"REMOTE_ADDR": "203.0.113.5"}
    assert [fetch(client, link, guesser, passcode="0000").status_code
            for link in (first, first, second)] == [401, 401, 401]  # fmt: skip
    # The fourth try is refused before its passcode is read, and uses up no attempt.
    throttled = fetch(client, second, guesser, passcode="7391")
    assert throttled.status_code == 429 and "Too many wrong passcodes" in throttled.json()["error"]
    second.refresh_from_db()
    assert second.attempts_left == 4
    # A header the client writes itself does not change its address.
    spoofed = {**guesser, "HTTP_X_FORWARDED_FOR": "198.51.100.7"}
    assert fetch(client, second, spoofed, passcode="7391").status_code == 429
    # Someone else, elsewhere, opens the link; the viewer page says why it refuses.
    assert (
        fetch(client, second, {"REMOTE_ADDR": "198.51.100.7"}, passcode="7391").status_code == 200
    )
    url = links.uri(second, BASE)
    page = client.post("/shl/view/", {"link": url, "passcode": "7391"}, **guesser)
    assert "Too many wrong passcodes" in page.content.decode()
    # Only a hash of the address is kept.
    access = LinkAccess.objects.filter(outcome=LinkAccess.Outcome.THROTTLED).first()
    assert access.address and "203.0.113.5" not in access.address
    # An hour later the address may try again.
    LinkAccess.objects.update(at=timezone.now() - dt.timedelta(hours=1, minutes=1))
    assert fetch(client, second, guesser, passcode="7391").status_code == 200


def test_a_long_file_is_given_at_a_location(client, people, person):
    link = links.create_link(people["clinician"], person.uuid, expires="30d")
    (file,) = fetch(client, link, embeddedLengthMax=10).json()["files"]
    assert "embedded" not in file
    path = file["location"].split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path)
    assert response.status_code == 200 and response.content.decode() == link.payload
    assert client.get("/shl/f/forged-token").status_code == 404


def test_bad_manifest_requests_are_named(client, people, person):
    link = links.create_link(people["clinician"], person.uuid, expires="30d")
    assert client.get(f"/shl/m/{link.manifest_id}").status_code == 405
    response = client.post(f"/shl/m/{link.manifest_id}", "{}", content_type="application/json")
    assert response.status_code == 400 and "recipient" in response.json()["error"]
    response = fetch(client, link, embeddedLengthMax="many")
    assert response.status_code == 400 and "embeddedLengthMax" in response.json()["error"]


def test_the_viewer_opens_the_link_in_the_readers_language(client, people, person, public_url):
    link = links.create_link(people["clinician"], person.uuid, expires="30d", passcode="7391")
    url = links.viewer_url(link, BASE)
    assert url.startswith(f"{BASE}/shl/view/#shlink:/")
    page = client.get("/shl/view/")
    assert page.status_code == 200 and b"shl-viewer.js" in page.content
    wrong = client.post("/shl/view/", {"link": url, "passcode": "1"})
    assert wrong.status_code == 401 and "Wrong passcode" in wrong.content.decode()
    opened = client.post("/shl/view/", {"link": url, "passcode": "7391"}, headers={"accept-language": "es"})  # fmt: skip
    text = opened.content.decode()
    assert "Maung Maung" in text and "Resumen de salud" in text and "Alergias e intolerancias" in text  # fmt: skip
    assert re.search(r"<dd>Mae Sot Migrant Clinic</dd>", text)  # who wrote it, by name
    damaged = client.post("/shl/view/", {"link": "shlink:/notbase64!!"})
    assert damaged.status_code == 400 and "damaged" in damaged.content.decode()


def test_sharing_pages_create_show_and_revoke_a_link(client, people, person):
    client.force_login(people["clinician"])
    page = client.get(f"/record/{person.uuid}/links/")
    assert page.status_code == 200
    response = client.post(f"/record/{person.uuid}/links/", {"label": "TB clinic", "expires": "14d"})  # fmt: skip
    assert response.status_code == 302
    link = SharedLink.objects.get(person=person)
    page = client.get(f"/record/{person.uuid}/links/").content.decode()
    assert "<svg" in page and "TB clinic" in page and "#shlink:/" in page
    client.post(f"/record/links/{link.pk}/revoke/")
    link.refresh_from_db()
    assert link.revoked_at is not None
    summary = client.get(f"/record/{person.uuid}/summary.json")
    assert summary["Content-Type"] == "application/fhir+json"
    assert ips_import.faults(json.loads(summary.content)) == []


def test_a_user_outside_the_persons_places_reaches_nothing(client, people, person):
    link = links.create_link(people["clinician"], person.uuid, expires="30d")
    client.force_login(people["hn_clinician"])
    for path in (f"/record/{person.uuid}/links/", f"/record/{person.uuid}/summary.json",
                 f"/record/{person.uuid}/summary.pdf"):  # fmt: skip
        assert client.get(path).status_code == 404
    assert client.post(f"/record/links/{link.pk}/revoke/").status_code == 404
    link.refresh_from_db()
    assert link.revoked_at is None


def test_the_command_creates_a_link_and_its_qr_code(people, person, tmp_path):
    out = io.StringIO()
    call_command("shl", "create", str(person.uuid), user="mae_sot_clinician", expires="30d",
                 base_url=BASE, qr=str(tmp_path / "qr.svg"), stdout=out)  # fmt: skip
    text = out.getvalue()
    uri = re.search(r"^shlink:/\S+$", text, re.MULTILINE).group(0)
    assert payload_of(uri)["url"].startswith(f"{BASE}/shl/m/")
    assert (tmp_path / "qr.svg").read_text().startswith("<svg")
    link = SharedLink.objects.get(person=person)
    call_command("shl", "revoke", str(link.pk), user="mae_sot_clinician", stdout=io.StringIO())
    link.refresh_from_db()
    assert link.revoked_at is not None


def _embedded_fonts(pdf: bytes) -> set[str]:
    from pypdf import PdfReader

    found = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", []):
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                if "/FontFile2" in descriptor:
                    found.add(str(font["/BaseFont"]).split("+")[-1])
    return found


def test_the_printed_summary_embeds_burmese_and_thai_fonts(people, person):
    pytest.importorskip("pypdf", reason="needs pypdf (dev extra)")
    from mhis.portable.printing import summary_pdf

    try:
        pdf = summary_pdf(person, clinic_language="th", link_uri=f"{BASE}/shl/view/#shlink:/x")
    except RuntimeError as exc:  # FontsMissing
        pytest.fail(f"{exc} (make system installs them)")
    assert pdf.startswith(b"%PDF")
    fonts = _embedded_fonts(pdf)
    assert {"NotoSansMyanmar", "NotoSansThai"} <= {f.split("-")[0] for f in fonts}, fonts


def test_the_print_page_serves_the_pdf_with_a_links_qr_code(client, people, person):
    link = links.create_link(people["clinician"], person.uuid, expires="30d")
    client.force_login(people["clinician"])
    response = client.get(f"/record/{person.uuid}/summary.pdf?link={link.pk}")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"/Subtype /Image" in response.content  # the QR code


def test_without_fonts_the_print_page_says_what_is_missing(
    client, people, person, settings, tmp_path
):
    settings.MHIS_FONT_DIR = str(tmp_path)
    client.force_login(people["clinician"])
    response = client.get(f"/record/{person.uuid}/summary.pdf")
    assert response.status_code == 503 and "fonts-noto-core" in response.content.decode()
    assert client.get(f"/record/{person.uuid}/summary.pdf?link=999").status_code == 404


# -- consent to sharing ------------------------------------------------------------------------

WITHDRAWN = [{"scope": "care", "given_on": "2026-01-15"},
             {"scope": "sharing", "given_on": "2026-01-15", "withdrawn_on": "2026-02-01"}]  # fmt: skip
GONE = "This link is no longer active."


def _viewer_says(client, link) -> str:
    return client.post("/shl/view/", {"link": links.uri(link, BASE)}).content.decode()


def test_withdrawing_consent_to_sharing_revokes_every_live_link_at_once(client, people, person):
    from mhis.registry.services import update_person

    clinician = people["clinician"]
    first, second = (links.create_link(clinician, person.uuid, expires="30d") for _ in range(2))
    location = fetch(client, second, embeddedLengthMax=10).json()["files"][0]["location"]
    expired = links.create_link(clinician, person.uuid, expires="1h")
    SharedLink.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))  # fmt: skip
    by_hand = links.revoke(clinician, links.create_link(clinician, person.uuid, expires="30d"))

    update_person(clinician, person, {"consents": WITHDRAWN})

    for link in (first, second):
        link.refresh_from_db()
        assert link.revoked_at is not None and link.revoked_by == clinician
        assert link.revoked_reason == SharedLink.Revocation.CONSENT
    expired.refresh_from_db(), by_hand.refresh_from_db()
    assert expired.revoked_at is None  # it had already ended by itself
    assert by_hand.revoked_reason == SharedLink.Revocation.BY_USER
    # Whoever holds a link is answered as for a revoked link, by the manifest, the file
    # location it handed out, and the viewer.
    response = fetch(client, first)
    assert response.status_code == 404 and response.json()["error"] == GONE
    assert client.get("/" + location.split("://", 1)[1].split("/", 1)[1]).status_code == 404
    assert GONE in _viewer_says(client, second)
    assert LinkAccess.objects.filter(link=first).get().outcome == LinkAccess.Outcome.REFUSED


def test_a_withdrawal_through_the_api_revokes_the_links_and_the_page_says_why(
    client, api, people, person
):
    link = links.create_link(people["clinician"], person.uuid, expires="30d")
    assert fetch(client, link).status_code == 200
    response = api(people["clinician"]).patch(f"/api/persons/{person.uuid}",
                                              json.dumps({"consents": WITHDRAWN}))  # fmt: skip
    assert response.status_code == 200, response.content
    response = fetch(client, link)
    assert response.status_code == 404 and response.json()["error"] == GONE
    assert GONE in _viewer_says(client, link)
    client.force_login(people["clinician"])
    page = client.get(f"/record/{person.uuid}/links/").content.decode()
    assert "by mae_sot_clinician: The person withdrew their consent to sharing" in page
    assert "#shlink:/" not in page


def test_a_change_of_consents_that_keeps_sharing_keeps_the_links(client, people, person):
    from mhis.registry.services import update_person

    link = links.create_link(people["clinician"], person.uuid, expires="30d")
    update_person(people["clinician"], person,
                  {"consents": [*SHARING, {"scope": "research", "given_on": "2026-03-01"}]})  # fmt: skip
    link.refresh_from_db()
    assert link.revoked_at is None and fetch(client, link).status_code == 200


def test_a_withdrawal_written_around_the_services_ends_the_link_at_its_next_request(
    client, people, person
):
    from mhis.registry.models import Consent

    link = links.create_link(people["clinician"], person.uuid, expires="30d")
    # e.g. a restored backup or an edit in the database: no service saw the change.
    Consent.objects.filter(person=person, scope="sharing").update(withdrawn_on=dt.date(2026, 2, 1))
    response = fetch(client, link)
    assert response.status_code == 404 and response.json()["error"] == GONE
    link.refresh_from_db()
    assert link.revoked_at is not None and link.revoked_reason == SharedLink.Revocation.CONSENT
    assert link.revoked_by == people["clinician"]  # who recorded the consent


def test_no_link_is_made_once_consent_to_sharing_is_withdrawn(client, people, person):
    from mhis.registry.services import update_person

    update_person(people["clinician"], person, {"consents": WITHDRAWN})
    with pytest.raises(ValidationError) as refused:
        links.create_link(people["clinician"], person.uuid, expires="30d")
    assert "consent" in refused.value.message_dict
    client.force_login(people["clinician"])
    page = client.post(f"/record/{person.uuid}/links/", {"label": "TB clinic", "expires": "14d"})
    assert page.status_code == 200 and "has not consented to sharing" in page.content.decode()
    assert not SharedLink.objects.exists()


def test_consents_moved_back_by_an_unmerge_revoke_the_links_they_carried(client, people, register):
    from mhis.linkage.merges import merge_people, unmerge

    survivor = register()  # consented to care only
    merged = register(consents=SHARING)
    kept = links.create_link(people["clinician"], merged.uuid, expires="30d")
    merge = merge_people(people["admin"], survivor, merged)
    assert fetch(client, kept).status_code == 200  # the survivor now holds the consent
    on_survivor = links.create_link(people["clinician"], survivor.uuid, expires="30d")
    unmerge(people["admin"], merge)
    on_survivor.refresh_from_db()
    assert on_survivor.revoked_by == people["admin"]
    assert on_survivor.revoked_reason == SharedLink.Revocation.CONSENT
    assert fetch(client, on_survivor).status_code == 404
    assert fetch(client, kept).status_code == 200  # its consent came back with it


# -- who sees a link's address -------------------------------------------------------------------


@pytest.mark.parametrize("role", Role.values)
def test_only_roles_that_share_records_see_a_links_address_key_and_qr_code(
    client, api, world, people, person, role
):
    from mhis.access.services import create_user

    link = links.create_link(people["clinician"], person.uuid, expires="30d", passcode="7391",
                             label="For Ranong")  # fmt: skip
    user = create_user(username=f"{role}-th", password=None, role=role, places=[world["TH"]])
    client.force_login(user)
    page = client.get(f"/record/{person.uuid}/links/")
    printed = client.get(f"/record/{person.uuid}/summary.pdf?link={link.pk}")
    record = api(user).get(f"/api/persons/{person.uuid}")
    secrets = ("shlink:/", link.key, link.manifest_id, "<svg", "?link=")
    if role in roles_with(Can.SHARE_RECORD):
        text = page.content.decode()
        uri = re.search(r'#(shlink:/[^"]+)"', text).group(1)
        assert payload_of(uri)["key"] == link.key and "<svg" in text and "?link=" in text
        assert printed.status_code == 200 and b"/Subtype /Image" in printed.content
    elif role in roles_with(Can.READ_PERSON):
        # That the link exists, when it was made and until when it works: shown.
        text = page.content.decode()
        assert page.status_code == 200 and "For Ranong" in text and "Active." in text
        assert "Passcode required" in text
        assert not [secret for secret in secrets if secret in text]
        assert printed.status_code == 403 and link.key.encode() not in printed.content
    else:  # roles that do not read individual records reach none of it
        assert page.status_code in (403, 404) and printed.status_code in (403, 404)
    assert not [secret for secret in secrets[:3] if secret in record.content.decode()]
