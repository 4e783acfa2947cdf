"""Sending notifications: every one is stored (the in-application list, and the log of what
was sent), then sent by email when MHIS_NOTIFY_EMAIL is on and by SMS when
MHIS_SMS_GATEWAY_URL is set. The outcome of each sending is recorded on the row.

Sending happens in the process that made the change, once its transaction commits — for a
page, within the request. A gateway or mail server that does not answer would hold the page
its whole timeout for each recipient in turn; so once one times out, the others of the next
`GIVE_UP_SECONDS` are not tried on that channel (recorded as failed, "not tried", on their
rows) and the page waits one timeout at most, whatever the number of recipients.

Callers pass aggregate text only (a condition, a site, a week, counts, a link): a
notification travels by email and SMS, outside the application's access control, so it never
names a person or a migration status (docs/decisions/0030)."""

from __future__ import annotations

import json
import logging
import time
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.module_loading import import_string

from .models import Notification, Outcome

log = logging.getLogger(__name__)

SEND_TIMEOUT = 10  # seconds the SMS gateway has to answer each request
GIVE_UP_SECONDS = 60  # after a timeout, how long a channel is not tried (in this process)
_down_until: dict[str, float] = {}  # channel ("email", "sms") -> time.monotonic() to try again


def _timed_out(exc: BaseException | None) -> bool:
    """Whether sending failed because the other end did not answer in time (urllib wraps a
    timeout while connecting in a URLError, smtplib in SMTPServerDisconnected)."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, TimeoutError) or isinstance(getattr(exc, "reason", None), TimeoutError):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


class SmsBackend(Protocol):
    """Sends one text message; returns an `Outcome`."""

    def send(self, user: Any, text: str) -> str: ...


class HttpSmsGateway:
    """Posts {"to", "text"} as JSON to MHIS_SMS_GATEWAY_URL. A user without a phone number
    (the `phone` attribute, where a deployment adds one) is not texted."""

    def send(self, user: Any, text: str) -> str:
        phone = getattr(user, "phone", "")
        if not phone:
            return Outcome.NO_ADDRESS
        body = json.dumps({"to": phone, "text": text}).encode()
        request = urllib.request.Request(  # noqa: S310 - the deployment's own gateway
            settings.MHIS_SMS_GATEWAY_URL, data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=SEND_TIMEOUT) as response:  # noqa: S310
            return Outcome.SENT if 200 <= response.status < 300 else Outcome.FAILED


def sms_backend() -> SmsBackend:
    return import_string(settings.MHIS_SMS_BACKEND)()


def _absolute(link: str) -> str:
    base = (settings.MHIS_BASE_URL or "").rstrip("/")
    return f"{base}{link}" if base and link.startswith("/") else link


def _down(channel: str, errors: list[str]) -> bool:
    """Whether `channel` timed out lately: then it is not tried (and the row says why)."""
    if time.monotonic() < _down_until.get(channel, 0):
        errors.append(f"{channel}: not tried, it did not answer in time for an earlier one")
        return True
    return False


def _failed(channel: str, exc: Exception, errors: list[str]) -> str:
    if _timed_out(exc):
        _down_until[channel] = time.monotonic() + GIVE_UP_SECONDS
    errors.append(f"{channel}: {type(exc).__name__}: {exc}")
    return Outcome.FAILED


def _send(row: Notification) -> None:
    user = row.recipient
    errors: list[str] = []
    if settings.MHIS_NOTIFY_EMAIL:
        if not user.email:
            row.email = Outcome.NO_ADDRESS
        elif _down("email", errors):
            row.email = Outcome.FAILED
        else:
            try:
                send_mail(
                    row.subject,
                    f"{row.subject}\n\n{_absolute(row.link)}\n",
                    None,
                    [user.email],
                )
                row.email = Outcome.SENT
            except Exception as exc:
                row.email = _failed("email", exc, errors)
    if settings.MHIS_SMS_GATEWAY_URL:
        if _down("sms", errors):
            row.sms = Outcome.FAILED
        else:
            try:
                row.sms = sms_backend().send(user, f"{row.subject} {_absolute(row.link)}")
            except Exception as exc:
                row.sms = _failed("sms", exc, errors)
    row.error = "\n".join(errors)
    row.save(update_fields=["email", "sms", "error"])
    if errors:
        log.warning("notification %s: %s", row.pk, row.error)


Subject = str | Callable[[], str]


def language_of(user: Any) -> str:
    """The language a user reads notifications in: theirs, or the deployment's."""
    return getattr(user, "language", "") or settings.LANGUAGE_CODE


def render_for(user: Any, subject: Subject) -> str:
    """The subject as `user` reads it. A callable (or lazy text) is rendered in the
    recipient's language, not in the language of whoever caused the notification."""
    if isinstance(subject, str):
        return subject
    with translation.override(language_of(user)):
        return str(subject() if callable(subject) else subject)


def notify(recipients: Iterable[Any], kind: str, subject: Subject, link: str = "") -> list:
    """Store one notification per distinct active recipient and send it once the
    surrounding transaction commits (so a rolled-back change sends nothing). Pass the
    subject as a callable building the text (or as lazy text) so that each recipient gets it
    in their own language; a plain string is sent as it is."""
    seen: set[int] = set()
    rows = []
    for user in recipients:
        if user is None or not user.is_active or user.pk in seen:
            continue
        seen.add(user.pk)
        text = render_for(user, subject)
        rows.append(
            Notification.objects.create(
                recipient=user, kind=kind, subject=text[:300], link=link[:300]
            )
        )
    for row in rows:
        transaction.on_commit(lambda row=row: _send(row))
    return rows


def unread_count(user: Any) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def mine(user: Any):
    return Notification.objects.filter(recipient=user)


def mark_read(user: Any, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read: those in `ids`, or all. Others' are untouched."""
    rows = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    return rows.update(read_at=timezone.now())
