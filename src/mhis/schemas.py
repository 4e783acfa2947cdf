"""What every API request body shares."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from ninja import Schema
from ninja.schema import DjangoGetter
from pydantic import model_validator


def _nul_at(value: Any, where: tuple) -> tuple | None:
    """Where in a parsed JSON value a text holds the NUL character, or None."""
    if isinstance(value, str):
        return where if "\x00" in value else None
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list | tuple):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        if isinstance(key, str) and "\x00" in key:
            return where
        found = _nul_at(item, (*where, key))
        if found is not None:
            return found
    return None


class Input(Schema):
    """A request body. Text holding the NUL character is refused, naming where it is: no
    database column can store it, and no name, code or note needs it."""

    @model_validator(mode="before")
    @classmethod
    def _refuse_nul(cls, data: Any) -> Any:
        # Ninja hands a schema that allows extra fields its input wrapped (DjangoGetter).
        where = _nul_at(data._obj if isinstance(data, DjangoGetter) else data, ())
        if where is not None:
            field = ".".join(str(part) for part in where) or "body"
            raise ValueError(
                _("%(field)s: text cannot contain the NUL character.") % {"field": field}
            )
        return data
