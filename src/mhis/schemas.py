"""What every API request body shares."""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import model_validator

from mhis.contracts import refuse_nul


class Input(Schema):
    """A request body. Text holding the NUL character is refused, naming where it is: no
    database column can store it, and no name, code or note needs it."""

    @model_validator(mode="before")
    @classmethod
    def _refuse_nul(cls, data: Any) -> Any:
        return refuse_nul(data)
