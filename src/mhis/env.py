"""Typed settings from the environment; a `NAME_FILE` variable names a file holding the value."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def envstr(name: str, default: str | None = None) -> str | None:
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def envbool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    if value.strip().lower() in _TRUE:
        return True
    if value.strip().lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of {sorted(_TRUE | _FALSE)}, not {value!r}")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def envcount_or_off(name: str, default: int | None) -> int | None:
    """A whole number of at least 1, or None for `off` (also `none`, `no`, `false`)."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    if value.strip().lower() in {"off", "none", "no", "false"}:
        return None
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 1:
        raise ImproperlyConfigured(
            f"{name} must be a whole number of 1 or more, or off, not {value!r}"
        )
    return number


def envprobability(name: str, default: float) -> float:
    """A probability strictly between 0 and 1."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 0 < number < 1:
        raise ImproperlyConfigured(f"{name} must be a number between 0 and 1, not {value!r}")
    return number


def envlist(name: str, default: str = "") -> list[str]:
    value = envstr(name, default) or ""
    return [item.strip() for item in value.split(",") if item.strip()]


def envnetworks(name: str, default: str = "") -> list:
    """Addresses or networks ("10.0.0.1,10.1.0.0/16") as `ipaddress` networks."""
    try:
        return [ipaddress.ip_network(item, strict=False) for item in envlist(name, default)]
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}: {exc}") from None
