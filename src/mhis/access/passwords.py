"""Password rules beyond Django's validators (AUTH_PASSWORD_VALIDATORS lists them all)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from .models import User


def _letters_and_digits(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


class UsernameInPasswordValidator:
    """Refuse a password that holds the user name (case, spaces and punctuation aside).

    Django's UserAttributeSimilarityValidator compares whole strings, so a name padded out to
    the required length ("th_admin_password", "Clerk-clerk-2025") is not similar enough to
    be refused; it is the first thing anyone guessing tries. User names shorter than
    `min_length` letters and digits are not looked for (they are parts of many words).
    """

    def __init__(self, min_length: int = 4) -> None:
        self.min_length = min_length

    def validate(self, password: str, user: User | None = None) -> None:
        username = _letters_and_digits(getattr(user, "username", "") or "")
        if len(username) >= self.min_length and username in _letters_and_digits(password):
            raise ValidationError(
                _("The password contains the user name."), code="password_contains_username"
            )

    def get_help_text(self) -> str:
        return _("Your password cannot contain your user name.")
