"""SMART Health Links (HL7 SMART Health Cards and Links, STU1): a person's summary,
encrypted with a key that only the link carries, handed over as a `shlink:/` URI and a QR
code, and served by a manifest that honours expiry, revocation and a passcode.

The summary is encrypted once, when the link is made (JWE compact, ``dir`` with
``A256GCM``), so what the recipient decrypts is byte for byte the summary exported then.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from jwcrypto import jwe, jwk

from mhis.access.policy import Can, allowed, require
from mhis.crypto import keyed_hash
from mhis.registry.models import ConsentScope, Person
from mhis.registry.search import get_person

from . import ips, ips_import
from .models import LinkAccess, SharedLink

CONTENT_TYPE = "application/fhir+json"
MANIFEST_PATH = "/shl/m/"
FILE_SECONDS = 3600  # a file location handed out by the manifest works this long
MAX_LABEL = 80
MIN_PASSCODE = 4
_DURATION = re.compile(r"^\s*(\d{1,4})\s*([hdw])\s*$")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parse_expiry(value: str, now: dt.datetime | None = None) -> dt.datetime:
    """`30d`, `12h`, `2w`, or a date (YYYY-MM-DD, the link works through that day)."""
    now = now or timezone.now()
    value = (value or "").strip()
    if match := _DURATION.match(value):
        n, unit = int(match.group(1)), match.group(2)
        expires = (
            now
            + {"h": dt.timedelta(hours=n), "d": dt.timedelta(days=n), "w": dt.timedelta(weeks=n)}[
                unit
            ]
        )
    else:
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            raise ValidationError(
                {"expires": _("Give a duration such as 30d, 12h or 2w, or a date (YYYY-MM-DD).")}
            ) from None
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time())
        expires = timezone.make_aware(end, timezone.get_current_timezone())
    if expires <= now:
        raise ValidationError({"expires": _("The link would have expired already.")})
    if expires > now + dt.timedelta(days=settings.MHIS_SHL_MAX_DAYS):
        raise ValidationError(
            {"expires": _("A link lasts at most %(n)s days.") % {"n": settings.MHIS_SHL_MAX_DAYS}}
        )
    return expires


def encrypt(plaintext: bytes, key: bytes) -> str:
    token = jwe.JWE(
        plaintext,
        protected=json.dumps(
            {"alg": "dir", "enc": "A256GCM", "cty": CONTENT_TYPE}, allow_nan=False
        ),
    )
    token.add_recipient(jwk.JWK(kty="oct", k=_b64(key)))
    return token.serialize(compact=True)


def decrypt(compact: str, key: bytes) -> bytes:
    token = jwe.JWE()
    token.deserialize(compact, key=jwk.JWK(kty="oct", k=_b64(key)))
    return token.payload


def can_share_links(user) -> bool:
    """Whether `user` may create and revoke SMART Health Links, and so be shown a link's
    address, key and QR code. Other roles that read the record see that links exist (made,
    expiry, status, openings), never how to open them."""
    return allowed(user, Can.SHARE_RECORD)


def sharing_consent(person) -> bool:
    """Whether the person's consent to sharing their record stands: given (not for a day still
    to come) and never withdrawn. A withdrawal dated later still ends it now: the person has
    said they withdraw."""
    return person.consents.filter(
        scope=ConsentScope.SHARING, given_on__lte=timezone.localdate(), withdrawn_on__isnull=True
    ).exists()


def _holder(person) -> Person:
    """The record that holds the person's consents: the survivor of any merge it went into."""
    seen = set()
    while person.merged_into_id and person.pk not in seen:
        seen.add(person.pk)
        person = person.merged_into
    return person


def _records_of(holder: Person) -> list[int]:
    """The holder's record and every record merged into it, however many merges deep."""
    found, frontier = [holder.pk], [holder.pk]
    while frontier:
        frontier = list(
            Person.objects.filter(merged_into__in=frontier)
            .exclude(pk__in=found)
            .values_list("pk", flat=True)
        )
        found += frontier
    return found


def _withdrawn_by(holder: Person):
    """Who recorded the latest withdrawal of the holder's consent to sharing, if anyone did."""
    withdrawal = (
        holder.consents.filter(scope=ConsentScope.SHARING, withdrawn_on__isnull=False)
        .select_related("recorded_by", "withdrawn_by")
        .order_by("-withdrawn_on", "-pk")
        .first()
    )
    if withdrawal is None:
        return None
    return withdrawal.withdrawn_by or withdrawal.recorded_by


def revoke_unconsented(person, *, by=None) -> int:
    """Revoke every live link to the person's summary (also those made on a record since
    merged into theirs) unless their consent to sharing stands: called by every change of a
    person's consents, in its transaction. Each revocation records when, by whom (`by`, the
    user who recorded the change) and why. Returns how many links were revoked."""
    holder = _holder(person)
    if sharing_consent(holder):
        return 0
    return SharedLink.objects.filter(
        person__in=_records_of(holder), revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).update(revoked_at=timezone.now(), revoked_by=by, revoked_reason=SharedLink.Revocation.CONSENT)


def consents_changed(changes) -> None:
    """The subscriber to change events (at once, in the writer's transaction): a change of
    people's consents revokes their links unless their consent to sharing still stands."""
    for change in changes:
        if change.kind == "registry.consent":
            for person in Person.objects.filter(pk__in=sorted(change.people)):
                revoke_unconsented(person, by=change.by)


def live(link: SharedLink) -> bool:
    """Whether a link still opens: active, and the person's consent to sharing stands (a link
    whose consent lapsed is revoked now, and the revocation kept)."""
    if not link.active:
        return False
    with transaction.atomic():
        SharedLink.objects.select_for_update().filter(pk=link.pk).first()
        link.refresh_from_db(fields=["revoked_at", "revoked_by", "revoked_reason", "attempts_left"])
        return link.active and not _consent_lapsed(link)


def _consent_lapsed(link: SharedLink) -> bool:
    """Whether the consent behind a live link no longer stands; if so the link is revoked
    now. Changes of consent revoke links at once (`revoke_unconsented`); this catches a
    change made any other way (a restored backup, an edit in the database) at the next
    request, charged to whoever recorded the withdrawal."""
    holder = _holder(link.person)
    if sharing_consent(holder):
        return False
    link.revoked_at, link.revoked_by = timezone.now(), _withdrawn_by(holder)
    link.revoked_reason = SharedLink.Revocation.CONSENT
    link.save(update_fields=["revoked_at", "revoked_by", "revoked_reason"])
    return True


@transaction.atomic
def create_link(
    user,
    person_uuid,
    *,
    expires: str | dt.datetime,
    passcode: str = "",
    label: str = "",
    summary: str | None = None,
) -> SharedLink:
    """A new link to the person's summary: `summary` (an export of it, e.g. the one
    printed beside the QR code) or the summary as it stands now. The person must have
    consented to sharing their record; the read is logged."""
    require(user, Can.SHARE_RECORD)
    person = get_person(user, person_uuid, view="shl-create")
    if person.merged_into_id:
        person = get_person(user, person.merged_into.uuid, view="shl-create")
    # Locked until the link is written: a withdrawal of consent recorded meanwhile waits,
    # then revokes it (`revoke_unconsented`).
    Person.objects.select_for_update().filter(pk=person.pk).first()
    errors = {}
    if not sharing_consent(person):
        errors["consent"] = _("The person has not consented to sharing their record.")
    if not isinstance(expires, dt.datetime):
        try:
            expires = parse_expiry(expires)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    label = (label or "").strip()
    if len(label) > MAX_LABEL:
        errors["label"] = _("At most %(n)s characters.") % {"n": MAX_LABEL}
    if passcode and len(passcode) < MIN_PASSCODE:
        errors["passcode"] = _("At least %(n)s characters.") % {"n": MIN_PASSCODE}
    if errors:
        raise ValidationError(errors)
    key = secrets.token_bytes(32)
    if summary is None:
        summary = ips.text(ips.bundle(person))
    elif _summary_person(summary) != f"urn:uuid:{person.uuid}":
        raise ValidationError({"summary": _("This summary is not the person's.")})
    _finite(summary, "summary")
    return SharedLink.objects.create(
        person=person,
        manifest_id=secrets.token_urlsafe(32),
        key=_b64(key),
        label=label,
        expires_at=expires,
        passcode=make_password(passcode) if passcode else "",
        attempts_left=settings.MHIS_SHL_PASSCODE_ATTEMPTS if passcode else 0,
        payload=encrypt(summary.encode("utf-8"), key),
        created_by=user,
    )


def _finite(summary: str | bytes, field: str) -> dict:
    """The summary's JSON, refused naming the field where a number is NaN or Infinity (not
    JSON, and no reader can take it): never put in a link, never shown."""
    try:
        document = ips_import.loads(summary)
    except (ValueError, RecursionError):
        raise ValidationError({field: _("The summary is not JSON.")}) from None
    if bad := ips_import.non_finite(document):
        raise ValidationError(
            {
                field: _(
                    "The summary holds a number that is not a number (NaN or Infinity) at %(where)s."
                )
                % {"where": ", ".join(bad[:5])}
            }
        )
    return document


def _summary_person(summary: str) -> str:
    try:
        document = json.loads(summary)
        patient = next(
            e["resource"] for e in document["entry"] if e["resource"]["resourceType"] == "Patient"
        )
        return patient["identifier"][0]["value"]
    except (ValueError, KeyError, TypeError, IndexError, StopIteration):
        return ""


def base_url(request=None) -> str:
    if settings.MHIS_PUBLIC_URL:
        return settings.MHIS_PUBLIC_URL
    if request is not None:
        return request.build_absolute_uri("/").rstrip("/")
    raise ValidationError({"base_url": _("Set MHIS_PUBLIC_URL: where people reach this server.")})


def uri(link: SharedLink, base: str) -> str:
    """The `shlink:/` URI of a link: manifest URL, key, expiry, flags and label."""
    payload = {
        "url": f"{base}{MANIFEST_PATH}{link.manifest_id}",
        "key": link.key,
        "exp": int(link.expires_at.timestamp()),
        "v": 1,
    }
    if link.passcode:
        payload["flag"] = "P"
    if link.label:
        payload["label"] = link.label
    return "shlink:/" + _b64(
        json.dumps(payload, separators=(",", ":"), allow_nan=False).encode("utf-8")
    )


def viewer_url(link: SharedLink, base: str) -> str:
    return f"{base}/shl/view/#{uri(link, base)}"


@transaction.atomic
def revoke(user, link: SharedLink) -> SharedLink:
    require(user, Can.SHARE_RECORD)
    get_person(user, link.person.uuid, view="shl-revoke")  # in the user's places, logged
    if link.revoked_at is None:
        link.revoked_at, link.revoked_by = timezone.now(), user
        link.revoked_reason = SharedLink.Revocation.BY_USER
        link.save(update_fields=["revoked_at", "revoked_by", "revoked_reason"])
    return link


def links_of(person) -> list[SharedLink]:
    links = SharedLink.objects.filter(person=person)
    return list(links.select_related("revoked_by").prefetch_related("accesses"))


class Refused(Exception):
    """The manifest cannot be served: `status` 404 (no such link, expired, revoked or
    locked), 401 (wrong passcode, with the attempts left) or 429 (too many wrong passcodes
    from the address)."""

    def __init__(self, status: int, message: str, remaining: int | None = None):
        super().__init__(message)
        self.status, self.message, self.remaining = status, message, remaining

    def body(self) -> dict:
        out = {"error": self.message}
        if self.remaining is not None:
            out["remainingAttempts"] = self.remaining
        return out


# What `secrets.token_urlsafe(32)` makes: anything else names no link of ours.
_MANIFEST_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def is_json(content_type: str) -> bool:
    """Whether a request's media type (without its parameters) is JSON."""
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind == "application/json" or (
        kind.startswith("application/") and kind.endswith("+json")
    )


@dataclass
class ManifestRequest:
    recipient: str
    passcode: str = ""
    embedded_max: int | None = None


def manifest_request(raw: bytes) -> ManifestRequest:
    """The body of a manifest request, `{"recipient", "passcode", "embeddedLengthMax"}`;
    anything else is refused (400) naming the field."""
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested past all reason
        body = None
    if not isinstance(body, dict):
        raise Refused(400, _("The request body must be a JSON object."))
    recipient, passcode = body.get("recipient"), body.get("passcode")
    if not isinstance(recipient, str) or not recipient.strip():
        raise Refused(400, _("recipient: say who is asking."))
    if "\x00" in recipient:
        raise Refused(400, _("recipient: text cannot contain the NUL character."))
    if passcode is not None and not isinstance(passcode, str):
        raise Refused(400, _("passcode: give it as text."))
    embedded_max = body.get("embeddedLengthMax")
    if embedded_max is not None and (
        not isinstance(embedded_max, int) or isinstance(embedded_max, bool) or embedded_max < 0
    ):
        raise Refused(400, _("embeddedLengthMax: a whole number."))
    return ManifestRequest(recipient=recipient, passcode=passcode or "", embedded_max=embedded_max)


def _throttled(address: str) -> bool:
    """Whether `address` (hashed) sent `MHIS_SHL_ADDRESS_LIMIT` wrong passcodes in the hour."""
    since = timezone.now() - dt.timedelta(hours=1)
    wrong = LinkAccess.objects.filter(
        address=address, at__gte=since, outcome=LinkAccess.Outcome.WRONG_PASSCODE
    )
    return wrong.count() >= settings.MHIS_SHL_ADDRESS_LIMIT


def manifest(
    manifest_id: str,
    *,
    passcode: str = "",
    recipient: str = "",
    embedded_max: int | None = None,
    base: str = "",
    address: str = "",
) -> dict:
    """The manifest of a link: its one file, embedded (or, when longer than `embedded_max`,
    at a location that works for an hour). Every request is recorded; a wrong passcode
    uses up an attempt, and when none are left the link is locked for good. An address
    (the client's, when known) that sent too many wrong passcodes in the hour, to any links,
    is refused (429) without trying its passcode, so it cannot use up others' attempts."""
    refused = None
    if not _MANIFEST_ID.fullmatch(manifest_id or ""):
        raise Refused(404, _("No such link."))
    address = keyed_hash(address, purpose="address") if address else ""
    with transaction.atomic():
        link = SharedLink.objects.select_for_update().filter(manifest_id=manifest_id).first()
        if link is None:
            raise Refused(404, _("No such link."))
        if not link.active or _consent_lapsed(link):
            outcome, refused = (
                LinkAccess.Outcome.REFUSED,
                Refused(404, _("This link is no longer active.")),
            )
        elif link.passcode and address and _throttled(address):
            outcome = LinkAccess.Outcome.THROTTLED
            refused = Refused(
                429, _("Too many wrong passcodes from your address. Try again in an hour.")
            )
        elif link.passcode and not check_password(passcode or "", link.passcode):
            link.attempts_left -= 1
            link.save(update_fields=["attempts_left"])
            outcome = LinkAccess.Outcome.WRONG_PASSCODE
            refused = Refused(401, _("Wrong passcode."), remaining=link.attempts_left)
        else:
            outcome = LinkAccess.Outcome.SERVED
        LinkAccess.objects.create(
            link=link, recipient=(recipient or "")[:200], outcome=outcome, address=address
        )
    if refused:  # after the commit: the used attempt stays used
        raise refused
    entry = {"contentType": CONTENT_TYPE}
    if embedded_max is not None and len(link.payload) > embedded_max:
        token = signing.TimestampSigner(salt="shl-file").sign(link.manifest_id)
        entry["location"] = f"{base}/shl/f/{token}"
    else:
        entry["embedded"] = link.payload
    return {"files": [entry]}


def file_payload(token: str) -> str:
    """The encrypted file behind a location the manifest handed out within the hour."""
    try:
        manifest_id = signing.TimestampSigner(salt="shl-file").unsign(token, max_age=FILE_SECONDS)
    except signing.BadSignature:
        raise Refused(404, _("This file location has expired.")) from None
    if not _MANIFEST_ID.fullmatch(manifest_id):  # signed here, so only if the key leaked
        raise Refused(404, _("No such link."))
    link = SharedLink.objects.filter(manifest_id=manifest_id).first()
    if link is None or not live(link):
        raise Refused(404, _("This link is no longer active."))
    return link.payload


@dataclass
class Opened:
    label: str
    expires: dt.datetime
    document: dict


def decode(text: str) -> dict:
    """The payload of a `shlink:/` URI, also when given inside a viewer URL."""
    text = (text or "").strip()
    if "shlink:/" not in text:
        raise ValidationError({"link": _("This is not a SMART Health Link (shlink:/…).")})
    encoded = text[text.index("shlink:/") + len("shlink:/") :]
    try:
        payload = json.loads(_unb64(encoded))
        key = _unb64(payload["key"])
        if not isinstance(payload["url"], str) or len(key) != 32:
            raise ValueError
        if not isinstance(payload.get("label", ""), str):
            raise ValueError
        exp = payload.get("exp", 0)
        if not isinstance(exp, int) or isinstance(exp, bool):
            raise ValueError
        dt.datetime.fromtimestamp(exp, tz=dt.UTC)  # a moment there can be
    except (ValueError, KeyError, TypeError, RecursionError, OverflowError, OSError):
        raise ValidationError({"link": _("The link is damaged: copy it again.")}) from None
    return payload


def open_link(text: str, *, passcode: str = "", recipient: str = "", address: str = "") -> Opened:
    """What the viewer shows: the summary behind a link this server made, decrypted with
    the key the link carries. A link made by another server is refused by name."""
    payload = decode(text)
    url = payload["url"]
    if MANIFEST_PATH not in url:
        raise ValidationError({"link": _("This link was made by another system.")})
    manifest_id = url.rsplit(MANIFEST_PATH, 1)[1]
    link = None
    if _MANIFEST_ID.fullmatch(manifest_id):
        link = SharedLink.objects.filter(manifest_id=manifest_id).first()
    if link is None:
        raise ValidationError({"link": _("This link was made by another system.")})
    # The key is the link's own, or the link was altered: nothing is asked of the manifest.
    if not secrets.compare_digest(payload["key"].encode(), link.key.encode()):
        raise ValidationError({"link": _("The link is damaged: copy it again.")})
    served = manifest(manifest_id, passcode=passcode, recipient=recipient, address=address)
    document = _finite(decrypt(served["files"][0]["embedded"], _unb64(payload["key"])), "link")
    expires = dt.datetime.fromtimestamp(payload.get("exp", 0), tz=dt.UTC)
    return Opened(label=payload.get("label", ""), expires=expires, document=document)
