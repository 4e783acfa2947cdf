"""Encryption at rest for identifiers and migration status, and keyed hashes to search them.

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`) under the
keys in ``settings.MHIS_FIELD_KEYS`` (the first encrypts; all decrypt, so keys can be rotated).
Equality search uses HMAC-SHA256 under ``settings.MHIS_HASH_KEY`` over a normalised value: the
database never holds a value, or an unkeyed hash that could be looked up in a table.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("MHIS_FIELD_KEYS is empty: set at least one Fernet key.")
    try:
        return MultiFernet([Fernet(k.encode("ascii")) for k in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            f"MHIS_FIELD_KEYS holds a key that is not a Fernet key: {exc}"
        ) from None


def encrypt(value: str) -> str:
    return _fernet(tuple(settings.MHIS_FIELD_KEYS)).encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return (
            _fernet(tuple(settings.MHIS_FIELD_KEYS)).decrypt(token.encode("ascii")).decode("utf-8")
        )
    except InvalidToken:
        raise ImproperlyConfigured(
            "A stored value cannot be decrypted with MHIS_FIELD_KEYS: was a key removed?"
        ) from None


def keyed_hash(value: str, *, purpose: str) -> str:
    """HMAC-SHA256 of `value` for `purpose` (so equal values of different kinds differ)."""
    key = settings.MHIS_HASH_KEY.encode("utf-8")
    digest = hmac.new(key, f"{purpose}\x1f{value}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii").rstrip("=").lower()


def derive_key(secret: str, label: str) -> str:
    """A Fernet key derived from `secret` for `label` (development only; production sets keys)."""
    raw = hashlib.sha256(f"mhis:{label}:{secret}".encode()).digest()
    return base64.urlsafe_b64encode(raw).decode("ascii")


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token; reads give the plain value back.

    It cannot be filtered on; store a keyed hash beside it for equality search.
    """

    description = "Text encrypted at rest"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)

    def get_lookup(self, lookup_name):
        if lookup_name not in ("isnull",):
            return None
        return super().get_lookup(lookup_name)


def encrypt_bytes(data: bytes) -> bytes:
    """Encrypt a whole file's bytes under the field keys (extracts, backups)."""
    return _fernet(tuple(settings.MHIS_FIELD_KEYS)).encrypt(data)


def decrypt_bytes(token: bytes) -> bytes:
    try:
        return _fernet(tuple(settings.MHIS_FIELD_KEYS)).decrypt(token)
    except InvalidToken:
        raise ImproperlyConfigured(
            "This file cannot be decrypted with MHIS_FIELD_KEYS: was it written with other keys?"
        ) from None
