"""Staff mobile numbers, where notifications are texted: international form only, since a
deployment spans countries and a number without its country code is ambiguous."""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def normalise_phone(text: str) -> str:
    """The number in E.164 form (+66812345678), or "" for a blank; raises ValidationError
    for anything that is not a valid number with its country code."""
    text = (text or "").strip()
    if not text:
        return ""
    if not text.startswith("+"):
        raise ValidationError(
            _("Write the number with its country code, starting with +, e.g. +66 81 234 5678."),
            code="phone_country",
        )
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("%(number)s is not a valid phone number.") % {"number": text}, code="phone"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def validate_phone(text: str) -> None:
    normalise_phone(text)
